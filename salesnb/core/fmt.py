"""Numbers as a report says them: one formatter per kind, one meaning per name.

Every function takes the value in its natural unit: :func:`pct` a *fraction* (0.152 is
15.2 %), :func:`money` an amount of the one currency.
"""

from __future__ import annotations

import math

__all__ = ["pct", "money", "number"]

_DASH = "–"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(fraction: float | None, *, digits: int = 0, signed: bool = False) -> str:
    """A fraction as a percentage.

    Parameters
    ----------
    fraction : float or None
        The share or change as a fraction (0.152 means 15.2 %).
    digits : int, default 0
        Decimals shown.
    signed : bool, default False
        Show ``+`` before a positive value (for changes).

    Returns
    -------
    str
        ``"15 %"``, ``"+15.2 %"``; ``"–"`` when the value is missing.

    Examples
    --------
    >>> pct(0.152)
    '15 %'
    >>> pct(-0.0345, digits=1, signed=True)
    '-3.5 %'
    """
    if _missing(fraction):
        return _DASH
    return f"{100 * fraction:{'+' if signed else ''}.{digits}f} %"


def money(amount: float | None) -> str:
    """An amount in thousands or millions: ``"1.2 M"``, ``"35 k"``, ``"940"``.

    Parameters
    ----------
    amount : float or None
        The amount.

    Returns
    -------
    str
        The amount rounded for reading; ``"–"`` when missing.

    Examples
    --------
    >>> money(1_234_567)
    '1.2 M'
    >>> money(-35_400)
    '-35 k'
    """
    if _missing(amount):
        return _DASH
    a = abs(amount)
    if a >= 1e6:
        return f"{amount / 1e6:,.1f} M"
    if a >= 1e3:
        return f"{amount / 1e3:,.0f} k"
    return f"{amount:,.0f}"


def number(value: float | None, *, digits: int = 1) -> str:
    """A plain number with thousands separators: ``"12,345.6"``.

    Parameters
    ----------
    value : float or None
        The number.
    digits : int, default 1
        Decimals shown.

    Returns
    -------
    str
        The number; ``"–"`` when missing.
    """
    if _missing(value):
        return _DASH
    return f"{value:,.{digits}f}"
