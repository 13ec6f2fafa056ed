"""A source's tables validated into a DuckDB database: what :func:`salesnb.load` fetches from.

:func:`validate_all` reads every table of a source into a new DuckDB database and checks it
(the rules of :mod:`salesnb.data.validation`, quarantine included); :func:`salesnb.load`
fetches the clean rows into pandas, while :func:`open_validated` keeps them in the database
for work that runs inside the engine (:mod:`salesnb.engine`).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from salesnb.core.periods import parse_as_of
from salesnb.core.sql import quote_literal
from salesnb.data.mapping import Mapping, load_mapping
from salesnb.data.schema import TABLE_ORDER, TABLES
from salesnb.data.sources import Source, open_source
from salesnb.data.validation import QUARANTINE_COLUMNS, TableResult, validate_table
from salesnb.errors import SalesnbError, TableError
from salesnb.paths import MEMORY_ENV, THREADS_ENV

if TYPE_CHECKING:
    from salesnb.data.loader import ValidationReport

__all__ = ["duckdb_config", "validate_all", "build_report", "Validated", "open_validated"]

SourceLike = str | Path | Source
MappingLike = str | Path | dict[str, Any] | Mapping | None


def duckdb_config() -> dict[str, str]:
    """DuckDB settings for a new database: its threads and memory, when the environment says.

    Returns
    -------
    dict
        ``threads`` when :data:`salesnb.paths.THREADS_ENV` is a whole number of at least 1
        (else DuckDB uses every core); ``memory_limit`` and a ``temp_directory`` of this
        process to spill to when :data:`salesnb.paths.MEMORY_ENV` is set (else DuckDB's
        default limit, 80 % of the machine's memory).
    """
    out: dict[str, str] = {}
    value = os.environ.get(THREADS_ENV, "").strip()
    if value.isdigit() and int(value) >= 1:
        out["threads"] = value
    memory = os.environ.get(MEMORY_ENV, "").strip()
    if memory:
        out["memory_limit"] = memory
        out["temp_directory"] = os.path.join(tempfile.gettempdir(),
                                             f"salesnb-duckdb-{os.getpid()}")
    return out


def validate_all(source: SourceLike, mapping: MappingLike, tables: list[str] | None,
                  as_of: dt.date | None, *, strict: bool, memory_limit: str | None
                  ) -> tuple[duckdb.DuckDBPyConnection, Source, dict[str, TableResult],
                             dict[str, str]]:
    """Validate the source's tables into a new DuckDB database; the caller closes both.

    Returns the connection (each table's clean rows in ``results[t].clean_view``), the
    opened source, the results and, when not ``strict``, the errors of unusable tables.
    """
    mp = load_mapping(mapping)
    src = open_source(source, mp)
    try:
        wanted = list(tables) if tables is not None else [t for t in TABLE_ORDER
                                                           if t in src.available()]
        unknown = [t for t in wanted if t not in TABLES]
        if unknown:
            raise SalesnbError(f"unknown table(s) {unknown}; salesnb tables are: "
                               f"{', '.join(TABLES)}")
        if not wanted:
            raise TableError("(all)", src.location, "no salesnb table found",
                             f"the folder needs files named after the tables "
                             f"({', '.join(TABLES)}) with .csv, .parquet or .xlsx, or a "
                             "mapping naming the files")
    except BaseException:
        src.close()
        raise
    order = [t for t in TABLE_ORDER if t in wanted]
    con = duckdb.connect(config=duckdb_config())
    results: dict[str, TableResult] = {}
    errors: dict[str, str] = {}
    try:
        con.execute("SET enable_progress_bar = false")
        # large_string is what pandas' text dtype holds: no conversion on fetch
        con.execute("SET arrow_large_buffer_size = true")
        if memory_limit:
            con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
        for t in order:
            try:
                res = validate_table(con, src, TABLES[t], as_of=as_of,
                                     loaded={k: r.clean_view for k, r in results.items()})
            except TableError as exc:
                if strict:
                    raise
                errors[t] = str(exc)
                continue
            results[t] = res
    except BaseException:
        con.close()
        src.close()
        raise
    return con, src, results, errors


def build_report(src: Source, results: dict[str, TableResult],
            errors: dict[str, str]) -> ValidationReport:
    """The validation report of :func:`validate_all`'s results."""
    from salesnb.data.loader import ValidationReport  # the loader imports this module

    counts = pd.DataFrame(
        [{"table": t, "file": r.file, "rows_read": r.rows_read, "rows_loaded": r.rows_loaded,
          "rows_quarantined": r.rows_quarantined, "encoding": r.encoding}
         for t, r in results.items()],
        columns=["table", "file", "rows_read", "rows_loaded", "rows_quarantined", "encoding"])
    parts = [r.quarantine for r in results.values() if not r.quarantine.empty]
    quarantine = (pd.concat(parts, ignore_index=True) if parts
                  else pd.DataFrame(columns=list(QUARANTINE_COLUMNS)))
    notes = {t: r.notes for t, r in results.items() if r.notes}
    for t, extra in src.notes.items():  # notes on tables that turned out unusable
        if t not in results and extra:
            notes[t] = list(extra)
    return ValidationReport(src.location, counts, quarantine, errors,
                            {t: r.skipped for t, r in results.items() if r.skipped}, notes)


@dataclass
class Validated:
    """A source's tables validated inside DuckDB and kept there (see :func:`open_validated`).

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        The database holding the clean rows; closed by :meth:`close`.
    views : dict of str to str
        Table -> the name of its clean rows in ``con``.
    report : ValidationReport
        Rows read, loaded and quarantined per table.
    location : str
        The source, as messages name it (a database URL without its password).
    as_of : datetime.date
        The as-of day the rows were checked against.
    """

    con: duckdb.DuckDBPyConnection
    views: dict[str, str]
    report: ValidationReport
    location: str
    as_of: dt.date
    _source: Source

    def close(self) -> None:
        """Close the database and the source (its temporary files go)."""
        self.con.close()
        self._source.close()


def open_validated(source: SourceLike = "data", mapping: MappingLike = None, *,
                   tables: list[str] | None = None, as_of: dt.date | str | None = None,
                   memory_limit: str | None = None) -> Validated:
    """Validate a source into a DuckDB database and keep its clean rows there, unfetched.

    For work that runs inside the engine (:mod:`salesnb.engine`): nothing reaches pandas but
    the quarantine. Close the result when done.

    Parameters
    ----------
    source, mapping, tables, as_of, memory_limit
        As for :func:`load`.

    Returns
    -------
    Validated
        The open database, its clean views and the validation report.

    Raises
    ------
    TableError
        A requested table is missing or unusable.
    SourceError, MappingError, PeriodError
        The source, the mapping or ``as_of`` cannot be used.
    """
    day = parse_as_of(as_of)
    con, src, results, _ = validate_all(source, mapping, tables, day, strict=True,
                                         memory_limit=memory_limit)
    return Validated(con, {t: r.clean_view for t, r in results.items()},
                     build_report(src, results, {}), src.location, day, src)


