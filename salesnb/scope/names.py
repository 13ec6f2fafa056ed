"""Putting people's names beside their ids in a report's tables.

Reps are colleagues: internal reports show their names beside their ids by default. Customer
names are personal data (with contacts, e-mails and phones): they reach a table only when the
report was asked to show personal data, i.e. when the loaded customers table still has its
``name`` column (``show_pii``; see :meth:`salesnb.data.loader.SalesData.without_pii`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["with_names", "REP_NAME", "CUSTOMER_NAME"]

#: Column added beside a rep id column.
REP_NAME = "rep"
#: Column added beside a customer id column.
CUSTOMER_NAME = "customer"


def _lookup(table: pd.DataFrame | None, key: str) -> dict[str, str]:
    if table is None or "name" not in table.columns or key not in table.columns:
        return {}
    keys = table[key].astype("string").str.strip()
    return {str(k): str(n) for k, n in zip(keys, table["name"], strict=True)
            if pd.notna(k) and pd.notna(n)}


def with_names(frame: pd.DataFrame, d: SalesData, *, rep: str | None = "rep_id",
               customer: str | None = "customer_id", label: str | None = None
               ) -> pd.DataFrame:
    """``frame`` with a name column right after its rep id and customer id columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table for the page (an id column, or an index named like one).
    d : SalesData
        The data the ids come from (its company data is used to look the names up).
    rep : str, optional
        The rep id column (or index level); None adds no rep names.
    customer : str, optional
        The customer id column (or index level); None adds no customer names. Names are
        added only when the customers table holds them (the report shows personal data).
    label : str, optional
        Name of the rep name column (default ``"rep"``; ``"manager"`` for a manager id
        column, say).

    Returns
    -------
    pandas.DataFrame
        A new frame; ``frame`` is unchanged. Ids without a name get an empty cell. A column
        already holding the names is not added twice.
    """
    whole = d.company
    out = frame.copy()
    index_names = [n for n in out.index.names if n is not None]
    moved = [n for n in index_names if n in (rep, customer)]
    if moved:
        out = out.reset_index()
    for column, table, key, name in ((rep, "reps", "rep_id", label or REP_NAME),
                                     (customer, "customers", "customer_id", CUSTOMER_NAME)):
        if column is None or column not in out.columns or name in out.columns:
            continue
        names = _lookup(whole.get(table), key)
        if not names:
            continue
        values = out[column].astype("string").str.strip().map(names)
        out.insert(out.columns.get_loc(column) + 1, name, values.astype("string").fillna(""))
    if moved:
        out = out.set_index(index_names)
    return out
