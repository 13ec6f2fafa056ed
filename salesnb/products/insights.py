"""Findings in words: rules applied to the product and region analyses, each with its number.

:func:`findings` returns Markdown sentences a report lists under "Findings": the total
change, the fastest growing and declining products, new and lapsed products, regions losing
market share, competitors growing faster than us, products to re-price and the C-class tail.
Every number in a sentence is one of the analysis tables' numbers, formatted with
:mod:`salesnb.core.fmt`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesnb.core.fmt import money, pct
from salesnb.core.periods import Window
from salesnb.products import regions as rg
from salesnb.products.engine import Engine
from salesnb.products.growth import performance
from salesnb.products.portfolio import abc

__all__ = ["findings"]


def _name(products: pd.DataFrame | None, pid: Any) -> str:
    """A product as a sentence names it: ``"P01 (Laser printer)"``, or its id alone."""
    if products is not None and "name" in products.columns and "product_id" in products:
        hit = products.loc[products["product_id"] == pid, "name"]
        if len(hit) and pd.notna(hit.iloc[0]):
            return f"{pid} ({hit.iloc[0]})"
    return str(pid)


def _and_more(items: list[str], total: int, sep: str = ", and ") -> str:
    """``items`` joined, and how many more there are when ``total`` exceeds them."""
    listed = ", ".join(items)
    return listed + (f"{sep}{total - len(items)} more" if total > len(items) else "")


def _product_growth(perf: pd.DataFrame, products: pd.DataFrame | None, top: int) -> list[str]:
    """Total change, fastest growing, declining, new and lapsed products."""
    out = []
    cur, prev = perf["revenue"].sum(), perf["base_revenue"].sum()
    if prev > 0:
        out.append(f"Revenue was **{money(cur)}** in the current period, "
                   f"**{pct(cur / prev - 1, digits=1, signed=True)}** against the base "
                   f"period ({money(prev)}).")
    both = perf[(perf["base_revenue"] > 0) & (perf["revenue"] > 0)]

    def growth(rows: pd.DataFrame) -> str:
        return ", ".join(f"{_name(products, r.product_id)} {pct(r.growth_pct / 100, signed=True)} "
                         f"(to {money(r.revenue)})" for r in rows.itertuples())

    grow = both.sort_values("growth_pct", ascending=False).head(top)
    grow = grow[grow["growth_pct"] > 0]
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
            f"{_name(products, r.product_id)} {money(r.revenue)}" for r in new.itertuples())
            + ".")
    gone = perf[(perf["base_revenue"] > 0) & (perf["revenue"] <= 0)]
    if len(gone):
        out.append("No sales any more in the current period: " + ", ".join(
            f"{_name(products, r.product_id)} (had {money(r.base_revenue)})"
            for r in gone.itertuples()) + ".")
    return out


def _competition(orders: pd.DataFrame, products: pd.DataFrame | None,
                 competitors: pd.DataFrame | None, *, base: Window, current: Window, top: int,
                 engine: Engine) -> list[str]:
    """Regions losing market share, regions without estimates, competitors growing faster."""
    if "region" not in orders.columns:
        return []
    if competitors is None or competitors.empty:
        return ["No competitor estimates: market share cannot be judged."]
    out = []
    shares = rg.market_share(orders, competitors, products, by=("region",), engine=engine)
    change = rg.share_change(shares, base=base, current=current, by=("region",))
    losing = change[change["change_pp"] < 0]
    if len(losing):
        out.append("Regions losing market share: " + ", ".join(
            f"{r.region} {r.change_pp:+.1f} pp ({pct(r.base_share / 100, digits=1)} → "
            f"{pct(r.current_share / 100, digits=1)})" for r in losing.itertuples()) + ".")
    else:
        out.append("No region lost market share between the two periods.")
    unknown = change.loc[change["change_pp"].isna(), "region"].tolist()
    if unknown:
        out.append("No competitor estimates for both periods in: " + ", ".join(unknown)
                   + " (share change unknown).")
    faster = rg.competitor_growth(orders, competitors, products, base=base, current=current,
                                  by=("region",), engine=engine)
    faster = faster[faster["faster"]].head(top)
    if len(faster):
        out.append("Competitors growing faster than us: " + ", ".join(
            f"{r.competitor} in {r.region} {pct(r.growth_pct / 100, signed=True)} against our "
            f"{pct(r.our_growth_pct / 100, signed=True)}" for r in faster.itertuples()) + ".")
    return out


def _margins(perf: pd.DataFrame, products: pd.DataFrame | None, *, margin_floor: float,
             top: int) -> list[str]:
    """Products under the margin floor, and products whose margin is unknown."""
    out = []
    thin = perf[perf["margin_pct"] < margin_floor].sort_values("margin_pct")
    if len(thin):
        items = [f"{_name(products, r.product_id)} margin {pct(r.margin_pct / 100)} at "
                 f"{pct(r.discount_pct / 100)} average discount" if pd.notna(r.discount_pct)
                 else f"{_name(products, r.product_id)} margin {pct(r.margin_pct / 100)}"
                 for r in thin.head(2 * top).itertuples()]
        out.append(f"Products to re-price (gross margin under {pct(margin_floor / 100)} after "
                   f"discounts): {_and_more(items, len(thin))}.")
    unknown_margin = perf["note"].str.contains("margin unknown").sum()
    if unknown_margin:
        out.append(f"{unknown_margin} products have no unit cost: their margin is unknown.")
    return out


def findings(orders: pd.DataFrame, products: pd.DataFrame | None,
             competitors: pd.DataFrame | None, *, base: Window, current: Window,
             cutoffs: tuple[float, float] = (0.8, 0.95), margin_floor: float = 20.0,
             top: int = 3, engine: Engine = "duckdb") -> list[str]:
    """Rule-based findings, each with the number behind it.

    Rules: the total change; the ``top`` fastest growing and declining products (among those
    sold in both periods) and the new ones; regions losing market share and competitors
    growing faster than us (from the competitor estimates); products to re-price (gross margin
    below ``margin_floor`` percent in the current period); C-class products to review.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (columns as in ``salesnb.load(...).orders``).
    products : pandas.DataFrame or None
        Product table: names, categories and unit costs.
    competitors : pandas.DataFrame or None
        Competitor estimates; None or empty: the market-share rules say they cannot judge.
    base, current : (start, end)
        The periods compared (both days included).
    cutoffs : (float, float), default (0.8, 0.95)
        ABC cut-offs (see :func:`~salesnb.products.portfolio.abc`).
    margin_floor : float, default 20.0
        Gross margin, in percent, under which a product is listed for re-pricing.
    top : int, default 3
        Products named per rule (twice as many for the re-pricing and C-class lists).
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-bys run.

    Returns
    -------
    list of str
        Markdown sentences.
    """
    perf = performance(orders, products, current=current, base=base, engine=engine)
    out = _product_growth(perf, products, top)
    out += _competition(orders, products, competitors, base=base, current=current, top=top,
                        engine=engine)
    out += _margins(perf, products, margin_floor=margin_floor, top=top)
    classes = abc(orders, products=products, period=current, cutoffs=cutoffs, engine=engine)
    c = classes[classes["class"] == "C"]
    if len(c):
        names = _and_more([_name(products, v) for v in c["product_id"].head(2 * top)], len(c),
                          " and ")
        out.append(f"{len(c)} C-class products together make {pct(c['share'].sum(), digits=1)} "
                   f"of revenue: review whether to keep them ({names}).")
    return out
