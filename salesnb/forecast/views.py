"""What the sales-forecast report shows: the wiring of the ``02_sales_forecast`` notebook.

The analysis lives in the domain modules (:mod:`~salesnb.forecast.series`,
:mod:`~salesnb.forecast.trends`, :mod:`~salesnb.forecast.hierarchy`,
:mod:`~salesnb.forecast.pipeline`; what each section needs is in
:mod:`~salesnb.forecast.requirements`; the history a report analyses, for its scope, is
:mod:`~salesnb.forecast.history`, whose functions are importable from here too); these
functions cache the fits for the widget panel and present the results (Markdown, charts,
formatted tables), with a sentence instead of a chart where the data is too short for it. On
a region's, team's or rep's report (:func:`salesnb.scope.apply_scope`) everything is the
scope's; a growth rate has the whole company's beside it, and the open deals are weighted by
the company's win rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from salesnb.core.cache import memoize
from salesnb.core.fmt import code, escape, no_html, number, plural, some
from salesnb.core.periods import parse_day
from salesnb.core.plots import FIXED_LAYOUT
from salesnb.errors import SalesnbError
from salesnb.forecast import evaluation, hierarchy, pipeline, series, trends
from salesnb.forecast.defaults import MAX_HORIZON, MIN_FORECAST_MONTHS
from salesnb.forecast.history import (
    COMPANY_ROW,
    _frames,
    data_end,
    growth_table,
    monthly_history,
    scope_history,
)
from salesnb.forecast.models import COMBO_MARGIN
from salesnb.forecast.requirements import group_needs
from salesnb.paths import resolve_path
from salesnb.report.catalog import FORECAST_PANEL
from salesnb.report.reporting import OLD_AFTER_DAYS, show
from salesnb.report.sections import Section, missing_needs, note_text
from salesnb.report.widgets import Panel, panel
from salesnb.scope.filters import scoped
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["monthly_history", "scope_history", "history_markdown", "findings_markdown",
           "growth_table", "series_frame", "decomposition_view", "backtest_view",
           "forecast_cache", "forecast_view", "forecast_panel", "scope_forecast_panel",
           "pipeline_view", "scope_pipeline_view", "COMPANY_ROW", "data_end"]

#: What :func:`forecast_cache` returns: (history, coherent forecasts, models used).
Fitted = tuple[series.History, dict[str, pd.DataFrame], dict[str, str]]
_DayLike: TypeAlias = dt.date | str | pd.Timestamp | None


# --------------------------------------------------------------------------- the history


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
        total = "the company total" if history.company is None else "the total"
        per = (f", per {escape(grouped)}: the {n - 1} largest, the others summed as "
               f"*{escape(history.other)}*" if history.other else
               f", per {escape(grouped)} ({n})" if grouped else
               "" if history.last_day is None or not by or history.note else
               f", for {total} (per {escape(by)} it needs "
               f"{', '.join(code(n) for n in group_needs(by))})")
        parts.append(f"Monthly revenue of {plural(history.months, 'complete month')}, "
                     f"{_month(frame.index[0])} – {_month(frame.index[-1])}{per}.")
        if history.note:
            parts.append(history.note)
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
        One bullet per finding, the total's growth with the whole company's beside it on a
        region's, team's or rep's report (``History.company``; raw HTML in a finding is
        shown as text:
        :func:`salesnb.core.fmt.no_html`)); a sentence saying how many months the
        year-over-year findings (:func:`~salesnb.forecast.trends.yoy_months`) or the seasonal
        peak (:data:`~salesnb.forecast.trends.SEASON_MONTHS`) need when the data has fewer.
    """
    combined = company = None
    if isinstance(series_frame, series.History):
        company = series_frame.company
        series_frame, combined = series_frame.frame, series_frame.other
    n = len(series_frame)
    lines = (trends.findings(series_frame, label=escape(label), recent=recent,
                             combined=combined, company=company) if n else [])
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
        The trend and season chart (:func:`salesnb.forecast.trends.decompose`);
        a sentence when the series is shorter than :data:`~salesnb.forecast.trends.SEASON_MONTHS`.
    """
    if len(total) < trends.SEASON_MONTHS:
        return Markdown(f"*The trend and seasonal split needs {trends.SEASON_MONTHS} months; "
                        f"the data has {plural(len(total), 'complete month')}.*")
    return trends.decomposition_figure(trends.decompose(total))


def backtest_view(total: pd.Series, *, folds: int = 3) -> Any:
    """The model leaderboard of the total, or why there is none.

    Parameters
    ----------
    total : pandas.Series
        The monthly total (``History.total``).
    folds : int, default 3
        Origins.

    Returns
    -------
    IPython.display.HTML or IPython.display.Markdown
        The leaderboard (:func:`salesnb.forecast.backtest`) on the horizon the forecast's
        model choice scores (:func:`~salesnb.forecast.evaluation.fixed_horizon`, a year when
        the data allows), its caption saying so; a sentence alone when the series is
        shorter than :func:`~salesnb.forecast.evaluation.min_history` of one month.
    """
    need = evaluation.min_history(1)
    if len(total) < need:
        return Markdown(f"*A backtest needs {need} months; the data has "
                        f"{plural(len(total), 'complete month')}.*")
    from salesnb.forecast.evaluation import backtest

    scored = evaluation.fixed_horizon(len(total))
    board = backtest(total, horizon=scored, folds=folds)
    origins = len(evaluation.origins(len(total), scored, folds, 12 if len(total) >= 24 else 1))
    table = show(board, precision=3)
    if board.empty:
        return table
    return table.set_caption(  # type: ignore[attr-defined]
        f"Each model forecast {plural(scored, 'month')} ahead from "
        f"{plural(origins, 'past origin')}, whatever horizon the page shows: the scores "
        f"that chose the forecast's model. {evaluation.yardstick_sentence(board)}")


def forecast_cache(orders: pd.DataFrame | None, products: pd.DataFrame | None = None,
                   series_file: str = "", *, as_of: _DayLike = None,
                   maxsize: int = 32,
                   last_day: _DayLike = None) -> Callable[[str, int, str], Fitted]:
    """A cached ``(by, horizon, model) -> (history, coherent forecasts, models used)``.

    Parameters
    ----------
    orders, products, series_file, as_of, last_day
        As for :func:`monthly_history`.
    maxsize : int, default 32
        Settings kept.

    Returns
    -------
    callable
        The history is built once per grouping and the models fitted once per grouping and
        model, for every month the page can show (:data:`~salesnb.forecast.defaults.
        MAX_HORIZON`; a month's forecast does not depend on the horizon), so the panel
        answers the interval level and the horizon at once, and a setting seen before
        without refitting. Every call returns its own copies. A
        grouping the data cannot serve raises :class:`~salesnb.errors.SalesnbError`; a
        history shorter than :data:`~salesnb.forecast.defaults.MIN_FORECAST_MONTHS` is not
        fitted (empty forecasts).
    """

    @memoize(maxsize=4)
    def history_of(by: str) -> series.History:
        history = monthly_history(orders, products, by, series_file, as_of=as_of,
                                  fall_back=False, last_day=last_day)
        if history is None:
            raise SalesnbError("no orders in this data: the forecast needs the orders table")
        return history

    @memoize(maxsize=maxsize)
    def fitted_all(by: str, model: str) -> Fitted:
        history = history_of(by)
        if history.months < MIN_FORECAST_MONTHS:  # too short: nothing is fitted
            return history, {}, {}
        coherent, used = hierarchy.coherent_forecasts(history.frame, horizon=MAX_HORIZON,
                                                      model=model)
        return history, coherent, used

    def fitted(by: str, horizon: int, model: str) -> Fitted:
        history, coherent, used = fitted_all(by, model)
        return history, {k: f.iloc[:int(horizon)] for k, f in coherent.items()}, used

    fitted.cache_info = fitted_all.cache_info  # type: ignore[attr-defined]
    fitted.cache_clear = fitted_all.cache_clear  # type: ignore[attr-defined]
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
    need = evaluation.min_history(1)
    if len(frame) < need:
        text += (f" With {plural(len(frame), 'complete month')} there is no backtest (it "
                 f"needs {need})" + (", so each series gets drift" if model == "auto" else "")
                 + ", and the intervals are normal ones not checked against the past.")
    elif model == "auto":
        text = (text.replace("Models", "Chosen by the backtest", 1)
                .replace("Model", "Chosen by the backtest", 1)
                + " The backtest keeps the combination of ETS, Theta and damped Holt-Winters "
                f"unless another model's error is {COMBO_MARGIN:.0%} lower.")
    if len(frame) >= need:
        scored = evaluation.fixed_horizon(len(frame))
        text += (f" The backtest scores {plural(scored, 'month')} ahead whatever the horizon, "
                 "so a month's forecast does not move when more months are shown.")
    if frame.shape[1] > 1:
        text += (" The total is forecast from its own history, its interval from its own "
                 f"backtest errors; the {noun}s' forecasts are adjusted to add up to it.")
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
                  today: dt.date | None = None,
                  last_day: _DayLike = None) -> tuple[Any, ...]:
    """The forecast panel's output: summary, charts and table for the chosen settings.

    Parameters
    ----------
    horizon, by, model, level
        The panel's controls (months ahead, grouping, model, interval level).
    orders, products, series_file, as_of, last_day
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
        is, models, and why the grouping is not ``by`` when the order lines are all in one
        region), the group forecasts figure and the forecast table; a Markdown sentence
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
        fitted = forecast_cache(orders, products, series_file, as_of=as_of, last_day=last_day)
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

    note = f" {history.note}" if history.note else ""
    summary = Markdown(
        f"**Forecast {_month(first)} – {_month(last)}: {num(total['mean'].sum())}** in total "
        f"({level} % interval {num(total[f'lower_{level}'].sum())} – "
        f"{num(total[f'upper_{level}'].sum())} if every month fell at its bound). "
        f"{_age_sentence(history, first, horizon, today or dt.date.today())} "
        f"{_models_sentence(frame, used, model, horizon)}{note}")
    fig = hierarchy.group_forecasts_figure(frame, coherent, level=level)
    setattr(fig, FIXED_LAYOUT, True)  # its spacing is fixed: a panel draws it once
    return (summary, fig,
            show(hierarchy.forecast_table(coherent, level=level), index=True,
                 precision=digits))


