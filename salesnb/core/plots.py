"""The plotting convention every salesnb plot follows.

* Axes-level plots: ``plot_x(data, *, ..., ax=None, **kwargs) -> Axes``. They draw on ``ax``,
  or on :func:`matplotlib.pyplot.gca` when none is given (as seaborn does), and never save.
* Figure-level plots (several panels): ``x_figure(data, *, ..., fig=None) -> Figure``.

A figure lays itself out when it is drawn: the reports' figures use matplotlib's tight
layout engine (``figure.autolayout``, set by :func:`salesnb.report.reporting.setup`; a
figure-level plot asks for it with :func:`fit`) or fixed margins (:data:`FIXED_LAYOUT`).
Such a figure :func:`fits` inside its own area. A report settles it (:func:`settle`) before
drawing it: laid out once, its margins fixed, it is drawn once. Otherwise matplotlib measures
it in a first pass and lays it out again as it draws (a tight bounding box also draws it
twice), and those passes cost more than the drawing itself.

The reports' titles sit just above their axes (``axes.titley`` is 1, set by ``setup``):
left to place them, matplotlib measures every titled axis again at each layout and draw, to
keep the title clear of ticks on top and of a ``1e6`` multiplier. The reports have neither:
no axis puts its ticks on top, and large values read ``1.5 M`` (:func:`amounts`).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.ticker import EngFormatter, FuncFormatter, ScalarFormatter

__all__ = ["axes", "say", "fit", "fits", "settle", "amounts", "FIXED_LAYOUT", "AMOUNTS_FROM"]

#: Attribute a plotting function sets to True on a figure whose fixed margins (set with
#: ``subplots_adjust``) already hold everything drawn, so it :func:`fits`.
FIXED_LAYOUT = "salesnb_fixed_layout"


def fit(fig: Figure) -> Figure:
    """Lay ``fig`` out to fit when it is drawn (matplotlib's tight layout engine).

    Unlike ``fig.tight_layout()``, which measures every panel at once (and a report then
    measured it again to crop it), the engine measures when the figure is shown: once, in
    :func:`settle`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure.
    """
    fig.set_layout_engine("tight")
    return fig


def settle(fig: Figure) -> Figure:
    """Lay out a figure with a tight layout engine now, then fix its margins.

    Drawing it afterwards draws it once, without measuring or laying it out again. A figure
    with another layout (or none) is left as it is.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, about to be drawn.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure; it :func:`fits` when it had a tight layout engine.
    """
    engine = fig.get_layout_engine()
    if isinstance(engine, TightLayoutEngine):
        engine.execute(fig)
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)  # no engine at all: matplotlib skips its first pass
        setattr(fig, FIXED_LAYOUT, True)
    return fig


#: Smallest tick value (in absolute terms) from which :func:`amounts` labels an axis in
#: thousands and millions; below it (counts, percentages, years) ticks keep their digits.
AMOUNTS_FROM = 1e5


def amounts(fig: Figure, *, start: float = AMOUNTS_FROM) -> Figure:
    """Label the large values of every plain numeric axis as ``250 k`` or ``1.5 M``.

    matplotlib would write such ticks as ``0.5 … 2.5`` with a ``1e6`` above the axis, which
    a manager has to decode (and which a title can cover); in Chinese they read ``150万``.
    Date, category, log and
    already-formatted axes are left as they are.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, its data drawn and its limits set.
    start : float, default :data:`AMOUNTS_FROM`
        An axis whose largest tick in view reaches this is relabelled.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure.
    """
    for ax in fig.axes:
        if not ax.axison:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is not ScalarFormatter \
                    or axis.get_scale() != "linear":
                continue
            lo, hi = sorted(axis.get_view_interval())
            ticks = np.asarray(axis.get_majorticklocs(), dtype=float)
            ticks = ticks[(ticks >= lo) & (ticks <= hi)]
            if ticks.size and np.nanmax(np.abs(ticks)) >= start:
                axis.set_major_formatter(_large_values())
    return fig


def _large_values() -> Any:
    """The tick formatter of large values: ``1.5 M`` in English, ``150万`` in Chinese."""
    from salesnb.core.i18n import language

    if language() == "zh-CN":
        from salesnb.core.fmt import compact

        return FuncFormatter(lambda value, _pos: compact(value) if value else "0")
    return EngFormatter(sep=" ")


def fits(fig: Figure) -> bool:
    """Whether ``fig`` holds everything drawn inside its own area once it is drawn.

    True for fixed margins (:data:`FIXED_LAYOUT`) and for a tight or constrained layout
    engine (:func:`fit`, ``figure.autolayout``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    bool
        True when drawing it needs no tight bounding box.
    """
    if getattr(fig, FIXED_LAYOUT, False):
        return True
    return isinstance(fig.get_layout_engine(), (TightLayoutEngine, ConstrainedLayoutEngine))


def axes(ax: Axes | None) -> Axes:
    """The axes to draw on: ``ax``, or the current axes of pyplot.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes given by the caller.

    Returns
    -------
    matplotlib.axes.Axes
        Where to draw.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def say(ax: Axes, text: str, *, height: float | None = 0.5) -> Axes:
    """Replace an empty chart by one line of text (a plot with nothing to show says so).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    text : str
        What to say.
    height : float or None, default 0.5
        New height of the figure in inches, so the line does not leave a tall blank; ``None``
        keeps the figure's size (when the axes share a figure with others).

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, without frame or ticks.
    """
    if height is not None:
        ax.figure.set_size_inches(ax.figure.get_figwidth(), height)
        if isinstance(ax.figure.get_layout_engine(), TightLayoutEngine):
            ax.figure.set_layout_engine("none")  # one line of text: no margins to fit
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax
