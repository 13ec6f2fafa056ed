"""Charts of the product and region analyses.

Every plot follows the package convention (:mod:`salesnb.core.plots`): it takes the table an
analysis returned, draws on ``ax`` (the current axes when none is given), passes extra keyword
arguments to the main drawing call, never saves, and returns the axes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from salesnb.core.plots import axes, say
from salesnb.products.pvm import EFFECTS, price_volume_totals

__all__ = ["plot_abc", "plot_structure", "plot_price_volume_mix", "plot_discount_bands",
           "plot_heatmap", "plot_market_share"]

_CLASS_COLOURS = {"A": "#2c7fb8", "B": "#7fcdbb", "C": "#d9d9d9"}
_UP, _DOWN = "#31a354", "#de2d26"


def _legend_right(ax: Axes) -> None:
    """A legend outside the axes, on the right (for one line or band per group)."""
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")


def plot_abc(table: pd.DataFrame, *, value: str | None = None, top: int = 40,
             ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Pareto chart: items' values as bars coloured by class, cumulative share as a line.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.products.portfolio.abc`.
    value : str, optional
        The value column (default: the second column of ``table``).
    top : int, default 40
        Items shown (the largest).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar`.

    Returns
    -------
    matplotlib.axes.Axes
        The bars' axes (the cumulative line is on a twin axis).
    """
    import matplotlib.pyplot as plt

    ax = axes(ax)
    value = value or table.columns[1]
    t = table.head(top)
    ax.bar(range(len(t)), t[value], color=t["class"].map(_CLASS_COLOURS).to_list(), **kwargs)
    ax.set_xticks(range(len(t)), t.iloc[:, 0].astype(str), rotation=90, fontsize=7)
    ax.set_ylabel(value)
    ax2 = ax.twinx()
    ax2.plot(range(len(t)), 100 * t["cum_share"], color="#444", marker=".", lw=1)
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("cumulative share %")
    ax2.grid(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in _CLASS_COLOURS.values()]
    ax.legend(handles, list(_CLASS_COLOURS), title="class", loc="center right",
              fontsize="small")
    ax.set_title("ABC classes: value per item and cumulative share")
    return ax


