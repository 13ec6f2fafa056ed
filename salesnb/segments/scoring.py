"""Customer analysis: RFM scores and segments, clusters, customer types, satisfaction, migration.

The policy asks who the customers are, how often they buy, how much, and how satisfied they
are, so that reps know whom to retain, upsell, nurture or win back. Everything here is a pure
function of order (and survey) tables whose column names are parameters, so a foreign export
works without renaming.

RFM in one paragraph
--------------------
For every customer, *recency* is the days from the last purchase to ``as_of``, *frequency* the
number of distinct orders with a positive net amount, *monetary* the net revenue (returns and
negative lines net out). Each is scored 1 (worst) to ``bins`` (best) by its rank among all
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
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from salesnb.data.loader import connection
from salesnb.errors import SalesnbError

__all__ = [
    "SegmentError", "SEGMENTS", "SEGMENT_GRID", "SEGMENT_ACTIONS", "NO_PURCHASE",
    "score", "quintile_equivalent", "segment_of", "rfm", "rfm_note", "segment_summary",
    "rfm_grid", "Clustering", "cluster", "customer_types", "satisfaction", "follow_up",
    "Migration", "migration", "actions", "actions_by", "export_actions",
    "plot_segments", "plot_rfm_grid", "plot_migration", "plot_satisfaction", "plot_clusters",
    "plot_customer_types",
]


class SegmentError(SalesnbError):
    """Input a segmentation cannot work with (missing column, k larger than the customers)."""


#: Segments from most to least valuable relationship (the display order everywhere).
SEGMENTS: tuple[str, ...] = (
    "Champions", "Loyal", "Potential loyalist", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Can't lose", "Hibernating", "Lost",
)

#: Segment of customers whose orders net out to no purchase (only returns): not scored.
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
    _check_bins(bins)
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


def _check_bins(bins: int) -> None:
    if not isinstance(bins, int | np.integer) or not 3 <= bins <= 10:
        raise SegmentError(f"bins={bins!r}: use a whole number of score levels from 3 to 10.")


def quintile_equivalent(scores: Any, bins: int) -> np.ndarray:
    """Map scores on a 1..``bins`` scale to the 1-5 scale of :data:`SEGMENT_GRID`.

    Each score is placed by the middle of its band: ``ceil((s - 0.5) * 5 / bins)``; with
    ``bins=5`` this is the identity, and the lowest and highest scores always map to 1 and 5.
    """
    _check_bins(bins)
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

    Returns
    -------
    numpy.ndarray of str
    """
    grid = np.empty((6, 6), dtype=object)
    for (i, j), name in SEGMENT_GRID.items():
        grid[i, j] = name
    return grid[quintile_equivalent(r, bins), quintile_equivalent(fm, bins)]


# --------------------------------------------------------------------------- RFM


def _need(frame: pd.DataFrame, columns: dict[str, str | None], what: str) -> None:
    missing = {k: v for k, v in columns.items() if v is not None and v not in frame.columns}
    if missing:
        named = ", ".join(f"{k}={v!r}" for k, v in missing.items())
        raise SegmentError(f"{what}: column(s) not in the table: {named}. Pass the table's own "
                           f"column names (columns are: {', '.join(map(str, frame.columns))}).")


def _as_day(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value):
        return None
    return pd.Timestamp(value).date()


