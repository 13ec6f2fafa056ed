"""What the product and region report shows: tables for display, Markdown, the explore panel.

The presentation layer of the ``04_product_region`` notebook and its widget panel: it wires
the report's parameters to the analyses (:mod:`salesnb.products.growth`, ``pvm``,
``insights``, ``selection``) and lays out their results; it computes no analysis itself.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

import pandas as pd
from IPython.display import Markdown

from salesnb.core.fmt import escape, money, no_html, pct
from salesnb.core.periods import Window, parse_window, window_label
from salesnb.core.plots import fit
from salesnb.errors import SalesnbError
from salesnb.products.growth import performance, quarterly_growth
from salesnb.products.plots import plot_price_volume_mix
from salesnb.products.pricing import elasticity, with_margins
from salesnb.products.pvm import price_volume_mix, price_volume_totals
from salesnb.products.selection import ALL, filter_orders, options, periods
from salesnb.report.catalog import PRODUCT_PANEL
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, headless, panel

__all__ = ["period_markdown", "label_products", "product_table", "category_table",
           "pvm_table", "region_table", "discount_table", "elasticity_table",
           "findings_markdown",
           "explore_view", "explore_panel"]


def period_markdown(base: Window, current: Window, note: str = "") -> Markdown:
    """One line naming the two periods compared.

    Parameters
    ----------
    base, current : (start, end)
        The periods (both days included).
    note : str, default ""
        A sentence shown below it (Markdown, its data texts escaped): why the region asked
        for is not applied (``Selection.note`` of
        :func:`salesnb.products.scoped.report_selection`).

    Returns
    -------
    IPython.display.Markdown
        "Current period: ... compared with: ...", then the note.
    """
    line = (f"**Current period:** {window_label(current)} &nbsp;·&nbsp; "
            f"**compared with:** {window_label(base)}")
    return Markdown(f"{line}\n\n{note}" if note else line)


def label_products(frame: pd.DataFrame, products: pd.DataFrame | None, *,
                   product: str = "product_id") -> pd.DataFrame:
    """Add the product's name and category next to its id, where the product table has them.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with a ``product`` column.
    products : pandas.DataFrame or None
        Product table (``name``, ``category``).
    product : str, default "product_id"
        Product column of both tables.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with ``name`` and ``category`` after the product id (unchanged when the
        product table has neither).
    """
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


def product_table(orders: pd.DataFrame, products: pd.DataFrame | None, *, base: Window,
                  current: Window, by: str = "product_id", **columns: Any) -> pd.DataFrame:
    """Per product: the period's performance against the base, and the latest quarter's growth.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame or None
        Product table.
    base, current : (start, end)
        The periods compared; the quarter is the one holding the current period's last day.
    by : str, default "product_id"
        Items (e.g. ``"category"``).
    **columns
        Column names passed to the analysis functions (``date="InvoiceDate"``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per item with display names (``units``, ``margin %``, ``share %`` in
        percent, ``QoQ %``, ...), largest revenue first.
    """
    perf = performance(orders, products, by=by, current=current, base=base, **columns)
    last_day = parse_window(current)[1] - pd.Timedelta(days=1)
    qg = quarterly_growth(orders, products, by=by, quarter=last_day,
                          **{k: v for k, v in columns.items() if k not in ("unit_cost", "price")})
    out = perf.merge(qg[[by, "qoq_pct", "yoy_pct"]], on=by, how="left")
    out["revenue_share"] = 100 * out["revenue_share"]
    out = out[[by, "revenue", "quantity", "avg_price", "discount_pct", "margin_pct",
               "revenue_share", "base_revenue", "growth_pct", "qoq_pct", "yoy_pct", "note"]]
    out = _without_unknown(out, ("discount_pct", "margin_pct"))
    if by == "product_id":
        out = label_products(out, products)
    return out.rename(columns=_PERF_NAMES)


def _without_unknown(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Leave out the ``columns`` no row has a value in (no list price, no cost).

    The notes that only explained them go too: the section's text says what would add them.
    """
    gone = [c for c in columns if c in frame.columns and frame[c].isna().all()]
    out = frame.drop(columns=gone)
    if "margin_pct" in gone and "note" in out.columns:
        out["note"] = [
            "; ".join(p for p in str(n).split("; ") if p and not p.startswith("margin unknown"))
            for n in out["note"]]
    return out


def category_table(orders: pd.DataFrame, products: pd.DataFrame, *, base: Window,
                   current: Window) -> pd.DataFrame:
    """:func:`product_table` per product category.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame
        Product table with a ``category`` column.
    base, current : (start, end)
        The periods compared.

    Returns
    -------
    pandas.DataFrame
        One row per category.
    """
    return product_table(orders, products, base=base, current=current, by="category")


def pvm_table(pvm: pd.DataFrame, products: pd.DataFrame | None = None, *,
              top: int = 10) -> pd.DataFrame:
    """The items with the largest revenue change, and a total row (effects add up to it).

    Parameters
    ----------
    pvm : pandas.DataFrame
        From :func:`~salesnb.products.pvm.price_volume_mix`.
    products : pandas.DataFrame, optional
        Product table, for names next to product ids.
    top : int, default 10
        Items listed before the total row.

    Returns
    -------
    pandas.DataFrame
        Columns item, base, current, price, volume, mix, change and note; the last row is
        "all items" (with their number when more than ``top`` are not listed: "all 380
        items").
    """
    by = pvm.columns[0]
    cols = [by, "base_revenue", "current_revenue", "price_effect", "volume_effect",
            "mix_effect", "total", "note"]
    head = pvm[cols].head(top)
    if by == "product_id":
        head = label_products(head, products)
    label = "all items" if len(pvm) <= top else f"all {len(pvm):,} items"
    total = {**price_volume_totals(pvm)[cols[1:-1]].to_dict(), by: label, "note": ""}
    out = pd.concat([head, pd.DataFrame([total])], ignore_index=True)
    return out.rename(columns={"base_revenue": "base", "current_revenue": "current",
                               "price_effect": "price", "volume_effect": "volume",
                               "mix_effect": "mix", "total": "change"})


def region_table(perf: pd.DataFrame) -> pd.DataFrame:
    """Region performance for display: without the columns no region has a value in.

    Parameters
    ----------
    perf : pandas.DataFrame
        From :func:`salesnb.products.regions.performance`.

    Returns
    -------
    pandas.DataFrame
        The same rows; ``reps`` and ``revenue per rep`` are left out when the orders have no
        rep (and the notes saying so), growth when there is no base period, coverage when
        customers are unknown. The note "known customers = those who ever ordered" is left
        to the report's text, which defines known customers.
    """
    rep_cols = ("reps", "revenue_per_rep")
    empty = [c for c in (*rep_cols, "base_revenue", "growth_pct", "active_customers",
                         "known_customers", "coverage_pct")
             if c in perf.columns and perf[c].isna().all()]
    out = perf.drop(columns=empty)
    # the report's text defines known customers
    said: tuple[str, ...] = ("known customers = those who ever ordered",)
    if set(rep_cols) <= set(empty):
        said += ("no rep column: revenue per rep unknown",)
    if "note" in out.columns:
        out["note"] = ["; ".join(p for p in str(n).split("; ") if p and p not in said)
                       for n in out["note"]]
    return out.rename(columns={"revenue_per_rep": "revenue per rep",
                               "base_revenue": "base revenue", "growth_pct": "growth %",
                               "active_customers": "active customers",
                               "known_customers": "known customers",
                               "coverage_pct": "coverage %"})


def discount_table(bands: pd.DataFrame) -> pd.DataFrame:
    """Discount bands for display: revenue share in percent, the margin only when known.

    Parameters
    ----------
    bands : pandas.DataFrame
        From :func:`salesnb.products.pricing.discount_bands`.

    Returns
    -------
    pandas.DataFrame
        Columns discount, lines, units per line, revenue, share % and margin % (left out
        when no band has a margin: no unit costs nor profits).
    """
    out = bands.assign(revenue_share=100 * bands["revenue_share"])
    out = out.drop(columns=[c for c in ("margin_pct",) if out[c].isna().all()])
    return out.rename(columns={"band": "discount", "units_per_line": "units per line",
                               "revenue_share": "share %", "margin_pct": "margin %"})


def elasticity_table(orders: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """Price elasticity per category (or for all products), beside each one's gross margin.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame or None
        Product table (its ``category`` column, when there is one; its ``unit_cost`` for the
        margins).

    Returns
    -------
    pandas.DataFrame
        From :func:`salesnb.products.pricing.elasticity`, with the margin over the same lines
        and what a price cut does to gross profit (:func:`~salesnb.products.pricing.with_margins`):
        a cut that raises revenue can still lower profit on a thin margin.
    """
    has_category = (products is not None and "category" in products.columns
                    and products["category"].notna().any())
    table = elasticity(orders, products if has_category else None,
                       by="category" if has_category else None)
    dates = pd.to_datetime(orders["order_date"]) if "order_date" in orders.columns else None
    if dates is None or dates.dropna().empty or table.empty:
        return table
    span = (dates.min().date(), dates.max().date())
    lines, by = (orders, "category") if has_category else (
        orders.assign(group="all products"), "group")
    perf = performance(lines, products, by=by, current=span)
    return with_margins(table, perf.set_index(by)["margin_pct"])


def findings_markdown(lines: list[str]) -> Markdown:
    """The findings as a bulleted Markdown list.

    Parameters
    ----------
    lines : list of str
        From :func:`~salesnb.products.insights.findings`.

    Returns
    -------
    IPython.display.Markdown
        One bullet per finding, or a sentence saying there are none. Raw HTML in a finding
        (from a product's or a competitor's name) is shown as text
        (:func:`salesnb.core.fmt.no_html`).
    """
    if not lines:
        return Markdown("*No findings: not enough data in the two periods.*")
    return Markdown("\n".join(f"- {no_html(line)}" for line in lines))


def explore_view(region: str, category: str, base_start: str, base_end: str,
                 current_start: str, current_end: str, *, orders: pd.DataFrame,
                 products: pd.DataFrame | None, as_of: Any = None,
                 period_orders: pd.DataFrame | None = None,
                 everywhere: str = "all regions", headline_only: bool = False
                 ) -> tuple[Any, ...]:
    """The explore panel's output: price/volume/mix and products for one region and category.

    Parameters
    ----------
    region, category : str
        The filter (``"all"``: none).
    base_start, base_end, current_start, current_end : str
        The periods, as for :func:`~salesnb.products.selection.periods`.
    orders : pandas.DataFrame
        All order lines, before the filter.
    products : pandas.DataFrame or None
        Product table (for the category filter and product names).
    as_of : datetime.date, optional
        The report's as-of day (``SalesData.as_of``): the default periods end no later.
    period_orders : pandas.DataFrame, optional
        The order lines the default periods are read from (default: ``orders``); a
        region's, team's or rep's report passes the company's, so its periods are the
        report's.
    everywhere : str, default "all regions"
        How the headline names the regions when none is chosen (a rep's report: its
        region).
    headline_only : bool, default False
        Return the headline alone (a scheduled page, whose waterfall and product table for
        the report's own choice are shown above it).

    Returns
    -------
    tuple
        A headline (Markdown), the waterfall figure and the product table; or the headline
        alone, saying why, when a period has no order lines (or with ``headline_only``).
    """
    import matplotlib.pyplot as plt

    try:
        base, current = periods(orders if period_orders is None else period_orders,
                                base_start, base_end, current_start, current_end, as_of=as_of)
        sub = filter_orders(orders, products, region, category)
    except SalesnbError as exc:
        return (Markdown(f"*{escape(exc)}*"),)
    scope = " · ".join(x for x in (f"region {escape(region)}" if region != ALL
                                   else escape(everywhere),
                                   f"category {escape(category)}" if category != ALL
                                   else "all categories"))
    try:
        pvm = price_volume_mix(sub, base=base, current=current)
    except SalesnbError as exc:
        return (Markdown(f"**{scope}**: {escape(exc)}"),)
    t = price_volume_totals(pvm)
    growth = pct(t["growth"], digits=1, signed=True) if t["base_revenue"] > 0 else (
        "no base revenue")
    head = Markdown(
        f"**{scope}** — revenue {money(t['current_revenue'])} in {window_label(current)} "
        f"against {money(t['base_revenue'])} in {window_label(base)} ({growth}): volume "
        f"{money(t['volume_effect'])}, mix {money(t['mix_effect'])}, "
        f"price {money(t['price_effect'])}.")
    if headline_only:
        return (head,)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    plot_price_volume_mix(pvm, ax=ax)
    fit(fig)
    table = product_table(sub, products, base=base, current=current)
    return head, fig, show(table, precision=1, top=15)


def explore_panel(orders: pd.DataFrame, products: pd.DataFrame | None, *, as_of: Any = None,
                  period_orders: pd.DataFrame | None = None, everywhere: str = "all regions",
                  **values: Any) -> Panel | None:
    """The report's widget panel: region, category and the two periods.

    Region and category become drop-downs of the values in the data (plus ``"all"``).

    Parameters
    ----------
    orders : pandas.DataFrame
        All order lines (the panel filters them for each view).
    products : pandas.DataFrame or None
        Product table: the categories of the drop-down, names in the table.
    as_of : datetime.date, optional
        The report's as-of day (``SalesData.as_of``), for the default periods.
    period_orders, everywhere
        As for :func:`explore_view`.
    **values
        Starting values of the controls (the report's parameters); others are ignored, and
        a region or category not in the data starts at ``"all"``.

    Returns
    -------
    Panel or None
        The panel; None in a headless run, after displaying the headline of the view for
        ``values`` (see :func:`salesnb.report.widgets.panel`): those are the report's own
        choices, whose waterfall and product table the page already shows.
    """
    params = []
    for p in PRODUCT_PANEL:
        if p.name == "region" and "region" in orders.columns:
            p = dataclasses.replace(p, choices=(ALL, *options(orders["region"])))
        elif p.name == "category" and products is not None and "category" in products:
            p = dataclasses.replace(p, choices=(ALL, *options(products["category"])))
        params.append(p)
    values = {k: v for k, v in values.items() if k in {p.name for p in params}}
    for p in params:
        if p.choices and values.get(p.name, p.default) not in p.choices:
            values[p.name] = ALL
    fn = partial(explore_view, orders=orders, products=products, as_of=as_of,
                 period_orders=period_orders, everywhere=everywhere,
                 headline_only=headless())
    return panel(params, fn, values)
