"""The product and region report for its scope: the company, a region, a team or a rep.

The ``04_product_region`` notebook runs on data filtered to one scope
(:func:`salesnb.scope.apply_scope`): every product table is the scope's order lines. These
views add what the scope changes:

* :func:`report_selection` picks the order lines, the region and category filter and the two
  periods (the same periods on every page: they come from the company's data), and has a
  sentence when the ``region`` parameter names a region outside the scope
  (:func:`salesnb.products.views.period_markdown` shows it);
* the region section compares the regions on the company's report, and on a region's,
  team's or rep's report sets the scope's region(s) against one :data:`COMPANY_ROW` line
  (:func:`region_view`, :func:`category_mix_view`, :func:`win_rate_view`): no other region is
  named;
* market share is the scope's share of its own region(s)' market (:func:`market_shares`,
  :func:`competitor_view`): on a team's or rep's report the market is the whole company's
  revenue there plus the competitors';
* :func:`scope_findings` states the findings of the scope's numbers, with the company's
  growth beside the scope's.

Pure functions on :class:`~salesnb.data.loader.SalesData` and DataFrames; the Markdown and
the panel are in :mod:`salesnb.products.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.axes import Axes

from salesnb.core.fmt import escape
from salesnb.core.periods import Window
from salesnb.products import regions as rg
from salesnb.products.insights import findings
from salesnb.products.selection import (
    ALL,
    filter_competitors,
    filter_orders,
    options,
    periods,
    with_region,
)
from salesnb.products.views import explore_panel, region_table
from salesnb.report.widgets import Panel
from salesnb.scope.filters import scoped

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData
    from salesnb.scope.model import Scope

__all__ = ["COMPANY_ROW", "OTHER_REGIONS", "Selection", "report_selection",
           "scope_findings", "scope_rows", "region_view",
           "category_mix_view", "win_rate_view", "market_shares", "competitor_view",
           "explore"]

#: The label of the one company line beside a region's, team's or rep's figures.
COMPANY_ROW = "Whole company"
#: The label of a scope's order lines placed in a region outside the scope's own.
OTHER_REGIONS = "other regions"


@dataclass(frozen=True)
class Selection:
    """What the report analyses: order lines, filters and periods, for the report's scope.

    Attributes
    ----------
    every_region : pandas.DataFrame
        The scope's order lines, each with a region (its own, else its customer's).
    orders : pandas.DataFrame
        Those of the region and category chosen (the product tables' lines).
    regional : pandas.DataFrame
        Those of the category chosen, in every region of the scope (the region section's).
    competitors : pandas.DataFrame or None
        The scope's competitor estimates of the region and category chosen.
    base, current : (date, date)
        The two periods compared (both days included).
    region, category : str
        The filters applied (``"all"``: none); a region outside the scope becomes "all".
    note : str
        A sentence when the ``region`` asked for is outside the scope, else "".
    company : pandas.DataFrame or None
        The whole company's order lines of the category chosen (for the one company line);
        None on the company's own report.
    market : pandas.DataFrame or None
        The whole company's order lines of the category chosen in the scope's regions, when
        the scope is a part of them (a team's or a rep's report): the market its share is
        measured against. None when the scope's order lines are the whole market (the
        company's or a region's report).
    dates : pandas.DataFrame or None
        The order lines the default periods were read from: the company's on a region's,
        team's or rep's report (None on the company's: its own lines).
    """

    every_region: pd.DataFrame
    orders: pd.DataFrame
    regional: pd.DataFrame
    competitors: pd.DataFrame | None
    base: Window
    current: Window
    region: str = ALL
    category: str = ALL
    note: str = ""
    company: pd.DataFrame | None = None
    market: pd.DataFrame | None = None
    dates: pd.DataFrame | None = None


def _in_scope(region: str, scope: Scope, every: pd.DataFrame) -> tuple[str, str]:
    """The region filter to use, and a sentence when ``region`` is outside the scope."""
    if scope.is_company or not region or region == ALL:
        return region or ALL, ""
    have = list(scope.regions) or (options(every["region"]) if "region" in every else [])
    match = {r.casefold(): r for r in have}.get(str(region).strip().casefold())
    if match is not None:
        return match, ""
    shown = ", ".join(escape(r) for r in have) or "its own order lines"
    return ALL, (f"The region {escape(region)!r} asked for is outside this report's scope "
                 f"({escape(scope.label)}): the report shows {shown} instead.")


def report_selection(d: SalesData, region: str = ALL, category: str = ALL,
                     base_start: Any = "", base_end: Any = "", current_start: Any = "",
                     current_end: Any = "") -> Selection:
    """The order lines, filters and periods of the product and region report.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    region, category : str, default "all"
        The report's filters. On a region's, team's or rep's report ``"all"`` means the
        scope's region(s), and a region outside the scope is not applied: the note says so.
    base_start, base_end, current_start, current_end : str
        The periods, as for :func:`~salesnb.products.selection.periods`; the defaults come
        from the company's order lines, so every page of a scheduled run compares the same
        two periods.

    Returns
    -------
    Selection

    Raises
    ------
    SalesnbError
        On the company's report, a region or category the data does not hold (naming the
        ones it holds); on any report, a category the products do not hold.
    """
    scope = scoped(d)
    products = d.get("products")
    every = with_region(d.orders, d.get("customers"))
    region, note = _in_scope(region, scope, every)
    orders = filter_orders(every, products, region, category)
    regional = filter_orders(every, products, ALL, category)
    competitors = filter_competitors(d.get("competitors"), region, category)
    company = market = dated = None
    if not scope.is_company:
        whole = d.company
        company_every = with_region(whole.orders, whole.get("customers"))
        company = filter_orders(company_every, products, ALL, category)
        dated = company_every
        if scope.kind in ("manager", "rep") and "region" in company.columns \
                and "region" in every.columns:
            markets = set(every["region"].dropna().astype(str))
            market = company[company["region"].astype(str).isin(markets)]
    base, current = periods(every if dated is None else dated, base_start, base_end,
                            current_start, current_end, as_of=d.as_of)
    return Selection(every, orders, regional, competitors, base, current, region, category,
                     note, company, market, dated)


def _who(scope: Scope) -> tuple[str, str]:
    return {"rep": ("the rep", "the rep's"),
            "manager": ("the team", "the team's")}.get(scope.kind, ("us", "our"))


def _market_of(selection: Selection) -> pd.DataFrame | None:
    """The market lines of the region chosen (all the scope's regions for "all")."""
    market = selection.market
    if market is None or selection.region == ALL:
        return market
    return market[market["region"].astype(str) == selection.region]


def scope_findings(d: SalesData, selection: Selection, *,
                   cutoffs: tuple[float, float] = (0.8, 0.95),
                   margin_floor: float = 20.0) -> list[str]:
    """The findings in words of the scope's numbers.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    selection : Selection
        From :func:`report_selection`.
    cutoffs : (float, float), default (0.8, 0.95)
        ABC cut-offs.
    margin_floor : float, default 20.0
        Gross margin, in percent, under which a product is listed for re-pricing.

    Returns
    -------
    list of str
        :func:`~salesnb.products.insights.findings` of the selection's order lines (for
        :func:`~salesnb.products.views.findings_markdown`); on a
        region's, team's or rep's report the total change ends with the whole company's
        ("whole company: +4.2 %"), and market share is the scope's share of its region's
        market ("the rep's share of the South market ...").
    """
    scope = scoped(d)
    return findings(selection.orders, d.get("products"), selection.competitors,
                    base=selection.base, current=selection.current, cutoffs=cutoffs,
                    margin_floor=margin_floor, company=selection.company,
                    market=_market_of(selection), who=_who(scope), plain=not scope.is_company)


def _row_label(scope: Scope, region: str) -> str:
    if scope.kind == "manager":
        return f"{region} (team)"
    if scope.kind == "rep":
        return f"{region} ({scope.value})"
    return region


def scope_rows(frame: pd.DataFrame, d: SalesData, *, column: str = "region") -> pd.DataFrame:
    """A scope's lines labelled for its page: its own regions, every other one as one.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a ``column`` (order lines, deals).
    d : SalesData
        The report's data (its scope).
    column : str, default "region"
        The region column.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself on the company's report. Else a copy whose regions outside the
        scope read :data:`OTHER_REGIONS` (a rep who sold once elsewhere names no other
        region), and on a team's or rep's report the scope's regions read "East (team)",
        "South (R013)": the row holds the team's or rep's figures there, not the region's.
    """
    scope = scoped(d)
    if scope.is_company or column not in frame.columns:
        return frame
    values = frame[column].astype("string")
    own = set(scope.regions) or set(values.dropna())
    labels = {r: _row_label(scope, r) for r in own}
    out = frame.copy()
    out[column] = values.map(lambda v: labels.get(v, OTHER_REGIONS) if pd.notna(v) else v)
    return out


def _whole(frame: pd.DataFrame | None, column: str = "region") -> pd.DataFrame | None:
    return None if frame is None else frame.assign(**{column: COMPANY_ROW})


def region_view(d: SalesData, selection: Selection) -> pd.DataFrame:
    """Revenue, growth, revenue per rep and coverage per region, for the scope's report.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    selection : Selection
        From :func:`report_selection`.

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.products.views.region_table` of
        :func:`~salesnb.products.regions.performance`: every region on the company's
        report; on a region's, team's or rep's report the scope's region(s) (labelled by
        :func:`scope_rows`, coverage of the scope's customers) and a last row
        :data:`COMPANY_ROW`, the whole company's figures (all regions as one).
    """
    customers = d.get("customers")
    perf = rg.performance(scope_rows(selection.regional, d), current=selection.current,
                          base=selection.base, customers=scope_rows(customers, d)
                          if customers is not None else None)
    if selection.company is None:
        return region_table(perf)
    whole = d.company.get("customers")
    company = rg.performance(_whole(selection.company), current=selection.current,
                             base=selection.base,
                             customers=_whole(whole) if whole is not None
                             and "region" in whole.columns else None)
    return region_table(pd.concat([perf, company], ignore_index=True))


def category_mix_view(d: SalesData, selection: Selection, *, ax: Axes | None = None) -> Axes:
    """The revenue per region and category heatmap, for the scope's report.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    selection : Selection
        From :func:`report_selection`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: the current axes).

    Returns
    -------
    matplotlib.axes.Axes
        On the company's report the revenue of every region and category (thousands); on a
        region's, team's or rep's report each category's share of the revenue (% of the
        row) of the scope's region(s) and of the :data:`COMPANY_ROW`, so the scope's
        product mix reads against the company's.
    """
    products = d.get("products")
    table = rg.cross(scope_rows(selection.regional, d), products, period=selection.current)
    if selection.company is None:
        return rg.plot_heatmap(table, ax=ax)
    whole = rg.cross(_whole(selection.company), products, period=selection.current)
    mix = pd.concat([table, whole]).fillna(0.0)
    return rg.plot_heatmap(mix, normalise=True, ax=ax,
                           title="Revenue by category against the whole company")


def _deal_regions(opportunities: pd.DataFrame, customers: pd.DataFrame | None,
                  reps: pd.DataFrame | None) -> pd.DataFrame:
    """Deals with a region column: their own, else their customer's, else their rep's."""
    if "region" in opportunities.columns:
        return opportunities
    for table, key in ((customers, "customer_id"), (reps, "rep_id")):
        if table is not None and {key, "region"} <= set(table.columns) \
                and key in opportunities.columns:
            where = table.drop_duplicates(key).set_index(key)["region"]
            return opportunities.assign(region=opportunities[key].map(where))
    return opportunities


def win_rate_view(d: SalesData, selection: Selection) -> pd.DataFrame:
    """The win rate per region of the deals closed in the current period, for the scope.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    selection : Selection
        From :func:`report_selection`.

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.products.regions.win_rates`: every region on the company's report;
        on a region's, team's or rep's report the scope's deals per region (labelled by
        :func:`scope_rows`; a deal's region is its customer's, looked up in the company's
        customers) and a last row :data:`COMPANY_ROW` of all the company's deals.
    """
    opportunities = d.opportunities
    if selection.company is None:
        return rg.win_rates(opportunities, customers=d.get("customers"), reps=d.get("reps"),
                            period=selection.current)
    whole = d.company
    placed = _deal_regions(opportunities, whole.get("customers"), whole.get("reps"))
    own = rg.win_rates(scope_rows(placed, d), period=selection.current)
    company = rg.win_rates(_whole(whole.opportunities), period=selection.current)
    return pd.concat([own, company], ignore_index=True)


def market_shares(d: SalesData, selection: Selection) -> pd.DataFrame:
    """Our share of each market of the scope per region, category and quarter.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope (its competitor estimates are those of its
        regions).
    selection : Selection
        From :func:`report_selection`.

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.products.regions.market_share` of the scope's order lines (the
        category chosen) against its regions' competitor estimates; on a team's or rep's
        report the share is the team's or rep's of the whole market (the company's revenue
        there plus the competitors').
    """
    competitors = filter_competitors(d.get("competitors"), ALL, selection.category)
    return rg.market_share(selection.regional, competitors, d.get("products"),
                           market=selection.market)


def competitor_view(d: SalesData, selection: Selection) -> pd.DataFrame:
    """Each competitor's growth against the scope's in the scope's markets.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    selection : Selection
        From :func:`report_selection`.

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.products.regions.competitor_growth`; ``our_growth_pct`` is the
        scope's growth (the team's or rep's on their report).
    """
    competitors = filter_competitors(d.get("competitors"), ALL, selection.category)
    return rg.competitor_growth(selection.regional, competitors, d.get("products"),
                                base=selection.base, current=selection.current,
                                market=selection.market)


def explore(d: SalesData, selection: Selection, **values: Any) -> Panel | None:
    """The report's explore panel on the scope's order lines, with the report's periods.

    Parameters
    ----------
    d : SalesData
        The report's data, filtered to its scope.
    selection : Selection
        From :func:`report_selection` (its region is the panel's first one).
    **values
        The panel's starting values (``category`` and the periods; see
        :func:`~salesnb.products.views.explore_panel`).

    Returns
    -------
    Panel or None
        :func:`~salesnb.products.views.explore_panel`: its region drop-down lists the
        scope's regions only, and its default periods are the report's (the company's).
    """
    scope = scoped(d)
    regions = list(scope.regions) if not scope.is_company else []
    everywhere = ("all regions" if not regions else
                  f"all of {', '.join(regions)}" if len(regions) > 1 else regions[0])
    return explore_panel(selection.every_region, d.get("products"), as_of=d.as_of,
                         period_orders=selection.dates, everywhere=everywhere,
                         **{**values, "region": selection.region})
