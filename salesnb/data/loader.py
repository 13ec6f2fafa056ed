"""``SalesData`` and the two entry points: :func:`load` and :func:`validate`."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from salesnb.core.periods import parse_as_of
from salesnb.core.sql import quote_ident
from salesnb.data.mapping import Mapping
from salesnb.data.schema import FILLED, MAIN_DATE, ORDER_MARKS, PII_COLUMNS, TABLES
from salesnb.data.sources import Source
from salesnb.data.validated import (
    Validated,
    build_report,
    duckdb_config,
    open_validated,
    validate_all,
)
from salesnb.data.validation import release
from salesnb.errors import TableError

__all__ = ["SalesData", "ValidationReport", "MissingTableError", "load", "query", "validate",
           "connection", "close_connection", "data_end", "duckdb_config", "Validated",
           "open_validated"]

SourceLike = str | Path | Source
MappingLike = str | Path | dict[str, Any] | Mapping | None


@dataclass
class ValidationReport:
    """What validation found, table by table.

    Attributes
    ----------
    source : str
        The source validated.
    counts : pandas.DataFrame
        One row per table: file, rows_read, rows_loaded, rows_quarantined, encoding (how a
        text file was decoded, e.g. ``utf-8`` or ``cp1252 (detected, 97%)``; ``-`` for
        Parquet, Excel and databases).
    quarantine : pandas.DataFrame
        One row per broken rule per row: table, file, row, column, rule, value, message.
    errors : dict of str to str
        Tables that could not be used at all (missing, unreadable, empty), with the reason.
    skipped : dict of str to list of str
        Checks that could not run per table (e.g. referenced table absent).
    notes : dict of str to list of str
        What a person should know per table that is not an error: an encoding guessed
        without certainty, a numeric column written with decimal commas (with the mapping
        setting to use).
    """

    source: str
    counts: pd.DataFrame
    quarantine: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when clean, 1 when rows were quarantined, 2 when a table is unusable.

        Rows left out only because they are dated after an as-of day given
        (``after_as_of``) are not a fault of the data: they do not make the code 1.
        """
        if self.errors:
            return 2
        if not int(self.counts["rows_quarantined"].sum()):
            return 0
        return 1 if bool((self.quarantine["rule"] != "after_as_of").any()) else 0

    @property
    def ok(self) -> bool:
        """True when every table loaded without quarantine (see :attr:`exit_code`)."""
        return self.exit_code == 0

    def left_out(self) -> dict[str, int]:
        """Rows per table left out as dated after the as-of day given (``after_as_of``).

        Returns
        -------
        dict of str to int
            Distinct rows per table (a row with two such dates counts once); tables with
            none are absent.
        """
        q = self.quarantine
        if q.empty:
            return {}
        hit = q[q["rule"] == "after_as_of"]
        return {str(t): int(n) for t, n in hit.groupby("table")["row"].nunique().items()}

    def by_rule(self) -> pd.DataFrame:
        """Quarantine counts per table, rule and column (rows may break several rules)."""
        if self.quarantine.empty:
            return pd.DataFrame(columns=["table", "rule", "column", "rows"])
        return (self.quarantine.groupby(["table", "rule", "column"], sort=True)["row"]
                .nunique().rename("rows").reset_index())


