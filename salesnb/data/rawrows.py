"""Reading chosen columns of chosen raw rows back from a source (for the quarantine).

The quarantine keeps, for every row that broke a rule, the file, the row number, the column
and the value that broke it, not the whole row. A report for one part of the organisation
(a region, a team, a rep) must know whose row it was (its region, rep and customer) before
it shows it as an example: :func:`raw_values` reads those columns of the quarantined rows
again, as the source holds them (renamed and recoded by the mapping, not yet typed or
checked), with the same row numbers as the quarantine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from salesnb.core.sql import quote_ident
from salesnb.data.loader import duckdb_config
from salesnb.data.mapping import load_mapping
from salesnb.data.sources import open_source
from salesnb.errors import SalesnbError
from salesnb.paths import resolve_path

__all__ = ["raw_values"]

_log = logging.getLogger(__name__)
_COLUMNS = ["table", "row", "column", "value"]


def raw_values(source: Any, mapping: Any, rows: pd.DataFrame,
               columns: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """Values of ``columns`` in the raw rows ``rows`` of a source, one row per value.

    Parameters
    ----------
    source : path or Source
        The source the data was loaded from (``SalesData.source``).
    mapping : path, dict, Mapping or None
        The mapping it was loaded with (empty text or None: none; a relative path is found
        as :func:`salesnb.paths.resolve_path` finds it).
    rows : pandas.DataFrame
        ``table`` and ``row`` (the quarantine's 1-based row numbers).
    columns : mapping of str to iterable of str
        Per table, the salesnb column names wanted (those the table lacks are skipped).

    Returns
    -------
    pandas.DataFrame
        table, row, column, value (stripped text; empty values left out). A table that
        cannot be read again (moved, changed, unreadable) is left out and logged: the
        caller treats its rows as not placed.
    """
    wanted = rows.loc[rows["table"].isin(list(columns)), ["table", "row"]].drop_duplicates()
    if wanted.empty:
        return pd.DataFrame(columns=_COLUMNS)
    try:
        if isinstance(mapping, str | Path) and str(mapping).strip():
            mapping = resolve_path(mapping)  # as the report found it
        src = open_source(source, load_mapping(mapping or None))
    except SalesnbError as exc:
        _log.warning("the quarantined rows cannot be read again from %s: %s", source, exc)
        return pd.DataFrame(columns=_COLUMNS)
    parts: list[pd.DataFrame] = []
    con = duckdb.connect(config=duckdb_config())
    try:
        con.execute("SET enable_progress_bar = false")
        for table, part in wanted.groupby("table", sort=True):
            name = str(table)
            try:
                frame = _read(con, src, name, part["row"], list(columns[name]))
            except (SalesnbError, duckdb.Error) as exc:
                _log.warning("%s: the quarantined rows cannot be read again: %s", name, exc)
                continue
            if not frame.empty:
                parts.append(frame)
    finally:
        con.close()
        src.close()
    if not parts:
        return pd.DataFrame(columns=_COLUMNS)
    return pd.concat(parts, ignore_index=True)[_COLUMNS]


def _read(con: duckdb.DuckDBPyConnection, src: Any, table: str, rows: pd.Series,
          columns: list[str]) -> pd.DataFrame:
    """One table's wanted columns for the wanted rows, long and stripped."""
    view = f"_raw_{table}"
    src.register(con, table, view)
    have = [c for c, *_ in con.sql(f"DESCRIBE {quote_ident(view)}").fetchall()]
    cols = [c for c in dict.fromkeys(columns) if c in have]
    if not cols:
        return pd.DataFrame(columns=_COLUMNS)
    con.register("_wanted_rows", pd.DataFrame({"r": rows.astype("int64").to_numpy()}))
    select = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
    frame = con.sql(f"SELECT _row, {select} FROM {quote_ident(view)} "
                    "WHERE _row IN (SELECT r FROM _wanted_rows)").df()
    con.unregister("_wanted_rows")
    long = frame.melt(id_vars="_row", var_name="column", value_name="value")
    long["value"] = long["value"].astype("string").str.strip()
    long = long[long["value"].notna() & (long["value"] != "")]
    return pd.DataFrame({"table": table, "row": long["_row"].astype("int64").to_numpy(),
                         "column": long["column"].to_numpy(),
                         "value": long["value"].astype(str).to_numpy()})
