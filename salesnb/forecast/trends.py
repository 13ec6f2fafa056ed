"""Trends, hierarchy reconciliation and pipeline blending on monthly sales series.

Monthly series are *wide* DataFrames: the index holds period starts (a ``DatetimeIndex``
with freq ``"MS"``), one column per group (regions, categories, ...)::

    monthly = (d.orders.groupby([pd.Grouper(key="order_date", freq="MS"), "region"])
               ["revenue"].sum().unstack(fill_value=0))

Three families of pure functions:

* trend analysis: :func:`growth`, :func:`decompose`, :func:`findings` and their plots;
* hierarchy reconciliation: :func:`reconcile` makes per-group forecasts and a total
  forecast add up (bottom-up, OLS or structurally weighted least squares);
* pipeline blending: :func:`stage_win_rates`, :func:`open_pipeline`,
  :func:`pipeline_forecast` turn open opportunities into expected revenue per month and
  :func:`blend` mixes that with a statistical forecast.

A forecast for one series is a DataFrame indexed by future period with columns ``mean``,
``lower_80``, ``upper_80``, ``lower_95``, ``upper_95`` (see :mod:`salesnb.forecast`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.errors import SalesnbError

__all__ = [
    "FUNNEL",
    "INTERVAL_COLUMNS",
    "growth",
    "decompose",
    "findings",
    "plot_trends",
    "plot_decomposition",
    "reconcile",
    "stage_win_rates",
    "open_pipeline",
    "pipeline_forecast",
    "blend",
    "plot_blend",
]

#: Opportunity stages in funnel order (``won``/``lost`` are the closed outcomes).
FUNNEL: tuple[str, ...] = ("visit", "needs", "quote", "negotiation", "contract")
#: Interval columns of a forecast frame, as (lower, upper) pairs.
INTERVAL_COLUMNS: tuple[tuple[str, str], ...] = (("lower_80", "upper_80"),
                                                 ("lower_95", "upper_95"))
_CLOSED = ("won", "lost")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


# --------------------------------------------------------------------------- helpers


def _pct_change(current: pd.Series | pd.DataFrame,
                previous: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Percent change; NaN where the previous value is zero or missing (no division by 0)."""
    prev = previous.where(previous != 0)
    return 100 * (current - prev) / prev.abs()


