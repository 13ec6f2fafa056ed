"""What the customer-segmentation report shows: headline, segment and cluster panels, exports.

Thin compositions of :mod:`salesnb.segments` for the ``03_customer_segmentation`` notebook
and its widget panels: they wire controls to the analysis functions and present the results.
RFM tables are cached per (as-of day, score levels), so moving a control recomputes only what
depends on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

from salesnb.core.cache import memoize
from salesnb.core.export import write_table
from salesnb.core.fmt import escape, no_html, pct, plural
from salesnb.core.periods import parse_day
from salesnb.data.schema import PII_COLUMNS
from salesnb.errors import SalesnbError
from salesnb.report.catalog import AS_OF, SEGMENT_PANEL
from salesnb.report.reporting import export_note as _export
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, panel
from salesnb.segments import clusters, playbook, plots, scoring, summaries
from salesnb.segments.movement import Migration

__all__ = ["rfm_cache", "headline", "types_note", "segment_view", "segment_panel",
           "cluster_view", "cluster_panel", "overview_figure", "migration_view",
           "migration_figure", "with_contacts", "export_note"]

_BINS, _K = SEGMENT_PANEL


def rfm_cache(orders: pd.DataFrame, **columns: Any) -> Callable[[Any, int], pd.DataFrame]:
    """A cached ``(as_of, bins) -> rfm table`` for one order table (16 most recent kept).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    **columns
        Column names, as for :func:`salesnb.segments.rfm`.

    Returns
    -------
    callable
        ``table_of(as_of, bins)``; ``as_of`` is a date, ISO text or empty (the day of the last
        order), and one day is one cache entry whichever form it comes in (the report
        passes ``d.as_of``, its controls ISO text). Each call returns its own copy of the
        cached table (:func:`salesnb.core.cache.memoize`), with ``cache_info()`` and
        ``cache_clear()``.
    """

    @memoize(maxsize=16)
    def cached(day: dt.date | None, bins: int) -> pd.DataFrame:
        return scoring.rfm(orders, as_of=day, bins=bins, **columns)

    def table(as_of: Any, bins: int) -> pd.DataFrame:
        return cached(parse_day(as_of, name="as_of"), bins)

    table.cache_info = cached.cache_info  # type: ignore[attr-defined]
    table.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return table


def headline(table: pd.DataFrame, follow: pd.DataFrame | None = None,
             mig: Migration | None = None) -> Markdown:
    """The three numbers a manager reads first: core customers, value at risk, follow-ups.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`salesnb.segments.rfm`.
    follow : pandas.DataFrame, optional
        From :func:`salesnb.segments.follow_up`.
    mig : Migration, optional
        From :func:`salesnb.segments.migration`.

    Returns
    -------
    IPython.display.Markdown
        The headline.
    """
    core = summaries.segment_share(table, scoring.CORE)
    risk = summaries.segment_share(table, scoring.AT_RISK)
    lines = [
        f"**{len(table):,} customers** as of {escape(table.attrs.get('as_of'))}.\n",
        f"- **Core:** {' and '.join(scoring.CORE)} customers are {pct(core.customers_share)} "
        f"of customers and bring **{pct(core.revenue_share)}** of net revenue.",
        f"- **Value at risk:** {risk.customers:,} customers who used to buy a lot have gone "
        f"quiet ({', '.join(scoring.AT_RISK)}); they hold **{pct(risk.revenue_share)}** of net "
        "revenue.",
    ]
    if follow is not None:
        lines.append(f"- **Follow up:** {len(follow):,} high-value customers with low or falling "
                     "satisfaction (listed below).")
    if mig is not None:
        lines.append(f"- **Movement:** {no_html(mig.summary())}")
    return Markdown("\n".join(lines))


def types_note(types: pd.DataFrame) -> Markdown:
    """What the customer-types table is made of: the attributes, where from, the periods.

    Parameters
    ----------
    types : pandas.DataFrame
        From :func:`salesnb.segments.customer_types`.

    Returns
    -------
    IPython.display.Markdown
        One sentence.
    """
    by = [f"**{escape(k)}**" for k in types.attrs.get("by", types.index.names)]
    where = ("the customer table" if types.attrs.get("source", "customers") == "customers"
             else "each customer's first order line (the data has no customer table with "
                  "these attributes)")
    text = f"Customer types by {' and '.join(by)}, from {where}: {plural(len(types), 'type')}."
    if "period" in types.attrs:
        (start, end), (before, until) = types.attrs["period"], types.attrs["previous"]
        text += f" Revenue from {start} to {end} is compared with {before} to {until}"
        first = types.attrs.get("first_day")
        if first and first > until:
            text += (f"; the data starts on {first}, after that period, so growth is not "
                     "known")
        elif first and first > before:
            text += (f"; the data starts on {first}, so the earlier period is only partly "
                     "covered and growth reads high")
        text += "."
    return Markdown(text)


def overview_figure(table: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
    """Segment shares beside the R x FM heatmap.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`salesnb.segments.rfm`.
    fig : matplotlib.figure.Figure, optional
        Figure to draw on; a new one (14 x 5 inches) by default.

    Returns
    -------
    matplotlib.figure.Figure
        The two charts.
    """
    fig = fig if fig is not None else plt.figure(figsize=(14, 5))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})
    plots.plot_segments(summaries.segment_summary(table), ax=left)
    plots.plot_rfm_grid(table, ax=right)
    fig.tight_layout()
    return fig


def migration_view(mig: Migration) -> Figure | Markdown:
    """The migration heatmap, or a sentence when no customer had bought by the earlier day.

    Parameters
    ----------
    mig : Migration
        From :func:`salesnb.segments.migration`.

    Returns
    -------
    matplotlib.figure.Figure or IPython.display.Markdown
        :func:`migration_figure`; or, when every customer is new (the data starts after the
        earlier day), what that means and how to compare a shorter span.
    """
    if mig.compared:
        return migration_figure(mig)
    return Markdown(f"*{no_html(mig.summary())} Set a smaller `compare_months` to compare two "
                    "days the data covers.*")


def migration_figure(mig: Migration, *, fig: Figure | None = None) -> Figure:
    """The segment transition heatmap, sized for its up to 12 x 11 cells.

    Parameters
    ----------
    mig : Migration
        From :func:`salesnb.segments.migration`.
    fig : matplotlib.figure.Figure, optional
        Figure to draw on; a new one (10 x 6 inches) by default.

    Returns
    -------
    matplotlib.figure.Figure
        The heatmap.
    """
    fig = fig if fig is not None else plt.figure(figsize=(10, 6))
    plots.plot_migration(mig, ax=fig.subplots())
    fig.tight_layout()
    return fig


def segment_view(as_of: str, bins: int, *,
                 table_of: Callable[[str, int], pd.DataFrame]) -> tuple[Any, ...]:
    """RFM segments for one as-of day and score scale: note, charts, the segment table.

    Parameters
    ----------
    as_of : str
        ISO day ("" = the day of the last order).
    bins : int
        Score levels.
    table_of : callable
        ``(as_of, bins) -> rfm table``, e.g. from :func:`rfm_cache`.

    Returns
    -------
    tuple
        The note, the overview figure and the segment table; or one message when the
        segments cannot be computed.
    """
    try:
        table = table_of(as_of, bins)
    except SalesnbError as exc:
        return (Markdown(f"**{escape(exc)}**"),)
    summary = summaries.segment_summary(table)
    return (Markdown(no_html(summaries.rfm_note(table))), overview_figure(table),
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
        ISO day ("" = the day of the last order).
    k : int
        Clusters; 0 chooses k by silhouette.
    table_of : callable
        ``(as_of, bins) -> rfm table``.
    bins : int, default=5
        Score levels of the table (only the segment column depends on it).

    Returns
    -------
    tuple
        The note on k, the cluster profiles and the scatter figure; or one message.
    """
    try:
        table = table_of(as_of, bins)
        result = clusters.cluster(table, k=k or "auto")
    except SalesnbError as exc:
        return (Markdown(f"**{escape(exc)}**"),)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plots.plot_clusters(table, result, ax=ax)
    fig.tight_layout()
    return Markdown(no_html(result.note)), show(result.profile, index=True, precision=1), fig


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

    Returns
    -------
    Panel or None
        None in a headless run, where the output for ``values`` is shown statically.
    """
    fn = partial(cluster_view, table_of=table_of or rfm_cache(orders), bins=bins)
    return panel((AS_OF, _K), fn, values)


#: The customer columns that name or reach a customer: personal data, in a report only when
#: it loaded them (``show_pii``).
CONTACTS: tuple[str, ...] = tuple(PII_COLUMNS.get("customers", ()))


def with_contacts(frame: pd.DataFrame, customers: pd.DataFrame | None, *,
                  customer: str = "customer_id") -> pd.DataFrame:
    """A list of customers with each one's name and contacts beside the id, when loaded.

    A report loads names, contact persons, e-mails and phones only when it runs with
    ``show_pii`` (:func:`salesnb.report.reporting.report_data` drops them otherwise): with
    them, the follow-up and action lists name each customer and say whom to call; without,
    they hold ids only, and this returns ``frame`` unchanged.

    Parameters
    ----------
    frame : pandas.DataFrame
        A list with a ``customer`` column (follow-ups, the action list ...).
    customers : pandas.DataFrame or None
        The customer table as the report loaded it.
    customer : str, default="customer_id"
        Customer id column of both tables.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with the contact columns the customer table has (:data:`CONTACTS`: name,
        contact_name, email, phone) right after the id, in the same row order.
    """
    if customers is None or customer not in frame.columns or customer not in customers:
        return frame
    cols = [c for c in CONTACTS if c in customers.columns and c not in frame.columns]
    if not cols:
        return frame
    info = customers.drop_duplicates(customer).set_index(customer)[cols]
    out = frame.join(info, on=customer)
    first = list(frame.columns[:list(frame.columns).index(customer) + 1])
    return out[first + cols + [c for c in frame.columns if c not in first]]


def _write_actions(action_list: pd.DataFrame, path: Path) -> Path:
    """The list as one CSV table, or as an Excel workbook: "all" and one sheet per action."""
    csv = path.suffix.lower() == ".csv"
    return write_table(action_list if csv else playbook.action_sheets(action_list), path)


def export_note(action_list: pd.DataFrame, file_name: str) -> Markdown:
    """Write the action list for reps beside a scheduled report and say where it is.

    Parameters
    ----------
    action_list : pandas.DataFrame
        From :func:`salesnb.segments.actions`.
    file_name : str
        ``.xlsx`` or ``.csv`` name; empty writes nothing.

    Returns
    -------
    IPython.display.Markdown
        Customers per action, and where the list is (or how to write it by hand).
    """
    counts = action_list["action"].value_counts()
    tally = ", ".join(f"{a} {n:,}" for a, n in counts.items())
    tables = ("actions" if file_name.lower().endswith(".csv")
              else "segments.action_sheets(actions)")
    named = [c for c in CONTACTS if c in action_list.columns]
    held = ("customer ids with names and contacts: personal data, keep it to the reps"
            if named else "customer ids, no personal data")
    note = _export(file_name, partial(_write_actions, action_list),
                   what=f"the list for reps ({held}; one sheet per action in Excel)",
                   how=f'salesnb.core.export.write_table({tables}, "{file_name}")',
                   param="actions_file")
    return Markdown(f"Actions: {tally}. {note}")
