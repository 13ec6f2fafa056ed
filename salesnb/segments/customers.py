"""Who the customers are and how satisfied: customer types, satisfaction, whom to follow up.

The policy asks for customer analysis by type, purchase frequency, purchase amount and
satisfaction. :func:`customer_types` compares types (industry and size, or whichever customer
attributes the data has, :func:`type_attributes`) over two periods,
:func:`satisfaction` summarises survey scores per segment or rep, and :func:`follow_up`
lists the valuable customers whose satisfaction is low or falling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import parse_day
from salesnb.segments.scoring import NO_PURCHASE, SEGMENTS, SegmentError

__all__ = ["TYPE_ATTRIBUTES", "TYPE_NEEDS", "type_attributes", "customer_types", "satisfaction",
           "follow_up"]

#: Why a satisfaction analysis cannot run without surveys, and the fix.
_NO_SURVEYS = ("{what}: the data has no survey table. Fix: add a surveys.csv (customer_id, "
               "survey_date, score) to the source, or name the survey export in the mapping.")


#: Customer attributes a customer type is made of, in order of preference: the first two with
#: a few distinct values each are used (:func:`type_attributes`).
TYPE_ATTRIBUTES: tuple[str, ...] = ("industry", "size", "segment", "region", "city")

#: What the customer-types section of a report needs: one of :data:`TYPE_ATTRIBUTES`, on the
#: customer table or on the order lines (a ``section(...)`` requirement).
TYPE_NEEDS: str = "|".join([*(f"customers.{a}" for a in TYPE_ATTRIBUTES),
                            *(f"orders.{a}" for a in TYPE_ATTRIBUTES)])


def _has_values(column: pd.Series) -> bool:
    """Whether a column holds at least one value that is not missing or blank."""
    text = column.dropna().astype("str").str.strip()
    return bool((text != "").any())


def type_attributes(customers: pd.DataFrame | None, *,
                    candidates: Sequence[str] = TYPE_ATTRIBUTES, most: int = 2,
                    max_values: int = 30) -> list[str]:
    """The customer attributes a customer type is made of, from the ones that have values.

    Parameters
    ----------
    customers : pandas.DataFrame or None
        One row per customer (the customer table, or attributes taken from the order lines).
    candidates : sequence of str, default=TYPE_ATTRIBUTES
        Attribute columns in order of preference.
    most : int, default=2
        How many attributes a type combines at most.
    max_values : int, default=30
        Attributes with more distinct values (cities, say) are used only when no other has
        values.

    Returns
    -------
    list of str
        Up to ``most`` candidates that are columns with at least one value: first those with
        2 to ``max_values`` distinct values, in the order of ``candidates``; when there are
        none, the first column with any value. Empty when no candidate has a value.
    """
    if customers is None:
        return []
    usable = [c for c in candidates if c in customers.columns and _has_values(customers[c])]
    few = [c for c in usable if 2 <= customers[c].nunique(dropna=True) <= max_values]
    return few[:most] if few else usable[:1]


def _day_before(day: pd.Timestamp) -> str:
    """The ISO day before ``day`` (the last day of a period that ends at ``day``)."""
    return (day - pd.Timedelta(days=1)).date().isoformat()


def _labels(column: pd.Series) -> pd.Series:
    """Attribute values as text; missing or blank ones are "(not set)"."""
    text = column.astype("str")
    blank = column.isna().to_numpy() | (text.str.strip() == "").fillna(True).to_numpy()
    return text.mask(blank, "(not set)")


def _from_lines(orders: pd.DataFrame, columns: Sequence[str], *, customer: str,
                date: str) -> pd.DataFrame:
    """Each customer's attributes from the order lines: the first value (by date) per column."""
    cols = [c for c in columns if c in orders.columns]
    lines = orders.loc[orders[customer].notna(), [customer, date, *cols]]
    lines = lines.sort_values(date, kind="stable")
    firsts = lines.groupby(customer, sort=True)[cols].first()
    return firsts.reset_index()


