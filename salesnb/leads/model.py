"""The lead-conversion model: :func:`train` fits it, :class:`LeadModel` scores and explains.

:func:`train` fits a calibrated conversion model on any table of lead attributes with a binary
outcome (salesnb's ``leads`` table or e.g. a bank-marketing extract) and returns a
:class:`LeadModel`; :meth:`LeadModel.score` gives every lead a probability, an expected value,
a tier and a short text of the factors that raised or lowered *its* score;
:meth:`LeadModel.explain` gives the exact additive per-feature contributions
(:mod:`salesnb.leads.explain`).

Modelling choices
-----------------
Two candidates are compared by stratified cross-validated ROC AUC: an L2-regularised
:class:`~sklearn.linear_model.LogisticRegression` (numbers imputed with the median plus a
missing indicator and standardised; text one-hot encoded with rare categories grouped) and a
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` (numbers as they are, missing values
handled natively; text as native categories with rare ones grouped); the encoding is
:mod:`salesnb.leads.features`. The better one is refitted on all labelled rows. Probabilities
are calibrated with Platt scaling fitted on the out-of-fold scores (a strictly increasing map,
so the ranking of leads is unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from salesnb.core.periods import parse_as_of
from salesnb.leads.defaults import DEFAULT_TIERS, MAX_TRAIN_LEADS
from salesnb.leads.errors import LeadScoringError
from salesnb.leads.explain import _base_value, _contributions, _factor_text
from salesnb.leads.features import (
    _as_float,
    _check_size,
    _choose_features,
    _is_numeric,
    _labelled,
    _LeadEncoder,
)
from salesnb.leads.tiers import _check_tiers, tier_of

__all__ = ["LeadModel", "train", "sample_labelled"]

_CHUNK = 250_000


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
        positive_rate, model (chosen name), folds (of the cross-validation) and candidates
        ({name: CV ROC AUC}).
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
        out = _contributions(self.pipeline_, self.model_name_, self.features_,
                             self._encode(leads))
        return pd.DataFrame(out, index=leads.index, columns=list(self.features_))

    # scoring ------------------------------------------------------------------------------
    def score(self, leads: pd.DataFrame, *, tiers: tuple[float, float, float] = DEFAULT_TIERS,
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
            Reference day for the decay (ISO text, a date or a timestamp; default or empty:
            today).
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
    ref = pd.Timestamp(parse_as_of(as_of))
    days = ((ref - when).dt.total_seconds() / 86400).clip(lower=0).fillna(0.0)
    return np.power(0.5, days.to_numpy(dtype=np.float64) / half_life_days)


def train(leads: pd.DataFrame, *, target: str = "status", positive: str | None = None,
          features: list[str] | None = None, exclude: Sequence[str] = (),
          budget: str | None = "budget", cv: int = 5, random_state: int = 0,
          candidates: Sequence[str] = ("logistic", "boosting"),
          max_rows: int | None = MAX_TRAIN_LEADS) -> LeadModel:
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
    max_rows : int or None, default=200000
        With more labelled leads, the model learns from a random sample of this many,
        stratified by outcome and seeded by ``random_state``
        (:data:`~salesnb.leads.defaults.MAX_TRAIN_LEADS`; None: every one).

    Returns
    -------
    LeadModel
        With ``metrics_``, ``cv_results_`` and ``excluded_`` filled in; ``metrics_``
        counts the leads learnt from (``n_train``) and the labelled leads there were
        (``n_labelled``).

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
    labelled = len(y)
    frame, y = sample_labelled(frame, y, max_rows, random_state)
    feats, excluded = _choose_features(frame, target, features, exclude, budget)
    if not feats:
        raise LeadScoringError(
            "no usable feature columns: " + ", ".join(f"{c} ({r})" for c, r in excluded.items())
            + ". Fix: add lead attributes or pass features= explicitly.")
    # OpenMP threads only pay off on large tables; on a busy machine they cost 10x on small ones
    with threadpool_limits(limits=1 if len(y) < 50_000 else None, user_api="openmp"):
        model = _train(frame, y, target, feats, excluded, budget, cv, random_state,
                       list(candidates))
    model.metrics_["n_labelled"] = labelled
    return model


def sample_labelled(frame: pd.DataFrame, y: np.ndarray, max_rows: int | None,
                    random_state: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """At most ``max_rows`` labelled leads: a seeded sample stratified by outcome.

    Parameters
    ----------
    frame : pandas.DataFrame
        Labelled leads.
    y : numpy.ndarray
        Their outcomes (0/1), aligned with ``frame``.
    max_rows : int or None
        The most kept; None or at least ``len(y)``: all, unchanged.
    random_state : int, default=0
        Seed of the sample.

    Returns
    -------
    tuple of (pandas.DataFrame, numpy.ndarray)
        The rows kept in their original order, and their outcomes.
    """
    if max_rows is None or len(y) <= max_rows:
        return frame, y
    keep, _ = train_test_split(np.arange(len(y)), train_size=int(max_rows), stratify=y,
                               random_state=random_state)
    keep = np.sort(keep)
    return frame.iloc[keep], y[keep]


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
            "folds": cv,
            "candidates": dict(zip(cv_results["model"], cv_results["roc_auc_mean"], strict=True)),
        },
        cv_results_=cv_results, budget_=budget,
        oof_=pd.DataFrame({"y": y, "log_odds": z, "probability": p_oof}, index=frame.index),
    )
    model.base_value_ = _base_value(pipeline, best, X)
    return model


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])
