"""The exception hierarchy: one root, messages a person can act on."""

from __future__ import annotations

__all__ = ["SalesnbError", "SourceError", "TableError", "MappingError", "ColumnError",
           "PeriodError"]


class SalesnbError(Exception):
    """Root of every error salesnb raises on purpose.

    Catch this in scripts and schedulers; its message says what is wrong and how to fix it.
    """


class SourceError(SalesnbError):
    """A data source cannot be opened (missing folder, unknown file type, bad URL)."""


class TableError(SalesnbError):
    """A table is missing or unusable as a whole (missing required column, unreadable file).

    Parameters
    ----------
    table : str
        Name of the salesnb table (e.g. ``"orders"``).
    file : str
        The file or location the table was read from.
    problem : str
        What is wrong.
    fix : str
        What the user can do about it.
    """

    def __init__(self, table: str, file: str, problem: str, fix: str) -> None:
        self.table = table
        self.file = file
        self.problem = problem
        self.fix = fix
        super().__init__(f"{table} ({file}): {problem}. Fix: {fix}")


class MappingError(SalesnbError):
    """A column mapping file is malformed or refers to unknown tables or columns."""


class ColumnError(SalesnbError):
    """A table lacks columns an analysis needs.

    Raised by :func:`salesnb.core.columns.require_columns`, the one required-columns check.

    Parameters
    ----------
    table : str
        How the table is called (``"orders"``, ``"the leads frame"``).
    missing : list of str
        The columns looked for and not found (``"customer='CustomerID'"`` when the analysis
        was told which column to use for an argument).
    columns : list of str
        The columns the table has.
    fix : str
        What the user can do about it.
    """

    def __init__(self, table: str, missing: list[str], columns: list[str], fix: str) -> None:
        self.table = table
        self.missing = missing
        self.columns = columns
        self.fix = fix
        have = ", ".join(columns) if columns else "none"
        super().__init__(f"{table} has no column {', '.join(missing)} (its columns: {have}). "
                         f"Fix: {fix}")


class PeriodError(SalesnbError, ValueError):
    """A date, period or window given as a parameter cannot be read."""
