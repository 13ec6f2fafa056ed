"""What a product report looks at: the two periods compared and the region/category filter.

The report's parameters are text (empty meaning "the default"); these functions turn them
into the windows and the order lines the analyses take, and say what is wrong otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import Window, parse_day, parse_window, window_label
from salesnb.errors import SalesnbError
from salesnb.products.engine import default_periods

__all__ = ["ALL", "periods", "comparison_gap", "with_region", "options", "filter_orders",
           "filter_competitors"]

#: The value of the region / category parameters that means "no filter".
ALL = "all"
#: A period parameter written as a year, quarter or month (``2025``, ``2025Q4``, ``2025-12``).
_PERIOD_TEXT = re.compile(r"^\d{4}(\s*-?\s*[Qq][1-4]|-\d{1,2})?$")


def _bound(value: Any, name: str, *, last: bool) -> tuple[pd.Timestamp | None, bool]:
    """A period parameter as a day: ISO day, or a period text (its first or last day).

    Returns the day (None when empty) and whether the text was a whole period.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, str) and _PERIOD_TEXT.match(value.strip()):
        lo, hi = parse_window(value.strip(), name=name)
        return (hi - pd.Timedelta(days=1) if last else lo), True
    day = parse_day(value, name=name)
    return (None if day is None else pd.Timestamp(day)), False


def periods(orders: pd.DataFrame, base_start: Any = "", base_end: Any = "",
            current_start: Any = "", current_end: Any = "", *, date: str = "order_date",
            as_of: Any = None) -> tuple[Window, Window]:
    """The two periods a report compares, from its parameters (empty: sensible defaults).

    Without dates, ``current`` is the last 12 complete months and ``base`` the 12 before
    (:func:`~salesnb.products.engine.default_periods`; shorter when the data hold fewer than
    24 complete months). A missing base start or end is the current one a year earlier.
    Each parameter is a day (``2025-12-31``) or a period: ``2025``, ``2025Q4``, ``2025-12``
    stand for their first day as a start and their last day as an end, and a period given
    as the start alone (``current_start="2025Q4"``) is the whole period.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (their last date gives the defaults).
    base_start, base_end : str, default ""
        First and last day of the base period (empty: the current one a year earlier).
    current_start, current_end : str, default ""
        First and last day of the current period (both or neither, or one period text).
    date : str, default "order_date"
        Date column of ``orders``.
    as_of : datetime.date or None, optional
        The report's as-of day (``SalesData.as_of``): the default periods end no later.

    Returns
    -------
    tuple
        ``(base, current)`` as pairs of dates, both days included.

    Raises
    ------
    SalesnbError
        If only one end of the current period is given (and it is not a period).
    PeriodError
        If a day cannot be read or a period is reversed.
    """
    cs, cs_whole = _bound(current_start, "current_start", last=False)
    ce, ce_whole = _bound(current_end, "current_end", last=True)
    if cs is not None and ce is None and cs_whole:
        ce = _bound(current_start, "current_start", last=True)[0]
    elif ce is not None and cs is None and ce_whole:
        cs = _bound(current_end, "current_end", last=False)[0]
    if (cs is None) != (ce is None):
        raise SalesnbError("give both current_start and current_end, or neither (the last 12 "
                           "complete months), or one period such as 2025Q4")
    bs, bs_whole = _bound(base_start, "base_start", last=False)
    be, be_whole = _bound(base_end, "base_end", last=True)
    if bs is not None and be is None and bs_whole:
        be = _bound(base_start, "base_start", last=True)[0]
    elif be is not None and bs is None and be_whole:
        bs = _bound(base_end, "base_end", last=False)[0]
    default_base, default_current = default_periods(orders, date=date, as_of=as_of)
    current = ((cs.date(), ce.date()) if cs is not None and ce is not None
               else default_current)
    lo, hi = parse_window(current, name="current")
    year = pd.DateOffset(years=1)
    if bs is not None or be is not None or cs is not None:
        base = ((bs if bs is not None else lo - year).date(),
                (be if be is not None else hi - pd.Timedelta(days=1) - year).date())
    else:
        base = default_base
    base_lo, base_hi = parse_window(base, name="base")
    day = pd.Timedelta(days=1)
    return (base_lo.date(), (base_hi - day).date()), (lo.date(), (hi - day).date())