@dataclass
class SalesData:
    """The nine salesnb tables, loaded and validated, as pandas DataFrames.

    Tables are attributes (``d.orders``) and items (``d["orders"]``). Tables the source did not
    hold are absent: accessing one raises :class:`MissingTableError` (an ``AttributeError``
    and a ``KeyError`` too, so ``hasattr`` and ``getattr(d, "surveys", None)`` work), with
    the tables loaded and how to add it; ``d.get("surveys")`` returns None and
    ``"surveys" in d`` is False.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The loaded (clean) rows per table.
    report : ValidationReport
        Counts, quarantined rows and skipped checks.
    source : str
        Where the data came from.
    as_of : datetime.date
        The as-of day the data was loaded for (rows dated after it were left out).
    scope : salesnb.scope.Scope, optional
        The part of the organisation the tables were filtered to
        (:func:`salesnb.scope.apply_scope`); None for data as loaded (the whole company).
    whole : SalesData, optional
        The whole company's data, when the tables are a scope's (see :attr:`company`).
    grain : dict of str to tuple of str
        Tables whose rows are sums of lines, and the keys they are summed by (the orders per
        day, region, product and rep of :func:`salesnb.engine.engine_data`): each row
        counts its lines in a ``lines`` column (:meth:`line_count`). Empty: every row is one.
    """

    tables: dict[str, pd.DataFrame]
    report: ValidationReport
    source: str
    as_of: dt.date
    scope: Any = None
    whole: SalesData | None = None
    grain: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def company(self) -> SalesData:
        """The whole company's data: ``whole`` for a scope's data, else this data itself."""
        return self.whole if self.whole is not None else self

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            tables = self.__dict__.get("tables", {})
            if name in tables:
                return tables[name]
            raise self._missing(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getitem__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if isinstance(name, str) and name in tables:
            return tables[name]
        raise self._missing(name)

    def get(self, name: str, default: Any = None) -> pd.DataFrame | Any:
        """Return table ``name``, or ``default`` when it is not loaded.

        Parameters
        ----------
        name : str
            A salesnb table (``"surveys"``).
        default : Any, default=None
            What to return when the table is not in this data.

        Returns
        -------
        pandas.DataFrame or Any
            The table, or ``default``.
        """
        return self.tables.get(name, default) if isinstance(name, str) else default

    def _missing(self, name: object) -> MissingTableError:
        """The error for a table that is not loaded (or not a salesnb table at all)."""
        loaded = ", ".join(self.__dict__.get("tables", {})) or "none"
        source = str(self.__dict__.get("source"))
        if name not in TABLES:
            return MissingTableError(str(name), source, f"not a salesnb table (tables "
                                     f"loaded: {loaded})", f"use one of {', '.join(TABLES)}")
        return MissingTableError(str(name), source, f"the table is not in this data (tables "
                                 f"loaded: {loaded})", f"add a file named {name}.csv, .parquet "
                                 f"or .xlsx to the source (or name its file, or 'from:', in a "
                                 f"mapping); d.get({name!r}) returns None when it is absent")

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    @property
    def quarantine(self) -> pd.DataFrame:
        """Quarantined rows, one row per broken rule (see :class:`ValidationReport`)."""
        return self.report.quarantine

    def summary(self) -> pd.DataFrame:
        """One row per table: rows read, loaded, quarantined, columns, date span, encoding.

        Returns
        -------
        pandas.DataFrame
            Indexed by table name.
        """
        rows = []
        counts = self.report.counts.set_index("table")
        for name, frame in self.tables.items():
            first = last = None
            if MAIN_DATE.get(name) in frame.columns:
                main = frame[MAIN_DATE[name]]
                first, last = main.min(), main.max()
            rows.append({
                "table": name,
                "rows_read": int(counts.loc[name, "rows_read"]),
                "rows_loaded": self.line_count(name),
                "rows_quarantined": int(counts.loc[name, "rows_quarantined"]),
                "columns": len(self.line_columns(name)),
                "first_date": first,
                "last_date": last,
                "encoding": counts.loc[name, "encoding"] if "encoding" in counts else "-",
            })
        return pd.DataFrame(rows).set_index("table")

    def without_pii(self) -> SalesData:
        """Return a copy with personal-data columns (names, e-mails, phones) removed."""
        tables = {n: f.drop(columns=[c for c in f.columns
                                     if c.removeprefix(FILLED) in PII_COLUMNS.get(n, [])])
                  for n, f in self.tables.items()}  # a profile's counts of them too
        whole = self.whole.without_pii() if self.whole is not None else None
        return SalesData(tables, self.report, self.source, self.as_of, self.scope, whole,
                         self.grain)

    def line_count(self, name: str) -> int:
        """The rows a table stands for: its lines when it is rolled up (:attr:`grain`).

        Parameters
        ----------
        name : str
            A loaded table.

        Returns
        -------
        int
        """
        frame = self[name]
        return int(frame["lines"].sum()) if name in self.grain else len(frame)

    def line_columns(self, name: str) -> list[str]:
        """The columns of the rows a table stands for: a rolled-up table's lines' columns.

        Parameters
        ----------
        name : str
            A table of the data.

        Returns
        -------
        list of str
            The frame's columns; for a table summed per key (:attr:`grain`), its keys and the
            columns it sums or, for a profile (``filled_<column>`` counts, see
            :func:`salesnb.engine.rolled_orders`), every column of the lines.
        """
        frame = self.tables[name]
        if name not in self.grain:
            return list(frame.columns)
        filled = [c.removeprefix(FILLED) for c in frame.columns if c.startswith(FILLED)]
        if filled:
            return list(dict.fromkeys([*self.grain[name], *filled]))
        return [c for c in frame.columns if c not in ("lines", *ORDER_MARKS)]

    def __repr__(self) -> str:
        parts = [f"{n}={len(f):,}" for n, f in self.tables.items()]
        q = int(self.report.counts["rows_quarantined"].sum())
        return f"SalesData({self.source}: {', '.join(parts)}; quarantined={q:,})"


class MissingTableError(TableError, AttributeError, KeyError):
    """A table that is not loaded was asked for (``d.surveys``, ``d["surveys"]``).

    A :class:`~salesnb.errors.TableError` (so a ``SalesnbError``), and an ``AttributeError``
    and ``KeyError`` too, so ``hasattr(d, "surveys")`` and ``getattr(d, "surveys", None)``
    keep working.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def data_end(d: SalesData) -> dt.date | None:
    """The last day of the data's events: the newest order, else lead or opportunity.

    The data's own as-of day: ``orders.order_date`` when orders are loaded with a date, else
    the newest ``leads.created_date`` / ``opportunities.created_date``.

    Parameters
    ----------
    d : SalesData
        Loaded data.

    Returns
    -------
    datetime.date or None
        None when none of those tables has a dated row.
    """
    def last(table: str, column: str) -> dt.date | None:
        frame = d.get(table)
        if frame is None or column not in frame.columns:
            return None
        day = pd.to_datetime(frame[column], errors="coerce").max()
        return None if pd.isna(day) else day.date()

    orders = last("orders", "order_date")
    if orders is not None:
        return orders
    days = [x for x in (last("leads", "created_date"), last("opportunities", "created_date"))
            if x is not None]
    return max(days) if days else None


#: The shared in-memory DuckDB database behind :func:`connection` (None until first use, and
#: after :func:`close_connection`). Process-wide state, owned by those two functions.
_DB: duckdb.DuckDBPyConnection | None = None
_DB_LOCK = threading.Lock()


def connection(*, reset: bool = False) -> duckdb.DuckDBPyConnection:
    """A new connection (cursor) to the package's shared in-memory DuckDB database.

    **Process-wide state.** The database is created on the first call and kept for the life
    of the process, so DuckDB's thread pool and caches stay warm between analyses (the RFM
    and product/region aggregates run here). salesnb keeps no tables in it: each caller gets
    its own cursor, registers its frames on it (they are private to that cursor) and closes
    it when done. The database itself is closed by :func:`close_connection` (or ``reset=True``);
    the next call starts a new one.

    Parameters
    ----------
    reset : bool, default=False
        Close the shared database first and start a new one (e.g. after a DuckDB setting was
        changed on it). Cursors handed out before stop working.

    Returns
    -------
    duckdb.DuckDBPyConnection
        A cursor on the shared database; close it after use.

    Examples
    --------
    >>> con = connection()
    >>> con.sql("SELECT 42 AS answer").fetchall()
    [(42,)]
    >>> con.close()
    """
    global _DB
    with _DB_LOCK:
        if reset and _DB is not None:
            _DB.close()
            _DB = None
        if _DB is None:
            _DB = duckdb.connect(config=duckdb_config())
        return _DB.cursor()


def close_connection() -> bool:
    """Close the shared in-memory DuckDB database of :func:`connection`, if it is open.

    Frees DuckDB's memory and threads (a long-lived kernel, a test); cursors handed out
    before stop working, and the next :func:`connection` call starts a new database.

    Returns
    -------
    bool
        True when an open database was closed, False when none was open.
    """
    global _DB
    with _DB_LOCK:
        if _DB is None:
            return False
        _DB.close()
        _DB = None
        return True


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert a fetched Arrow table (several times faster and leaner than DuckDB's ``.df()``).

    Dates become ``datetime64``, whole numbers the nullable ``Int64`` (so a missing value
    does not turn a count into a float), text the pandas string dtype.
    """
    return table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True,
                           types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _run(source: SourceLike, mapping: MappingLike, tables: list[str] | None,
         as_of: dt.date | str | None, *, strict: bool, memory_limit: str | None,
         fetch: bool = True, sql: str | None = None
         ) -> tuple[dict[str, pd.DataFrame], ValidationReport, str, dt.date]:
    """Validate (and, when ``strict``, fail on unusable tables); return clean frames.

    With ``sql``, nothing is fetched but the result of ``sql`` (``{table}`` placeholders name
    the clean tables inside DuckDB), returned under the key ``"query"``.
    """
    as_of = parse_as_of(as_of)
    con, src, results, errors = validate_all(source, mapping, tables, as_of, strict=strict,
                                              memory_limit=memory_limit)
    frames: dict[str, pd.DataFrame] = {}
    try:
        if sql is not None:
            views = {t: quote_ident(r.clean_view) for t, r in results.items()}
            missing = [t for t in TABLES if "{" + t + "}" in sql and t not in views]
            if missing:
                raise TableError(missing[0], src.location, "table needed by the query is not "
                                 "loaded", "add the table to the source")
            frames["query"] = _to_pandas(con.sql(sql.format(**views)).to_arrow_table())
            fetch = False
        for t, res in results.items():
            table = (con.sql(f"SELECT * FROM {quote_ident(res.clean_view)}").to_arrow_table()
                     if fetch else None)
            release(con, t)  # free DuckDB's copy before pandas makes its own
            if table is not None:
                frames[t] = _to_pandas(table)
    finally:
        con.close()
        src.close()
    return frames, build_report(src, results, errors), src.location, as_of


