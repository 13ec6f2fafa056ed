"""What the sales-forecast report shows: the wiring of the ``02_sales_forecast`` notebook.

The analysis lives in the domain modules (:mod:`~salesnb.forecast.series`,
:mod:`~salesnb.forecast.trends`, :mod:`~salesnb.forecast.hierarchy`,
:mod:`~salesnb.forecast.pipeline`; what each section needs is in
:mod:`~salesnb.forecast.requirements`); these functions pick the history to analyse (complete
months only), cache the fits for the widget panel and present
the results (Markdown, charts, formatted tables), with a sentence instead of a chart where
the data is too short for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from salesnb.core.cache import memoize
from salesnb.core.fmt import code, escape, no_html, number, plural, some
from salesnb.core.periods import parse_day
from salesnb.errors import SalesnbError
from salesnb.forecast import evaluation, hierarchy, pipeline, series, trends
from salesnb.forecast.defaults import MAX_GROUPS, MIN_FORECAST_MONTHS
from salesnb.forecast.requirements import group_needs
from salesnb.paths import resolve_path
from salesnb.report.catalog import FORECAST_PANEL
from salesnb.report.reporting import OLD_AFTER_DAYS, show
from salesnb.report.sections import Section, missing_needs, note_text
from salesnb.report.widgets import FIXED_LAYOUT, Panel, panel

__all__ = ["monthly_history", "history_markdown", "findings_markdown",
           "series_frame", "decomposition_view", "backtest_view", "forecast_cache",
           "forecast_view", "forecast_panel", "pipeline_view"]

#: What :func:`forecast_cache` returns: (history, coherent forecasts, models used).
Fitted = tuple[series.History, dict[str, pd.DataFrame], dict[str, str]]
_DayLike = dt.date | str | pd.Timestamp | None


# --------------------------------------------------------------------------- the history


def _frames(orders: pd.DataFrame | None, products: pd.DataFrame | None) -> dict[str, Any]:
    return {k: v for k, v in (("orders", orders), ("products", products)) if v is not None}


def monthly_history(orders: pd.DataFrame | None, products: pd.DataFrame | None, by: str,
                    series_file: str = "", *, as_of: _DayLike = None,
                    top: int | None = MAX_GROUPS,
                    fall_back: bool = True) -> series.History | None:
    """The monthly history the report analyses: per ``by`` group, complete months only.

    Parameters
    ----------
    orders : pandas.DataFrame or None
        Order lines (None or empty: no history, the sections' needs say so).
    products : pandas.DataFrame or None
        For ``by="category"``.
    by : str
        Grouping (see :data:`salesnb.forecast.defaults.GROUPINGS`).
    series_file : str, default ""
        A CSV of one monthly series (see :func:`salesnb.forecast.read_series`) analysed
        instead of the orders (``by`` is ignored).
    as_of : date-like, optional
        The report's day (``d.as_of``): order lines after it are left out.
    top : int or None, default 8
        The largest groups kept one by one, the others summed as ``"Other (...)"``
        (:data:`~salesnb.forecast.defaults.MAX_GROUPS`; None: every group).
    fall_back : bool, default True
        When the data cannot be split by ``by`` (no ``products.category``, say): the company
        total (True) or a :class:`~salesnb.errors.SalesnbError` naming what is missing.

    Returns
    -------
    History or None
        See :func:`salesnb.forecast.series.order_history`; its frame has one column per
        group (``columns.name`` is ``by``) or the single column ``"total"``.
    """
    if series_file:
        return series.History(series.read_series(resolve_path(series_file)))
    if orders is None or orders.empty:
        return None
    missing = missing_needs(_frames(orders, products), group_needs(by))
    if missing and not fall_back:
        raise SalesnbError(f"a forecast per {by} needs {', '.join(missing)}; this data "
                           "lacks it")
    return series.order_history(orders, by=None if missing else by, products=products,
                                as_of=as_of, top=top)


def series_frame(orders: pd.DataFrame, products: pd.DataFrame | None, by: str,
                 series_file: str = "") -> pd.DataFrame:
    """The monthly frame of every month with orders (the last one even if partly covered).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame or None
        Needed for ``by="category"``.
    by : str
        Grouping (see :data:`salesnb.forecast.defaults.GROUPINGS`).
    series_file : str, default ""
        A CSV of one monthly series analysed instead of the orders (``by`` is ignored).

    Returns
    -------
    pandas.DataFrame
        Wide monthly frame (the report itself uses :func:`monthly_history`, which leaves a
        part month out).
    """
    if series_file:
        return series.read_series(resolve_path(series_file))
    return series.sales_series(orders, freq="MS", by=by, products=products)


def _month(ts: pd.Timestamp) -> str:
    return f"{ts:%b %Y}"


def history_markdown(history: series.History, *, by: str = "") -> Markdown:
    """What the history covers: its complete months, the grouping, the part month left out.

    Parameters
    ----------
    history : History
        From :func:`monthly_history`.
    by : str, default ""
        The grouping asked for (said when the data cannot be split by it).

    Returns
    -------
    IPython.display.Markdown
    """
    frame, parts = history.frame, []
    if history.months:
        grouped = frame.columns.name
        n = len(frame.columns)
        per = (f", per {escape(grouped)}: the {n - 1} largest, the others summed as "
               f"*{escape(history.other)}*" if history.other else
               f", per {escape(grouped)} ({n})" if grouped else
               "" if history.last_day is None or not by else
               f", for the company total (per {escape(by)} it needs "
               f"{', '.join(code(n) for n in group_needs(by))})")
        parts.append(f"Monthly revenue of {plural(history.months, 'complete month')}, "
                     f"{_month(frame.index[0])} – {_month(frame.index[-1])}{per}.")
    if history.part_month is not None and history.last_day is not None:
        days = history.last_day.day
        parts.append(f"{history.part_month:%B %Y} is left out: the data covers only its first "
                     f"{plural(days, 'day')} (to {history.last_day}), and a part month would "
                     "read as a slump"
                     + ("; the forecast starts with it." if history.months >= MIN_FORECAST_MONTHS
                        else "."))
    if not history.months:
        parts.append("There is no complete month to analyse yet.")
    return Markdown(" ".join(parts))


def findings_markdown(series_frame: pd.DataFrame | series.History, *,
                      label: str = "Revenue", recent: int = 3) -> Markdown:
    """The trend findings as a bulleted Markdown list, and what a short history lacks.

    Parameters
    ----------
    series_frame : pandas.DataFrame or History
        Wide monthly frame, as for :func:`salesnb.forecast.trends.findings`, or a
        :func:`monthly_history` (its ``other`` column is not ranked).
    label : str, default "Revenue"
        What the values are.
    recent : int, default 3
        The recent window compared year over year.

    Returns
    -------
    IPython.display.Markdown
        One bullet per finding (raw HTML in a finding is shown as text:
        :func:`salesnb.core.fmt.no_html`); a sentence saying how many months the
        year-over-year findings (:func:`~salesnb.forecast.trends.yoy_months`) or the seasonal
        peak (:data:`~salesnb.forecast.trends.SEASON_MONTHS`) need when the data has fewer.
    """
    combined = None
    if isinstance(series_frame, series.History):
        series_frame, combined = series_frame.frame, series_frame.other
    n = len(series_frame)
    lines = (trends.findings(series_frame, label=escape(label), recent=recent,
                             combined=combined) if n else [])
    need = trends.yoy_months(recent)
    have = f"the data has {plural(n, 'complete month')}"
    note = (f"*Year-over-year findings need {need} months (the last {recent} and the same "
            f"months a year earlier); {have}.*" if n < need else
            f"*The seasonal peak needs {trends.SEASON_MONTHS} months; {have}.*"
            if n < trends.SEASON_MONTHS else "")
    text = "\n".join(f"- {no_html(line)}" for line in lines)
    return Markdown("\n\n".join(t for t in (text, note) if t))


def decomposition_view(total: pd.Series) -> Any:
    """The trend / seasonal / remainder chart of the total, or why there is none.

    Parameters
    ----------
    total : pandas.Series
        The monthly total (``History.total``).

    Returns
    -------
    matplotlib.figure.Figure or IPython.display.Markdown
        The STL chart (:func:`salesnb.forecast.trends.decompose`); a sentence when the series
        is shorter than :data:`~salesnb.forecast.trends.SEASON_MONTHS`.
    """
    if len(total) < trends.SEASON_MONTHS:
        return Markdown(f"*The trend and seasonal split needs {trends.SEASON_MONTHS} months; "
                        f"the data has {plural(len(total), 'complete month')}.*")
    return trends.decomposition_figure(trends.decompose(total))


def backtest_view(total: pd.Series, *, horizon: int = 6, folds: int = 3) -> Any:
    """The model leaderboard of the total, or why there is none.

    Parameters
    ----------
    total : pandas.Series
        The monthly total (``History.total``).
    horizon : int, default 6
        Months forecast from every origin.
    folds : int, default 3
        Origins.

    Returns
    -------
    IPython.display.HTML or IPython.display.Markdown
        The leaderboard (:func:`salesnb.forecast.backtest`), or a sentence when the series
        is shorter than :func:`~salesnb.forecast.evaluation.min_history`.
    """
    need = evaluation.min_history(horizon)
    if len(total) < need:
        return Markdown(f"*A backtest of a {horizon}-month horizon needs {need} months; the "
                        f"data has {plural(len(total), 'complete month')}.*")
    from salesnb.forecast.evaluation import backtest

    return show(backtest(total, horizon=horizon, folds=folds), precision=3)


# --------------------------------------------------------------------------- forecast


def forecast_cache(orders: pd.DataFrame | None, products: pd.DataFrame | None = None,
                   series_file: str = "", *, as_of: _DayLike = None,
                   maxsize: int = 32) -> Callable[[str, int, str], Fitted]:
    """A cached ``(by, horizon, model) -> (history, coherent forecasts, models used)``.

    Parameters
    ----------
    orders, products, series_file, as_of
        As for :func:`monthly_history`.
    maxsize : int, default 32
        Settings kept.

    Returns
    -------
    callable
        The history is built once per grouping and the models fitted once per setting
        (:func:`salesnb.core.cache.memoize`), so the panel answers the interval level at once
        and a setting seen before without refitting. Every call returns its own copies. A
        grouping the data cannot serve raises :class:`~salesnb.errors.SalesnbError`; a
        history shorter than :data:`~salesnb.forecast.defaults.MIN_FORECAST_MONTHS` is not
        fitted (empty forecasts).
    """

    @memoize(maxsize=4)
    def history_of(by: str) -> series.History:
        history = monthly_history(orders, products, by, series_file, as_of=as_of,
                                  fall_back=False)
        if history is None:
            raise SalesnbError("no orders in this data: the forecast needs the orders table")
        return history

    @memoize(maxsize=maxsize)
    def fitted(by: str, horizon: int, model: str) -> Fitted:
        history = history_of(by)
        if history.months < MIN_FORECAST_MONTHS:  # too short: nothing is fitted
            return history, {}, {}
        coherent, used = hierarchy.coherent_forecasts(history.frame, horizon=horizon,
                                                      model=model)
        return history, coherent, used

    return fitted


def _models_sentence(frame: pd.DataFrame, used: dict[str, str], model: str,
                     horizon: int) -> str:
    """Which model forecast which group, largest groups first."""
    noun = str(frame.columns.name or "series")
    order = frame.sum().sort_values(ascending=False, kind="stable").index.astype(str)
    by_model: dict[str, list[str]] = {}
    for g in order:
        by_model.setdefault(used[g], []).append(g)
    if len(used) == 1:
        text = f"Model: {escape(next(iter(used.values())))}."
    elif len(by_model) == 1:
        text = f"Model: {escape(next(iter(by_model)))} for all {plural(len(used), noun)}."
    else:
        ranked = sorted(by_model.items(), key=lambda kv: -len(kv[1]))
        text = "Models: " + "; ".join(f"{escape(m)} for {some(gs, noun=noun)}"
                                      for m, gs in ranked) + "."
    need = evaluation.min_history(horizon)
    if len(frame) < need:
        text += (f" With {plural(len(frame), 'complete month')} there is no backtest of a "
                 f"{horizon}-month horizon (it needs {need})"
                 + (", so each series gets drift" if model == "auto" else "")
                 + ", and the intervals are normal ones not checked against the past.")
    elif model == "auto":
        text = text.replace("Model", "Best in the backtest", 1).replace("Models",
                                                                        "Best in the backtest")
    return text


def _age_sentence(history: series.History, first: pd.Timestamp, horizon: int,
                  today: dt.date) -> str:
    """Where the forecast starts and how old the data is."""
    last = history.frame.index[-1]
    text = (f"It covers the {plural(horizon, 'month')} after the data's last complete month, "
            f"{_month(last)}")
    if history.last_day is None:
        return text + "."
    age = (today - history.last_day).days
    text += f" (data through {history.last_day}"
    text += f", {plural(age, 'day')} old)" if age > 0 else ")"
    if history.part_month is not None:
        text += (f"; {_month(first)} is forecast in full, the data covering only its first "
                 f"{plural(history.last_day.day, 'day')}")
    if age > OLD_AFTER_DAYS and first < pd.Timestamp(today):
        text += ("; the months after the data are forecast, not the months after today: "
                 "compare the past ones with what was sold")
    return text + "."


def forecast_view(horizon: int, by: str, model: str, level: int, *,
                  orders: pd.DataFrame | None, products: pd.DataFrame | None = None,
                  series_file: str = "", as_of: _DayLike = None,
                  fitted: Callable[[str, int, str], Fitted] | None = None,
                  today: dt.date | None = None) -> tuple[Any, ...]:
    """The forecast panel's output: summary, charts and table for the chosen settings.

    Parameters
    ----------
    horizon, by, model, level
        The panel's controls (months ahead, grouping, model, interval level).
    orders, products, series_file, as_of
        As for :func:`monthly_history`.
    fitted : callable, optional
        A :func:`forecast_cache` (the panel passes one); without it every call builds the
        history and fits the models again.
    today : datetime.date, optional
        Today, for the data's age (default: the real one).

    Returns
    -------
    tuple
        Summary (Markdown: total, interval, where the forecast starts and how old the data
        is, models), the group forecasts figure and the forecast table; a Markdown sentence
        alone when the data cannot be split by ``by`` or has fewer than
        :data:`~salesnb.forecast.defaults.MIN_FORECAST_MONTHS` complete months.
    """
    if not series_file:
        frames = _frames(orders, products)
        missing = missing_needs(frames, ["orders", *group_needs(by)])
        if missing:
            return (Markdown(note_text(Section(f"The forecast per {by}", tuple(missing)),
                                       f"a forecast per {by}", frames)),)
    if fitted is None:
        fitted = forecast_cache(orders, products, series_file, as_of=as_of)
    try:
        history, coherent, used = fitted(by, horizon, model)
    except SalesnbError as exc:  # e.g. no order line on or before as_of
        return (Markdown(f"*{escape(str(exc))}*"),)
    if history.months < MIN_FORECAST_MONTHS:
        return (Markdown(f"*A forecast needs {MIN_FORECAST_MONTHS} complete months; the data "
                         f"has {history.months}.*"),)
    frame, total = history.frame, coherent["total"]
    first, last = total.index[0], total.index[-1]
    digits = 0 if total["mean"].abs().max() >= 1000 else 2  # revenue, or a small index

    def num(v: float) -> str:
        return number(v, digits=digits)

    summary = Markdown(
        f"**Forecast {_month(first)} – {_month(last)}: {num(total['mean'].sum())}** in total "
        f"({level} % interval {num(total[f'lower_{level}'].sum())} – "
        f"{num(total[f'upper_{level}'].sum())} if every month fell at its bound). "
        f"{_age_sentence(history, first, horizon, today or dt.date.today())} "
        f"{_models_sentence(frame, used, model, horizon)}")
    fig = hierarchy.group_forecasts_figure(frame, coherent, level=level)
    setattr(fig, FIXED_LAYOUT, True)  # its spacing is fixed: a panel draws it once
    return (summary, fig,
            show(hierarchy.forecast_table(coherent, level=level), index=True,
                 precision=digits))


def forecast_panel(orders: pd.DataFrame | None, products: pd.DataFrame | None,
                   series_file: str = "", *, as_of: _DayLike = None,
                   **values: Any) -> Panel | None:
    """The forecast report's widget panel: horizon, grouping, model and interval level.

    Parameters
    ----------
    orders, products, series_file, as_of
        As for :func:`monthly_history`.
    **values
        Initial control values (the notebook's parameters).

    Returns
    -------
    Panel or None
        The panel (history and fits cached by :func:`forecast_cache`: changing the interval
        level only redraws, and each (grouping, horizon, model) is fitted once).
    """
    fn = partial(forecast_view, orders=orders, products=products, series_file=series_file,
                 as_of=as_of,
                 fitted=forecast_cache(orders, products, series_file, as_of=as_of))
    return panel(FORECAST_PANEL, fn, values)


# --------------------------------------------------------------------------- pipeline


def pipeline_view(orders: pd.DataFrame | None, opportunities: pd.DataFrame | None, *,
                  as_of: _DayLike = "", months: int = 3,
                  weight: float = 0.5) -> tuple[Any, ...]:
    """Won-deal forecast against the weighted open pipeline, and their blend.

    Parameters
    ----------
    orders : pandas.DataFrame or None
        Order lines (their last day is the default ``as_of``).
    opportunities : pandas.DataFrame or None
        The opportunities; without them the view says so.
    as_of : date-like, default ""
        The report's day (``d.as_of``); empty means the last order date in the data. When
        the opportunities end more than :data:`~salesnb.report.reporting.OLD_AFTER_DAYS`
        days before it, the pipeline is taken as it stood on their last day (and a
        sentence says so): the months forecast start after the data, not after ``as_of``.
    months : int, default 3
        Months forecast and blended.
    weight : float, default 0.5
        Weight of the pipeline in the blend.

    Returns
    -------
    tuple
        Optionally a sentence, then the chart and the table (see
        :func:`salesnb.forecast.pipeline.won_deals_blend`); a Markdown sentence alone
        without opportunities or won deals.
    """
    if opportunities is None or opportunities.empty:
        return (Markdown("*No opportunities in this data: the pipeline view needs them.*"),)
    day = parse_day(as_of, name="as_of")
    if day is None and orders is not None and not orders.empty:
        day = pd.Timestamp(orders["order_date"].max()).date()
    last = pipeline.last_activity(opportunities)
    day = day or last
    if day is None:
        return (Markdown("*The opportunities have no dates: the pipeline view needs them.*"),)
    out: list[Any] = []
    if last is not None and (day - last).days > OLD_AFTER_DAYS:
        out.append(Markdown(f"The pipeline as it stood on {last}, the opportunities' last "
                            f"date ({plural((day - last).days, 'day')} before the report's "
                            f"day, {day}); the months after it are forecast."))
        day = last
    start = pd.Timestamp(day + dt.timedelta(days=1)).to_period("M").to_timestamp()
    won = pipeline.won_series(opportunities, as_of=day)
    if not (won.index < start).any() or won[won.index < start].sum() == 0:
        return (*out, Markdown(f"*No deal was won before {_month(start)}: the statistical "
                               "side of the pipeline view needs won deals.*"))
    history, blended = pipeline.won_deals_blend(opportunities, as_of=day, months=months,
                                                weight=weight)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    pipeline.plot_blend(blended, history=history.tail(12), ax=ax)
    ax.set_title("Won deals per month: statistical forecast, weighted pipeline and blend")
    table = blended[["statistical_mean", "pipeline_weighted", "mean", "source"]].copy()
    table.index = table.index.strftime("%Y-%m")
    return (*out, fig, show(table.rename(columns={"mean": "blended"}), index=True,
                            precision=0))
