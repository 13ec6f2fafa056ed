"""RFM scores and segments: the score, the segment map and the RFM table.

The policy asks who the customers are, how often they buy, how much, and how satisfied they
are, so that reps know whom to retain, upsell, nurture or win back. This module scores
customers and names their segments; the other modules of :mod:`salesnb.segments` build on
it. Everything is a pure function of order tables
whose column names are parameters, so a foreign export works without renaming.

RFM in one paragraph
--------------------
For every customer, *recency* is the days from the last purchase to ``as_of`` (0: bought that
day; orders dated on or before ``as_of`` count, as in every report), *frequency* the
number of distinct purchases (orders with a positive net amount, or $0 orders without a return
line: free goods are bought too), *monetary* the net revenue (returns and negative lines net
out). Each is scored 1 (worst) to ``bins`` (best) by its rank among all
customers: ``score = 1 + floor(bins * (customers with a worse value) / customers)``. Tied values
always share a score (so when 60 % of customers ordered once, they all get F = 1 and the next
score is 4: a tie is never split at random), the worst value always scores 1, and a measure with
no spread at all (every order on one day, a single customer) scores the middle for everyone.
``fm`` combines frequency and monetary as ``ceil((f + m) / 2)``; the segment comes from the
:data:`SEGMENT_GRID` of recency against ``fm``.

Examples
--------
>>> import salesnb as sn
>>> d = sn.load("data")                                              # doctest: +SKIP
>>> table = sn.segments.rfm(d.orders, as_of="2026-01-01")            # doctest: +SKIP
>>> sn.segments.segment_summary(table)                               # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import parse_day
from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.loader import connection
from salesnb.errors import SalesnbError

__all__ = [
    "SegmentError", "SEGMENTS", "SEGMENT_GRID", "SEGMENT_ACTIONS", "NO_PURCHASE", "CORE",
    "AT_RISK", "score", "quintile_equivalent", "segment_of", "rfm", "score_purchases",
    "check_bins",
]


class SegmentError(SalesnbError):
    """Input a segmentation cannot work with (bins out of range, k above the customers...).

    A missing column raises :class:`~salesnb.errors.ColumnError` instead.
    """


#: Segments from most to least valuable relationship (the display order everywhere).
SEGMENTS: tuple[str, ...] = (
    "Champions", "Loyal", "Potential loyalist", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Can't lose", "Hibernating", "Lost",
)

#: Segment of customers with no purchase on record, only returns (negative lines, or orders
#: netting to $0 with a return line): not scored. A $0 order without a return line is a
#: purchase.
NO_PURCHASE = "Returns only"

#: The score map: recency score (rows, 5 = bought most recently) against the combined
#: frequency-monetary score ``fm`` (columns, 5 = buys most and most often), both on the 1-5
#: scale. Scores on another scale are mapped to it first (:func:`quintile_equivalent`).
#:
#: ============  ==============  ==================  ==================  =========  ==========
#: R \\ FM        1               2                   3                   4          5
#: ============  ==============  ==================  ==================  =========  ==========
#: 5             New             Potential loyalist  Potential loyalist  Champions  Champions
#: 4             Promising       Potential loyalist  Potential loyalist  Loyal      Loyal
#: 3             About to sleep  About to sleep      Need attention      Loyal      Loyal
#: 2             Hibernating     Hibernating         At risk             At risk    Can't lose
#: 1             Lost            Hibernating         At risk             At risk    Can't lose
#: ============  ==============  ==================  ==================  =========  ==========
SEGMENT_GRID: dict[tuple[int, int], str] = {
    (r, fm): name
    for r, row in zip(
        (5, 4, 3, 2, 1),
        (("New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"),
         ("Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Loyal"),
         ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),
         ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose"),
         ("Lost", "Hibernating", "At risk", "At risk", "Can't lose")),
        strict=True)
    for fm, name in enumerate(row, start=1)
}

#: What a rep does with each segment: (action, priority 1 = first, what to do).
SEGMENT_ACTIONS: dict[str, tuple[str, int, str]] = {
    "Champions": ("retain", 2, "thank them, ask for referrals, offer early access to new "
                               "products"),
    "Loyal": ("upsell", 2, "propose higher tiers and related products"),
    "Potential loyalist": ("upsell", 3, "offer a volume or service agreement to make buying "
                                        "a habit"),
    "New": ("nurture", 3, "onboarding visit; make the first after-sales contact count"),
    "Promising": ("nurture", 3, "follow up on the first order; show the wider range"),
    "Need attention": ("retain", 2, "check needs and satisfaction; a limited-time offer"),
    "About to sleep": ("win back", 3, "reactivate with relevant offers before they drift off"),
    "At risk": ("win back", 1, "personal call from the rep: find out what changed"),
    "Can't lose": ("win back", 1, "manager visit: they used to buy most, now they have gone "
                                  "quiet"),
    "Hibernating": ("nurture", 4, "low-cost marketing only; no rep time"),
    "Lost": ("win back", 5, "one win-back offer, then let go"),
    NO_PURCHASE: ("retain", 3, "only returns on record: check the after-sales case"),
}

#: Every segment name, and the code of each (R, FM) pair on the 1-5 scale as an index into it.
_NAMES: tuple[str, ...] = (*SEGMENTS, NO_PURCHASE)
_GRID_CODES = np.full((6, 6), len(SEGMENTS), dtype=np.int8)
for (_r, _fm), _name in SEGMENT_GRID.items():
    _GRID_CODES[_r, _fm] = _NAMES.index(_name)
del _r, _fm, _name

#: The core of the customer base, and the big buyers who have gone quiet (value at risk).
CORE: tuple[str, ...] = ("Champions", "Loyal")
AT_RISK: tuple[str, ...] = ("At risk", "Can't lose")


# --------------------------------------------------------------------------- scores


def score(values: Any, bins: int = 5, *, higher_is_better: bool = True) -> np.ndarray:
    """Score values 1 (worst) to ``bins`` (best) by their rank; ties share a score.

    ``score = 1 + floor(bins * n_worse / n)`` where ``n_worse`` counts the values strictly
    worse. The worst value scores 1; equal values always score the same; values with no spread
    at all score the middle, ``(bins + 1) // 2``, because they carry no information.

    Parameters
    ----------
    values : array-like of float
        One value per customer, without missing values.
    bins : int, default=5
        Number of score levels (3 to 10).
    higher_is_better : bool, default=True
        False for recency (fewer days since the last purchase is better).

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> score([10, 20, 20, 30, 40]).tolist()
    [1, 2, 2, 4, 5]
    """
    check_bins(bins)
    v = np.asarray(values, dtype=float)
    if np.isnan(v).any():
        raise SegmentError("score() got missing values; score only customers with a value.")
    if v.size == 0:
        return np.zeros(0, dtype=int)
    key = v if higher_is_better else -v
    lo, hi = key.min(), key.max()
    if lo == hi:
        return np.full(v.size, (bins + 1) // 2, dtype=int)
    if hi - lo < 4 * v.size and np.array_equal(key, np.round(key)):
        # whole numbers in a narrow range (days, order counts): count instead of sorting
        slot = (key - lo).astype(np.int64)
        counts = np.bincount(slot)
        worse = (np.cumsum(counts) - counts)[slot]
    else:  # sort once; a value's worse count is where its run of equal values starts
        order = np.argsort(key)
        ranked = key[order]
        starts = np.r_[True, ranked[1:] != ranked[:-1]]
        worse = np.empty(v.size, dtype=np.int64)
        worse[order] = np.maximum.accumulate(np.where(starts, np.arange(v.size), 0))
    return (1 + (bins * worse) // v.size).astype(int)


def check_bins(bins: int) -> None:
    """Refuse a number of score levels outside 3..10.

    Parameters
    ----------
    bins : int
        Score levels asked for.

    Raises
    ------
    SegmentError
        When ``bins`` is not a whole number from 3 to 10.
    """
    if not isinstance(bins, int | np.integer) or not 3 <= bins <= 10:
        raise SegmentError(f"bins={bins!r}: use a whole number of score levels from 3 to 10.")


def quintile_equivalent(scores: Any, bins: int) -> np.ndarray:
    """Map scores on a 1..``bins`` scale to the 1-5 scale of :data:`SEGMENT_GRID`.

    Each score is placed by the middle of its band: ``ceil((s - 0.5) * 5 / bins)``; with
    ``bins=5`` this is the identity, and the lowest and highest scores always map to 1 and 5.

    Parameters
    ----------
    scores : array-like of int
        Scores on the 1..``bins`` scale.
    bins : int
        Score levels of ``scores`` (3 to 10).

    Returns
    -------
    numpy.ndarray of int
        The scores on the 1-5 scale.
    """
    check_bins(bins)
    levels = np.arange(bins + 1, dtype=float)
    table = np.clip(np.ceil((levels - 0.5) * 5 / bins - 1e-9), 1, 5).astype(int)
    return table[np.asarray(scores, dtype=np.int64)]


def segment_of(r: Any, fm: Any, bins: int = 5) -> np.ndarray:
    """Segment names of recency scores ``r`` and combined frequency-monetary scores ``fm``.

    Parameters
    ----------
    r, fm : array-like of int
        Scores on the 1..``bins`` scale.
    bins : int, default=5
        Score levels.

    Returns
    -------
    numpy.ndarray of str
    """
    names = np.array(_NAMES, dtype=object)
    return names[_GRID_CODES[quintile_equivalent(r, bins), quintile_equivalent(fm, bins)]]


# --------------------------------------------------------------------------- RFM


def _aggregate(orders: pd.DataFrame, *, customer: str, date: str, amount: str,
               order: str | None, as_of: dt.date | None
               ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Per customer: first/last purchase, purchases, net revenue (inside DuckDB).

    A first, cheap scan counts the lines left out; the aggregate then runs on the lines
    that count. (Counting inside the aggregate was measured slower: its wide sums fetch
    slowly.)
    """
    cols = [customer, date, amount] + ([order] if order else [])
    frame = orders[list(dict.fromkeys(cols))]
    c, d, a = quote_ident(customer), quote_ident(date), quote_ident(amount)
    k = quote_ident(order) if order else f"CAST({d} AS DATE)"
    # after the as-of day = from the next midnight on; compared as a timestamp: no cast of
    # every line (dates and timestamps both compare)
    cut = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()) if as_of else None
    late = f"{d} >= {quote_literal(cut)}" if cut else "false"
    con = connection()  # shared, warm in-memory database
    try:
        con.register("frame", frame)
        counts = con.sql(
            f"SELECT count(*), count(*) FILTER (WHERE {c} IS NULL), "
            f"count(*) FILTER (WHERE {c} IS NOT NULL AND ({d} IS NULL OR {a} IS NULL)), "
            f"count(*) FILTER (WHERE {c} IS NOT NULL AND {a} IS NOT NULL AND {late}), "
            f"CAST(max({d}) FILTER (WHERE {c} IS NOT NULL AND {a} IS NOT NULL AND NOT ({late}))"
            f" AS DATE) FROM frame").fetchall()[0]
        sql = f"""
            WITH per_order AS (
                SELECT CAST({c} AS VARCHAR) AS c, min({d}) AS d, sum(CAST({a} AS DOUBLE)) AS a,
                       min(CAST({a} AS DOUBLE)) AS lowest
                FROM frame
                WHERE {c} IS NOT NULL AND {d} IS NOT NULL AND {a} IS NOT NULL
                  AND NOT ({late})
                GROUP BY {c}, {k}
            ), purchases AS (  -- a purchase nets above 0, or is $0 with no return line
                SELECT c, d, a, a > 0 OR (a = 0 AND lowest >= 0) AS bought FROM per_order
            )
            SELECT c AS customer,
                   CAST(min(d) FILTER (WHERE bought) AS DATE) AS first_purchase,
                   CAST(max(d) FILTER (WHERE bought) AS DATE) AS last_purchase,
                   count(*) FILTER (WHERE bought) AS frequency, sum(a) AS monetary
            FROM purchases GROUP BY c ORDER BY c
        """
        agg = con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)
    finally:
        con.close()
    excluded = {"no customer id": int(counts[1]), "no date or amount": int(counts[2]),
                "after as_of": int(counts[3]), "lines read": int(counts[0])}
    agg.attrs["last_line"] = counts[4]  # the last day with a line that counts
    return agg, excluded


