"""Where data comes from: a folder of files or a DuckDB file, read through DuckDB.

A :class:`Source` exposes each table it holds as a DuckDB view of *raw* rows: source columns
renamed by the mapping, values recoded, and a ``_row`` column that points back into the file.
Validation (``salesnb.validation``) turns raw rows into typed, checked tables. A new kind of
source (a PostgreSQL URL, a warehouse) only has to implement :meth:`Source._raw_relation` and
:meth:`Source.available`; callers of :func:`salesnb.load` do not change.

Row numbers
-----------
For CSV and Excel files ``_row`` is the line / sheet row a person sees when opening the file
(the header is row 1, the first data row is row 2). For Parquet files and database tables it is
the record number, counting from 1.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import duckdb
import pandas as pd

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.mapping import Mapping, TableMapping, normalise_name
from salesnb.data.schema import TABLES
from salesnb.errors import MappingError, SourceError, TableError
from salesnb.paths import resolve_path

__all__ = ["Source", "FolderSource", "DuckDBSource", "open_source", "detect_encoding",
           "EXTENSIONS", "first_line"]

#: File types a folder source reads, in order of preference.
EXTENSIONS = (".parquet", ".csv", ".tsv", ".txt", ".xlsx")
_SAMPLE_BYTES = 1 << 20
_FALLBACK_ENCODINGS = ("utf-8", "gb18030", "cp1252", "latin-1")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, for a one-line error a person can read.

    DuckDB and openpyxl errors often carry several lines of context; the first says what
    went wrong.

    Parameters
    ----------
    exc : BaseException
        The exception caught.

    Returns
    -------
    str
        Its first non-empty message line, or the exception's class name when it has none.

    Examples
    --------
    >>> first_line(ValueError("bad value: SELECT ..."))
    'bad value: SELECT ...'
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _decodes(path: Path, encoding: str, limit: int | None = None) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    read = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_SAMPLE_BYTES):
                decoder.decode(chunk)
                read += len(chunk)
                if limit is not None and read >= limit:
                    return True
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str | Path, *, whole_file: bool = False) -> str:
    """Guess the text encoding of a CSV export.

    UTF-8 (with or without a byte-order mark) is tried first, then GB18030 (a superset of GBK,
    what Excel writes in Chinese locales), then Windows-1252 and Latin-1.

    Parameters
    ----------
    path : path
        The file.
    whole_file : bool, default=False
        Decode the whole file instead of its first megabyte (slower, certain).

    Returns
    -------
    str
        A Python codec name.
    """
    path = Path(path)
    limit = None if whole_file else _SAMPLE_BYTES
    for enc in _FALLBACK_ENCODINGS:
        if _decodes(path, enc, limit):
            return enc
    return "latin-1"  # pragma: no cover - latin-1 decodes any bytes


def _transcode(path: Path, encoding: str, out_dir: Path) -> Path:
    """Copy ``path`` to UTF-8 in ``out_dir`` (streaming) and return the copy's path."""
    out = out_dir / (path.stem + ".utf8" + path.suffix)
    with path.open("r", encoding=encoding, newline="") as src, \
            out.open("w", encoding="utf-8", newline="") as dst:
        while block := src.read(_SAMPLE_BYTES):
            dst.write(block)
    return out


class Source(ABC):
    """A place salesnb tables are read from.

    Parameters
    ----------
    location : str
        What the user passed (folder, file), for messages.
    mapping : Mapping
        Renames and recodes applied on read.
    """

    def __init__(self, location: str, mapping: Mapping) -> None:
        self.location = location
        self.mapping = mapping
        self.extra_columns: dict[str, list[str]] = {}

    @abstractmethod
    def available(self) -> dict[str, str]:
        """Return ``{table: where}`` for the salesnb tables this source holds."""

    @abstractmethod
    def _raw_relation(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                      tmap: TableMapping) -> str:
        """Return an SQL query of the table's raw rows with a 1-based ``_row`` column first."""

    def describe(self, table: str) -> str:
        """Return a human location of ``table`` (file path or database table)."""
        found = self.available()
        if table not in found:
            raise self.missing(table)
        return found[table]

    def missing(self, table: str) -> TableError:
        """Return the error for a table this source does not hold."""
        have = ", ".join(sorted(self.available())) or "none"
        return TableError(table, self.location, "table not found (tables found: " + have + ")",
                          f"add a file named {table}.csv, .parquet or .xlsx, or name the file "
                          f"with 'tables: {{{table}: {{file: ...}}}}' in a mapping")

    def register(self, con: duckdb.DuckDBPyConnection, table: str, view: str) -> str:
        """Create view ``view`` of ``table``'s raw rows in ``con``, mapped to salesnb names.

        Returns
        -------
        str
            Where the table was read from.

        Raises
        ------
        TableError
            When the table is missing or cannot be read at all.
        MappingError
            When the mapping names columns the file does not have, or two columns end up with
            the same name.
        """
        where = self.describe(table)
        tmap = self.mapping.for_table(table)
        raw_sql = self._raw_relation(con, table, where, tmap)
        try:
            cols = [d[0] for d in con.sql(f"DESCRIBE {raw_sql}").fetchall()]
        except duckdb.Error as exc:
            raise TableError(table, where, f"cannot be read ({first_line(exc)})",
                             "check that the file is a valid CSV/Parquet/Excel export") from None
        select, extra = _mapped_select(table, where, [c for c in cols if c != "_row"], tmap)
        self.extra_columns[table] = extra
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(view)} AS SELECT _row, {select} "
                    f"FROM ({raw_sql})")
        return where

    def safer_read(self, table: str) -> bool:
        """Switch ``table`` to slower, more forgiving read options; False if there are none."""
        return False

    def close(self) -> None:
        """Release temporary files (nothing to release by default)."""
        return None


