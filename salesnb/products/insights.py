"""Findings in words: rules applied to the product and region analyses, each with its number.

:func:`findings` returns Markdown sentences a report lists under "Findings": the total
change, the fastest growing and declining products, new and lapsed products, regions losing
market share, competitors growing faster than us, products to re-price and the C-class tail.
Every number in a sentence is one of the analysis tables' numbers, formatted with
:mod:`salesnb.core.fmt`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from salesnb.core.fmt import money, pct, plural, some
from salesnb.core.periods import Window, window_label
from salesnb.products import regions as rg
from salesnb.products.engine import Engine, aggregate
from salesnb.products.growth import performance
from salesnb.products.portfolio import abc

__all__ = ["findings"]


def _namer(products: pd.DataFrame | None) -> Callable[[Any], str]:
    """How a sentence names a product: ``"P01 (Laser printer)"``, or its id alone."""
    names: dict[str, Any] = {}
    if products is not None and "name" in products.columns and "product_id" in products:
        known = products.dropna(subset=["name"]).drop_duplicates("product_id")
        names = dict(zip(known["product_id"].astype("str"), known["name"], strict=True))

    def name(pid: Any) -> str:
        hit = names.get(str(pid))
        return f"{pid} ({hit})" if hit is not None else str(pid)

    return name


def _company_growth(company: pd.DataFrame | None, *, base: Window, current: Window,
                    engine: Engine) -> str:
    """"; whole company: +4.2 %" for the first finding of a part's report, else ""."""
    if company is None or company.empty:
        return ""

    def revenue(window: Window) -> float:
        agg = aggregate(company, (), period=window, price=None, engine=engine)
        return float(agg["revenue"].sum()) if len(agg) else 0.0

    cur, prev = revenue(current), revenue(base)
    if not prev > 0:
        return ""
    return f"; whole company: {pct(cur / prev - 1, digits=1, signed=True)}"


def _product_growth(perf: pd.DataFrame, products: pd.DataFrame | None, top: int, *,
                    base: Window, beside: str = "") -> list[str]:
    """Total change, growing, declining, new and lapsed products."""
    name = _namer(products)
    out = []
    cur, prev = perf["revenue"].sum(), perf["base_revenue"].sum()
    if not prev > 0:
        return [f"Revenue was **{money(cur)}** in the current period; there were no sales in "
                f"the base period ({window_label(base)}), so no growth can be measured: choose "
                "a base period inside the data."]
    out.append(f"Revenue was **{money(cur)}** in the current period, "
               f"**{pct(cur / prev - 1, digits=1, signed=True)}** against the base "
               f"period ({money(prev)}{beside}).")
    both = perf[(perf["base_revenue"] > 0) & (perf["revenue"] > 0)]

    def growth(rows: pd.DataFrame) -> list[str]:
        return [f"{name(r.product_id)} {pct(r.growth_pct / 100, signed=True)} "
                f"to {money(r.revenue)}" for r in rows.itertuples()]

    grow = both[both["growth_pct"] > 0].sort_values("growth_pct", ascending=False,
                                                    kind="stable")
    if len(grow):
        out.append("Products growing: "
                   f"{some(growth(grow), top=top, noun='product', lead='the fastest')}.")
    fall = both[both["growth_pct"] < 0].sort_values("growth_pct", kind="stable")
    if len(fall):
        out.append("Products declining: "
                   f"{some(growth(fall), top=top, noun='product', lead='the steepest')}.")
    else:
        out.append("No product sold less than in the base period.")
    new = perf[(perf["base_revenue"] <= 0) & (perf["revenue"] > 0)].sort_values(
        "revenue", ascending=False, kind="stable")
    if len(new):
        items = [f"{name(r.product_id)} {money(r.revenue)}"
                 for r in new.itertuples()]
        out.append("New products (no sales in the base period, so no growth rate): "
                   f"{some(items, top=top, noun='product')}.")
    gone = perf[(perf["base_revenue"] > 0) & (perf["revenue"] <= 0)].sort_values(
        "base_revenue", ascending=False, kind="stable")
    if len(gone):
        items = [f"{name(r.product_id)} (had {money(r.base_revenue)})"
                 for r in gone.itertuples()]
        out.append("No sales any more in the current period: "
                   f"{some(items, top=top, noun='product')}.")
    return out


def _competition(orders: pd.DataFrame, products: pd.DataFrame | None,
                 competitors: pd.DataFrame | None, *, base: Window, current: Window, top: int,
                 engine: Engine, market: pd.DataFrame | None = None,
                 who: tuple[str, str] = ("us", "our"), plain: bool = False) -> list[str]:
    """Regions losing market share, regions without estimates, competitors growing faster."""
    if "region" not in orders.columns:
        return []
    if competitors is None or competitors.empty:
        return ["No competitor estimates: market share cannot be judged."]
    us, our = who
    out = []
    shares = rg.market_share(orders, competitors, products, by=("region",), engine=engine,
                             market=market)
    change = rg.share_change(shares, base=base, current=current, by=("region",))
    losing = change[change["change_pp"] < 0].sort_values("change_pp", kind="stable")
    if plain and len(change) == 1 and change["change_pp"].notna().all():
        r = next(change.itertuples())
        moved = "fell" if r.change_pp < 0 else "rose" if r.change_pp > 0 else "held"
        size = f" {abs(r.change_pp):.1f} pp" if r.change_pp != 0 else ""
        out.append(f"{our.capitalize()} share of the {r.region} market {moved}{size} between "
                   f"the two periods ({pct(r.base_share / 100, digits=1)} → "
                   f"{pct(r.current_share / 100, digits=1)}).")
    elif len(losing):
        items = [f"{r.region} {r.change_pp:+.1f} pp ({pct(r.base_share / 100, digits=1)} → "
                 f"{pct(r.current_share / 100, digits=1)})" for r in losing.itertuples()]
        out.append("Regions losing market share: "
                   f"{some(items, top=top, noun='region', lead='the largest losses')}.")
    elif change["change_pp"].notna().any():
        out.append("No region lost market share between the two periods.")
    unknown = change.loc[change["change_pp"].isna(), "region"].tolist()
    if unknown:
        out.append("No competitor estimates for both periods in "
                   f"{some(unknown, top=top, noun='region', lead='among them')} "
                   "(share change unknown).")
    faster = rg.competitor_growth(orders, competitors, products, base=base, current=current,
                                  by=("region",), engine=engine, market=market)
    faster = faster[faster["faster"]]
    if len(faster):
        items = [f"{r.competitor} in {r.region} {pct(r.growth_pct / 100, signed=True)} against "
                 f"{our} {pct(r.our_growth_pct / 100, signed=True)}" for r in faster.itertuples()]
        out.append(f"Competitors growing faster than {us}: "
                   f"{some(items, top=top, noun='competitor', lead='the largest gaps')}.")
    return out


