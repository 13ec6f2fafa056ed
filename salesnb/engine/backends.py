"""Engines: one Ibis backend and the salesnb tables it holds, wherever the data lives.

An :class:`Engine` pairs an `Ibis <https://ibis-project.org>`_ backend with the validated
salesnb tables it holds, as Ibis tables. The measures of :mod:`salesnb.engine.measures` are
Ibis expressions over them: the same expression runs inside DuckDB (the embedded default),
the team's PostgreSQL server or a Spark cluster, and only its result reaches pandas.

* :func:`open_engine` opens a source where it lives: a folder or ``.duckdb`` file is
  validated into an embedded DuckDB database and stays there (nothing is fetched); a
  PostgreSQL schema written by ``salesnb copy`` (already validated, its quarantine beside it)
  is queried on the server; a Spark session's tables are queried by Spark.
* :func:`from_frames` wraps frames already in pandas (``SalesData.tables``) in DuckDB.
* :func:`spark_session` starts a local (or ``spark://``) Spark session bound to 127.0.0.1;
  :func:`spark_engine` reads a folder of Parquet files or a database of its catalog.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from salesnb.data.postgres import COPY_MARKER  # re-exported: the table salesnb copy writes
from salesnb.data.schema import TABLE_ORDER, TABLES
from salesnb.errors import SalesnbError, SourceError, TableError
from salesnb.extras import require_extra

if TYPE_CHECKING:
    from salesnb.data.loader import ValidationReport

__all__ = ["Engine", "EngineError", "open_engine", "from_frames", "spark_session",
           "spark_engine", "COPY_MARKER"]

class EngineError(SalesnbError):
    """An engine cannot be started or does not hold what was asked of it."""


@dataclass
class Engine:
    """An Ibis backend and the validated salesnb tables it holds.

    Attributes
    ----------
    backend : ibis.BaseBackend
        Where expressions run (``backend.name``: ``"duckdb"``, ``"postgres"``, ``"pyspark"``).
    tables : dict of str to ibis.Table
        The salesnb tables it holds, by salesnb name.
    location : str
        The source, as messages name it (a database URL without its password).
    report : ValidationReport or None
        Rows read, loaded and quarantined per table, when known.
    as_of : datetime.date or None
        The as-of day the rows were validated against, when known.
    """

    backend: Any
    tables: dict[str, Any]
    location: str
    report: ValidationReport | None = None
    as_of: dt.date | None = None
    _close: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The backend's name: ``"duckdb"``, ``"postgres"`` or ``"pyspark"``."""
        return str(self.backend.name)

    def __contains__(self, table: object) -> bool:
        return table in self.tables

    def __getitem__(self, table: str) -> Any:
        """The Ibis table of a salesnb table; a TableError names the ones held."""
        try:
            return self.tables[table]
        except KeyError:
            raise TableError(table, self.location, "not in this engine",
                             f"the engine holds {', '.join(self.tables) or 'no table'}; add "
                             f"the {table} table to the source") from None

    def execute(self, expr: Any) -> pd.DataFrame:
        """Run an expression where the data lives and bring back its result.

        Parameters
        ----------
        expr : ibis.Table
            An expression over this engine's tables.

        Returns
        -------
        pandas.DataFrame
            The result, with the same types on every engine: times as ``datetime64[ns]``
            (Spark and PostgreSQL give other units), whole numbers as ``int64`` (nullable
            ``Int64`` when a value is missing), decimals as ``float64``, text as ``str``.
        """
        return _normalise(self.backend.to_pyarrow(expr).to_pandas(date_as_object=False))

    def close(self) -> None:
        """Release the engine's connection (a Spark session lent by the caller stays up)."""
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """One set of column types whatever the engine (see :meth:`Engine.execute`)."""
    out = {}
    for name, col in frame.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            if getattr(col.dt, "tz", None) is not None:
                col = col.dt.tz_convert("UTC").dt.tz_localize(None)
            col = col.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(col):
            pass
        elif pd.api.types.is_integer_dtype(col):
            col = col.astype("int64") if col.notna().all() else col.astype("Int64")
        elif pd.api.types.is_float_dtype(col) or col.dtype == object and _decimal(col):
            col = col.astype("float64")
        elif pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            col = col.astype("str").where(col.notna())
        out[name] = col
    return pd.DataFrame(out, index=frame.index)


