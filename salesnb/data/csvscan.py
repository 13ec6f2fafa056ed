"""CSV files before and besides DuckDB: a cheap scan of the raw bytes, the header, an exact reader.

:func:`scan` reads the file once in 1 MiB blocks with C-speed byte operations: it counts
lines, finds the first line longer than :data:`MAX_LINE_BYTES` (and stops there, so a
20 MB single line costs 20 block reads, not a parse), notes blank lines, NUL bytes and the
lines holding non-ASCII bytes (the sample for encoding detection), and checks that the bytes
are UTF-8. :func:`read_header` finds the separator and the header's names from the first
lines, refusing more than :data:`MAX_COLUMNS` names or a repeated name.

Files whose records are one per line (no quoted line breaks, no row with more fields than
the header) are parsed by DuckDB, and a record's line is its number plus the header's line
plus the empty lines before it (DuckDB skips them; the scan lists them). Other files are
read by :func:`read_exact` (Python's C ``csv`` reader), which keeps each record's own first
line, flags rows with extra fields
(``extra_fields``) or broken quoting (``bad_quotes``) instead of dropping or truncating
them, and stops with the line where a quote opens that is never closed or a value longer
than the limit starts.

The functions take bytes, lines or streams; the files are opened by
:mod:`salesnb.data.sources`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

__all__ = ["MAX_LINE_BYTES", "MAX_COLUMNS", "HEAD_LINES", "MAX_BLANK_LINES", "Scan", "scan",
           "sniff_delimiter", "read_header", "check_names", "read_exact", "Records",
           "ReadProblem", "column_letter", "signature_problem", "size_text", "CSV_RULE",
           "CSV_VALUE"]

#: Longest line (and longest value) read, in bytes; a longer one stops the table with an error.
MAX_LINE_BYTES = 1 << 20
#: Most columns a header may have.
MAX_COLUMNS = 2000
#: Lines kept from the start of the file (header detection, ``header_row``, hints).
HEAD_LINES = 100
#: Empty lines whose numbers are kept (to number DuckDB's records); beyond, the exact reader.
MAX_BLANK_LINES = 100_000
#: Reserved raw columns of :func:`read_exact`: the CSV-level rule a row breaks, and its value.
CSV_RULE, CSV_VALUE = "_csv_rule", "_csv_value"
_HEAD_BYTES = 2 * MAX_LINE_BYTES + 4096
_SAMPLE_BYTES = 64 << 10
_HIGH = re.compile(rb"[\x80-\xff]")
_DELIMITERS = (",", ";", "\t", "|")
_BATCH = 50_000
#: What a file starting with these bytes really is.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?)",
     "rename it to .xlsx if it is a workbook, or export the table again as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel 97-2003 (.xls) workbook",
     "open it in Excel and save it as .xlsx or CSV"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip)"),
    (b"%PDF", "a PDF document", "export the table as CSV"),
)


class ReadProblem(Exception):
    """A file that cannot be read as a table: the line (or row), what is wrong, how to fix it."""

    def __init__(self, line: int | None, problem: str, fix: str) -> None:
        self.line = line
        self.problem = problem
        self.fix = fix
        super().__init__(problem)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> ``A``, 27 -> ``AB``).

    Parameters
    ----------
    index : int
        0-based column position.

    Examples
    --------
    >>> column_letter(0), column_letter(27)
    ('A', 'AB')
    """
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def size_text(n: int) -> str:
    """A byte count for a message: ``1 MB``, ``2.5 MB``, ``640 bytes``.

    Parameters
    ----------
    n : int
        Bytes.

    Examples
    --------
    >>> size_text(1 << 20), size_text(640)
    ('1 MB', '640 bytes')
    """
    return f"{n / 2**20:.3g} MB" if n >= 2**19 else f"{n:,} bytes"


def signature_problem(head: bytes) -> tuple[str, str] | None:
    """What a file really is when its first bytes say it is not text, as (what, fix), or None.

    Parameters
    ----------
    head : bytes
        The first bytes of the file.
    """
    for magic, what, fix in _SIGNATURES:
        if head.startswith(magic):
            return what, fix
    return None


