"""From a lead table to model inputs: the outcome, the feature columns, the encoder.

* :func:`_target_vector` reads a binary outcome in any common coding (converted/lost,
  yes/no, 1/0, booleans ...); unlabelled rows (``open`` in salesnb's ``status``) become NaN.
* :func:`_choose_features` keeps the lead attributes and leaves out, with a reason, the
  target, ids, free text, dates, constant or empty columns and the columns only known after
  the outcome (:data:`LEAKAGE_COLUMNS`).
* :class:`_LeadEncoder` turns the chosen columns into a float matrix for a linear model
  (median-imputed, standardised, one-hot) or for gradient boosting (raw numbers, category
  codes); rare and unseen categories are grouped as ``(other)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from salesnb.core.columns import require_columns
from salesnb.leads.errors import LeadScoringError

__all__ = ["LEAKAGE_COLUMNS"]

#: Columns of salesnb's ``leads`` table that are only known after the outcome (or are set by
#: the sales process itself); never used as features by default.
LEAKAGE_COLUMNS: dict[str, str] = {
    "outcome_date": "leakage: known only after the outcome",
    "customer_id": "leakage: known only after the outcome (set when the lead converts)",
    "status": "leakage: the outcome itself",
    "assigned_rep_id": "leakage: set by the sales process after qualification (and an id)",
}

_POSITIVE = {"yes", "y", "true", "t", "1", "1.0", "won", "win", "converted", "convert",
             "success", "successful", "positive", "pos", "closed_won", "closed won"}
_NEGATIVE = {"no", "n", "false", "f", "0", "0.0", "lost", "lose", "loss", "not_converted",
             "not converted", "failure", "fail", "failed", "negative", "neg", "closed_lost",
             "closed lost"}
_UNLABELLED = {"open"}
_MIN_ROWS = 50
_MIN_PER_CLASS = 10
_OTHER = "(other)"


def _target_vector(values: pd.Series, target: str, positive: str | None) -> pd.Series:
    """Map a binary outcome column to 1.0 / 0.0 (NaN for unlabelled rows such as "open")."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    text = values.astype("str").str.strip().str.lower().where(values.notna())
    if target == "status":
        text = text.where(~text.isin(_UNLABELLED))
    found = sorted(text.dropna().unique().tolist())
    if positive is not None:
        pos = str(positive).strip().lower()
        if pos not in found:
            raise LeadScoringError(
                f"target column {target!r}: positive={positive!r} does not occur; values found: "
                f"{found[:10]}. Fix: pass one of them as positive=.")
        others = [v for v in found if v != pos]
        if len(others) > 1:
            raise LeadScoringError(
                f"target column {target!r} is not binary: besides {positive!r} it holds "
                f"{others[:10]}. Fix: map it to two values (or blank the rows to leave out).")
        return (text == pos).astype("float64").where(text.notna())
    if len(found) > 2:
        raise LeadScoringError(
            f"target column {target!r} is not binary: {len(found)} distinct values "
            f"({found[:10]}). Fix: map it to two values such as converted/lost, or blank the "
            "rows to leave out (open leads are left out automatically for 'status').")
    unknown = [v for v in found if v not in _POSITIVE | _NEGATIVE]
    n_pos = sum(v in _POSITIVE for v in found)
    if len(found) == 2 and (unknown or n_pos != 1):
        raise LeadScoringError(
            f"target column {target!r}: cannot tell which of {found} means a conversion. "
            "Fix: pass positive=<the value meaning converted>.")
    return text.isin(_POSITIVE).astype("float64").where(text.notna())


def _is_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s.dtype)


def _is_numeric(s: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)) \
        and not _is_datetime(s)


def _choose_features(frame: pd.DataFrame, target: str, features: list[str] | None,
                     exclude: Sequence[str], budget: str | None) -> tuple[list[str], dict]:
    """Return (features, excluded {column: reason})."""
    excluded: dict[str, str] = {}
    require_columns(frame, list(exclude), table="the leads table",
                    fix="correct the names in exclude=")
    if features is not None:
        require_columns(frame, features, table="the leads table",
                        fix="correct the names in features= or leave features=None")
        bad = []
        for c in features:
            if c == target:
                bad.append(f"{c!r} is the target")
            elif frame[c].isna().all():
                bad.append(f"{c!r} is entirely missing")
            elif _is_datetime(frame[c]):
                bad.append(f"{c!r} is a date (derive e.g. days since it first)")
        if bad:
            raise LeadScoringError(
                "features= cannot be used: " + "; ".join(bad) + ". Fix: drop them from features=.")
        chosen = [c for c in features if c not in exclude]
        for c in frame.columns:
            if c not in chosen:
                excluded[c] = ("target" if c == target else
                               "excluded by caller" if c in exclude else "not in features=")
        return chosen, excluded
    chosen = []
    n = len(frame)
    for c in frame.columns:
        s = frame[c]
        if c == target:
            excluded[c] = "target"
        elif c in exclude:
            excluded[c] = "excluded by caller"
        elif c in LEAKAGE_COLUMNS:
            excluded[c] = LEAKAGE_COLUMNS[c]
        elif c.lower() == "id" or c.lower().endswith("_id"):
            excluded[c] = "id"
        elif s.isna().all():
            excluded[c] = "entirely missing"
        elif _is_datetime(s):
            excluded[c] = "date"
        elif s.nunique(dropna=True) <= 1:
            excluded[c] = "constant: a single value"
        elif not _is_numeric(s):
            distinct = s.nunique(dropna=True)
            filled = int(s.notna().sum())
            if distinct == filled and n >= 20:
                excluded[c] = "id: every value is unique"
            elif distinct > 100 and distinct > 0.5 * filled:
                excluded[c] = "free text: too many distinct values to be a category"
            else:
                chosen.append(c)
        else:
            chosen.append(c)
    return chosen, excluded


class _LeadEncoder(BaseEstimator, TransformerMixin):
    """Turn a lead table into a float matrix for one model family.

    ``mode="linear"``: numbers median-imputed, a missing indicator where training had gaps,
    standardised; text one-hot encoded (rare and unseen categories -> ``(other)``; missing
    -> its own column when training had gaps). ``mode="tree"``: numbers as they are (NaN
    kept), text as integer category codes (rare/unseen -> ``(other)``, missing -> NaN).
    """

    def __init__(self, mode: str = "linear", min_frequency: float = 0.005,
                 max_categories: int = 50) -> None:
        self.mode = mode
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: Any = None) -> _LeadEncoder:
        """Learn categories, medians and scales from ``X``."""
        n = len(X)
        min_count = max(10, math.ceil(self.min_frequency * n))
        self.columns_ = list(X.columns)
        self.numeric_ = [c for c in self.columns_ if _is_numeric(X[c])]
        self.categories_: dict[str, list[str]] = {}
        self.has_other_: dict[str, bool] = {}
        self.stats_: dict[str, tuple[float, float, float, bool]] = {}
        for c in self.columns_:
            if c in self.numeric_:
                v = _as_float(X[c])
                miss = bool(np.isnan(v).any())
                med = float(np.nanmedian(v)) if not np.isnan(v).all() else 0.0
                filled = np.where(np.isnan(v), med, v)
                sd = float(filled.std()) or 1.0
                self.stats_[c] = (med, float(filled.mean()), sd, miss)
            else:
                counts = _as_text(X[c]).value_counts(dropna=True)
                keep = counts[counts >= min_count].index.tolist()[: self.max_categories]
                if not keep:
                    keep = counts.index.tolist()[:1]
                self.categories_[c] = sorted(str(k) for k in keep)
                self.has_other_[c] = len(keep) < len(counts)
        self.categorical_ = [c for c in self.columns_ if c not in self.numeric_]
        self.cat_missing_ = {c: bool(X[c].isna().any()) for c in self.categorical_}
        self._build_names()
        if self.mode == "linear":
            self.mean_ = self.transform(X).mean(axis=0)
        return self

    def _build_names(self) -> None:
        names, origin = [], []
        for c in self.columns_:
            if self.mode == "tree":
                names.append(c)
                origin.append(c)
            elif c in self.numeric_:
                names.append(c)
                origin.append(c)
                if self.stats_[c][3]:
                    names.append(f"{c}=(missing)")
                    origin.append(c)
            else:
                levels = list(self.categories_[c])
                if self.has_other_[c]:
                    levels.append(_OTHER)
                if self.cat_missing_[c]:
                    levels.append("(missing)")
                names += [f"{c}={lv}" for lv in levels]
                origin += [c] * len(levels)
        self.feature_names_ = names
        self.origin_ = np.array(origin, dtype=object)

    def _codes(self, s: pd.Series, c: str) -> np.ndarray:
        """Integer codes: 0..k-1 known, k = other (if learnt), -1 unseen, -2 missing."""
        # factorize (hash-based, fast on Arrow strings), then map the few distinct values
        raw, uniques = pd.factorize(_as_text(s), use_na_sentinel=True)
        lookup = pd.Index(self.categories_[c]).get_indexer(pd.Index(uniques).astype("str"))
        lookup = np.append(lookup, -1).astype(np.int32)  # raw == -1 (missing) -> last slot
        codes = lookup[raw]
        missing = raw == -1
        unseen = (codes == -1) & ~missing
        if self.has_other_[c]:
            codes[unseen] = len(self.categories_[c])
        codes[missing] = -2
        return codes

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Encode ``X`` (same columns as in :meth:`fit`) to a float matrix."""
        require_columns(X, self.columns_, table="the leads to score",
                        fix="add the columns the model was trained on (left empty if "
                            "unknown) or retrain without them")
        n = len(X)
        out = np.zeros((n, len(self.feature_names_)), dtype=np.float64)
        j = 0
        for c in self.columns_:
            if self.mode == "tree":
                if c in self.numeric_:
                    out[:, j] = _as_float(X[c])
                else:
                    codes = self._codes(X[c], c).astype(np.float64)
                    codes[codes < 0] = np.nan
                    out[:, j] = codes
                j += 1
            elif c in self.numeric_:
                med, mean, sd, miss = self.stats_[c]
                v = _as_float(X[c])
                isn = np.isnan(v)
                out[:, j] = (np.where(isn, med, v) - mean) / sd
                j += 1
                if miss:
                    out[:, j] = isn
                    j += 1
            else:
                codes = self._codes(X[c], c)
                k = len(self.categories_[c]) + int(self.has_other_[c])
                width = k + int(self.cat_missing_[c])
                rows = np.flatnonzero(codes >= 0)
                out[rows, j + codes[rows]] = 1.0
                if self.cat_missing_[c]:
                    out[codes == -2, j + k] = 1.0
                j += width
        return out


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(s.dtype):
        return s
    return s.astype("str").where(s.notna())


def _labelled(leads: pd.DataFrame, target: str, positive: str | None) -> tuple[pd.DataFrame,
                                                                             np.ndarray]:
    if not isinstance(leads, pd.DataFrame):
        raise LeadScoringError(f"leads must be a pandas DataFrame, got {type(leads).__name__}.")
    require_columns(leads, {"target": target}, table="the leads table",
                    fix="pass target=<the outcome column>")
    y = _target_vector(leads[target], target, positive)
    keep = y.notna().to_numpy()
    return leads.loc[keep], y.to_numpy()[keep].astype(np.int64)


def _check_size(y: np.ndarray, target: str, cv: int) -> None:
    n, pos = len(y), int(y.sum())
    if n and pos in (0, n):
        raise LeadScoringError(
            f"target column {target!r} has a single class among the {n} labelled rows "
            f"({'all converted' if pos else 'none converted'}). Fix: include both converted "
            "and lost leads.")
    if n < _MIN_ROWS:
        raise LeadScoringError(
            f"too few labelled rows to train: {n} (need at least {_MIN_ROWS}, open/blank "
            f"outcomes excluded). Fix: use a longer history.")
    if min(pos, n - pos) < _MIN_PER_CLASS:
        raise LeadScoringError(
            f"too few rows of one class in {target!r}: {pos} converted, {n - pos} not "
            f"(need at least {_MIN_PER_CLASS} of each). Fix: use a longer history.")
    if cv < 2:
        raise LeadScoringError(f"cv must be at least 2, got {cv}.")
