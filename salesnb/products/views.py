"""What the product and region report shows: periods, findings in words, the explore panel.

Thin compositions of :mod:`salesnb.products` and :mod:`salesnb.regions` for the
``04_product_region`` notebook and its widget panel; each is a pure function usable elsewhere.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from salesnb.errors import SalesnbError
from salesnb.products import portfolio as pr
from salesnb.products import regions as rg
from salesnb.products.portfolio import Period
from salesnb.report.catalog import PRODUCT_PANEL
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, panel

__all__ = ["ALL", "periods", "period_markdown", "filter_orders", "filter_competitors",
           "label_products",
           "product_table", "category_table", "pvm_table", "findings", "findings_markdown",
           "explore_view", "explore_panel"]

#: The value of the region / category parameters that means "no filter".
ALL = "all"


def periods(orders: pd.DataFrame, base_start: str = "", base_end: str = "",
            current_start: str = "", current_end: str = "", *,
            date: str = "order_date") -> tuple[Period, Period]:
    """The two periods a report compares, from its parameters (empty: sensible defaults).

    Without dates, ``current`` is the last 12 complete months and ``base`` the 12 before
    (:func:`salesnb.products.default_periods`). A missing base start or end is the current
    one a year earlier.

    Returns
    -------
    tuple
        ``(base, current)`` as pairs of dates.

    Raises
    ------
    SalesnbError
        If only one end of the current period is given, or a period is reversed.
    """
    default_base, default_current = pr.default_periods(orders, date=date)
    if bool(current_start) != bool(current_end):
        raise SalesnbError("give both current_start and current_end, or neither (the last 12 "
                           "complete months)")
    current = ((current_start, current_end) if current_start else default_current)
    lo, hi = pr.parse_period(current, name="current")
    year = pd.DateOffset(years=1)
    if base_start or base_end or current_start:
        base = (base_start or (lo - year).date().isoformat(),
                base_end or (hi - pd.Timedelta(days=1) - year).date().isoformat())
    else:
        base = default_base
    pr.parse_period(base, name="base")
    return (pd.Timestamp(base[0]).date(), pd.Timestamp(base[1]).date()), (
        lo.date(), (hi - pd.Timedelta(days=1)).date())


def period_markdown(base: Period, current: Period) -> Markdown:
    """One line naming the two periods compared."""
    return Markdown(f"**Current period:** {pr._period_label(current)} &nbsp;·&nbsp; "
                    f"**compared with:** {pr._period_label(base)}")


def filter_orders(orders: pd.DataFrame, products: pd.DataFrame | None, region: str = ALL,
                  category: str = ALL, *, region_col: str = "region",
                  category_col: str = "category", product: str = "product_id") -> pd.DataFrame:
    """Order lines of one region and/or one product category (``"all"``: no filter).

    Raises
    ------
    SalesnbError
        Naming the available values when the region or category is not in the data.
    """
    out = orders
    if region and region != ALL:
        have = sorted(orders[region_col].dropna().astype(str).unique())
        if region not in have:
            raise SalesnbError(f"region {region!r} is not in the orders; regions are: "
                               f"{', '.join(have)} (or {ALL!r})")
        out = out[out[region_col] == region]
    if category and category != ALL:
        if products is None or category_col not in products.columns:
            raise SalesnbError("a category filter needs the products table with a "
                               f"{category_col!r} column")
        have = sorted(products[category_col].dropna().astype(str).unique())
        if category not in have:
            raise SalesnbError(f"category {category!r} is not in the products; categories are: "
                               f"{', '.join(have)} (or {ALL!r})")
        ids = products.loc[products[category_col] == category, product]
        out = out[out[product].isin(ids)]
    return out


def filter_competitors(competitors: pd.DataFrame | None, region: str = ALL,
                       category: str = ALL) -> pd.DataFrame | None:
    """Competitor estimates of one region and/or category (``"all"``: no filter).

    Filter them like the orders, or every other region would show a share of 0.
    """
    if competitors is None:
        return None
    out = competitors
    if region and region != ALL and "region" in out.columns:
        out = out[out["region"] == region]
    if category and category != ALL and "category" in out.columns:
        out = out[out["category"] == category]
    return out


def label_products(frame: pd.DataFrame, products: pd.DataFrame | None, *,
                   product: str = "product_id") -> pd.DataFrame:
    """Add the product's name and category next to its id, where the product table has them."""
    if products is None or product not in frame.columns:
        return frame
    cols = [c for c in ("name", "category") if c in products.columns and c not in frame]
    if not cols:
        return frame
    out = frame.merge(products[[product, *cols]].astype({product: "str"}), on=product,
                      how="left")
    order = [product, *cols] + [c for c in frame.columns if c != product]
    return out[order]


