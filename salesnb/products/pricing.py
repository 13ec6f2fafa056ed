"""Pricing: how discount depth relates to volume and margin, and price elasticity per category.

* :func:`discount_bands` -- order lines grouped by discount depth: units per line and margin;
* :func:`elasticity` -- the % change in units per line for a 1 % change in the net price,
  with its confidence interval and a note on how to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import Window, parse_window
from salesnb.errors import SalesnbError
from salesnb.products.engine import FREQS, Engine, _margin, aggregate

__all__ = ["discount_bands", "discount_gap", "elasticity", "with_margins", "profit_note"]


def discount_bands(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
                   discount: str = "discount",
                   edges: Sequence[float] = (0, 0.05, 0.1, 0.15, 0.2, 0.3),
                   period: Window | None = None, date: str = "order_date",
                   quantity: str = "quantity", revenue: str = "revenue",
                   price: str | None = "unit_price", product: str = "product_id",
                   unit_cost: str = "unit_cost", engine: Engine = "duckdb") -> pd.DataFrame:
    """Discount depth against volume and margin: order lines grouped by discount band.

    Parameters
    ----------
    orders, products, period, date, quantity, revenue, price, product, unit_cost, engine
        As for :func:`~salesnb.products.engine.aggregate`.
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
    require_columns(orders, {"discount": discount}, table="orders")
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


def discount_gap(orders: pd.DataFrame, *, discount: str = "discount",
                 period: Window | None = None, date: str = "order_date") -> str:
    """Why discount bands say nothing: no line of the period has a discount ("" when some do).

    Passed as the discount section's ``blocked`` reason
    (:func:`salesnb.report.sections.section`).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    discount : str, default "discount"
        Discount column (fraction of the price).
    period : (start, end), optional
        Only lines dated within it.
    date : str, default "order_date"
        Date column.

    Returns
    -------
    str
        E.g. "no order line of the period has a discount (all 3,208 are at full price)".
    """
    require_columns(orders, {"discount": discount}, table="orders")
    lines = orders
    if period is not None:
        lo, hi = parse_window(period)
        days = pd.to_datetime(orders[date])
        lines = orders[(days >= lo) & (days < hi)]
    if len(lines) and (lines[discount].fillna(0) > 0).any():
        return ""
    return (f"no order line of the period has a discount (all {len(lines):,} are at the "
            "price charged, so depth cannot be compared)")


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
               by: str | None = "category", product: str = "product_id",
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
    by : str or None, default "category"
        Groups with one estimate each; None: one estimate for all products (column
        ``group``, value ``"all products"``), for data without categories.
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
    if by is None:
        orders, by = orders.assign(group="all products"), "group"
    from_products = by not in orders.columns
    if from_products and products is None:
        raise SalesnbError(f"orders has no column {by!r}; pass products= to take it from the "
                           "product table")
    if from_products:
        require_columns(products, [product, by], table="products")
    use_customer = customer is not None and customer in orders.columns
    require_columns(orders, {"product": product, "date": date, "quantity": quantity,
                             "revenue": revenue}, table="orders")
    cols = list(dict.fromkeys([c for c in (product, date, quantity, revenue, by,
                                           customer if use_customer else None)
                               if c is not None and c in orders.columns]))
    df = orders.loc[(orders[quantity] > 0) & (orders[revenue] > 0), cols]
    if from_products and products is not None:
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
        elif lo >= -1.5 and hi <= -0.5:
            row["note"] = "around -1: price changes leave revenue about unchanged"
        else:
            row["note"] = ("the interval includes -1: whether a price cut raises or lowers "
                           "revenue is uncertain")
        rows.append(row)
    cols_out = [by, "elasticity", "ci_low", "ci_high", "std_error", "p_value", "lines",
                "varied", "note"]
    return pd.DataFrame(rows, columns=cols_out)


def profit_note(elasticity: float, ci_low: float, ci_high: float, margin_pct: float) -> str:
    """What a price cut does to gross profit, given the elasticity and the gross margin.

    A cut of 1 % in price loses about 1 / margin % of the gross profit per unit (at a 25 %
    margin, 4 %); it raises gross profit only when units grow by more than that, i.e. when
    the elasticity is below -1 / margin. So a price cut can raise revenue (elasticity below
    -1) and still lower gross profit, which is why thin-margin products are re-priced up.

    Parameters
    ----------
    elasticity, ci_low, ci_high : float
        The estimate and its interval (from :func:`elasticity`).
    margin_pct : float
        Gross margin in percent of revenue, after discounts.

    Returns
    -------
    str
        A clause for the note ("at its 23 % gross margin a price cut lowers gross profit: ...");
        empty when the margin or the estimate is unknown or the margin is not positive.
    """
    if not (np.isfinite(elasticity) and np.isfinite(margin_pct)) or margin_pct <= 0:
        return ""
    need = 100 / margin_pct  # units must grow by this % per 1 % off for the profit to hold
    at = f"at its {margin_pct:.0f} % gross margin"
    grows = f"units grow about {abs(elasticity):.1f} % per 1 % off"
    if ci_low > -need:
        return (f"{at} a price cut lowers gross profit (it would need units to grow over "
                f"{need:.1f} % per 1 % off; {grows})")
    if ci_high < -need:
        return f"{at} a price cut raises gross profit too ({grows}, over the {need:.1f} % needed)"
    return (f"{at} whether a price cut raises gross profit is uncertain (it needs units to "
            f"grow over {need:.1f} % per 1 % off; {grows})")


def with_margins(table: pd.DataFrame, margins: pd.Series) -> pd.DataFrame:
    """:func:`elasticity`'s table with each group's gross margin and what a cut does to profit.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`elasticity` (its first column names the group).
    margins : pandas.Series
        Gross margin in percent per group (index: the group's values, as text).

    Returns
    -------
    pandas.DataFrame
        The table with ``margin %`` before ``note``; a group with an estimate and a known
        margin has its note followed by :func:`profit_note`.
    """
    out = table.copy()
    key = out.columns[0]
    margin = out[key].astype("str").map(margins.rename(index=str)).astype(float)
    out.insert(out.columns.get_loc("note"), "margin %", margin.to_numpy())
    notes = []
    for note, e, lo, hi, m in zip(out["note"], out["elasticity"], out["ci_low"], out["ci_high"],
                                  out["margin %"], strict=True):
        extra = profit_note(e, lo, hi, m)
        notes.append(f"{note}; {extra}" if extra else note)
    out["note"] = notes
    return out
