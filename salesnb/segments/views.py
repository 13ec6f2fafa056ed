"""What the customer-segmentation report shows: headline, segment and cluster panels, exports.

Thin compositions of :mod:`salesnb.segments` for the ``03_customer_segmentation`` notebook
and its widget panels. RFM tables are cached per (as-of day, score levels), so moving a
control recomputes only what depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

from salesnb.report.catalog import AS_OF, SEGMENT_PANEL
from salesnb.report.reporting import export_note as _export
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, panel
from salesnb.segments import scoring as sg

__all__ = ["rfm_cache", "headline", "segment_view", "segment_panel", "cluster_view",
           "cluster_panel", "plot_overview", "export_note"]

_BINS, _K = SEGMENT_PANEL


def rfm_cache(orders: pd.DataFrame, **columns: Any) -> Callable[[str, int], pd.DataFrame]:
    """A cached ``(as_of, bins) -> rfm table`` for one order table (16 most recent kept)."""

    @lru_cache(maxsize=16)
    def table(as_of: str, bins: int) -> pd.DataFrame:
        return sg.rfm(orders, as_of=as_of or None, bins=bins, **columns)

    return table


def headline(table: pd.DataFrame, follow: pd.DataFrame | None = None,
             mig: sg.Migration | None = None) -> Markdown:
    """The three numbers a manager reads first: core customers, value at risk, follow-ups."""
    s = sg.segment_summary(table)

    def share(names: tuple[str, ...], col: str) -> float:
        return float(s.reindex(list(names))[col].fillna(0).sum())

    core, risk = ("Champions", "Loyal"), ("At risk", "Can't lose")
    n_risk = int(s.reindex(list(risk))["customers"].fillna(0).sum())
    lines = [
        f"**{len(table):,} customers** as of {table.attrs.get('as_of')}.\n",
        f"- **Core:** Champions and Loyal customers are {share(core, 'customers %'):.0f} % of "
        f"customers and bring **{share(core, 'revenue %'):.0f} %** of net revenue.",
        f"- **Value at risk:** {n_risk:,} customers who used to buy a lot have gone quiet "
        f"(At risk, Can't lose); they hold **{share(risk, 'revenue %'):.0f} %** of net revenue.",
    ]
    if follow is not None:
        lines.append(f"- **Follow up:** {len(follow):,} high-value customers with low or falling "
                     "satisfaction (listed below).")
    if mig is not None:
        lines.append(f"- **Movement:** {mig.summary()}")
    return Markdown("\n".join(lines))


def plot_overview(table: pd.DataFrame) -> Figure:
    """Segment shares beside the R x FM heatmap."""
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1, 1.1]})
    sg.plot_segments(sg.segment_summary(table), ax=axes[0])
    sg.plot_rfm_grid(table, ax=axes[1])
    fig.tight_layout()
    return fig


def segment_view(as_of: str, bins: int, *,
                 table_of: Callable[[str, int], pd.DataFrame]) -> tuple[Any, ...]:
    """RFM segments for one as-of day and score scale: note, charts, the segment table.

    Parameters
    ----------
    as_of : str
        ISO day ("" = the day after the last order).
    bins : int
        Score levels.
    table_of : callable
        ``(as_of, bins) -> rfm table``, e.g. from :func:`rfm_cache`.
    """
    try:
        table = table_of(as_of, bins)
    except sg.SegmentError as exc:
        return (Markdown(f"**{exc}**"),)
    summary = sg.segment_summary(table)
    return (Markdown(sg.rfm_note(table)), plot_overview(table),
            show(summary.drop(columns="what to do"), index=True, precision=1))


def segment_panel(orders: pd.DataFrame, table_of: Callable[[str, int], pd.DataFrame] | None = None,
                  **values: Any) -> Panel | None:
    """The segment panel: as-of date and score levels.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    table_of : callable, optional
        Shared RFM cache (:func:`rfm_cache`); one is made for ``orders`` otherwise.
    **values
        Starting values (the notebook's ``as_of`` and ``bins``).

    Returns
    -------
    Panel or None
        None in a headless run, where the output for ``values`` is shown statically.
    """
    fn = partial(segment_view, table_of=table_of or rfm_cache(orders))
    return panel((AS_OF, _BINS), fn, values)


def cluster_view(as_of: str, k: int, *, table_of: Callable[[str, int], pd.DataFrame],
                 bins: int = 5) -> tuple[Any, ...]:
    """k-means clusters of the customers as of a day: how k was chosen, profiles, a chart.

    Parameters
    ----------
    as_of : str
        ISO day ("" = the day after the last order).
    k : int
        Clusters; 0 chooses k by silhouette.
    table_of : callable
        ``(as_of, bins) -> rfm table``.
    bins : int, default=5
        Score levels of the table (only the segment column depends on it).
    """
    try:
        table = table_of(as_of, bins)
        result = sg.cluster(table, k=k or "auto")
    except sg.SegmentError as exc:
        return (Markdown(f"**{exc}**"),)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sg.plot_clusters(table, result, ax=ax)
    fig.tight_layout()
    return Markdown(result.note), show(result.profile, index=True, precision=1), fig


def cluster_panel(orders: pd.DataFrame, table_of: Callable[[str, int], pd.DataFrame] | None = None,
                  bins: int = 5, **values: Any) -> Panel | None:
    """The cluster panel: as-of date and k (0 = choose by silhouette).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    table_of : callable, optional
        Shared RFM cache (:func:`rfm_cache`).
    bins : int, default=5
        Score levels for the segment shown beside each cluster.
    **values
        Starting values (``as_of``, ``k``).
    """
    fn = partial(cluster_view, table_of=table_of or rfm_cache(orders), bins=bins)
    return panel((AS_OF, _K), fn, values)


def export_note(action_list: pd.DataFrame, file_name: str) -> Markdown:
    """Write the action list for reps beside a scheduled report and say where it is.

    Parameters
    ----------
    action_list : pandas.DataFrame
        From :func:`salesnb.segments.actions`.
    file_name : str
        ``.xlsx`` or ``.csv`` name; empty writes nothing.
    """
    counts = action_list["action"].value_counts()
    tally = ", ".join(f"{a} {n:,}" for a, n in counts.items())
    note = _export(file_name, partial(sg.export_actions, action_list),
                       what="the list for reps (customer ids, no personal data; one sheet per "
                            "action in Excel)",
                       how=f'segments.export_actions(actions, "{file_name}")',
                       param="actions_file")
    return Markdown(f"Actions: {tally}. {note}")
