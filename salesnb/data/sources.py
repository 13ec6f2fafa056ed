"""Where data comes from: a folder of files or a DuckDB file, read through DuckDB.

A :class:`Source` exposes each table it holds as a DuckDB view of *raw* rows: source columns
renamed by the mapping, values recoded, and a ``_row`` column that points back into the file.
Validation (``salesnb.validation``) turns raw rows into typed, checked tables. A new kind of
source (a PostgreSQL URL, a warehouse) only has to implement :meth:`Source._raw_relation` and
:meth:`Source._stored` (the tables it stores; tables built ``from:`` another's rows are added
by the base class, see :mod:`salesnb.data.derived`); callers of :func:`salesnb.load` do not
change.

Row numbers
-----------
For CSV files ``_row`` is the line the record starts on, as a text editor numbers lines
(the header is usually line 1; blank lines and quoted line breaks are counted). For Excel
files it is the sheet row Excel shows. For Parquet files and database tables it is the record
number, counting from 1.

This module holds the file I/O primitives (reading blocks, decoding, transcoding); the folder
source itself is :class:`salesnb.data.folder.FolderSource` (also importable from here).
"""

from __future__ import annotations

import codecs
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import duckdb

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.csvscan import CSV_RULE, CSV_VALUE, ReadProblem, Scan, scan
from salesnb.data.derived import PRICE_COLUMNS, build_derived, derived_where, rows_name
from salesnb.data.encoding import EncodingGuess, bom_encoding, guess_encoding
from salesnb.data.mapping import Mapping, TableMapping, normalise_name
from salesnb.data.schema import TABLES
from salesnb.errors import MappingError, SourceError, TableError
from salesnb.paths import resolve_path

if TYPE_CHECKING:
    from salesnb.data.folder import FolderSource

__all__ = ["Source", "FolderSource", "DuckDBSource", "open_source", "detect_encoding",
           "EXTENSIONS", "first_line", "RESERVED"]

#: File types a folder source reads, in order of preference.
EXTENSIONS = (".parquet", ".csv", ".tsv", ".txt", ".xlsx")
#: Raw columns a source may add besides the file's own: the row number and CSV-level problems.
RESERVED = ("_row", CSV_RULE, CSV_VALUE)
_BLOCK = 1 << 20


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


def read_blocks(path: Path, size: int = _BLOCK) -> Iterator[bytes]:
    """Yield the bytes of ``path`` in blocks of ``size``.

    Parameters
    ----------
    path : Path
        The file.
    size : int, default 1 MiB
        Block size.
    """
    with path.open("rb") as fh:
        while block := fh.read(size):
            yield block


def read_head(path: Path, size: int = 16) -> bytes:
    """The first ``size`` bytes of ``path``.

    Parameters
    ----------
    path : Path
        The file.
    size : int, default 16
        Bytes to read.
    """
    with path.open("rb") as fh:
        return fh.read(size)


def open_text(path: Path, encoding: str) -> IO[str]:
    """Open ``path`` as text for the ``csv`` module (no newline translation, strict decoding).

    Parameters
    ----------
    path : Path
        The file.
    encoding : str
        Its encoding.
    """
    return path.open("r", encoding=encoding, newline="", errors="strict")


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes (an Excel workbook).

    Parameters
    ----------
    path : Path
        The file.
    """
    return path.open("rb")


def transcode(path: Path, encoding: str, out: Path) -> Path:
    """Copy ``path`` to ``out`` as UTF-8, streaming; line breaks are kept as they are.

    Parameters
    ----------
    path : Path
        The file, in ``encoding``.
    encoding : str
        Its encoding.
    out : Path
        The UTF-8 copy to write.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ReadProblem
        With the line of the first bytes that do not decode.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line = 1
    with out.open("w", encoding="utf-8", newline="") as dst:
        for block in read_blocks(path):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = block[max(exc.start, 0):max(exc.start, 0) + 4]
                raise ReadProblem(line + block.count(b"\n", 0, max(exc.start, 0)),
                                  f"bytes {bad!r} do not decode as {encoding}",
                                  "set the file's encoding with 'encoding:' in a mapping") \
                    from None
            line += text.count("\n")
            dst.write(text)
        dst.write(decoder.decode(b"", final=True))
    return out


