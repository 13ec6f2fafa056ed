"""What the sales-forecast report shows: coherent forecasts by group, growth, the blend.

Thin compositions of :mod:`salesnb.forecast` and :mod:`salesnb.trends` for the
``02_sales_forecast`` notebook and its widget panel; each is a pure function usable elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

from salesnb.forecast import models as fc
from salesnb.forecast import trends as trends
from salesnb.paths import resolve_path
from salesnb.report.catalog import FORECAST_PANEL
from salesnb.report.reporting import show
from salesnb.report.widgets import FIXED_LAYOUT, Panel, panel

__all__ = ["findings_markdown", "latest_growth", "coherent_forecasts", "forecast_table",
           "plot_group_forecasts", "series_frame", "forecast_cache", "forecast_view",
           "forecast_panel", "won_series", "pipeline_view"]


def findings_markdown(series_frame: pd.DataFrame, *, label: str = "Revenue") -> Markdown:
    """The trend findings as a bulleted Markdown list (or a sentence when there are none)."""
    lines = trends.findings(series_frame, label=label)
    if not lines:
        return Markdown("*Not enough history for year-over-year findings (24 months needed).*")
    return Markdown("\n".join(f"- {line}" for line in lines))


def latest_growth(series_frame: pd.DataFrame, *, months: int = 3) -> pd.DataFrame:
    """Per group: revenue of the last ``months`` months, the year before, and the growth."""
    recent = series_frame.tail(months).sum()
    if len(series_frame) >= 12 + months:
        before = series_frame.iloc[-12 - months:-12].sum()
    else:
        before = pd.Series(float("nan"), index=series_frame.columns)
    growth = (100 * (recent / before.where(before > 0) - 1)).round(1)
    out = pd.DataFrame({f"last {months} months": recent, "a year earlier": before,
                        "growth %": growth})
    out.loc["total"] = [recent.sum(), before.sum(),
                        round(100 * (recent.sum() / before.sum() - 1), 1)
                        if before.sum() > 0 else float("nan")]
    return out


def coherent_forecasts(series_frame: pd.DataFrame, *, horizon: int = 6, model: str = "auto",
                       levels: tuple[int, ...] = (80, 95)) -> tuple[dict[str, pd.DataFrame],
                                                                     dict[str, str]]:
    """Forecast every group, reconcile bottom-up, and return the forecasts and models used.

    The groups' forecasts add up exactly to the total, so a director's and a manager's numbers
    agree.

    Returns
    -------
    tuple
        ``({"total": frame, group: frame, ...}, {group: model used})``.
    """
    base, used = {}, {}
    for col in series_frame.columns:
        result = fc.forecast(series_frame[col], horizon=horizon, model=model, levels=levels)
        base[str(col)] = result.frame
        used[str(col)] = result.model
    return trends.reconcile(base, method="bottom_up"), used


def forecast_table(coherent: dict[str, pd.DataFrame], *, level: int = 80) -> pd.DataFrame:
    """One row per future month: every group's forecast, the total and its ``level`` % interval."""
    means = pd.DataFrame({name: f["mean"] for name, f in coherent.items()})
    total = coherent["total"]
    means[f"total low {level}%"] = total[f"lower_{level}"]
    means[f"total high {level}%"] = total[f"upper_{level}"]
    means.index = means.index.strftime("%Y-%m")
    means.index.name = "month"
    return means


def plot_group_forecasts(series_frame: pd.DataFrame, coherent: dict[str, pd.DataFrame], *,
                         level: int = 80, history: int = 24) -> Figure:
    """Small multiples: recent history and the forecast with its interval, per group and total."""
    names = ["total", *[str(c) for c in series_frame.columns]]
    hist = series_frame.copy()
    hist.columns = [str(c) for c in hist.columns]
    hist["total"] = hist.sum(axis=1)
    cols = 2
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), squeeze=False,
                             sharex=True)
    locator = mdates.MonthLocator(bymonth=(1, 7))  # one locator and formatter for all axes
    formatter = mdates.DateFormatter("%Y-%m")
    for ax, name in zip(axes.ravel(), names, strict=False):
        h = hist[name].tail(history)
        f = coherent[name]
        ax.plot(h.index, h.to_numpy(), color="#444", lw=1.2)
        ax.plot(f.index, f["mean"], color="#2c7fb8", lw=1.8)
        ax.fill_between(f.index, f[f"lower_{level}"], f[f"upper_{level}"], color="#2c7fb8",
                        alpha=0.2, lw=0)
        ax.set_title(name, fontsize=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
        ax.tick_params(labelsize=8, labelbottom=True)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    fig.suptitle(f"Forecast with {level} % interval (groups add up to the total)",
                 fontweight="bold")
    # Fixed spacing: tight_layout measured ~40 % of a redraw when only the level changes.
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.7 / height, bottom=0.35 / height,
                        hspace=0.55, wspace=0.18)
    setattr(fig, FIXED_LAYOUT, True)  # drawn once in a panel
    return fig


