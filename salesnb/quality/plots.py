"""The data-quality report's charts: completeness, quarantine and monthly volumes."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.core.plots import axes, fit, say

__all__ = ["plot_completeness", "plot_quarantine", "volumes_figure"]


def plot_completeness(comp: pd.DataFrame, *, top: int = 20, ax: Axes | None = None,
                      **kwargs: Any) -> Axes:
    """Bar chart of the least complete columns (filled share in percent).

    Parameters
    ----------
    comp : pandas.DataFrame
        From :func:`completeness`.
    top : int, default=20
        Columns shown.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes when not given.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.barh` (e.g. ``color`` replaces the red/grey).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (saying so when every column is complete).
    """
    ax = axes(ax)
    part = comp[comp["filled_pct"] < 100].head(top)
    if part.empty:
        return say(ax, "Every column of every table is complete")
    labels = part["table"] + "." + part["column"]
    colors = ["#c0392b" if r else "#7f8c8d" for r in part["required"]]
    ax.barh(labels, part["filled_pct"], **{"color": colors, **kwargs})
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("filled (%)")
    ax.set_title("Least complete columns (red: required by the data model)")
    return ax


def plot_quarantine(by_rule: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Bar chart of quarantined rows per table and rule.

    Parameters
    ----------
    by_rule : pandas.DataFrame
        From :func:`quarantine_by_rule`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes when not given.
    **kwargs
        Passed to :func:`seaborn.barplot` (e.g. ``palette``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (saying so when no row was quarantined).
    """
    ax = axes(ax)
    if by_rule.empty:
        return say(ax, "No row was quarantined")
    agg = by_rule.groupby(["table", "rule"], as_index=False)["rows"].sum()
    sns.barplot(data=agg, y="table", x="rows", hue="rule", ax=ax, orient="h", **kwargs)
    ax.set_xlabel("quarantined rows")
    ax.set_ylabel("")
    ax.set_title("Quarantined rows by table and rule")
    return ax


def volumes_figure(volumes: pd.DataFrame, *, gaps: pd.DataFrame | None = None,
                   fig: Figure | None = None) -> Figure:
    """Small multiples: rows per month for each event table, gaps marked in red.

    Parameters
    ----------
    volumes : pandas.DataFrame
        From :func:`monthly_volumes`.
    gaps : pandas.DataFrame, optional
        From :func:`volume_gaps`; those months get a red marker.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw in; a new one (sized to the number of panels) when not given.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per event table, sharing the month axis (one panel saying so when there
        is no volume to show).
    """
    cols = [c for c in volumes.columns if not c.endswith("_revenue")]
    if fig is None:
        fig = plt.figure(figsize=(9, 1.9 * max(len(cols), 1)))
    if not cols:
        say(fig.add_subplot(), "No table with dates to count rows per month")
        return fig
    panels = fig.subplots(len(cols), 1, sharex=True, squeeze=False)
    for ax, col in zip(panels[:, 0], cols, strict=True):
        ax.plot(volumes.index, volumes[col], color="#2c7fb8")
        ax.set_ylabel(col, rotation=0, ha="right", va="center")
        ax.set_ylim(bottom=0)
        if gaps is not None and not gaps.empty:
            g = gaps[gaps["table"] == col]
            ax.scatter(g["month"], g["rows"], color="#c0392b", zorder=3, label="gap")
    panels[0, 0].set_title("Rows per month (red: far below the months before)")
    fit(fig)
    return fig