def _aggregate(orders: pd.DataFrame, *, customer: str, date: str, amount: str,
               order: str | None, as_of: dt.date | None
               ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Per customer: first/last purchase, positive orders, net revenue (inside DuckDB).

    A first, cheap scan counts the lines left out; the aggregate then runs on the lines
    that count. (Counting inside the aggregate was measured slower: its wide sums fetch
    slowly.)
    """
    cols = [customer, date, amount] + ([order] if order else [])
    frame = orders[list(dict.fromkeys(cols))]
    q = '"{}"'.format
    c, d, a = q(customer), q(date), q(amount)
    k = q(order) if order else f"CAST({d} AS DATE)"
    # compared as a timestamp: no cast of every line (dates and timestamps both compare)
    late = f"{d} >= TIMESTAMP '{as_of}'" if as_of else "false"
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
                SELECT CAST({c} AS VARCHAR) AS c, min({d}) AS d, sum(CAST({a} AS DOUBLE)) AS a
                FROM frame
                WHERE {c} IS NOT NULL AND {d} IS NOT NULL AND {a} IS NOT NULL
                  AND NOT ({late})
                GROUP BY {c}, {k}
            )
            SELECT c AS customer,
                   CAST(min(d) FILTER (WHERE a > 0) AS DATE) AS first_purchase,
                   CAST(max(d) FILTER (WHERE a > 0) AS DATE) AS last_purchase,
                   count(*) FILTER (WHERE a > 0) AS frequency, sum(a) AS monetary
            FROM per_order GROUP BY c ORDER BY c
        """
        agg = con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)
    finally:
        con.close()
    excluded = {"no customer id": int(counts[1]), "no date or amount": int(counts[2]),
                "on or after as_of": int(counts[3]), "lines read": int(counts[0])}
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
        Day the analysis is as of; only orders before it count. Default: the day after the
        last order.
    customer, date, amount, order : str
        Column names of the customer id, the order date, the net line amount and the order
        id. ``order=None`` counts each purchase day as one order.
    bins : int, default=5
        Score levels (5 = quintiles).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (named after ``customer``), sorted by it: ``first_purchase``,
        ``last_purchase``, ``recency`` (days), ``frequency`` (distinct orders with a positive
        net amount), ``monetary`` (net revenue), scores ``r``, ``f``, ``m``, ``fm``, the code
        ``rfm`` (e.g. ``"545"``; ``"10-9-10"`` with 10 levels) and ``segment``. Customers whose
        orders net to no purchase (only returns) get segment :data:`NO_PURCHASE` and no
        scores. ``attrs["excluded"]`` counts the lines left out and why (no customer id:
        counted apart, never merged into one customer; no date or amount; on or after
        ``as_of``), ``attrs["as_of"]`` is the day used (ISO text, so the table saves to
        Parquet), ``attrs["bins"]`` the score levels.

    Raises
    ------
    SegmentError
        A column is missing, ``bins`` is out of range, or no line has a customer, a date and
        an amount before ``as_of``.
    """
    _need(orders, {"customer": customer, "date": date, "amount": amount, "order": order},
          "rfm")
    _check_bins(bins)
    day = _as_day(as_of)
    agg, excluded = _aggregate(orders, customer=customer, date=date, amount=amount,
                               order=order, as_of=day)
    if agg.empty:
        reasons = ", ".join(f"{k}: {v:,}" for k, v in excluded.items())
        raise SegmentError(f"rfm: no order line with a customer id, a date and an amount"
                           f"{f' before {day}' if day else ''} ({reasons}).")
    if day is None:
        day = agg.attrs["last_line"] + dt.timedelta(days=1)
    index = pd.Index(agg["customer"], name=customer)  # keeps the Arrow-backed text
    last = agg["last_purchase"].to_numpy()
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
    names = [*SEGMENTS, NO_PURCHASE]
    grid = np.full((6, 6), len(SEGMENTS), dtype=np.int8)
    for (i, j), seg in SEGMENT_GRID.items():
        grid[i, j] = names.index(seg)
    seg_codes = np.full(n, len(SEGMENTS), dtype=np.int8)
    seg_codes[bought] = grid[quintile_equivalent(r[bought], bins),
                             quintile_equivalent(scores["fm"][bought], bins)]
    out = pd.DataFrame({
        "first_purchase": agg["first_purchase"].to_numpy(),
        "last_purchase": last,
        "recency": pd.arrays.IntegerArray(np.nan_to_num(recency).astype("int64"), ~bought),
        "frequency": freq, "monetary": money,
        **{k: pd.arrays.IntegerArray(v, ~bought) for k, v in scores.items()},
        "rfm": pd.Categorical.from_codes(code, categories=texts),
        "segment": pd.Categorical.from_codes(seg_codes, categories=names, ordered=True),
    }, index=index)
    out.attrs.update(excluded=excluded, as_of=day.isoformat(), bins=bins)  # JSON-safe
    return out


def rfm_note(table: pd.DataFrame) -> str:
    """One sentence on what the RFM table covers and which lines it left out (Markdown)."""
    ex = table.attrs.get("excluded", {})
    n = len(table)
    parts = [f"**{n:,} customers** as of {table.attrs.get('as_of')}, scored 1-"
             f"{table.attrs.get('bins', 5)} on recency, frequency and monetary value"]
    none = int((table["segment"] == NO_PURCHASE).sum())
    if none:
        parts.append(f"{none:,} with only returns on record are not scored")
    left = [f"{v:,} {k}" for k, v in ex.items() if k != "lines read" and v]
    text = "; ".join(parts) + "."
    if left:
        text += (f" Of {ex.get('lines read', 0):,} order lines, left out: "
                 + ", ".join(left) + " (lines without a customer id are counted apart, never "
                 "merged into one customer).")
    return text


def segment_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Customers, value and recommended action per segment, in segment order.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`rfm` (needs ``segment``, ``recency``, ``frequency``, ``monetary``).

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: customers, share of customers and of net revenue (%), average
        recency, frequency and monetary value, the action and what to do. Segments with no
        customer are left out.
    """
    g = table.groupby("segment", observed=True)
    out = pd.DataFrame({
        "customers": g.size(),
        "customers %": 100 * g.size() / len(table),
        "revenue": g["monetary"].sum(),
        "revenue %": 100 * g["monetary"].sum() / table["monetary"].sum(),
        "avg recency (days)": g["recency"].mean().astype(float),
        "avg orders": g["frequency"].mean(),
        "avg revenue": g["monetary"].mean(),
    })
    out["action"] = [SEGMENT_ACTIONS[s][0] for s in out.index]
    out["what to do"] = [SEGMENT_ACTIONS[s][2] for s in out.index]
    out.index = out.index.astype(str)
    return out