def scan_file(path: Path) -> Scan:
    """Scan ``path``'s bytes once (see :func:`salesnb.data.csvscan.scan`).

    Parameters
    ----------
    path : Path
        The file.
    """
    return scan(read_blocks(path))


def guess_file_encoding(path: Path, found: Scan) -> EncodingGuess:
    """The encoding of a scanned file: its byte-order mark, UTF-8, or detected.

    Parameters
    ----------
    path : Path
        The file (for its first bytes).
    found : Scan
        What :func:`scan_file` found.
    """
    bom = bom_encoding(read_head(path, 4))
    if bom:
        return EncodingGuess(bom, "bom")
    if found.utf8:
        return EncodingGuess("utf-8", "utf-8")
    lines = [line for line in found.sample.split(b"\n") if line]
    utf8 = [line for line in lines if _is_utf8(line)]
    if lines and len(utf8) >= len(lines) / 2:  # mostly UTF-8, some lines in another encoding
        return EncodingGuess("utf-8", "mixed", 0.0, True, ("cp1252",),
                             utf8[0].decode("utf-8").strip()[:80])
    return guess_encoding(found.sample, lines[0] if lines else b"")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str | Path, *, whole_file: bool = True) -> str:
    """Guess the text encoding of a CSV export.

    A byte-order mark decides; then UTF-8 if every byte decodes; else charset-normalizer
    ranks the candidates (see :mod:`salesnb.data.encoding`).

    Parameters
    ----------
    path : path
        The file.
    whole_file : bool, default=True
        Kept for compatibility: the whole file is always scanned (a GBK character may first
        appear on the last line), in one cheap pass.

    Returns
    -------
    str
        A Python codec name.
    """
    path = Path(path)
    return guess_file_encoding(path, scan_file(path)).encoding