@dataclass
class Scan:
    """What one pass over a CSV file's bytes found.

    Attributes
    ----------
    size : int
        Bytes read.
    lines : int
        Physical lines (a last line without a line break counts).
    head : list of bytes
        The first lines (at most :data:`HEAD_LINES`), without their line breaks.
    blank_lines : list of int
        Numbers of the empty lines (at most :data:`MAX_BLANK_LINES`).
    many_blank_lines : bool
        There were more empty lines than that.
    last_content : int
        Number of the last line that is not empty.
    long_line : int or None
        Number of the first line longer than the limit (the scan stopped there).
    nul_line : int or None
        Number of the first line holding a NUL byte (the scan stopped there).
    utf8 : bool
        Every byte read decodes as UTF-8.
    utf8_error_line : int or None
        First line that does not decode as UTF-8.
    sample : bytes
        Lines holding non-ASCII bytes (at most 64 KiB), for encoding detection.
    sample_line : int or None
        Number of the first such line.
    newline : bytes
        The line break (a line feed, or a carriage return for old Mac files).
    """

    size: int = 0
    lines: int = 0
    head: list[bytes] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    many_blank_lines: bool = False
    last_content: int = 0
    long_line: int | None = None
    nul_line: int | None = None
    utf8: bool = True
    utf8_error_line: int | None = None
    sample: bytes = b""
    sample_line: int | None = None
    newline: bytes = b"\n"

    def blanks_between(self, first: int) -> list[int] | None:
        """The empty lines after line ``first`` and before the last line with content.

        None when there are too many to list (more than :data:`MAX_BLANK_LINES`).
        """
        if self.many_blank_lines:
            return None
        return [b for b in self.blank_lines if first < b < self.last_content]


def _blank(part: bytes) -> bool:
    return not part or part == b"\r"


def scan(chunks: Iterable[bytes], *, max_line: int = MAX_LINE_BYTES) -> Scan:
    """Scan a file's bytes once, cheaply (see the module docstring).

    Parameters
    ----------
    chunks : iterable of bytes
        The file's content in blocks (e.g. 1 MiB reads), in order.
    max_line : int, default MAX_LINE_BYTES
        Longest line allowed; the scan stops at the first longer one.

    Returns
    -------
    Scan
    """
    import codecs

    out = Scan()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    head = bytearray()
    line = 1  # number of the line the next byte belongs to
    cur = 0  # bytes of that line read so far
    cur_bytes = b""  # its first bytes (enough to tell an empty line)
    nl = b""
    for chunk in chunks:
        if not chunk:
            continue
        if not nl:  # decided on the first block (1 MiB: a longer first line is an error)
            nl = b"\r" if b"\n" not in chunk and b"\r" in chunk else b"\n"
            out.newline = nl
        out.size += len(chunk)
        if len(head) < _HEAD_BYTES:
            head += chunk[:_HEAD_BYTES - len(head)]
        if out.nul_line is None and b"\x00" in chunk:
            out.nul_line = line + chunk.count(nl, 0, chunk.index(b"\x00"))
            break
        if out.utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                out.utf8 = False
                out.utf8_error_line = line + chunk.count(nl, 0, max(exc.start, 0))
        if len(out.sample) < _SAMPLE_BYTES and not chunk.isascii():
            _collect_sample(out, chunk, nl, line)
        parts = chunk.split(nl)
        first = cur + len(parts[0])
        if len(parts) == 1:
            cur, cur_bytes = first, (cur_bytes + parts[0])[:2]
            if cur > max_line:
                out.long_line = line
                break
            continue
        longest = max(first, max(map(len, parts[1:-1]), default=0))
        if longest > max_line:
            lengths = [first, *map(len, parts[1:-1])]
            out.long_line = line + next(i for i, n in enumerate(lengths) if n > max_line)
            break
        # blank lines: found with a substring test, located only when there are some
        ended_first_blank = first == 0 or (first == 1 and (cur_bytes + parts[0]) == b"\r")
        if ended_first_blank or nl + nl in chunk or nl + b"\r" + nl in chunk:
            for i, part in enumerate(parts[:-1]):
                is_blank = ended_first_blank if i == 0 else _blank(part)
                if is_blank and len(out.blank_lines) < MAX_BLANK_LINES:
                    out.blank_lines.append(line + i)
                elif is_blank:
                    out.many_blank_lines = True
                if not is_blank:
                    out.last_content = line + i
        else:
            out.last_content = line + len(parts) - 2
        line += len(parts) - 1
        cur, cur_bytes = len(parts[-1]), parts[-1][:2]
    else:
        if out.utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                out.utf8, out.utf8_error_line = False, line
    if cur and not (cur == 1 and _blank(cur_bytes)):
        out.last_content = line
    elif cur and len(out.blank_lines) < MAX_BLANK_LINES:  # a last line holding only "\r"
        out.blank_lines.append(line)
    out.lines = line if cur else line - 1
    out.head = bytes(head).split(nl or b"\n")[:HEAD_LINES]
    if len(head) >= _HEAD_BYTES:  # the last kept line may be cut
        out.head = out.head[:-1]
    out.head = [h.removesuffix(b"\r") for h in out.head]
    return out