def rfm_grid(table: pd.DataFrame, value: str = "customers") -> pd.DataFrame:
    """The R x FM grid: customers (or average ``monetary``) per score pair.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`rfm`.
    value : {"customers", "monetary"}
        Count customers, or average their net revenue.

    Returns
    -------
    pandas.DataFrame
        Rows: recency score, highest first; columns: fm score. Every score pair of the scale
        appears (0 customers or empty where none).
    """
    bins = int(table.attrs.get("bins", 5))
    scored = table.dropna(subset=["r"])
    if value == "customers":
        grid = pd.crosstab(scored["r"].astype(int), scored["fm"].astype(int))
    elif value == "monetary":
        grid = scored.pivot_table(index=scored["r"].astype(int),
                                  columns=scored["fm"].astype(int), values="monetary",
                                  aggfunc="mean")
    else:
        raise SegmentError(f"value={value!r}: use 'customers' or 'monetary'.")
    levels = range(1, bins + 1)
    grid = grid.reindex(index=levels[::-1], columns=levels,
                        fill_value=0 if value == "customers" else np.nan)
    grid.index.name, grid.columns.name = "R", "FM"
    return grid


# --------------------------------------------------------------------------- clustering


@dataclass
class Clustering:
    """Result of :func:`cluster`.

    Attributes
    ----------
    labels : pandas.Series
        Cluster of every customer: 1 = the most valuable cluster (by mean ``value``).
    profile : pandas.DataFrame
        Per cluster: customers, share, value share, median of every feature, a description,
        and the most common segment when the table has one.
    k : int
        Number of clusters.
    silhouette : pandas.Series
        Mean silhouette per k tried (only the chosen k when k was given).
    transforms : dict
        How each feature was prepared ("log1p" for skewed features, "signed log1p" when
        they have negative values, else "none"), before standard scaling.
    note : str
        How k was chosen, in words.
    """

    labels: pd.Series
    profile: pd.DataFrame
    k: int
    silhouette: pd.Series
    transforms: dict[str, str] = field(default_factory=dict)
    note: str = ""


def _prepare(frame: pd.DataFrame, features: Sequence[str]) -> tuple[np.ndarray, dict[str, str]]:
    """Log-transform skewed non-negative features, then standardise every feature."""
    from sklearn.preprocessing import StandardScaler

    cols, transforms = [], {}
    for f in features:
        x = frame[f].to_numpy(dtype=float)
        skew = float(pd.Series(x).skew()) if x.size > 2 else 0.0
        if abs(skew) > 1:  # a log scale, keeping the sign of net negative values
            transforms[f] = "log1p" if np.nanmin(x) >= 0 else "signed log1p"
            x = np.sign(x) * np.log1p(np.abs(x))
        else:
            transforms[f] = "none"
        cols.append(x)
    return StandardScaler().fit_transform(np.column_stack(cols)), transforms


