"""The heavy group-bys as Ibis expressions: one definition, run by DuckDB, PostgreSQL or Spark.

Each function takes an :class:`~salesnb.engine.backends.Engine`, builds its expression over
the engine's tables and brings back only the aggregate, typed the same on every engine
(:meth:`Engine.execute`). The pandas functions they stand for are the reference, and the
engine-agreement tests hold them to it:

==========================  ===================================================
:func:`monthly_sales`       :func:`salesnb.forecast.series.sales_series`
:func:`customer_purchases`  the aggregate of :func:`salesnb.segments.rfm`
:func:`rfm`                 :func:`salesnb.segments.rfm` (scored in pandas, per customer)
:func:`totals`              :func:`salesnb.products.engine.aggregate` (products, regions,
                            price/volume/mix inputs)
:func:`rep_activity`        KPI counts per rep and period (orders, lines, revenue,
                            customers; leads and won opportunities when held)
:func:`missing_values`      data-quality counts: rows and missing values per column
==========================  ===================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from salesnb.core.periods import parse_day
from salesnb.engine.backends import Engine
from salesnb.errors import SalesnbError

__all__ = ["TRUNCATE", "monthly_sales", "customer_purchases", "rfm", "totals", "rep_activity",
           "missing_values"]

#: Period frequencies (pandas' names) -> Ibis' truncation unit. Weeks start on Monday on
#: every engine.
TRUNCATE = {"D": "D", "W": "W", "MS": "M", "QS": "Q", "YS": "Y"}


def _period(col: Any, freq: str) -> Any:
    if freq not in TRUNCATE:
        raise SalesnbError(f"freq={freq!r} is not supported; use one of {sorted(TRUNCATE)}")
    return col.cast("timestamp").truncate(TRUNCATE[freq])


def _lines(e: Engine, columns: Sequence[str | None], from_products: Sequence[str] = ()) -> Any:
    """The order lines with only ``columns`` (those it has), joined to ``from_products``.

    Narrow on purpose: only what a measure reads is scanned, and an export's own copy of a
    product column (a ``Category`` beside the products table's ``category``) cannot collide
    with the joined one on an engine whose names ignore case.
    """
    o = e["orders"]
    keep = [c for c in dict.fromkeys(columns) if c is not None and c in o.columns]
    wanted = [c for c in dict.fromkeys(from_products) if c != "product_id"]
    if not wanted:
        return o.select(*keep)
    lines = o.select(*dict.fromkeys([*keep, "product_id"]))
    p = e["products"].select("product_id", *wanted)  # product_id is its key
    return lines.left_join(p, lines.product_id == p.product_id)


def _next_midnight(day: dt.date) -> dt.datetime:
    """Lines dated after ``day`` are those from the next midnight on."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def monthly_sales(e: Engine, *, freq: str = "MS", by: str | None = None,
                  value: str = "revenue") -> pd.DataFrame:
    """Revenue (or quantity) per period and group, summed where the data lives.

    Parameters
    ----------
    e : Engine
        Holds ``orders`` (and ``products`` for ``by="category"``).
    freq : {"D", "W", "MS", "QS", "YS"}, default="MS"
        The period (weeks start on Monday).
    by : str, optional
        A column of ``orders`` (``"region"``, ``"rep_id"``, ``"product_id"``) or
        ``"category"`` (joined from ``products``); None gives one group, ``"total"``. A line
        without a group counts as ``"(unknown)"``.
    value : {"revenue", "quantity"}, default="revenue"
        The column summed.

    Returns
    -------
    pandas.DataFrame
        Long form: ``period``, ``grp``, ``value``, sorted by period and group; periods
        without a line are absent (:func:`salesnb.forecast.series.sales_series` fills them).
    """
    rel = _lines(e, ["order_date", value, None if by in (None, "category") else by],
                 ["category"] if by == "category" else [])
    group = ibis.literal("total") if by is None else rel[by]
    expr = (rel.group_by(period=_period(rel.order_date, freq),
                         grp=group.cast("string").fill_null("(unknown)"))
            .aggregate(value=rel[value].cast("float64").sum())
            .order_by(["period", "grp"]))
    out = e.execute(expr)
    out["value"] = out["value"].fillna(0.0)
    return out