def series_frame(orders: pd.DataFrame, products: pd.DataFrame | None, by: str,
                 series_file: str = "") -> pd.DataFrame:
    """The monthly frame the report analyses: the orders by ``by``, or an external series.

    With ``series_file`` (a CSV of one monthly series, see :func:`salesnb.forecast.read_series`)
    that series is analysed instead of the orders, and ``by`` is ignored.
    """
    if series_file:
        return fc.read_series(resolve_path(series_file))
    return fc.sales_series(orders, freq="MS", by=by, products=products)


Fitted = tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, str]]


def forecast_cache(orders: pd.DataFrame, products: pd.DataFrame | None = None,
                   series_file: str = "", *,
                   maxsize: int = 32) -> Callable[[str, int, str], Fitted]:
    """A cached ``(by, horizon, model) -> (series frame, coherent forecasts, models used)``.

    The monthly series are built once per grouping and the models fitted once per setting,
    so the panel answers the interval level at once and a setting seen before without
    refitting. Callers must not modify the returned frames.
    """

    @lru_cache(maxsize=4)
    def frame_of(by: str) -> pd.DataFrame:
        return series_frame(orders, products, by, series_file)

    @lru_cache(maxsize=maxsize)
    def fitted(by: str, horizon: int, model: str) -> Fitted:
        frame = frame_of(by)
        coherent, used = coherent_forecasts(frame, horizon=horizon, model=model)
        return frame, coherent, used

    return fitted


def forecast_view(horizon: int, by: str, model: str, level: int, *, orders: pd.DataFrame,
                  products: pd.DataFrame | None = None, series_file: str = "",
                  fitted: Callable[[str, int, str], Fitted] | None = None) -> tuple[Any, ...]:
    """The forecast panel's output: summary, charts and table for the chosen settings.

    ``fitted`` is a :func:`forecast_cache` (the panel passes one); without it every call
    builds the series and fits the models again.
    """
    if fitted is None:
        fitted = forecast_cache(orders, products, series_file)
    frame, coherent, used = fitted(by, horizon, model)
    total = coherent["total"]
    first, last = total.index[0], total.index[-1]
    models = ", ".join(f"{g}: {m}" for g, m in used.items())
    digits = 0 if total["mean"].abs().max() >= 1000 else 2  # revenue, or a small index

    def num(v: float) -> str:
        return f"{v:,.{digits}f}"

    summary = Markdown(
        f"**Forecast {first:%b %Y} – {last:%b %Y}: {num(total['mean'].sum())}** in total "
        f"({level} % interval {num(total[f'lower_{level}'].sum())} – "
        f"{num(total[f'upper_{level}'].sum())} if every month fell at its bound). "
        f"Models: {models}.")
    return (summary, plot_group_forecasts(frame, coherent, level=level),
            show(forecast_table(coherent, level=level), index=True, precision=digits))


def forecast_panel(orders: pd.DataFrame, products: pd.DataFrame | None,
                   series_file: str = "", **values: Any) -> Panel | None:
    """The forecast report's widget panel: horizon, grouping, model and interval level.

    Series and fitted models are cached (:func:`forecast_cache`): changing the interval level
    only redraws, and each (grouping, horizon, model) is fitted once.
    """
    fn = partial(forecast_view, orders=orders, products=products, series_file=series_file,
                 fitted=forecast_cache(orders, products, series_file))
    return panel(FORECAST_PANEL, fn, values)


def won_series(opportunities: pd.DataFrame, *, as_of: dt.date) -> pd.Series:
    """Monthly value of won deals (by close month) up to ``as_of``: the pipeline's own scope."""
    won = opportunities[(opportunities["stage"] == "won")
                        & (opportunities["closed_date"] <= pd.Timestamp(as_of))]
    monthly = won.set_index("closed_date")["amount"].resample("MS").sum()
    return monthly.asfreq("MS", fill_value=0.0).rename("won deals")


def pipeline_view(orders: pd.DataFrame, opportunities: pd.DataFrame | None, *,
                  as_of: str = "",
                  months: int = 3, weight: float = 0.5) -> tuple[Any, ...]:
    """Won-deal forecast against the weighted open pipeline, and their blend.

    Both sides have the same scope, deals tracked as opportunities: the statistical side
    forecasts the monthly value of won deals, the pipeline side weights each open deal by the
    win rate of its stage and places it in its expected close month. ``as_of`` empty means the
    last order date in the data (the pipeline as it stood then).
    """
    if opportunities is None or opportunities.empty:
        return (Markdown("*No opportunities in this data: the pipeline view needs them.*"),)
    day = dt.date.fromisoformat(as_of) if as_of else orders["order_date"].max().date()
    history = won_series(opportunities, as_of=day)
    stat = fc.forecast(history, horizon=months).frame
    pipe = trends.pipeline_forecast(opportunities, as_of=day, months=months)
    blended = trends.blend(stat, pipe, weight=weight)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    trends.plot_blend(blended, history=history.tail(12), ax=ax)
    ax.set_title("Won deals per month: statistical forecast, weighted pipeline and blend")
    table = blended[["statistical_mean", "pipeline_weighted", "mean", "source"]].copy()
    table.index = table.index.strftime("%Y-%m")
    return fig, show(table.rename(columns={"mean": "blended"}), index=True, precision=0)
