"""Product analysis: performance, ABC classes, structure, price/volume/mix, discounts, elasticity.

Every function takes an order-line table and the names of its columns, so it runs on a
foreign export as well as on ``salesnb.load(...).orders``. The heavy part, the group-by over
the order lines, is one function, :func:`aggregate`, which runs inside DuckDB over the pandas
frame (``engine="duckdb"``, the default) or in pandas (``engine="pandas"``, the reference the
tests and the benchmark compare against); the rest works on the small aggregated frames.

Periods are ``(start, end)`` pairs of dates, both days included::

    import salesnb as sn
    d = sn.load("data")
    sn.products.abc(d.orders)                                  # A/B/C classes by revenue
    sn.products.price_volume_mix(d.orders, base=("2024-01-01", "2024-12-31"),
                                 current=("2025-01-01", "2025-12-31"))

Margins need a unit cost per product (``products.unit_cost``); a product whose cost is missing
or zero has an unknown margin, and the output says so instead of showing a 100 % margin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from salesnb.data.loader import connection
from salesnb.errors import SalesnbError

__all__ = [
    "Engine",
    "Period",
    "FREQS",
    "aggregate",
    "parse_period",
    "default_periods",
    "performance",
    "quarterly_growth",
    "abc",
    "structure",
    "price_volume_mix",
    "discount_bands",
    "elasticity",
    "plot_abc",
    "plot_structure",
    "plot_price_volume_mix",
    "plot_discount_bands",
]

Engine = Literal["duckdb", "pandas"]
#: A period: ``(start, end)``, both days included; dates, ISO texts or timestamps.
Period = tuple[Any, Any]
#: Period lengths :func:`aggregate` can group by (DuckDB ``date_trunc`` part, pandas freq).
FREQS: dict[str, tuple[str, str]] = {"MS": ("month", "M"), "QS": ("quarter", "Q"),
                                     "YS": ("year", "Y")}
_MEASURES = ("revenue", "quantity", "lines", "gross", "cost", "costed_revenue", "customers",
             "reps")


# --------------------------------------------------------------------------- helpers


def _q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + str(name).replace('"', '""') + '"'


def _lit(value: Any) -> str:
    """A SQL literal for a timestamp or number."""
    if isinstance(value, pd.Timestamp):
        return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"
    return repr(float(value))


def _need(frame: pd.DataFrame, columns: Sequence[str | None], table: str = "orders") -> None:
    """Raise naming the missing columns and how to point at the right ones."""
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise SalesnbError(
            f"{table} has no column(s) {missing}; its columns are {list(frame.columns)}. "
            f"Pass the names your table uses (e.g. revenue='Sales', date='InvoiceDate').")


def parse_period(period: Period, *, name: str = "period") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Turn ``(start, end)`` into timestamps: start at midnight, end at the last instant.

    Parameters
    ----------
    period : tuple
        ``(start, end)``, both days included; dates, ISO texts or timestamps.
    name : str
        How the period is called in error messages (``"base"``, ``"current"``).

    Returns
    -------
    tuple of pandas.Timestamp
        ``(start, end_exclusive)``: the day after ``end`` at midnight.

    Raises
    ------
    SalesnbError
        If the pair is malformed or ``end`` precedes ``start``.
    """
    try:
        start, end = period
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (TypeError, ValueError) as exc:
        raise SalesnbError(f"{name}={period!r} is not a (start, end) pair of dates, e.g. "
                           f"('2025-01-01', '2025-12-31'): {exc}") from None
    if pd.isna(lo) or pd.isna(hi):
        raise SalesnbError(f"{name}={period!r}: both start and end dates are needed")
    if hi < lo:
        raise SalesnbError(f"{name}={period!r}: the end date is before the start date")
    return lo, hi + pd.Timedelta(days=1)


def _period_label(period: Period) -> str:
    lo, hi = parse_period(period)
    return f"{lo:%Y-%m-%d} – {hi - pd.Timedelta(days=1):%Y-%m-%d}"


