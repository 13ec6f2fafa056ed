"""Decisions from the assessment: scores over time, promotion candidates, training needs.

Examples
--------
>>> import salesnb as sn
>>> d = sn.load("data")                                                   # doctest: +SKIP
>>> hist = sn.assessment.history(d, ["2025Q1", "2025Q2", "2025Q3", "2025Q4"])  # doctest: +SKIP
>>> sn.assessment.promotion_candidates(hist, reps=d.reps)                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import AssessmentError, counts
from salesnb.assessment.defaults import DEFAULT_WEIGHTS, TRAINING
from salesnb.assessment.periods import PeriodOutsideError
from salesnb.assessment.scoring import Scorecard, check_weights, scorecard
from salesnb.core.columns import require_columns
from salesnb.core.fmt import number, pct
from salesnb.core.periods import parse_as_of, parse_period, period_freq

__all__ = ["history", "promotion_candidates", "training_needs"]

#: KPIs that are shares (shown as percentages).
_SHARES = ("attainment", "win_rate", "lead_conversion")


def history(data: Any, periods: Sequence[str | pd.Period], *,
            weights: Mapping[str, float] | None = None, freq: str | None = None
            ) -> pd.DataFrame:
    """Scores and ranks of every rep over several periods (no rank draws, for speed).

    A period the data has nothing in (before it starts, say) is left out, not an error:
    ``attrs["left_out"]`` of the result says which and why, ``attrs["periods"]`` which were
    scored.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        The tables (see :func:`~salesnb.assessment.blocks.counts`).
    periods : sequence of str or pandas.Period
        The periods scored, all of one length ("2025Q1", ...; "2024", "2025"; see
        :func:`~salesnb.assessment.periods.recent_periods`).
    weights : mapping, optional
        KPI -> weight; default the default weights.
    freq : {"M", "Q", "Y"}, optional
        Read the periods as this length; default their own.

    Returns
    -------
    pandas.DataFrame
        Long: rep_id, period, score, rank, attainment and every KPI's shrunk estimate; no rows
        when no period could be scored.

    Raises
    ------
    AssessmentError
        Invalid weights, or periods of different lengths.
    PeriodError
        A period that cannot be read.
    """
    w = check_weights(DEFAULT_WEIGHTS if weights is None else weights)
    ps = [parse_period(p, freq) for p in periods]
    kinds = sorted({period_freq(p) for p in ps})
    if len(kinds) > 1:
        raise AssessmentError(f"history: the periods mix lengths ({', '.join(map(str, ps))}); "
                              "give months, quarters or years, not a mix.")
    frames, left = [], {}
    blocks = counts(data, freq=kinds[0]) if ps else None
    for p in ps:
        try:
            card = scorecard(data, period=p, weights=w, draws=0, blocks=blocks)
        except AssessmentError as exc:  # nothing in that period: left out, said in attrs
            left[str(p)] = ("the data has nothing in it" if isinstance(exc, PeriodOutsideError)
                            else str(exc))
            continue
        t = card.table.reset_index()
        t.insert(1, "period", str(card.period))
        frames.append(t)
    out = (pd.concat(frames, ignore_index=True) if frames else
           pd.DataFrame(columns=["rep_id", "period", "score", "rank", "attainment"]))
    out.attrs["periods"] = [str(p) for p in ps if str(p) not in left]
    out.attrs["left_out"] = left
    return out


def promotion_candidates(hist: pd.DataFrame, *, top: float = 0.25, min_periods: int = 3,
                         min_tenure_years: float = 1.0, reps: pd.DataFrame | None = None,
                         as_of: Any = None) -> pd.DataFrame:
    """Reps in the top ``top`` share in at least ``min_periods`` of the periods in ``hist``.

    Parameters
    ----------
    hist : pandas.DataFrame
        From :func:`history`.
    top : float, default=0.25
        The share of the ranking that counts as the top.
    min_periods : int, default=3
        Periods in the top share needed.
    min_tenure_years : float, default=1.0
        Years since hiring needed (with ``reps``).
    reps : pandas.DataFrame, optional
        The org (rep_id, hire_date, optionally status): keeps active reps with the tenure.
    as_of : str or date, optional
        The day tenure is counted to; default today.

    Returns
    -------
    pandas.DataFrame
        rep_id, periods in the top share (of how many), mean score, mean attainment, best and
        worst rank, and the reason; active reps with enough tenure only (when ``reps`` given).
    """
    require_columns(hist, ["rep_id", "period", "score", "rank", "attainment"], table="the history",
                    fix="pass the frame assessment.history returns")
    h = hist.dropna(subset=["score"])
    size = h.groupby("period")["rank"].transform("count")
    h = h.assign(in_top=h["rank"] <= np.ceil(size * top))
    g = h.groupby("rep_id")
    out = pd.DataFrame({"periods_top": g["in_top"].sum().astype(int), "periods": g.size(),
                        "mean_score": g["score"].mean(), "mean_attainment": g["attainment"]
                        .mean(), "best_rank": g["rank"].min(), "worst_rank": g["rank"].max()})
    out = out[out["periods_top"] >= min_periods]
    if reps is not None and not out.empty:
        require_columns(reps, ["rep_id", "hire_date"], table="reps",
                        fix="pass the reps table (rep_id, hire_date, status)")
        info = reps.set_index(reps["rep_id"].astype("str"))
        day = pd.Timestamp(parse_as_of(as_of))
        tenure = (day - pd.to_datetime(info["hire_date"])).dt.days / 365.25
        ok = (info.get("status", pd.Series("active", index=info.index)).fillna("active")
              == "active") & (tenure >= min_tenure_years)
        out = out[ok.reindex(out.index, fill_value=False)]
    out["reason"] = [f"top {top:.0%} in {r.periods_top} of {r.periods} periods, mean score "
                     f"{r.mean_score:.0f}" + (f", mean attainment {r.mean_attainment:.0%}"
                                               if pd.notna(r.mean_attainment) else "")
                     for r in out.itertuples()]
    return out.sort_values(["periods_top", "mean_score"], ascending=False).reset_index()


def training_needs(card: Scorecard, *, below: float = 75.0) -> pd.DataFrame:
    """Each rep's weakest KPI under ``below`` points, and the training it calls for.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    below : float, default=75.0
        Points (0-100) under which a KPI calls for training.

    Returns
    -------
    pandas.DataFrame
        rep_id, weakest KPI, its points, the rep's value and the team's, the training and
        the reason; reps whose every KPI is at or above ``below`` are not listed.
    """
    t = card.table
    rows = []
    for rep, rec in t.iterrows():
        pts = {k: rec.get(f"{k}_points", np.nan) for k in TRAINING if f"{k}_points" in t}
        pts = {k: v for k, v in pts.items() if pd.notna(v)}
        if not pts:
            continue
        kpi = min(pts, key=lambda k: pts[k])
        if pts[kpi] >= below:
            continue
        team = float(t[f"{kpi}_est"].mean())
        value = float(rec[f"{kpi}_est"])
        rows.append({"rep_id": rep, "weakest_kpi": kpi, "points": pts[kpi], "value": value,
                     "team": team, "training": TRAINING[kpi],
                     "reason": f"{kpi.replace('_', ' ')} {_fmt(kpi, value)} against the "
                               f"team's {_fmt(kpi, team)} ({pts[kpi]:.0f} points)"})
    return pd.DataFrame(rows, columns=["rep_id", "weakest_kpi", "points", "value", "team",
                                       "training", "reason"]).sort_values("points")


def _fmt(kpi: str, value: float) -> str:
    """A KPI's value as the reason for a training need says it."""
    if kpi in _SHARES:
        return pct(value)
    return number(value, digits=2 if kpi == "satisfaction" else 1)
