"""Product performance and growth: revenue, volume, margin and growth per item.

* :func:`performance` -- a window against a base window, per product, category or any column;
* :func:`quarterly_growth` -- one quarter against the quarter before and a year earlier.

Both list the products of the product table that did not sell (revenue 0), and say in a
``note`` column why a number is missing (a new product has no growth rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import Window
from salesnb.errors import SalesnbError
from salesnb.products.engine import (
    Engine,
    _catalogue,
    _catalogue_index,
    _growth_pct,
    _margin,
    aggregate,
)

__all__ = ["performance", "quarterly_growth"]


def performance(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
                by: str | Sequence[str] = "product_id", current: Window,
                base: Window | None = None, date: str = "order_date",
                quantity: str = "quantity", revenue: str = "revenue",
                price: str | None = "unit_price", product: str = "product_id",
                unit_cost: str = "unit_cost", engine: Engine = "duckdb") -> pd.DataFrame:
    """Revenue, volume, gross margin and growth per item for a period, against a base period.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame, optional
        Product table: gives ``category`` and other product columns to ``by``, unit costs for
        the margin, and lists products without sales (shown with revenue 0).
    by : str or sequence of str, default "product_id"
        Items to compare (e.g. ``"category"``, ``["region", "category"]``).
    current : (start, end)
        The period analysed (both days included).
    base : (start, end), optional
        The period growth is measured against (e.g. the same months a year earlier).
    date, quantity, revenue, price, product, unit_cost : str
        Column names (see :func:`~salesnb.products.engine.aggregate`).
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs.

    Returns
    -------
    pandas.DataFrame
        One row per item sold in either period (and, with ``products``, per item of the
        product table): ``*by``, revenue, quantity, avg_price (revenue per unit),
        discount_pct (1 - revenue / list value, in percent), gross_margin, margin_pct,
        revenue_share (of the period's total), base_revenue, growth_pct (current against
        base, in percent; NaN when the base has no sales) and note, which says why a number
        is missing ("new: no sales in the base period, growth undefined", "margin unknown: no
        unit cost", "no sales in the period"). Sorted by revenue, largest first.
    """
    keys = [by] if isinstance(by, str) else list(by)
    kw: dict[str, Any] = dict(products=products, date=date, quantity=quantity, revenue=revenue,
                              price=price, product=product, unit_cost=unit_cost, engine=engine)
    cur = aggregate(orders, keys, period=current, **kw)
    out = cur.set_index(keys) if keys else cur
    cat = _catalogue(products, keys, product)
    if cat is not None:
        out = out.reindex(_catalogue_index(cat, keys))
    prev = None
    if base is not None:
        prev = aggregate(orders, keys, period=base, **kw)
        prev = prev.set_index(keys)["revenue"] if keys else prev["revenue"]
        if keys:  # items sold only in the base period (not in the product table) count too
            out = out.reindex(out.index.union(prev.index, sort=False))
    for m in ("revenue", "quantity", "lines", "gross"):  # items without sales in the period
        out[m] = out[m].fillna(0.0)
    res = pd.DataFrame(index=out.index)
    res["revenue"] = out["revenue"]
    res["quantity"] = out["quantity"]
    res["avg_price"] = (out["revenue"] / out["quantity"].where(out["quantity"] > 0))
    discount = 100 * (1 - out["revenue"] / out["gross"].where(out["gross"] > 0))
    res["discount_pct"] = discount.round(9) + 0.0  # no "-0.0" from rounding noise
    res["gross_margin"], res["margin_pct"] = _margin(out)
    total = res["revenue"].sum()
    res["revenue_share"] = res["revenue"] / total if total else np.nan
    notes: list[list[str]] = [[] for _ in range(len(res))]
    if prev is not None:
        res["base_revenue"] = prev.reindex(res.index).fillna(0.0).to_numpy()
        res["growth_pct"] = _growth_pct(res["revenue"], res["base_revenue"])
        for i, (b, c) in enumerate(zip(res["base_revenue"], res["revenue"], strict=True)):
            if b <= 0 and c > 0:
                notes[i].append("new: no sales in the base period, growth undefined")
    missing_cost = ("margin unknown: no unit cost" if products is not None
                    and unit_cost in products.columns else
                    "margin unknown: no profit on its lines" if "profit" in orders.columns
                    else "margin unknown: no product costs given")
    for i, (c, m) in enumerate(zip(res["revenue"], res["margin_pct"], strict=True)):
        if c == 0:
            notes[i].append("no sales in the period")
        elif pd.isna(m):
            notes[i].append(missing_cost)
    res["note"] = ["; ".join(n) for n in notes]
    res = res.reset_index() if keys else res
    return res.sort_values("revenue", ascending=False, kind="stable").reset_index(drop=True)


def _last_quarter(dates: pd.Series) -> pd.Period:
    """The last complete quarter of ``dates`` (the data reach its last day), else the last."""
    last = dates.max().normalize()
    q = pd.Period(last, "Q")
    if last < q.end_time.normalize():
        q = q - 1 if dates.min() <= (q - 1).end_time else q
    return q


def quarterly_growth(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
                     by: str | Sequence[str] = "product_id", quarter: Any = None,
                     date: str = "order_date", quantity: str = "quantity",
                     revenue: str = "revenue", product: str = "product_id",
                     engine: Engine = "duckdb") -> pd.DataFrame:
    """Quarter-over-quarter and year-over-year growth of each item in one quarter.

    Parameters
    ----------
    orders, products, by, date, quantity, revenue, product, engine
        As for :func:`performance`.
    quarter : date-like, optional
        Any day of the quarter analysed; default the last complete quarter in the data (the
        data reach its last day), or the last quarter when none is complete.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``*by``, quarter (its first day), revenue, previous_quarter,
        year_earlier, qoq_pct, yoy_pct and note ("new: no sales a year earlier, growth
        undefined", ...). Growth is NaN where the earlier quarter had no sales.
    """
    keys = [by] if isinstance(by, str) else list(by)
    require_columns(orders, {"date": date}, table="orders")
    dates = pd.to_datetime(orders[date])
    if dates.isna().all():
        raise SalesnbError(f"orders has no dates in column {date!r}: no quarter to analyse")
    q = _last_quarter(dates) if quarter is None else pd.Period(pd.Timestamp(quarter), "Q")
    window = ((q - 4).start_time.date(), q.end_time.date())
    agg = aggregate(orders, keys, freq="QS", products=products, period=window, date=date,
                    quantity=quantity, revenue=revenue, price=None, product=product,
                    engine=engine)
    wide = agg.pivot_table(index=keys, columns="period", values="revenue", aggfunc="sum",
                           fill_value=0.0) if len(agg) else pd.DataFrame()
    cat = _catalogue(products, keys, product)
    if cat is not None:
        wide = wide.reindex(_catalogue_index(cat, keys), fill_value=0.0)

    def col(p: pd.Period) -> pd.Series:
        ts = p.start_time
        return (wide[ts] if ts in getattr(wide, "columns", []) else
                pd.Series(0.0, index=wide.index))

    res = pd.DataFrame({"quarter": q.start_time, "revenue": col(q),
                        "previous_quarter": col(q - 1), "year_earlier": col(q - 4)},
                       index=wide.index)
    res["qoq_pct"] = _growth_pct(res["revenue"], res["previous_quarter"])
    res["yoy_pct"] = _growth_pct(res["revenue"], res["year_earlier"])
    notes = []
    for r, p, y in zip(res["revenue"], res["previous_quarter"], res["year_earlier"],
                       strict=True):
        n = []
        if y <= 0 and r > 0:
            n.append("new: no sales a year earlier, growth undefined")
        elif y <= 0:
            n.append("no sales this quarter or a year earlier")
        elif r == 0:
            n.append("no sales this quarter")
        if p <= 0 < r and y > 0:
            n.append("no sales in the previous quarter")
        notes.append("; ".join(n))
    res["note"] = notes
    return res.reset_index().sort_values("revenue", ascending=False,
                                         kind="stable").reset_index(drop=True)