def _check_wide(series_frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(series_frame, pd.DataFrame) or not isinstance(series_frame.index,
                                                                     pd.DatetimeIndex):
        raise SalesnbError("expected a wide monthly DataFrame indexed by period start "
                           "(DatetimeIndex); build it with groupby(pd.Grouper(freq='MS'))")
    if series_frame.empty:
        raise SalesnbError("the monthly frame is empty")
    return series_frame.sort_index()


def _group_word(series_frame: pd.DataFrame) -> str:
    name = series_frame.columns.name
    return f"{name}s" if isinstance(name, str) and name else "groups"


def _quarter(p: pd.Timestamp | pd.Period) -> str:
    return f"{p.year}-Q{p.quarter}"


def _fmt_pct(x: float) -> str:
    return f"{abs(x):.0f} %"


# --------------------------------------------------------------------------- trends


def growth(series_frame: pd.DataFrame, *, periods: int = 12,
           windows: Sequence[int] = (3, 12)) -> pd.DataFrame:
    """Value, year-over-year and period-over-period growth and moving averages per group.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame (index: period start, one column per group).
    periods : int, default 12
        Lag of the "year over year" comparison, in periods (12 for monthly data).
    windows : sequence of int, default (3, 12)
        Trailing moving-average windows; each gives a column ``ma_<window>``.

    Returns
    -------
    pandas.DataFrame
        Long table with columns period, group, value, yoy_pct (change vs ``periods``
        earlier, in percent), pop_pct (change vs the previous period, in percent) and
        ``ma_<w>`` (trailing mean of the last ``w`` periods, NaN until ``w`` periods
        exist). Growth is NaN where the earlier value is zero or missing.
    """
    wide = _check_wide(series_frame).astype(float)
    parts = {
        "value": wide,
        "yoy_pct": _pct_change(wide, wide.shift(periods)),
        "pop_pct": _pct_change(wide, wide.shift(1)),
    }
    for w in windows:
        parts[f"ma_{w}"] = wide.rolling(w, min_periods=w).mean()
    long = pd.concat({k: v.stack(future_stack=True) for k, v in parts.items()}, axis=1)
    long.index.names = ["period", "group"]
    out = long.reset_index()
    return out.sort_values(["group", "period"], kind="stable").reset_index(drop=True)


def decompose(series: pd.Series, *, period: int = 12, robust: bool = True) -> pd.DataFrame:
    """Split one monthly series into trend, seasonal and residual parts (STL).

    Parameters
    ----------
    series : pandas.Series
        One monthly series (e.g. a column of a wide frame); must not contain NaN.
    period : int, default 12
        Length of the season in periods.
    robust : bool, default True
        Robust STL fitting (outliers get less weight).

    Returns
    -------
    pandas.DataFrame
        Columns observed, trend, seasonal, resid (observed = trend + seasonal + resid).
        ``attrs["method"]`` is ``"stl"``, or ``"moving_average"`` for the fallback used
        when the series has fewer than two full seasons (``2 * period`` values): then trend
        is a centred moving average over ``period`` values (shorter at the edges),
        seasonal is 0 and ``attrs["note"]`` explains why.
    """
    s = pd.Series(series, dtype=float)
    if s.isna().any():
        raise SalesnbError(f"series {s.name!r} has missing values; fill them (e.g. with 0 "
                           "for months without sales) before decomposing")
    if len(s) == 0:
        raise SalesnbError("cannot decompose an empty series")
    if len(s) >= 2 * period:
        from statsmodels.tsa.seasonal import STL

        res = STL(s, period=period, robust=robust).fit()
        out = pd.DataFrame({"observed": s, "trend": res.trend, "seasonal": res.seasonal,
                            "resid": res.resid}, index=s.index)
        out.attrs["method"] = "stl"
        out.attrs["note"] = f"STL decomposition with a season of {period} periods."
        return out
    trend = s.rolling(period, center=True, min_periods=1).mean()
    out = pd.DataFrame({"observed": s, "trend": trend, "seasonal": 0.0, "resid": s - trend},
                       index=s.index)
    out.attrs["method"] = "moving_average"
    out.attrs["note"] = (f"Only {len(s)} periods (fewer than two seasons of {period}): "
                         "trend is a moving average and no seasonal pattern is estimated.")
    return out


def _recent_growth_sentences(wide: pd.DataFrame, recent: int, label: str) -> list[str]:
    if len(wide) < 12 + recent:
        return []
    last = wide.iloc[-recent:].sum()
    prev = wide.iloc[-12 - recent:-12].sum()
    pct = _pct_change(last, prev)
    span = f"the last {recent} months" if recent > 1 else "the last month"
    word = _group_word(wide)
    out = []
    total_pct = _pct_change(pd.Series([last.sum()]), pd.Series([prev.sum()])).iloc[0]
    if pd.notna(total_pct):
        verb = "grew" if total_pct >= 0 else "fell"
        out.append(f"In total, {label.lower()} {verb} {_fmt_pct(total_pct)} year over year "
                   f"in {span} ({wide.index[-recent]:%b %Y}–{wide.index[-1]:%b %Y}).")
    for g in pct.index[(prev == 0) & (last > 0)]:
        out.append(f"{g} is new: no {label.lower()} in the same months a year earlier.")
    ranked = pct.dropna().sort_values(ascending=False)
    if len(ranked) >= 2:
        top, bottom = ranked.index[0], ranked.index[-1]
        verb = "grew" if ranked.iloc[0] >= 0 else "fell"
        out.append(f"{top} {verb} {_fmt_pct(ranked.iloc[0])} year over year in {span}, "
                   f"the fastest of the {len(ranked)} {word}.")
        verb = "grew only" if ranked.iloc[-1] >= 0 else "fell"
        out.append(f"{bottom} {verb} {_fmt_pct(ranked.iloc[-1])} year over year in {span}, "
                   f"the weakest of the {word}.")
    elif len(ranked) == 1:
        g = ranked.index[0]
        verb = "grew" if ranked.iloc[0] >= 0 else "fell"
        out.append(f"{g} {verb} {_fmt_pct(ranked.iloc[0])} year over year in {span}.")
    return out


def _quarter_sentences(wide: pd.DataFrame, min_run: int = 4) -> list[str]:
    q = wide.groupby(wide.index.to_period("Q"))
    counts = q.size()
    qsum = q.sum()[counts == 3]  # complete quarters only
    if len(qsum) < 4 + min_run:
        return []
    full = qsum.reindex(pd.period_range(qsum.index.min(), qsum.index.max(), freq="Q"))
    yoy = _pct_change(full, full.shift(4)).dropna(how="all")
    out = []
    for g in yoy.columns:
        s = yoy[g].dropna()
        if len(s) < min_run or s.index[-1] != full.index[-1]:
            continue
        cur, earlier = s.iloc[-1], s.iloc[:-1]
        latest = _quarter(s.index[-1])
        for kind, worse in (("slowest", earlier <= cur), ("fastest", earlier >= cur)):
            hits = earlier[worse]
            run = len(earlier) - (earlier.index.get_loc(hits.index[-1]) + 1 if len(hits) else 0)
            if run + 1 < min_run:
                continue
            since = (f"since {_quarter(hits.index[-1])}" if len(hits)
                     else f"since year-over-year comparisons began in {_quarter(s.index[0])}")
            verb = "grew" if cur >= 0 else "fell"
            out.append(f"{g} {verb} {_fmt_pct(cur)} year over year in {latest}, its {kind} "
                       f"quarter {since}.")
    return out


def _season_sentence(wide: pd.DataFrame, label: str) -> list[str]:
    total = wide.sum(axis=1)
    if len(total) < 24 or total.mean() <= 0:
        return []
    by_month = total.groupby(total.index.month).mean()
    if len(by_month) < 12:
        return []
    rel = 100 * (by_month / by_month.mean() - 1)
    peak, low = int(rel.idxmax()), int(rel.idxmin())
    return [f"{label} peaks in {_MONTHS[peak - 1]} ({rel[peak]:+.0f} % over the average "
            f"month) and is lowest in {_MONTHS[low - 1]} ({rel[low]:+.0f} %)."]


def findings(series_frame: pd.DataFrame, *, as_of: dt.date | str | pd.Timestamp | None = None,
             recent: int = 3, label: str = "Revenue") -> list[str]:
    """Plain-language sentences about growth and seasonality, for a sales manager.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame (index: period start, one column per group). Name the columns
        axis (e.g. ``"region"``) to get "the fastest of the 5 regions".
    as_of : date-like, optional
        Ignore periods starting after this date (default: use every period).
    recent : int, default 3
        Length of the "recent" window compared year over year.
    label : str, default "Revenue"
        What the values are, used in the sentences.

    Returns
    -------
    list of str
        In order: total growth over the recent window; groups that are new (nothing a year
        earlier, so no percentage); the fastest and weakest group; groups whose latest
        complete quarter is their slowest or fastest (year over year) for at least four
        quarters; the seasonal peak and low month (needs 24 months). Sentences whose
        numbers cannot be computed (too little history, zero base) are skipped.
    """
    wide = _check_wide(series_frame).astype(float)
    if as_of is not None:
        wide = wide.loc[wide.index <= pd.Timestamp(as_of)]
        if wide.empty:
            raise SalesnbError(f"no periods on or before as_of={as_of}")
    return (_recent_growth_sentences(wide, recent, label) + _quarter_sentences(wide)
            + _season_sentence(wide, label))


def plot_trends(series_frame: pd.DataFrame, *, window: int = 3) -> Figure:
    """Small multiples: monthly values per group with a trailing moving average.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame (index: period start, one column per group).
    window : int, default 3
        Moving-average window, in periods.

    Returns
    -------
    matplotlib.figure.Figure
        One row of axes per group, sharing the time axis.
    """
    wide = _check_wide(series_frame)
    n = len(wide.columns)
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * max(n, 1)), sharex=True, squeeze=False)
    ma = wide.rolling(window, min_periods=window).mean()
    for ax, col in zip(axes[:, 0], wide.columns, strict=True):
        ax.plot(wide.index, wide[col], color="#9ecae1", label="monthly")
        ax.plot(ma.index, ma[col], color="#08519c", label=f"{window}-month average")
        ax.set_ylabel(str(col), rotation=0, ha="right", va="center")
        ax.set_ylim(bottom=min(0, float(wide[col].min())))
    axes[0, 0].legend(loc="upper left", fontsize="small")
    axes[0, 0].set_title(f"Monthly values with {window}-month moving average")
    fig.tight_layout()
    return fig