def comparison_gap(orders: pd.DataFrame, *, base: Window | None = None,
                   current: Window | None = None, date: str = "order_date") -> str:
    """Why a section cannot run: one of its periods has no order lines ("" when all have).

    A report section passes this as its ``blocked`` reason
    (:func:`salesnb.report.sections.section`): price, volume and mix need both periods, the
    ABC classes the current one.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    base, current : (start, end), optional
        The periods that must hold order lines (both days included).
    date : str, default "order_date"
        Date column.

    Returns
    -------
    str
        E.g. "no order lines in the base period 2009-02-01 – 2010-01-31 (the data run from
        2010-12-01 to 2011-02-23); choose base dates inside that span", or "".
    """
    require_columns(orders, {"date": date}, table="orders")
    days = pd.to_datetime(orders[date])
    for name, window in (("base", base), ("current", current)):
        if window is None:
            continue
        lo, hi = parse_window(window, name=name)
        if not ((days >= lo) & (days < hi)).any():
            span = (f"the data run from {days.min():%Y-%m-%d} to {days.max():%Y-%m-%d}"
                    if days.notna().any() else "the orders have no dates")
            return (f"no order lines in the {name} period {window_label(window)} ({span}); "
                    f"choose {name} dates inside that span")
    return ""


def with_region(orders: pd.DataFrame, customers: pd.DataFrame | None, *,
                region: str = "region", customer: str = "customer_id") -> pd.DataFrame:
    """Order lines with a region: their own, else their customer's.

    An export without a region on its lines still has regions when the customer table has
    them; lines whose own region is empty take their customer's too.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    customers : pandas.DataFrame or None
        Customer table (``customer`` and ``region`` columns).
    region, customer : str
        Column names (the same in both tables).

    Returns
    -------
    pandas.DataFrame
        ``orders`` itself when nothing can be added, else a copy with ``region`` filled.
    """
    if (customers is None or region not in customers.columns or customer not in orders.columns
            or customer not in customers.columns):
        return orders
    if region in orders.columns and orders[region].notna().all():
        return orders
    home = customers.drop_duplicates(customer).set_index(customer)[region]
    theirs = orders[customer].map(home)
    out = orders.copy()
    out[region] = theirs if region not in orders.columns else orders[region].fillna(theirs)
    return out


def options(values: pd.Series) -> list[str]:
    """The values a filter accepts from a column (besides ``"all"``), sorted.

    Parameters
    ----------
    values : pandas.Series
        A region or category column.

    Returns
    -------
    list of str
        Its distinct values as text, missing ones left out.
    """
    return sorted(values.dropna().astype(str).unique())


def filter_orders(orders: pd.DataFrame, products: pd.DataFrame | None, region: str = ALL,
                  category: str = ALL, *, region_col: str = "region",
                  category_col: str = "category", product: str = "product_id") -> pd.DataFrame:
    """Order lines of one region and/or one product category (``"all"``: no filter).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    products : pandas.DataFrame or None
        Product table (needed for a category filter).
    region, category : str, default "all"
        The region and the category kept.
    region_col, category_col, product : str
        Column names (region in ``orders``, category in ``products``, product in both).

    Returns
    -------
    pandas.DataFrame
        The order lines kept.

    Raises
    ------
    SalesnbError
        Naming the available values when the region or category is not in the data.
    """
    out = orders
    if region and region != ALL:
        have = options(orders[region_col])
        if region not in have:
            raise SalesnbError(f"region {region!r} is not in the orders; regions are: "
                               f"{', '.join(have)} (or {ALL!r})")
        out = out[out[region_col] == region]
    if category and category != ALL:
        if products is None or category_col not in products.columns:
            raise SalesnbError("a category filter needs the products table with a "
                               f"{category_col!r} column")
        have = options(products[category_col])
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

    Parameters
    ----------
    competitors : pandas.DataFrame or None
        Competitor estimates (columns ``region`` and ``category``).
    region, category : str, default "all"
        The region and the category kept.

    Returns
    -------
    pandas.DataFrame or None
        The estimates kept (None when there are none).
    """
    if competitors is None:
        return None
    out = competitors
    if region and region != ALL and "region" in out.columns:
        out = out[out["region"] == region]
    if category and category != ALL and "category" in out.columns:
        out = out[out["category"] == category]
    return out