def load(
    source: SourceLike = "data",
    mapping: MappingLike = None,
    *,
    tables: list[str] | None = None,
    as_of: dt.date | str | None = None,
    memory_limit: str | None = None,
) -> SalesData:
    """Load and validate salesnb tables from a source.

    Parameters
    ----------
    source : path or Source, default="data"
        A folder of CSV / Parquet / Excel files named after the tables, or a ``.duckdb`` file.
    mapping : path, dict or Mapping, optional
        Column renames and value recodes for real exports (see :mod:`salesnb.mapping`).
    tables : list of str, optional
        Tables to load; each must exist. Default: every salesnb table the source holds.
    as_of : datetime.date or str, optional
        The as-of day (a day, or its ISO text ``"2025-12-31"``); default today. Rows dated
        after today are quarantined as ``future_date``; with a day in the past, rows dated
        after it (and not after today) are left out as ``after_as_of`` and counted
        (:meth:`ValidationReport.left_out`).
    memory_limit : str, optional
        DuckDB memory limit (e.g. ``"2GB"``); DuckDB spills to disk past it.

    Returns
    -------
    SalesData
        Clean tables; quarantined rows are in ``.quarantine`` and counts in ``.report``.

    Raises
    ------
    TableError
        A requested table is missing or unusable (e.g. a required column is absent).
    SourceError, MappingError, PeriodError
        The source, the mapping or ``as_of`` cannot be used.

    Examples
    --------
    >>> import salesnb as sn
    >>> d = sn.load("data")                                    # doctest: +SKIP
    >>> d.orders.groupby("region")["revenue"].sum()            # doctest: +SKIP
    """
    frames, report, location, as_of = _run(source, mapping, tables, as_of, strict=True,
                                           memory_limit=memory_limit)
    return SalesData(frames, report, location, as_of)


