"""Charts of the lead report: model quality, conversion per group, rep loads.

Axes-level plots take the data, keyword-only ``ax=None`` (draw on the current axes when
none) and ``**kwargs`` for the main artists, and return the Axes; nothing is saved.
:func:`model_quality_figure` puts the gains chart and the calibration plot side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.core.plots import axes, fit, say

if TYPE_CHECKING:
    from salesnb.leads.assignment import Assignment
    from salesnb.leads.evaluation import Comparison

__all__ = ["plot_gains", "plot_calibration", "plot_conversion", "plot_loads",
           "model_quality_figure"]


def _score_columns(comparison: Comparison) -> list[str]:
    return [c for c in comparison.scores.columns if c != "y"]


def plot_gains(comparison: Comparison, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Cumulative gains: share of conversions found when working the top x% of leads.

    Parameters
    ----------
    comparison : Comparison
        From :func:`~salesnb.leads.compare`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (the current Axes otherwise).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot` for each approach's curve.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    ax = axes(ax)
    y = comparison.scores["y"].to_numpy()
    share = np.arange(1, len(y) + 1) / len(y)
    for col in _score_columns(comparison):
        order = np.argsort(-comparison.scores[col].to_numpy(), kind="stable")
        gains = np.cumsum(y[order]) / max(y.sum(), 1)
        auc = comparison.metrics.loc[col, "roc_auc"]
        ax.plot(np.r_[0, share], np.r_[0, gains], label=f"{col} (AUC {auc:.3f})", **kwargs)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
    ax.set_xlabel("share of leads worked (highest score first)")
    ax.set_ylabel("share of conversions found")
    ax.set_title("Cumulative gains on the hold-out")
    ax.legend(loc="lower right")
    return ax


def plot_calibration(comparison: Comparison, *, n_bins: int = 10, ax: Axes | None = None,
                     **kwargs: Any) -> Axes:
    """Reliability diagram: predicted probability vs observed conversion rate.

    Parameters
    ----------
    comparison : Comparison
        From :func:`~salesnb.leads.compare`; only probability scores are drawn.
    n_bins : int, default=10
        Quantile bins of the predicted probability.
    ax : matplotlib.axes.Axes, optional
        Where to draw (the current Axes otherwise).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot` for each approach (default marker "o").

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    ax = axes(ax)
    y = comparison.scores["y"]
    top = 0.0
    for col in comparison.probabilities:
        p = comparison.scores[col]
        b = pd.qcut(p.rank(method="first"), n_bins, labels=False)
        g = pd.DataFrame({"p": p, "y": y}).groupby(b).mean()
        ax.plot(g["p"], g["y"], label=col, **{"marker": "o", **kwargs})
        top = max(top, float(g.to_numpy().max()))
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect")
    ax.set_xlabel("predicted probability (bin mean)")
    ax.set_ylabel("observed conversion rate")
    ax.set_title("Calibration on the hold-out")
    ax.legend(loc="upper left")
    return ax


def model_quality_figure(comparison: Comparison, *, fig: Figure | None = None) -> Figure:
    """Gains chart and calibration plot side by side, for the model and both baselines.

    Parameters
    ----------
    comparison : Comparison
        From :func:`~salesnb.leads.compare`.
    fig : matplotlib.figure.Figure, optional
        Figure to draw on (a new 11 x 4.2 in figure otherwise).

    Returns
    -------
    matplotlib.figure.Figure
        The figure with the two panels.
    """
    fig = fig if fig is not None else plt.figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    plot_gains(comparison, ax=left)
    plot_calibration(comparison, ax=right)
    fit(fig)
    return fig


def plot_conversion(table: pd.DataFrame, *, references: Sequence[str] | None = None,
                    ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Bar chart of a :func:`~salesnb.leads.conversion_by` table with its confidence intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.leads.conversion_by` (or
        :func:`~salesnb.leads.scoped.channel_conversion`, with a scope's comparison columns).
    references : sequence of str, optional
        Columns of rates drawn as markers beside the bars (e.g. the whole company's); by
        default every column named ``"conversion_rate, <what>"``, labelled ``<what>``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (the current Axes otherwise).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar` (defaults: capsize 3, blue, alpha 0.8).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    ax = axes(ax)
    if table.empty:
        return say(ax, "No closed lead to show a conversion rate for")
    labels = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in table.index]
    rate = table["conversion_rate"].to_numpy(float)
    err = np.vstack([rate - table["ci_low"].to_numpy(float),
                     table["ci_high"].to_numpy(float) - rate])
    ax.bar(labels, rate, yerr=err, **{"capsize": 3, "color": "tab:blue", "alpha": 0.8,
                                      "label": "this report", **kwargs})
    marks = list(references) if references is not None else [
        c for c in table.columns if str(c).startswith("conversion_rate, ")]
    for column, (marker, colour) in zip(marks, [("D", "black"), ("o", "tab:orange")],
                                        strict=False):
        ax.scatter(labels, table[column].to_numpy(float), marker=marker, color=colour,
                   zorder=3, label=str(column).removeprefix("conversion_rate, "))
    if marks:
        ax.legend(fontsize=8)
    ax.set_ylabel("conversion rate (closed leads)")
    ax.set_xlabel(" / ".join(str(n) for n in table.index.names))
    ax.tick_params(axis="x", rotation=45)
    ax.set_title("Conversion rate with 95% interval")
    return ax


def plot_loads(assignment: Assignment, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Bar chart of assigned leads against capacity per rep, coloured by region.

    Parameters
    ----------
    assignment : Assignment
        The result of :func:`~salesnb.leads.assign`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (the current Axes otherwise).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar` for the assigned leads (default width 0.6).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (nothing is saved).
    """
    ax = axes(ax)
    loads = assignment.loads
    if loads.empty:
        return say(ax, "No eligible rep")
    loads = loads.sort_values(["region", "rep_id"], kind="stable").reset_index(drop=True)
    regions = loads["region"].fillna("(none)").astype("str")
    colours = [tuple(c) for c in plt.get_cmap("tab10")(np.arange(10))]
    palette = dict(zip(sorted(regions.unique()), colours, strict=False))
    x = np.arange(len(loads))
    ax.bar(x, loads["capacity"], color="0.88", edgecolor="0.6", label="capacity")
    ax.bar(x, loads["assigned"], **{"width": 0.6, "color": [palette[r] for r in regions], **kwargs})
    for reg, col in palette.items():
        ax.bar([0], [0], color=col, label=reg)
    ax.set_xticks(x, loads["rep_id"], rotation=90, fontsize=7)
    ax.set_ylabel("leads")
    ax.set_title(f"Assigned leads vs capacity per rep (Gini of value per capacity "
                 f"{assignment.fairness.get('gini', 0):.2f})")
    ax.legend(fontsize=7, ncols=2)
    return ax