def rfm(orders: pd.DataFrame, *, as_of: Any = None, customer: str = "customer_id",
        date: str = "order_date", amount: str = "revenue", order: str | None = "order_id",
        bins: int = 5) -> pd.DataFrame:
    """Recency, frequency and monetary value of every customer, their scores and segment.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (one row per line or per order).
    as_of : date or str, optional
        Day the analysis is as of (``SalesData.as_of``); orders dated on or before it count,
        those after it are left out. Default: the day of the last order.
    customer, date, amount, order : str
        Column names of the customer id, the order date, the net line amount and the order
        id. ``order=None`` counts each purchase day as one order.
    bins : int, default=5
        Score levels (5 = quintiles).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (named after ``customer``), sorted by it: ``first_purchase``,
        ``last_purchase``, ``recency`` (days), ``frequency`` (distinct purchases: orders with a
        positive net amount, or $0 orders with no negative line), ``monetary`` (net revenue),
        scores ``r``, ``f``, ``m``, ``fm``, the code ``rfm`` (e.g. ``"545"``; ``"10-9-10"``
        with 10 levels) and ``segment``. Customers with no purchase, only returns, get segment
        :data:`NO_PURCHASE` and no scores; customers whose orders are all $0 are scored.
        ``attrs["excluded"]`` counts the lines left out and why (no customer id: counted
        apart, never merged into one customer; no date or amount; after ``as_of``),
        ``attrs["as_of"]`` is the day used (ISO text, so the table saves to Parquet),
        ``attrs["bins"]`` the score levels.

    Raises
    ------
    ColumnError
        A column is missing (the message names the argument: ``amount='revenue'``).
    PeriodError
        ``as_of`` is not a day.
    SegmentError
        ``bins`` is out of range, or no line has a customer, a date and an amount before
        ``as_of``.
    """
    require_columns(orders, {"customer": customer, "date": date, "amount": amount,
                             "order": order}, table="orders")
    check_bins(bins)
    day = parse_day(as_of, name="as_of")
    agg, excluded = _aggregate(orders, customer=customer, date=date, amount=amount,
                               order=order, as_of=day)
    return score_purchases(agg, excluded, customer=customer, day=day, bins=bins)