def _mapped_select(table: str, where: str, cols: list[str], tmap: TableMapping
                   ) -> tuple[str, list[str]]:
    """Build the SELECT list renaming and recoding source columns for ``table``."""
    spec = TABLES[table]
    known = set(spec.column_names)
    missing_src = [c for c in tmap.columns if c not in cols]
    if missing_src:
        raise MappingError(
            f"mapping for {table} ({where}) renames column(s) {missing_src} that the file "
            f"does not have; the file's columns are: {', '.join(cols)}")
    out: dict[str, str] = {}
    for col in cols:
        if col in tmap.drop or not col.strip() or re.fullmatch(r"column\d+", col):
            continue
        if col in tmap.columns:
            name = tmap.columns[col]
        elif normalise_name(col) in known and normalise_name(col) not in tmap.columns.values():
            name = normalise_name(col)
        else:
            name = col
        if name in out:
            raise MappingError(
                f"{table} ({where}): columns {out[name]!r} and {col!r} both become {name!r}; "
                "rename or drop one of them in the mapping")
        out[name] = col
    parts = []
    for name, col in out.items():
        expr = quote_ident(col)
        codes = tmap.values.get(name)
        if codes:
            whens = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}"
                             for k, v in codes.items())
            expr = f"CASE lower(trim(CAST({expr} AS VARCHAR))) {whens} ELSE {expr} END"
        parts.append(f"{expr} AS {quote_ident(name)}")
    extra = [n for n in out if n not in known]
    return ", ".join(parts), extra


