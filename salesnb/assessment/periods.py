"""The periods a rep assessment can be made for: with data, the last complete, the ones before.

A period is a month (``2025-12``), a quarter (``2025Q4``) or a year (``2025``); each function
keeps the period's own length, so a month's history is the months before it and a year's the
years before it. "With data" means that something the assessment counts happened in it: an
order, a closed deal, a closed lead or a survey answer.

Examples
--------
>>> import salesnb as sn
>>> d = sn.load("data")                                                   # doctest: +SKIP
>>> sn.assessment.available_periods(d)["Y"]                                # doctest: +SKIP
[Period('2023', 'Y-DEC'), Period('2024', 'Y-DEC'), Period('2025', 'Y-DEC')]
>>> sn.assessment.check_period(d, "2022")                                  # doctest: +SKIP
PeriodOutsideError: period 2022 has no data: the data covers 2023 to 2025 (months ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import AssessmentError, _table
from salesnb.core.periods import parse_day, parse_period, period_freq
from salesnb.errors import PeriodError

__all__ = ["PERIOD_KINDS", "ACTIVITY_DATES", "PeriodOutsideError", "available_periods",
           "period_choices", "period_range", "check_period", "latest_period", "recent_periods",
           "split_recent"]

#: The lengths a period can have, longest first: year, quarter, month.
PERIOD_KINDS: tuple[str, ...] = ("Y", "Q", "M")

#: The dated activity the assessment counts, per table (what "a period with data" means).
ACTIVITY_DATES: tuple[tuple[str, str], ...] = (
    ("orders", "order_date"), ("opportunities", "closed_date"),
    ("opportunities", "visit_date"), ("leads", "outcome_date"), ("surveys", "survey_date"))

_NAMES = {"Y": "years", "Q": "quarters", "M": "months"}


class PeriodOutsideError(AssessmentError, PeriodError):
    """A period with no data in it (an :class:`AssessmentError` and a ``PeriodError``)."""


def _activity(data: Any, as_of: Any = None) -> tuple[list[pd.Period], pd.Timestamp | None]:
    """The months with activity (oldest first) and the last active day, up to ``as_of``."""
    day = parse_day(as_of, name="as_of")
    months: set[np.datetime64] = set()
    last = None
    for table, column in ACTIVITY_DATES:
        frame = _table(data, table)
        if frame is None or column not in frame.columns or not len(frame):
            continue
        values = pd.to_datetime(frame[column], errors="coerce").to_numpy(dtype="datetime64[ns]")
        values = values[~np.isnat(values)]
        if day is not None:
            values = values[values <= np.datetime64(day, "ns")]
        if values.size:
            months.update(np.unique(values.astype("datetime64[M]")).tolist())
            top = pd.Timestamp(values.max()).normalize()
            last = top if last is None else max(last, top)
    return [pd.Period(m, "M") for m in sorted(months)], last


def available_periods(data: Any, *, as_of: Any = None) -> dict[str, list[pd.Period]]:
    """The months, quarters and years in which the data has something to assess.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        Any of orders (``order_date``), opportunities (``closed_date``, ``visit_date``),
        leads (``outcome_date``) and surveys (``survey_date``); missing tables are skipped.
    as_of : str or date, optional
        Leave out activity after this day.

    Returns
    -------
    dict of str to list of pandas.Period
        ``{"Y": [...], "Q": [...], "M": [...]}``, each oldest first; a period is listed when
        at least one dated row falls in it (the last one may be incomplete). Empty lists when
        the data has no dated activity.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_date": pd.to_datetime(["2024-11-30", "2025-02-01"])})
    >>> [str(p) for p in available_periods({"orders": orders})["Q"]]
    ['2024Q4', '2025Q1']
    """
    months, _ = _activity(data, as_of)
    return {k: sorted({m.asfreq(k) for m in months}) if k != "M" else months
            for k in PERIOD_KINDS}


def period_choices(data: Any, *, as_of: Any = None) -> tuple[str, ...]:
    """The periods with data as a period control offers them: years, quarters, months.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        As for :func:`available_periods`.
    as_of : str or date, optional
        As for :func:`available_periods`.

    Returns
    -------
    tuple of str
        ``("2025", "2024", ..., "2025Q4", ..., "2025-12", ...)``: each kind newest first.
    """
    avail = available_periods(data, as_of=as_of)
    return tuple(str(p) for k in PERIOD_KINDS for p in reversed(avail[k]))


def period_range(available: Mapping[str, list[pd.Period]], kind: str = "M") -> str:
    """The span of the data in words, for messages: in periods of ``kind``, then the others.

    Parameters
    ----------
    available : mapping
        From :func:`available_periods`.
    kind : {"M", "Q", "Y"}, default="M"
        The length named first (the one the user asked for).

    Returns
    -------
    str
        E.g. ``"2023Q1 to 2025Q4 (months 2023-01 to 2025-12, years 2023 to 2025)"`` for
        ``kind="Q"``, or ``"no dated activity"``.
    """
    if not available.get("M"):
        return "no dated activity"
    span = {k: f"{available[k][0]} to {available[k][-1]}" for k in PERIOD_KINDS}
    others = ", ".join(f"{_NAMES[k]} {span[k]}" for k in ("M", "Q", "Y") if k != kind)
    return f"{span[kind]} ({others})"


def latest_period(data: Any, freq: str = "Q", as_of: Any = None) -> pd.Period:
    """The last complete period of the data (up to ``as_of`` when given).

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        As for :func:`available_periods`.
    freq : {"M", "Q", "Y"}, default="Q"
        Period length.
    as_of : str or date, optional
        The last day the data is complete to (the report's as-of day); default the last day
        with activity. A period is complete when it ends on or before both.

    Returns
    -------
    pandas.Period
        The last period that ended by then.

    Raises
    ------
    AssessmentError
        When the data has no dated activity.
    PeriodError
        When ``as_of`` is not a day.
    """
    day = parse_day(as_of, name="as_of")
    _, last = _activity(data)
    if last is None:
        raise AssessmentError("the data has no dated activity (orders, closed deals, closed "
                              "leads or surveys) to assess.")
    if day is not None:
        last = min(last, pd.Timestamp(day))
    p = last.to_period(freq)
    return p if (p + 1).start_time - pd.Timedelta(days=1) <= last else p - 1


def check_period(data: Any, period: str | pd.Period | None, *, as_of: Any = None,
                 available: Mapping[str, list[pd.Period]] | None = None) -> pd.Period:
    """The period to assess: the one given if the data has it, else the last complete quarter.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        As for :func:`available_periods`.
    period : str, pandas.Period or None
        ``"2025"``, ``"2025Q4"``, ``"2025-12"``; empty or None for the last complete quarter
        (:func:`latest_period`).
    as_of : str or date, optional
        The report's as-of day.
    available : mapping, optional
        Precomputed :func:`available_periods` (for speed).

    Returns
    -------
    pandas.Period
        The period, with its own length (year, quarter or month).

    Raises
    ------
    PeriodError
        When the text is not a period.
    PeriodOutsideError
        When the data has nothing in the period, naming the span it covers.
    """
    avail = available_periods(data, as_of=as_of) if available is None else available
    empty = period is None or (isinstance(period, str) and not period.strip())
    p = latest_period(data, "Q", as_of) if empty else parse_period(period)
    kind = period_freq(p)
    if p not in set(avail[kind]):
        raise PeriodOutsideError(
            f"period {p} has no data: the data covers {period_range(avail, kind)}; choose a "
            f"{_NAMES[kind][:-1]} inside it, or a month, quarter or year: 2025-12, 2025Q4, "
            "2025.")
    return p


def recent_periods(period: str | pd.Period, n: int = 4, *, data: Any = None) -> list[str]:
    """The ``n`` periods up to and including ``period``, oldest first, of the same length.

    Parameters
    ----------
    period : str or pandas.Period
        The last period ("2025Q4", "2025-12", "2025").
    n : int, default=4
        How many periods.
    data : SalesData or mapping of DataFrames, optional
        When given, only the periods with data are kept (see :func:`split_recent`).

    Returns
    -------
    list of str
        E.g. ``["2025Q1", "2025Q2", "2025Q3", "2025Q4"]``; ``["2022", ..., "2025"]`` for a
        year; ``["2025-06", ..., "2025-09"]`` for a month.
    """
    if data is not None:
        return split_recent(data, period, n)[0]
    p = parse_period(period)
    return [str(p - i) for i in range(n - 1, -1, -1)]


def split_recent(data: Any, period: str | pd.Period, n: int = 4, *, as_of: Any = None
                 ) -> tuple[list[str], list[str]]:
    """The ``n`` periods up to ``period``: those with data, and those left out without.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        As for :func:`available_periods`.
    period : str or pandas.Period
        The last period.
    n : int, default=4
        How many periods are looked at.
    as_of : str or date, optional
        As for :func:`available_periods`.

    Returns
    -------
    tuple of two lists of str
        The periods with data and the periods without (each oldest first).
    """
    p = parse_period(period)
    have = set(available_periods(data, as_of=as_of)[period_freq(p)])
    wanted = [p - i for i in range(n - 1, -1, -1)]
    return ([str(q) for q in wanted if q in have], [str(q) for q in wanted if q not in have])