def cluster(table: pd.DataFrame, *, k: int | str = "auto",
            features: Sequence[str] = ("recency", "frequency", "monetary"),
            value: str = "monetary", k_range: tuple[int, int] = (2, 8), seed: int = 0,
            silhouette_sample: int = 5000) -> Clustering:
    """Cluster customers on scaled, skew-aware features (k-means), labels ordered by value.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per customer, indexed by a unique customer id (e.g. from :func:`rfm`).
    k : int or "auto", default="auto"
        Number of clusters; "auto" takes the k in ``k_range`` with the highest mean
        silhouette (how much closer customers are to their own cluster than to the next).
        ``k=0`` means "auto" too.
    features : sequence of str
        Numeric columns to cluster on. Features with a skew above 1 are put on a log scale
        first (``sign(x) * log1p(|x|)``, so net negative values keep their sign); all are
        then standardised.
    value : str, default="monetary"
        Column that orders the clusters: cluster 1 has the highest mean value.
    k_range : (int, int), default=(2, 8)
        Smallest and largest k tried by "auto".
    seed : int, default=0
        Seed of k-means and of the silhouette sample.
    silhouette_sample : int, default=5000
        Customers sampled to compute the silhouette (it costs n² otherwise).

    Returns
    -------
    Clustering

    Raises
    ------
    SegmentError
        Missing or non-numeric features, a non-unique index, or more clusters asked for than
        there are distinct customers.

    Notes
    -----
    Rows are sorted by the index before fitting, and clusters are numbered by value, so the
    result does not depend on the order of the rows.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    features = list(features)
    _need(table, {f: f for f in [*features, value]}, "cluster")
    if not table.index.is_unique:
        raise SegmentError("cluster: the table's index must be a unique customer id.")
    frame = table.dropna(subset=features).sort_index(kind="stable")
    left_out = len(table) - len(frame)
    if frame.empty:
        raise SegmentError("cluster: no customer has a value for every feature "
                           f"({', '.join(features)}).")
    try:
        x, transforms = _prepare(frame, features)
    except (TypeError, ValueError) as exc:
        raise SegmentError(f"cluster: features must be numeric ({exc}).") from exc
    distinct = len(np.unique(x.round(9), axis=0))
    if k in ("auto", 0):
        hi = min(k_range[1], distinct - 1)
        ks = list(range(max(2, k_range[0]), hi + 1))
    else:
        if not isinstance(k, int | np.integer) or k < 1:
            raise SegmentError(f"k={k!r}: use a whole number of clusters >= 1, or 'auto'.")
        if k > distinct:
            raise SegmentError(
                f"k={k} clusters but only {distinct} distinct customer profile(s) among "
                f"{len(frame)} customer(s): choose k <= {distinct} or k='auto'.")
        ks = [int(k)]
    scores: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    sample = min(silhouette_sample, len(frame))
    # One thread for a customer table of ordinary size: measured 1.1 s against 1.8-6 s with
    # OpenMP threads on a busy two-core machine (thread start-up and contention dominate).
    with threadpool_limits(1 if len(frame) < 50_000 else None):
        for kk in ks:
            if kk == 1:
                fits[kk], scores[kk] = np.zeros(len(frame), dtype=int), float("nan")
                continue
            km = KMeans(n_clusters=kk, n_init=4, random_state=seed).fit(x)
            fits[kk] = km.labels_
            scores[kk] = (float(silhouette_score(x, km.labels_, sample_size=sample,
                                                 random_state=seed))
                          if 1 < len(np.unique(km.labels_)) < len(frame) else float("nan"))
    if not ks:  # one customer, all alike, or too few to compare two k
        best, fits[1], scores[1] = 1, np.zeros(len(frame), dtype=int), float("nan")
        note = (f"All {len(frame)} customer(s) have the same profile: one cluster."
                if distinct == 1 else
                f"Only {distinct} distinct customer profiles: too few to choose k by "
                f"silhouette, so one cluster (pass k to split them).")
    elif len(ks) == 1:
        best = ks[0]
        note = f"k = {best} as asked" + (f" (mean silhouette {scores[best]:.2f})."
                                         if not math.isnan(scores[best]) else ".")
    else:
        best = max(ks, key=lambda kk: (scores[kk], -kk))
        note = (f"k = {best} chosen by the highest mean silhouette among k = {ks[0]}..{ks[-1]} "
                f"({scores[best]:.2f}; 1 = clearly separated, 0 = overlapping).")
    if left_out:
        note += f" {left_out:,} customer(s) without a value for every feature are not clustered."
    raw = pd.Series(fits[best], index=frame.index)
    rank = frame[value].groupby(raw).mean().rank(ascending=False, method="first").astype(int)
    labels = raw.map(rank).reindex(table.index).astype("Int64").rename("cluster")
    return Clustering(labels=labels, profile=_profile(table, labels, features, value), k=best,
                      silhouette=pd.Series(scores, name="silhouette").rename_axis("k"),
                      transforms=transforms, note=note)


def _profile(table: pd.DataFrame, labels: pd.Series, features: list[str],
             value: str) -> pd.DataFrame:
    frame = table.assign(cluster=labels).dropna(subset=["cluster"])
    g = frame.groupby("cluster")
    prof = pd.DataFrame({"customers": g.size(), "customers %": 100 * g.size() / len(frame)})
    total = frame[value].sum()
    prof[f"{value} %"] = 100 * g[value].sum() / total if total else np.nan
    for f in features:
        prof[f"median {f}"] = g[f].median().astype(float)
    lo = {f: frame[f].astype(float).quantile(1 / 3) for f in features}
    hi = {f: frame[f].astype(float).quantile(2 / 3) for f in features}
    words = []
    for c in prof.index:
        parts = []
        for f in features:
            med = prof.loc[c, f"median {f}"]
            if med > hi[f]:
                parts.append(f"{'long ago' if f == 'recency' else 'high ' + f}")
            elif med < lo[f]:
                parts.append(f"{'recent' if f == 'recency' else 'low ' + f}")
        words.append(", ".join(parts) or "average")
    prof["profile"] = words
    if "segment" in frame.columns:
        prof["main segment"] = g["segment"].agg(
            lambda s: s.astype(str).value_counts().index[0])
    prof.index = prof.index.astype(int)
    return prof


# --------------------------------------------------------------------------- customer types


def customer_types(orders: pd.DataFrame, customers: pd.DataFrame, *,
                   by: str | Sequence[str] = ("industry", "size"), as_of: Any = None,
                   months: int = 12, customer: str = "customer_id", date: str = "order_date",
                   amount: str = "revenue", order: str | None = "order_id") -> pd.DataFrame:
    """Purchase frequency, order value, growth and share per customer type.

    The last ``months`` before ``as_of`` are compared with the ``months`` before them.

    Parameters
    ----------
    orders, customers : pandas.DataFrame
        Order lines and the customer table (with the ``by`` columns).
    by : str or sequence of str, default=("industry", "size")
        Customer columns that define a type.
    as_of : date or str, optional
        Default: the day after the last order.
    months : int, default=12
        Length of the current and the previous period.
    customer, date, amount, order : str
        Column names, as for :func:`rfm`.

    Returns
    -------
    pandas.DataFrame
        Per type: known customers, active customers (bought in the period), share of
        customers and of revenue (%), revenue, orders per active customer, average order
        value, revenue in the previous period, growth (%) and a note where growth is
        undefined. Orders from customers missing from the customer table form the type
        "(unknown)"; empty attributes form "(not set)".
    """
    keys = [by] if isinstance(by, str) else list(by)
    _need(customers, {customer: customer, **{k: k for k in keys}}, "customer_types customers")
    _need(orders, {"customer": customer, "date": date, "amount": amount, "order": order},
          "customer_types orders")
    day = _as_day(as_of)
    when = pd.to_datetime(orders[date])
    end = pd.Timestamp(day) if day else when.max() + pd.Timedelta(days=1)
    mid, start = end - pd.DateOffset(months=months), end - pd.DateOffset(months=2 * months)
    types = customers.set_index(customer)[keys].astype("str").fillna("(not set)")
    lines = orders.loc[(when >= start) & (when < end) & orders[customer].notna()]
    lines = lines.assign(_cur=pd.to_datetime(lines[date]) >= mid)
    t = types.reindex(lines[customer]).fillna("(unknown)")
    t.index = lines.index
    lines = lines.join(t)
    cur, prev = lines[lines["_cur"]], lines[~lines["_cur"]]
    okey = order or date
    g = cur.groupby(keys)
    out = pd.DataFrame({
        "customers": types.groupby(keys).size(),
        "active customers": g[customer].nunique(),
        "revenue": g[amount].sum(),
        "orders": g[okey].nunique() if order else cur.groupby([*keys, customer])[date]
        .nunique().groupby(level=keys).sum(),
        "previous revenue": prev.groupby(keys)[amount].sum(),
    })
    out[["customers", "active customers", "orders"]] = (
        out[["customers", "active customers", "orders"]].fillna(0).astype(int))
    out[["revenue", "previous revenue"]] = out[["revenue", "previous revenue"]].fillna(0.0)
    out["customers %"] = 100 * out["customers"] / max(out["customers"].sum(), 1)
    total = out["revenue"].sum()
    out["revenue %"] = 100 * out["revenue"] / total if total else np.nan
    active = out["active customers"].where(out["active customers"] > 0)
    out["orders per customer"] = out["orders"] / active
    out["avg order value"] = out["revenue"] / out["orders"].where(out["orders"] > 0)
    prev_rev = out["previous revenue"].where(out["previous revenue"] > 0)
    out["growth %"] = 100 * (out["revenue"] / prev_rev - 1)
    out["note"] = np.where(out["previous revenue"] > 0, "",
                           np.where(out["revenue"] > 0, "new: no revenue in the previous period",
                                    "no revenue in either period"))
    out = out.sort_values("revenue", ascending=False)
    out.attrs.update(period=(mid.date().isoformat(), end.date().isoformat()),
                     previous=(start.date().isoformat(), mid.date().isoformat()))
    return out[["customers", "customers %", "active customers", "revenue", "revenue %",
                "orders per customer", "avg order value", "previous revenue", "growth %",
                "note"]]


# --------------------------------------------------------------------------- satisfaction


def satisfaction(surveys: pd.DataFrame, table: pd.DataFrame | None = None, *,
                 by: str = "segment", customer: str = "customer_id", score_col: str = "score",
                 low: float = 2.0) -> pd.DataFrame:
    """Survey scores per segment (or per any survey column, e.g. ``rep_id``).

    Parameters
    ----------
    surveys : pandas.DataFrame
        Survey answers with a customer id and a score.
    table : pandas.DataFrame, optional
        From :func:`rfm`, when ``by`` is one of its columns (e.g. ``segment``).
    by : str, default="segment"
        Grouping: a column of ``table`` (joined on the customer) or of ``surveys``.
    customer, score_col : str
        Column names in ``surveys``.
    low : float, default=2.0
        Scores at or below it count as dissatisfied.

    Returns
    -------
    pandas.DataFrame
        Per group: answers, customers, mean score with a 95 % interval (normal approximation),
        and the share of low scores (%). Answers from customers not in ``table`` form the
        group "(no purchase history)".
    """
    _need(surveys, {"customer": customer, "score": score_col}, "satisfaction")
    s = surveys
    if table is not None and by in table.columns:
        grp = table[by].astype("str").reindex(s[customer]).fillna("(no purchase history)")
        s = s.assign(**{by: grp.to_numpy()})
    elif by not in s.columns:
        raise SegmentError(f"satisfaction: by={by!r} is neither a column of the surveys nor of "
                           f"the RFM table.")
    scores = s[score_col].astype(float)
    g = scores.groupby(s[by])
    n, mean, sd = g.size(), g.mean(), g.std(ddof=1).fillna(0.0)
    half = 1.96 * sd / np.sqrt(n)
    out = pd.DataFrame({"answers": n, "customers": s.groupby(by)[customer].nunique(),
                        "mean score": mean, "low": mean - half, "high": mean + half,
                        "low scores %": 100 * (scores <= low).groupby(s[by]).mean()})
    if by == "segment":
        order = [x for x in [*SEGMENTS, NO_PURCHASE, "(no purchase history)"] if x in out.index]
        out = out.reindex(order)
    return out


def follow_up(table: pd.DataFrame, surveys: pd.DataFrame, *, as_of: Any = None,
              top: float = 0.2, low: float = 3.0, drop: float = 0.5, window_days: int = 365,
              customer: str = "customer_id", date: str = "survey_date",
              score_col: str = "score") -> pd.DataFrame:
    """High-value customers with low or falling satisfaction: whom to call first.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`rfm` (``monetary``, ``segment``).
    surveys : pandas.DataFrame
        Survey answers (customer, date, score; ``rep_id`` is carried when present).
    as_of : date or str, optional
        Default: the RFM table's ``as_of``.
    top : float, default=0.2
        High value = the top ``top`` share of customers by net revenue.
    low : float, default=3.0
        Flag when the recent mean score is at or below it.
    drop : float, default=0.5
        Flag when the recent mean is at least this much below the earlier mean.
    window_days : int, default=365
        "Recent" = the last ``window_days`` before ``as_of``; "earlier" = before that.
    customer, date, score_col : str
        Column names in ``surveys``.

    Returns
    -------
    pandas.DataFrame
        One row per flagged customer (ids only, no personal data), highest value first: segment,
        monetary, recent and earlier mean score, change, answers and the reason.
    """
    _need(surveys, {"customer": customer, "date": date, "score": score_col}, "follow_up")
    if not 0 < top <= 1:
        raise SegmentError(f"top={top!r}: use a share between 0 and 1 (0.2 = top 20 %).")
    day = pd.Timestamp(_as_day(as_of) or table.attrs.get("as_of") or dt.date.today())
    cut = table["monetary"].quantile(1 - top)
    valuable = table[table["monetary"] >= cut]
    s = surveys[surveys[customer].isin(valuable.index)]
    when = pd.to_datetime(s[date])
    s = s[when < day]
    when = when[when < day]
    recent = when >= day - pd.Timedelta(days=window_days)
    sc = s[score_col].astype(float)
    rec = sc[recent].groupby(s.loc[recent, customer]).agg(["mean", "size"])
    early = sc[~recent].groupby(s.loc[~recent, customer]).mean()
    out = pd.DataFrame({"recent score": rec["mean"], "answers": rec["size"]})
    out["earlier score"] = early.reindex(out.index)
    out["change"] = out["recent score"] - out["earlier score"]
    is_low = out["recent score"] <= low
    falling = out["change"] <= -drop
    out = out[is_low | falling]
    out["reason"] = np.where(
        is_low[out.index] & falling[out.index], "low and falling satisfaction",
        np.where(is_low[out.index], "low satisfaction", "falling satisfaction"))
    if "rep_id" in s.columns:
        last = s.assign(_w=when).sort_values("_w").groupby(customer)["rep_id"].last()
        out["last rep"] = last.reindex(out.index)
    out = out.join(valuable[["segment", "monetary"]])
    out.index.name = table.index.name or customer
    cols = ["segment", "monetary", "recent score", "earlier score", "change", "answers",
            *(["last rep"] if "last rep" in out.columns else []), "reason"]
    return out.sort_values("monetary", ascending=False)[cols].reset_index()


# --------------------------------------------------------------------------- migration


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

    matrix: pd.DataFrame
    moves: pd.DataFrame
    previous: dt.date
    as_of: dt.date

    def summary(self) -> str:
        """Markdown: the share that stayed, improved, slipped, and the new customers."""
        m = self.moves
        rank = {s: i for i, s in enumerate([*SEGMENTS, NO_PURCHASE])}
        old = m["then"].map(rank)
        new = m["now"].map(rank)
        known = old.notna()
        stayed = int((known & (old == new)).sum())
        better = int((known & (new < old)).sum())
        worse = int((known & (new > old)).sum())
        n = max(int(known.sum()), 1)
        return (f"From {self.previous} to {self.as_of}: of {int(known.sum()):,} customers, "
                f"**{100 * stayed / n:.0f} %** stayed in their segment, {100 * better / n:.0f} % "
                f"moved to a more valuable one and **{100 * worse / n:.0f} %** slipped to a less "
                f"valuable one; {int((~known).sum()):,} customers are new.")


def migration(orders: pd.DataFrame, *, as_of: Any = None, months: int = 3, bins: int = 5,
              **columns: Any) -> Migration:
    """Segment transition matrix between ``as_of`` minus ``months`` and ``as_of``.

    Both RFM tables are computed with :func:`rfm` on the orders before each day, so every
    customer of the earlier table is in the later one; customers who first bought in between
    come from "(new customer)". Counts conserve customers.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    as_of : date or str, optional
        Default: the day after the last order.
    months : int, default=3
        How far back the earlier picture is.
    bins : int, default=5
        Score levels.
    **columns
        ``customer``, ``date``, ``amount``, ``order`` as for :func:`rfm`.

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
    new = "(new customer)"
    cats = [*SEGMENTS, NO_PURCHASE]
    moves = pd.DataFrame({"then": then.astype("str").reindex(now.index).fillna(new),
                          "now": now["segment"].astype("str")})
    matrix = pd.crosstab(pd.Categorical(moves["then"], categories=[*cats, new]),
                         pd.Categorical(moves["now"], categories=cats), dropna=False)
    matrix = matrix.loc[matrix.sum(axis=1) > 0, matrix.sum(axis=0) > 0]
    matrix.index.name, matrix.columns.name = f"segment on {previous}", f"segment on {day}"
    return Migration(matrix=matrix, moves=moves, previous=previous, as_of=day)


