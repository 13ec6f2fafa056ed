"""A folder holding one file per table: CSV, Parquet or Excel, each read as raw text rows.

CSV files are scanned once (:func:`salesnb.data.csvscan.scan`: line lengths, blank lines,
encoding) before anything parses them, so a pathological file fails in seconds with the line
and the limit. The encoding is the mapping's ``encoding:``, a byte-order mark, UTF-8, or
detected (:mod:`salesnb.data.encoding`); other encodings are copied to UTF-8 in a temporary
folder first, and messages always name the user's file, never the copy. The header line
(``header_row:``, else the first non-empty line) gives the columns; the separator is the
mapping's ``delimiter:`` or detected. DuckDB then parses files with one record per line; the
others (blank lines, quoted line breaks, rows with extra fields) are read by the exact
reader, which keeps every record's own line number. Excel sheets are read with openpyxl
(:mod:`salesnb.data.excel`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.csvscan import (
    CSV_RULE,
    CSV_VALUE,
    MAX_LINE_BYTES,
    ReadProblem,
    Scan,
    read_exact,
    read_header,
    signature_problem,
    size_text,
    sniff_delimiter,
)
from salesnb.data.encoding import EncodingGuess, bom_encoding, codec_name
from salesnb.data.excel import overview, read_sheet
from salesnb.data.mapping import Mapping, TableMapping, normalise_name
from salesnb.data.schema import TABLES
from salesnb.data.sources import (
    EXTENSIONS,
    RESERVED,
    Source,
    guess_file_encoding,
    open_binary,
    open_text,
    read_head,
    scan_file,
    transcode,
)
from salesnb.errors import MappingError, TableError

__all__ = ["FolderSource"]

_UTF8 = ("utf-8", "utf-8-sig")


@dataclass
class _CsvPlan:
    """How one CSV file is read (decided once per table)."""

    text_path: Path  # the UTF-8 file parsed (the user's, or a transcoded copy)
    text_encoding: str  # how Python opens text_path
    header_line: int
    delimiter: str
    names: list[str]
    head: list[str]  # the first lines, decoded
    found: Scan


class FolderSource(Source):
    """A folder holding one file per table (``orders.csv``, ``reps.parquet``, ``leads.xlsx``).

    Parameters
    ----------
    folder : path
        The folder.
    mapping : Mapping
        Renames, recodes and reading options; a ``file:`` must stay inside ``folder``.

    Raises
    ------
    MappingError
        A mapping's ``file:`` resolves outside the folder (``..``, an absolute path
        elsewhere, a symbolic link leading out). The file is not opened.
    TableError
        A file named by the mapping does not exist, or several files could hold a table.
    """

    def __init__(self, folder: str | Path, mapping: Mapping) -> None:
        super().__init__(str(folder), mapping)
        self.folder = Path(folder)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._files = self._find_files()
        self._exact: set[str] = set()
        self._plans: dict[str, _CsvPlan] = {}
        self._copies: dict[str, str] = {}  # transcoded copy -> the user's file

    def _inside(self, table: str, name: str) -> Path:
        """The path of a mapping's ``file:``, refused when it leads out of the folder."""
        path = Path(name) if Path(name).is_absolute() else self.folder / name
        root = self.folder.resolve()
        try:
            inside = path.resolve().is_relative_to(root)
        except (OSError, RuntimeError):  # a symbolic link loop
            inside = False
        if not inside:
            raise MappingError(f"mapping {self.mapping.origin}, tables.{table}.file: {name!r} "
                               f"is outside the source folder {self.folder}; name a file "
                               "inside that folder (a path relative to it)")
        return path

    def _find_files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        entries = {p.name.lower(): p for p in self.folder.iterdir()}
        for table in TABLES:
            tmap = self.mapping.for_table(table)
            if tmap.parent:
                continue  # built from another table's rows (Source.available lists it)
            if tmap.file:
                path = self._inside(table, tmap.file)
                if not path.is_file() and not path.is_dir():
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

    def _stored(self) -> dict[str, str]:
        """Return ``{table: file path}`` for the tables found in the folder."""
        return {t: str(p) for t, p in self._files.items()}

    def _tmpdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="salesnb-")
        return Path(self._tmp.name)

    def scrub(self, text: str) -> str:
        """``text`` with the paths of transcoded copies replaced by the user's files."""
        for copy, original in self._copies.items():
            text = text.replace(copy, original)
        if self._tmp is not None:
            text = text.replace(self._tmp.name, str(self.folder))
        return text

    def _error(self, table: str, problem: str, fix: str) -> TableError:
        """A TableError naming the user's file and, for text, the encoding it was read with."""
        guess = self.encodings.get(table)
        if guess is not None and "read as" not in problem:
            problem += f" (read as {guess.describe()})"
        return TableError(table, str(self._files[table]), problem, fix)

    def _raw_relation(self, con: duckdb.DuckDBPyConnection, table: str, where: str,
                      tmap: TableMapping) -> str:
        path = self._files[table]
        if path.is_dir():
            return (f"SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
                    f"FROM read_parquet({quote_literal(str(path / '*.parquet'))}, "
                    "file_row_number=true)")
        if path.stat().st_size == 0:
            raise TableError(table, where, "the file is empty (0 bytes)",
                             "export the table again with a header row and its rows")
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return (f"SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
                    f"FROM read_parquet({quote_literal(str(path))}, file_row_number=true)")
        if suffix == ".xlsx":
            return self._excel(con, table, path, tmap)
        return self._csv(con, table, path, tmap)

    # ------------------------------------------------------------------ CSV
    def _decode(self, table: str, path: Path, guess: EncodingGuess) -> tuple[Path,
                                                                          EncodingGuess]:
        """The UTF-8 file to parse (``path``, or a copy transcoded) and the encoding used.

        A detected encoding that fails on some bytes gives way to the next likely one (the
        guess is then marked unsure); one the user set is an error with the line.
        """
        if guess.encoding in _UTF8:
            return path, guess
        out = self._tmpdir() / f"{table}.utf8.csv"
        self._copies[str(out)] = str(path)
        tries = [guess.encoding]
        if guess.how == "detected":
            tries += [e for e in (*guess.alternatives, "cp1252", "latin-1") if e not in tries]
        for i, encoding in enumerate(tries):
            try:
                transcode(path, encoding, out)
            except ReadProblem as exc:
                if i + 1 == len(tries):
                    raise self._error(table, f"line {exc.line:,}: {exc.problem}",
                                      exc.fix) from None
                continue
            if i:
                guess = EncodingGuess(encoding, "detected", guess.confidence, True,
                                      (guess.encoding,), guess.example)
            return out, guess
        raise AssertionError("unreachable")  # pragma: no cover

    def _text(self, table: str, path: Path, tmap: TableMapping
              ) -> tuple[Path, EncodingGuess, Scan]:
        """Check the bytes (what the file is, NUL bytes, line lengths) and pick the encoding."""
        sig = signature_problem(read_head(path))
        if sig:
            raise TableError(table, str(path), f"the file is {sig[0]}, not a CSV text file",
                             sig[1])
        guess: EncodingGuess | None = None
        bom = bom_encoding(read_head(path, 4))
        if tmap.encoding:
            name = codec_name(tmap.encoding)
            guess = EncodingGuess("utf-8-sig" if name == "utf-8" and bom == "utf-8-sig"
                                  else name, "mapping")
        elif bom in ("utf-16", "utf-32"):
            guess = EncodingGuess(bom, "bom")
        text_path = path
        if guess is not None:
            self.encodings[table] = guess
            text_path, guess = self._decode(table, path, guess)
        found = scan_file(text_path)
        if found.nul_line:
            raise self._error(table, f"line {found.nul_line:,} holds NUL bytes: this is not a "
                              "text file (or it is UTF-16 without a byte-order mark)",
                              "export the table as CSV (UTF-8), or set 'encoding: utf-16' "
                              "in a mapping")
        if found.long_line:
            raise self._error(table, f"line {found.long_line:,} is longer than "
                              f"{size_text(MAX_LINE_BYTES)}, the longest line salesnb reads",
                              "check that the file is a CSV export with one record per line; "
                              "shorten or remove the very long value")
        if guess is None:
            guess = guess_file_encoding(path, found)
            if guess.how == "mixed":
                raise TableError(table, str(path), f"line {found.utf8_error_line:,} is not "
                                 f"valid UTF-8 but other lines are (e.g. {guess.example!r}): "
                                 "the file mixes encodings",
                                 "correct that line (save the file again as UTF-8), or set "
                                 "the encoding of the whole file with 'encoding:' in a "
                                 "mapping")
            self.encodings[table] = guess
            text_path, guess = self._decode(table, path, guess)
            self.encodings[table] = guess
        elif guess.encoding in _UTF8 and not found.utf8:
            raise self._error(table, f"line {found.utf8_error_line:,} is not valid UTF-8, "
                              "the encoding the mapping sets",
                              "remove 'encoding:' from the mapping to detect the encoding, "
                              "or set the right one (e.g. cp1252, gb18030)")
        if guess.unsure:
            self.notes.setdefault(table, []).append(guess.note(table) or "")
        return text_path, guess, found

    def _plan(self, table: str, path: Path, tmap: TableMapping) -> _CsvPlan:
        """How to read ``table``'s CSV file: encoding, header line, separator, names."""
        if table in self._plans:
            return self._plans[table]
        text_path, guess, found = self._text(table, path, tmap)
        scanned = "utf-8" if text_path is not path or guess.encoding in _UTF8 else guess.encoding
        head = [h.decode(scanned, "replace") for h in found.head]
        if head:
            head[0] = head[0].lstrip("\ufeff")
        header_line = tmap.header_row or next(
            (i for i, h in enumerate(head, 1) if h.strip()), 0)
        if not header_line:
            raise self._error(table, "the file has no header: its first lines are empty",
                              "export the table again with a header row")
        if header_line > max(found.lines, 1):
            raise self._error(table, f"header_row is {header_line} but the file has only "
                              f"{found.lines} line(s)", "correct 'header_row:' in the mapping")
        if header_line > len(head):
            raise self._error(table, f"header_row is {header_line} but the first "
                              f"{size_text(MAX_LINE_BYTES * 2)} of the file hold only "
                              f"{len(head)} line(s)", "remove the long lines above the header")
        delimiter = tmap.delimiter or ("\t" if path.suffix.lower() == ".tsv" else
                                       sniff_delimiter(head[header_line - 1:header_line + 30]))
        try:
            names = read_header(head[header_line - 1], delimiter)
        except ReadProblem as exc:
            raise self._error(table, f"line {header_line}: {exc.problem}", exc.fix) from None
        if not any(names):
            raise self._error(table, f"line {header_line}, the header, has no column names",
                              "export the table again with a header row, or set "
                              "'header_row:' in a mapping")
        taken = [n for n in names if n in RESERVED]
        if taken:
            raise self._error(table, f"column name {taken[0]!r} is reserved by salesnb",
                              "rename that column in the export")
        plan = _CsvPlan(text_path, "utf-8-sig" if text_path is path and
                        guess.encoding == "utf-8-sig" else "utf-8", header_line, delimiter,
                        names, head, found)
        self._plans[table] = plan
        return plan

    def _reader(self, plan: _CsvPlan) -> str:
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(plan.names)))
        return (f"read_csv({quote_literal(str(plan.text_path))}, "
                f"delim={quote_literal(plan.delimiter)}, quote='\"', escape='\"', "
                f"header=false, skip={plan.header_line}, auto_detect=false, "
                f"columns={{{columns}}}, null_padding=true, "
                f"max_line_size={2 * MAX_LINE_BYTES})")

    def _duckdb_reads(self, con: duckdb.DuckDBPyConnection, plan: _CsvPlan
                      ) -> list[int] | None:
        """The empty lines between records when DuckDB reads one record per line, else None.

        DuckDB's strict reader stops at the first row with too many fields or broken quotes
        (cheaply: collecting such rows as "rejects" costs time quadratic in the fields); then,
        or when a quoted line break makes records span lines, the exact reader is used.
        """
        blanks = plan.found.blanks_between(plan.header_line)
        if blanks is None or plan.found.newline != b"\n":
            return None
        try:
            ((n,),) = con.sql(f"SELECT count(*) FROM {self._reader(plan)}").fetchall()
        except duckdb.Error:
            return None
        expected = plan.found.last_content - plan.header_line - len(blanks)
        return blanks if n == max(expected, 0) else None

    def _csv(self, con: duckdb.DuckDBPyConnection, table: str, path: Path,
             tmap: TableMapping) -> str:
        plan = self._plan(table, path, tmap)
        select = ", ".join(f"c{i} AS {quote_ident(n)}" for i, n in enumerate(plan.names) if n)
        blanks = None if table in self._exact else self._duckdb_reads(con, plan)
        if blanks == []:
            return (f"SELECT (row_number() OVER () + {plan.header_line})::BIGINT AS _row, "
                    f"{select} FROM {self._reader(plan)}")
        if blanks:  # record k is on line header + k + the empty lines before it
            starts: dict[int, int] = {}
            for i, line in enumerate(blanks):
                starts[line - plan.header_line - i] = i + 1
            segs = f"_blanks_{table}"
            con.register(segs, pa.table({"_k": list(starts), "_off": list(starts.values())}))
            return (f"SELECT (q._k + {plan.header_line} + coalesce(s._off, 0))::BIGINT AS _row, "
                    f"q.* EXCLUDE (_k) FROM (SELECT row_number() OVER () AS _k, {select} FROM "
                    f"{self._reader(plan)}) q ASOF LEFT JOIN {quote_ident(segs)} s "
                    "ON q._k >= s._k ORDER BY _row")
        self._exact.add(table)
        try:
            with open_text(plan.text_path, plan.text_encoding) as fh:
                records = read_exact(fh, delimiter=plan.delimiter,
                                     header_line=plan.header_line, width=len(plan.names))
        except ReadProblem as exc:
            raise self._error(table, f"line {exc.line:,}: {exc.problem}", exc.fix) from None
        except UnicodeDecodeError as exc:  # pragma: no cover - checked by the scan
            raise self._error(table, f"cannot be decoded ({exc.reason})",
                              "set 'encoding:' in a mapping") from None
        return self._arrow(con, table, records, plan.names)

    def _arrow(self, con: duckdb.DuckDBPyConnection, table: str, records: pa.Table,
               names: list[str]) -> str:
        view = f"_rawfile_{table}"
        con.register(view, records)
        select = ", ".join(f"c{i} AS {quote_ident(n)}" for i, n in enumerate(names) if n)
        return f"SELECT _row, {select}, {CSV_RULE}, {CSV_VALUE} FROM {quote_ident(view)}"

    def safer_read(self, table: str) -> bool:
        """Read ``table``'s CSV file with the exact reader (when DuckDB's read failed)."""
        path = self._files.get(table)
        if path is None or table in self._exact or path.suffix.lower() in (".parquet",
                                                                             ".xlsx"):
            return False
        self._exact.add(table)
        return True

    # ------------------------------------------------------------------ Excel
    def _excel(self, con: duckdb.DuckDBPyConnection, table: str, path: Path,
               tmap: TableMapping) -> str:
        try:
            with open_binary(path) as fh:
                names, records, _sheet = read_sheet(fh, sheet=tmap.sheet,
                                                    header_row=tmap.header_row)
        except ReadProblem as exc:
            raise TableError(table, str(path), exc.problem, exc.fix) from None
        if not any(names):
            raise TableError(table, str(path), "the sheet's header row is empty",
                             "set 'header_row:' (and 'sheet:') in a mapping")
        return self._arrow(con, table, records, names)

    # ------------------------------------------------------------------ hints
    def explain(self, table: str, wanted: list[str]) -> tuple[str, str | None] | None:
        """Say what the file's first lines (CSV) or sheets (Excel) hold, and suggest a setting.

        Parameters
        ----------
        table : str
            The table.
        wanted : list of str
            The salesnb columns looked for (the required ones that are missing).

        Returns
        -------
        tuple of (str, str or None) or None
            What was found, and a fix naming ``header_row:`` / ``sheet:`` / ``delimiter:``
            (None when no setting would help).
        """
        tmap = self.mapping.for_table(table)
        stored = tmap.parent or table  # a derived table is read from its parent's file
        path = self._files.get(stored)
        if path is None:
            return None
        if path.suffix.lower() == ".xlsx":
            return self._explain_excel(stored, path, wanted, tmap)
        plan = self._plans.get(stored)
        return self._explain_csv(stored, plan, wanted, tmap) if plan else None

    def _explain_csv(self, table: str, plan: _CsvPlan, wanted: list[str], tmap: TableMapping
                     ) -> tuple[str, str | None]:
        shown = [(i, h) for i, h in enumerate(plan.head[:20], 1) if h.strip()][:3]
        found = "the first lines are: " + "; ".join(f"line {i}: {h[:70]!r}" for i, h in shown)
        best = (0, plan.header_line, plan.delimiter)
        for i, text in enumerate(plan.head[:20], 1):
            for d in dict.fromkeys((plan.delimiter, ",", ";", "\t", "|")):
                try:
                    cells = read_header(text, d)
                except ReadProblem:
                    continue
                score = _matches(cells, wanted, tmap)
                if score > best[0]:
                    best = (score, i, d)
        score, line, delimiter = best
        if score and line != plan.header_line:
            return found, (f"the header seems to be on line {line}: set 'header_row: {line}' "
                           f"for {table} in a mapping")
        if score and delimiter != plan.delimiter:
            return found, (f"the columns are separated by {delimiter!r}: set "
                           f"'delimiter: {delimiter!r}' for {table} in a mapping")
        return found, None

    def _explain_excel(self, table: str, path: Path, wanted: list[str], tmap: TableMapping
                       ) -> tuple[str, str | None] | None:
        try:
            with open_binary(path) as fh:
                sheets = overview(fh)
        except ReadProblem:
            return None
        parts, best = [], (0, "", 0)
        for title, rows in sheets:
            first = f"row {rows[0][0]}: {', '.join(c for c in rows[0][1] if c)[:60]!r}" \
                if rows else "empty"
            parts.append(f"{title!r} ({first})")
            for row_no, cells in rows:
                score = _matches(cells, wanted, tmap)
                if score > best[0]:
                    best = (score, title, row_no)
        found = f"the workbook's sheets are {', '.join(parts)}"
        score, title, row_no = best
        if not score:
            return found, (f"set 'sheet:' and 'header_row:' for the sheet and row holding the "
                           f"{table} columns, or rename the columns with a mapping"
                           if len(sheets) > 1 else None)
        rows = dict(sheets)[title]
        current = tmap.sheet if tmap.sheet is not None else sheets[0][0]
        settings = [] if title == current else [f"sheet: {title!r}"]
        if rows and row_no != rows[0][0] or (tmap.header_row and row_no != tmap.header_row):
            settings.append(f"header_row: {row_no}")
        if not settings:
            return found, None
        return found, (f"the {table} columns are on sheet {title!r}, row {row_no}: set "
                       f"{' and '.join(settings)} for {table} in a mapping")

    def close(self) -> None:
        """Delete the temporary UTF-8 copies, if any."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _matches(cells: list[str], wanted: list[str], tmap: TableMapping) -> int:
    """How many of ``wanted`` a header of ``cells`` would give (after the mapping's renames)."""
    names = {tmap.columns.get(c, normalise_name(c)) for c in cells if c}
    return len(set(wanted) & names)