class FolderSource(Source):
    """A folder holding one file per table (``orders.csv``, ``reps.parquet``, ``leads.xlsx``).

    CSV files are read by DuckDB with every column as text (so a bad value quarantines a row
    instead of failing the file); separators are detected. Non-UTF-8 files (GBK, Windows-1252)
    are converted to UTF-8 in a temporary folder first. Excel files are read with openpyxl.
    """

    def __init__(self, folder: str | Path, mapping: Mapping) -> None:
        super().__init__(str(folder), mapping)
        self.folder = Path(folder)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._files = self._find_files()
        self._serial: set[str] = set()

    def _find_files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        entries = {p.name.lower(): p for p in self.folder.iterdir()}
        for table in TABLES:
            tmap = self.mapping.for_table(table)
            if tmap.file:
                path = self.folder / tmap.file
                if not path.exists():
                    raise TableError(table, str(path), "the file named in the mapping does "
                                     "not exist", "correct 'file:' in the mapping")
                files[table] = path
                continue
            hits = [entries[table + ext] for ext in EXTENSIONS if table + ext in entries]
            if table in entries and entries[table].is_dir():
                hits.append(entries[table])
            if len(hits) > 1:
                raise TableError(table, str(self.folder), "several files could hold this "
                                 f"table: {', '.join(p.name for p in hits)}",
                                 "keep one of them, or name it with 'file:' in a mapping")
            if hits:
                files[table] = hits[0]
        return files

    def available(self) -> dict[str, str]:
        """Return ``{table: file path}`` for the tables found in the folder."""
        return {t: str(p) for t, p in self._files.items()}

    def _tmpdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="salesnb-")
        return Path(self._tmp.name)

    def _raw_relation(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                      tmap: TableMapping) -> str:
        path = self._files[table]
        if path.is_dir():
            return (f"SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
                    f"FROM read_parquet({quote_literal(str(path / '*.parquet'))}, "
                    "file_row_number=true)")
        if path.stat().st_size == 0:
            raise TableError(table, where, "the file is empty",
                             "export the table again with a header row")
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return (f"SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
                    f"FROM read_parquet({quote_literal(str(path))}, file_row_number=true)")
        if suffix == ".xlsx":
            return self._excel(con, table, path, tmap)
        return self._csv(con, table, path, tmap)

    def _csv(self, con: duckdb.DuckDBPyConnection, table: str, path: Path,
             tmap: TableMapping) -> str:
        # The whole file is checked: a GBK character may first appear on the last line.
        encoding = tmap.encoding or detect_encoding(path, whole_file=True)
        if codecs.lookup(encoding).name != "utf-8":
            path = _transcode(path, encoding, self._tmpdir())
        opts = ["all_varchar=true", "header=true", "null_padding=true"]
        if table in self._serial:
            opts.append("parallel=false")  # needed for quoted line breaks with null_padding
        if tmap.delimiter:
            opts.append(f"delim={quote_literal(tmap.delimiter)}")
        elif path.suffix.lower() == ".tsv":
            opts.append("delim='\\t'")
        sql = (f"SELECT (row_number() OVER () + 1)::BIGINT AS _row, * "
               f"FROM read_csv({quote_literal(str(path))}, {', '.join(opts)})")
        try:
            con.sql(f"DESCRIBE {sql}").fetchall()
        except duckdb.Error as exc:
            raise TableError(table, str(path), f"cannot be read as CSV ({first_line(exc)})",
                             "check the separator and quoting, or set 'delimiter:' in a "
                             "mapping") from None
        return sql

    def safer_read(self, table: str) -> bool:
        """Read ``table``'s CSV file with the serial reader (handles quoted line breaks)."""
        path = self._files.get(table)
        if path is None or table in self._serial or path.suffix.lower() in (".parquet",
                                                                               ".xlsx"):
            return False
        self._serial.add(table)
        return True

    def _excel(self, con: duckdb.DuckDBPyConnection, table: str, path: Path,
               tmap: TableMapping) -> str:
        try:
            frame = pd.read_excel(path, sheet_name=tmap.sheet if tmap.sheet is not None else 0,
                                  dtype=str, keep_default_na=False, na_values=[""])
        except Exception as exc:  # openpyxl raises many types for broken files
            raise TableError(table, str(path), f"cannot be read as Excel ({first_line(exc)})",
                             "save it again as .xlsx, or export it as CSV") from None
        frame.columns = [str(c) for c in frame.columns]
        frame = frame.astype(object).where(frame.notna(), None)
        frame.insert(0, "_row", range(2, len(frame) + 2))
        name = f"_excel_{table}"
        con.register(name, frame)
        return f"SELECT * FROM {quote_ident(name)}"

    def close(self) -> None:
        """Delete the temporary UTF-8 copies, if any."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class DuckDBSource(Source):
    """A DuckDB database file whose tables are named after salesnb tables."""

    def __init__(self, path: str | Path, mapping: Mapping) -> None:
        super().__init__(str(path), mapping)
        self.path = Path(path)
        try:
            with duckdb.connect(str(self.path), read_only=True) as con:
                names = [r[0] for r in con.sql(
                    "SELECT table_name FROM information_schema.tables").fetchall()]
        except duckdb.Error as exc:
            raise SourceError(f"{self.path} cannot be opened as a DuckDB database "
                              f"({first_line(exc)}); is it a .duckdb file?") from None
        lower = {n.lower(): n for n in names}
        self._tables: dict[str, str] = {}
        for table in TABLES:
            want = self.mapping.for_table(table).file or table
            if want.lower() in lower:
                self._tables[table] = lower[want.lower()]

    def available(self) -> dict[str, str]:
        """Return ``{table: "file.duckdb:table"}`` for the tables in the database."""
        return {t: f"{self.path}:{n}" for t, n in self._tables.items()}

    def _raw_relation(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                      tmap: TableMapping) -> str:
        alias = "_src_db"
        attached = {r[0] for r in con.sql("SELECT database_name FROM duckdb_databases()")
                    .fetchall()}
        if alias not in attached:
            con.execute(f"ATTACH {quote_literal(str(self.path))} AS {alias} (READ_ONLY)")
        return (f"SELECT (row_number() OVER ())::BIGINT AS _row, * "
                f"FROM {alias}.{quote_ident(self._tables[table])}")


def open_source(source: str | Path | Source, mapping: Mapping) -> Source:
    """Open ``source`` as a :class:`Source`.

    Parameters
    ----------
    source : path or Source
        A folder of table files, a ``.duckdb`` / ``.db`` file, or a ready Source. A relative
        path is tried from the current folder, then from the project folder (so ``"data"``
        finds the embedded sample from ``notebooks/`` too).
    mapping : Mapping
        Renames applied on read.

    Raises
    ------
    SourceError
        When the path does not exist or is not a kind salesnb reads.
    """
    if isinstance(source, Source):
        return source
    text = str(source)
    if re.match(r"^[a-z][a-z0-9+]*://", text):
        raise SourceError(f"{text}: database URLs are not supported yet; export the tables to "
                          "a folder of CSV/Parquet files or a .duckdb file")
    try:
        path = resolve_path(source)
    except SourceError:
        raise SourceError(f"{source} does not exist; pass a folder of table files (orders.csv, "
                          "customers.csv, ...) or a .duckdb file") from None
    if path.is_dir():
        return FolderSource(path, mapping)
    if path.suffix.lower() in {".duckdb", ".db", ".ddb"}:
        return DuckDBSource(path, mapping)
    raise SourceError(f"{path} is a single file; pass the folder that holds it (tables are "
                      "files named after them, e.g. orders.csv) or a .duckdb file")
