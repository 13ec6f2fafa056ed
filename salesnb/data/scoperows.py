"""Placing the export's quarantined rows in scopes: whose row was it, and how many are a scope's.

What was quarantined is a fact of the whole export, but a report for one scope (a region, a
team, a rep: :func:`salesnb.scope.apply_scope`) may show a quarantined row as an example only
when it is the scope's own. A quarantined row is not loaded, so the scope's tables cannot
say whose it was: :func:`place_quarantine` reads its region, rep and customer again from the
source (:func:`salesnb.data.rawrows.raw_values`) and places it in this scope, another scope
or none. The helpers after it count the placed rows (:func:`place_counts`,
:func:`rows_in_scope`) for the data-quality report (:mod:`salesnb.quality`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeGuard

import pandas as pd

from salesnb.data.rawrows import raw_values
from salesnb.scope import column_ids, customer_ids, scope_choices, scope_words, scoped
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["PLACE_COLUMNS", "IN_SCOPE", "OTHER_SCOPE", "NOT_PLACED", "place_quarantine",
           "placed_for_scope", "own_rows", "row_count", "place_counts", "rows_in_scope"]

#: Columns of a raw row that say whose row it is, per table: (region, rep, customer) columns.
PLACE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "orders": (("region",), ("rep_id",), ("customer_id",)),
    "customers": (("region",), ("owner_rep_id",), ("customer_id",)),
    "leads": (("region",), ("assigned_rep_id",), ("customer_id",)),
    "opportunities": ((), ("rep_id",), ("customer_id",)),
    "surveys": ((), ("rep_id",), ("customer_id",)),
    "targets": ((), ("rep_id",), ()),
    "reps": (("region",), ("rep_id",), ()),
    "competitors": (("region",), (), ()),
}
#: Tables every scope holds whole (the product catalogue): their rows are every scope's.
_WHOLE_TABLES = frozenset({"products"})
#: Where a quarantined row belongs (the ``place`` column of :func:`place_quarantine`).
IN_SCOPE, OTHER_SCOPE, NOT_PLACED = "this scope", "another scope", "not placed"
_TOKEN = re.compile(r"[\w.\-]+")


def _known(whole: SalesData) -> tuple[set[str], set[str], set[str]]:
    """The regions, rep ids and customer ids the company's data knows."""
    return (set(scope_choices(whole)["region"]),
            column_ids(whole.get("reps"), "rep_id") | column_ids(whole.get("orders"), "rep_id"),
            column_ids(whole.get("customers"), "customer_id")
            | column_ids(whole.get("orders"), "customer_id"))


def _place_one(votes: list[bool]) -> str:
    if any(v is False for v in votes):
        return OTHER_SCOPE
    return IN_SCOPE if votes else NOT_PLACED


