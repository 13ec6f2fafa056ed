"""The segmentation of one scope: learnt from the whole company, shown for the scope.

A customer's RFM scores, segment and cluster say where the customer stands among *all* the
company's customers, so they are computed once on the company's orders
(:func:`salesnb.scope.shared`) and every page shows the same segment for the same customer:
a region's page, a team's page or a rep's page keeps its own customers' rows
(:func:`salesnb.scope.customer_ids`: the customers of the scope's customer table and of its
order lines).
What the scope does with them is the scope's own: customer types, satisfaction, migration and
the action list (:func:`account_ids`: a rep's or a team's own accounts).

Examples
--------
>>> import salesnb as sn
>>> east = sn.scope.apply_scope(sn.load("data"), "region:East")       # doctest: +SKIP
>>> table = scope_rfm(east, east.as_of, 5)                            # doctest: +SKIP
>>> table["segment"].equals(company_rfm(east, east.as_of, 5)
...                         .loc[table.index, "segment"])             # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesnb.core.cache import memoize
from salesnb.core.periods import parse_day
from salesnb.scope import column_ids, customer_ids, scope_words, scoped, team_data, with_names
from salesnb.scope.shared import shared
from salesnb.segments import clusters, customers, movement, scoring, summaries

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["OUTSIDE", "scope_words", "customer_ids", "account_ids", "customer_table",
           "company_rfm", "scope_rfm", "ScopeTables", "scope_tables", "scope_summary",
           "company_clusters", "scope_migration", "scope_types", "scope_satisfaction",
           "rep_satisfaction", "hide_outside", "COMPANY_LINE", "TEAM_LINE"]

#: What a rep id outside the scope is shown as (an account owner, the last rep who served).
OUTSIDE = "(outside this scope)"


def account_ids(d: SalesData) -> pd.Index | None:
    """The customers a scope's action list holds: a rep's or a team's own accounts.

    Parameters
    ----------
    d : SalesData
        Scoped data.

    Returns
    -------
    pandas.Index or None
        For a rep or a manager with a customer table that names account owners: the
        customers they own; otherwise :func:`~salesnb.scope.customer_ids` (a region: its
        customers; an export without owners: the customers of the scope's order lines). None
        for the company.
    """
    scope = scoped(d)
    own = d.get("customers")
    if scope.kind in ("rep", "manager") and own is not None and "owner_rep_id" in own.columns:
        return pd.Index(sorted(column_ids(own, "customer_id")), name="customer_id",
                        dtype="string")
    return customer_ids(d)


def customer_table(d: SalesData) -> pd.DataFrame | None:
    """The company's customer rows of the scope's customers (:func:`~salesnb.scope.customer_ids`).

    A rep's page also shows the customers the rep sold to without owning them; their
    attributes (type, region, contacts when loaded) come from the company's table.

    Parameters
    ----------
    d : SalesData
        Scoped data.

    Returns
    -------
    pandas.DataFrame or None
        None when the data has no customer table.
    """
    whole = d.company.get("customers")
    ids = customer_ids(d)
    if whole is None or ids is None or "customer_id" not in whole.columns:
        return d.get("customers") if ids is None else whole
    keep = whole["customer_id"].astype("string").str.strip().isin(set(ids)).fillna(False)
    return whole.loc[keep.to_numpy()]


def company_rfm(d: SalesData, as_of: Any, bins: int) -> pd.DataFrame:
    """The RFM table of every customer of the company, computed once per dataset.

    Parameters
    ----------
    d : SalesData
        Any scope's data (its company's orders are scored).
    as_of : date, str or None
        The day (empty: the day of the last order).
    bins : int
        Score levels.

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.segments.rfm` of ``d.company.orders`` (a copy each call). The table
        of the report's own day (``d.as_of``, or empty) is kept for every scope of the
        dataset (:func:`salesnb.scope.shared`); another day's (a control moved in the app) is
        computed for the caller, who caches it (:class:`ScopeTables`).
    """
    day = parse_day(as_of, name="as_of")
    if day is not None and day != d.as_of:
        return scoring.rfm(d.company.orders, as_of=day, bins=int(bins))
    return shared(d, ("segments.rfm", day, int(bins)),
                  lambda: scoring.rfm(d.company.orders, as_of=day, bins=int(bins)))


def _excluded(orders: pd.DataFrame, table: pd.DataFrame) -> dict[str, int]:
    """The scope's order lines left out of the RFM table, counted as :func:`rfm` counts."""
    day = dt.date.fromisoformat(str(table.attrs["as_of"]))
    cut = pd.Timestamp(day + dt.timedelta(days=1))
    has_customer = orders["customer_id"].notna()
    no_value = orders["order_date"].isna() | orders["revenue"].isna()
    late = pd.to_datetime(orders["order_date"]) >= cut
    return {"no customer id": int((~has_customer).sum()),
            "no date or amount": int((has_customer & no_value).sum()),
            "after as_of": int((has_customer & ~no_value & late.fillna(False)).sum()),
            "lines read": len(orders)}


def scope_rfm(d: SalesData, as_of: Any, bins: int, *,
              company: pd.DataFrame | None = None) -> pd.DataFrame:
    """The company's RFM table, the scope's customers only.

    Parameters
    ----------
    d : SalesData
        Scoped data.
    as_of : date, str or None
        The day (empty: the day of the company's last order).
    bins : int
        Score levels.
    company : pandas.DataFrame, optional
        :func:`company_rfm` of that day and score levels, when the caller has it.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`company_rfm` for :func:`~salesnb.scope.customer_ids`; the same scores
        and segments. For a scope, ``attrs`` also holds ``company_customers`` (customers
        scored), ``scope_words`` (:func:`~salesnb.scope.scope_words`) and ``excluded``
        counts the scope's own order lines.
    """
    table = company_rfm(d, as_of, bins) if company is None else company
    ids = customer_ids(d)
    if ids is None:
        return table
    out = table.loc[table.index.isin(set(ids))]
    out.attrs = {**table.attrs, "company_customers": len(table),
                 "scope_words": scope_words(scoped(d))}
    if "orders" in d and {"customer_id", "order_date", "revenue"} <= set(d.orders.columns):
        out.attrs["excluded"] = _excluded(d.orders, out)
    return out


class ScopeTables:
    """``table_of(as_of, bins)``: the scope's RFM table, cached (16 most recent kept).

    The segment and cluster panels call it on every control change; the company's table
    behind it is computed once per dataset (:func:`company_rfm`).

    Parameters
    ----------
    d : SalesData
        Scoped data.

    Attributes
    ----------
    data : SalesData
        The scoped data.
    """

    def __init__(self, d: SalesData) -> None:
        self.data = d
        self._company = memoize(maxsize=16)(self._compute_company)
        self._table = memoize(maxsize=16)(self._compute)

    def _compute_company(self, day: dt.date | None, bins: int) -> pd.DataFrame:
        return company_rfm(self.data, day, bins)

    def _compute(self, day: dt.date | None, bins: int) -> pd.DataFrame:
        return scope_rfm(self.data, day, bins, company=self._company(day, bins))

    def __call__(self, as_of: Any, bins: int) -> pd.DataFrame:
        """The scope's table for a day (a date, ISO text or empty) and score levels."""
        return self._table(parse_day(as_of, name="as_of"), bins)

    def company(self, as_of: Any, bins: int) -> pd.DataFrame:
        """The company's table for the same day and score levels (:func:`company_rfm`)."""
        return self._company(parse_day(as_of, name="as_of"), bins)

    def cache_info(self) -> Any:
        """Hits and misses of the scope's tables (:func:`salesnb.core.cache.memoize`)."""
        return self._table.cache_info()  # type: ignore[attr-defined]

    def cache_clear(self) -> None:
        """Forget the scope's tables."""
        self._table.cache_clear()  # type: ignore[attr-defined]


def scope_tables(d: SalesData) -> ScopeTables:
    """The cached RFM tables of a scope (:class:`ScopeTables`).

    Parameters
    ----------
    d : SalesData
        Scoped data (the company's, for the director's page).

    Returns
    -------
    ScopeTables
    """
    return ScopeTables(d)


def scope_summary(d: SalesData, table: pd.DataFrame, *,
                  company: pd.DataFrame | None = None) -> pd.DataFrame:
    """The segment summary of the scope's customers, with the company's shares beside it.

    Parameters
    ----------
    d : SalesData
        Scoped data.
    table : pandas.DataFrame
        The scope's RFM table (:func:`scope_rfm`).
    company : pandas.DataFrame, optional
        The company's table of the same day (default: :func:`company_rfm`).

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.segments.segment_summary` of ``table``; for a scope, ``company
        customers %`` and ``company revenue %`` (the segment's shares of the whole company)
        after its own shares.
    """
    out = summaries.segment_summary(table)
    if scoped(d).is_company:
        return out
    if company is None:
        company = company_rfm(d, table.attrs.get("as_of"), int(table.attrs.get("bins", 5)))
    whole = summaries.segment_summary(company)
    at = out.columns.get_loc("revenue %") + 1
    out.insert(at, "company revenue %", whole["revenue %"].reindex(out.index))
    out.insert(out.columns.get_loc("customers %") + 1, "company customers %",
               whole["customers %"].reindex(out.index))
    return out


def company_clusters(d: SalesData, company: pd.DataFrame, k: int) -> clusters.Clustering:
    """k-means clusters of every customer of the company, computed once per dataset.

    Parameters
    ----------
    d : SalesData
        Any scope's data.
    company : pandas.DataFrame
        :func:`company_rfm` of the day and score levels wanted.
    k : int
        Clusters; 0 chooses k by silhouette.

    Returns
    -------
    Clustering
        :func:`salesnb.segments.cluster` of ``company``; kept for every scope of the dataset
        when ``company`` is of the report's day (``d.as_of``).
    """
    day = company.attrs.get("as_of")
    if day != d.as_of.isoformat():  # another day than the report's: for this caller only
        return clusters.cluster(company, k=int(k) or "auto")
    key = ("segments.clusters", day, company.attrs.get("bins"), int(k))
    return shared(d, key, lambda: clusters.cluster(company, k=int(k) or "auto"))


def scope_migration(d: SalesData, *, months: int = 3, bins: int = 5) -> movement.Migration:
    """How the scope's customers moved between the company's segments.

    Parameters
    ----------
    d : SalesData
        Scoped data (``d.as_of`` is the later day).
    months : int, default=3
        How far back the earlier day is.
    bins : int, default=5
        Score levels.

    Returns
    -------
    Migration
        :func:`salesnb.segments.migration` of the company's orders (computed once per
        dataset), restricted to :func:`~salesnb.scope.customer_ids`.
    """
    whole = shared(d, ("segments.migration", d.as_of, int(months), int(bins)),
                   lambda: movement.migration(d.company.orders, as_of=d.as_of,
                                              months=int(months), bins=int(bins)))
    ids = customer_ids(d)
    return whole if ids is None else whole.restricted(ids)


def scope_types(d: SalesData, **options: Any) -> pd.DataFrame:
    """Customer types of the scope's orders and customers.

    Parameters
    ----------
    d : SalesData
        Scoped data.
    **options
        Passed to :func:`salesnb.segments.customer_types` (``by``, ``months`` ...).

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.segments.customer_types` of ``d.orders`` with the attributes of
        :func:`customer_table`, as of ``d.as_of``.
    """
    return customers.customer_types(d.orders, customer_table(d), as_of=d.as_of, **options)


def scope_satisfaction(d: SalesData, table: pd.DataFrame) -> pd.DataFrame:
    """Survey scores of the scope's answers per company segment, beside the company's.

    Parameters
    ----------
    d : SalesData
        Scoped data with surveys.
    table : pandas.DataFrame
        The scope's RFM table (:func:`scope_rfm`).

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.segments.satisfaction` of ``d.surveys`` by segment (each answer's
        customer placed by the company's table, so an answer about a customer the scope
        sold to but does not own is placed too); for a scope, ``company mean score`` per
        segment (every answer of the company).
    """
    if scoped(d).is_company:
        return customers.satisfaction(d.surveys, table)
    company = company_rfm(d, table.attrs.get("as_of"), int(table.attrs.get("bins", 5)))
    out = customers.satisfaction(d.surveys, company)
    whole = customers.satisfaction(d.company.surveys, company)
    out["company mean score"] = whole["mean score"].reindex(out.index)
    return out


def hide_outside(frame: pd.DataFrame, d: SalesData, column: str) -> pd.DataFrame:
    """``frame`` with the rep ids of ``column`` that are outside the scope replaced.

    Parameters
    ----------
    frame : pandas.DataFrame
        A list for the page (an account owner, the last rep who served).
    d : SalesData
        Scoped data.
    column : str
        The rep id column.

    Returns
    -------
    pandas.DataFrame
        A copy with :data:`OUTSIDE` for every id not among the scope's reps (the company,
        or data without reps: unchanged).
    """
    scope = scoped(d)
    if scope.is_company or not scope.reps or column not in frame.columns:
        return frame
    values = frame[column].astype("string").str.strip()
    inside = values.isin(set(scope.reps)).fillna(False) | values.isna()
    out = frame.copy()
    out[column] = values.where(inside.to_numpy(), OUTSIDE)
    return out


#: Label of the line that compares a region or a team with the company.
COMPANY_LINE = "Whole company"
#: Label of the line that compares a rep with their team.
TEAM_LINE = "Team median"


def rep_satisfaction(d: SalesData, *, low: float = 2.0) -> pd.DataFrame:
    """Survey scores per rep who served the customer, as the scope may see them.

    The director's page lists every rep; a region's or a team's page its own reps and one
    line for the whole company; a rep's page the rep and the median of their team (the
    other reps are neither named nor counted one by one).

    Parameters
    ----------
    d : SalesData
        Scoped data with ``surveys.rep_id``.
    low : float, default=2.0
        Scores at or below it count as low.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rep_id`` (or the label of the comparison line: :data:`COMPANY_LINE`,
        :data:`TEAM_LINE`): the rep's name (``rep``, when the reps table has names),
        answers, customers, mean score, its 95 % interval, low scores %. Reps are sorted
        lowest mean first (a rep's page: the rep first). ``attrs``: the ``kind`` of scope,
        ``reps`` listed; on a rep's page ``rank`` and ``of`` (by mean score in the team,
        1 = highest; None without answers) and ``team`` (reps in the team).
    """
    scope = scoped(d)
    if scope.kind == "rep":
        team = team_data(d).surveys
        team = team[team["rep_id"].astype("string").isin(set(scope.team)).fillna(False)]
        per = customers.satisfaction(team, by="rep_id", low=low)
        per.index = per.index.astype(str)
        own = per.loc[per.index == scope.value]
        median = per.median(numeric_only=True).to_frame(TEAM_LINE).T
        out = pd.concat([own, median]) if len(own) else median
        for col in ("answers", "customers"):  # counts stay whole (a median of 269.5 -> 270)
            out[col] = out[col].round().astype("Int64")
        rank = (int((per["mean score"] > own["mean score"].iloc[0]).sum()) + 1
                if len(own) else None)
        out.index.name = "rep_id"
        out = with_names(out, d)
        out.attrs.update(kind="rep", reps=len(own), rank=rank, of=len(per),
                         team=len(scope.team))
        return out
    per = customers.satisfaction(d.surveys, by="rep_id", low=low)
    per.index = per.index.astype(str)
    if not scope.is_company:
        per = per.loc[per.index.isin(set(scope.reps))] if scope.reps else per
    per = per.sort_values("mean score")
    if not scope.is_company:
        everyone = d.company.surveys.assign(_line=COMPANY_LINE)
        per = pd.concat([per, customers.satisfaction(everyone, by="_line", low=low)])
    per.index.name = "rep_id"
    per = with_names(per, d)
    per.attrs.update(kind=scope.kind, reps=len(per) - (0 if scope.is_company else 1))
    return per
