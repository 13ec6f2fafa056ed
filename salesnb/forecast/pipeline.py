"""The open pipeline as a forecast: win rates per stage, expected closes, and the blend.

* :func:`stage_win_rates` estimates how often deals at each funnel stage end up won;
* :func:`open_pipeline` and :func:`pipeline_forecast` turn the open opportunities into
  expected revenue per month;
* :func:`won_series` is the monthly value of won deals (the pipeline's own scope);
* :func:`blend` mixes the weighted pipeline with a statistical forecast, :func:`plot_blend`
  draws both; :func:`won_deals_blend` does it for the won deals of an opportunities table.

The funnel stages are :data:`salesnb.data.schema.FUNNEL` (open) and
:data:`~salesnb.data.schema.CLOSED` (``won``/``lost``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypeAlias

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from salesnb.core.columns import require_columns
from salesnb.core.periods import parse_day
from salesnb.core.plots import axes
from salesnb.data.schema import CLOSED, FUNNEL
from salesnb.errors import PeriodError, SalesnbError
from salesnb.forecast.models import INTERVAL_COLUMNS, forecast

__all__ = ["stage_win_rates", "open_pipeline", "pipeline_forecast", "won_series", "blend",
           "plot_blend", "won_deals_blend", "last_activity"]

_OPPORTUNITIES_FIX = "pass data.opportunities from salesnb.load()"
_DayLike: TypeAlias = dt.date | str | pd.Timestamp


def _cut(as_of: _DayLike) -> pd.Timestamp:
    """The cut-off day as a timestamp (midnight); an empty ``as_of`` is an error here."""
    day = parse_day(as_of, name="as_of")
    if day is None:
        raise PeriodError("as_of is needed: the day the pipeline stands at, e.g. 2025-12-31")
    return pd.Timestamp(day)


def last_activity(opportunities: pd.DataFrame) -> dt.date | None:
    """The last day anything happened in the opportunities table (created, a stage, closed).

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities table.

    Returns
    -------
    datetime.date or None
        The latest of its date columns' values; None when it has no date.
    """
    cols = [c for c in ("created_date", "closed_date", *(f"{s}_date" for s in FUNNEL))
            if c in opportunities.columns]
    if not cols or opportunities.empty:
        return None
    last = max((pd.to_datetime(opportunities[c]).max() for c in cols),
               key=lambda v: pd.Timestamp.min if pd.isna(v) else v)
    return None if pd.isna(last) else last.date()


def stage_win_rates(opportunities: pd.DataFrame, *,
                    as_of: _DayLike | None = None) -> pd.DataFrame:
    """Probability of winning from each funnel stage, estimated from closed deals.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities table (stage, closed_date and one ``<stage>_date`` column per
        funnel stage).
    as_of : date-like, optional
        Only learn from deals closed on or before this date (no look-ahead in backtests).

    Returns
    -------
    pandas.DataFrame
        Indexed by stage in funnel order: reached (closed deals that reached the stage),
        won (of those, how many were won), win_rate (won / reached, NaN if none reached)
        and median_days_to_close (median days from the stage date to closed_date among
        won deals).
    """
    o = opportunities
    require_columns(o, ["stage", "closed_date", *(f"{s}_date" for s in FUNNEL)],
                    table="opportunities", fix=_OPPORTUNITIES_FIX)
    closed = o[o["stage"].isin(CLOSED) & o["closed_date"].notna()]
    day = parse_day(as_of, name="as_of")
    if day is not None:
        closed = closed[closed["closed_date"] <= pd.Timestamp(day)]
    won = closed["stage"] == "won"
    rows = []
    for stage in FUNNEL:
        col = f"{stage}_date"
        reached = closed[col].notna()
        days = (closed.loc[won & reached, "closed_date"]
                - closed.loc[won & reached, col]).dt.days
        n_reached, n_won = int(reached.sum()), int((won & reached).sum())
        rows.append({"stage": stage, "reached": n_reached, "won": n_won,
                     "win_rate": n_won / n_reached if n_reached else np.nan,
                     "median_days_to_close": float(days.median()) if len(days) else np.nan})
    return pd.DataFrame(rows).set_index("stage")


def open_pipeline(opportunities: pd.DataFrame, *, as_of: _DayLike,
                  stage_probability: Mapping[str, float] | None = None,
                  rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open opportunities at ``as_of`` with their stage, win probability and expected close.

    An opportunity is open at ``as_of`` when it was created on or before that date and not
    closed by then. Its stage at ``as_of`` is the furthest funnel stage whose date is on or
    before ``as_of`` (``visit`` with the created date if none is). Expected close =
    that stage's date + the median days from that stage to close among won deals (from
    :func:`stage_win_rates` with the same ``as_of``); overdue deals are expected the day
    after ``as_of``.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities table.
    as_of : date-like
        The cut-off date.
    stage_probability : mapping of str to float, optional
        Win probability per stage (0..1), overriding the estimated ones for those stages.
    rates : pandas.DataFrame, optional
        The stage table to weight and date the deals with (as :func:`stage_win_rates`
        returns), learnt elsewhere: a region's or rep's deals are weighted by the company's
        rates, so a deal weighs the same on every page. Default: learnt from
        ``opportunities`` up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        opportunity_id, stage_at_as_of, stage_date, amount, win_probability,
        weighted_amount, expected_close; ``attrs["stage_win_rates"]`` holds the table used.
    """
    cut = _cut(as_of)
    if rates is None:
        rates = stage_win_rates(opportunities, as_of=cut)
    prob = rates["win_rate"].copy()
    for stage, p in (stage_probability or {}).items():
        if stage not in prob.index:
            raise SalesnbError(f"unknown stage {stage!r} in stage_probability; "
                               f"use one of {', '.join(FUNNEL)}")
        if not 0 <= p <= 1:
            raise SalesnbError(f"stage_probability[{stage!r}] = {p} is not between 0 and 1")
        prob[stage] = p
    o = opportunities
    require_columns(o, ["opportunity_id", "created_date", "amount"], table="opportunities",
                    fix=_OPPORTUNITIES_FIX)
    is_open = (o["created_date"] <= cut) & (o["closed_date"].isna() | (o["closed_date"] > cut))
    deals = o[is_open]
    stage = pd.Series("visit", index=deals.index, dtype=object)
    stage_date = deals["created_date"].copy()
    for s in FUNNEL:
        d = deals[f"{s}_date"]
        hit = d.notna() & (d <= cut)
        stage[hit] = s
        stage_date[hit] = d[hit]
    days = rates["median_days_to_close"]
    days = days.fillna(days.median() if days.notna().any() else 0.0)
    expected = stage_date + pd.to_timedelta(stage.map(days).astype(float), unit="D")
    expected = expected.where(expected > cut, cut + pd.Timedelta(days=1))
    amount = deals["amount"].astype(float).fillna(0.0)
    p = stage.map(prob).astype(float).fillna(0.0)
    out = pd.DataFrame({
        "opportunity_id": deals["opportunity_id"],
        "stage_at_as_of": stage.astype(str),
        "stage_date": stage_date,
        "amount": amount,
        "win_probability": p,
        "weighted_amount": amount * p,
        "expected_close": expected.dt.normalize(),
    }).reset_index(drop=True)
    out.attrs["stage_win_rates"] = rates.assign(probability_used=prob)
    return out


