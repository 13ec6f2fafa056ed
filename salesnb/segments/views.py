"""What the customer-segmentation report shows: headline, segment and cluster panels, exports.

Thin compositions of :mod:`salesnb.segments` for the ``03_customer_segmentation`` notebook
and its widget panels: they wire controls to the analysis functions and present the results.
RFM tables are cached per (as-of day, score levels), so moving a control recomputes only what
depends on it. The customer lists they show (follow-ups, the action list) are made in
:mod:`salesnb.segments.lists` and are importable from here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

from salesnb.core.cache import memoize
from salesnb.core.export import write_table
from salesnb.core.fmt import escape, no_html, pct, plural
from salesnb.core.periods import parse_day
from salesnb.core.plots import fit
from salesnb.errors import SalesnbError
from salesnb.report.catalog import AS_OF, SEGMENT_PANEL
from salesnb.report.reporting import export_note as _export
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, panel
from salesnb.scope import customer_ids, scope_words, scoped, with_names
from salesnb.segments import clusters, playbook, plots, scoring, summaries
from salesnb.segments import scoped as sc
from salesnb.segments.lists import CONTACTS, action_list, follow_list, with_contacts
from salesnb.segments.movement import Migration

__all__ = ["rfm_cache", "headline", "types_note", "segment_view", "segment_panel",
           "cluster_view", "cluster_panel", "overview_figure", "migration_view",
           "migration_figure", "with_contacts", "follow_list", "rep_satisfaction_note",
           "action_list", "actions_view", "owners_view", "export_note"]

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

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
             mig: Migration | None = None, *, data: SalesData | None = None) -> Markdown:
    """The three numbers a manager reads first: core customers, value at risk, follow-ups.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`salesnb.segments.rfm` (or a scope's: :func:`~salesnb.segments.scoped.
        scope_rfm`).
    follow : pandas.DataFrame, optional
        From :func:`salesnb.segments.follow_up`.
    mig : Migration, optional
        From :func:`salesnb.segments.migration`.
    data : SalesData, optional
        The scoped data: on a region's, a team's or a rep's page the core and at-risk shares
        are followed by the whole company's.

    Returns
    -------
    IPython.display.Markdown
        The headline.
    """
    company, where = None, ""
    if data is not None and not scoped(data).is_company:
        company = sc.company_rfm(data, table.attrs.get("as_of"), int(table.attrs.get("bins", 5)))
        where = f" of {escape(scope_words(scoped(data)))}"
    if table.empty:
        return Markdown(f"**No customer{where} has an order on or before "
                        f"{escape(table.attrs.get('as_of'))}**: there is nothing to segment.")
    core = summaries.segment_share(table, scoring.CORE)
    risk = summaries.segment_share(table, scoring.AT_RISK)

    def beside(segments: tuple[str, ...], what: str) -> str:
        if company is None:
            return ""
        c = summaries.segment_share(company, segments)
        return f" (whole company: {pct(c.customers_share)} of customers, {pct(c.revenue_share)} " \
               f"of {what})"

    lines = [
        f"**{len(table):,} customers**{where} as of {escape(table.attrs.get('as_of'))}; "
        f"revenue here is each customer's {summaries.revenue_span(table)}.\n",
        f"- **Core:** {' and '.join(scoring.CORE)} customers are {pct(core.customers_share)} "
        f"of customers and bring **{pct(core.revenue_share)}** of that revenue"
        f"{beside(scoring.CORE, 'revenue')}.",
        f"- **Value at risk:** {risk.customers:,} customers who used to buy a lot have gone "
        f"quiet ({', '.join(scoring.AT_RISK)}; {pct(risk.customers_share)} of customers); they "
        f"hold **{pct(risk.revenue_share)}** of it{beside(scoring.AT_RISK, 'revenue')}.",
    ]
    if follow is not None:
        lines.append(f"- **Follow up:** {plural(len(follow), 'high-value customer')} with low "
                     "or falling satisfaction (listed below).")
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
    fit(fig)
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
        fig = migration_figure(mig)
        plt.close(fig)  # shown once, as the cell's result (not again by the inline backend)
        return fig
    if mig.moves.empty:
        return Markdown(f"*{no_html(mig.summary())}*")
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
    fit(fig)
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
        ``(as_of, bins) -> rfm table``, e.g. from :func:`rfm_cache`; a scope's
        (:func:`~salesnb.segments.scoped.scope_tables`) adds the company's shares to the
        segment table.

    Returns
    -------
    tuple
        The note, the overview figure and the segment table; or one message when the
        segments cannot be computed.
    """
    try:
        table = table_of(as_of, bins)
        summary = (sc.scope_summary(table_of.data, table, company=table_of.company(as_of, bins))
                   if isinstance(table_of, sc.ScopeTables) else summaries.segment_summary(table))
    except SalesnbError as exc:
        return (Markdown(f"**{escape(exc)}**"),)
    if table.empty:
        return (_no_customers(table),)
    return (Markdown(no_html(summaries.rfm_note(table))), overview_figure(table),
            show(summary.drop(columns="what to do"), index=True, precision=1))


def _no_customers(table: pd.DataFrame) -> Markdown:
    """The sentence for a scope none of whose customers bought by the day."""
    words = table.attrs.get("scope_words", "the data")
    return Markdown(f"*No customer of {escape(words)} has an order on or before "
                    f"{escape(table.attrs.get('as_of'))}: there is nothing to segment.*")


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
        ``(as_of, bins) -> rfm table``; for a scope's tables
        (:func:`~salesnb.segments.scoped.scope_tables`) the clusters are found among the
        company's customers and shown for the scope's.
    bins : int, default=5
        Score levels of the table (only the segment column depends on it).

    Returns
    -------
    tuple
        The note on k, the cluster profiles and the scatter figure; or one message.
    """
    try:
        table = table_of(as_of, bins)
        if isinstance(table_of, sc.ScopeTables):
            result = _scope_clusters(table_of, table, as_of, k, bins)
        else:
            result = clusters.cluster(table, k=k or "auto")
    except SalesnbError as exc:
        return (Markdown(f"**{escape(exc)}**"),)
    if table.empty:
        return (_no_customers(table),)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plots.plot_clusters(table, result, ax=ax)
    fit(fig)
    return Markdown(no_html(result.note)), show(result.profile, index=True, precision=1), fig


def _scope_clusters(table_of: sc.ScopeTables, table: pd.DataFrame, as_of: str, k: int,
                    bins: int) -> clusters.Clustering:
    """The company's clusters seen for the scope's customers, with a note saying so."""
    company = table_of.company(as_of, bins)
    whole = sc.company_clusters(table_of.data, company, k)
    if scoped(table_of.data).is_company:
        return whole
    result = clusters.restrict(whole, table)
    result.note = (f"{whole.note} Clusters are found among all {len(company):,} customers of "
                   "the company, so a customer is in the same cluster on every page; the table "
                   f"and the chart show the {len(table):,} customers of "
                   f"{escape(scope_words(scoped(table_of.data)))} (*company customers %*: "
                   "the cluster's share of the whole company).")
    return result


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


def rep_satisfaction_note(by_rep: pd.DataFrame, d: SalesData) -> Markdown:
    """What the satisfaction-by-rep table holds on this page, in one sentence.

    Parameters
    ----------
    by_rep : pandas.DataFrame
        From :func:`~salesnb.segments.scoped.rep_satisfaction`.
    d : SalesData
        Scoped data.

    Returns
    -------
    IPython.display.Markdown
    """
    scope = scoped(d)
    words = escape(scope_words(scope))
    if scope.kind == "rep":
        median = by_rep.loc[sc.TEAM_LINE] if sc.TEAM_LINE in by_rep.index else None
        team = (f"the median of the team's {by_rep.attrs.get('of', 0):,} reps with answers is "
                f"{median['mean score']:.2f}" if median is not None
                and pd.notna(median["mean score"]) else "no rep of the team has answers yet")
        if by_rep.attrs.get("rank") is None:
            return Markdown(f"{words} has no survey answer from a customer served yet; {team}. "
                            "The other reps of the team are not listed.")
        own = by_rep.loc[scope.value]
        return Markdown(
            f"{words}: mean score **{own['mean score']:.2f}** over {int(own['answers']):,} "
            f"answers, {_ordinal(int(by_rep.attrs['rank']))} of {by_rep.attrs['of']:,} in the "
            f"team (1st = highest mean); {team}. The other reps of the team are not listed.")
    if scope.is_company:
        return Markdown(f"{by_rep.attrs.get('reps', len(by_rep)):,} reps who served a surveyed "
                        "customer, lowest mean score first.")
    if not by_rep.attrs.get("reps"):
        return Markdown(f"No rep of {words} served a surveyed customer; the only line is the "
                        "whole company's.")
    return Markdown(f"The {by_rep.attrs['reps']:,} reps of {words} who served a surveyed "
                    f"customer, lowest mean score first; the last line, *{sc.COMPANY_LINE}*, is "
                    "every answer of the company.")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _no_actions(d: SalesData) -> str:
    scope = scoped(d)
    words = escape(scope_words(scope))
    if scope.kind in ("rep", "manager"):
        served = customer_ids(d)
        text = f"{words[0].upper() + words[1:]} owns no account with an order on record"
        if served is not None and len(served):
            return (f"{text}: the {plural(len(served), 'customer')} on this page are owned by "
                    "others and are on their owners' lists.")
        return f"{text}: there is no action to list."
    return f"No customer of {words} has an order on record: there is no action to list."


def actions_view(actions: pd.DataFrame, d: SalesData, *, top: int = 15) -> Any:
    """The most urgent customers of the action list (what to do left out: see above).

    Parameters
    ----------
    actions : pandas.DataFrame
        From :func:`~salesnb.segments.lists.action_list`.
    d : SalesData
        Scoped data (for the sentence when the list is empty).
    top : int, default=15
        Customers shown (the caption says how many there are).

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
    """
    if actions.empty:
        return Markdown(f"*{_no_actions(d)}*")
    return show(actions.drop(columns="what to do"), top=top)


def owners_view(actions: pd.DataFrame, d: SalesData) -> Any:
    """Customers per action for each account owner (or region), owners named.

    Parameters
    ----------
    actions : pandas.DataFrame
        From :func:`~salesnb.segments.lists.action_list`.
    d : SalesData
        Scoped data.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        :func:`salesnb.segments.actions_by` with the owner's name beside the id.
    """
    if actions.empty:
        return Markdown(f"*{_no_actions(d)}*")
    by = playbook.actions_by(actions)
    return show(with_names(by, d, rep="owner_rep_id", customer=None, label="owner"),
                index=True, precision=0)


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
    tally = ", ".join(f"{a} {n:,}" for a, n in counts.items()) or "none (no customer listed)"
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
