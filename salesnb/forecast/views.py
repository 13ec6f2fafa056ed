"""What the sales-forecast report shows: the wiring of the ``02_sales_forecast`` notebook.

The analysis lives in the domain modules (:mod:`~salesnb.forecast.series`,
:mod:`~salesnb.forecast.trends`, :mod:`~salesnb.forecast.hierarchy`,
:mod:`~salesnb.forecast.pipeline`); these functions pick the series to analyse, cache the
fits for the widget panel and present the results (Markdown, charts, formatted tables).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from salesnb.core.cache import memoize
from salesnb.core.fmt import escape, no_html, number
from salesnb.core.periods import parse_day
from salesnb.forecast import hierarchy, pipeline, series, trends
from salesnb.paths import resolve_path
from salesnb.report.catalog import FORECAST_PANEL
from salesnb.report.reporting import show
from salesnb.report.widgets import FIXED_LAYOUT, Panel, panel

__all__ = ["findings_markdown", "series_frame", "forecast_cache", "forecast_view",
           "forecast_panel", "pipeline_view"]

#: What :func:`forecast_cache` returns: (series frame, coherent forecasts, models used).
Fitted = tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, str]]


def findings_markdown(series_frame: pd.DataFrame, *, label: str = "Revenue") -> Markdown:
    """The trend findings as a bulleted Markdown list (or a sentence when there are none).

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide monthly frame, as for :func:`salesnb.forecast.trends.findings`.
    label : str, default "Revenue"
        What the values are.

    Returns
    -------
    IPython.display.Markdown
        One bullet per finding (raw HTML in a finding, e.g. from a group's name, is shown as
        text: :func:`salesnb.core.fmt.no_html`).
    """
    lines = trends.findings(series_frame, label=escape(label))
    if not lines:
        return Markdown("*Not enough history for year-over-year findings (24 months needed).*")
    return Markdown("\n".join(f"- {no_html(line)}" for line in lines))


def series_frame(orders: pd.DataFrame, products: pd.DataFrame | None, by: str,
                 series_file: str = "") -> pd.DataFrame:
    """The monthly frame the report analyses: the orders by ``by``, or an external series.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame or None
        Needed for ``by="category"``.
    by : str
        Grouping (see :data:`salesnb.forecast.defaults.GROUPINGS`).
    series_file : str, default ""
        A CSV of one monthly series (see :func:`salesnb.forecast.read_series`): that series is
        analysed instead of the orders, and ``by`` is ignored.

    Returns
    -------
    pandas.DataFrame
        Wide monthly frame.
    """
    if series_file:
        return series.read_series(resolve_path(series_file))
    return series.sales_series(orders, freq="MS", by=by, products=products)


def forecast_cache(orders: pd.DataFrame, products: pd.DataFrame | None = None,
                   series_file: str = "", *,
                   maxsize: int = 32) -> Callable[[str, int, str], Fitted]:
    """A cached ``(by, horizon, model) -> (series frame, coherent forecasts, models used)``.

    Parameters
    ----------
    orders, products, series_file
        As for :func:`series_frame`.
    maxsize : int, default 32
        Settings kept.

    Returns
    -------
    callable
        The monthly series are built once per grouping and the models fitted once per
        setting (:func:`salesnb.core.cache.memoize`), so the panel answers the interval level
        at once and a setting seen before without refitting. Every call returns its own
        copies.
    """

    @memoize(maxsize=4)
    def frame_of(by: str) -> pd.DataFrame:
        return series_frame(orders, products, by, series_file)

    @memoize(maxsize=maxsize)
    def fitted(by: str, horizon: int, model: str) -> Fitted:
        frame = frame_of(by)
        coherent, used = hierarchy.coherent_forecasts(frame, horizon=horizon, model=model)
        return frame, coherent, used

    return fitted


def forecast_view(horizon: int, by: str, model: str, level: int, *, orders: pd.DataFrame,
                  products: pd.DataFrame | None = None, series_file: str = "",
                  fitted: Callable[[str, int, str], Fitted] | None = None) -> tuple[Any, ...]:
    """The forecast panel's output: summary, charts and table for the chosen settings.

    Parameters
    ----------
    horizon, by, model, level
        The panel's controls (months ahead, grouping, model, interval level).
    orders, products, series_file
        As for :func:`series_frame`.
    fitted : callable, optional
        A :func:`forecast_cache` (the panel passes one); without it every call builds the
        series and fits the models again.

    Returns
    -------
    tuple
        Summary (Markdown), the group forecasts figure and the forecast table.
    """
    if fitted is None:
        fitted = forecast_cache(orders, products, series_file)
    frame, coherent, used = fitted(by, horizon, model)
    total = coherent["total"]
    first, last = total.index[0], total.index[-1]
    models = ", ".join(f"{escape(g)}: {escape(m)}" for g, m in used.items())
    digits = 0 if total["mean"].abs().max() >= 1000 else 2  # revenue, or a small index

    def num(v: float) -> str:
        return number(v, digits=digits)

    summary = Markdown(
        f"**Forecast {first:%b %Y} – {last:%b %Y}: {num(total['mean'].sum())}** in total "
        f"({level} % interval {num(total[f'lower_{level}'].sum())} – "
        f"{num(total[f'upper_{level}'].sum())} if every month fell at its bound). "
        f"Models: {models}.")
    fig = hierarchy.group_forecasts_figure(frame, coherent, level=level)
    setattr(fig, FIXED_LAYOUT, True)  # its spacing is fixed: a panel draws it once
    return (summary, fig,
            show(hierarchy.forecast_table(coherent, level=level), index=True,
                 precision=digits))


def forecast_panel(orders: pd.DataFrame, products: pd.DataFrame | None,
                   series_file: str = "", **values: Any) -> Panel | None:
    """The forecast report's widget panel: horizon, grouping, model and interval level.

    Parameters
    ----------
    orders, products, series_file
        As for :func:`series_frame`.
    **values
        Initial control values (the notebook's parameters).

    Returns
    -------
    Panel or None
        The panel (series and fits cached by :func:`forecast_cache`: changing the interval
        level only redraws, and each (grouping, horizon, model) is fitted once).
    """
    fn = partial(forecast_view, orders=orders, products=products, series_file=series_file,
                 fitted=forecast_cache(orders, products, series_file))
    return panel(FORECAST_PANEL, fn, values)


def pipeline_view(orders: pd.DataFrame, opportunities: pd.DataFrame | None, *,
                  as_of: str = "", months: int = 3, weight: float = 0.5) -> tuple[Any, ...]:
    """Won-deal forecast against the weighted open pipeline, and their blend.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (their last day is the default ``as_of``).
    opportunities : pandas.DataFrame or None
        The opportunities; without them the view says so.
    as_of : str, default ""
        The day the pipeline stands at; empty means the last order date in the data.
    months : int, default 3
        Months forecast and blended.
    weight : float, default 0.5
        Weight of the pipeline in the blend.

    Returns
    -------
    tuple
        The chart and the table (see :func:`salesnb.forecast.pipeline.won_deals_blend`), or a
        Markdown sentence.
    """
    if opportunities is None or opportunities.empty:
        return (Markdown("*No opportunities in this data: the pipeline view needs them.*"),)
    day = parse_day(as_of, name="as_of") or orders["order_date"].max().date()
    history, blended = pipeline.won_deals_blend(opportunities, as_of=day, months=months,
                                                weight=weight)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    pipeline.plot_blend(blended, history=history.tail(12), ax=ax)
    ax.set_title("Won deals per month: statistical forecast, weighted pipeline and blend")
    table = blended[["statistical_mean", "pipeline_weighted", "mean", "source"]].copy()
    table.index = table.index.strftime("%Y-%m")
    return fig, show(table.rename(columns={"mean": "blended"}), index=True, precision=0)