def _decimal(col: pd.Series) -> bool:
    """True for a column of Python decimals (PostgreSQL's ``numeric`` sums)."""
    import decimal

    first = col.dropna()
    return not first.empty and isinstance(first.iloc[0], decimal.Decimal)


def from_frames(frames: Mapping[str, pd.DataFrame], *, location: str = "(frames)",
                report: ValidationReport | None = None,
                as_of: dt.date | None = None) -> Engine:
    """An embedded DuckDB engine over frames already in pandas (scanned in place, not copied).

    Parameters
    ----------
    frames : mapping of str to pandas.DataFrame
        Salesnb tables by name (``SalesData.tables``).
    location : str, default="(frames)"
        How messages name the data.
    report, as_of
        The validation report and as-of day the frames came with, if any.

    Returns
    -------
    Engine
        A DuckDB engine; close it when done.
    """
    backend = ibis.duckdb.connect()
    tables = {}
    for name, frame in frames.items():
        backend.con.register(f"salesnb_{name}", frame)
        tables[name] = backend.table(f"salesnb_{name}")
    return Engine(backend, tables, location, report, as_of, backend.disconnect)


def _open_postgres(url: str) -> Engine | None:
    """The engine of a schema ``salesnb copy`` wrote; None for another schema."""
    from salesnb.data.loader import ValidationReport
    from salesnb.data.postgres import connect, redact, split_url

    schema = split_url(url)[1]
    con = connect(url)
    try:
        found = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,)).fetchall()}
        if COPY_MARKER not in found:
            con.close()
            return None
        backend = ibis.postgres.from_connection(con)
    except BaseException:
        con.close()
        raise
    tables = {t: backend.table(t, database=schema) for t in TABLE_ORDER if t in found}
    counts = backend.table(COPY_MARKER, database=schema).to_pandas()
    quarantine = backend.table("quarantine", database=schema).to_pandas()
    report = ValidationReport(redact(url), counts.drop(columns=["as_of"]), quarantine, {}, {},
                              {})
    day = dt.date.fromisoformat(str(counts["as_of"].iloc[0]))
    return Engine(backend, tables, redact(url), report, day, backend.disconnect)


def open_engine(source: Any = "data", mapping: Any = None, *, tables: list[str] | None = None,
                as_of: dt.date | str | None = None,
                memory_limit: str | None = None) -> Engine:
    """Open a source where it lives, its tables validated, for expressions to run on.

    Parameters
    ----------
    source : path, str or pyspark.sql.SparkSession, default="data"
        A folder or ``.duckdb`` file (validated into an embedded DuckDB database, where the
        clean rows stay); a ``postgresql://`` URL (a schema written by ``salesnb copy`` is
        queried on the server; another schema is read and validated like a folder); or a
        Spark session (its current database's tables named after salesnb tables).
    mapping : path, dict or Mapping, optional
        As for :func:`salesnb.load` (not for a schema ``salesnb copy`` wrote: it is applied
        on the way in).
    tables : list of str, optional
        The tables to validate (default: every salesnb table of the source).
    as_of : date or str, optional
        As for :func:`salesnb.load`. A schema ``salesnb copy`` wrote was validated on the
        copy's as-of day (``Engine.as_of``); measures take their own ``as_of``.
    memory_limit : str, optional
        DuckDB's memory limit (e.g. ``"4GB"``); DuckDB spills to disk past it.

    Returns
    -------
    Engine
        Close it when done (``with open_engine(...) as e:``).

    Raises
    ------
    SourceError, TableError, MappingError, PeriodError
        As :func:`salesnb.load` does.
    """
    from salesnb.data.loader import open_validated
    from salesnb.data.urls import is_url

    if type(source).__name__ == "SparkSession":
        return spark_engine(source)
    if is_url(source):
        engine = _open_postgres(str(source))
        if engine is not None:
            return engine
    v = open_validated(source, mapping, tables=tables, as_of=as_of, memory_limit=memory_limit)
    try:
        backend = ibis.duckdb.from_connection(v.con)
        found = {t: backend.table(view) for t, view in v.views.items()}
    except BaseException:
        v.close()
        raise
    return Engine(backend, found, v.location, v.report, v.as_of, v.close)


