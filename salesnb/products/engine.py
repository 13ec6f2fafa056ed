"""The one group-by over the order lines, in DuckDB or pandas, and the default periods.

Every product and region analysis takes an order-line table and the names of its columns, so
it runs on a foreign export as well as on ``salesnb.load(...).orders``. The heavy part, the
group-by over the order lines, is one function, :func:`aggregate`, which runs inside DuckDB
over the pandas frame (``engine="duckdb"``, the default) or in pandas (``engine="pandas"``,
the reference the tests and the benchmark compare against); the rest works on the small
aggregated frames.

Periods are windows (:data:`salesnb.core.periods.Window`): ``(start, end)`` pairs of dates,
both days included, or a period text such as ``"2025Q4"``::

    import salesnb as sn
    d = sn.load("data")
    sn.products.aggregate(d.orders, "region", period=("2025-01-01", "2025-12-31"))

Margins need a unit cost per product (``products.unit_cost``); a product whose cost is missing
or zero has an unknown margin, and the output says so instead of showing a 100 % margin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import Window, parse_day, parse_window
from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.loader import connection
from salesnb.errors import SalesnbError

__all__ = ["Engine", "Window", "Period", "FREQS", "aggregate", "parse_window", "default_periods"]

Engine = Literal["duckdb", "pandas"]
#: A window, as :data:`salesnb.core.periods.Window` (the name the product functions used).
Period = Window
#: Period lengths :func:`aggregate` can group by (DuckDB ``date_trunc`` part, pandas freq).
FREQS: dict[str, tuple[str, str]] = {"MS": ("month", "M"), "QS": ("quarter", "Q"),
                                     "YS": ("year", "Y")}
_MEASURES = ("revenue", "quantity", "lines", "gross", "cost", "costed_revenue", "customers",
             "reps")


def default_periods(orders: pd.DataFrame, *, date: str = "order_date", months: int = 12,
                    as_of: Any = None) -> tuple[Window, Window]:
    """The periods a report compares when none are given: the last full months and the ones before.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    date : str, default "order_date"
        Date column.
    months : int, default 12
        Length of each period in months.
    as_of : datetime.date, str or None, optional
        The day the report is as of (``SalesData.as_of``): lines after it are left out. None
        or "": the data's last day.

    Returns
    -------
    tuple
        ``(base, current)``: ``current`` is the last ``months`` complete months up to the
        data's last day (or ``as_of`` when earlier; a month is complete when the data reach
        its last day), ``base`` the ``months`` months before. When the data hold fewer
        than ``2 * months`` complete months, both periods are shortened to half of the
        complete months the data hold (at least one month), so the base period is not left
        without sales.

    Raises
    ------
    SalesnbError
        If the table has no dated rows.
    PeriodError
        If ``as_of`` is not a day.
    """
    require_columns(orders, {"date": date}, table="orders")
    dates = pd.to_datetime(orders[date])
    first, last = dates.min(), dates.max()
    if pd.isna(last):
        raise SalesnbError(f"orders has no dates in column {date!r}: no period to analyse")
    last = last.normalize()
    day = parse_day(as_of, name="as_of")
    if day is not None and pd.Timestamp(day) < last:
        last = pd.Timestamp(day)
    end = last if (last + pd.Timedelta(days=1)).day == 1 else last.replace(day=1) - pd.Timedelta(
        days=1)
    start = first.normalize()
    start = start if start.day == 1 else start + pd.offsets.MonthBegin(1)
    held = (end.year - start.year) * 12 + end.month - start.month + 1
    if 0 < held < 2 * months:
        months = max(1, held // 2)
    cur_start = (end + pd.Timedelta(days=1)) - pd.DateOffset(months=months)
    base_start = cur_start - pd.DateOffset(months=months)
    base_end = cur_start - pd.Timedelta(days=1)
    return ((base_start.date(), base_end.date()), (cur_start.date(), end.date()))


def aggregate(orders: pd.DataFrame, by: str | Sequence[str] = (), *,
              freq: str | None = None, products: pd.DataFrame | None = None,
              period: Window | None = None, date: str = "order_date",
              quantity: str = "quantity", revenue: str = "revenue",
              price: str | None = "unit_price", product: str = "product_id",
              unit_cost: str = "unit_cost", profit: str | None = "profit",
              customer: str | None = None, rep: str | None = None,
              bands: Mapping[str, Sequence[float]] | None = None,
              engine: Engine = "duckdb") -> pd.DataFrame:
    """Sum order lines per group (and period): the one group-by every analysis here uses.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    by : str or sequence of str
        Group columns, from ``orders`` or (joined on ``product``) from ``products``
        (e.g. ``"category"``). Empty: one total row.
    freq : {"MS", "QS", "YS"}, optional
        Also group by month, quarter or year start (column ``period``).
    products : pandas.DataFrame, optional
        Product table joined on ``product``: gives ``products`` columns to ``by`` and, with
        ``unit_cost``, the cost of goods.
    period : (start, end), optional
        Only order lines dated within it (both days included).
    date, quantity, revenue, product : str
        Column names in ``orders``.
    price : str or None, default "unit_price"
        Price per unit before discount; gives ``gross`` (list value) and hence the discount
        depth ``1 - revenue / gross``. None (or a missing column) leaves ``gross`` empty.
    unit_cost : str, default "unit_cost"
        Cost column in ``products``; a missing or zero cost counts as unknown.
    profit : str or None, default "profit"
        Profit column of ``orders`` (revenue minus the cost of goods, per line), used for the
        cost when the product table has no ``unit_cost`` column (an export such as
        "Superstore" carries the profit on each line); a missing profit, or text that is not
        a number, counts as unknown.
    customer, rep : str, optional
        Count distinct customers / reps per group (columns ``customers``, ``reps``).
    bands : mapping, optional
        ``{column: edges}``: group by the band of ``orders[column]`` too; the key column
        ``<column>_band`` holds the band's lower edge (values below the first edge go to the
        first band, above the last to the last).
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs. DuckDB scans the pandas frame in place; pandas is the
        reference implementation.

    Returns
    -------
    pandas.DataFrame
        One row per group with columns ``*by``, [``period``], [``<col>_band``], ``revenue``,
        ``quantity``, ``lines``, ``gross``, ``cost`` and ``costed_revenue`` (cost and revenue
        of the lines whose product has a known, positive cost, or whose profit is known;
        NaN without cost data),
        [``customers``], [``reps``]. Groups with no lines are absent; sorted by the keys.

    Raises
    ------
    SalesnbError
        On an unknown ``freq`` or ``engine``, or a group column only the product table has
        when none is given.
    ColumnError
        On a missing column.
    PeriodError
        On a malformed period.
    """
    keys = [by] if isinstance(by, str) else list(by)
    if freq is not None and freq not in FREQS:
        raise SalesnbError(f"freq={freq!r} is not supported; use one of {sorted(FREQS)} or None")
    if engine not in ("duckdb", "pandas"):
        raise SalesnbError(f"engine={engine!r}: use 'duckdb' or 'pandas'")
    prod_cols = [] if products is None else [c for c in products.columns if c != product]
    from_products = [k for k in keys if k not in orders.columns]
    if from_products and products is None:
        raise SalesnbError(f"orders has no column(s) {from_products}; pass products= to join "
                           "them from the product table, or group by columns of orders")
    if products is not None:
        require_columns(products, [product, *from_products], table="products")
    band_cols = list(bands or {})
    require_columns(orders, [date if (freq or period) else None, quantity, revenue, *band_cols,
                             product if (products is not None) else None, customer, rep,
                             *[k for k in keys if k not in prod_cols or k in orders.columns]],
                    table="orders")
    has_price = price is not None and price in orders.columns
    has_cost = products is not None and unit_cost in products.columns
    has_profit = not has_cost and profit is not None and profit in orders.columns
    spec = _Spec(keys, freq, products, period, date, quantity, revenue,
                 price if has_price else None, product, unit_cost if has_cost else None,
                 profit if has_profit else None, customer, rep, dict(bands or {}),
                 from_products)
    out = (_aggregate_duckdb if engine == "duckdb" else _aggregate_pandas)(orders, spec)
    order = keys + (["period"] if freq else []) + [f"{c}_band" for c in band_cols]
    measures = [m for m in _MEASURES if m in out.columns]
    out = out[order + measures]
    for m in ("revenue", "quantity", "gross", "cost", "costed_revenue"):
        out[m] = out[m].astype(float)
    for m in ("lines", "customers", "reps"):
        if m in out.columns:
            out[m] = out[m].astype("int64")
    if freq:
        out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    for k in keys:
        if not pd.api.types.is_numeric_dtype(out[k]):
            out[k] = out[k].astype("str")
    return out.sort_values(order, kind="stable").reset_index(drop=True) if order else out


class _Spec(NamedTuple):
    """What :func:`aggregate` was asked for, checked: optional columns that exist, or None."""

    keys: list[str]
    freq: str | None
    products: pd.DataFrame | None
    period: Window | None
    date: str
    quantity: str
    revenue: str
    price: str | None
    product: str
    unit_cost: str | None
    profit: str | None
    customer: str | None
    rep: str | None
    bands: dict[str, Sequence[float]]
    from_products: list[str]


def _aggregate_duckdb(orders: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    (keys, freq, products, period, date, quantity, revenue, price, product, unit_cost,
     profit, customer, rep, bands, from_products) = spec
    q = quote_ident
    used = {c for c in [date if (freq or period) else None, quantity, revenue, price, profit,
                        customer, rep, *bands, *[k for k in keys if k not in from_products],
                        product if products is not None else None] if c is not None}
    src = "o_src o"
    if products is not None:
        pcols = list(dict.fromkeys([product, *from_products] + ([unit_cost] if unit_cost else [])))
        src += f" LEFT JOIN p_src p ON o.{q(product)} = p.{q(product)}"
    select = [f"{'p' if k in from_products else 'o'}.{q(k)} AS {q(k)}" for k in keys]
    if freq:
        select.append(f"CAST(date_trunc({quote_literal(FREQS[freq][0])}, o.{q(date)}) "
                      "AS TIMESTAMP) AS period")
    for col, edges in bands.items():
        e = sorted(float(x) for x in edges)
        case = " ".join(f"WHEN o.{q(col)} >= {quote_literal(x)} THEN {quote_literal(x)}"
                        for x in reversed(e[1:]))
        select.append(f"CASE {case} ELSE {quote_literal(e[0])} END AS {q(col + '_band')}")
    nkeys = len(select)
    rv, qt = f"o.{q(revenue)}", f"o.{q(quantity)}"
    select += [f"sum({rv})::DOUBLE AS revenue", f"sum({qt})::DOUBLE AS quantity",
               "count(*) AS lines",
               (f"sum({qt} * o.{q(price)})::DOUBLE" if price else "NULL::DOUBLE") + " AS gross"]
    if unit_cost:
        known = f"p.{q(unit_cost)} > 0"
        select += [f"sum(CASE WHEN {known} THEN {qt} * p.{q(unit_cost)} END)::DOUBLE AS cost",
                   f"sum(CASE WHEN {known} THEN {rv} END)::DOUBLE AS costed_revenue"]
    elif profit:
        gain = f"TRY_CAST(o.{q(profit)} AS DOUBLE)"  # text in an export: unknown if unread
        known = f"{gain} IS NOT NULL AND isfinite({gain})"
        select += [f"sum(CASE WHEN {known} THEN {rv} - {gain} END)::DOUBLE AS cost",
                   f"sum(CASE WHEN {known} THEN {rv} END)::DOUBLE AS costed_revenue"]
    else:
        select += ["NULL::DOUBLE AS cost", "NULL::DOUBLE AS costed_revenue"]
    if customer:
        select.append(f"count(DISTINCT o.{q(customer)}) AS customers")
    if rep:
        select.append(f"count(DISTINCT o.{q(rep)}) AS reps")
    where = ""
    if period is not None:
        lo, hi = parse_window(period)
        d = f"CAST(o.{q(date)} AS TIMESTAMP)"
        where = f" WHERE {d} >= {quote_literal(lo)} AND {d} < {quote_literal(hi)}"
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(nkeys))}" if nkeys else ""
    con = connection()
    try:
        con.register("o_src", orders[[c for c in orders.columns if c in used]])
        if products is not None:
            con.register("p_src", products[pcols])
        out = con.sql(f"SELECT {', '.join(select)} FROM {src}{where}{group}").df()
    finally:
        con.close()
    if not nkeys and out["lines"].iloc[0] == 0:
        return out.iloc[0:0]
    return out


def _aggregate_pandas(orders: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    (keys, freq, products, period, date, quantity, revenue, price, product, unit_cost,
     profit, customer, rep, bands, from_products) = spec
    df = orders
    if period is not None:
        lo, hi = parse_window(period)
        d = pd.to_datetime(df[date])
        df = df[(d >= lo) & (d < hi)]
    cols = {"revenue": df[revenue].astype(float), "quantity": df[quantity].astype(float)}
    work = pd.DataFrame({k: df[k] for k in keys if k not in from_products}, index=df.index)
    if products is not None:
        pcols = [product, *from_products] + ([unit_cost] if unit_cost else [])
        joined = df[[product]].merge(products[list(dict.fromkeys(pcols))], on=product,
                                     how="left")
        joined.index = df.index
        for k in from_products:
            work[k] = joined[k]
        if unit_cost:
            c = joined[unit_cost].astype(float)
            known = c > 0
            cols["cost"] = (cols["quantity"] * c).where(known)
            cols["costed_revenue"] = cols["revenue"].where(known)
    if profit:  # only without a unit cost (see aggregate)
        gain = pd.to_numeric(df[profit], errors="coerce").astype(float)
        known = gain.notna() & np.isfinite(gain)
        cols["cost"] = (cols["revenue"] - gain).where(known)
        cols["costed_revenue"] = cols["revenue"].where(known)
    if freq:
        work["period"] = pd.to_datetime(df[date]).dt.to_period(FREQS[freq][1]).dt.start_time
    for col, edges in bands.items():
        e = np.array(sorted(float(x) for x in edges))
        idx = np.clip(np.searchsorted(e, df[col].astype(float).to_numpy(), side="right") - 1,
                      0, len(e) - 1)
        work[f"{col}_band"] = e[idx]
    group = keys + (["period"] if freq else []) + [f"{c}_band" for c in bands]
    work = work[group]
    for k, v in cols.items():
        work[k] = v
    work["lines"] = 1
    work["gross"] = (cols["quantity"] * df[price].astype(float)) if price else np.nan
    agg: dict[str, tuple[str, Any]] = {m: (m, "sum") for m in
                                       ("revenue", "quantity", "lines", "gross")}
    if "cost" in work.columns:
        agg["cost"] = ("cost", "sum")
        agg["costed_revenue"] = ("costed_revenue", "sum")
        agg["_costed"] = ("cost", "count")
    if customer:
        work["_cust"] = df[customer]
        agg["customers"] = ("_cust", "nunique")
    if rep:
        work["_rep"] = df[rep]
        agg["reps"] = ("_rep", "nunique")
    if group:
        out = work.groupby(group, sort=True, dropna=False, observed=True).agg(**agg)
        out = out.reset_index()
    else:
        out = pd.DataFrame({k: [work[src].agg(fn) if len(work) else np.nan]
                            for k, (src, fn) in agg.items()}).iloc[0:1 if len(work) else 0]
    if "_costed" in out.columns:  # no line with a known cost: unknown, not 0
        unknown = out.pop("_costed") == 0
        out.loc[unknown, ["cost", "costed_revenue"]] = np.nan
    else:
        out["cost"] = np.nan
        out["costed_revenue"] = np.nan
    if not price:
        out["gross"] = np.nan
    return out


# --------------------------------------------------------------------------- on the aggregates


def _margin(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Gross margin (money) and margin % over the lines with known cost; NaN when unknown."""
    known = frame["costed_revenue"].notna() & (frame["costed_revenue"] != 0)
    margin = (frame["costed_revenue"] - frame["cost"]).where(known)
    return margin, (100 * margin / frame["costed_revenue"]).where(known)


def _growth_pct(cur: pd.Series, prev: pd.Series) -> pd.Series:
    """Growth of ``cur`` over ``prev`` in percent; NaN where ``prev`` is not positive."""
    prev = prev.where(prev > 0)
    return 100 * (cur - prev) / prev


def _catalogue(products: pd.DataFrame | None, keys: list[str], product: str) -> pd.DataFrame | None:
    """Every item of the product table for ``keys`` (so unsold products show up)."""
    if products is None or not set(keys) <= set(products.columns) or product not in products:
        return None
    return products[keys].drop_duplicates().astype("str").reset_index(drop=True)


def _catalogue_index(cat: pd.DataFrame, keys: list[str]) -> pd.Index:
    """The index of a :func:`_catalogue` frame: one level per key."""
    return (pd.MultiIndex.from_frame(cat) if len(keys) > 1
            else pd.Index(cat[keys[0]], name=keys[0]))
