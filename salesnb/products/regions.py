"""Region analysis: each market's performance, coverage, win rates and competition.

Like :mod:`salesnb.products`, every function takes tables and their column names (a foreign
export where ``Country`` stands in for the region works the same), and the group-by over the
order lines runs in DuckDB (``engine="duckdb"``) or pandas (``engine="pandas"``) through
:func:`salesnb.products.aggregate`. The charts (:func:`plot_heatmap`,
:func:`plot_market_share`) live in :mod:`salesnb.products.plots` and are importable from here.

Market share comes from the competitor estimates (``competitors``: one competitor's estimated
revenue per period, region and category): our share = our revenue / (our revenue + the
competitors' estimated revenue), per region, category and quarter. Where there are no
estimates for a region, the share is unknown and the output says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import Window, parse_window, window_label
from salesnb.errors import SalesnbError
from salesnb.products.engine import Engine, _growth_pct, aggregate
from salesnb.products.plots import plot_heatmap, plot_market_share

__all__ = [
    "performance",
    "cross",
    "win_rates",
    "market_share",
    "share_change",
    "competitor_growth",
    "plot_heatmap",
    "plot_market_share",
]


def performance(orders: pd.DataFrame, *, current: Window, base: Window | None = None,
                customers: pd.DataFrame | None = None, region: str = "region",
                customer: str | None = "customer_id", rep: str | None = "rep_id",
                customer_region: str = "region", date: str = "order_date",
                quantity: str = "quantity", revenue: str = "revenue",
                engine: Engine = "duckdb") -> pd.DataFrame:
    """Revenue, growth, revenue per rep and customer coverage per region.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    current : (start, end)
        The period analysed (both days included).
    base : (start, end), optional
        The period growth is measured against.
    customers : pandas.DataFrame, optional
        Customer table: the customers based in each region (``customer_region``) are known
        there. Customers who ordered in a region at any time up to the end of ``current``
        are known there too, so a customer who buys in several regions counts once in each
        of them, as an active customer does, and coverage never exceeds 100 % (the note
        says how many of a region's known customers are based elsewhere).
    region, customer, rep, date, quantity, revenue : str
        Column names in ``orders`` (``customer`` / ``rep`` None or missing: not counted).
    customer_region : str, default "region"
        Region column of ``customers``.
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs.

    Returns
    -------
    pandas.DataFrame
        One row per region: region, revenue, base_revenue, growth_pct, reps (selling reps
        in the period), revenue_per_rep, active_customers (ordered in the period),
        known_customers (based there or ordered there up to the end of the period),
        coverage_pct (active over known: the policy's market coverage) and note. Sorted by
        revenue, largest first.
    """
    require_columns(orders, {"region": region}, table="orders")
    cust = customer if customer is not None and customer in orders.columns else None
    rp = rep if rep is not None and rep in orders.columns else None
    kw: dict[str, Any] = dict(date=date, quantity=quantity, revenue=revenue, price=None,
                              engine=engine)
    cur = aggregate(orders, region, period=current, customer=cust, rep=rp, **kw)
    if cur.empty:
        raise SalesnbError(f"no order lines in the current period {window_label(current)}; "
                           "choose dates inside the data's span")
    out = cur.set_index(region)
    res = pd.DataFrame({"revenue": out["revenue"]})
    notes = pd.Series("", index=res.index, dtype=object)

    def note(mask: pd.Series, text: str) -> None:
        notes[mask] = [f"{n}; {text}" if n else text for n in notes[mask]]

    if base is not None:
        prev = aggregate(orders, region, period=base, **kw).set_index(region)["revenue"]
        gone = prev.index.difference(res.index)  # sold in the base period only
        if len(gone):
            res = res.reindex(res.index.append(gone)).fillna({"revenue": 0.0})
            out = out.reindex(res.index).fillna({"customers": 0, "reps": 0})
            notes = notes.reindex(res.index, fill_value="")
        res["base_revenue"] = prev.reindex(res.index).fillna(0.0)
        res["growth_pct"] = _growth_pct(res["revenue"], res["base_revenue"])
        note(res["base_revenue"] <= 0, "no sales in the base period, growth undefined")
        note(res.index.isin(gone), "no sales in the current period")
    if rp:
        res["reps"] = out["reps"].fillna(0).astype("int64")
        res["revenue_per_rep"] = res["revenue"] / res["reps"].where(res["reps"] > 0)
    else:
        res["reps"] = np.nan
        res["revenue_per_rep"] = np.nan
        note(res.index == res.index, "no rep column: revenue per rep unknown")
    if cust:
        res["active_customers"] = out["customers"].fillna(0).astype("int64")
        home = (customers if customers is not None and customer_region in customers.columns
                and cust in customers.columns else None)
        known, elsewhere = _known_customers(orders, home, region=region, customer=cust,
                                            customer_region=customer_region, date=date,
                                            quantity=quantity, revenue=revenue,
                                            until=parse_window(current)[1], engine=engine)
        res["known_customers"] = known.reindex(res.index).fillna(0).astype("int64")
        if home is None:
            note(res.index == res.index, "known customers = those who ever ordered")
        away = elsewhere.reindex(res.index).fillna(0).astype("int64")
        for r, n in away[away > 0].items():
            note(res.index == r, f"{n:,} of the known customers {'is' if n == 1 else 'are'} "
                 "based in another region (a customer counts in every region it bought in)")
        res["coverage_pct"] = (100 * res["active_customers"]
                               / res["known_customers"].where(res["known_customers"] > 0))
        note(res["known_customers"] <= 0, "no known customers: coverage unknown")
    else:
        res["active_customers"] = np.nan
        res["known_customers"] = np.nan
        res["coverage_pct"] = np.nan
        note(res.index == res.index, "no customer column: coverage unknown")
    res["note"] = notes
    res.index.name = region
    return res.reset_index().sort_values("revenue", ascending=False,
                                         kind="stable").reset_index(drop=True)


def _known_customers(orders: pd.DataFrame, home: pd.DataFrame | None, *, region: str,
                     customer: str, customer_region: str, date: str, quantity: str,
                     revenue: str, until: pd.Timestamp,
                     engine: Engine) -> tuple[pd.Series, pd.Series]:
    """Known customers per region, counted like the active ones: once per region bought in.

    A region's known customers are those based there (``home``, the customer table) and
    those who ordered there before ``until``; a customer who bought in two regions is known
    in both, so the active customers of a region are always among its known ones (coverage
    at most 100 %). Returns the counts and, per region, how many of them are based elsewhere.
    """
    lines = orders[orders[region].notna() & orders[customer].notna()
                   & (pd.to_datetime(orders[date]) < until)]
    bought = (aggregate(lines, [region, customer], quantity=quantity, revenue=revenue,
                        price=None, engine=engine)
              if len(lines) else pd.DataFrame(columns=[region, customer]))
    pairs = bought[[region, customer]].astype("str").assign(based=False)
    if home is not None:
        based = home.loc[home[customer_region].notna(), [customer, customer_region]]
        based = based.rename(columns={customer_region: region}).astype("str")
        pairs = pd.concat([based.assign(based=True), pairs], ignore_index=True)
        pairs = pairs.groupby([region, customer], as_index=False)["based"].max()
        where = home.drop_duplicates(customer).set_index(customer)[customer_region]
        other = pairs[customer].map(where.astype("str").to_dict())
        pairs["elsewhere"] = other.notna() & (other != pairs[region])
    else:
        pairs = pairs.drop_duplicates([region, customer]).assign(elsewhere=False)
    counts = pairs.groupby(region).agg(known=(customer, "size"), elsewhere=("elsewhere", "sum"))
    return counts["known"], counts["elsewhere"]


def cross(orders: pd.DataFrame, products: pd.DataFrame | None = None, *, rows: str = "region",
          cols: str = "category", period: Window | None = None, value: str = "revenue",
          date: str = "order_date", product: str = "product_id",
          engine: Engine = "duckdb") -> pd.DataFrame:
    """Region x category table (or any two columns) of revenue, for a heatmap.

    Parameters
    ----------
    orders, products, period, date, product, engine
        As for :func:`salesnb.products.aggregate`.
    rows, cols : str
        The two columns (from ``orders`` or ``products``).
    value : str, default "revenue"
        What is summed.

    Returns
    -------
    pandas.DataFrame
        Index: ``rows`` values; one column per ``cols`` value; 0 where nothing was sold.
    """
    agg = aggregate(orders, [rows, cols], products=products, period=period, date=date,
                    quantity=value, revenue=value, price=None, product=product, engine=engine)
    return agg.pivot_table(index=rows, columns=cols, values="revenue", aggfunc="sum",
                           fill_value=0.0)


def win_rates(opportunities: pd.DataFrame, *, customers: pd.DataFrame | None = None,
              reps: pd.DataFrame | None = None, period: Window | None = None,
              region: str = "region", stage: str = "stage", amount: str = "amount",
              closed: str = "closed_date", customer: str = "customer_id",
              rep: str = "rep_id") -> pd.DataFrame:
    """Opportunity win rate by region: won / (won + lost) among deals closed in the period.

    The region of a deal is its customer's region (``customers``), or its rep's (``reps``)
    when no customer table is given, or a ``region`` column of ``opportunities`` itself.

    Parameters
    ----------
    opportunities : pandas.DataFrame
        Deals with a stage (``won``/``lost`` when closed) and a close date.
    customers, reps : pandas.DataFrame, optional
        Where the region comes from.
    period : (start, end), optional
        Only deals closed within it.
    region, stage, amount, closed, customer, rep : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per region: region, won, lost, win_rate (by count, in percent),
        amount_win_rate (won amount over closed amount, in percent). Regions with no closed
        deal are absent.
    """
    require_columns(opportunities, [stage], table="opportunities")
    opp = opportunities
    if region in opp.columns:
        reg = opp[region]
    elif (customers is not None and customer in opp.columns
          and {customer, region} <= set(customers.columns)):
        reg = opp[customer].map(customers.drop_duplicates(customer).set_index(customer)[region])
    elif reps is not None and rep in opp.columns and {rep, region} <= set(reps.columns):
        reg = opp[rep].map(reps.drop_duplicates(rep).set_index(rep)[region])
    else:
        raise SalesnbError("opportunities have no region: pass customers= (with "
                           f"{customer!r} and {region!r}) or reps=, or add a {region!r} column")
    df = pd.DataFrame({"region": reg, "stage": opp[stage],
                       "amount": opp[amount] if amount in opp.columns else np.nan})
    if period is not None:
        require_columns(opportunities, [closed], table="opportunities")
        lo, hi = parse_window(period)
        d = pd.to_datetime(opp[closed])
        df = df[(d >= lo) & (d < hi)]
    df = df[df["stage"].isin(["won", "lost"]) & df["region"].notna()]
    won = df["stage"] == "won"
    g = df.assign(won=won, lost=~won, won_amount=df["amount"].where(won, 0.0)).groupby("region")
    out = g.agg(won=("won", "sum"), lost=("lost", "sum"), amount=("amount", "sum"),
                won_amount=("won_amount", "sum"))
    out["win_rate"] = 100 * out["won"] / (out["won"] + out["lost"])
    out["amount_win_rate"] = 100 * out["won_amount"] / out["amount"].where(out["amount"] > 0)
    out = out[["won", "lost", "win_rate", "amount_win_rate"]].astype(
        {"won": "int64", "lost": "int64"})
    out.index.name = region
    return out.reset_index().sort_values("win_rate", ascending=False,
                                         kind="stable").reset_index(drop=True)


def market_share(orders: pd.DataFrame, competitors: pd.DataFrame | None,
                 products: pd.DataFrame | None = None, *,
                 by: Sequence[str] = ("region", "category"), freq: str = "QS",
                 competitor: str = "competitor", estimate: str = "estimated_revenue",
                 period: str = "period", date: str = "order_date", revenue: str = "revenue",
                 product: str = "product_id", engine: Engine = "duckdb",
                 market: pd.DataFrame | None = None) -> pd.DataFrame:
    """Our share of the market per region and category and period, from competitor estimates.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    competitors : pandas.DataFrame or None
        Estimates: ``period`` (start of the period), the ``by`` columns, ``competitor`` and
        ``estimate``. None or empty: every share is unknown (said in ``note``).
    products : pandas.DataFrame, optional
        Gives ``category`` to the orders.
    by : sequence of str, default ("region", "category")
        Market cells; ``("region",)`` adds the categories up.
    freq : {"MS", "QS", "YS"}, default "QS"
        Period of the estimates (quarters in the sample).
    competitor, estimate, period, date, revenue, product : str
        Column names.
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the order group-by runs.
    market : pandas.DataFrame, optional
        The order lines of the whole company in these markets, when ``orders`` are only a
        part of them (a rep's or a team's): the market is then the company's revenue there
        plus the competitors', and the share is the part's (a rep's share of the South
        market). Default: ``orders`` are the company's.

    Returns
    -------
    pandas.DataFrame
        One row per cell and period with our revenue or an estimate: ``*by``, period,
        our_revenue, competitor_revenue, competitors (how many), market, share (0-1; NaN
        without estimates) and note.
    """
    keys = list(by)

    def revenue_of(lines: pd.DataFrame, name: str) -> pd.DataFrame:
        agg = aggregate(lines, keys, freq=freq, products=products, date=date, revenue=revenue,
                        quantity=revenue, price=None, product=product, engine=engine)
        return agg[keys + ["period", "revenue"]].rename(columns={"revenue": name})

    ours = revenue_of(orders, "our_revenue")
    if market is not None:
        ours = ours.merge(revenue_of(market, "_company"), on=[*keys, "period"], how="outer")
    if competitors is None or competitors.empty:
        theirs = pd.DataFrame(columns=[*keys, "period", "competitor_revenue", "competitors"])
    else:
        require_columns(competitors, [period, competitor, estimate, *keys], table="competitors")
        comp = competitors.assign(_p=pd.to_datetime(competitors[period]).astype(
            "datetime64[ns]"))
        theirs = (comp.groupby([*keys, "_p"]).agg(competitor_revenue=(estimate, "sum"),
                                                  competitors=(competitor, "nunique"))
                  .reset_index().rename(columns={"_p": "period"}))
        for k in keys:
            theirs[k] = theirs[k].astype("str")
    out = ours.merge(theirs, on=[*keys, "period"], how="outer")
    out["our_revenue"] = out["our_revenue"].fillna(0.0).astype(float)
    out["competitor_revenue"] = out["competitor_revenue"].astype(float)
    known = out["competitor_revenue"].notna()
    company = (out.pop("_company").astype(float).fillna(out["our_revenue"])
               if "_company" in out.columns else out["our_revenue"])
    out["market"] = (company + out["competitor_revenue"]).where(known)
    out["share"] = (out["our_revenue"] / out["market"].where(out["market"] > 0))
    out["competitors"] = out["competitors"].fillna(0).astype("int64")
    out["note"] = np.where(known, "", "no competitor estimates: share unknown")
    return out.sort_values([*keys, "period"], kind="stable").reset_index(drop=True)


def _in(periods: pd.Series, window: Window) -> pd.Series:
    lo, hi = parse_window(window)
    return (periods >= lo) & (periods < hi)


def share_change(shares: pd.DataFrame, *, base: Window, current: Window,
                 by: Sequence[str] = ("region",)) -> pd.DataFrame:
    """Market share gained or lost between two periods, per region (or any cells).

    Parameters
    ----------
    shares : pandas.DataFrame
        From :func:`market_share`.
    base, current : (start, end)
        The periods compared; a share period belongs to one if it starts within it.
    by : sequence of str, default ("region",)
        Cells to compare (columns of ``shares``).

    Returns
    -------
    pandas.DataFrame
        One row per cell: ``*by``, base_share, current_share (in percent, our revenue over
        the market summed over the periods with estimates), change_pp (percentage points)
        and note ("no competitor estimates ...").
    """
    keys = list(by)
    parts = {}
    for name, window in (("base", base), ("current", current)):
        s = shares[_in(shares["period"], window) & shares["market"].notna()]
        g = s.groupby(keys)[["our_revenue", "market"]].sum()
        parts[name] = 100 * g["our_revenue"] / g["market"].where(g["market"] > 0)
    cells = shares[keys].drop_duplicates().set_index(keys).index
    out = pd.DataFrame({"base_share": parts["base"].reindex(cells),
                        "current_share": parts["current"].reindex(cells)})
    out["change_pp"] = out["current_share"] - out["base_share"]
    out["note"] = np.where(out["base_share"].isna() & out["current_share"].isna(),
                           "no competitor estimates: share unknown",
                           np.where(out["change_pp"].isna(),
                                    "estimates for one period only: change unknown", ""))
    return out.reset_index().sort_values("change_pp", kind="stable",
                                         na_position="last").reset_index(drop=True)


def competitor_growth(orders: pd.DataFrame, competitors: pd.DataFrame | None,
                      products: pd.DataFrame | None = None, *, base: Window, current: Window,
                      by: Sequence[str] = ("region",), competitor: str = "competitor",
                      estimate: str = "estimated_revenue", period: str = "period",
                      date: str = "order_date", revenue: str = "revenue",
                      product: str = "product_id", engine: Engine = "duckdb",
                      market: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each competitor's growth against ours in the same market, between two periods.

    Only periods with estimates count, for both sides, so we compare like with like.

    Parameters
    ----------
    orders, competitors, products, competitor, estimate, period, date, revenue, product, engine
        As for :func:`market_share`.
    market : pandas.DataFrame, optional
        As for :func:`market_share` (our growth is then that of ``orders``, a rep's or a
        team's, in the periods with estimates).
    base, current : (start, end)
        The periods compared.
    by : sequence of str, default ("region",)
        Markets (columns of both tables).

    Returns
    -------
    pandas.DataFrame
        One row per market and competitor: ``*by``, competitor, their base and current
        revenue and growth_pct, our_growth_pct, gap_pp (theirs minus ours) and
        faster (True where the competitor grows faster than us). Sorted by gap, largest
        first. Empty when there are no estimates.
    """
    keys = list(by)
    cols = [*keys, competitor, "base", "current", "growth_pct", "our_growth_pct", "gap_pp",
            "faster"]
    if competitors is None or competitors.empty:
        return pd.DataFrame(columns=cols)
    require_columns(competitors, [period, competitor, estimate, *keys], table="competitors")
    comp = competitors.assign(_p=pd.to_datetime(competitors[period]).astype("datetime64[ns]"))
    shares = market_share(orders, competitors, products, by=keys, competitor=competitor,
                          estimate=estimate, period=period, date=date, revenue=revenue,
                          product=product, engine=engine, market=market)
    frames: dict[str, Any] = {}
    for name, window in (("base", base), ("current", current)):
        c = comp[_in(comp["_p"], window)]
        frames[name] = c.groupby([*keys, competitor])[estimate].sum()
        s = shares[_in(shares["period"], window) & shares["market"].notna()]
        frames["our_" + name] = s.groupby(keys)["our_revenue"].sum()
    out = pd.DataFrame({"base": frames["base"], "current": frames["current"]}).fillna(0.0)
    out["growth_pct"] = _growth_pct(out["current"], out["base"])
    ours = _growth_pct(frames["our_current"],
                       frames["our_base"].reindex(frames["our_current"].index))
    out = out.reset_index()
    for k in keys:
        out[k] = out[k].astype("str")
    ours.index = ours.index.astype("str") if len(keys) == 1 else ours.index
    our_map = ours.rename("our_growth_pct").reset_index()
    out = out.merge(our_map, on=keys, how="left")
    out["gap_pp"] = out["growth_pct"] - out["our_growth_pct"]
    out["faster"] = (out["gap_pp"] > 0).fillna(False).astype(bool)
    return out[cols].sort_values("gap_pp", ascending=False, kind="stable",
                                 na_position="last").reset_index(drop=True)