def score_purchases(agg: pd.DataFrame, excluded: dict[str, int], *, customer: str,
                    day: dt.date | None, bins: int) -> pd.DataFrame:
    """Score per-customer purchases: the second half of :func:`rfm`, wherever they were summed.

    Parameters
    ----------
    agg : pandas.DataFrame
        One row per customer: ``customer``, ``first_purchase``, ``last_purchase``,
        ``frequency``, ``monetary`` (``attrs["last_line"]``: the last day with a counted
        line), as :func:`rfm`'s aggregate or
        :func:`salesnb.engine.measures.customer_purchases` gives them.
    excluded : dict of str to int
        The lines left out, by reason.
    customer : str
        The name of the index (the customer id column).
    day : datetime.date or None
        The as-of day; None uses the last counted line's day.
    bins : int
        Score levels.

    Returns
    -------
    pandas.DataFrame
        As :func:`rfm`.

    Raises
    ------
    SegmentError
        When no customer has a counted line.
    """
    if agg.empty:
        reasons = ", ".join(f"{k}: {v:,}" for k, v in excluded.items())
        raise SegmentError(f"rfm: no order line with a customer id, a date and an amount"
                           f"{f' on or before {day}' if day else ''} ({reasons}).")
    if day is None:
        day = agg.attrs["last_line"]
    index = pd.Index(agg["customer"], name=customer)  # keeps the Arrow-backed text
    last = agg["last_purchase"].to_numpy().astype("datetime64[ms]")  # dates, as DuckDB gives
    freq = agg["frequency"].to_numpy(dtype="int64")
    money = agg["monetary"].to_numpy(dtype=float)
    recency = (np.datetime64(day, "D") - last).astype("timedelta64[D]").astype(float)
    bought = freq > 0
    n = len(agg)
    scores = {}
    for name, values, better in (("r", recency, False), ("f", freq, True),
                                 ("m", money, True)):
        full = np.zeros(n, dtype=np.int64)
        full[bought] = score(values[bought], bins, higher_is_better=better)
        scores[name] = full
    scores["fm"] = (scores["f"] + scores["m"] + 1) // 2
    r, f, m = scores["r"], scores["f"], scores["m"]
    # The code "545" as a categorical: at most bins**3 distinct texts, built once each.
    base, sep = bins + 1, "-" if bins > 9 else ""
    packed = (r * base + f) * base + m  # 0 for customers without scores
    used = np.flatnonzero(np.bincount(packed[bought], minlength=base ** 3))
    slot = np.full(base ** 3, -1)
    slot[used] = np.arange(used.size)
    code = np.where(bought, slot[packed], -1)
    texts = [f"{v // base // base}{sep}{v // base % base}{sep}{v % base}" for v in used]
    seg_codes = np.full(n, len(SEGMENTS), dtype=np.int8)
    seg_codes[bought] = _GRID_CODES[quintile_equivalent(r[bought], bins),
                                    quintile_equivalent(scores["fm"][bought], bins)]
    out = pd.DataFrame({
        "first_purchase": agg["first_purchase"].to_numpy().astype("datetime64[ms]"),
        "last_purchase": last,
        "recency": pd.arrays.IntegerArray(np.nan_to_num(recency).astype("int64"), ~bought),
        "frequency": freq, "monetary": money,
        **{k: pd.arrays.IntegerArray(v, ~bought) for k, v in scores.items()},
        "rfm": pd.Categorical.from_codes(code, categories=texts),
        "segment": pd.Categorical.from_codes(seg_codes, categories=list(_NAMES), ordered=True),
    }, index=index)
    out.attrs.update(excluded=excluded, as_of=day.isoformat(), bins=bins)  # JSON-safe
    return out
