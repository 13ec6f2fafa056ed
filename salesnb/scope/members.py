"""Who a scope's page is about: its customers, and the scope named in a few words.

A region's, a team's or a rep's page shows the customers of its own rows
(:func:`customer_ids`: those of the scope's customer table and of its order lines) and says
whom it is for in a sentence (:func:`scope_words`), naming no one outside the scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesnb.scope.filters import scoped

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData
    from salesnb.scope.model import Scope

__all__ = ["scope_words", "customer_ids", "column_ids"]


def column_ids(frame: pd.DataFrame | None, column: str) -> set[str]:
    """The distinct ids of a column, as stripped text (empty and missing ones left out).

    Parameters
    ----------
    frame : pandas.DataFrame or None
        A table (None: a table the data does not have).
    column : str
        The id column.

    Returns
    -------
    set of str
        Empty when there is no table or it has no such column.
    """
    if frame is None or column not in frame.columns:
        return set()
    values = frame[column].dropna().astype("string").str.strip().unique()
    return {str(v) for v in values if v}


def scope_words(scope: Scope) -> str:
    """The scope in a few words for a sentence: "the East region", "Ann Lee (R013)".

    Parameters
    ----------
    scope : Scope
        The scope (:func:`salesnb.scope.scoped` of the data).

    Returns
    -------
    str
        No one else's id: a rep's scope is the rep alone, a team's the manager.
    """
    if scope.is_company:
        return "the whole company"
    if scope.kind == "region":
        return f"the {scope.value} region"
    name = scope.names.get(scope.value)
    person = f"{name} ({scope.value})" if name else scope.value
    return f"the team of {person}" if scope.kind == "manager" else person


def customer_ids(d: SalesData) -> pd.Index | None:
    """The customers a scope's page shows: its customer table's and its order lines'.

    Parameters
    ----------
    d : SalesData
        Scoped data (:func:`salesnb.scope.apply_scope`).

    Returns
    -------
    pandas.Index or None
        Sorted customer ids; None for the company (every customer).
    """
    if scoped(d).is_company:
        return None
    ids = column_ids(d.get("customers"), "customer_id") | column_ids(d.get("orders"),
                                                                     "customer_id")
    return pd.Index(sorted(ids), name="customer_id", dtype="string")