def customer_types(orders: pd.DataFrame, customers: pd.DataFrame | None = None, *,
                   by: str | Sequence[str] | None = None, as_of: Any = None,
                   months: int = 12, customer: str = "customer_id", date: str = "order_date",
                   amount: str = "revenue", order: str | None = "order_id") -> pd.DataFrame:
    """Purchase frequency, order value, growth and share per customer type.

    The last ``months`` before ``as_of`` are compared with the ``months`` before them. A type
    is made of the customer attributes the data has (industry and size, or segment and
    region, ...): from the customer table, or, when there is none or it has no attribute with
    values, from the order lines (each customer's first value).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    customers : pandas.DataFrame, optional
        The customer table. None: the attributes are taken from the order lines.
    by : str or sequence of str, optional
        Attribute columns that define a type. Default: chosen by :func:`type_attributes`
        (e.g. industry and size when the customer table has them).
    as_of : date or str, optional
        The report's day (``SalesData.as_of``): the current period ends with it. Default: the
        day of the last order.
    months : int, default=12
        Length of the current and the previous period.
    customer, date, amount, order : str
        Column names, as for :func:`~salesnb.segments.rfm`.

    Returns
    -------
    pandas.DataFrame
        Per type: known customers, active customers (bought in the period), share of
        customers and of revenue (%), revenue, orders per active customer, average order
        value, revenue in the previous period, growth (%) and a note where growth is
        undefined. Orders from customers missing from the customer table form the type
        "(unknown)"; empty attributes form "(not set)". ``attrs`` holds ``by`` (the
        attributes used), ``source`` ("customers" or "orders": where they were read),
        ``months``, ``period`` and ``previous`` (ISO first and last day, both included) and
        ``first_day`` (of the first order line with a customer).

    Raises
    ------
    SegmentError
        Neither the customer table nor the order lines have an attribute with values.
    ColumnError
        A column named in ``by`` or a column argument is missing.
    """
    require_columns(orders, {"customer": customer, "date": date, "amount": amount,
                             "order": order}, table="orders")
    day = parse_day(as_of, name="as_of")
    when = pd.to_datetime(orders[date])
    end = (pd.Timestamp(day) if day else when.max().normalize()) + pd.Timedelta(days=1)
    mid, start = end - pd.DateOffset(months=months), end - pd.DateOffset(months=2 * months)
    known = orders[when < end]  # customers known by the end: the lines before it
    source = "customers"
    if by is None:
        keys = type_attributes(customers)
        if not keys:
            customers, source = _from_lines(known, TYPE_ATTRIBUTES, customer=customer,
                                            date=date), "orders"
            keys = type_attributes(customers)
        if not keys:
            raise SegmentError(
                "customer_types: neither the customer table nor the order lines have a "
                f"customer attribute with values ({', '.join(TYPE_ATTRIBUTES)}). Fix: add one "
                "of these columns to the customers (or the orders) export, or map yours to it "
                "in the mapping.")
    else:
        keys = [by] if isinstance(by, str) else list(by)
        if customers is None:
            require_columns(orders, {"by": by} if isinstance(by, str)
                            else {f"by[{i}]": k for i, k in enumerate(keys)}, table="orders")
            customers, source = _from_lines(known, keys, customer=customer,
                                            date=date), "orders"
    named = ({"by": by} if isinstance(by, str)
             else {f"by[{i}]": k for i, k in enumerate(keys)})
    require_columns(customers, {"customer": customer, **named}, table="the customer table")
    assert customers is not None  # taken from the order lines when there is none
    types = customers.drop_duplicates(customer).set_index(customer)[keys].apply(_labels)
    lines = orders.loc[(when >= start) & (when < end) & orders[customer].notna()]
    lines = lines.assign(_cur=pd.to_datetime(lines[date]) >= mid)
    t = types.reindex(lines[customer]).fillna("(unknown)")
    t.index = lines.index
    lines = lines.drop(columns=[k for k in keys if k in lines.columns]).join(t)
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
    first = when[orders[customer].notna()].min()
    out.attrs.update(by=list(keys), source=source, months=months,
                     first_day=first.date().isoformat() if pd.notna(first) else None,
                     period=(mid.date().isoformat(), _day_before(end)),
                     previous=(start.date().isoformat(), _day_before(mid)))
    return out[["customers", "customers %", "active customers", "revenue", "revenue %",
                "orders per customer", "avg order value", "previous revenue", "growth %",
                "note"]]


