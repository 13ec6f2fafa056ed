"""Descriptive tables of the lead report: conversion per group, and the pipeline funnel.

* :func:`conversion_by` -- leads and conversion rate per group (e.g. per collection channel),
  with a Wilson confidence interval, so a small group's rate is not over-read.
* :func:`funnel` -- opportunities reaching each stage of the customer-development process
  (:data:`salesnb.data.schema.FUNNEL`, then won), and the median days spent in each stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.data.schema import FUNNEL
from salesnb.leads.features import _as_float, _as_text, _is_numeric

__all__ = ["conversion_by", "funnel"]

#: The stages :func:`funnel` counts: the open ones (the schema's FUNNEL), then "won".
_COUNTED_STAGES: tuple[str, ...] = (*FUNNEL, "won")


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

    Raises
    ------
    ColumnError
        When a grouping column or ``status`` is missing.
    """
    from scipy.stats import norm

    cols = [by] if isinstance(by, str) else list(by)
    require_columns(leads, cols + ["status"], table="the leads table",
                    fix="check the names in by= (status must hold converted/lost/open)")
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

    Raises
    ------
    ColumnError
        When ``stage``, ``closed_date`` or a stage date column is missing.
    """
    require_columns(opportunities, [f"{s}_date" for s in FUNNEL] + ["closed_date", "stage"],
                    table="the opportunities table",
                    fix="load the opportunities table with its stage dates")
    stage = _as_text(opportunities["stage"]).str.strip().str.lower()
    dates = {s: pd.to_datetime(opportunities[f"{s}_date"]) for s in FUNNEL}
    dates["won"] = pd.to_datetime(opportunities["closed_date"]).where(stage == "won")
    closed = pd.to_datetime(opportunities["closed_date"])
    rows = []
    for i, s in enumerate(_COUNTED_STAGES):
        reached = int(dates[s].notna().sum())
        if s == "won":
            median_days = np.nan
        else:
            nxt = closed
            for later in reversed(FUNNEL[i + 1:]):
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
