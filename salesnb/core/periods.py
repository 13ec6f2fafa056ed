"""Dates, periods and windows as parameters give them: the one parser for each.

* :func:`parse_day` -- one day (``"2025-12-31"``, a date, a timestamp), or ``None`` when empty.
* :func:`parse_as_of` -- a report's ``as_of``: a day, today when empty.
* :func:`parse_period` -- a month (``"2025-12"``), a quarter (``"2025Q4"``) or a year
  (``"2025"``) as a :class:`pandas.Period`; :func:`period_freq` -- its length, "M", "Q" or "Y".
* :func:`parse_window` -- a span of days, ``(start, end)`` with both days included, or a
  period text, as ``(start, end_exclusive)`` timestamps.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from salesnb.errors import PeriodError

__all__ = ["Window", "parse_day", "parse_as_of", "parse_period", "period_freq", "parse_window",
           "window_label"]

#: A span of days: ``(start, end)`` with both days included, or a period text such as "2025Q4".
Window = tuple[Any, Any] | str | pd.Period

_PERIOD_FORMS = "a month (2025-12), a quarter (2025Q4) or a year (2025)"
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^\d{4}$")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        not isinstance(value, str) and pd.isna(value))


def parse_day(value: Any, *, name: str = "date") -> dt.date | None:
    """Read one day.

    Parameters
    ----------
    value : str, datetime.date, pandas.Timestamp or None
        ISO text (``"2025-12-31"``), a date or a timestamp (its day is kept).
    name : str, default "date"
        How the value is called in the error message.

    Returns
    -------
    datetime.date or None
        ``None`` when ``value`` is empty (``None``, ``""``, NaT).

    Raises
    ------
    PeriodError
        When the text is not a day.

    Examples
    --------
    >>> parse_day("2025-12-31")
    datetime.date(2025, 12, 31)
    >>> parse_day("") is None
    True
    """
    if _empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value).strip()).date()
    except (ValueError, TypeError):
        raise PeriodError(f"{name}={value!r} is not a day; write it like 2025-12-31") from None


def parse_as_of(value: Any) -> dt.date:
    """A report's ``as_of`` parameter as a day: the day given, or today when empty.

    Parameters
    ----------
    value : str, datetime.date, pandas.Timestamp or None
        As for :func:`parse_day`.

    Returns
    -------
    datetime.date
        The day.

    Raises
    ------
    PeriodError
        When the text is not a day.
    """
    return parse_day(value, name="as_of") or dt.date.today()


def parse_period(value: Any, freq: str | None = None) -> pd.Period:
    """Read a month, a quarter or a year.

    Parameters
    ----------
    value : str or pandas.Period
        ``"2025-12"`` (month), ``"2025Q4"`` / ``"2025-Q4"`` (quarter) or ``"2025"`` (year);
        a :class:`pandas.Period` is returned as it is.
    freq : {"M", "Q", "Y"}, optional
        Read the text as a period of this length; by default its form decides.

    Returns
    -------
    pandas.Period
        The period.

    Raises
    ------
    PeriodError
        With the accepted forms.

    Examples
    --------
    >>> parse_period("2025Q4")
    Period('2025Q4', 'Q-DEC')
    >>> parse_period("2025-12")
    Period('2025-12', 'M')
    """
    if isinstance(value, pd.Period):
        return value if freq is None else value.asfreq(freq)
    text = "" if value is None else str(value).strip()
    if m := _QUARTER.match(text):
        text, guess = f"{m.group(1)}Q{m.group(2)}", "Q"
    elif m := _MONTH.match(text):
        text, guess = f"{m.group(1)}-{int(m.group(2)):02d}", "M"
    elif _YEAR.match(text):
        guess = "Y"
    else:
        raise PeriodError(f"period={value!r}: write {_PERIOD_FORMS}")
    try:
        period = pd.Period(text, freq=guess)
    except (ValueError, TypeError):
        raise PeriodError(f"period={value!r}: write {_PERIOD_FORMS}") from None
    return period if freq is None or freq == guess else period.asfreq(freq)


def period_freq(period: Any) -> str:
    """The length of a period: ``"M"`` (month), ``"Q"`` (quarter) or ``"Y"`` (year).

    Parameters
    ----------
    period : str or pandas.Period
        As for :func:`parse_period`.

    Returns
    -------
    str
        ``"M"``, ``"Q"`` or ``"Y"``, as ``freq`` arguments take it.

    Raises
    ------
    PeriodError
        When the text is not a period.

    Examples
    --------
    >>> period_freq("2025Q4"), period_freq("2025-12"), period_freq("2025")
    ('Q', 'M', 'Y')
    """
    return parse_period(period).freqstr[0]


def parse_window(window: Window, *, name: str = "period") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Read a span of days as ``(start, end_exclusive)`` timestamps.

    Parameters
    ----------
    window : tuple, str or pandas.Period
        ``(start, end)`` with both days included (dates, ISO texts or timestamps), or a period
        (``"2025Q4"``, ``"2025-12"``, ``"2025"``) meaning all its days.
    name : str, default "period"
        How the window is called in error messages (``"base"``, ``"current"``).

    Returns
    -------
    tuple of pandas.Timestamp
        Midnight of the first day, and midnight of the day after the last.

    Raises
    ------
    PeriodError
        When the pair is malformed, a day is missing, or the end is before the start.

    Examples
    --------
    >>> parse_window(("2025-01-01", "2025-01-31"))
    (Timestamp('2025-01-01 00:00:00'), Timestamp('2025-02-01 00:00:00'))
    >>> parse_window("2025Q1")[1]
    Timestamp('2025-04-01 00:00:00')
    """
    if isinstance(window, (str, pd.Period)):
        p = parse_period(window)
        return p.start_time.normalize(), (p + 1).start_time.normalize()
    try:
        start, end = window
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (TypeError, ValueError):
        raise PeriodError(f"{name}={window!r} is not a (start, end) pair of days, e.g. "
                          "('2025-01-01', '2025-12-31'), nor a period like 2025Q4") from None
    if pd.isna(lo) or pd.isna(hi):
        raise PeriodError(f"{name}={window!r}: both the first and the last day are needed")
    if hi < lo:
        raise PeriodError(f"{name}={window!r}: the last day is before the first")
    return lo, hi + pd.Timedelta(days=1)


def window_label(window: Window) -> str:
    """A window as a person reads it: ``"2025-01-01 – 2025-12-31"`` (both days included).

    Parameters
    ----------
    window : tuple, str or pandas.Period
        As for :func:`parse_window`.

    Returns
    -------
    str
        The first and the last day.
    """
    lo, hi = parse_window(window)
    return f"{lo:%Y-%m-%d} – {hi - pd.Timedelta(days=1):%Y-%m-%d}"