class Source(ABC):
    """A place salesnb tables are read from.

    Parameters
    ----------
    location : str
        What the user passed (folder, file), for messages.
    mapping : Mapping
        Renames and recodes applied on read.

    Attributes
    ----------
    extra_columns : dict of str to list of str
        Source columns kept per table that are not part of the data model.
    encodings : dict of str to EncodingGuess
        How each text file was decoded.
    notes : dict of str to list of str
        What a person should know about a table that is not an error (an unsure encoding).
    """

    def __init__(self, location: str, mapping: Mapping) -> None:
        self.location = location
        self.mapping = mapping
        self.extra_columns: dict[str, list[str]] = {}
        self.encodings: dict[str, EncodingGuess] = {}
        self.notes: dict[str, list[str]] = {}

    @abstractmethod
    def _stored(self) -> dict[str, str]:
        """Return ``{table: where}`` for the tables stored in files / database tables."""

    def available(self) -> dict[str, str]:
        """Return ``{table: where}`` for the salesnb tables this source holds.

        A table the mapping builds from another's rows (``from:``) is listed when that
        table is: ``"superstore.csv (customers from the order lines)"``.
        """
        found = self._stored()
        for table, tmap in self.mapping.tables.items():
            if tmap.parent and tmap.parent in found:
                found[table] = derived_where(found[tmap.parent], table, tmap.parent)
        return {t: found[t] for t in TABLES if t in found}

    @abstractmethod
    def _raw_relation(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                      tmap: TableMapping) -> str:
        """Return an SQL query of the table's raw rows with a 1-based ``_row`` column first."""

    def _match_tables(self, names: list[str]) -> dict[str, str]:
        """``{salesnb table: stored name}`` for a database's table ``names``.

        A table matches its name (or the mapping's ``file:``) case-insensitively; tables the
        mapping builds from another's rows (``from:``) are left out.
        """
        lower = {n.lower(): n for n in names}
        found = {}
        for table in TABLES:
            tmap = self.mapping.for_table(table)
            want = (tmap.file or table).lower()
            if not tmap.parent and want in lower:
                found[table] = lower[want]
        return found

    def describe(self, table: str) -> str:
        """Return a human location of ``table`` (file path or database table)."""
        found = self.available()
        if table not in found:
            raise self.missing(table)
        return found[table]

    def encoding_of(self, table: str) -> str:
        """How ``table`` was decoded (``"utf-8"``, ``"cp1252 (detected, 97%)"``), or ``"-"``."""
        guess = self.encodings.get(self.mapping.for_table(table).parent or table)
        return guess.describe() if guess else "-"

    def explain(self, table: str, wanted: list[str]) -> tuple[str, str | None] | None:
        """What the file holds when ``wanted`` columns are missing or it has no rows.

        Returns ``(what was found, a setting that may fix it or None)``, or None when there
        is nothing to add.
        """
        return None

    def scrub(self, text: str) -> str:
        """``text`` (a reader's message) with paths of temporary copies replaced by the user's.

        Parameters
        ----------
        text : str
            A message that may name a file.
        """
        return text

    def missing(self, table: str) -> TableError:
        """Return the error for a table this source does not hold."""
        have = ", ".join(sorted(self.available())) or "none"
        parent = self.mapping.for_table(table).parent
        if parent:
            return TableError(table, self.location, f"built from the {parent} rows ('from: "
                              f"{parent}' in the mapping), but {parent} is not in the source "
                              f"(tables found: {have})", f"add the {parent} file, or correct "
                              f"'from:' for {table} in the mapping")
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
            When the table is missing or cannot be read at all, or two of its columns end up
            with the same name.
        MappingError
            When the mapping names columns the file does not have.
        """
        where = self.describe(table)
        tmap = self.mapping.for_table(table)
        if tmap.parent:
            return self._register_derived(con, table, view, where, tmap)
        raw_sql = self._raw_relation(con, table, where, tmap)
        cols = list(self._raw_types(con, table, where, raw_sql))
        try:
            select, extra = _mapped_select(table, where,
                                           [c for c in cols if c not in RESERVED], tmap)
        except MappingError as exc:
            enc = self.encoding_of(table)
            if enc == "-":
                raise
            raise MappingError(f"{exc} (the file was read as {enc})") from None
        except TableError as exc:
            enc = self.encoding_of(table)
            if enc != "-":
                exc = TableError(table, where, f"{exc.problem} (read as {enc})", exc.fix)
            raise exc from None
        self.extra_columns[table] = extra
        passed = "".join(f", {quote_ident(c)}" for c in RESERVED[1:] if c in cols)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(view)} AS SELECT _row, {select}"
                    f"{passed} FROM ({raw_sql})")
        return where

    def _raw_types(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                   raw_sql: str) -> dict[str, str]:
        """``{column: DuckDB type}`` of a raw relation (a TableError when it cannot be read)."""
        try:
            return {d[0]: d[1] for d in con.sql(f"DESCRIBE {raw_sql}").fetchall()}
        except duckdb.Error as exc:
            raise TableError(table, where, f"cannot be read ({self.scrub(first_line(exc))})",
                             "check that the file is a valid CSV/Parquet/Excel export") from None

    def _register_derived(self, con: duckdb.DuckDBPyConnection, table: str, view: str,
                          where: str, tmap: TableMapping) -> str:
        """Create view ``view`` of a derived table: the parent's rows, one per id."""
        parent = str(tmap.parent)
        pmap = self.mapping.for_table(parent)
        pwhere = self.describe(parent)
        known = set(TABLES[table].column_names)
        for attempt in (0, 1):
            raw_sql = self._raw_relation(con, parent, pwhere, pmap)
            types = self._raw_types(con, table, where, raw_sql)
            cols = [c for c in types if c not in RESERVED]
            names = _mapped_names(table, where, cols, tmap,
                                  keep=known | set(tmap.own_columns.values()))
            key = TABLES[table].key[0]
            if key not in names:
                raise TableError(table, where, f"the {rows_name(parent)} have no {key} column "
                                 f"to build {table} from (columns: {', '.join(cols)})",
                                 f"map the id column to {key} in the mapping of {parent} or "
                                 f"{table} ('columns: {{<its name>: {key}}}')")
            prices = {n: c for n, c in _mapped_names(parent, pwhere, cols, pmap).items()
                      if n in PRICE_COLUMNS}
            items = {n: (e, types[names[n]]) for n, e in _select_items(names, tmap).items()}
            pitems = {n: (quote_ident(c), types[c]) for n, c in prices.items()}
            try:
                notes = build_derived(con, table, view, raw_sql, items, pitems, tmap,
                                      flagged=CSV_RULE in types)
            except duckdb.Error as exc:
                if attempt == 0 and self.safer_read(parent):
                    continue
                raise TableError(table, where, "cannot be read "
                                 f"({self.scrub(first_line(exc))})", "check the file's "
                                 "separator, quoting and encoding") from None
            break
        self.extra_columns[table] = [n for n in names if n not in known]
        self.notes[table] = notes
        return where

    def safer_read(self, table: str) -> bool:
        """Switch ``table`` to slower, more forgiving read options; False if there are none."""
        return False

    def close(self) -> None:
        """Release temporary files (nothing to release by default)."""
        return None