def default_periods(orders: pd.DataFrame, *, date: str = "order_date",
                    months: int = 12) -> tuple[Period, Period]:
    """The periods a report compares when none are given: the last full months and the ones before.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    date : str, default "order_date"
        Date column.
    months : int, default 12
        Length of each period in months.

    Returns
    -------
    tuple
        ``(base, current)``: ``current`` is the last ``months`` complete months (a month is
        complete when the data reach its last day), ``base`` the ``months`` months before.

    Raises
    ------
    SalesnbError
        If the table has no dated rows.
    """
    _need(orders, [date])
    last = pd.to_datetime(orders[date]).max()
    if pd.isna(last):
        raise SalesnbError(f"orders has no dates in column {date!r}: no period to analyse")
    last = last.normalize()
    end = last if (last + pd.Timedelta(days=1)).day == 1 else last.replace(day=1) - pd.Timedelta(
        days=1)
    cur_start = (end + pd.Timedelta(days=1)) - pd.DateOffset(months=months)
    base_start = cur_start - pd.DateOffset(months=months)
    base_end = cur_start - pd.Timedelta(days=1)
    return ((base_start.date(), base_end.date()), (cur_start.date(), end.date()))


# --------------------------------------------------------------------------- aggregate


def aggregate(orders: pd.DataFrame, by: str | Sequence[str] = (), *,
              freq: str | None = None, products: pd.DataFrame | None = None,
              period: Period | None = None, date: str = "order_date",
              quantity: str = "quantity", revenue: str = "revenue",
              price: str | None = "unit_price", product: str = "product_id",
              unit_cost: str = "unit_cost", customer: str | None = None,
              rep: str | None = None, bands: Mapping[str, Sequence[float]] | None = None,
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
        of the lines whose product has a known, positive cost; NaN without cost data),
        [``customers``], [``reps``]. Groups with no lines are absent; sorted by the keys.

    Raises
    ------
    SalesnbError
        On a missing column, an unknown ``freq`` or ``engine``, or a malformed period.
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
        _need(products, [product, *from_products], "products")
    band_cols = list(bands or {})
    _need(orders, [date if (freq or period) else None, quantity, revenue, *band_cols,
                   product if (products is not None) else None, customer, rep,
                   *[k for k in keys if k not in prod_cols or k in orders.columns]])
    has_price = price is not None and price in orders.columns
    has_cost = products is not None and unit_cost in products.columns
    if engine == "duckdb":
        out = _aggregate_duckdb(orders, keys, freq, products, period, date, quantity, revenue,
                                price if has_price else None, product,
                                unit_cost if has_cost else None, customer, rep, bands or {},
                                from_products)
    else:
        out = _aggregate_pandas(orders, keys, freq, products, period, date, quantity, revenue,
                                price if has_price else None, product,
                                unit_cost if has_cost else None, customer, rep, bands or {},
                                from_products)
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


def _aggregate_duckdb(orders: pd.DataFrame, keys: list[str], freq: str | None,
                      products: pd.DataFrame | None, period: Period | None, date: str,
                      quantity: str, revenue: str, price: str | None, product: str,
                      unit_cost: str | None, customer: str | None, rep: str | None,
                      bands: Mapping[str, Sequence[float]],
                      from_products: list[str]) -> pd.DataFrame:
    con = connection()
    used = {c for c in [date if (freq or period) else None, quantity, revenue, price, customer,
                        rep, *bands, *[k for k in keys if k not in from_products],
                        product if products is not None else None] if c is not None}
    con.register("o_src", orders[[c for c in orders.columns if c in used]])
    src = "o_src o"
    if products is not None:
        pcols = [product, *from_products] + ([unit_cost] if unit_cost else [])
        con.register("p_src", products[list(dict.fromkeys(pcols))])
        src += f" LEFT JOIN p_src p ON o.{_q(product)} = p.{_q(product)}"
    select = [f"{'p' if k in from_products else 'o'}.{_q(k)} AS {_q(k)}" for k in keys]
    if freq:
        select.append(f"CAST(date_trunc('{FREQS[freq][0]}', o.{_q(date)}) AS TIMESTAMP) "
                      "AS period")
    for col, edges in bands.items():
        e = sorted(float(x) for x in edges)
        case = " ".join(f"WHEN o.{_q(col)} >= {x!r} THEN {x!r}" for x in reversed(e[1:]))
        select.append(f"CASE {case} ELSE {e[0]!r} END AS {_q(col + '_band')}")
    nkeys = len(select)
    rv, qt = f"o.{_q(revenue)}", f"o.{_q(quantity)}"
    select += [f"sum({rv})::DOUBLE AS revenue", f"sum({qt})::DOUBLE AS quantity",
               "count(*) AS lines",
               (f"sum({qt} * o.{_q(price)})::DOUBLE" if price else "NULL::DOUBLE") + " AS gross"]
    if unit_cost:
        known = f"p.{_q(unit_cost)} > 0"
        select += [f"sum(CASE WHEN {known} THEN {qt} * p.{_q(unit_cost)} END)::DOUBLE AS cost",
                   f"sum(CASE WHEN {known} THEN {rv} END)::DOUBLE AS costed_revenue"]
    else:
        select += ["NULL::DOUBLE AS cost", "NULL::DOUBLE AS costed_revenue"]
    if customer:
        select.append(f"count(DISTINCT o.{_q(customer)}) AS customers")
    if rep:
        select.append(f"count(DISTINCT o.{_q(rep)}) AS reps")
    where = ""
    if period is not None:
        lo, hi = parse_period(period)
        d = f"CAST(o.{_q(date)} AS TIMESTAMP)"
        where = f" WHERE {d} >= {_lit(lo)} AND {d} < {_lit(hi)}"
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(nkeys))}" if nkeys else ""
    sql = f"SELECT {', '.join(select)} FROM {src}{where}{group}"
    out = con.sql(sql).df()
    con.close()
    if not nkeys and out["lines"].iloc[0] == 0:
        return out.iloc[0:0]
    return out