def place_quarantine(data: SalesData, mapping: Any = None) -> pd.DataFrame:
    """The export's quarantine, each row placed: this scope's, another scope's, or unknown.

    A quarantined row is not loaded, so the scope's tables cannot say whose it was: its
    region, rep and customer (:data:`PLACE_COLUMNS`) are read again from the source
    (:func:`salesnb.data.rawrows.raw_values`, once per dataset), as well as taken from the
    quarantine itself. Each of them that the data knows votes: a region (on a region's page),
    a rep among the scope's reps, a customer among the scope's customers are for; any other
    known region, rep or customer is against. A row is the scope's when at least one votes for
    and none against; a row whose values the data does not know (an empty region, a customer
    id that exists nowhere) is not placed. A row that names a rep or customer of another
    scope in its value or message is never the scope's, whatever its columns say. Rows of the
    product catalogue (every scope's) are the scope's.

    Parameters
    ----------
    data : SalesData
        Scoped data (:func:`salesnb.scope.apply_scope`; the company: every row is its own).
    mapping : path, dict or None
        The mapping the data was loaded with (the report's ``mapping`` parameter).

    Returns
    -------
    pandas.DataFrame
        The quarantine (table, file, row, column, rule, value, message) with ``place``:
        :data:`IN_SCOPE`, :data:`OTHER_SCOPE` or :data:`NOT_PLACED` (one per row, the same
        on every rule it broke). ``attrs["kind"]`` is the scope's kind, ``attrs["words"]``
        the scope in words.
    """
    scope = scoped(data)
    q = data.report.quarantine
    out = q.copy()
    out.attrs = {"kind": scope.kind, "words": scope_words(scope)}
    if scope.is_company or q.empty:
        out["place"] = IN_SCOPE
        return out
    whole = data.company
    wanted = {t: [c for group in cols for c in group] for t, cols in PLACE_COLUMNS.items()}
    raw = shared(data, ("quality.raw_values", str(mapping or "")),
                 lambda: raw_values(whole.source, mapping, q[["table", "row"]], wanted))
    own = q.loc[[c in wanted.get(t, ()) for t, c in zip(q["table"], q["column"], strict=True)],
                ["table", "row", "column", "value"]].dropna(subset=["value"])
    values = pd.concat([raw, own.astype({"value": str})], ignore_index=True)
    values["value"] = values["value"].astype(str).str.strip()
    known_regions, known_reps, known_customers = shared(data, ("quality.known_ids",),
                                                        lambda: _known(whole))
    regions, reps = set(scope.regions), set(scope.reps)
    ids = customer_ids(data)
    customers = set() if ids is None else {str(c) for c in ids}
    foreign = (known_reps - reps if reps else set()) | (known_customers - customers)

    def vote(table: str, column: str, value: str) -> bool | None:
        region_cols, rep_cols, customer_cols = PLACE_COLUMNS.get(table, ((), (), ()))
        if column in region_cols and value in known_regions:
            if scope.kind == "region":
                return value in regions
            return None if value in regions else False
        if column in rep_cols and value in known_reps and reps:
            return value in reps
        if column in customer_cols and value in known_customers:
            return value in customers
        return None

    votes: dict[tuple[str, int], list[bool]] = {}
    for t, r, c, v in zip(values["table"], values["row"], values["column"], values["value"],
                          strict=True):
        decided = vote(str(t), str(c), v)
        if decided is not None:
            votes.setdefault((str(t), int(r)), []).append(decided)
    keys = list(zip(q["table"].astype(str), q["row"].astype(int), strict=True))
    place = [IN_SCOPE if t in _WHOLE_TABLES else _place_one(votes.get((t, r), []))
             for t, r in keys]
    named = {key for key, value, message in zip(keys, q["value"], q["message"], strict=True)
             if foreign & set(_TOKEN.findall(f"{value} {message}"))}
    out["place"] = [OTHER_SCOPE if key in named else p for key, p in zip(keys, place,
                                                                          strict=True)]
    return out


def placed_for_scope(placed: pd.DataFrame | None) -> TypeGuard[pd.DataFrame]:
    """Whether a placed quarantine is a scope's (a region's, a team's, a rep's page).

    Parameters
    ----------
    placed : pandas.DataFrame or None
        From :func:`place_quarantine` (None: not placed).

    Returns
    -------
    bool
        False for the company's page and when nothing was placed.
    """
    return placed is not None and placed.attrs.get("kind", "company") != "company"


def own_rows(placed: pd.DataFrame) -> pd.DataFrame:
    """The entries of a placed quarantine that are the scope's own rows.

    Parameters
    ----------
    placed : pandas.DataFrame
        From :func:`place_quarantine` (or part of it).

    Returns
    -------
    pandas.DataFrame
        The entries placed :data:`IN_SCOPE`.
    """
    return placed[placed["place"] == IN_SCOPE]


def row_count(frame: pd.DataFrame) -> int:
    """Distinct quarantined rows of a quarantine (a row that broke several rules counts once).

    Parameters
    ----------
    frame : pandas.DataFrame
        Quarantine entries (``table`` and ``row``).

    Returns
    -------
    int
        Distinct (table, row) pairs.
    """
    return int(frame[["table", "row"]].drop_duplicates().shape[0]) if len(frame) else 0


def place_counts(placed: pd.DataFrame) -> dict[str, int]:
    """Distinct quarantined rows per place: this scope's, another scope's, not placed.

    Parameters
    ----------
    placed : pandas.DataFrame
        From :func:`place_quarantine`.

    Returns
    -------
    dict of str to int
        :data:`IN_SCOPE`, :data:`OTHER_SCOPE` and :data:`NOT_PLACED`, each with its
        :func:`row_count`.
    """
    return {place: row_count(placed[placed["place"] == place])
            for place in (IN_SCOPE, OTHER_SCOPE, NOT_PLACED)}


def rows_in_scope(placed: pd.DataFrame, by: Iterable[str]) -> pd.Series:
    """The scope's own quarantined rows per group (distinct rows of each group).

    Parameters
    ----------
    placed : pandas.DataFrame
        From :func:`place_quarantine` (or part of it, e.g. one rule's entries).
    by : iterable of str
        Columns of the groups, e.g. ``("table", "rule", "column")``.

    Returns
    -------
    pandas.Series
        Distinct rows placed :data:`IN_SCOPE`, indexed by the groups that have any.
    """
    return own_rows(placed).groupby(list(by))["row"].nunique()