def customer_purchases(e: Engine, *, as_of: Any = None, customer: str = "customer_id",
                       date: str = "order_date", amount: str = "revenue",
                       order: str | None = "order_id") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per customer: first and last purchase, purchases and net revenue (RFM's aggregate).

    A purchase is an order (``order``; a purchase day when None) whose lines net above 0, or
    net 0 with no return line. Lines without a customer id, a date or an amount, and lines
    after ``as_of``, are left out and counted.

    Parameters
    ----------
    e : Engine
        Holds ``orders``.
    as_of : date or str, optional
        Lines dated after this day are left out; default: none.
    customer, date, amount, order : str
        Column names, as for :func:`salesnb.segments.rfm`.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The frame (``customer``, ``first_purchase``, ``last_purchase``, ``frequency``,
        ``monetary``; one row per customer with a counted line, sorted by customer) and the
        counts of lines left out (``"no customer id"``, ``"no date or amount"``,
        ``"after as_of"``, ``"lines read"``) with ``"last_line"``: the last day with a line
        that counts.
    """
    o = e["orders"]
    day = parse_day(as_of, name="as_of")
    late = (o[date].cast("timestamp") >= _next_midnight(day)) if day else ibis.literal(False)
    has_c = o[customer].notnull()
    counted = has_c & o[date].notnull() & o[amount].notnull() & ~late
    counts = e.execute(o.aggregate(
        read=o.count(), no_customer=o.count(where=~has_c),
        no_value=o.count(where=has_c & (o[date].isnull() | o[amount].isnull())),
        after=o.count(where=has_c & o[amount].notnull() & late),
        last=o[date].cast("timestamp").max(where=counted)))
    key = o[order] if order else o[date].cast("date")
    lines = o.filter(counted)
    per_order = (lines.group_by(c=lines[customer].cast("string"), k=key)
                 .aggregate(d=lines[date].cast("timestamp").min(),
                            a=lines[amount].cast("float64").sum(),
                            lowest=lines[amount].cast("float64").min()))
    bought = (per_order.a > 0) | ((per_order.a == 0) & (per_order.lowest >= 0))
    per_order = per_order.mutate(bought=bought)
    agg = (per_order.group_by(customer=per_order.c)
           .aggregate(first_purchase=per_order.d.min(where=per_order.bought),
                      last_purchase=per_order.d.max(where=per_order.bought),
                      frequency=per_order.c.count(where=per_order.bought),
                      monetary=per_order.a.sum())
           .order_by("customer"))
    out = e.execute(agg)
    for col in ("first_purchase", "last_purchase"):
        out[col] = out[col].dt.normalize()
    out["frequency"] = out["frequency"].astype("int64")
    row = counts.iloc[0]
    last = row["last"]
    excluded = {"no customer id": int(row["no_customer"]),
                "no date or amount": int(row["no_value"]), "after as_of": int(row["after"]),
                "lines read": int(row["read"]),
                "last_line": None if pd.isna(last) else pd.Timestamp(last).date()}
    return out, excluded


def rfm(e: Engine, *, as_of: Any = None, customer: str = "customer_id",
        date: str = "order_date", amount: str = "revenue", order: str | None = "order_id",
        bins: int = 5) -> pd.DataFrame:
    """:func:`salesnb.segments.rfm` with its aggregate run where the data lives.

    Only one row per customer reaches pandas, where the scores and segments are given.

    Parameters
    ----------
    e : Engine
        Holds ``orders``.
    as_of, customer, date, amount, order, bins
        As for :func:`salesnb.segments.rfm`.

    Returns
    -------
    pandas.DataFrame
        What :func:`salesnb.segments.rfm` returns for the same lines.
    """
    from salesnb.segments.scoring import check_bins, score_purchases

    check_bins(bins)
    agg, excluded = customer_purchases(e, as_of=as_of, customer=customer, date=date,
                                       amount=amount, order=order)
    last = excluded.pop("last_line")
    agg.attrs["last_line"] = last
    return score_purchases(agg, excluded, customer=customer,
                           day=parse_day(as_of, name="as_of"), bins=bins)


def totals(e: Engine, by: str | Sequence[str] = (), *, freq: str | None = None,
           period: tuple[Any, Any] | None = None, customer: str | None = None,
           rep: str | None = None) -> pd.DataFrame:
    """Order lines summed per group (and period): the product and region tables' input.

    Parameters
    ----------
    e : Engine
        Holds ``orders`` (and ``products`` for a product column in ``by``, or for costs).
    by : str or sequence of str
        Columns of ``orders``, or of ``products`` (joined on ``product_id``, e.g.
        ``"category"``). Empty: one total row.
    freq : {"MS", "QS", "YS"}, optional
        Also group by period start (column ``period``).
    period : (start, end), optional
        Only lines dated within it (both days included).
    customer, rep : str, optional
        Count distinct customers / reps per group (``customers``, ``reps``).

    Returns
    -------
    pandas.DataFrame
        ``*by``, [``period``], ``revenue``, ``quantity``, ``lines``, ``gross`` (quantity x
        list price, NaN without ``unit_price``), ``cost`` and ``costed_revenue`` (of lines
        whose product has a positive ``unit_cost``, or, without unit costs, whose ``profit``
        is known: revenue less profit; NaN without either), [``customers``],
        [``reps``]; sorted by the keys, as :func:`salesnb.products.engine.aggregate`.
    """
    from salesnb.core.periods import parse_window

    keys = [by] if isinstance(by, str) else list(by)
    ocols = set(e["orders"].columns)
    from_products = [k for k in keys if k not in ocols]
    costed = "products" in e and "unit_cost" in e["products"].columns
    profit = not costed and "profit" in ocols  # an export's profit per line gives the cost
    rel = _lines(e, [*[k for k in keys if k in ocols], "order_date", "revenue", "quantity",
                     "unit_price", "profit" if profit else None, customer, rep],
                 [*from_products, *(["unit_cost"] if costed else [])])
    if period is not None:
        lo, hi = parse_window(period)
        d = rel.order_date.cast("timestamp")
        rel = rel.filter((d >= lo.to_pydatetime()) & (d < hi.to_pydatetime()))
    groups = {k: rel[k] for k in keys}
    if freq:
        groups["period"] = _period(rel.order_date, freq)
    rv, qt = rel.revenue.cast("float64"), rel.quantity.cast("float64")
    metrics: dict[str, Any] = {"revenue": rv.sum(), "quantity": qt.sum(), "lines": rel.count()}
    metrics["gross"] = ((qt * rel.unit_price.cast("float64")).sum() if "unit_price" in ocols
                        else ibis.null("float64"))
    if costed:
        known = rel.unit_cost > 0
        metrics["cost"] = (qt * rel.unit_cost.cast("float64")).sum(where=known)
        metrics["costed_revenue"] = rv.sum(where=known)
    elif profit:
        gain = rel.profit.cast("float64")
        known = gain.notnull() & ~gain.isnan() & ~gain.isinf()
        metrics["cost"] = (rv - gain).sum(where=known)
        metrics["costed_revenue"] = rv.sum(where=known)
    else:
        metrics["cost"] = ibis.null("float64")
        metrics["costed_revenue"] = ibis.null("float64")
    if customer:
        metrics["customers"] = rel[customer].nunique()
    if rep:
        metrics["reps"] = rel[rep].nunique()
    expr = rel.group_by(**groups).aggregate(**metrics) if groups else rel.aggregate(**metrics)
    order = list(groups)
    out = e.execute(expr.order_by(order) if order else expr)
    for m in ("revenue", "quantity", "gross", "cost", "costed_revenue"):
        out[m] = out[m].astype(float)
    if not groups and out["lines"].iloc[0] == 0:
        return out.iloc[0:0]
    return out.reset_index(drop=True)


def rep_activity(e: Engine, *, freq: str = "MS") -> pd.DataFrame:
    """KPI counts per rep and period: the assessment's raw numbers, counted in the engine.

    Parameters
    ----------
    e : Engine
        Holds ``orders``; ``leads`` (by ``assigned_rep_id`` and ``created_date``) and won
        ``opportunities`` (by ``closed_date``) are counted when held.
    freq : {"MS", "QS", "YS"}, default="MS"
        The period.

    Returns
    -------
    pandas.DataFrame
        ``rep_id``, ``period``, ``orders`` (distinct order ids), ``lines``, ``revenue``,
        ``customers`` (distinct), and ``leads``, ``won`` when those tables are held (0 for a
        rep and period with none); one row per rep and period with any of them, sorted.
    """
    o = e["orders"]
    if "rep_id" not in o.columns:
        raise SalesnbError(f"{e.location}: rep_activity needs the orders' rep_id column, and "
                           "this source has none; map the export's rep column to rep_id")
    keys = ["rep_id", "period"]
    parts = [o.group_by(rep_id=o.rep_id, period=_period(o.order_date, freq))
             .aggregate(orders=o.order_id.nunique(), lines=o.count(),
                        revenue=o.revenue.cast("float64").sum(),
                        customers=o.customer_id.nunique())]
    if "leads" in e and "assigned_rep_id" in e["leads"].columns:
        lead = e["leads"]
        mine = lead.filter(lead.assigned_rep_id.notnull())
        parts.append(mine.group_by(rep_id=mine.assigned_rep_id,
                                   period=_period(mine.created_date, freq))
                     .aggregate(leads=mine.count()))
    if "opportunities" in e and "closed_date" in e["opportunities"].columns:
        opp = e["opportunities"]
        won = opp.filter(opp.rep_id.notnull() & (opp.stage == "won")
                         & opp.closed_date.notnull())
        parts.append(won.group_by(rep_id=won.rep_id, period=_period(won.closed_date, freq))
                     .aggregate(won=won.count()))
    expr = parts[0]
    for part in parts[1:]:
        expr = expr.outer_join(part, keys).mutate(
            rep_id=ibis.coalesce(expr.rep_id, part.rep_id),
            period=ibis.coalesce(expr.period, part.period))
        expr = expr.select(*[c for c in expr.columns if not c.endswith("_right")])
    out = e.execute(expr.order_by(keys))
    for col in ("orders", "lines", "customers", "leads", "won"):
        if col in out.columns:
            out[col] = out[col].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    return out.reset_index(drop=True)


def missing_values(e: Engine, tables: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows and missing values per column of each table, counted in the engine.

    Parameters
    ----------
    e : Engine
        The engine.
    tables : sequence of str, optional
        Default: every table it holds.

    Returns
    -------
    pandas.DataFrame
        ``table``, ``column``, ``rows``, ``missing`` (NULLs; for text, empty or blank text
        too), in the tables' and columns' order.
    """
    rows = []
    for name in tables or list(e.tables):
        t = e[name]
        metrics = {"rows": t.count()}
        for i, col in enumerate(t.columns):
            c = t[col]
            gone = c.isnull()
            if t.schema()[col].is_string():
                gone = gone | (c.strip() == "")
            metrics[f"m{i}"] = t.count(where=gone)
        got = e.execute(t.aggregate(**metrics)).iloc[0]
        rows += [{"table": name, "column": col, "rows": int(got["rows"]),
                  "missing": int(got[f"m{i}"])} for i, col in enumerate(t.columns)]
    return pd.DataFrame(rows, columns=["table", "column", "rows", "missing"])