# --------------------------------------------------------------------------- actions


def actions(table: pd.DataFrame, customers: pd.DataFrame | None = None, *,
            customer: str = "customer_id",
            carry: Sequence[str] = ("owner_rep_id", "region")) -> pd.DataFrame:
    """The list for reps: every customer's recommended action, most urgent first.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`rfm`.
    customers : pandas.DataFrame, optional
        Customer table to take ``carry`` columns from (the account owner, the region).
    customer : str, default="customer_id"
        Customer id column of ``customers``.
    carry : sequence of str
        Customer columns copied to the list when present. Personal data (names, e-mails,
        phones) is never carried: the list holds ids.

    Returns
    -------
    pandas.DataFrame
        customer id, segment, action (retain, upsell, nurture, win back), priority (1 first),
        what to do, recency, frequency, monetary and the carried columns; sorted by priority,
        then value.
    """
    from salesnb.data.schema import PII_COLUMNS

    seg = table["segment"].astype("str")
    out = pd.DataFrame({
        "segment": seg,
        "action": seg.map(lambda s: SEGMENT_ACTIONS[s][0]),
        "priority": seg.map(lambda s: SEGMENT_ACTIONS[s][1]).astype(int),
        "what to do": seg.map(lambda s: SEGMENT_ACTIONS[s][2]),
        "recency": table["recency"], "frequency": table["frequency"],
        "monetary": table["monetary"].round(2),
    })
    if customers is not None:
        pii = {c for cols in PII_COLUMNS.values() for c in cols}
        keep = [c for c in carry if c in customers.columns and c not in pii]
        out = out.join(customers.set_index(customer)[keep])
    out.index.name = table.index.name or customer
    return out.sort_values(["priority", "monetary"], ascending=[True, False]).reset_index()


