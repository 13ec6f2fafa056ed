"""The one required-columns check, with one error class (:class:`~salesnb.errors.ColumnError`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from salesnb.errors import ColumnError

__all__ = ["require_columns"]

#: What to do about a missing column, unless the caller knows better.
DEFAULT_FIX = ("pass the names your table uses (e.g. customer='CustomerID', date='InvoiceDate'), "
               "or rename the columns in a mapping YAML")


def require_columns(frame: pd.DataFrame, columns: Sequence[str | None] | Mapping[str, str | None],
                    *, table: str, fix: str = DEFAULT_FIX) -> None:
    """Raise unless ``frame`` has every column named.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to check.
    columns : sequence of str, or mapping of str to str
        The columns needed. ``None`` entries (an optional column the caller did not ask for)
        are skipped. A mapping goes from an argument of the analysis to the column it names
        (``{"customer": "CustomerID"}``), so the message can say ``customer='CustomerID'``.
    table : str
        How the table is called in the message (``"orders"``, ``"the leads frame"``).
    fix : str
        What the user can do about it.

    Raises
    ------
    ColumnError
        Naming the missing columns, the columns the table has, and the fix.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], table="t")
    >>> frame = pd.DataFrame({"a": [1]})
    >>> require_columns(frame, {"date": "day"}, table="orders")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    salesnb.errors.ColumnError: orders has no column date='day' (its columns: a). Fix: ...
    """
    have = set(frame.columns)
    if isinstance(columns, Mapping):
        missing = [f"{arg}={col!r}" for arg, col in columns.items()
                   if col is not None and col not in have]
    else:
        missing = [repr(c) for c in dict.fromkeys(columns) if c is not None and c not in have]
    if missing:
        raise ColumnError(table, missing, [str(c) for c in frame.columns], fix)