def plot_decomposition(decomposed: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
    """Four stacked panels: observed, trend, seasonal, residual.

    Parameters
    ----------
    decomposed : pandas.DataFrame
        From :func:`decompose`.
    fig : matplotlib.figure.Figure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = fig if fig is not None else plt.figure(figsize=(9, 6))
    axes = fig.subplots(4, 1, sharex=True)
    for ax, col in zip(axes, ["observed", "trend", "seasonal", "resid"], strict=True):
        if col == "resid":
            ax.bar(decomposed.index, decomposed[col], width=20, color="#969696")
        else:
            ax.plot(decomposed.index, decomposed[col], color="#08519c")
        ax.set_ylabel(col, rotation=0, ha="right", va="center")
    axes[0].set_title(decomposed.attrs.get("note", "Decomposition"))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- reconciliation


def _half_widths(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Distance of every interval bound from the mean (positive numbers)."""
    out = {}
    for lo, hi in INTERVAL_COLUMNS:
        if lo in frame.columns and hi in frame.columns:
            out[lo] = frame["mean"] - frame[lo]
            out[hi] = frame[hi] - frame["mean"]
    return out


def _with_mean(frame: pd.DataFrame, mean: np.ndarray, widths: Mapping[str, pd.Series],
               ) -> pd.DataFrame:
    out = pd.DataFrame({"mean": mean}, index=frame.index)
    for lo, hi in INTERVAL_COLUMNS:
        if lo in widths and hi in widths:
            out[lo] = out["mean"] - np.asarray(widths[lo], dtype=float)
            out[hi] = out["mean"] + np.asarray(widths[hi], dtype=float)
    return out


def reconcile(base: Mapping[str, pd.DataFrame], total: pd.DataFrame | None = None, *,
              method: Literal["bottom_up", "ols", "wls_struct"] = "bottom_up",
              ) -> dict[str, pd.DataFrame]:
    """Make group forecasts and the total forecast add up (two-level hierarchy).

    Parameters
    ----------
    base : mapping of str to pandas.DataFrame
        One forecast per group (columns ``mean`` and optionally ``lower_80``, ``upper_80``,
        ``lower_95``, ``upper_95``), all on the same index. ``"total"`` is not a valid
        group name.
    total : pandas.DataFrame, optional
        A forecast of the total made separately (same layout and index). Required for
        ``"ols"`` and ``"wls_struct"``; ignored by ``"bottom_up"``.
    method : {"bottom_up", "ols", "wls_struct"}
        * ``"bottom_up"``: groups are kept unchanged, total mean = sum of group means.
          Total intervals assume independent group errors: each bound lies
          ``sqrt(sum of the groups' squared distances)`` from the total mean (lower and
          upper separately).
        * ``"ols"``: the least-squares projection onto coherent forecasts,
          ``y~ = S (S'S)^-1 S' y^`` with the summing matrix ``S = [1'; I]``; both levels
          move.
        * ``"wls_struct"``: MinT with structural weights ``W = diag(S 1)`` (the total
          weighs as many series as it sums), ``y~ = S (S'W^-1 S)^-1 S'W^-1 y^``.

        For ``"ols"`` and ``"wls_struct"`` every series keeps the interval *widths* of its
        own base forecast, re-centred on its reconciled mean (a documented approximation:
        reconciled intervals are not recomputed from error covariances).

    Returns
    -------
    dict of str to pandas.DataFrame
        Key ``"total"`` plus every group, each with ``mean`` and the interval columns the
        inputs had; group means add up to the total mean exactly for every period.
    """
    if not base:
        raise SalesnbError("reconcile needs at least one group forecast")
    if "total" in base:
        raise SalesnbError("'total' is reserved for the total; pass it as total=")
    if method not in ("bottom_up", "ols", "wls_struct"):
        raise SalesnbError(f"unknown method {method!r}; use 'bottom_up', 'ols' or "
                           "'wls_struct'")
    names = list(base)
    index = base[names[0]].index
    frames = dict(base) if total is None else {**base, "total": total}
    for name, f in frames.items():
        if "mean" not in f.columns:
            raise SalesnbError(f"forecast {name!r} has no 'mean' column")
        if not f.index.equals(index):
            raise SalesnbError(f"forecast {name!r} covers other periods than {names[0]!r}; "
                               "all forecasts must share the same index")
    bottom = np.column_stack([base[n]["mean"].to_numpy(dtype=float) for n in names])  # T x m
    m = len(names)
    if method == "bottom_up":
        out = {n: base[n].copy() for n in names}
        widths = [_half_widths(base[n]) for n in names]
        total_w = {}
        for col in {k for w in widths for k in w}:
            if all(col in w for w in widths):
                total_w[col] = np.sqrt(sum(np.asarray(w[col], float) ** 2 for w in widths))
        out = {"total": _with_mean(base[names[0]], bottom.sum(axis=1), total_w), **out}
        return out
    if total is None:
        raise SalesnbError(f"method={method!r} needs a separate total forecast (total=)")
    s_mat = np.vstack([np.ones((1, m)), np.eye(m)])  # (m+1) x m
    y_hat = np.column_stack([total["mean"].to_numpy(dtype=float), bottom])  # T x (m+1)
    if method == "ols":
        w_inv = np.eye(m + 1)
    else:
        w_inv = np.diag(1.0 / s_mat.sum(axis=1))
    proj = s_mat @ np.linalg.solve(s_mat.T @ w_inv @ s_mat, s_mat.T @ w_inv)
    y_tilde = y_hat @ proj.T
    # enforce exact coherence (removes floating-point noise in the total)
    y_tilde[:, 0] = y_tilde[:, 1:].sum(axis=1)
    out = {"total": _with_mean(total, y_tilde[:, 0], _half_widths(total))}
    for j, n in enumerate(names, start=1):
        out[n] = _with_mean(base[n], y_tilde[:, j], _half_widths(base[n]))
    return out


# --------------------------------------------------------------------------- pipeline


def _ts(value: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(value)


def stage_win_rates(opportunities: pd.DataFrame, *,
                    as_of: dt.date | str | pd.Timestamp | None = None) -> pd.DataFrame:
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
    closed = o[o["stage"].isin(_CLOSED) & o["closed_date"].notna()]
    if as_of is not None:
        closed = closed[closed["closed_date"] <= _ts(as_of)]
    won = closed["stage"] == "won"
    rows = []
    for stage in FUNNEL:
        col = f"{stage}_date"
        if col not in o.columns:
            raise SalesnbError(f"opportunities has no {col!r} column")
        reached = closed[col].notna()
        days = (closed.loc[won & reached, "closed_date"]
                - closed.loc[won & reached, col]).dt.days
        n_reached, n_won = int(reached.sum()), int((won & reached).sum())
        rows.append({"stage": stage, "reached": n_reached, "won": n_won,
                     "win_rate": n_won / n_reached if n_reached else np.nan,
                     "median_days_to_close": float(days.median()) if len(days) else np.nan})
    return pd.DataFrame(rows).set_index("stage")


def open_pipeline(opportunities: pd.DataFrame, *, as_of: dt.date | str | pd.Timestamp,
                  stage_probability: Mapping[str, float] | None = None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        opportunity_id, stage_at_as_of, stage_date, amount, win_probability,
        weighted_amount, expected_close; ``attrs["stage_win_rates"]`` holds the table used.
    """
    cut = _ts(as_of)
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


def pipeline_forecast(opportunities: pd.DataFrame, *, as_of: dt.date | str | pd.Timestamp,
                      months: int = 3,
                      stage_probability: Mapping[str, float] | None = None) -> pd.DataFrame:
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
    cut = _ts(as_of)
    deals = open_pipeline(opportunities, as_of=cut, stage_probability=stage_probability)
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
    if "mean" not in statistical.columns:
        raise SalesnbError("the statistical forecast has no 'mean' column")
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
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
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
