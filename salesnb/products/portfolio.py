"""The product portfolio: ABC (Pareto) classes and the product structure over time.

* :func:`abc` -- the few items that make most of the revenue (or units), class A/B/C;
* :func:`structure` -- each category's (or item's) share of every period's total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import Window
from salesnb.errors import SalesnbError
from salesnb.products.engine import Engine, _catalogue, aggregate

__all__ = ["abc", "structure"]


def abc(orders: pd.DataFrame, *, by: str = "product_id", value: str = "revenue",
        cutoffs: tuple[float, float] = (0.8, 0.95), products: pd.DataFrame | None = None,
        period: Window | None = None, date: str = "order_date",
        product: str = "product_id", engine: Engine = "duckdb") -> pd.DataFrame:
    """ABC (Pareto) classes: the few items that make most of the value.

    Items are ranked by ``value``, largest first. An item is class A while the items ranked
    above it hold less than ``cutoffs[0]`` of the total, B while they hold less than
    ``cutoffs[1]``, C after that. So class A is the smallest set of top items reaching the
    A cut-off (the item that crosses the line is A), and the first item is always A.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines, or any table with ``by`` and ``value`` columns.
    by : str, default "product_id"
        Item column (in ``orders``, or in ``products`` such as ``"category"``).
    value : str, default "revenue"
        What is summed and ranked (e.g. ``"quantity"``).
    cutoffs : (float, float), default (0.8, 0.95)
        Cumulative shares ending classes A and B; ``0 < a <= b <= 1``.
    products : pandas.DataFrame, optional
        Product table: lists products without sales (class C, note "no sales") and gives
        product columns to ``by``.
    period : (start, end), optional
        Only lines dated within it.
    date, product : str
        Column names.
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs.

    Returns
    -------
    pandas.DataFrame
        One row per item, ranked: ``by``, value (named after ``value``), share,
        cum_share, class and note.

    Raises
    ------
    SalesnbError
        On bad cut-offs or a total that is not positive.
    ColumnError
        On a missing column.
    """
    a, b = (float(x) for x in cutoffs)
    if not 0 < a <= b <= 1:
        raise SalesnbError(f"cutoffs={cutoffs!r}: need 0 < A cut-off <= B cut-off <= 1, "
                           "e.g. (0.8, 0.95)")
    require_columns(orders, {"value": value}, table="orders")
    agg = aggregate(orders, by, products=products, period=period, date=date, quantity=value,
                    revenue=value, price=None, product=product, engine=engine)
    vals = agg.set_index(by)["revenue"]
    cat = _catalogue(products, [by], product)
    if cat is not None:
        vals = vals.reindex(pd.Index(cat[by], name=by).union(vals.index), fill_value=0.0)
    total = float(vals.sum())
    if not total > 0:
        raise SalesnbError(f"the total of {value!r} is {total:g}: ABC classes need a positive "
                           "total (check the period and the value column)")
    ranked = vals.rename(value).reset_index()
    ranked = ranked.sort_values([value, by], ascending=[False, True], kind="stable")
    cum = ranked[value].cumsum()
    before = (cum - ranked[value]) / total
    ranked["share"] = ranked[value] / total
    ranked["cum_share"] = cum / total
    ranked["class"] = np.where(before < a, "A", np.where(before < b, "B", "C"))
    ranked.loc[ranked[value] <= 0, "class"] = "C"
    ranked["note"] = np.where(ranked[value] == 0, "no sales",
                              np.where(ranked[value] < 0, "negative total (returns)", ""))
    return ranked.reset_index(drop=True)


def structure(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
              by: str = "category", freq: str = "QS", value: str = "revenue",
              date: str = "order_date", product: str = "product_id",
              engine: Engine = "duckdb") -> pd.DataFrame:
    """Product-structure shares over time: each item's share of the period's total.

    Parameters
    ----------
    orders, products, date, product, engine
        As for :func:`~salesnb.products.engine.aggregate`.
    by : str, default "category"
        Item column.
    freq : {"MS", "QS", "YS"}, default "QS"
        Period length.
    value : str, default "revenue"
        What is shared out (e.g. ``"quantity"``).

    Returns
    -------
    pandas.DataFrame
        Index: period start; one column per item; each row sums to 1. Periods whose total
        is zero have no shares and are left out (``attrs["note"]`` lists them).
    """
    agg = aggregate(orders, by, freq=freq, products=products, date=date, quantity=value,
                    revenue=value, price=None, product=product, engine=engine)
    wide = agg.pivot_table(index="period", columns=by, values="revenue", aggfunc="sum",
                           fill_value=0.0)
    if len(wide):
        full = pd.date_range(wide.index.min(), wide.index.max(), freq=freq)
        wide = wide.reindex(full, fill_value=0.0)
        wide.index.name = "period"
    totals = wide.sum(axis=1)
    empty = totals.index[totals <= 0]
    shares = wide.loc[totals > 0].div(totals[totals > 0], axis=0)
    shares.columns.name = by
    if len(empty):
        shares.attrs["note"] = ("No sales (no shares) in: "
                                + ", ".join(f"{p:%Y-%m-%d}" for p in empty) + ".")
    return shares
