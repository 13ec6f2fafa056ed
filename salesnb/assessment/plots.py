"""The rep-assessment report's charts on a scorecard: ranks with their intervals, the trend.

Axes-level plots take the data, keyword-only ``ax=None`` (draw on the current axes when
none) and ``**kwargs`` for the main artists, and return the Axes; ``*_figure`` puts one in a
figure sized to the reps. Nothing is saved. The scope's page draws them for its reps
(:mod:`salesnb.assessment.pages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.assessment.blocks import attainment_trend
from salesnb.assessment.names import _tick
from salesnb.assessment.scoring import Scorecard
from salesnb.core.plots import FIXED_LAYOUT, axes, fit, say

__all__ = ["plot_ranks", "ranks_figure", "plot_trend", "trend_figure"]


def _sized(rows: int, width: float) -> tuple[Figure, Axes]:
    """A figure tall enough for one line per rep."""
    return plt.subplots(figsize=(width, max(3.0, 0.22 * rows + 1)))


def plot_ranks(card: Scorecard, *, labels: Mapping[str, str] | None = None,
               ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Each rep's rank with its 90 % interval: overlapping bars are not really different.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard (intervals drawn when it has rank draws).
    labels : mapping, optional
        Rep id -> name, written beside the id on the axis.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current axes.
    **kwargs
        Passed to the rank markers (``Axes.plot``).

    Returns
    -------
    matplotlib.axes.Axes
        The chart, best rep at the top.
    """
    ax = axes(ax)
    t = card.table.dropna(subset=["score"])
    if t.empty:
        return say(ax, f"No rep has a score in {card.period}.")
    y = np.arange(len(t))
    if "rank_low" in t:
        ax.hlines(y, t["rank_low"], t["rank_high"], color="#9ab", lw=4, alpha=0.8,
                  label="90 % interval")
    ax.plot(t["rank"], y, "o", **{"color": "#235", "label": "rank", **kwargs})
    ax.set_yticks(y, [_tick(r, labels) for r in t.index], fontsize=8)
    ax.invert_yaxis()
    ax.set(title=f"Rank with its uncertainty, {card.period} (1 = best)", xlabel="rank",
           ylabel="")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def ranks_figure(card: Scorecard, *, labels: Mapping[str, str] | None = None) -> Figure:
    """:func:`plot_ranks` in a figure sized to the reps, laid out once (for the panel).

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    labels : mapping, optional
        Rep id -> name, written beside the id on the axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with fixed margins.
    """
    fig, ax = _sized(int(card.table["score"].notna().sum()), 9)
    plot_ranks(card, labels=labels, ax=ax)
    # fixed margins: tight_layout would cost more than the rest of a widget redraw
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.22 if labels else 0.1, right=0.98, top=1 - 0.45 / height,
                        bottom=0.6 / height)
    setattr(fig, FIXED_LAYOUT, True)  # drawn once in a panel
    return fig


def plot_trend(blocks: pd.DataFrame, reps: pd.DataFrame | None = None, *, periods: int = 8,
               until: str | pd.Period | None = None, labels: Mapping[str, str] | None = None,
               ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Attainment per rep over the last ``periods`` periods (a heatmap, 100 % = on target).

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`~salesnb.assessment.blocks.counts`.
    reps : pandas.DataFrame, optional
        The org: only reps are shown (see
        :func:`~salesnb.assessment.blocks.attainment_trend`).
    periods : int, default=8
        How many of the latest periods.
    until : str or pandas.Period, optional
        The last period shown (the one assessed); default the last in ``blocks``.
    labels : mapping, optional
        Rep id -> name, written beside the id on the axis.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current axes.
    **kwargs
        Passed to :func:`seaborn.heatmap`.

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap.
    """
    ax = axes(ax)
    att = attainment_trend(blocks, reps, periods=periods, until=until)
    if att.empty:
        return say(ax, "No rep has a target in these periods.")
    style = {"annot": True, "fmt": ".0f", "cmap": "RdYlGn", "center": 100, "vmin": 50,
             "vmax": 150, "cbar_kws": {"label": "attainment %"}, "annot_kws": {"fontsize": 7}}
    att = att.rename(columns=str, index=lambda r: _tick(r, labels))
    sns.heatmap(100 * att, ax=ax, **{**style, **kwargs})
    ax.set(title="Attainment per rep and period (%)", xlabel="", ylabel="")
    return ax


def trend_figure(blocks: pd.DataFrame, reps: pd.DataFrame | None = None, *,
                 periods: int = 8, until: str | pd.Period | None = None,
                 labels: Mapping[str, str] | None = None) -> Figure:
    """:func:`plot_trend` in a figure sized to the reps.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`~salesnb.assessment.blocks.counts`.
    reps : pandas.DataFrame, optional
        The org: only reps are shown.
    periods : int, default=8
        How many of the latest periods.
    until : str or pandas.Period, optional
        The last period shown (the one assessed); default the last in ``blocks``.
    labels : mapping, optional
        Rep id -> name, written beside the id on the axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = _sized(len(attainment_trend(blocks, reps, periods=periods, until=until)), 10)
    plot_trend(blocks, reps, periods=periods, until=until, labels=labels, ax=ax)
    fit(fig)
    return fig