def actions_by(action_list: pd.DataFrame, by: str = "owner_rep_id") -> pd.DataFrame:
    """Customers per action for each rep (or region): each rep's to-do list at a glance.

    Parameters
    ----------
    action_list : pandas.DataFrame
        From :func:`actions`.
    by : str, default="owner_rep_id"
        Column to group by; customers without a value form "(none)".

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` value, one column per action with the customers, the priority-1
        customers, and the net revenue of the customers to win back; most urgent first.
    """
    if by not in action_list.columns:
        raise SegmentError(f"actions_by: by={by!r} is not a column of the action list.")
    key = action_list[by].astype("str").fillna("(none)")
    counts = pd.crosstab(key, action_list["action"])
    counts["priority 1"] = (action_list["priority"] == 1).groupby(key).sum()
    back = action_list["action"] == "win back"
    counts["win-back revenue"] = action_list["monetary"].where(back, 0.0).groupby(key).sum()
    counts.index.name, counts.columns.name = by, None
    return counts.sort_values(["priority 1", "win-back revenue"], ascending=False)


def export_actions(action_list: pd.DataFrame, path: str | Path) -> Path:
    """Write the action list for reps to ``.csv`` or ``.xlsx`` (one sheet per action).

    Parameters
    ----------
    action_list : pandas.DataFrame
        From :func:`actions`.
    path : str or Path
        Target file; the suffix picks the format.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        action_list.to_csv(path, index=False)
    elif path.suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            action_list.to_excel(xl, sheet_name="all", index=False)
            for act, part in action_list.groupby("action", sort=True):
                part.to_excel(xl, sheet_name=str(act)[:31], index=False)
    else:
        raise SegmentError(f"{path}: export to a .csv or .xlsx file.")
    return path


# --------------------------------------------------------------------------- plots


def _ax(ax: Axes | None, size: tuple[float, float] = (9, 4)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=size)[1]


def plot_segments(summary: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Share of customers against share of revenue per segment (from :func:`segment_summary`)."""
    ax = _ax(ax)
    long = summary[["customers %", "revenue %"]].rename(
        columns={"customers %": "customers", "revenue %": "net revenue"}).reset_index(
        names="segment").melt(id_vars="segment", var_name="share of", value_name="%")
    sns.barplot(long, y="segment", x="%", hue="share of", ax=ax, orient="h")
    ax.set(title="Segments: share of customers and of revenue", xlabel="% of total",
           ylabel="")
    return ax