def _margins(perf: pd.DataFrame, products: pd.DataFrame | None, *, margin_floor: float,
             top: int) -> list[str]:
    """Products under the margin floor, and products whose margin is unknown."""
    name = _namer(products)
    sold = perf[perf["revenue"] != 0]
    if len(sold) and sold["margin_pct"].isna().all():
        return ["Margins cannot be judged: the data have no product costs (add `unit_cost` "
                "to the products, or a `profit` column to the orders)."]
    out = []
    thin = perf[perf["margin_pct"] < margin_floor].sort_values("margin_pct", kind="stable")
    if len(thin):
        items = [f"{name(r.product_id)} margin {pct(r.margin_pct / 100)} at "
                 f"{pct(r.discount_pct / 100)} average discount" if pd.notna(r.discount_pct)
                 else f"{name(r.product_id)} margin {pct(r.margin_pct / 100)}"
                 for r in thin.itertuples()]
        out.append(f"Products to re-price (gross margin under {pct(margin_floor / 100)} after "
                   f"discounts): {some(items, top=2 * top, noun='product', lead='the thinnest')}.")
    unknown_margin = int(perf["note"].str.contains("margin unknown").sum())
    if unknown_margin:
        verb = "has" if unknown_margin == 1 else "have"
        out.append(f"{plural(unknown_margin, 'product')} {verb} no unit cost: "
                   f"{'its' if unknown_margin == 1 else 'their'} margin is unknown.")
    return out


def findings(orders: pd.DataFrame, products: pd.DataFrame | None,
             competitors: pd.DataFrame | None, *, base: Window, current: Window,
             cutoffs: tuple[float, float] = (0.8, 0.95), margin_floor: float = 20.0,
             top: int = 3, engine: Engine = "duckdb", company: pd.DataFrame | None = None,
             market: pd.DataFrame | None = None,
             who: tuple[str, str] = ("us", "our"), plain: bool = False) -> list[str]:
    """Rule-based findings, each with the number behind it.

    Rules: the total change; the products growing and declining (among those sold in both
    periods) and the new and lapsed ones, each list as its count and its ``top`` first items
    (:func:`salesnb.core.fmt.some`); regions losing market share and competitors
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
        Items named per list (twice as many for the re-pricing and C-class lists); a longer
        list is given as its count and these first items.
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-bys run.
    company : pandas.DataFrame, optional
        The whole company's order lines (with the same category filter), when ``orders`` are
        a region's, team's or rep's: the first finding ends with the company's growth
        between the same periods ("whole company: +4.2 %").
    market : pandas.DataFrame, optional
        The company's order lines in the markets of ``orders`` when these are only a part
        of them (a rep's, a team's): shares are the part's share of the whole market
        (:func:`~salesnb.products.regions.market_share`).
    who : (str, str), default ("us", "our")
        How the sentences name the seller whose share and growth they give ("the rep",
        "the rep's" on a rep's report).
    plain : bool, default False
        Say the share change of a single market in one sentence ("Our share of the East
        market fell 1.6 pp ...", for a region's, team's or rep's report) instead of listing
        the regions losing share.

    Returns
    -------
    list of str
        Markdown sentences.
    """
    perf = performance(orders, products, current=current, base=base, engine=engine)
    out = _product_growth(perf, products, top, base=base,
                          beside=_company_growth(company, base=base, current=current,
                                                 engine=engine))
    out += _competition(orders, products, competitors, base=base, current=current, top=top,
                        engine=engine, market=market, who=who, plain=plain)
    out += _margins(perf, products, margin_floor=margin_floor, top=top)
    if not perf["revenue"].sum() > 0:
        return out
    classes = abc(orders, products=products, period=current, cutoffs=cutoffs, engine=engine)
    c = classes[classes["class"] == "C"]
    if len(c):
        name = _namer(products)
        names = [name(v) for v in c["product_id"]]
        listed = (some(names, noun="product") if len(names) <= 2 * top
                  else "the largest: " + some(names[:2 * top], top=2 * top, noun="product"))
        out.append(f"{plural(len(c), 'C-class product')} "
                   f"{'makes' if len(c) == 1 else 'together make'} "
                   f"{pct(c['share'].sum(), digits=1)} of revenue: review whether to keep "
                   f"{'it' if len(c) == 1 else 'them'} ({listed}).")
    return out
