"""The team's PostgreSQL database as a source, and ``salesnb copy`` into it.

A source URL is ``postgresql://[user[:password]@]host[:port]/database[?schema=name]``
(``postgres://`` too). What the URL leaves out comes from libpq's usual places: the
``PGUSER``/``PGPASSWORD``/``PGHOST``... environment and ``~/.pgpass``. The schema defaults to
``public``. The password is never shown: every message names the source by
:func:`redact` (``postgresql://sales@db:5432/crm``), and database errors are reduced to their
first line, which PostgreSQL writes without it.

:class:`PostgresSource` reads each salesnb table (named after it, or as the mapping's
``file:`` says) with its values as text, in the table's stored order, and hands them to the
same validation as a CSV file: the same rules, the same quarantine, the same row numbers
(``_row`` counts records from 1).

:func:`copy` writes a source's validated tables into a schema: the valid rows into tables of
the data model's types, the quarantined ones into a ``quarantine`` table with their reasons.
It builds the whole schema under a temporary name and swaps it in within one transaction, so
running it again gives the same schema, and a copy that fails leaves the schema as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from salesnb.core.sql import quote_ident
from salesnb.data.mapping import Mapping, TableMapping
from salesnb.data.sources import Source
from salesnb.data.urls import is_url, move_password, redact, split_url
from salesnb.errors import SourceError
from salesnb.extras import require_extra

#: The table :func:`copy` writes beside the data: rows read, loaded and quarantined per table
#: (the validation report's counts) and the as-of day, so a schema is known to hold validated
#: rows (:func:`salesnb.engine.open_engine` queries such a schema on the server).
COPY_MARKER = "salesnb_copy"

if TYPE_CHECKING:
    import psycopg

__all__ = ["is_url", "redact", "move_password", "split_url", "connect", "PostgresSource",
           "copy"]

def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection:
    """Open a psycopg connection to the URL's database; the caller closes it.

    Parameters
    ----------
    url : str
        ``postgresql://...`` (see the module notes).
    autocommit : bool, default=True
        Whether each statement commits on its own.

    Returns
    -------
    psycopg.Connection
        The open connection.

    Raises
    ------
    SourceError
        When the server cannot be reached or refuses the login; the message names the URL
        without its password.
    """
    psycopg = require_extra("psycopg", "postgres")

    conninfo, _ = split_url(url)
    try:
        return psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        message = _first_line(exc).replace(conninfo, redact(url))
        raise SourceError(f"{redact(url)}: cannot connect ({message}); check the host, port, "
                          "user and password (URL, PGPASSWORD or ~/.pgpass)") from None


@contextmanager
def _connect(url: str, *, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    """A psycopg connection (:func:`connect`), closed when the block ends."""
    con = connect(url, autocommit=autocommit)
    try:
        yield con
    finally:
        con.close()


class PostgresSource(Source):
    """Tables of one schema of a PostgreSQL database, named after salesnb tables.

    Parameters
    ----------
    url : str
        ``postgresql://...`` (see the module notes); shown only through :func:`redact`.
    mapping : Mapping
        Renames and recodes applied on read (``file:`` names the database table).
    """

    def __init__(self, url: str, mapping: Mapping) -> None:
        super().__init__(redact(url), mapping)
        self._url = url
        self.schema = split_url(url)[1]
        with _connect(url) as con:
            names = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (self.schema,)).fetchall()]
        self._tables = self._match_tables(names)

    def _stored(self) -> dict[str, str]:
        """Return ``{table: "postgresql://host/db?schema=s: table"}``."""
        return {t: f"{self.location} table {self.schema}.{n}" for t, n in self._tables.items()}

    def _raw_relation(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                      tmap: TableMapping) -> str:
        name = f"{quote_ident(self.schema)}.{quote_ident(self._tables[table])}"
        with _connect(self._url) as pg:
            cur = pg.execute(f"SELECT * FROM {name} LIMIT 0")
            columns = [d.name for d in cur.description or []]
            select = ", ".join(f"{quote_ident(c)}::text" for c in columns)
            rows = pg.execute(f"SELECT {select} FROM {name} ORDER BY ctid").fetchall()
        records = pa.table({"_row": pa.array(range(1, len(rows) + 1), pa.int64()),
                            **{c: pa.array([r[i] for r in rows], pa.string())
                               for i, c in enumerate(columns)}})
        view = f"_pg_{table}"
        con.register(view, records)
        return f"SELECT * FROM {quote_ident(view)}"


def _pg_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    return "text"


def _write(con: psycopg.Connection, schema: str, name: str, frame: pd.DataFrame) -> None:
    """CREATE TABLE schema.name with the frame's columns and COPY its rows in."""
    target = f"{quote_ident(schema)}.{quote_ident(name)}"
    cols = ", ".join(f"{quote_ident(str(c))} {_pg_type(frame[c])}" for c in frame.columns)
    con.execute(f"CREATE TABLE {target} ({cols})")
    names = ", ".join(quote_ident(str(c)) for c in frame.columns)
    clean = frame.astype(object).where(frame.notna(), None)
    with con.cursor().copy(f"COPY {target} ({names}) FROM STDIN") as out:
        for row in clean.itertuples(index=False, name=None):
            out.write_row(row)


def copy(source: Any, url: str, mapping: Any = None, *, as_of: Any = None) -> dict[str, int]:
    """Validate ``source`` and write it into the URL's schema (replacing what was there).

    Parameters
    ----------
    source : path, Source or str
        What :func:`salesnb.load` reads (a folder, a ``.duckdb`` file, another database).
    url : str
        ``postgresql://...?schema=name``: the schema is created or replaced.
    mapping : Mapping or path, optional
        As for :func:`salesnb.load`.
    as_of : date or str, optional
        As for :func:`salesnb.load` (default today); written with the copy's counts into
        the ``salesnb_copy`` table (:data:`COPY_MARKER`).

    Returns
    -------
    dict of str to int
        Rows written per table, ``"quarantine"`` included.

    Raises
    ------
    SourceError
        When the database cannot be reached or the copy fails; the schema is then as it was.
    """
    psycopg = require_extra("psycopg", "postgres")
    from salesnb.data.loader import load

    data = load(source, mapping, as_of=as_of)
    schema = split_url(url)[1]
    staging = f"{schema}__salesnb_copy"
    written: dict[str, int] = {}
    with _connect(url, autocommit=False) as con:
        try:
            with con.transaction():
                con.execute(f"DROP SCHEMA IF EXISTS {quote_ident(staging)} CASCADE")
                con.execute(f"CREATE SCHEMA {quote_ident(staging)}")
                for table, frame in data.tables.items():
                    _write(con, staging, table, frame)
                    written[table] = len(frame)
                found = data.report.quarantine
                quarantine = found.astype({c: "string" for c in found.columns})
                _write(con, staging, "quarantine", quarantine)
                written["quarantine"] = len(quarantine)
                counts = data.report.counts.assign(as_of=data.as_of.isoformat())
                _write(con, staging, COPY_MARKER, counts.astype({"file": "string",
                                                                 "encoding": "string"}))
                con.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
                con.execute(f"ALTER SCHEMA {quote_ident(staging)} RENAME TO "
                            f"{quote_ident(schema)}")
        except psycopg.Error as exc:
            raise SourceError(f"{redact(url)}: the copy failed and the schema {schema!r} is "
                              f"as it was ({_first_line(exc)})") from None
    return written
