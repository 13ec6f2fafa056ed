"""The one writer for files a report hands out: Excel workbooks and CSV files.

Sheet names are made safe for Excel (at most 31 characters, none of ``[]:*?/`` nor a
backslash, unique), and text that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe, as the
OWASP guidance on CSV injection advises; numbers stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from salesnb.errors import SalesnbError

__all__ = ["write_table", "sheet_names", "neutralise_formulas", "SUFFIXES"]

#: File types :func:`write_table` writes.
SUFFIXES = (".xlsx", ".csv")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_names(names: list[str]) -> list[str]:
    """Excel-safe, unique sheet names for ``names``, in the same order.

    Parameters
    ----------
    names : list of str
        Wanted names.

    Returns
    -------
    list of str
        At most 31 characters each, forbidden characters replaced by ``_``, empty names
        called ``sheet``, repeats numbered (``name (2)``).

    Examples
    --------
    >>> sheet_names(["a/b", "a/b", "x" * 40])
    ['a_b', 'a_b (2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = _BAD_SHEET.sub("_", str(name)).strip("'").strip() or "sheet"
        candidate, n = base[:31], 1
        while candidate.lower() in seen:
            n += 1
            suffix = f" ({n})"
            candidate = base[:31 - len(suffix)] + suffix
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def _neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` where text cells that would run as formulas start with ``'``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.

    Returns
    -------
    pandas.DataFrame
        Text (and object) columns neutralised; numeric, date and boolean columns unchanged.
        Column names are neutralised too.
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            out[col] = s.map(_neutralise, na_action="ignore")
    out.columns = [_neutralise(c) for c in out.columns]
    return out


def write_table(tables: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | Path, *,
                index: bool = False) -> Path:
    """Write one table, or several as sheets of one workbook.

    Parameters
    ----------
    tables : pandas.DataFrame or mapping of str to pandas.DataFrame
        One table, or sheet name -> table (sheets in the mapping's order).
    path : str or Path
        Target file; its suffix picks the format (``.xlsx`` or ``.csv``). A CSV file takes
        one table only. The folder is created when missing.
    index : bool, default False
        Write the index as the first column(s).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    SalesnbError
        For another suffix, or several tables bound for one CSV file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SalesnbError(f"{path}: write to a file ending in {' or '.join(SUFFIXES)}")
    sheets = dict(tables) if isinstance(tables, Mapping) else {"data": tables}
    if suffix == ".csv" and len(sheets) != 1:
        raise SalesnbError(f"{path}: a CSV file holds one table, not {len(sheets)}; write .xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        neutralise_formulas(next(iter(sheets.values()))).to_csv(path, index=index)
        return path
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in zip(sheet_names(list(sheets)), sheets.values(), strict=True):
            neutralise_formulas(frame).to_excel(xl, sheet_name=name, index=index)
    return path
