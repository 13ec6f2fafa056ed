"""SQL text for DuckDB (and any engine with standard quoting): identifiers and literals.

The one place where salesnb turns a name or a value into SQL text. Both functions escape
what they quote, so a column called ``a"b`` or a value ``O'Brien`` cannot end the quoted
text early.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["quote_ident", "quote_literal"]


def quote_ident(name: Any) -> str:
    """Quote an identifier (table or column name), doubling embedded double quotes.

    Parameters
    ----------
    name : Any
        The name; non-strings are turned into text first.

    Returns
    -------
    str
        ``"name"``, safe to splice into SQL.

    Examples
    --------
    >>> print(quote_ident('a"b'))
    "a""b"
    """
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: Any) -> str:
    """Turn a Python value into an SQL literal.

    Parameters
    ----------
    value : Any
        ``None`` (NULL), a bool, an int or finite float, a ``datetime``/``pandas.Timestamp``
        (TIMESTAMP), a ``date`` (DATE) or text (escaped, single quotes doubled).

    Returns
    -------
    str
        The literal.

    Raises
    ------
    ValueError
        For NaN or infinite numbers, which have no portable literal.

    Examples
    --------
    >>> quote_literal("O'Brien")
    "'O''Brien'"
    >>> quote_literal(2.5)
    '2.5'
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no SQL literal; pass a finite number")
        return repr(value)
    if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime too
        return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S.%f}'"
    if isinstance(value, dt.date):
        return f"DATE '{value:%Y-%m-%d}'"
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        return quote_literal(value.item())
    return "'" + str(value).replace("'", "''") + "'"