def plot_rfm_grid(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Heatmap of customers per recency x frequency-monetary score, labelled with segments."""
    ax = _ax(ax, (7, 5))
    counts = rfm_grid(table, "customers")
    bins = int(table.attrs.get("bins", 5))
    names = np.array([[segment_of([r], [fm], bins)[0] for fm in counts.columns]
                      for r in counts.index])
    labels = np.char.add(np.char.add(counts.to_numpy().astype(str), "\n"), names.astype(str))
    sns.heatmap(counts, annot=labels, fmt="", cmap="Blues", cbar_kws={"label": "customers"},
                annot_kws={"fontsize": 7}, ax=ax)
    ax.set(title="Customers by recency (R) and frequency-monetary (FM) score",
           xlabel="FM score (buys more, more often →)", ylabel="R score (bought recently ↑)")
    return ax


def plot_migration(mig: Migration, ax: Axes | None = None) -> Axes:
    """Heatmap of the transition matrix, each row as % of that segment's customers then."""
    ax = _ax(ax, (10, 6))
    shares = 100 * mig.matrix.div(mig.matrix.sum(axis=1), axis=0)
    sns.heatmap(shares, annot=mig.matrix, fmt="d", cmap="Greens", vmin=0, vmax=100,
                cbar_kws={"label": "% of the row"}, annot_kws={"fontsize": 7}, ax=ax)
    ax.set(title=f"Where customers moved: {mig.previous} → {mig.as_of} (counts; colour = % of "
                 "row)", xlabel=f"segment on {mig.as_of}", ylabel=f"segment on {mig.previous}")
    return ax


def plot_satisfaction(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean survey score per group with its 95 % interval (from :func:`satisfaction`)."""
    ax = _ax(ax)
    t = table.dropna(subset=["mean score"])
    y = np.arange(len(t))
    ax.errorbar(t["mean score"], y, xerr=[t["mean score"] - t["low"], t["high"] - t["mean score"]],
                fmt="o", capsize=3)
    ax.set_yticks(y, [str(i) for i in t.index])
    ax.invert_yaxis()
    ax.set(title="Satisfaction: mean survey score with 95 % interval", xlabel="mean score",
           ylabel="")
    return ax


def plot_clusters(table: pd.DataFrame, result: Clustering, ax: Axes | None = None,
                  x: str = "recency", y: str = "monetary") -> Axes:
    """Scatter of customers on two features (log scale for skewed ones), coloured by cluster."""
    ax = _ax(ax, (8, 5))
    frame = table.assign(cluster=result.labels.astype("str")).dropna(subset=[x, y])
    if len(frame) > 20_000:
        frame = frame.sample(20_000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sns.scatterplot(frame, x=x, y=y, hue="cluster", s=12, alpha=0.6, ax=ax,
                        hue_order=sorted(frame["cluster"].unique(), key=int))
    for col, setter in ((x, ax.set_xscale), (y, ax.set_yscale)):
        if result.transforms.get(col) == "log1p" and (frame[col] > 0).all():
            setter("log")
    ax.set(title=f"{result.k} customer clusters (1 = most valuable)")
    return ax


def plot_customer_types(types: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Heatmap of revenue share per customer type (two ``by`` columns), annotated with growth.

    Parameters
    ----------
    types : pandas.DataFrame
        From :func:`customer_types` with two grouping columns (e.g. industry and size).
    ax : matplotlib.axes.Axes, optional
    """
    ax = _ax(ax, (9, 4.5))
    if types.index.nlevels != 2:
        raise SegmentError("plot_customer_types needs customer types by two columns "
                           "(e.g. by=('industry', 'size')).")
    rows, cols = types.index.names
    share = types["revenue %"].unstack(cols)
    growth = types["growth %"].unstack(cols).reindex_like(share)
    known = [c for c in ("small", "medium", "large", "enterprise") if c in share.columns]
    order = known + [c for c in share.columns if c not in known]
    share, growth = share[order], growth[order]
    label = (share.map(lambda v: "" if pd.isna(v) else f"{v:.1f} %")
             + growth.map(lambda g: "" if pd.isna(g) else f"\n{g:+.0f} % growth"))
    sns.heatmap(share, annot=label, fmt="", cmap="Purples", ax=ax, annot_kws={"fontsize": 8},
                cbar_kws={"label": "% of revenue"})
    ax.set(title="Revenue share by customer type (second line: growth on the previous period)",
           xlabel=str(cols), ylabel=str(rows))
    return ax
