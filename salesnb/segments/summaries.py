"""What an RFM table says: a note on its coverage, the segment summary, shares, the R x FM grid.

Pure functions of the table :func:`~salesnb.segments.rfm` returns; the report's headline and
charts are built on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from salesnb.core.fmt import day, escape, money
from salesnb.segments.scoring import NO_PURCHASE, SEGMENT_ACTIONS, SEGMENTS, SegmentError

__all__ = ["rfm_note", "revenue_span", "segment_summary", "Share", "segment_share", "rfm_grid"]


def revenue_span(table: pd.DataFrame) -> str:
    """What an RFM table's revenue is: each customer's net revenue over all their orders.

    The monetary value is not one year's: it adds every order from a customer's first to the
    as-of day, so it reads differently from a year's revenue elsewhere in the reports.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm` (``first_purchase``, ``monetary``,
        ``attrs["as_of"]``).

    Returns
    -------
    str
        E.g. "net revenue of all their orders, 1 Jan 2023 – 31 Dec 2025 (829.1 M in all),
        not one year's"; empty for an empty table.
    """
    if table.empty:
        return ""
    first = table["first_purchase"].min()
    span = (f"{day(first.date())} – {day(table.attrs.get('as_of'))}" if pd.notna(first)
            else f"up to {day(table.attrs.get('as_of'))}")
    return (f"net revenue of all their orders, {span} ({money(table['monetary'].sum())} in "
            "all), not one year's")


def rfm_note(table: pd.DataFrame) -> str:
    """One sentence on what the RFM table covers and which lines it left out (Markdown).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm`.

    Returns
    -------
    str
        Customers, as-of day and score levels; lines left out and why; for one scope's
        customers of the company's table (``attrs["company_customers"]``, from
        :func:`salesnb.segments.scoped.scope_rfm`), that the scores are the company's.
    """
    ex = table.attrs.get("excluded", {})
    n = len(table)
    parts = [f"**{n:,} customers** as of {table.attrs.get('as_of')}, scored 1-"
             f"{table.attrs.get('bins', 5)} on recency, frequency and monetary value"]
    if n:
        parts.append(f"revenue is the {revenue_span(table)}")
    none = int((table["segment"] == NO_PURCHASE).sum())
    if none:
        parts.append(f"{none:,} with only returns on record are not scored")
    left = [f"{v:,} {k}" for k, v in ex.items() if k != "lines read" and v]
    text = "; ".join(parts) + "."
    if left:
        text += (f" Of {ex.get('lines read', 0):,} order lines, left out: "
                 + ", ".join(left) + " (lines without a customer id are counted apart, never "
                 "merged into one customer).")
    if "company_customers" in table.attrs:
        text += (f" Scores and segments are the company's: each customer is ranked among all "
                 f"{int(table.attrs['company_customers']):,} customers of the company, so a "
                 "customer has the same segment on every page; these are the customers of "
                 f"{escape(table.attrs.get('scope_words', 'this scope'))}.")
    return text


def segment_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Customers, value and recommended action per segment, in segment order.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm` (needs ``segment``, ``recency``, ``frequency``,
        ``monetary``).

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: customers, share of customers, ``revenue (all time)`` and its
        share (%: each customer's net revenue over all their orders, :func:`revenue_span`),
        average recency, orders and ``avg revenue (all time)``, the action and what to do.
        Segments with no customer are left out.
    """
    g = table.groupby("segment", observed=True)
    out = pd.DataFrame({
        "customers": g.size(),
        "customers %": 100 * g.size() / len(table),
        "revenue (all time)": g["monetary"].sum(),
        "revenue %": 100 * g["monetary"].sum() / table["monetary"].sum(),
        "avg recency (days)": g["recency"].mean().astype(float),
        "avg orders": g["frequency"].mean(),
        "avg revenue (all time)": g["monetary"].mean(),
    })
    out["action"] = [SEGMENT_ACTIONS[s][0] for s in out.index]
    out["what to do"] = [SEGMENT_ACTIONS[s][2] for s in out.index]
    out.index = out.index.astype(str)
    return out


class Share(NamedTuple):
    """What a group of segments holds (from :func:`segment_share`)."""

    customers: int
    customers_share: float  # fraction of all customers
    revenue_share: float  # fraction of net revenue (NaN when there is none)


def segment_share(table: pd.DataFrame, segments: Sequence[str]) -> Share:
    """How many customers a group of segments holds, and their share of customers and revenue.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm`.
    segments : sequence of str
        Segment names, e.g. :data:`CORE` or :data:`AT_RISK`.

    Returns
    -------
    Share
        ``customers``, and ``customers_share`` and ``revenue_share`` as fractions (0.25 is
        25 %); NaN for an empty table or no net revenue.
    """
    if unknown := sorted(set(segments) - {*SEGMENTS, NO_PURCHASE}):
        raise SegmentError(f"segment_share: not a segment: {', '.join(map(repr, unknown))}.")
    inside = table["segment"].astype("str").isin(list(segments)).to_numpy()
    total, n = float(table["monetary"].sum()), len(table)
    return Share(customers=int(inside.sum()),
                 customers_share=float(inside.sum() / n) if n else np.nan,
                 revenue_share=float(table["monetary"][inside].sum()) / total if total
                 else np.nan)


def rfm_grid(table: pd.DataFrame, value: str = "customers") -> pd.DataFrame:
    """The R x FM grid: customers (or average ``monetary``) per score pair.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm`.
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

