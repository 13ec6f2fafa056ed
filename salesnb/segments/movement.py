"""How customers moved between segments: the transition matrix between two days.

CRMs show today's segment only; :func:`migration` scores the customers on two days with
:func:`~salesnb.segments.rfm` and counts who stayed, who moved up, who slipped and who is new.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesnb.segments.scoring import NO_PURCHASE, SEGMENTS, SegmentError, rfm

__all__ = ["Migration", "migration", "from_moves", "NEW_CUSTOMER"]

#: The "segment then" of customers who first bought after the earlier day.
NEW_CUSTOMER = "(new customer)"


@dataclass
class Migration:
    """How customers moved between segments from ``previous`` to ``as_of``.

    Attributes
    ----------
    matrix : pandas.DataFrame
        Customers per (segment then, segment now); the row "(new customer)" holds customers
        with no purchase before ``previous``. Its total equals the customers now, and each
        row's total the customers of that segment then.
    moves : pandas.DataFrame
        One row per customer: segment then ("(new customer)" if none) and now.
    previous, as_of : datetime.date
        The two days compared.
    """

    @property
    def compared(self) -> bool:
        """Whether any customer had bought by ``previous`` (else there is no movement)."""
        return bool((self.moves["then"] != NEW_CUSTOMER).any())

    matrix: pd.DataFrame
    moves: pd.DataFrame
    previous: dt.date
    as_of: dt.date

    def summary(self) -> str:
        """Markdown: the share that stayed, improved, slipped, and the new customers.

        Returns
        -------
        str
            One sentence, shares of the customers known on ``previous`` (or that there were
            none: the data starts after it).
        """
        m = self.moves
        rank = {s: i for i, s in enumerate([*SEGMENTS, NO_PURCHASE])}
        old = m["then"].map(rank)
        new = m["now"].map(rank)
        known = old.notna()
        if m.empty:
            return f"No customer bought by {self.as_of}: there is no movement to show."
        if not known.any():
            return (f"From {self.previous} to {self.as_of}: no customer had bought by "
                    f"{self.previous}, so there is no movement to compare; all "
                    f"{len(m):,} customers are new.")
        stayed = int((known & (old == new)).sum())
        better = int((known & (new < old)).sum())
        worse = int((known & (new > old)).sum())
        n = max(int(known.sum()), 1)
        return (f"From {self.previous} to {self.as_of}: of {int(known.sum()):,} customers, "
                f"**{100 * stayed / n:.0f} %** stayed in their segment, {100 * better / n:.0f} % "
                f"moved to a more valuable one and **{100 * worse / n:.0f} %** slipped to a less "
                f"valuable one; {int((~known).sum()):,} customers are new.")

    def restricted(self, customers: Any) -> Migration:
        """The same movement for some of the customers only (a scope's).

        Parameters
        ----------
        customers : iterable of str
            Customer ids to keep; each keeps the segments it had in the whole table (the
            segments of both days are the company's).

        Returns
        -------
        Migration
            Built by :func:`from_moves` from the kept customers' moves.
        """
        keep = self.moves.index.isin(pd.Index(list(customers)))
        return from_moves(self.moves.loc[keep], self.previous, self.as_of)


def migration(orders: pd.DataFrame, *, as_of: Any = None, months: int = 3, bins: int = 5,
              **columns: Any) -> Migration:
    """Segment transition matrix between ``as_of`` minus ``months`` and ``as_of``.

    Both RFM tables are computed with :func:`~salesnb.segments.rfm` on the orders on or before
    each day, so every customer of the earlier table is in the later one; customers who first bought
    in between come from "(new customer)". Counts conserve customers.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    as_of : date or str, optional
        The report's day (``SalesData.as_of``); orders after it are left out. Default: the day
        of the last order.
    months : int, default=3
        How far back the earlier picture is.
    bins : int, default=5
        Score levels.
    **columns
        ``customer``, ``date``, ``amount``, ``order`` as for :func:`~salesnb.segments.rfm`.

    Returns
    -------
    Migration
    """
    if months < 1:
        raise SegmentError(f"months={months!r}: compare with at least one month earlier.")
    now = rfm(orders, as_of=as_of, bins=bins, **columns)
    day = dt.date.fromisoformat(now.attrs["as_of"])
    previous = (pd.Timestamp(day) - pd.DateOffset(months=months)).date()
    try:
        then = rfm(orders, as_of=previous, bins=bins, **columns)["segment"]
    except SegmentError:  # no order before the earlier day: everyone is new
        then = pd.Series(dtype="str")
    moves = pd.DataFrame({"then": then.astype("str").reindex(now.index).fillna(NEW_CUSTOMER),
                          "now": now["segment"].astype("str")})
    return from_moves(moves, previous, day)


def from_moves(moves: pd.DataFrame, previous: dt.date, as_of: dt.date) -> Migration:
    """The :class:`Migration` of a table of moves (one row per customer: ``then``, ``now``).

    Parameters
    ----------
    moves : pandas.DataFrame
        Indexed by customer id, with the segment ``then`` (:data:`NEW_CUSTOMER` for a
        customer who first bought after ``previous``) and ``now``.
    previous, as_of : datetime.date
        The two days compared.

    Returns
    -------
    Migration
        Its matrix counts every customer of ``moves`` once (empty rows and columns left
        out).
    """
    cats = [*SEGMENTS, NO_PURCHASE]
    matrix = pd.crosstab(pd.Categorical(moves["then"], categories=[*cats, NEW_CUSTOMER]),
                         pd.Categorical(moves["now"], categories=cats), dropna=False)
    matrix = matrix.loc[matrix.sum(axis=1) > 0, matrix.sum(axis=0) > 0]
    matrix.index.name, matrix.columns.name = f"segment on {previous}", f"segment on {as_of}"
    return Migration(matrix=matrix, moves=moves, previous=previous, as_of=as_of)