def spark_session(master: str | None = None, *, app_name: str = "salesnb",
                  config: Mapping[str, str] | None = None) -> Any:
    """Start (or join) a Spark session: local on this machine unless ``master`` says where.

    Parameters
    ----------
    master : str, optional
        ``"local[2]"``, ``"spark://host:7077"``...; default ``SALESNB_SPARK_MASTER`` or
        ``local[<cores>]``.
    app_name : str, default="salesnb"
        The application's name in Spark's logs.
    config : mapping, optional
        More Spark settings (``{"spark.executor.memory": "8g"}``).

    Returns
    -------
    pyspark.sql.SparkSession
        Times in UTC; a local session binds to 127.0.0.1 and starts no web UI.

    Raises
    ------
    EngineError
        When PySpark is installed but Java cannot be started (the message says how to
        install a Java runtime).
    """
    sql = require_extra("pyspark.sql", "spark")
    master = master or os.environ.get("SALESNB_SPARK_MASTER") or f"local[{os.cpu_count() or 1}]"
    builder = (sql.SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if master.startswith("local"):
        builder = (builder.config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.sql.shuffle.partitions", "4"))
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # PySparkRuntimeError: [JAVA_GATEWAY_EXITED] ...
        raise EngineError(f"Spark could not start ({str(exc).splitlines()[0]}); Spark needs a "
                          "Java runtime (17 or newer) on PATH or in JAVA_HOME: on Debian, "
                          "apt-get install default-jre-headless") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_engine(session: Any, *, parquet: str | Path | None = None,
                 database: str | None = None) -> Engine:
    """A Spark engine over a folder of Parquet files or a database of the session's catalog.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
        From :func:`spark_session` or the cluster's own; it stays up when the engine closes.
    parquet : path, optional
        A folder of ``<table>.parquet`` files (or folders of part files), e.g. written by a
        pipeline from validated data; each becomes a temporary view of its own
        (two engines on one session never see each other's).
    database : str, optional
        A catalog (Hive) database whose tables are named after salesnb tables; default the
        session's current database (when ``parquet`` is not given).

    Returns
    -------
    Engine
        A PySpark engine.

    Raises
    ------
    SourceError
        When the folder or database holds no salesnb table.
    """
    require_extra("pyspark", "spark")
    backend = ibis.pyspark.connect(session)
    tables: dict[str, Any] = {}
    if parquet is not None:
        folder = Path(parquet)
        tag = secrets.token_hex(4)  # views are the session's: two engines must not share one
        for t in TABLES:
            path = folder / f"{t}.parquet"
            if path.exists():
                tables[t] = backend.read_parquet(str(path), table_name=f"salesnb_{t}_{tag}")
        where = str(folder)
    else:
        names = set(backend.list_tables(database=database) if database else
                    backend.list_tables())
        tables = {t: backend.table(t, database=database) for t in TABLES if t in names}
        where = f"spark database {database or session.catalog.currentDatabase()}"
    if not tables:
        raise SourceError(f"{where}: no salesnb table found; name the tables (or "
                          f"<table>.parquet files) after {', '.join(TABLES)}")
    return Engine(backend, {t: tables[t] for t in TABLE_ORDER if t in tables}, where)
