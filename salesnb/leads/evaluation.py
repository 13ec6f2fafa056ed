"""Does the model earn its keep? The policy's rule score and a hold-out comparison.

* :func:`rule_score` is the sales policy's screening score (needs, purchasing power, credit),
  the baseline the model must beat.
* :func:`compare` evaluates the model, a plain logistic regression and the rule score on the
  same stratified hold-out and returns a :class:`Comparison`; :meth:`Comparison.beats` says
  whether the model ranks better than a baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from salesnb.core.columns import require_columns
from salesnb.leads.defaults import MAX_TRAIN_LEADS
from salesnb.leads.features import _as_float, _as_text, _check_size, _labelled, _LeadEncoder
from salesnb.leads.model import LeadModel, _lift_top_decile, sample_labelled, train

__all__ = ["RULE_POINTS", "rule_score", "Comparison", "compare"]

#: Points of :func:`rule_score` (the sales policy's screening grid; 100 at most).
RULE_POINTS: dict[str, Any] = {
    "needs_score": {1: 0, 2: 10, 3: 20, 4: 30, 5: 40},
    "budget": [(0.0, 0), (5_000.0, 10), (15_000.0, 20), (50_000.0, 30)],
    "credit_rating": {"A": 30, "B": 20, "C": 10, "D": 0},
}
_RULE_COLUMNS = tuple(RULE_POINTS)


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

    Raises
    ------
    ColumnError
        When one of the three columns is missing.
    """
    require_columns(leads, list(_RULE_COLUMNS), table="the leads table",
                    fix="map them from your source (see salesnb/data/schema.py)")
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

    def beats(self, baseline: str, *, margin: float = 0.0) -> bool:
        """Whether the model's hold-out ROC AUC exceeds ``baseline``'s by more than ``margin``.

        Parameters
        ----------
        baseline : {"rule", "plain_logistic"}
            The approach to compare with (a row of :attr:`metrics`).
        margin : float, default=0.0
            Lead in ROC AUC the model needs (e.g. 0.005: "about as good" within it).

        Returns
        -------
        bool
            True when ``auc(model) - auc(baseline) > margin``.

        Raises
        ------
        KeyError
            When ``baseline`` was not evaluated (the rule score needs its three columns).
        """
        auc = self.metrics["roc_auc"]
        return bool(auc["model"] - auc[baseline] > margin)


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
        ``needs_score``, ``budget`` and ``credit_rating``. With more labelled leads than
        :data:`~salesnb.leads.defaults.MAX_TRAIN_LEADS` learnt from, the comparison runs on
        a seeded sample, stratified by outcome, whose training part is that many.
    """
    frame, y = _labelled(leads, target, positive)
    _check_size(y, target, 2)
    cap = train_kwargs.get("max_rows", MAX_TRAIN_LEADS)
    if cap is not None:
        frame, y = sample_labelled(frame, y, int(cap / (1 - test_size)), random_state)
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
    if set(_RULE_COLUMNS) <= set(te.columns):
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