def _mapped_names(table: str, where: str, cols: list[str], tmap: TableMapping,
                  keep: set[str] | None = None) -> dict[str, str]:
    """``{salesnb name: source column}`` for ``table``'s columns after the mapping's renames.

    With ``keep``, names outside it are left out (before two names are found to collide).
    """
    known = set(TABLES[table].column_names)
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
        if keep is not None and name not in keep:
            continue
        if name in out:
            raise TableError(table, where, f"columns {out[name]!r} and {col!r} both become "
                             f"{name!r}", "rename or drop one of them in the mapping "
                             f"('tables: {{{table}: {{drop: [{col!r}]}}}}')")
        out[name] = col
    return out


def _select_items(names: dict[str, str], tmap: TableMapping) -> dict[str, str]:
    """``{salesnb name: SQL of its value}``: the source column, recoded by ``values:``."""
    items = {}
    for name, col in names.items():
        expr = quote_ident(col)
        codes = tmap.values.get(name)
        if codes:
            whens = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}"
                             for k, v in codes.items())
            expr = f"CASE lower(trim(CAST({expr} AS VARCHAR))) {whens} ELSE {expr} END"
        items[name] = expr
    return items


def _mapped_select(table: str, where: str, cols: list[str], tmap: TableMapping
                   ) -> tuple[str, list[str]]:
    """Build the SELECT list renaming and recoding source columns for ``table``."""
    names = _mapped_names(table, where, cols, tmap)
    items = _select_items(names, tmap)
    known = set(TABLES[table].column_names)
    return (", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in items.items()),
            [n for n in names if n not in known])


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
        self._tables = self._match_tables(names)

    def _stored(self) -> dict[str, str]:
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
    source : path, URL or Source
        A folder of table files, a ``.duckdb`` / ``.db`` file, a ``postgresql://`` URL
        (:mod:`salesnb.data.postgres`), or a ready Source. A relative
        path is tried from the current folder, then from the project folder (so ``"data"``
        finds the embedded sample from ``notebooks/`` too).
    mapping : Mapping
        Renames applied on read.

    Raises
    ------
    SourceError
        When the path does not exist or is not a kind salesnb reads.
    """
    from salesnb.data.folder import FolderSource

    if isinstance(source, Source):
        return source
    text = str(source)
    if re.match(r"^[a-z][a-z0-9+]*://", text):
        from salesnb.data.postgres import PostgresSource, is_url, redact

        if is_url(text):
            return PostgresSource(text, mapping)
        scheme = text.split("://", 1)[0]
        raise SourceError(f"{scheme}:// sources are not supported; use postgresql://..., a "
                          f"folder of CSV/Parquet files or a .duckdb file (got "
                          f"{redact(text)})")
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


def __getattr__(name: str) -> Any:
    """``FolderSource`` lives in :mod:`salesnb.data.folder` (which builds on this module)."""
    if name == "FolderSource":
        from salesnb.data.folder import FolderSource

        return FolderSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