_PERF_NAMES = {"revenue": "revenue", "quantity": "units", "avg_price": "avg net price",
               "discount_pct": "discount %", "margin_pct": "margin %",
               "revenue_share": "share %", "base_revenue": "base revenue",
               "growth_pct": "growth %", "qoq_pct": "QoQ %", "yoy_pct": "YoY %"}


def product_table(orders: pd.DataFrame, products: pd.DataFrame | None, *, base: Period,
                  current: Period, by: str = "product_id", **columns: Any) -> pd.DataFrame:
    """Per product: the period's performance against the base, and the latest quarter's growth.

    Extra keyword arguments are column names passed to the analysis functions.
    """
    perf = pr.performance(orders, products, by=by, current=current, base=base, **columns)
    qg = pr.quarterly_growth(orders, products, by=by, quarter=pr.parse_period(current)[1]
                             - pd.Timedelta(days=1),
                             **{k: v for k, v in columns.items() if k != "unit_cost"
                                and k != "price"})
    out = perf.merge(qg[[by, "qoq_pct", "yoy_pct"]], on=by, how="left")
    out["revenue_share"] = 100 * out["revenue_share"]
    out = out[[by, "revenue", "quantity", "avg_price", "discount_pct", "margin_pct",
               "revenue_share", "base_revenue", "growth_pct", "qoq_pct", "yoy_pct", "note"]]
    if by == "product_id":
        out = label_products(out, products)
    return out.rename(columns=_PERF_NAMES)


def category_table(orders: pd.DataFrame, products: pd.DataFrame, *, base: Period,
                   current: Period) -> pd.DataFrame:
    """:func:`product_table` per product category."""
    return product_table(orders, products, base=base, current=current, by="category")


def pvm_table(pvm: pd.DataFrame, products: pd.DataFrame | None = None, *,
              top: int = 10) -> pd.DataFrame:
    """The items with the largest revenue change, and a total row (effects add up to it)."""
    by = pvm.columns[0]
    cols = [by, "base_revenue", "current_revenue", "price_effect", "volume_effect",
            "mix_effect", "total", "note"]
    head = pvm[cols].head(top)
    if by == "product_id":
        head = label_products(head, products)
    total = {c: pvm[c].sum() for c in cols[1:-1]}
    total.update({by: "all items", "note": ""})
    out = pd.concat([head, pd.DataFrame([total])], ignore_index=True)
    return out.rename(columns={"base_revenue": "base", "current_revenue": "current",
                               "price_effect": "price", "volume_effect": "volume",
                               "mix_effect": "mix", "total": "change"})


def _name(products: pd.DataFrame | None, pid: Any) -> str:
    if products is not None and "name" in products.columns and "product_id" in products:
        hit = products.loc[products["product_id"] == pid, "name"]
        if len(hit) and pd.notna(hit.iloc[0]):
            return f"{pid} ({hit.iloc[0]})"
    return str(pid)


def _money(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:,.1f} M"
    if a >= 1e3:
        return f"{v / 1e3:,.0f} k"
    return f"{v:,.0f}"