def _collect_sample(out: Scan, chunk: bytes, nl: bytes, line: int) -> None:
    """Add the lines of ``chunk`` holding non-ASCII bytes to the encoding sample."""
    end = -1
    for m in _HIGH.finditer(chunk):
        pos = m.start()
        if pos <= end:
            continue
        start = chunk.rfind(nl, 0, pos) + 1
        end = chunk.find(nl, pos)
        end = len(chunk) if end < 0 else end
        if out.sample_line is None:
            out.sample_line = line + chunk.count(nl, 0, start)
        out.sample += chunk[start:end] + b"\n"
        if len(out.sample) >= _SAMPLE_BYTES:
            return


def sniff_delimiter(lines: list[str]) -> str:
    """The separator of a CSV header and the lines after it: ``,``, ``;``, tab or ``|``.

    The candidate whose header has at least two fields and whose other lines most often have
    as many fields as the header wins (more fields break a tie); ``,`` when none splits the
    header.

    Parameters
    ----------
    lines : list of str
        The header line and a few lines after it, decoded.

    Examples
    --------
    >>> sniff_delimiter(["id;price", "1;2,5", "2;3,0"])
    ';'
    """
    text = lines[0] + "\n" + "\n".join(lines[1:])[:_SAMPLE_BYTES]
    best, best_score = ",", (0.0, 0)
    for d in _DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=d) if r]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rest = records[1:-1] if len(records) > 2 else records[1:]  # the last may be cut
        share = sum(len(r) == width for r in rest) / len(rest) if rest else 1.0
        if (share, width) > best_score:
            best, best_score = d, (share, width)
    return best


def read_header(line: str, delimiter: str) -> list[str]:
    """The column names of a header line, checked.

    Parameters
    ----------
    line : str
        The decoded header line.
    delimiter : str
        The separator.

    Returns
    -------
    list of str
        Names with surrounding spaces (and a byte-order mark) removed; empty names stay
        empty (such columns are ignored).

    Raises
    ------
    ReadProblem
        More than :data:`MAX_COLUMNS` names, or a name that repeats (both positions named).
    """
    if line.count(delimiter) >= MAX_COLUMNS:  # counted before parsing: bounded work
        n = line.count(delimiter) + 1
        raise ReadProblem(None, f"the header has {n:,} fields (salesnb reads at most "
                         f"{MAX_COLUMNS:,} columns)",
                         "check the separator (set 'delimiter:' for the table in a mapping) "
                         "or export only the columns needed")
    try:
        names = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise ReadProblem(None, f"the header cannot be parsed ({exc})",
                         "check the quotes in the header line") from None
    return check_names([n.strip().lstrip("\ufeff").strip() for n in names])


def check_names(names: list[str]) -> list[str]:
    """Refuse a header with more than :data:`MAX_COLUMNS` names or a repeated name.

    Parameters
    ----------
    names : list of str
        Column names in file order; empty names (ignored columns) may repeat.

    Returns
    -------
    list of str
        ``names`` unchanged.

    Raises
    ------
    ReadProblem
        Naming both positions (number and spreadsheet letter) of a repeated name.
    """
    if len(names) > MAX_COLUMNS:
        raise ReadProblem(None, f"the header has {len(names):,} columns (salesnb reads at most "
                          f"{MAX_COLUMNS:,})", "export only the columns needed")
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            continue
        if name in seen:
            j = seen[name]
            raise ReadProblem(None, f"columns {j + 1} ({column_letter(j)}) and {i + 1} "
                              f"({column_letter(i)}) are both named {name!r}",
                              "rename one of them in the export (salesnb does not guess which "
                              "one is meant)")
        seen[name] = i
    return names


