"""Why a lead scores as it does: per-feature contributions to its log-odds, and their texts.

Contributions are in log-odds of the uncalibrated model and add up exactly to it:
``contributions.sum(axis=1) + base value == decision_function``.

* Logistic model: exact, ``coef * (transformed value - training mean)``, summed over the
  columns a feature produces.
* Gradient boosting: *path attributions* (Saabas' method): walking every tree from the root to
  the lead's leaf, each change in the node's expected value is credited to the feature of the
  split. They are cheap (no extra dependency such as LightGBM or SHAP), but unlike TreeSHAP
  they slightly favour features split near the leaves; read them as "what moved this lead's
  score", not as a causal effect.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

__all__: list[str] = []


def _contributions(pipeline: Pipeline, model_name: str, features: list[str],
                   X: np.ndarray) -> np.ndarray:
    """(n, len(features)) contributions to the raw log-odds of the encoded rows ``X``."""
    enc = pipeline.named_steps["encode"]
    model = pipeline.named_steps["model"]
    if model_name == "logistic":
        per_col = (X - enc.mean_) * model.coef_[0]
        out = np.zeros((len(X), len(features)))
        for k, c in enumerate(features):
            out[:, k] = per_col[:, enc.origin_ == c].sum(axis=1)
        return out
    return _hgb_paths(model, X)[0]


def _base_value(pipeline: Pipeline, model_name: str, X: pd.DataFrame) -> float:
    """Raw log-odds of the "average" lead, from which the contributions add up."""
    enc = pipeline.named_steps["encode"]
    est = pipeline.named_steps["model"]
    if model_name == "logistic":
        return float(est.intercept_[0] + enc.mean_ @ est.coef_[0])
    _, base = _hgb_paths(est, enc.transform(X.iloc[:1]))
    return base


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