def query(
    source: SourceLike,
    sql: str,
    mapping: MappingLike = None,
    *,
    tables: list[str] | None = None,
    as_of: dt.date | str | None = None,
    memory_limit: str | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Run SQL over validated tables inside DuckDB, fetching only its result.

    For aggregates over data larger than memory: the tables are read, typed and checked as by
    :func:`load` (quarantined rows excluded), but only the result of ``sql`` reaches pandas.

    Parameters
    ----------
    source, mapping, as_of, memory_limit
        As for :func:`load`.
    sql : str
        A DuckDB query; ``{orders}``, ``{products}``, ... name the validated tables.
    tables : list of str, optional
        Tables to validate (those the query uses, plus the ones their references need);
        default every table of the source.

    Returns
    -------
    tuple of (pandas.DataFrame, ValidationReport)
        The query result and the validation report.

    Examples
    --------
    >>> frame, report = query("data", "SELECT region, sum(revenue) AS revenue FROM {orders} "
    ...                       "GROUP BY ALL", tables=["orders"])          # doctest: +SKIP
    """
    frames, report, _, _ = _run(source, mapping, tables, as_of, strict=True,
                                memory_limit=memory_limit, sql=sql)
    return frames["query"], report


def validate(
    source: SourceLike = "data",
    mapping: MappingLike = None,
    *,
    tables: list[str] | None = None,
    as_of: dt.date | str | None = None,
) -> ValidationReport:
    """Check a source without failing on the first unusable table.

    Unusable tables are listed in ``errors`` and make ``exit_code`` 2; quarantined rows
    make it 1; a clean source gives 0.

    Parameters
    ----------
    source, mapping, tables, as_of
        As for :func:`load`.

    Returns
    -------
    ValidationReport
        Counts, quarantined rows, unusable tables and skipped checks; nothing is fetched.

    Raises
    ------
    SourceError, MappingError, PeriodError
        The source, the mapping or ``as_of`` cannot be used.
    """
    _, report, _, _ = _run(source, mapping, tables, as_of, strict=False, memory_limit=None,
                          fetch=False)
    return report