def findings(orders: pd.DataFrame, products: pd.DataFrame | None,
             competitors: pd.DataFrame | None, *, base: Period, current: Period,
             cutoffs: tuple[float, float] = (0.8, 0.95), margin_floor: float = 20.0,
             top: int = 3, engine: pr.Engine = "duckdb") -> list[str]:
    """Rule-based findings, each with the number behind it.

    Rules: the total change; the ``top`` fastest growing and declining products (among those
    sold in both periods) and the new ones; regions losing market share and competitors
    growing faster than us (from the competitor estimates); products to re-price (gross margin
    below ``margin_floor`` percent in the current period); C-class products to review.

    Returns
    -------
    list of str
        Markdown sentences.
    """
    out = []
    perf = pr.performance(orders, products, current=current, base=base, engine=engine)
    cur, prev = perf["revenue"].sum(), perf["base_revenue"].sum()
    if prev > 0:
        out.append(f"Revenue was **{_money(cur)}** in the current period, "
                   f"**{100 * (cur / prev - 1):+.1f} %** against the base period "
                   f"({_money(prev)}).")
    both = perf[(perf["base_revenue"] > 0) & (perf["revenue"] > 0)]
    grow = both.sort_values("growth_pct", ascending=False).head(top)
    grow = grow[grow["growth_pct"] > 0]
    def growth(rows: pd.DataFrame) -> str:
        return ", ".join(f"{_name(products, r.product_id)} {r.growth_pct:+.0f} % "
                         f"(to {_money(r.revenue)})" for r in rows.itertuples())

    if len(grow):
        out.append(f"Fastest growing products: {growth(grow)}.")
    fall = both[both["growth_pct"] < 0].sort_values("growth_pct").head(top)
    if len(fall):
        out.append(f"Declining products: {growth(fall)}.")
    else:
        out.append("No product sold less than in the base period.")
    new = perf[(perf["base_revenue"] <= 0) & (perf["revenue"] > 0)]
    if len(new):
        out.append("New products (no sales in the base period, so no growth rate): " + ", ".join(
            f"{_name(products, r.product_id)} {_money(r.revenue)}" for r in new.itertuples())
            + ".")
    gone = perf[(perf["base_revenue"] > 0) & (perf["revenue"] <= 0)]
    if len(gone):
        out.append("No sales any more in the current period: " + ", ".join(
            f"{_name(products, r.product_id)} (had {_money(r.base_revenue)})"
            for r in gone.itertuples()) + ".")
    if competitors is not None and not competitors.empty and "region" in orders.columns:
        shares = rg.market_share(orders, competitors, products, by=("region",),
                                 engine=engine)
        change = rg.share_change(shares, base=base, current=current, by=("region",))
        losing = change[change["change_pp"] < 0]
        if len(losing):
            out.append("Regions losing market share: " + ", ".join(
                f"{r.region} {r.change_pp:+.1f} pp ({r.base_share:.1f} % → "
                f"{r.current_share:.1f} %)" for r in losing.itertuples()) + ".")
        else:
            out.append("No region lost market share between the two periods.")
        unknown = change.loc[change["change_pp"].isna(), "region"].tolist()
        if unknown:
            out.append("No competitor estimates for both periods in: " + ", ".join(unknown)
                       + " (share change unknown).")
        faster = rg.competitor_growth(orders, competitors, products, base=base,
                                      current=current, by=("region",), engine=engine)
        faster = faster[faster["faster"]].head(top)
        if len(faster):
            out.append("Competitors growing faster than us: " + ", ".join(
                f"{r.competitor} in {r.region} {r.growth_pct:+.0f} % against our "
                f"{r.our_growth_pct:+.0f} %" for r in faster.itertuples()) + ".")
    elif "region" in orders.columns:
        out.append("No competitor estimates: market share cannot be judged.")
    thin = perf[perf["margin_pct"] < margin_floor].sort_values("margin_pct")
    if len(thin):
        out.append(f"Products to re-price (gross margin under {margin_floor:.0f} % after "
                   "discounts): " + ", ".join(
                       f"{_name(products, r.product_id)} margin {r.margin_pct:.0f} % at "
                       f"{r.discount_pct:.0f} % average discount"
                       if pd.notna(r.discount_pct) else
                       f"{_name(products, r.product_id)} margin {r.margin_pct:.0f} %"
                       for r in thin.head(2 * top).itertuples())
            + (f", and {len(thin) - 2 * top} more" if len(thin) > 2 * top else "") + ".")
    unknown_margin = perf["note"].str.contains("margin unknown").sum()
    if unknown_margin:
        out.append(f"{unknown_margin} products have no unit cost: their margin is unknown.")
    classes = pr.abc(orders, products=products, period=current, cutoffs=cutoffs,
                     engine=engine)
    c = classes[classes["class"] == "C"]
    if len(c):
        listed = ", ".join(_name(products, v) for v in c["product_id"].head(2 * top))
        more = f" and {len(c) - 2 * top} more" if len(c) > 2 * top else ""
        out.append(f"{len(c)} C-class products together make {100 * c['share'].sum():.1f} % "
                   f"of revenue: review whether to keep them ({listed}{more}).")
    return out