def plot_structure(shares: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Stacked area of the product-structure shares over time.

    Parameters
    ----------
    shares : pandas.DataFrame
        From :func:`~salesnb.products.portfolio.structure`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (else the current ones).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.stackplot` (e.g. ``colors``).

    Returns
    -------
    matplotlib.axes.Axes
        One band per group, in percent of each period's revenue.
    """
    import matplotlib.dates as mdates

    ax = axes(ax)
    if shares.empty:
        return say(ax, "No sales in the data: no product structure to show.")
    ax.stackplot(shares.index, *(100 * shares[c] for c in shares.columns),
                 labels=[str(c) for c in shares.columns], **{"alpha": 0.9, **kwargs})
    ax.set_ylim(0, 100)
    ax.set_ylabel("share of revenue %")
    ax.margins(x=0)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    _legend_right(ax)
    ax.set_title("Product structure: share of each group per period")
    return ax


def plot_price_volume_mix(pvm: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Waterfall from base revenue through the volume, mix and price effects to current revenue.

    Parameters
    ----------
    pvm : pandas.DataFrame
        From :func:`~salesnb.products.pvm.price_volume_mix`.
    ax : matplotlib.axes.Axes, optional
        Target axes; default the current axes.
    **kwargs
        Passed to every :meth:`~matplotlib.axes.Axes.bar` call (e.g. ``width``).

    Returns
    -------
    matplotlib.axes.Axes
        Five bars: base, the three effects (green up, red down), current.
    """
    ax = axes(ax)
    totals = price_volume_totals(pvm)
    base, cur = totals["base_revenue"], totals["current_revenue"]
    labels = ["base", *(e.removesuffix("_effect") for e in EFFECTS), "current"]
    ax.bar(0, base, color="#969696", **kwargs)
    level, peak = base, max(base, cur)
    for i, effect in enumerate(EFFECTS, start=1):
        v = totals[effect]
        ax.bar(i, v, bottom=level, color=_UP if v >= 0 else _DOWN, **kwargs)
        ax.text(i, level + max(v, 0), f"{v:+,.0f}", ha="center", va="bottom", fontsize=8)
        level += v
        peak = max(peak, level, level - v)
    ax.bar(len(labels) - 1, cur, color="#2c7fb8", **kwargs)
    ax.set_xticks(range(len(labels)), labels)
    lo = min(base, cur, level) * 0.8 if min(base, cur) > 0 else 0
    ax.set_ylim(bottom=lo, top=peak + 0.08 * (peak - lo))  # room for the labels
    ax.set_ylabel("revenue")
    ax.set_title("Revenue change: volume, mix and price effects")
    return ax


def plot_discount_bands(bands: pd.DataFrame, *, ax: Axes | None = None,
                        **kwargs: Any) -> Axes:
    """Units per line (bars) and margin % (line) per discount band.

    Parameters
    ----------
    bands : pandas.DataFrame
        From :func:`~salesnb.products.pricing.discount_bands`.
    ax : matplotlib.axes.Axes, optional
        Where the bars go (the current axes when not given).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar`.

    Returns
    -------
    matplotlib.axes.Axes
        The bars' axes; the margin line, when costs are known, is on a twin axis.
    """
    ax = axes(ax)
    ax.bar(bands["band"], bands["units_per_line"], **{"color": "#9ecae1", **kwargs})
    ax.set_ylabel("units per order line")
    ax.set_xlabel("discount")
    if bands["margin_pct"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(bands["band"], bands["margin_pct"], color=_DOWN, marker="o")
        ax2.set_ylabel("gross margin %", color=_DOWN)
        ax2.grid(False)
    ax.set_title("Deeper discounts: more units per line, thinner margin?")
    return ax


def plot_heatmap(table: pd.DataFrame, *, normalise: bool = False,
                 title: str = "Revenue by region and category", ax: Axes | None = None,
                 **kwargs: Any) -> Axes:
    """Heatmap of a region x category table (values in thousands, or row shares).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.products.regions.cross`.
    normalise : bool, default False
        Show each row's split in percent instead of the values.
    title : str
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on the current axes.
    **kwargs
        Passed to :func:`seaborn.heatmap` (e.g. ``cmap``, ``fmt``).

    Returns
    -------
    matplotlib.axes.Axes
        One cell per row and column, annotated with its value.
    """
    import seaborn as sns

    ax = axes(ax)
    row_sums = table.sum(axis=1)
    data = (100 * table.div(row_sums.where(row_sums != 0), axis=0) if normalise
            else table / 1000)
    sns.heatmap(data, ax=ax, **{"annot": True, "fmt": ".0f", "cmap": "Blues", "cbar": False,
                                "linewidths": 0.5, **kwargs})
    ax.set_title(title + (" (% of row)" if normalise else " (thousands)"))
    ax.set_xlabel("")
    ax.set_ylabel("")
    return ax


def plot_market_share(shares: pd.DataFrame, *, by: str = "region", ax: Axes | None = None,
                      **kwargs: Any) -> Axes:
    """Our market share over time, one line per ``by`` value (categories added up).

    Parameters
    ----------
    shares : pandas.DataFrame
        From :func:`~salesnb.products.regions.market_share`.
    by : str, default "region"
        One line per value of this column.
    ax : matplotlib.axes.Axes, optional
        The axes for the lines; default the current ones.
    **kwargs
        Passed to each :meth:`~matplotlib.axes.Axes.plot` call.

    Returns
    -------
    matplotlib.axes.Axes
        Share in percent; an empty chart says when there are no competitor estimates.
    """
    ax = axes(ax)
    s = shares[shares["market"].notna()]
    if s.empty:
        return say(ax, "No competitor estimates: no market share to show.")
    g = s.groupby([by, "period"])[["our_revenue", "market"]].sum()
    line = (100 * g["our_revenue"] / g["market"]).unstack(by)
    for col in line.columns:
        ax.plot(line.index, line[col], label=str(col), **{"marker": ".", **kwargs})
    ax.set_ylabel("our share of the market %")
    _legend_right(ax)
    ax.set_title("Market share from competitor estimates")
    return ax