class _Lines:
    """An iterator of text lines that counts them and keeps the current record's lines."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.count = 0
        self.record: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = next(self._lines)
        self.count += 1
        self.record.append(text)
        return text


def read_exact(stream: Iterable[str], *, delimiter: str, header_line: int, width: int,
               max_field: int = MAX_LINE_BYTES) -> pa.Table:
    """Read the records after the header, each with the line it starts on.

    Parameters
    ----------
    stream : iterable of str
        The file's lines, decoded (a text file opened with ``newline=""``).
    delimiter : str
        The separator.
    header_line : int
        Line of the header (1-based); records start after it. Empty lines are skipped.
    width : int
        Number of header fields.
    max_field : int, default MAX_LINE_BYTES
        Longest value, in characters.

    Returns
    -------
    pyarrow.Table
        ``_row`` (the record's first line), ``c0`` ... ``c{width-1}`` (text, None when empty),
        :data:`CSV_RULE` (``extra_fields`` or ``bad_quotes``, else None) and
        :data:`CSV_VALUE` (the extra fields, or the record as written).

    Raises
    ------
    ReadProblem
        A quote that is never closed, or a value longer than ``max_field``, with its line.
    """
    lines = _Lines(iter(stream))
    for _ in range(header_line):
        if next(lines, None) is None:
            break
    lines.record = []
    out = Records(width)
    saved = csv.field_size_limit()
    csv.field_size_limit(max_field)
    try:
        while True:
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            try:
                for rec in _records(reader, lines, width):
                    out.add(rec)
                break
            except csv.Error as exc:
                start = lines.count - len(lines.record) + 1
                text = str(exc)
                if "field larger than field limit" in text:
                    raise ReadProblem(start, f"a value starting on line {start:,} is longer "
                                     f"than {size_text(max_field)}",
                                     "look for a quote (\") that opens a value and is never "
                                     "closed on that line, or shorten the value") from None
                if "unexpected end of data" in text:
                    raise ReadProblem(start, f"a quote (\") opens a value on line {start:,} "
                                     "and is never closed (the value would run to the end "
                                     "of the file)",
                                     "close or remove that quote; a quote inside a value "
                                     "is written twice (\"\")") from None
                raw = "".join(lines.record).rstrip("\r\n")
                fields = next(csv.reader([raw], delimiter=delimiter), [])
                out.add([start, *_fit(fields, width), "bad_quotes", raw[:200]])
                lines.record = []
    finally:
        csv.field_size_limit(saved)
    return out.table()


def _fit(fields: list[str], width: int) -> list[str | None]:
    """The first ``width`` fields, empty ones as None, padded with None."""
    out: list[str | None] = [f if f != "" else None for f in fields[:width]]
    return out + [None] * (width - len(out))


def _records(reader: Iterator[list[str]], lines: _Lines, width: int
             ) -> Iterator[list[object]]:
    """Yield ``[line, fields..., rule, value]`` for each non-empty record of ``reader``."""
    for fields in reader:
        start = lines.count - len(lines.record) + 1
        lines.record = []
        if not fields:
            continue
        rule = value = None
        if len(fields) > width:
            extra = [f for f in fields[width:] if f.strip()]
            if extra:
                rule = "extra_fields"
                value = f"{len(fields)} fields, header has {width}: extra " + \
                    ", ".join(repr(f[:40]) for f in extra[:5])
        yield [start, *_fit(fields, width), rule, value]


class Records:
    """Raw records collected row by row, returned as one Arrow table (built in batches).

    Parameters
    ----------
    width : int
        Number of header fields; columns are ``_row``, ``c0`` ... ``c{width-1}``,
        :data:`CSV_RULE` and :data:`CSV_VALUE`.
    """

    def __init__(self, width: int) -> None:
        self.names = ["_row", *(f"c{i}" for i in range(width)), CSV_RULE, CSV_VALUE]
        self._cols: list[list[object]] = [[] for _ in self.names]
        self._batches: list[pa.RecordBatch] = []

    def add(self, record: list[object]) -> None:
        """Append ``[row, field..., rule, value]``."""
        for col, value in zip(self._cols, record, strict=True):
            col.append(value)
        if len(self._cols[0]) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        arrays = [pa.array(self._cols[0], pa.int64())]
        arrays += [pa.array(c, pa.large_string()) for c in self._cols[1:]]
        self._batches.append(pa.RecordBatch.from_arrays(arrays, names=self.names))
        self._cols = [[] for _ in self.names]

    def table(self) -> pa.Table:
        """All records added, as a table."""
        self._flush()
        return pa.Table.from_batches(self._batches)
