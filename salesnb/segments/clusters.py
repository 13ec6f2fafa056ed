"""Clusters the data finds by itself: k-means on scaled, skew-aware customer features.

The named segments follow a fixed grid (:mod:`~salesnb.segments.scoring`); :func:`cluster`
instead groups customers that look alike, chooses k by silhouette unless told, and numbers
the clusters by value so cluster 1 is always the most valuable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.segments.scoring import SegmentError

__all__ = ["Clustering", "cluster", "restrict"]


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
        One row per customer, indexed by a unique customer id (e.g. from
        :func:`~salesnb.segments.rfm`).
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
    ColumnError
        A feature or the ``value`` column is missing.
    SegmentError
        Non-numeric features, a non-unique index, or more clusters asked for than
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
    require_columns(table, [*features, value], table="the customer table",
                    fix="pass features= and value= columns of the table (e.g. from rfm)")
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


def restrict(result: Clustering, table: pd.DataFrame, *,
             features: Sequence[str] = ("recency", "frequency", "monetary"),
             value: str = "monetary") -> Clustering:
    """A clustering of many customers seen for some of them (one scope's customers).

    The clusters, their numbers and their descriptions stay those of the whole clustering
    (a customer is in the same cluster on every page); counts, shares and medians are the
    kept customers'.

    Parameters
    ----------
    result : Clustering
        From :func:`cluster` on the whole table.
    table : pandas.DataFrame
        The customers to keep: rows of the clustered table (same index and columns).
    features, value : as for :func:`cluster`
        The columns it was clustered on and ordered by.

    Returns
    -------
    Clustering
        ``labels`` of ``table``'s customers; ``profile`` per cluster that holds any of them,
        with ``company customers %`` (the cluster's share of every clustered customer) beside
        their own share, and the whole clustering's ``profile`` words.
    """
    labels = result.labels.reindex(table.index)
    if labels.notna().any():
        prof = _profile(table, labels, list(features), value)
        prof["profile"] = result.profile["profile"].reindex(prof.index)
    else:
        prof = result.profile.iloc[0:0].copy()
    prof.insert(2, "company customers %", result.profile["customers %"].reindex(prof.index))
    return Clustering(labels=labels, profile=prof, k=result.k, silhouette=result.silhouette,
                      transforms=dict(result.transforms), note=result.note)


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

