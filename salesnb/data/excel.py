"""Excel sheets as raw text rows, with the sheet's own row numbers.

openpyxl reads the workbook in read-only mode (streamed, bounded memory). Every value becomes
text as a person sees it (``10``, ``2.5``, ``2020-05-06``, ``true``) so validation treats Excel
like CSV. Empty rows are skipped but keep their place: a record's ``_row`` is the row number
shown in Excel. Cells right of the header are read up to :data:`EXTRA_COLUMNS` further; a
filled one quarantines its row (``extra_fields``) instead of being dropped.

The functions take an open binary file; :mod:`salesnb.data.sources` opens it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import IO, Any

import pyarrow as pa

from salesnb.data.csvscan import (
    HEAD_LINES,
    MAX_COLUMNS,
    ReadProblem,
    Records,
    check_names,
    column_letter,
)

__all__ = ["read_sheet", "overview", "cell_text", "EXTRA_COLUMNS"]

#: Columns right of the header that are still looked at for stray values.
EXTRA_COLUMNS = 16


def cell_text(value: Any) -> str | None:
    """A cell's value as text, as a person reads it (None for an empty cell).

    Parameters
    ----------
    value : object
        What openpyxl returns: text, number, bool, date, datetime or time.

    Examples
    --------
    >>> cell_text(10), cell_text(2.5), cell_text(dt.datetime(2020, 5, 6)), cell_text(True)
    ('10', '2.5', '2020-05-06', 'true')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else \
            value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _workbook(fh: IO[bytes]) -> Any:
    import openpyxl  # only for Excel sources

    try:
        return openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReadProblem(None, f"cannot be read as Excel ({text})",
                          "save it again as .xlsx, or export it as CSV") from None


def _pick(wb: Any, sheet: str | int | None) -> Any:
    names = list(wb.sheetnames)
    if sheet is None:
        return wb[names[0]]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return wb[names[sheet]]
        raise ReadProblem(None, f"sheet {sheet} does not exist (the workbook has "
                          f"{len(names)} sheet(s): {', '.join(map(repr, names))})",
                          "set 'sheet:' to a sheet name, or to its position counting from 0")
    lower = {n.lower(): n for n in names}
    if sheet.lower() in lower:
        return wb[lower[sheet.lower()]]
    raise ReadProblem(None, f"sheet {sheet!r} does not exist (sheets: "
                      f"{', '.join(map(repr, names))})", "correct 'sheet:' in the mapping")


def _blank(row: tuple[Any, ...]) -> bool:
    return all(cell_text(v) is None for v in row)


def read_sheet(fh: IO[bytes], *, sheet: str | int | None = None,
               header_row: int | None = None) -> tuple[list[str], pa.Table, str]:
    """Read one sheet: its header names and its records as text.

    Parameters
    ----------
    fh : binary file
        The open ``.xlsx`` file.
    sheet : str or int, optional
        Sheet name (case-insensitive) or 0-based position; the first sheet by default.
    header_row : int, optional
        Row of the header (1-based, as Excel shows it); by default the first non-empty row.

    Returns
    -------
    tuple of (list of str, pyarrow.Table, str)
        The header names, the records (``_row``, ``c0`` ... ``c{n-1}``, ``_csv_rule``,
        ``_csv_value``, as :func:`salesnb.data.csvscan.read_exact` returns) and the sheet's
        name.

    Raises
    ------
    ReadProblem
        Not a workbook, no such sheet, no header, too many or repeated column names.
    """
    wb = _workbook(fh)
    try:
        ws = _pick(wb, sheet)
        head_cols = MAX_COLUMNS + 1
        header: tuple[Any, ...] | None = None
        row_no = 0
        for row_no, row in enumerate(ws.iter_rows(min_row=1, max_row=HEAD_LINES,
                                                  max_col=head_cols, values_only=True), 1):
            if (header_row is None and not _blank(row)) or row_no == header_row:
                header = row
                break
        if header is None:
            where = f"row {header_row} is beyond the sheet's last row" if header_row else \
                f"no filled row in the first {HEAD_LINES} rows"
            raise ReadProblem(header_row, f"sheet {ws.title!r} has no header ({where})",
                              "set 'header_row:' (and 'sheet:') in the mapping")
        cells = [cell_text(v) or "" for v in header]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise ReadProblem(row_no, f"row {row_no}, the header, has more than "
                              f"{MAX_COLUMNS:,} columns", "export only the columns needed")
        names = check_names([c.strip() for c in cells])
        width = len(names)
        return names, _records(ws, row_no, width), ws.title
    finally:
        wb.close()


def _records(ws: Any, header_row: int, width: int) -> pa.Table:
    out = Records(width)
    for row_no, row in enumerate(ws.iter_rows(min_row=header_row + 1,
                                              max_col=width + EXTRA_COLUMNS,
                                              values_only=True), header_row + 1):
        texts = [cell_text(v) for v in row]
        if all(t is None for t in texts):
            continue
        fields = (texts[:width] + [None] * width)[:width]
        extra = [(i, t) for i, t in enumerate(texts[width:], width) if t is not None]
        rule = value = None
        if extra:
            rule = "extra_fields"
            value = "values right of the header: " + ", ".join(
                f"{column_letter(i)}={t[:40]!r}" for i, t in extra[:5])
        out.add([row_no, *fields, rule, value])
    return out.table()


def overview(fh: IO[bytes], *, rows: int = 4, columns: int = 12
             ) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """The first filled rows of every sheet, for messages that say what a workbook holds.

    Parameters
    ----------
    fh : binary file
        The open ``.xlsx`` file.
    rows : int, default 4
        Filled rows shown per sheet.
    columns : int, default 12
        Cells shown per row.

    Returns
    -------
    list of (sheet name, list of (row number, cell texts))
    """
    wb = _workbook(fh)
    out = []
    try:
        for ws in wb.worksheets:
            found: list[tuple[int, list[str]]] = []
            for row_no, row in enumerate(ws.iter_rows(min_row=1, max_row=HEAD_LINES,
                                                      max_col=columns, values_only=True), 1):
                if not _blank(row):
                    texts = [cell_text(v) or "" for v in row]
                    while texts and not texts[-1]:
                        texts.pop()
                    found.append((row_no, texts))
                    if len(found) >= rows:
                        break
            out.append((ws.title, found))
    finally:
        wb.close()
    return out