def pipeline_forecast(opportunities: pd.DataFrame, *, as_of: _DayLike,
                      months: int = 3,
                      stage_probability: Mapping[str, float] | None = None,
                      rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Probability-weighted open pipeline per expected close month.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities table.
    as_of : date-like
        The cut-off date; the horizon starts with the month of the day after ``as_of`` (so
        ``as_of="2025-12-31"`` gives January 2026 onwards).
    months : int, default 3
        Number of months in the horizon. Deals expected to close later are left out
        (counted in ``attrs["beyond_horizon"]``).
    stage_probability : mapping of str to float, optional
        Win probability per stage, overriding the historical estimates.
    rates : pandas.DataFrame, optional
        The stage table learnt elsewhere (see :func:`open_pipeline`).

    Returns
    -------
    pandas.DataFrame
        One row per horizon month (also months without deals): month (period start),
        open_count, pipeline_amount, weighted_amount. ``attrs["stage_win_rates"]`` holds
        the stage table (see :func:`stage_win_rates`), ``attrs["deals"]`` the per-deal
        table (see :func:`open_pipeline`).
    """
    if months < 1:
        raise SalesnbError("months must be at least 1")
    cut = _cut(as_of)
    deals = open_pipeline(opportunities, as_of=cut, stage_probability=stage_probability,
                          rates=rates)
    start = (cut + pd.Timedelta(days=1)).to_period("M").to_timestamp()
    horizon = pd.date_range(start, periods=months, freq="MS")
    month = deals["expected_close"].dt.to_period("M").dt.to_timestamp()
    inside = month.isin(horizon)
    grouped = (deals[inside].assign(month=month[inside])
               .groupby("month").agg(open_count=("opportunity_id", "size"),
                                     pipeline_amount=("amount", "sum"),
                                     weighted_amount=("weighted_amount", "sum")))
    grouped = grouped.reindex(horizon, fill_value=0)
    grouped.index.name = "month"
    out = grouped.reset_index()
    out["open_count"] = out["open_count"].astype(int)
    out.attrs["stage_win_rates"] = deals.attrs["stage_win_rates"]
    out.attrs["deals"] = deals
    out.attrs["beyond_horizon"] = int((~inside).sum())
    return out


def blend(statistical: pd.DataFrame, pipeline: pd.DataFrame, *,
          weight: float = 0.5) -> pd.DataFrame:
    """Blend a statistical forecast with the weighted pipeline, month by month.

    For months covered by ``pipeline``: ``mean = weight * weighted_amount +
    (1 - weight) * statistical mean``. Later (or earlier) months, and months in which no open
    deal is expected to close (``open_count`` 0), keep the statistical mean.
    Interval columns of the statistical forecast are shifted by the same amount as the
    mean (their widths are the statistical model's). Note that the pipeline only holds
    revenue from tracked opportunities: blend it with a forecast of the same scope.

    Parameters
    ----------
    statistical : pandas.DataFrame
        Forecast indexed by period start with a ``mean`` column (and optional intervals).
    pipeline : pandas.DataFrame
        From :func:`pipeline_forecast` (columns month and weighted_amount).
    weight : float, default 0.5
        Weight of the pipeline, between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``statistical``: statistical_mean, pipeline_weighted (NaN outside the
        pipeline months), pipeline_weight (0 outside), mean (the blend), source
        (``"blend"`` or ``"statistical"``) and the shifted interval columns.
    """
    if not 0 <= weight <= 1:
        raise SalesnbError(f"weight must be between 0 and 1, got {weight}")
    require_columns(statistical, ["mean"], table="the statistical forecast",
                    fix="pass a forecast frame (Forecast.frame from salesnb.forecast.forecast)")
    require_columns(pipeline, ["month", "weighted_amount"], table="the pipeline",
                    fix="pass the frame pipeline_forecast(...) returns")
    if "open_count" in pipeline.columns:  # a month with no deal expected says nothing
        pipeline = pipeline[pipeline["open_count"] > 0]
    pipe = pipeline.set_index("month")["weighted_amount"].astype(float)
    stat = statistical["mean"].astype(float)
    piped = pipe.reindex(statistical.index)
    covered = piped.notna()
    w = pd.Series(np.where(covered, weight, 0.0), index=statistical.index)
    mean = stat.where(~covered, weight * piped + (1 - weight) * stat)
    out = pd.DataFrame({"statistical_mean": stat, "pipeline_weighted": piped,
                        "pipeline_weight": w, "mean": mean,
                        "source": np.where(covered, "blend", "statistical")},
                       index=statistical.index)
    shift = mean - stat
    for lo, hi in INTERVAL_COLUMNS:
        if lo in statistical.columns and hi in statistical.columns:
            out[lo] = statistical[lo] + shift
            out[hi] = statistical[hi] + shift
    return out


def plot_blend(blended: pd.DataFrame, *, history: pd.Series | None = None,
               ax: Axes | None = None) -> Axes:
    """Statistical, pipeline and blended forecast on one chart, with optional history.

    Parameters
    ----------
    blended : pandas.DataFrame
        From :func:`blend`.
    history : pandas.Series, optional
        Actual monthly values to draw before the forecast.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes, ``plt.gca()``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (never saved).
    """
    ax = axes(ax)
    if history is not None:
        ax.plot(history.index, history.to_numpy(), color="#252525", label="actual")
    if {"lower_80", "upper_80"} <= set(blended.columns):
        ax.fill_between(blended.index, blended["lower_80"], blended["upper_80"],
                        color="#9ecae1", alpha=0.5, label="80 % interval (blend)")
    ax.plot(blended.index, blended["statistical_mean"], color="#6baed6", ls="--",
            label="statistical")
    ax.plot(blended.index, blended["pipeline_weighted"], color="#e6550d", marker="o",
            ls=":", label="weighted pipeline")
    ax.plot(blended.index, blended["mean"], color="#08519c", lw=2, label="blend")
    ax.set_ylim(bottom=0)
    ax.set_title("Forecast: statistical vs weighted pipeline")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def won_series(opportunities: pd.DataFrame, *, as_of: _DayLike) -> pd.Series:
    """Monthly value of won deals (by close month) up to ``as_of``: the pipeline's own scope.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities table (stage, closed_date, amount).
    as_of : date-like
        Deals closed after this day are left out.

    Returns
    -------
    pandas.Series
        Named ``"won deals"``, indexed by month start (freq "MS"); months without a won deal
        are 0.
    """
    require_columns(opportunities, ["stage", "closed_date", "amount"], table="opportunities",
                    fix=_OPPORTUNITIES_FIX)
    won = opportunities[(opportunities["stage"] == "won")
                        & (opportunities["closed_date"] <= _cut(as_of))]
    monthly = won.set_index("closed_date")["amount"].resample("MS").sum()
    return monthly.asfreq("MS", fill_value=0.0).rename("won deals")


def won_deals_blend(opportunities: pd.DataFrame, *, as_of: _DayLike, months: int = 3,
                    weight: float = 0.5,
                    rates: pd.DataFrame | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Won-deal forecast against the weighted open pipeline, and their blend.

    Both sides have the same scope, deals tracked as opportunities: the statistical side
    forecasts the monthly value of won deals (:func:`won_series`, then
    :func:`salesnb.forecast.forecast`), the pipeline side weights each open deal by the win
    rate of its stage and places it in its expected close month (:func:`pipeline_forecast`).

    Parameters
    ----------
    opportunities : pandas.DataFrame
        The opportunities table.
    as_of : date-like
        The day the pipeline stands at; won deals are counted up to it.
    months : int, default 3
        Months forecast and blended.
    weight : float, default 0.5
        Weight of the pipeline in the blend, between 0 and 1.
    rates : pandas.DataFrame, optional
        The stage table the open deals are weighted with, learnt elsewhere (the company's
        closed deals; see :func:`open_pipeline`); default: from ``opportunities``.

    Returns
    -------
    tuple
        ``(history, blended)``: the won-deal series of the complete months before the
        horizon (the month of ``as_of`` is one of them only when ``as_of`` is its last day;
        else the wins of its first days are left out, not read as a slump), and the frame
        :func:`blend` returns.

    Raises
    ------
    SalesnbError
        When no deal was won before the horizon's first month.
    """
    cut = _cut(as_of)
    start = (cut + pd.Timedelta(days=1)).to_period("M").to_timestamp()
    history = won_series(opportunities, as_of=cut)
    history = history[history.index < start]
    if history.empty:
        raise SalesnbError(f"opportunities: no deal won before {start:%b %Y} (stage 'won' "
                           "with a closed_date): the statistical side of the blend needs "
                           "them. Fix: check the stage and closed_date columns.")
    months_before = pd.date_range(history.index[0], start, freq="MS", inclusive="left")
    history = history.reindex(months_before, fill_value=0.0).rename("won deals")
    statistical = forecast(history, horizon=months).frame
    pipe = pipeline_forecast(opportunities, as_of=cut, months=months, rates=rates)
    return history, blend(statistical, pipe, weight=weight)