def findings_markdown(lines: list[str]) -> Markdown:
    """The findings as a bulleted Markdown list."""
    if not lines:
        return Markdown("*No findings: not enough data in the two periods.*")
    return Markdown("\n".join(f"- {line}" for line in lines))


def explore_view(region: str, category: str, base_start: str, base_end: str,
                 current_start: str, current_end: str, *, orders: pd.DataFrame,
                 products: pd.DataFrame | None) -> tuple[Any, ...]:
    """The explore panel's output: price/volume/mix and products for one region and category."""
    base, current = periods(orders, base_start, base_end, current_start, current_end)
    sub = filter_orders(orders, products, region, category)
    scope = " · ".join(x for x in (f"region {region}" if region != ALL else "all regions",
                                   f"category {category}" if category != ALL
                                   else "all categories"))
    try:
        pvm = pr.price_volume_mix(sub, base=base, current=current)
    except SalesnbError as exc:
        return (Markdown(f"**{scope}**: {exc}"),)
    b, c = pvm["base_revenue"].sum(), pvm["current_revenue"].sum()
    growth = f"{100 * (c / b - 1):+.1f} %" if b > 0 else "no base revenue"
    head = Markdown(
        f"**{scope}** — revenue {_money(c)} in {pr._period_label(current)} against "
        f"{_money(b)} in {pr._period_label(base)} ({growth}): volume "
        f"{_money(pvm['volume_effect'].sum())}, mix {_money(pvm['mix_effect'].sum())}, "
        f"price {_money(pvm['price_effect'].sum())}.")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    pr.plot_price_volume_mix(pvm, ax=ax)
    fig.tight_layout()
    table = product_table(sub, products, base=base, current=current)
    return head, fig, show(table, precision=1)


def explore_panel(orders: pd.DataFrame, products: pd.DataFrame | None,
                  **values: Any) -> Panel | None:
    """The report's widget panel: region, category and the two periods.

    Region and category become drop-downs of the values in the data (plus ``"all"``).
    """
    params = []
    for p in PRODUCT_PANEL:
        if p.name == "region" and "region" in orders.columns:
            opts = sorted(orders["region"].dropna().astype(str).unique())
            p = dataclasses.replace(p, choices=(ALL, *opts))
        elif p.name == "category" and products is not None and "category" in products:
            opts = sorted(products["category"].dropna().astype(str).unique())
            p = dataclasses.replace(p, choices=(ALL, *opts))
        params.append(p)
    values = {k: v for k, v in values.items() if k in {p.name for p in params}}
    for p in params:
        if p.choices and values.get(p.name, p.default) not in p.choices:
            values[p.name] = ALL
    fn = partial(explore_view, orders=orders, products=products)
    return panel(params, fn, values)