def forecast_panel(orders: pd.DataFrame | None, products: pd.DataFrame | None,
                   series_file: str = "", *, as_of: _DayLike = None,
                   last_day: _DayLike = None, **values: Any) -> Panel | None:
    """The forecast report's widget panel: horizon, grouping, model and interval level.

    Parameters
    ----------
    orders, products, series_file, as_of, last_day
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
                 as_of=as_of, last_day=last_day,
                 fitted=forecast_cache(orders, products, series_file, as_of=as_of,
                                       last_day=last_day))
    return panel(FORECAST_PANEL, fn, values)


def scope_forecast_panel(d: SalesData, series_file: str = "", **values: Any) -> Panel | None:
    """:func:`forecast_panel` for a report's data: the scope's orders, the company's data end.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope: the forecast is fitted on the scope's
        order lines only (a rep's forecast on that rep's orders).
    series_file : str, default ""
        An external series forecast instead of the orders.
    **values
        Initial control values (the notebook's parameters).

    Returns
    -------
    Panel or None
        As :func:`forecast_panel`.
    """
    return forecast_panel(d.get("orders"), d.get("products"), series_file, as_of=d.as_of,
                          last_day=None if series_file else data_end(d), **values)


# --------------------------------------------------------------------------- pipeline


def pipeline_view(orders: pd.DataFrame | None, opportunities: pd.DataFrame | None, *,
                  as_of: _DayLike = "", months: int = 3,
                  weight: float = 0.5, data_end: dt.date | None = None,
                  rates: Callable[[dt.date], pd.DataFrame] | None = None,
                  who: str = "") -> tuple[Any, ...]:
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
    data_end : datetime.date, optional
        The opportunities' last date in the whole export, when ``opportunities`` are a part
        of it (default: their own last date), so every scope's pipeline stands on the same
        day.
    rates : callable, optional
        ``day -> stage table`` (as :func:`salesnb.forecast.pipeline.stage_win_rates`
        returns) the open deals are weighted with; default: learnt from ``opportunities``.
    who : str, default ""
        Whose opportunities they are, for the sentence shown when there are none (default:
        "this data").

    Returns
    -------
    tuple
        Optionally a sentence, then the chart and the table (see
        :func:`salesnb.forecast.pipeline.won_deals_blend`); a Markdown sentence alone
        without opportunities or won deals.
    """
    if opportunities is None or opportunities.empty:
        where = f"for {escape(who)}" if who else "in this data"
        return (Markdown(f"*No opportunities {where}: the pipeline view needs them.*"),)
    day = parse_day(as_of, name="as_of")
    if day is None and orders is not None and not orders.empty:
        day = pd.Timestamp(orders["order_date"].max()).date()
    last = data_end or pipeline.last_activity(opportunities)
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
        by = f" by {escape(who)}" if who else ""
        return (*out, Markdown(f"*No deal was won{by} before {_month(start)}: the statistical "
                               "side of the pipeline view needs won deals.*"))
    history, blended = pipeline.won_deals_blend(opportunities, as_of=day, months=months,
                                                weight=weight,
                                                rates=None if rates is None else rates(day))
    fig, ax = plt.subplots(figsize=(9, 3.5))
    pipeline.plot_blend(blended, history=history.tail(12), ax=ax)
    ax.set_title("Won deals per month: statistical forecast, weighted pipeline and blend")
    table = blended[["statistical_mean", "pipeline_weighted", "mean", "source"]].copy()
    table.index = table.index.strftime("%Y-%m")
    return (*out, fig, show(table.rename(columns={"mean": "blended"}), index=True,
                            precision=0))


def scope_pipeline_view(d: SalesData, series_file: str = "", *, months: int = 3,
                        weight: float = 0.5) -> tuple[Any, ...]:
    """:func:`pipeline_view` for a report's data: the scope's deals, the company's win rates.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope: the open and won deals are the scope's.
    series_file : str, default ""
        An external series is being analysed: there is no pipeline for it.
    months : int, default 3
        Months forecast and blended.
    weight : float, default 0.5
        Weight of the pipeline in the blend.

    Returns
    -------
    tuple
        As :func:`pipeline_view`. On a region's, team's or rep's report a sentence first:
        each open deal is weighted by the win rate of its stage learnt from all the
        company's closed deals (:func:`salesnb.scope.shared`), so a deal weighs the same on
        every page, and the pipeline stands on the company's last day.
    """
    orders, opportunities = d.get("orders"), None if series_file else d.get("opportunities")
    scope = scoped(d)
    if scope.is_company or series_file:
        return pipeline_view(orders, opportunities, as_of=d.as_of, months=months,
                             weight=weight)
    company = d.company.get("opportunities")
    if company is None or company.empty or opportunities is None or opportunities.empty:
        return pipeline_view(orders, opportunities, as_of=d.as_of, months=months,
                             weight=weight, who=scope.label)

    end = shared(d, ("forecast.opportunities_end",), lambda: pipeline.last_activity(company))
    used: dict[str, dt.date | None] = {"day": end}

    def rates(day: dt.date) -> pd.DataFrame:
        used["day"] = day
        return shared(d, ("forecast.stage_win_rates", day),
                      lambda: pipeline.stage_win_rates(company, as_of=day))

    shown = pipeline_view(orders, opportunities, as_of=d.as_of, months=months, weight=weight,
                          data_end=end, rates=rates, who=scope.label)
    closed = 0
    if {"stage", "closed_date"} <= set(company.columns):
        done = company["stage"].isin(("won", "lost"))
        if used["day"] is not None:
            done &= pd.to_datetime(company["closed_date"]) <= pd.Timestamp(used["day"])
        closed = int(done.sum())
    lead = Markdown(f"The deals are those of **{escape(scope.label)}** "
                    f"({plural(len(opportunities), 'opportunity')}); each open one is weighted "
                    f"by the win rate of its stage learnt from all "
                    f"{plural(closed, 'closed deal')} of the company, so a deal weighs the "
                    "same on every page.")
    return (lead, *shown)