def satisfaction(surveys: pd.DataFrame | None, table: pd.DataFrame | None = None, *,
                 by: str = "segment", customer: str = "customer_id", score_col: str = "score",
                 low: float = 2.0) -> pd.DataFrame:
    """Survey scores per segment (or per any survey column, e.g. ``rep_id``).

    Parameters
    ----------
    surveys : pandas.DataFrame or None
        Survey answers with a customer id and a score.
    table : pandas.DataFrame, optional
        From :func:`~salesnb.segments.rfm`, when ``by`` is one of its columns (e.g. ``segment``).
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

    Raises
    ------
    SegmentError
        ``surveys`` is None (the data has no survey table).
    """
    if surveys is None:
        raise SegmentError(_NO_SURVEYS.format(what="satisfaction"))
    require_columns(surveys, {"customer": customer, "score_col": score_col}, table="surveys")
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


def follow_up(table: pd.DataFrame, surveys: pd.DataFrame | None, *, as_of: Any = None,
              top: float = 0.2, low: float = 3.0, drop: float = 0.5, window_days: int = 365,
              customer: str = "customer_id", date: str = "survey_date",
              score_col: str = "score", reference: pd.DataFrame | None = None
              ) -> pd.DataFrame | None:
    """High-value customers with low or falling satisfaction: whom to call first.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm` (``monetary``, ``segment``).
    surveys : pandas.DataFrame or None
        Survey answers (customer, date, score; ``rep_id`` is carried when present); None
        when the data has no survey table.
    as_of : date or str, optional
        Default: the RFM table's ``as_of``.
    top : float, default=0.2
        High value = the top ``top`` share of customers by net revenue.
    low : float, default=3.0
        Flag when the recent mean score is at or below it.
    drop : float, default=0.5
        Flag when the recent mean is at least this much below the earlier mean.
    window_days : int, default=365
        "Recent" = the last ``window_days`` up to ``as_of`` (included); "earlier" = before
        that. Answers after ``as_of`` are left out.
    customer, date, score_col : str
        Column names in ``surveys``.
    reference : pandas.DataFrame, optional
        The RFM table whose top ``top`` share defines high value (default ``table``): the
        whole company's, when ``table`` is one scope's customers, so that a customer is
        high-value on every page or on none.

    Returns
    -------
    pandas.DataFrame or None
        One row per flagged customer (ids only, no personal data), highest value first: segment,
        monetary, recent and earlier mean score, change, answers and the reason. None when
        ``surveys`` is None: without answers satisfaction is unknown, which is not the same
        as nobody to follow up (an empty list).
    """
    if surveys is None:
        return None
    require_columns(surveys, {"customer": customer, "date": date, "score_col": score_col},
                    table="surveys")
    if not 0 < top <= 1:
        raise SegmentError(f"top={top!r}: use a share between 0 and 1 (0.2 = top 20 %).")
    day = pd.Timestamp(parse_day(as_of, name="as_of") or table.attrs.get("as_of")
                       or dt.date.today())
    cut = (table if reference is None else reference)["monetary"].quantile(1 - top)
    valuable = table[table["monetary"] >= cut]
    s = surveys[surveys[customer].isin(valuable.index)]
    when = pd.to_datetime(s[date])
    end = day + pd.Timedelta(days=1)  # the as-of day is included
    s = s[when < end]
    when = when[when < end]
    recent = when >= end - pd.Timedelta(days=window_days)
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

