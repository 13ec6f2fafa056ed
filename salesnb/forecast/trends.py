"""Trends on monthly sales series: growth, decomposition, findings in words, and their charts.

Monthly series are *wide* DataFrames: the index holds period starts (a ``DatetimeIndex``
with freq ``"MS"``), one column per group (regions, categories, ...), as
:func:`salesnb.forecast.sales_series` builds them::

    monthly = sn.forecast.sales_series(d.orders, by="region")

* :func:`growth` (year-over-year, period-over-period, moving averages), :func:`latest_growth`
  (the last months against the same months a year earlier), :func:`decompose` (trend and a
  season that repeats every year);
* :func:`findings`: plain-language sentences about growth and seasonality;
* :func:`trends_figure`, :func:`decomposition_figure`: their charts.

This module is also ``sn.trends``, the analyst's short name for the forecast domain's trend,
hierarchy and pipeline functions: :func:`reconcile` (from :mod:`salesnb.forecast.hierarchy`)
and :func:`stage_win_rates`, :func:`open_pipeline`, :func:`pipeline_forecast`, :func:`blend`,
:func:`plot_blend` (from :mod:`salesnb.forecast.pipeline`) are re-exported here, as are
:data:`FUNNEL` (from :mod:`salesnb.data.schema`) and :data:`INTERVAL_COLUMNS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from salesnb.core.fmt import escape, pct, plural, some
from salesnb.core.periods import parse_day
from salesnb.core.plots import fit
from salesnb.data.schema import FUNNEL
from salesnb.errors import SalesnbError
from salesnb.forecast.hierarchy import reconcile
from salesnb.forecast.models import INTERVAL_COLUMNS
from salesnb.forecast.pipeline import (
    blend,
    open_pipeline,
    pipeline_forecast,
    plot_blend,
    stage_win_rates,
)

__all__ = [
    "FUNNEL",
    "INTERVAL_COLUMNS",
    "SEASON_MONTHS",
    "yoy_months",
    "company_growth",
    "growth",
    "latest_growth",
    "decompose",
    "findings",
    "trends_figure",
    "decomposition_figure",
    "reconcile",
    "stage_win_rates",
    "open_pipeline",
    "pipeline_forecast",
    "blend",
    "plot_blend",
]

#: Months of history the seasonal pattern (STL decomposition, the peak month) needs: two
#: full years, so that a season can be told from a trend.
SEASON_MONTHS = 24

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


# --------------------------------------------------------------------------- helpers


def _change(current: pd.Series | pd.DataFrame, previous: pd.Series | pd.DataFrame,
            scale: float = 1.0) -> pd.Series | pd.DataFrame:
    """Relative change (a fraction, times ``scale``); NaN where the previous value is 0 or NaN."""
    prev = previous.where(previous != 0)
    return scale * (current - prev) / prev.abs()


def _check_wide(series_frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(series_frame, pd.DataFrame) or not isinstance(series_frame.index,
                                                                     pd.DatetimeIndex):
        raise SalesnbError("expected a wide monthly DataFrame indexed by period start "
                           "(DatetimeIndex); build it with salesnb.forecast.sales_series")
    if series_frame.empty:
        raise SalesnbError("the monthly frame is empty")
    return series_frame.sort_index()


def _recent_and_year_before(wide: pd.DataFrame,
                            months: int) -> tuple[pd.Series, pd.Series | None]:
    """Per group: the sum of the last ``months`` periods and of the same periods a year earlier.

    The year-earlier sums are ``None`` when the frame is shorter than ``12 + months``.
    """
    recent = wide.tail(months).sum()
    if len(wide) < 12 + months:
        return recent, None
    return recent, wide.iloc[-12 - months:-12].sum()


def _group_noun(series_frame: pd.DataFrame) -> str:
    """What a column is, in the singular ("region"); "group" when the axis has no name."""
    name = series_frame.columns.name
    return name if isinstance(name, str) and name else "group"


def _quarter(p: pd.Timestamp | pd.Period) -> str:
    return f"{p.year}-Q{p.quarter}"


def _verb(change: float, up: str = "grew") -> str:
    return up if change >= 0 else "fell"


def yoy_months(recent: int = 3) -> int:
    """Months of history a year-over-year comparison of the last ``recent`` months needs.

    Parameters
    ----------
    recent : int, default 3
        Length of the recent window.

    Returns
    -------
    int
        ``12 + recent``: the recent months and the same months a year earlier.
    """
    return 12 + int(recent)


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
        "yoy_pct": _change(wide, wide.shift(periods), 100),
        "pop_pct": _change(wide, wide.shift(1), 100),
    }
    for w in windows:
        parts[f"ma_{w}"] = wide.rolling(w, min_periods=w).mean()
    long = pd.concat({k: v.stack(future_stack=True) for k, v in parts.items()}, axis=1)
    long.index.names = ["period", "group"]
    out = long.reset_index()
    return out.sort_values(["group", "period"], kind="stable").reset_index(drop=True)


def latest_growth(series_frame: pd.DataFrame, *, months: int = 3) -> pd.DataFrame:
    """Per group and in total: the last ``months`` months, the same months a year earlier.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame (index: period start, one column per group).
    months : int, default 3
        Length of the recent window (the whole frame when it is shorter).

    Returns
    -------
    pandas.DataFrame
        One row per group plus ``"total"``: ``last <months> months`` (``last month`` for
        one), ``a year earlier`` (NaN without ``12 + months`` months of history) and
        ``growth %`` (in percent, one decimal; NaN where the year-earlier value is not
        positive).
    """
    months = max(1, min(int(months), len(series_frame)))
    recent, before = _recent_and_year_before(series_frame, months)
    if before is None:
        before = pd.Series(float("nan"), index=series_frame.columns)
    span = f"last {months} months" if months > 1 else "last month"
    out = pd.DataFrame({span: recent, "a year earlier": before})
    out.loc["total"] = [recent.sum(), before.sum(min_count=1)]
    base = out["a year earlier"]
    out["growth %"] = _change(out[span], base.where(base > 0), 100).round(1)
    return out


def decompose(series: pd.Series, *, period: int = 12, robust: bool = True) -> pd.DataFrame:
    """Split one monthly series into trend, seasonal and residual parts.

    The seasonal part is the same every year, as a manager reads it ("December is 20 k
    above the trend"): a seasonal pattern free to change each year takes up the noise, and a
    chart of it does not repeat.

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
        Columns observed, trend, seasonal, resid (observed = trend + seasonal + resid);
        ``attrs["method"]`` and ``attrs["note"]`` say how:

        * ``"stl"`` with three full seasons or more: STL with a periodic season (the seasonal
          smoother spans every year with a constant fit, R's ``s.window="periodic"``) and its
          default trend window (19 months for a season of 12), so the trend follows the level;
        * ``"classical"`` with two full seasons: a centred moving average over ``period``
          values (extended to the ends by a line) and the average of each month's departure
          from it (statsmodels ``seasonal_decompose``);
        * ``"moving_average"`` with fewer: the trend is a centred moving average (shorter at
          the edges) and seasonal is 0.
    """
    s = pd.Series(series, dtype=float)
    if s.isna().any():
        raise SalesnbError(f"series {s.name!r} has missing values; fill them (e.g. with 0 "
                           "for months without sales) before decomposing")
    if len(s) == 0:
        raise SalesnbError("cannot decompose an empty series")
    if len(s) >= 3 * period:
        from statsmodels.tsa.seasonal import STL

        years = -(-len(s) // period)
        res = STL(s, period=period, seasonal=10 * years + 1, seasonal_deg=0,
                  robust=robust).fit()
        out = pd.DataFrame({"observed": s, "trend": res.trend, "seasonal": res.seasonal},
                           index=s.index)
        out.attrs["method"] = "stl"
        out.attrs["note"] = (f"STL decomposition: the same seasonal pattern every "
                             f"{period} periods.")
    elif len(s) >= 2 * period:
        from statsmodels.tsa.seasonal import seasonal_decompose

        res = seasonal_decompose(s, model="additive", period=period, extrapolate_trend="period")
        out = pd.DataFrame({"observed": s, "trend": res.trend, "seasonal": res.seasonal},
                           index=s.index)
        out.attrs["method"] = "classical"
        out.attrs["note"] = (f"Classical decomposition ({len(s)} periods, fewer than three "
                             f"seasons of {period}): moving-average trend, average season.")
    else:
        out = pd.DataFrame({"observed": s, "trend": s.rolling(period, center=True,
                                                              min_periods=1).mean(),
                            "seasonal": 0.0}, index=s.index)
        out.attrs["method"] = "moving_average"
        out.attrs["note"] = (f"Only {len(s)} periods (fewer than two seasons of {period}): "
                             "trend is a moving average and no seasonal pattern is estimated.")
    out["resid"] = out["observed"] - out["trend"] - out["seasonal"]
    return out


# --------------------------------------------------------------------------- findings


def company_growth(company: pd.Series, wide_index: pd.DatetimeIndex,
                   recent: int = 3) -> float | None:
    """The company's year-over-year growth over the same recent months as a scope's frame.

    Parameters
    ----------
    company : pandas.Series
        The whole company's monthly total (index: month start).
    wide_index : pandas.DatetimeIndex
        The months of the scope's frame: its last ``recent`` months are compared.
    recent : int, default 3
        Length of the recent window.

    Returns
    -------
    float or None
        The change as a fraction (0.042 for +4.2 %); None when the company's series lacks
        the months or the year-earlier ones sum to zero.
    """
    if len(wide_index) < recent:
        return None
    months = wide_index[-recent:]
    before = months - pd.DateOffset(years=1)
    series = pd.Series(company, dtype=float)
    if not (months.isin(series.index).all() and before.isin(series.index).all()):
        return None
    now, then = float(series.loc[months].sum()), float(series.loc[before].sum())
    return None if then == 0 else (now - then) / abs(then)


def _recent_growth_sentences(wide: pd.DataFrame, recent: int, label: str,
                             combined: str | None,
                             company: pd.Series | None = None) -> list[str]:
    last, prev = _recent_and_year_before(wide, recent)
    if prev is None:
        return []
    change = _change(last, prev)
    span = f"the last {recent} months" if recent > 1 else "the last month"
    noun = _group_noun(wide)
    out = []
    total = _change(pd.Series([last.sum()]), pd.Series([prev.sum()])).iloc[0]
    if pd.notna(total):
        theirs = (company_growth(company, pd.DatetimeIndex(wide.index), recent)
                  if company is not None else None)
        beside = f"; whole company: {pct(theirs, signed=True)}" \
            if theirs is not None else ""
        out.append(f"In total, {label.lower()} {_verb(total)} {pct(abs(total))} year over "
                   f"year in {span} ({wide.index[-recent]:%b %Y}–{wide.index[-1]:%b %Y}"
                   f"{beside}).")
    if wide.shape[1] == 1:  # one series: its growth is the total's
        return out
    named = [c for c in wide.columns if c != combined]
    last, prev, change = last[named], prev[named], change[named]
    new = last[(prev == 0) & (last > 0)].sort_values(ascending=False, kind="stable")
    if len(new):
        verb = "is" if len(new) == 1 else "are"
        out.append(f"{some(new.index, noun=noun)} {verb} new: no {label.lower()} in the "
                   f"same months a year earlier.")
    ranked = change.dropna().sort_values(ascending=False)
    if len(ranked) >= 2:
        top, bottom = escape(ranked.index[0]), escape(ranked.index[-1])
        count, nouns = plural(len(ranked), noun).split(" ", 1)
        among = f"{count} largest {nouns}" if combined else f"{count} {nouns}"
        out.append(f"{top} {_verb(ranked.iloc[0])} {pct(abs(ranked.iloc[0]))} year over year "
                   f"in {span}, the fastest of the {among}.")
        out.append(f"{bottom} {_verb(ranked.iloc[-1], 'grew only')} "
                   f"{pct(abs(ranked.iloc[-1]))} year over year in {span}, the weakest of "
                   f"the {plural(2, noun).split(' ', 1)[1]}.")
    elif len(ranked) == 1:
        g = escape(ranked.index[0])
        out.append(f"{g} {_verb(ranked.iloc[0])} {pct(abs(ranked.iloc[0]))} year over year "
                   f"in {span}.")
    return out


def _quarter_sentences(wide: pd.DataFrame, combined: str | None,
                       min_run: int = 4) -> list[str]:
    wide = wide[[c for c in wide.columns if c != combined]]
    q = wide.groupby(wide.index.to_period("Q"))
    counts = q.size()
    qsum = q.sum()[counts == 3]  # complete quarters only
    if len(qsum) < 4 + min_run:
        return []
    full = qsum.reindex(pd.period_range(qsum.index.min(), qsum.index.max(), freq="Q"))
    yoy = _change(full, full.shift(4)).dropna(how="all")
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
            out.append(f"{escape(g)} {_verb(cur)} {pct(abs(cur))} year over year in "
                       f"{latest}, its {kind} quarter {since}.")
    return out


def _season_sentence(wide: pd.DataFrame, label: str) -> list[str]:
    total = wide.sum(axis=1)
    if len(total) < SEASON_MONTHS or total.mean() <= 0:
        return []
    by_month = total.groupby(total.index.month).mean()
    if len(by_month) < 12:
        return []
    rel = by_month / by_month.mean() - 1
    peak, low = int(rel.idxmax()), int(rel.idxmin())
    return [f"{label} peaks in {_MONTHS[peak - 1]} ({pct(rel[peak], signed=True)} over the "
            f"average month) and is lowest in {_MONTHS[low - 1]} "
            f"({pct(rel[low], signed=True)})."]


def findings(series_frame: pd.DataFrame, *, as_of: dt.date | str | pd.Timestamp | None = None,
             recent: int = 3, label: str = "Revenue",
             combined: str | None = None, company: pd.Series | None = None) -> list[str]:
    """Plain-language sentences about growth and seasonality, for a sales manager.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame (index: period start, one column per group). Name the columns
        axis (e.g. ``"region"``) to get "the fastest of the 5 regions".
    as_of : date-like, optional
        Ignore periods starting after this day (default: use every period).
    recent : int, default 3
        Length of the "recent" window compared year over year.
    label : str, default "Revenue"
        What the values are, used in the sentences.
    combined : str, optional
        A column that sums several smaller groups (``History.other``): counted in the total,
        never named as the fastest, weakest or new group (the ranking then says "the fastest
        of the 7 largest regions").
    company : pandas.Series, optional
        The whole company's monthly total, when ``series_frame`` is a region's, team's or
        rep's: the total growth sentence ends with the company's growth over the same months
        ("whole company: +4.2 %", :func:`company_growth`).

    Returns
    -------
    list of str
        Markdown sentences (group names escaped), in order: total growth over the recent
        window (needs :func:`yoy_months` months); the groups that are new (nothing a year
        earlier, so no percentage; one sentence, largest first, the first three named:
        :func:`salesnb.core.fmt.some`); the fastest and weakest group; groups whose latest
        complete quarter is their slowest or fastest (year over year) for at least four
        quarters; the seasonal peak and low month (needs :data:`SEASON_MONTHS`). Sentences
        whose numbers cannot be computed (too little history, zero base) are skipped.
    """
    wide = _check_wide(series_frame).astype(float)
    day = parse_day(as_of, name="as_of")
    if day is not None:
        wide = wide.loc[wide.index <= pd.Timestamp(day)]
        if wide.empty:
            raise SalesnbError(f"no periods on or before as_of={as_of}")
    if combined is not None and combined not in wide.columns:
        raise SalesnbError(f"combined={combined!r} is not a column of the frame "
                           f"({', '.join(map(str, wide.columns))})")
    return (_recent_growth_sentences(wide, recent, label, combined, company)
            + _quarter_sentences(wide, combined) + _season_sentence(wide, label))


# --------------------------------------------------------------------------- charts


def trends_figure(series_frame: pd.DataFrame, *, window: int = 3,
                  fig: Figure | None = None) -> Figure:
    """Small multiples: monthly values per group with a trailing moving average.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame (index: period start, one column per group).
    window : int, default 3
        Moving-average window, in periods.
    fig : matplotlib.figure.Figure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
        One row of axes per group, sharing the time axis.
    """
    wide = _check_wide(series_frame)
    n = len(wide.columns)
    fig = fig if fig is not None else plt.figure(figsize=(9, 1.9 * max(n, 1)))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)
    ma = wide.rolling(window, min_periods=window).mean()
    few = len(wide) < 12  # a short history: mark every month, tick every month
    for ax, col in zip(axes[:, 0], wide.columns, strict=True):
        ax.plot(wide.index, wide[col], color="#9ecae1", label="monthly",
                marker="o" if few else None)
        ax.plot(ma.index, ma[col], color="#08519c", label=f"{window}-month average")
        ax.set_ylabel(str(col), rotation=0, ha="right", va="center")
        ax.set_ylim(bottom=min(0, float(wide[col].min())))
    bottom = axes[-1, 0]
    if few:
        bottom.set_xticks(wide.index)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    axes[0, 0].legend(loc="upper left", fontsize="small")
    axes[0, 0].set_title(f"Monthly values with {window}-month moving average")
    fit(fig)
    return fig


def decomposition_figure(decomposed: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
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
        The four panels, sharing the time axis.
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
    fit(fig)
    return fig