def _aggregate_pandas(orders: pd.DataFrame, keys: list[str], freq: str | None,
                      products: pd.DataFrame | None, period: Period | None, date: str,
                      quantity: str, revenue: str, price: str | None, product: str,
                      unit_cost: str | None, customer: str | None, rep: str | None,
                      bands: Mapping[str, Sequence[float]],
                      from_products: list[str]) -> pd.DataFrame:
    df = orders
    if period is not None:
        lo, hi = parse_period(period)
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
    if freq:
        work["period"] = pd.to_datetime(df[date]).dt.to_period(FREQS[freq][1]).dt.start_time
    for col, edges in bands.items():
        e = np.array(sorted(float(x) for x in edges))
        idx = np.clip(np.searchsorted(e, df[col].astype(float).to_numpy(), side="right") - 1,
                      0, len(e) - 1)
        work[f"{col}_band"] = e[idx]
    work = work[keys + (["period"] if freq else []) + [f"{c}_band" for c in bands]]
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
    group = keys + (["period"] if freq else []) + [f"{c}_band" for c in bands]
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


# --------------------------------------------------------------------------- performance


def _margin(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Gross margin (money) and margin % over the lines with known cost; NaN when unknown."""
    known = frame["costed_revenue"].notna() & (frame["costed_revenue"] != 0)
    margin = (frame["costed_revenue"] - frame["cost"]).where(known)
    pct = (100 * margin / frame["costed_revenue"]).where(known)
    return margin, pct


def _pct(cur: pd.Series, prev: pd.Series) -> pd.Series:
    prev = prev.where(prev > 0)
    return 100 * (cur - prev) / prev


def _catalogue(products: pd.DataFrame | None, keys: list[str], product: str) -> pd.DataFrame | None:
    """Every item of the product table for ``keys`` (so unsold products show up)."""
    if products is None or not set(keys) <= set(products.columns) or product not in products:
        return None
    return products[keys].drop_duplicates().astype("str").reset_index(drop=True)


def performance(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
                by: str | Sequence[str] = "product_id", current: Period,
                base: Period | None = None, date: str = "order_date",
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
        Column names (see :func:`aggregate`).
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``*by``, revenue, quantity, avg_price (revenue per unit),
        discount_pct (1 - revenue / list value, in percent), gross_margin, margin_pct,
        revenue_share (of the period's total), base_revenue, growth_pct (current against
        base, in percent; NaN when the base has no sales) and note, which says why a number
        is missing ("new: no sales in the base period, growth undefined", "margin unknown: no
        unit cost", "no sales in the period"). Sorted by revenue, largest first.
    """
    keys = [by] if isinstance(by, str) else list(by)
    kw = dict(products=products, date=date, quantity=quantity, revenue=revenue, price=price,
              product=product, unit_cost=unit_cost, engine=engine)
    cur = aggregate(orders, keys, period=current, **kw)
    out = cur.set_index(keys) if keys else cur
    cat = _catalogue(products, keys, product)
    if cat is not None:
        out = out.reindex(pd.MultiIndex.from_frame(cat) if len(keys) > 1
                          else pd.Index(cat[keys[0]], name=keys[0]))
        for m in ("revenue", "quantity", "lines", "gross"):
            out[m] = out[m].fillna(0.0)
    res = pd.DataFrame(index=out.index)
    res["revenue"] = out["revenue"]
    res["quantity"] = out["quantity"]
    res["avg_price"] = (out["revenue"] / out["quantity"].where(out["quantity"] > 0))
    res["discount_pct"] = 100 * (1 - out["revenue"] / out["gross"].where(out["gross"] > 0))
    res["gross_margin"], res["margin_pct"] = _margin(out)
    total = res["revenue"].sum()
    res["revenue_share"] = res["revenue"] / total if total else np.nan
    notes: list[list[str]] = [[] for _ in range(len(res))]
    if base is not None:
        prev = aggregate(orders, keys, period=base, **kw)
        prev = prev.set_index(keys)["revenue"] if keys else prev["revenue"]
        res["base_revenue"] = prev.reindex(res.index).fillna(0.0).to_numpy()
        res["growth_pct"] = _pct(res["revenue"], res["base_revenue"])
        for i, (b, c) in enumerate(zip(res["base_revenue"], res["revenue"], strict=True)):
            if b <= 0 and c > 0:
                notes[i].append("new: no sales in the base period, growth undefined")
    for i, (c, m) in enumerate(zip(res["revenue"], res["margin_pct"], strict=True)):
        if c == 0:
            notes[i].append("no sales in the period")
        elif pd.isna(m):
            notes[i].append("margin unknown: no unit cost" if products is not None
                            and unit_cost in products.columns
                            else "margin unknown: no product costs given")
    res["note"] = ["; ".join(n) for n in notes]
    res = res.reset_index() if keys else res
    return res.sort_values("revenue", ascending=False, kind="stable").reset_index(drop=True)


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
    _need(orders, [date])
    dates = pd.to_datetime(orders[date])
    if dates.isna().all():
        raise SalesnbError(f"orders has no dates in column {date!r}: no quarter to analyse")
    if quarter is None:
        last = dates.max().normalize()
        q = pd.Period(last, "Q")
        if last < q.end_time.normalize():
            q = q - 1 if dates.min() <= (q - 1).end_time else q
    else:
        q = pd.Period(pd.Timestamp(quarter), "Q")
    window = ((q - 4).start_time.date(), q.end_time.date())
    agg = aggregate(orders, keys, freq="QS", products=products, period=window, date=date,
                    quantity=quantity, revenue=revenue, price=None, product=product,
                    engine=engine)
    wide = agg.pivot_table(index=keys, columns="period", values="revenue", aggfunc="sum",
                           fill_value=0.0) if len(agg) else pd.DataFrame()
    cat = _catalogue(products, keys, product)
    if cat is not None:
        wide = wide.reindex(pd.MultiIndex.from_frame(cat) if len(keys) > 1
                            else pd.Index(cat[keys[0]], name=keys[0]), fill_value=0.0)

    def col(p: pd.Period) -> pd.Series:
        ts = p.start_time
        return (wide[ts] if ts in getattr(wide, "columns", []) else
                pd.Series(0.0, index=wide.index))

    res = pd.DataFrame({"quarter": q.start_time, "revenue": col(q),
                        "previous_quarter": col(q - 1), "year_earlier": col(q - 4)},
                       index=wide.index)
    res["qoq_pct"] = _pct(res["revenue"], res["previous_quarter"])
    res["yoy_pct"] = _pct(res["revenue"], res["year_earlier"])
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


# --------------------------------------------------------------------------- ABC


def abc(orders: pd.DataFrame, *, by: str = "product_id", value: str = "revenue",
        cutoffs: tuple[float, float] = (0.8, 0.95), products: pd.DataFrame | None = None,
        period: Period | None = None, date: str = "order_date",
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
        On bad cut-offs, a missing column, or a total that is not positive.
    """
    a, b = (float(x) for x in cutoffs)
    if not 0 < a <= b <= 1:
        raise SalesnbError(f"cutoffs={cutoffs!r}: need 0 < A cut-off <= B cut-off <= 1, "
                           "e.g. (0.8, 0.95)")
    _need(orders, [value])
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


# --------------------------------------------------------------------------- structure


def structure(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
              by: str = "category", freq: str = "QS", value: str = "revenue",
              date: str = "order_date", product: str = "product_id",
              engine: Engine = "duckdb") -> pd.DataFrame:
    """Product-structure shares over time: each item's share of the period's total.

    Parameters
    ----------
    orders, products, date, product, engine
        As for :func:`aggregate`.
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


# --------------------------------------------------------------------------- price/volume/mix


def price_volume_mix(orders: pd.DataFrame, *, base: Period, current: Period,
                     by: str = "product_id", date: str = "order_date",
                     quantity: str = "quantity", revenue: str = "revenue",
                     products: pd.DataFrame | None = None, product: str = "product_id",
                     engine: Engine = "duckdb") -> pd.DataFrame:
    """Split the revenue change between two periods into price, volume and mix effects.

    With ``q`` an item's units, ``p`` its average net price (revenue per unit), ``s`` its share
    of all units and ``Q`` the units of all items, in the base (0) and current (1) period:

    * volume effect = (Q1 - Q0) * s0 * p0: the change in total units, at the old mix and prices;
    * mix effect = Q1 * (s1 - s0) * p0: the shift between items, at old prices;
    * price effect = q1 * (p1 - p0): the change of the item's own price.

    The three add up exactly to the item's revenue change ``q1 * p1 - q0 * p0``. An item new
    in the current period has no base price: its price effect is 0 and its revenue counts as
    mix (and volume 0); an item that stopped selling loses its base revenue through volume and
    mix. Units are added across items, so mix is most meaningful among comparable items
    (run it per category with a filtered table for that).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    base, current : (start, end)
        The periods compared (both days included).
    by : str, default "product_id"
        Item column (in ``orders``, or in ``products``).
    date, quantity, revenue, product : str
        Column names.
    products : pandas.DataFrame, optional
        Needed only when ``by`` is a product column such as ``"category"``.
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs.

    Returns
    -------
    pandas.DataFrame
        One row per item sold in either period: ``by``, base_quantity, current_quantity,
        base_price, current_price, base_revenue, current_revenue, price_effect,
        volume_effect, mix_effect, total (= current_revenue - base_revenue) and note. Sorted
        by the absolute change, largest first.

    Raises
    ------
    SalesnbError
        When either period has no order lines (naming the data's date span).
    """
    kw = dict(products=products, date=date, quantity=quantity, revenue=revenue, price=None,
              product=product, engine=engine)
    frames = {}
    for name, per in (("base", base), ("current", current)):
        parse_period(per, name=name)
        agg = aggregate(orders, by, period=per, **kw)
        if agg.empty or agg["lines"].sum() == 0:
            d = pd.to_datetime(orders[date])
            span = (f"the data run from {d.min():%Y-%m-%d} to {d.max():%Y-%m-%d}"
                    if d.notna().any() else "the table has no dated rows")
            raise SalesnbError(f"no order lines in the {name} period {_period_label(per)}; "
                               f"{span}. Choose {name} dates inside that span.")
        frames[name] = agg.set_index(by)[["quantity", "revenue"]]
    b, c = frames["base"], frames["current"]
    idx = b.index.union(c.index)
    q0 = b["quantity"].reindex(idx, fill_value=0.0)
    q1 = c["quantity"].reindex(idx, fill_value=0.0)
    r0 = b["revenue"].reindex(idx, fill_value=0.0)
    r1 = c["revenue"].reindex(idx, fill_value=0.0)
    p0 = (r0 / q0.where(q0 > 0))
    p1 = (r1 / q1.where(q1 > 0))
    Q0, Q1 = q0.sum(), q1.sum()
    if Q0 <= 0 or Q1 <= 0:
        raise SalesnbError("no units sold in the base or current period: price, volume and mix "
                           f"need quantities (column {quantity!r})")
    s0, s1 = q0 / Q0, q1 / Q1
    ref = p0.fillna(p1).fillna(0.0)  # new items: no base price, valued at their own price
    volume = (Q1 - Q0) * s0 * ref
    mix = Q1 * (s1 - s0) * ref
    price = (q1 * (p1 - p0)).where(q0 > 0, 0.0).fillna(0.0)
    out = pd.DataFrame({"base_quantity": q0, "current_quantity": q1, "base_price": p0,
                        "current_price": p1, "base_revenue": r0, "current_revenue": r1,
                        "price_effect": price, "volume_effect": volume, "mix_effect": mix})
    # revenue without units (q = 0, r != 0) has no price: keep the identity in the mix effect
    out["total"] = r1 - r0
    residual = out["total"] - (price + volume + mix)
    odd = residual.abs() > 1e-9 * (1 + out["total"].abs())
    out.loc[odd, "mix_effect"] += residual[odd]
    notes = np.where(q0 <= 0, "new: not sold in the base period, no price effect (all mix)",
                     np.where(q1 <= 0, "not sold in the current period", ""))
    notes = np.where(odd, "revenue without units: change counted as mix", notes)
    out["note"] = notes
    out.index.name = by
    out = out.reset_index()
    return out.reindex(out["total"].abs().sort_values(ascending=False, kind="stable").index
                       ).reset_index(drop=True)


# --------------------------------------------------------------------------- discounts


def discount_bands(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
                   discount: str = "discount",
                   edges: Sequence[float] = (0, 0.05, 0.1, 0.15, 0.2, 0.3),
                   period: Period | None = None, date: str = "order_date",
                   quantity: str = "quantity", revenue: str = "revenue",
                   price: str | None = "unit_price", product: str = "product_id",
                   unit_cost: str = "unit_cost", engine: Engine = "duckdb") -> pd.DataFrame:
    """Discount depth against volume and margin: order lines grouped by discount band.

    Parameters
    ----------
    orders, products, period, date, quantity, revenue, price, product, unit_cost, engine
        As for :func:`aggregate`.
    discount : str, default "discount"
        Discount column (fraction of the price, 0.1 = 10 %).
    edges : sequence of float
        Lower edges of the bands (the last band is open-ended).

    Returns
    -------
    pandas.DataFrame
        One row per band: band (e.g. ``"10–15 %"``), lines, units_per_line, revenue,
        revenue_share, margin_pct (NaN without unit costs). Deeper discounts with more units
        per line but a thinner margin is the trade-off a price decision weighs.
    """
    _need(orders, [discount])
    e = sorted(float(x) for x in edges)
    agg = aggregate(orders, (), products=products, period=period, date=date,
                    quantity=quantity, revenue=revenue, price=price, product=product,
                    unit_cost=unit_cost, bands={discount: e}, engine=engine)
    col = f"{discount}_band"
    agg = agg.set_index(col).reindex(e)
    labels = [f"{100 * lo:.0f}–{100 * hi:.0f} %" for lo, hi in zip(e[:-1], e[1:], strict=True)]
    labels.append(f"{100 * e[-1]:.0f} % +")
    total = agg["revenue"].sum()
    out = pd.DataFrame({
        "band": labels,
        "lines": agg["lines"].fillna(0).astype("int64").to_numpy(),
        "units_per_line": (agg["quantity"] / agg["lines"]).to_numpy(),
        "revenue": agg["revenue"].fillna(0.0).to_numpy(),
        "revenue_share": (agg["revenue"].fillna(0.0) / total).to_numpy() if total else np.nan,
        "margin_pct": _margin(agg)[1].to_numpy(),
    })
    return out


# --------------------------------------------------------------------------- elasticity


def _demean(values: np.ndarray, groups: Sequence[tuple[np.ndarray, np.ndarray]], *,
            tol: float = 1e-10, max_iter: int = 1000) -> np.ndarray:
    """Remove several sets of fixed effects by alternating projections (group means)."""
    v = values.astype(float).copy()
    for _ in range(max_iter):
        before = v.copy()
        for codes, counts in groups:
            v -= (np.bincount(codes, weights=v, minlength=len(counts)) / counts)[codes]
        if np.max(np.abs(v - before), initial=0.0) < tol:
            break
    return v


def elasticity(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
               by: str = "category", product: str = "product_id",
               customer: str | None = "customer_id", date: str = "order_date",
               quantity: str = "quantity", revenue: str = "revenue", freq: str = "MS",
               min_prices: int = 5, min_lines: int = 200, level: float = 0.95) -> pd.DataFrame:
    """Price elasticity of the units bought per order line, per category, with its uncertainty.

    Per group, a log-log least-squares fit of units per line on the net unit price (revenue /
    units, so discounts count), with a fixed effect for each customer-and-product pair and
    for each period: the slope is the % change in units for a 1 % change in price when the
    *same customer* buys the *same product* at a different price, so list-price levels,
    customer size, seasonality and trends do not masquerade as elasticity. The fixed effects
    are absorbed by alternating projections; the fit is statsmodels OLS with standard errors
    clustered by customer (by product without a customer column).

    It is still an observational estimate (prices were not set at random): read it as "how
    units per line move with the price paid", a hint for re-pricing, not an experiment.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame, optional
        Product table, needed when ``by`` is a product column (``"category"``).
    by : str, default "category"
        Groups with one estimate each.
    product, date, quantity, revenue : str
        Column names.
    customer : str or None, default "customer_id"
        Customer column; None (or a missing column) uses product fixed effects only.
    freq : {"MS", "QS", "YS"}, default "MS"
        Period of the period effects.
    min_prices : int, default 5
        Fewest customer-product pairs (products, without a customer column) bought at two or
        more prices.
    min_lines : int, default 200
        Fewest order lines with a price that differs from their pair's usual price.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by``, elasticity, ci_low, ci_high, std_error, p_value, lines
        (order lines used), varied (lines whose price varies within their pair) and note: why
        no estimate is given ("too few price variations: ...") or how to read it.
    """
    import statsmodels.api as sm

    if freq not in FREQS:
        raise SalesnbError(f"freq={freq!r} is not supported; use one of {sorted(FREQS)}")
    from_products = by not in orders.columns
    if from_products and products is None:
        raise SalesnbError(f"orders has no column {by!r}; pass products= to take it from the "
                           "product table")
    if from_products:
        _need(products, [product, by], "products")
    use_customer = customer is not None and customer in orders.columns
    _need(orders, [product, date, quantity, revenue])
    cols = list(dict.fromkeys([c for c in (product, date, quantity, revenue, by,
                                           customer if use_customer else None)
                               if c is not None and c in orders.columns]))
    df = orders.loc[(orders[quantity] > 0) & (orders[revenue] > 0), cols]
    if from_products:
        df = df.merge(products[[product, by]], on=product, how="left")
    pair = df[product].astype("str")
    if use_customer:
        pair = df[customer].astype("str") + "\x1f" + pair
    period = pd.to_datetime(df[date]).dt.to_period(FREQS[freq][1]).astype("str")
    price = (df[revenue].astype(float) / df[quantity].astype(float)).round(2)
    work = pd.DataFrame({"grp": df[by].astype("str").to_numpy(), "pair": pair.to_numpy(),
                         "period": period.to_numpy(), "price": price.to_numpy(),
                         "q": df[quantity].astype(float).to_numpy(),
                         "cl": (df[customer] if use_customer else df[product])
                         .astype("str").to_numpy()})
    rows = []
    for grp, g in work.groupby("grp", sort=True):
        row: dict[str, Any] = {by: grp, "elasticity": np.nan, "ci_low": np.nan,
                               "ci_high": np.nan, "std_error": np.nan, "p_value": np.nan,
                               "lines": len(g), "varied": 0}
        n_prices = g.groupby("pair")["price"].nunique()
        varied_pairs = int((n_prices >= 2).sum())
        fes = []
        for key in ("pair", "period"):
            codes = pd.factorize(g[key])[0]
            fes.append((codes, np.bincount(codes).astype(float)))
        x = _demean(np.log(g["price"].to_numpy()), fes)
        varied = int((np.abs(x) > 1e-6).sum())
        row["varied"] = varied
        if varied_pairs < min_prices or varied < min_lines:
            what = "customer-product pairs" if use_customer else "products"
            row["note"] = (f"too few price variations: {varied_pairs} {what} "
                           f"bought at more than one price, {varied} order lines off their "
                           f"usual price (need {min_prices} and {min_lines}); the data cannot "
                           "support an estimate")
            rows.append(row)
            continue
        y = _demean(np.log(g["q"].to_numpy()), fes)
        fit = sm.OLS(y, x[:, None]).fit(cov_type="cluster",
                                        cov_kwds={"groups": pd.factorize(g["cl"])[0]})
        slope, se = float(fit.params[0]), float(fit.bse[0])
        lo, hi = (float(v) for v in fit.conf_int(alpha=1 - level)[0])
        row.update(elasticity=slope, ci_low=lo, ci_high=hi, std_error=se,
                   p_value=float(fit.pvalues[0]))
        if lo <= 0 <= hi:
            row["note"] = "not distinguishable from 0: no reliable price effect"
        elif hi < -1:
            row["note"] = ("elastic: a price cut raises revenue (units grow faster than the "
                           "price falls)")
        elif lo > -1 and hi < 0:
            row["note"] = "inelastic: a price cut loses revenue, a price rise keeps most units"
        elif lo > 0:
            row["note"] = "units rise with price: other factors dominate, no price advice"
        else:
            row["note"] = "around -1: price changes leave revenue about unchanged"
        rows.append(row)
    cols_out = [by, "elasticity", "ci_low", "ci_high", "std_error", "p_value", "lines",
                "varied", "note"]
    return pd.DataFrame(rows, columns=cols_out)


# --------------------------------------------------------------------------- plots


def plot_abc(table: pd.DataFrame, *, value: str | None = None, ax: Axes | None = None,
             top: int = 40) -> Axes:
    """Pareto chart: items' values as bars coloured by class, cumulative share as a line.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`abc`.
    value : str, optional
        The value column (default: the second column of ``table``).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    top : int, default 40
        Items shown (the largest).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    value = value or table.columns[1]
    t = table.head(top)
    colors = t["class"].map({"A": "#2c7fb8", "B": "#7fcdbb", "C": "#d9d9d9"})
    ax.bar(range(len(t)), t[value], color=colors.to_list())
    ax.set_xticks(range(len(t)), t.iloc[:, 0].astype(str), rotation=90, fontsize=7)
    ax.set_ylabel(value)
    ax2 = ax.twinx()
    ax2.plot(range(len(t)), 100 * t["cum_share"], color="#444", marker=".", lw=1)
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("cumulative share %")
    ax2.grid(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ("#2c7fb8", "#7fcdbb", "#d9d9d9")]
    ax.legend(handles, ["A", "B", "C"], title="class", loc="center right", fontsize="small")
    ax.set_title("ABC classes: value per item and cumulative share")
    return ax


def plot_structure(shares: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked area of the product-structure shares (from :func:`structure`) over time.

    Parameters
    ----------
    shares : pandas.DataFrame
        From :func:`structure`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    ax.stackplot(shares.index, *(100 * shares[c] for c in shares.columns),
                 labels=[str(c) for c in shares.columns], alpha=0.9)
    ax.set_ylim(0, 100)
    ax.set_ylabel("share of revenue %")
    ax.margins(x=0)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    ax.set_title("Product structure: share of each group per period")
    return ax


def plot_price_volume_mix(pvm: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Waterfall from base revenue through the price, volume and mix effects to current revenue.

    Parameters
    ----------
    pvm : pandas.DataFrame
        From :func:`price_volume_mix`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    base, cur = pvm["base_revenue"].sum(), pvm["current_revenue"].sum()
    steps = [("volume", pvm["volume_effect"].sum()), ("mix", pvm["mix_effect"].sum()),
             ("price", pvm["price_effect"].sum())]
    labels = ["base"] + [s[0] for s in steps] + ["current"]
    ax.bar(0, base, color="#969696")
    level = base
    for i, (_, v) in enumerate(steps, start=1):
        ax.bar(i, v, bottom=level, color="#31a354" if v >= 0 else "#de2d26")
        ax.text(i, level + max(v, 0), f"{v:+,.0f}", ha="center", va="bottom", fontsize=8)
        level += v
    ax.bar(len(labels) - 1, cur, color="#2c7fb8")
    ax.set_xticks(range(len(labels)), labels)
    lo = min(base, cur, level) * 0.8 if min(base, cur) > 0 else 0
    ax.set_ylim(bottom=lo)
    ax.set_ylabel("revenue")
    ax.set_title("Revenue change: volume, mix and price effects")
    return ax


def plot_discount_bands(bands: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Units per line (bars) and margin % (line) per discount band (from :func:`discount_bands`).

    Parameters
    ----------
    bands : pandas.DataFrame
        From :func:`discount_bands`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    ax.bar(bands["band"], bands["units_per_line"], color="#9ecae1")
    ax.set_ylabel("units per order line")
    ax.set_xlabel("discount")
    if bands["margin_pct"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(bands["band"], bands["margin_pct"], color="#de2d26", marker="o")
        ax2.set_ylabel("gross margin %", color="#de2d26")
        ax2.grid(False)
    ax.set_title("Deeper discounts: more units per line, thinner margin?")
    return ax
