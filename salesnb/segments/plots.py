"""Charts of the segmentation: segment shares, the R x FM grid, migration, satisfaction, clusters.

Every function is axes-level (the salesnb plot convention, :mod:`salesnb.core.plots`): it
draws on ``ax``, or on the current axes when none is given, returns the axes and never
saves. Extra keyword arguments go to the seaborn or matplotlib call that draws the data.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import seaborn as sns

from salesnb.core.plots import axes
from salesnb.segments.scoring import SegmentError, segment_of
from salesnb.segments.summaries import rfm_grid

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from salesnb.segments.clusters import Clustering
    from salesnb.segments.movement import Migration

__all__ = ["plot_segments", "plot_rfm_grid", "plot_migration", "plot_satisfaction",
           "plot_clusters", "plot_customer_types"]


def plot_segments(summary: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Share of customers against share of revenue per segment.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`~salesnb.segments.segment_summary`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    **kwargs
        Passed to :func:`seaborn.barplot`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes(ax)
    long = summary[["customers %", "revenue %"]].rename(
        columns={"customers %": "customers", "revenue %": "net revenue"}).reset_index(
        names="segment").melt(id_vars="segment", var_name="share of", value_name="%")
    sns.barplot(long, y="segment", x="%", hue="share of", ax=ax, orient="h", **kwargs)
    ax.set(title="Segments: share of customers and of revenue", xlabel="% of total",
           ylabel="")
    return ax


def plot_rfm_grid(table: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Heatmap of customers per recency x frequency-monetary score, labelled with segments.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    **kwargs
        Passed to :func:`seaborn.heatmap` (e.g. ``cmap``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes(ax)
    counts = rfm_grid(table, "customers")
    bins = int(table.attrs.get("bins", 5))
    names = np.array([[segment_of([r], [fm], bins)[0] for fm in counts.columns]
                      for r in counts.index])
    labels = np.char.add(np.char.add(counts.to_numpy().astype(str), "\n"), names.astype(str))
    style = {"cmap": "Blues", "cbar_kws": {"label": "customers"}, "annot_kws": {"fontsize": 7},
             **kwargs}
    sns.heatmap(counts, annot=labels, fmt="", ax=ax, **style)
    ax.set(title="Customers by recency (R) and frequency-monetary (FM) score",
           xlabel="FM score (buys more, more often →)", ylabel="R score (bought recently ↑)")
    return ax


def plot_migration(mig: Migration, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Heatmap of the transition matrix, each row as % of that segment's customers then.

    Parameters
    ----------
    mig : Migration
        From :func:`~salesnb.segments.migration`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    **kwargs
        Passed to :func:`seaborn.heatmap`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes(ax)
    shares = 100 * mig.matrix.div(mig.matrix.sum(axis=1), axis=0)
    style = {"cmap": "Greens", "vmin": 0, "vmax": 100, "cbar_kws": {"label": "% of the row"},
             "annot_kws": {"fontsize": 7}, **kwargs}
    sns.heatmap(shares, annot=mig.matrix, fmt="d", ax=ax, **style)
    ax.set(title=f"Where customers moved: {mig.previous} → {mig.as_of} (counts; colour = % of "
                 "row)", xlabel=f"segment on {mig.as_of}", ylabel=f"segment on {mig.previous}")
    return ax


def plot_satisfaction(table: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Mean survey score per group with its 95 % interval.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.satisfaction`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes(ax)
    t = table.dropna(subset=["mean score"])
    y = np.arange(len(t))
    ax.errorbar(t["mean score"], y, xerr=[t["mean score"] - t["low"], t["high"] - t["mean score"]],
                **{"fmt": "o", "capsize": 3, **kwargs})
    ax.set_yticks(y, [str(i) for i in t.index])
    ax.invert_yaxis()
    ax.set(title="Satisfaction: mean survey score with 95 % interval", xlabel="mean score",
           ylabel="")
    return ax


def plot_clusters(table: pd.DataFrame, result: Clustering, *, x: str = "recency",
                  y: str = "monetary", ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Scatter of customers on two features (log scale for skewed ones), coloured by cluster.

    Parameters
    ----------
    table : pandas.DataFrame
        The table clustered (e.g. from :func:`~salesnb.segments.rfm`).
    result : Clustering
        From :func:`~salesnb.segments.cluster` on ``table``.
    x, y : str
        Features on the axes (at most 20,000 customers are drawn, a fixed sample).
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    **kwargs
        Passed to :func:`seaborn.scatterplot`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes(ax)
    frame = table.assign(cluster=result.labels.astype("str")).dropna(subset=[x, y])
    if len(frame) > 20_000:
        frame = frame.sample(20_000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sns.scatterplot(frame, x=x, y=y, hue="cluster", ax=ax,
                        hue_order=sorted(frame["cluster"].unique(), key=int),
                        **{"s": 12, "alpha": 0.6, **kwargs})
    for col, setter in ((x, ax.set_xscale), (y, ax.set_yscale)):
        if result.transforms.get(col) == "log1p" and (frame[col] > 0).all():
            setter("log")
    ax.set(title=f"{result.k} customer clusters (1 = most valuable)")
    return ax


def plot_customer_types(types: pd.DataFrame, *, ax: Axes | None = None, top: int = 15,
                        **kwargs: Any) -> Axes:
    """Revenue share per customer type, annotated with growth.

    Types by two attributes (e.g. industry and size) are a heatmap; by one (e.g. region) a
    bar chart. Only the ``top`` types (rows of the heatmap) with the most revenue are drawn,
    and the title says so.

    Parameters
    ----------
    types : pandas.DataFrame
        From :func:`~salesnb.segments.customer_types`, by one or two attributes.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    top : int, default=15
        Most types (bars, or heatmap rows) drawn.
    **kwargs
        Passed to :func:`seaborn.heatmap` (two attributes) or :func:`seaborn.barplot`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    SegmentError
        When ``types`` is by more than two attributes.
    """
    if types.index.nlevels > 2:
        raise SegmentError("plot_customer_types draws customer types by one or two attributes "
                           "(e.g. by=('industry', 'size')); pass at most two.")
    ax = axes(ax)
    if types.index.nlevels == 1:
        return _type_bars(types, ax=ax, top=top, **kwargs)
    rows, cols = types.index.names
    share = types["revenue %"].unstack(cols)
    growth = types["growth %"].unstack(cols).reindex_like(share)
    known = [c for c in ("small", "medium", "large", "enterprise") if c in share.columns]
    order = known + [c for c in share.columns if c not in known]
    keep = share.sum(axis=1).sort_values(ascending=False).index[:top]
    total = len(share)
    share, growth = share.loc[keep, order], growth.loc[keep, order]
    label = (share.map(lambda v: "" if pd.isna(v) else f"{v:.1f} %")
             + growth.map(lambda g: "" if pd.isna(g) else f"\n{g:+.0f} % growth"))
    style = {"cmap": "Purples", "annot_kws": {"fontsize": 8},
             "cbar_kws": {"label": "% of revenue"}, **kwargs}
    sns.heatmap(share, annot=label, fmt="", ax=ax, **style)
    shown = f" ({len(keep)} of {total} {rows} values with the most revenue)"
    ax.set(title="Revenue share by customer type (second line: growth on the previous period)"
           + (shown if len(keep) < total else ""), xlabel=str(cols), ylabel=str(rows))
    return ax


def _type_bars(types: pd.DataFrame, *, ax: Axes, top: int, **kwargs: Any) -> Axes:
    """Bars of revenue share per type (one attribute), growth written beside each bar."""
    name = types.index.names[0] or "type"
    part = types.sort_values("revenue %", ascending=False).head(top)
    frame = pd.DataFrame({name: part.index.astype(str), "revenue %": part["revenue %"].to_numpy()})
    sns.barplot(frame, y=name, x="revenue %", ax=ax, orient="h", color="#756bb1", **kwargs)
    growth = part["growth %"].to_numpy()
    for i, g in enumerate(growth):
        if pd.notna(g):
            ax.annotate(f" {g:+.0f} % growth", (frame["revenue %"].iloc[i], i),
                        va="center", fontsize=8)
    parts = ([f"{len(part)} of {len(types)} with the most revenue"] if len(part) < len(types)
             else []) + (["beside each bar: growth on the previous period"]
                         if pd.notna(growth).any() else [])
    ax.set(title=f"Revenue share by {name}" + (f" ({'; '.join(parts)})" if parts else ""),
           xlabel="% of revenue", ylabel="")
    return ax
