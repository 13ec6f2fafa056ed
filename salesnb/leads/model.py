"""Lead scoring: which open leads are most likely to convert, and why.

Pure functions on DataFrames, in the house style of :mod:`salesnb.quality`:

* :func:`train` fits a calibrated conversion model on any table of lead attributes with a
  binary outcome (salesnb's ``leads`` table or e.g. a bank-marketing extract) and returns a
  :class:`LeadModel`; :meth:`LeadModel.score` gives every lead a probability, an expected
  value, a tier and a short text of the factors that raised or lowered *its* score;
  :meth:`LeadModel.explain` gives the exact additive per-feature contributions.
* :func:`rule_score` is the sales policy's screening score (needs, purchasing power,
  credit), the baseline the model must beat; :func:`compare` evaluates both (and a plain
  logistic regression) on the same hold-out.
* :func:`conversion_by` and :func:`funnel` are the descriptive tables of the managers'
  notebook; ``plot_*`` functions draw them (``ax=None``, return the Axes, never save).

Modelling choices
-----------------
Two candidates are compared by stratified cross-validated ROC AUC: an L2-regularised
:class:`~sklearn.linear_model.LogisticRegression` (numbers imputed with the median plus a
missing indicator and standardised; text one-hot encoded with rare categories grouped) and a
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` (numbers as they are, missing values
handled natively; text as native categories with rare ones grouped). The better one is refitted
on all labelled rows. Probabilities are calibrated with Platt scaling fitted on the
out-of-fold scores (a strictly increasing map, so the ranking of leads is unchanged).

Explanations are in log-odds of the uncalibrated model. For the logistic model they are exact:
``coef * (transformed value - training mean)``, summed over the columns a feature produces.
For gradient boosting they are *path attributions* (Saabas' method): walking every tree from
the root to the lead's leaf, each change in the node's expected value is credited to the
feature of the split. They add up exactly to the model's raw log-odds, are cheap (no extra
dependency such as LightGBM or SHAP), but unlike TreeSHAP they slightly favour features split
near the leaves; read them as "what moved this lead's score", not as a causal effect.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from salesnb.errors import SalesnbError
from salesnb.leads.defaults import DEFAULT_TIERS

__all__ = [
    "LeadScoringError",
    "LeadModel",
    "Comparison",
    "LEAKAGE_COLUMNS",
    "RULE_POINTS",
    "train",
    "rule_score",
    "tier_of",
    "compare",
    "conversion_by",
    "funnel",
    "plot_gains",
    "plot_calibration",
    "plot_conversion",
]

#: Columns of salesnb's ``leads`` table that are only known after the outcome (or are set by
#: the sales process itself); never used as features by default.
LEAKAGE_COLUMNS: dict[str, str] = {
    "outcome_date": "leakage: known only after the outcome",
    "customer_id": "leakage: known only after the outcome (set when the lead converts)",
    "status": "leakage: the outcome itself",
    "assigned_rep_id": "leakage: set by the sales process after qualification (and an id)",
}

#: Points of :func:`rule_score` (the sales policy's screening grid; 100 at most).
RULE_POINTS: dict[str, Any] = {
    "needs_score": {1: 0, 2: 10, 3: 20, 4: 30, 5: 40},
    "budget": [(0.0, 0), (5_000.0, 10), (15_000.0, 20), (50_000.0, 30)],
    "credit_rating": {"A": 30, "B": 20, "C": 10, "D": 0},
}

_POSITIVE = {"yes", "y", "true", "t", "1", "1.0", "won", "win", "converted", "convert",
             "success", "successful", "positive", "pos", "closed_won", "closed won"}
_NEGATIVE = {"no", "n", "false", "f", "0", "0.0", "lost", "lose", "loss", "not_converted",
             "not converted", "failure", "fail", "failed", "negative", "neg", "closed_lost",
             "closed lost"}
_UNLABELLED = {"open"}
_MIN_ROWS = 50
_MIN_PER_CLASS = 10
_CHUNK = 250_000
_OTHER = "(other)"
_STAGES = ("visit", "needs", "quote", "negotiation", "contract", "won")


class LeadScoringError(SalesnbError, ValueError):
    """Lead scoring cannot run on this input; the message names the column and the fix."""


# --------------------------------------------------------------------------- target & features


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
    unknown = [c for c in exclude if c not in frame.columns]
    if unknown:
        raise LeadScoringError(
            f"exclude= names columns that are not in the table: {unknown}. Columns: "
            f"{list(frame.columns)}. Fix: correct the names.")
    if features is not None:
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise LeadScoringError(
                f"features= names columns that are not in the table: {missing}. Columns: "
                f"{list(frame.columns)}. Fix: correct the names or leave features=None.")
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


# --------------------------------------------------------------------------- encoder


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
        absent = [c for c in self.columns_ if c not in X.columns]
        if absent:
            raise LeadScoringError(
                f"the table lacks columns the model was trained on: {absent}. Fix: add them "
                "(left empty if unknown) or retrain without them.")
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


def _candidates(random_state: int, categorical_mask: list[bool]) -> dict[str, Pipeline]:
    return {
        "logistic": Pipeline([
            ("encode", _LeadEncoder(mode="linear")),
            ("model", LogisticRegression(C=0.5, max_iter=2000)),
        ]),
        "boosting": Pipeline([
            ("encode", _LeadEncoder(mode="tree")),
            ("model", HistGradientBoostingClassifier(
                learning_rate=0.1, max_iter=200, max_leaf_nodes=15, min_samples_leaf=30,
                l2_regularization=1.0, early_stopping=True, validation_fraction=0.1,
                n_iter_no_change=15, categorical_features=np.array(categorical_mask, bool),
                random_state=random_state)),
        ]),
    }


# --------------------------------------------------------------------------- tree attributions


def _hgb_paths(model: HistGradientBoostingClassifier, X: np.ndarray) -> tuple[np.ndarray, float]:
    """Saabas path attributions of a binary HGB model: (n, n_features) contributions, base."""
    n, p = X.shape
    perm = np.arange(p)
    if getattr(model, "_preprocessor", None) is not None:
        # HGB re-encodes categories and puts the categorical columns first
        X = np.asarray(model._preprocessor.transform(X), dtype=np.float64)
        cat = np.asarray(model.is_categorical_, dtype=bool)
        perm = np.r_[perm[cat], perm[~cat]]
    contrib = np.zeros((n, p))
    base = float(np.ravel(model._baseline_prediction)[0])
    rows = np.arange(n)
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        bitsets = predictor.raw_left_cat_bitsets
        ev = _node_expectations(nodes)
        base += ev[0]
        cur = np.zeros(n, dtype=np.int64)
        active = ~nodes["is_leaf"][cur].astype(bool)
        while active.any():
            idx = rows[active]
            node = cur[idx]
            feat = nodes["feature_idx"][node].astype(np.int64)
            x = X[idx, feat]
            isnan = np.isnan(x)
            left = np.where(isnan, nodes["missing_go_to_left"][node].astype(bool),
                            x <= nodes["num_threshold"][node])
            cat = nodes["is_categorical"][node].astype(bool) & ~isnan
            if cat.any():
                code = x[cat].astype(np.int64)
                words = bitsets[nodes["bitset_idx"][node][cat]]
                bit = (words[np.arange(len(code)), code // 32] >> (code % 32).astype(np.uint32)) & 1
                left[cat] = bit.astype(bool)
            nxt = np.where(left, nodes["left"][node], nodes["right"][node]).astype(np.int64)
            np.add.at(contrib, (idx, feat), ev[nxt] - ev[node])
            cur[idx] = nxt
            active = ~nodes["is_leaf"][cur].astype(bool)
    out = np.zeros_like(contrib)
    out[:, perm] = contrib
    return out, base


def _node_expectations(nodes: np.ndarray) -> np.ndarray:
    """Count-weighted expected leaf value under every node (children have larger indices)."""
    value = nodes["value"].astype(np.float64).copy()
    count = nodes["count"].astype(np.float64).copy()
    for i in range(len(nodes) - 1, -1, -1):
        if not nodes["is_leaf"][i]:
            lft, rgt = nodes["left"][i], nodes["right"][i]
            total = count[lft] + count[rgt]
            value[i] = (value[lft] * count[lft] + value[rgt] * count[rgt]) / max(total, 1.0)
    return value


# --------------------------------------------------------------------------- model


def _lift_top_decile(y: np.ndarray, score: np.ndarray) -> float:
    k = max(1, int(math.ceil(0.1 * len(y))))
    top = np.argsort(-score, kind="stable")[:k]
    rate = y.mean()
    return float(y[top].mean() / rate) if rate > 0 else float("nan")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class LeadModel:
    """A fitted, calibrated lead-scoring model (returned by :func:`train`).

    Attributes
    ----------
    target_ : str
        The outcome column it was trained on.
    features_ : list of str
        The columns used, in order.
    excluded_ : dict of str to str
        Every other column of the training table with the reason it was left out.
    model_name_ : str
        The candidate chosen by cross-validated ROC AUC (``"logistic"`` or ``"boosting"``).
    pipeline_ : sklearn.pipeline.Pipeline
        The chosen candidate refitted on all labelled rows (encoder + classifier).
    calibration_ : tuple of float
        Platt scaling ``(a, b)``: probability = sigmoid(a * raw log-odds + b).
    base_value_ : float
        Raw log-odds of the "average" lead; contributions from :meth:`explain` add up from it.
    metrics_ : dict
        Cross-validated roc_auc, average_precision, brier, lift_top_decile, n_train,
        positive_rate, model (chosen name) and candidates ({name: CV ROC AUC}).
    cv_results_ : pandas.DataFrame
        One row per candidate: roc_auc_mean, roc_auc_std, fold AUCs.
    budget_ : str or None
        Column giving the deal size for ``expected_value``.
    """

    target_: str
    features_: list[str]
    excluded_: dict[str, str]
    model_name_: str
    pipeline_: Pipeline
    calibration_: tuple[float, float]
    base_value_: float
    metrics_: dict[str, Any]
    cv_results_: pd.DataFrame
    budget_: str | None = None
    oof_: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    # raw scores ---------------------------------------------------------------------------
    def _encode(self, leads: pd.DataFrame) -> np.ndarray:
        return self.pipeline_.named_steps["encode"].transform(leads[self.features_]
                                                              if set(self.features_)
                                                              <= set(leads.columns) else leads)

    def decision_function(self, leads: pd.DataFrame) -> pd.Series:
        """Raw (uncalibrated) log-odds of conversion per lead.

        Parameters
        ----------
        leads : pandas.DataFrame
            Must hold the model's feature columns (extra columns are ignored).

        Returns
        -------
        pandas.Series
            Float, aligned with ``leads.index``.
        """
        model = self.pipeline_.named_steps["model"]
        out = np.empty(len(leads))
        for start in range(0, len(leads), _CHUNK):
            part = leads.iloc[start:start + _CHUNK]
            out[start:start + len(part)] = model.decision_function(self._encode(part))
        return pd.Series(out, index=leads.index, name="log_odds")

    def predict_proba(self, leads: pd.DataFrame) -> pd.Series:
        """Calibrated probability of conversion per lead (no decay, no explanations).

        Parameters
        ----------
        leads : pandas.DataFrame
            Must hold the model's feature columns.

        Returns
        -------
        pandas.Series
            Probabilities in [0, 1], aligned with ``leads.index``.
        """
        a, b = self.calibration_
        z = self.decision_function(leads).to_numpy()
        return pd.Series(_sigmoid(a * z + b), index=leads.index, name="probability")

    def explain(self, leads: pd.DataFrame) -> pd.DataFrame:
        """Per-lead, per-feature contributions to the raw log-odds.

        For the logistic model ``coef * (transformed value - training mean)`` summed over the
        columns each feature produces; for gradient boosting exact path attributions
        (Saabas). Either way ``explain(leads).sum(axis=1) + base_value_`` equals
        :meth:`decision_function`.

        Parameters
        ----------
        leads : pandas.DataFrame
            Must hold the model's feature columns.

        Returns
        -------
        pandas.DataFrame
            One row per lead (index aligned), one column per feature in ``features_``.
        """
        enc = self.pipeline_.named_steps["encode"]
        model = self.pipeline_.named_steps["model"]
        X = self._encode(leads)
        if self.model_name_ == "logistic":
            per_col = (X - enc.mean_) * model.coef_[0]
            out = np.zeros((len(leads), len(self.features_)))
            for k, c in enumerate(self.features_):
                out[:, k] = per_col[:, enc.origin_ == c].sum(axis=1)
        else:
            out, _ = _hgb_paths(model, X)
        return pd.DataFrame(out, index=leads.index, columns=list(self.features_))

    # scoring ------------------------------------------------------------------------------
    def score(self, leads: pd.DataFrame, *, tiers: tuple[float, float, float] = (0.5, 0.3, 0.15),
              explain: bool | int = 10, as_of: Any = None,
              half_life_days: float | None = None, n_factors: int = 3) -> pd.DataFrame:
        """Score leads: probability, expected value, tier, and why.

        Parameters
        ----------
        leads : pandas.DataFrame
            Leads to score (typically the open ones); needs the model's feature columns.
        tiers : tuple of three floats, default=(0.5, 0.3, 0.15)
            Probability cut-offs of tiers A, B and C (descending); below the last is D.
        explain : bool or int, default=10
            Which leads get ``top_factors``: an int ``n`` explains the ``n`` most probable
            leads (the others get a missing value), ``True`` all, ``False``/``0`` none
            (fastest: probability only).
        as_of : date-like, optional
            Reference date for the decay (default: today).
        half_life_days : float, optional
            When set, the probability is multiplied by
            ``0.5 ** (days since last_activity_date (else created_date) / half_life_days)``
            and a ``decay`` column shows the factor; tiers and expected value use the decayed
            probability. Leads without either date are not decayed (factor 1).
        n_factors : int, default=3
            How many factors to list per lead.

        Returns
        -------
        pandas.DataFrame
            Index aligned with ``leads``: ``lead_id`` (if present), ``probability``,
            ``expected_value`` (probability x budget, NaN where the budget is unknown),
            ``tier`` ("A".."D"), ``decay`` (only with ``half_life_days``) and
            ``top_factors`` (e.g. ``"+ source=referral, + budget=42,000, − credit_rating=D"``).
        """
        _check_tiers(tiers)
        prob = self.predict_proba(leads).to_numpy()
        out = pd.DataFrame(index=leads.index)
        if "lead_id" in leads.columns:
            out["lead_id"] = leads["lead_id"]
        decay = None
        if half_life_days is not None:
            decay = _decay(leads, as_of, half_life_days)
            prob = prob * decay
        out["probability"] = prob
        if self.budget_ is not None and self.budget_ in leads.columns:
            out["expected_value"] = prob * _as_float(leads[self.budget_])
        else:
            out["expected_value"] = np.nan
        out["tier"] = tier_of(out["probability"], tiers)
        if decay is not None:
            out["decay"] = decay
        n_explain = len(leads) if explain is True else int(explain)
        factors = pd.Series(pd.NA, index=leads.index, dtype="str")
        if n_explain > 0 and len(leads):
            pos = np.sort(np.argsort(-prob, kind="stable")[:n_explain])
            sub = leads.iloc[pos]
            contrib = self.explain(sub)
            factors.iloc[pos] = _factor_text(sub, contrib, n_factors)
        out["top_factors"] = factors
        return out


def _check_tiers(tiers: tuple[float, float, float]) -> None:
    if not (len(tiers) == 3 and tiers[0] >= tiers[1] >= tiers[2]):
        raise LeadScoringError(f"tiers must be three descending cut-offs (A >= B >= C), "
                               f"got {tiers!r}.")


def tier_of(probability: pd.Series, tiers: tuple[float, float, float] = DEFAULT_TIERS
            ) -> pd.Series:
    """Tier "A".."D" of each probability (A from ``tiers[0]``, B, C, then D below ``tiers[2]``).

    Raises
    ------
    LeadScoringError
        When the cut-offs are not descending.
    """
    _check_tiers(tiers)
    prob = probability.to_numpy(dtype=float)
    idx = np.select([prob >= tiers[0], prob >= tiers[1], prob >= tiers[2]], [0, 1, 2], 3)
    labels = np.array(["A", "B", "C", "D"], dtype=object)
    return pd.Series(labels[idx], index=probability.index, dtype="str")


def _decay(leads: pd.DataFrame, as_of: Any, half_life_days: float) -> np.ndarray:
    if half_life_days <= 0:
        raise LeadScoringError(f"half_life_days must be positive, got {half_life_days}.")
    cols = [c for c in ("last_activity_date", "created_date") if c in leads.columns]
    if not cols:
        raise LeadScoringError(
            "half_life_days needs a last_activity_date or created_date column to measure "
            "how long a lead has been idle. Fix: add one, or leave half_life_days=None.")
    when = pd.to_datetime(leads[cols[0]])
    for c in cols[1:]:
        when = when.fillna(pd.to_datetime(leads[c]))
    ref = pd.Timestamp(as_of if as_of is not None else dt.date.today())
    days = ((ref - when).dt.total_seconds() / 86400).clip(lower=0).fillna(0.0)
    return np.power(0.5, days.to_numpy(dtype=np.float64) / half_life_days)


def _fmt_value(v: Any) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "missing"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        if abs(f) >= 1000:
            return f"{f:,.0f}"
        return f"{int(f)}" if f.is_integer() else f"{f:.3g}"
    return str(v)


def _factor_text(leads: pd.DataFrame, contrib: pd.DataFrame, k: int) -> list[str]:
    cols = contrib.columns.to_numpy()
    values = contrib.to_numpy()
    raw = {c: leads[c].tolist() for c in cols}
    texts = []
    for i in range(len(values)):
        order = np.argsort(-np.abs(values[i]), kind="stable")[:k]
        parts = [f"{'+' if values[i, j] > 0 else '−'} {cols[j]}={_fmt_value(raw[cols[j]][i])}"
                 for j in order if abs(values[i, j]) > 1e-6]
        texts.append(", ".join(parts))
    return texts


# --------------------------------------------------------------------------- training


def _labelled(leads: pd.DataFrame, target: str, positive: str | None) -> tuple[pd.DataFrame,
                                                                             np.ndarray]:
    if not isinstance(leads, pd.DataFrame):
        raise LeadScoringError(f"leads must be a pandas DataFrame, got {type(leads).__name__}.")
    if target not in leads.columns:
        raise LeadScoringError(
            f"target column {target!r} is not in the table (columns: {list(leads.columns)}). "
            "Fix: pass target=<the outcome column>.")
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


def train(leads: pd.DataFrame, *, target: str = "status", positive: str | None = None,
          features: list[str] | None = None, exclude: Sequence[str] = (),
          budget: str | None = "budget", cv: int = 5, random_state: int = 0,
          candidates: Sequence[str] = ("logistic", "boosting")) -> LeadModel:
    """Fit a calibrated lead-conversion model on any table of leads with a binary outcome.

    Parameters
    ----------
    leads : pandas.DataFrame
        One row per lead. Rows whose outcome is blank (or ``"open"`` for salesnb's
        ``status``) are not used for training.
    target : str, default="status"
        Outcome column. ``status`` maps converted -> 1, lost -> 0, open -> unused; other
        columns may hold booleans or common codes (yes/no, y/n, true/false, 1/0, won/lost,
        converted/lost, success/failure; case-insensitive).
    positive : str, optional
        The value meaning "converted" when the codes are not recognised.
    features : list of str, optional
        Columns to use, exactly. Default: every column except the target, ids (``*_id``,
        ``id``, unique text), free text (more than 100 distinct values, over half unique),
        dates, constant or entirely missing columns, the known leakage columns of salesnb
        (:data:`LEAKAGE_COLUMNS`) and ``exclude``.
    exclude : sequence of str, default=()
        Columns to leave out (e.g. ``"duration"``, known only after a call).
    budget : str or None, default="budget"
        Deal-size column for ``expected_value`` at scoring time (it may also be a feature).
    cv : int, default=5
        Stratified folds for model choice, metrics and calibration.
    random_state : int, default=0
        Seed for folds and the boosting model.
    candidates : sequence of str, default=("logistic", "boosting")
        Model families to compare; the best cross-validated ROC AUC wins.

    Returns
    -------
    LeadModel
        With ``metrics_``, ``cv_results_`` and ``excluded_`` filled in.

    Raises
    ------
    LeadScoringError
        Target absent, not binary or a single class; fewer than 50 labelled rows or fewer
        than 10 of a class; unknown columns in ``features``/``exclude``; no usable feature.
    """
    bad = [c for c in candidates if c not in ("logistic", "boosting")] or not candidates
    if bad:
        raise LeadScoringError(
            f"unknown candidates {list(candidates)}; choose from 'logistic' and 'boosting'.")
    frame, y = _labelled(leads, target, positive)
    _check_size(y, target, cv)
    feats, excluded = _choose_features(frame, target, features, exclude, budget)
    if not feats:
        raise LeadScoringError(
            "no usable feature columns: " + ", ".join(f"{c} ({r})" for c, r in excluded.items())
            + ". Fix: add lead attributes or pass features= explicitly.")
    # OpenMP threads only pay off on large tables; on a busy machine they cost 10x on small ones
    with threadpool_limits(limits=1 if len(y) < 50_000 else None, user_api="openmp"):
        return _train(frame, y, target, feats, excluded, budget, cv, random_state,
                      list(candidates))


def _train(frame: pd.DataFrame, y: np.ndarray, target: str, feats: list[str],
           excluded: dict[str, str], budget: str | None, cv: int,
           random_state: int, names: list[str]) -> LeadModel:
    X = frame[feats]
    cat_mask = [not _is_numeric(X[c]) for c in feats]
    cands = {k: v for k, v in _candidates(random_state, cat_mask).items() if k in names}
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    splits = list(folds.split(np.zeros(len(y)), y))
    rows, oof = [], {}
    for name, pipe in cands.items():
        z = np.empty(len(y))
        aucs = []
        for tr, te in splits:
            fitted = clone(pipe).fit(X.iloc[tr], y[tr])
            z[te] = fitted.decision_function(X.iloc[te])
            aucs.append(roc_auc_score(y[te], z[te]))
        oof[name] = z
        rows.append({"model": name, "roc_auc_mean": float(np.mean(aucs)),
                     "roc_auc_std": float(np.std(aucs)),
                     **{f"fold_{i}": a for i, a in enumerate(aucs)}})
    cv_results = pd.DataFrame(rows)
    best = str(cv_results.loc[cv_results["roc_auc_mean"].idxmax(), "model"])
    z = oof[best]
    # Platt scaling: honest OOF probabilities via cross-fitting, final map on all OOF scores
    p_oof = np.empty(len(y))
    for tr, te in splits:
        a, b = _platt(z[tr], y[tr])
        p_oof[te] = _sigmoid(a * z[te] + b)
    calibration = _platt(z, y)
    pipeline = clone(cands[best]).fit(X, y)
    model = LeadModel(
        target_=target, features_=feats, excluded_=excluded, model_name_=best,
        pipeline_=pipeline, calibration_=calibration, base_value_=0.0,
        metrics_={
            "roc_auc": float(roc_auc_score(y, z)),
            "average_precision": float(average_precision_score(y, p_oof)),
            "brier": float(brier_score_loss(y, p_oof)),
            "lift_top_decile": _lift_top_decile(y, z),
            "n_train": int(len(y)),
            "positive_rate": float(y.mean()),
            "model": best,
            "candidates": dict(zip(cv_results["model"], cv_results["roc_auc_mean"], strict=True)),
        },
        cv_results_=cv_results, budget_=budget,
        oof_=pd.DataFrame({"y": y, "log_odds": z, "probability": p_oof}, index=frame.index),
    )
    model.base_value_ = _base_value(model, X)
    return model


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _base_value(model: LeadModel, X: pd.DataFrame) -> float:
    enc = model.pipeline_.named_steps["encode"]
    est = model.pipeline_.named_steps["model"]
    if model.model_name_ == "logistic":
        return float(est.intercept_[0] + enc.mean_ @ est.coef_[0])
    _, base = _hgb_paths(est, enc.transform(X.iloc[:1]))
    return base


# --------------------------------------------------------------------------- baselines


def rule_score(leads: pd.DataFrame) -> pd.Series:
    """The sales policy's screening score: needs + purchasing power + credit, 0 to 100.

    Points (:data:`RULE_POINTS`): ``needs_score`` 1/2/3/4/5 -> 0/10/20/30/40; ``budget``
    below 5,000 -> 0, 5,000 to 14,999 -> 10, 15,000 to 49,999 -> 20, 50,000 or more -> 30;
    ``credit_rating`` A/B/C/D -> 30/20/10/0. A missing value scores 0 points.

    Parameters
    ----------
    leads : pandas.DataFrame
        Must have ``needs_score``, ``budget`` and ``credit_rating``.

    Returns
    -------
    pandas.Series
        Float points 0-100, aligned with ``leads.index``, named ``rule_score``.
    """
    need = ["needs_score", "budget", "credit_rating"]
    missing = [c for c in need if c not in leads.columns]
    if missing:
        raise LeadScoringError(
            f"rule_score needs columns {need}; missing: {missing}. Fix: map them from your "
            "source (see salesnb/data/schema.py).")
    needs = _as_float(leads["needs_score"])
    pts = np.zeros(len(leads))
    for level, p in RULE_POINTS["needs_score"].items():
        pts += np.where(needs == level, p, 0)
    pts += np.where(needs > 5, 40, 0)
    budget = _as_float(leads["budget"])
    b_pts = np.zeros(len(leads))
    for low, p in RULE_POINTS["budget"]:
        b_pts = np.where(budget >= low, p, b_pts)
    pts += np.where(np.isnan(budget), 0, b_pts)
    credit = _as_text(leads["credit_rating"]).str.strip().str.upper()
    pts += credit.map(RULE_POINTS["credit_rating"]).astype("float64").fillna(0).to_numpy()
    return pd.Series(pts, index=leads.index, name="rule_score")


@dataclass
class Comparison:
    """Hold-out comparison of lead-scoring approaches (returned by :func:`compare`).

    Attributes
    ----------
    metrics : pandas.DataFrame
        Indexed by approach (``model``, ``plain_logistic``, ``rule``): roc_auc,
        average_precision, brier (NaN for the rule score, not a probability),
        lift_top_decile, n_test.
    scores : pandas.DataFrame
        The hold-out rows: ``y`` (1 converted) and one score column per approach.
    model : LeadModel
        Our model, fitted on the training split.
    probabilities : list of str
        Which score columns are calibrated probabilities.
    """

    metrics: pd.DataFrame
    scores: pd.DataFrame
    model: LeadModel
    probabilities: list[str]


def compare(leads: pd.DataFrame, *, target: str = "status", positive: str | None = None,
            test_size: float = 0.3, random_state: int = 0, **train_kwargs: Any) -> Comparison:
    """Our model vs a plain logistic regression vs the rule score, on the same hold-out.

    Parameters
    ----------
    leads : pandas.DataFrame
        Labelled leads (unlabelled rows are dropped).
    target, positive : str
        As in :func:`train`.
    test_size : float, default=0.3
        Share of labelled rows held out (stratified).
    random_state : int, default=0
        Seed of the split and of the models.
    **train_kwargs
        Passed to :func:`train` (``features``, ``exclude``, ``cv``...).

    Returns
    -------
    Comparison
        Metrics and hold-out scores. The rule score is included only when the table has
        ``needs_score``, ``budget`` and ``credit_rating``.
    """
    frame, y = _labelled(leads, target, positive)
    _check_size(y, target, 2)
    idx_tr, idx_te = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y,
                                      random_state=random_state)
    tr, te = frame.iloc[idx_tr], frame.iloc[idx_te]
    model = train(tr, target=target, positive=positive, random_state=random_state,
                  **train_kwargs)
    plain = Pipeline([("encode", _LeadEncoder(mode="linear")),
                      ("model", LogisticRegression(max_iter=2000))])
    plain.fit(tr[model.features_], y[idx_tr])
    scores = pd.DataFrame({"y": y[idx_te]}, index=te.index)
    scores["model"] = model.predict_proba(te).to_numpy()
    scores["plain_logistic"] = plain.predict_proba(te[model.features_])[:, 1]
    probs = ["model", "plain_logistic"]
    if {"needs_score", "budget", "credit_rating"} <= set(te.columns):
        scores["rule"] = rule_score(te).to_numpy()
    yt = scores["y"].to_numpy()
    rows = {}
    for col in scores.columns.drop("y"):
        s = scores[col].to_numpy()
        rows[col] = {
            "roc_auc": roc_auc_score(yt, s),
            "average_precision": average_precision_score(yt, s),
            "brier": brier_score_loss(yt, s) if col in probs else np.nan,
            "lift_top_decile": _lift_top_decile(yt, s),
            "n_test": len(yt),
        }
    metrics = pd.DataFrame.from_dict(rows, orient="index")
    metrics.index.name = "approach"
    return Comparison(metrics=metrics, scores=scores, model=model, probabilities=probs)


# --------------------------------------------------------------------------- descriptive tables


def _wilson(k: np.ndarray, n: np.ndarray, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def conversion_by(leads: pd.DataFrame, by: str | list[str], *, bins: int | None = 5,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Leads and conversion per group, with a Wilson confidence interval.

    Parameters
    ----------
    leads : pandas.DataFrame
        salesnb leads (needs ``status``: converted / lost / open).
    by : str or list of str
        Grouping column(s). A numeric column with more than ``2 * bins`` distinct values is
        cut into ``bins`` quantile bins first.
    bins : int or None, default=5
        Quantile bins for many-valued numeric columns; None to group by raw values.
    confidence : float, default=0.95
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group(s): leads, converted, lost, open, closed, conversion_rate
        (converted / closed), ci_low, ci_high.
    """
    from scipy.stats import norm

    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols + ["status"] if c not in leads.columns]
    if missing:
        raise LeadScoringError(
            f"conversion_by needs columns {missing} that are not in the table. Fix: check "
            "the names (status must hold converted/lost/open).")
    keys = {}
    for c in cols:
        s = leads[c]
        if bins and _is_numeric(s) and s.nunique() > 2 * bins:
            keys[c] = pd.qcut(_as_float(s), bins, duplicates="drop")
        else:
            keys[c] = s
    status = _as_text(leads["status"]).str.strip().str.lower()
    tab = pd.DataFrame({
        "leads": 1,
        "converted": (status == "converted").astype(int),
        "lost": (status == "lost").astype(int),
        "open": (status == "open").astype(int),
    }, index=leads.index)
    grouped = tab.groupby([pd.Series(np.asarray(v), index=leads.index, name=k)
                           if not isinstance(v, pd.Series) else v.rename(k)
                           for k, v in keys.items()], observed=True, dropna=False).sum()
    grouped["closed"] = grouped["converted"] + grouped["lost"]
    k = grouped["converted"].to_numpy(float)
    n = grouped["closed"].to_numpy(float)
    z = float(norm.ppf(0.5 + confidence / 2))
    low, high = _wilson(k, n, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        grouped["conversion_rate"] = k / n
    grouped["ci_low"], grouped["ci_high"] = low, high
    return grouped


def funnel(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Opportunities reaching each pipeline stage, and how long they stay there.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        salesnb opportunities: ``stage`` and the ``<stage>_date`` columns plus
        ``closed_date``.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (visit, needs, quote, negotiation, contract, won): reached,
        share_of_visits, stage_conversion (reached / reached at the previous stage) and
        median_days_in_stage (from entering the stage to the next recorded date: the next
        stage or the close; NaN for won).
    """
    need = [f"{s}_date" for s in _STAGES[:-1]] + ["closed_date", "stage"]
    missing = [c for c in need if c not in opportunities.columns]
    if missing:
        raise LeadScoringError(
            f"funnel needs opportunity columns {missing}. Fix: load the opportunities table "
            "with its stage dates.")
    stage = _as_text(opportunities["stage"]).str.strip().str.lower()
    dates = {s: pd.to_datetime(opportunities[f"{s}_date"]) for s in _STAGES[:-1]}
    dates["won"] = pd.to_datetime(opportunities["closed_date"]).where(stage == "won")
    closed = pd.to_datetime(opportunities["closed_date"])
    rows = []
    for i, s in enumerate(_STAGES):
        reached = int(dates[s].notna().sum())
        if s == "won":
            median_days = np.nan
        else:
            nxt = closed
            for later in reversed(_STAGES[i + 1:-1]):
                nxt = dates[later].fillna(nxt)
            days = (nxt - dates[s]).dt.days
            median_days = float(days.median()) if days.notna().any() else np.nan
        rows.append({"stage": s, "reached": reached, "median_days_in_stage": median_days})
    out = pd.DataFrame(rows).set_index("stage")
    first = out["reached"].iloc[0]
    out.insert(1, "share_of_visits", out["reached"] / first if first else np.nan)
    prev = out["reached"].shift(1)
    out.insert(2, "stage_conversion", (out["reached"] / prev.where(prev > 0)))
    return out


# --------------------------------------------------------------------------- plots


def _score_columns(comparison: Comparison) -> list[str]:
    return [c for c in comparison.scores.columns if c != "y"]


def plot_gains(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """Cumulative gains: share of conversions found when working the top x% of leads.

    Parameters
    ----------
    comparison : Comparison
        From :func:`compare`.
    ax : matplotlib Axes, optional
        Where to draw (a new figure otherwise).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    y = comparison.scores["y"].to_numpy()
    share = np.arange(1, len(y) + 1) / len(y)
    for col in _score_columns(comparison):
        order = np.argsort(-comparison.scores[col].to_numpy(), kind="stable")
        gains = np.cumsum(y[order]) / max(y.sum(), 1)
        auc = comparison.metrics.loc[col, "roc_auc"]
        ax.plot(np.r_[0, share], np.r_[0, gains], label=f"{col} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
    ax.set_xlabel("share of leads worked (highest score first)")
    ax.set_ylabel("share of conversions found")
    ax.set_title("Cumulative gains on the hold-out")
    ax.legend(loc="lower right")
    return ax


def plot_calibration(comparison: Comparison, ax: Axes | None = None, *,
                     n_bins: int = 10) -> Axes:
    """Reliability diagram: predicted probability vs observed conversion rate.

    Parameters
    ----------
    comparison : Comparison
        From :func:`compare`; only probability scores are drawn.
    ax : matplotlib Axes, optional
        Where to draw (a new figure otherwise).
    n_bins : int, default=10
        Quantile bins of the predicted probability.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    y = comparison.scores["y"]
    top = 0.0
    for col in comparison.probabilities:
        p = comparison.scores[col]
        b = pd.qcut(p.rank(method="first"), n_bins, labels=False)
        g = pd.DataFrame({"p": p, "y": y}).groupby(b).mean()
        ax.plot(g["p"], g["y"], marker="o", label=col)
        top = max(top, float(g.to_numpy().max()))
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect")
    ax.set_xlabel("predicted probability (bin mean)")
    ax.set_ylabel("observed conversion rate")
    ax.set_title("Calibration on the hold-out")
    ax.legend(loc="upper left")
    return ax


def plot_conversion(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bar chart of a :func:`conversion_by` table with its confidence intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`conversion_by`.
    ax : matplotlib Axes, optional
        Where to draw (a new figure otherwise).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    labels = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in table.index]
    rate = table["conversion_rate"].to_numpy(float)
    err = np.vstack([rate - table["ci_low"].to_numpy(float),
                     table["ci_high"].to_numpy(float) - rate])
    ax.bar(labels, rate, yerr=err, capsize=3, color="tab:blue", alpha=0.8)
    ax.set_ylabel("conversion rate (closed leads)")
    ax.set_xlabel(" / ".join(str(n) for n in table.index.names))
    ax.tick_params(axis="x", rotation=45)
    ax.set_title("Conversion rate with 95% interval")
    return ax
