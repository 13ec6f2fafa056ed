"""The plotting convention every salesnb plot follows.

* Axes-level plots: ``plot_x(data, *, ..., ax=None, **kwargs) -> Axes``. They draw on ``ax``,
  or on :func:`matplotlib.pyplot.gca` when none is given (as seaborn does), and never save.
* Figure-level plots (several panels): ``x_figure(data, *, ..., fig=None) -> Figure``.
"""

from __future__ import annotations

from matplotlib.axes import Axes

__all__ = ["axes", "say"]


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
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax
