"""What a product report looks at: the two periods compared and the region/category filter.

The report's parameters are text (empty meaning "the default"); these functions turn them
into the windows and the order lines the analyses take, and say what is wrong otherwise.
"""

from __future__ import annotations

import pandas as pd

from salesnb.core.periods import Window, parse_window
from salesnb.errors import SalesnbError
from salesnb.products.engine import default_periods

__all__ = ["ALL", "periods", "options", "filter_orders", "filter_competitors"]

#: The value of the region / category parameters that means "no filter".
ALL = "all"


def periods(orders: pd.DataFrame, base_start: str = "", base_end: str = "",
            current_start: str = "", current_end: str = "", *,
            date: str = "order_date") -> tuple[Window, Window]:
    """The two periods a report compares, from its parameters (empty: sensible defaults).

    Without dates, ``current`` is the last 12 complete months and ``base`` the 12 before
    (:func:`~salesnb.products.engine.default_periods`). A missing base start or end is the
    current one a year earlier.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (their last date gives the defaults).
    base_start, base_end : str, default ""
        First and last day of the base period (ISO dates; empty: the current one a year
        earlier).
    current_start, current_end : str, default ""
        First and last day of the current period (both or neither).
    date : str, default "order_date"
        Date column of ``orders``.

    Returns
    -------
    tuple
        ``(base, current)`` as pairs of dates, both days included.

    Raises
    ------
    SalesnbError
        If only one end of the current period is given.
    PeriodError
        If a day cannot be read or a period is reversed.
    """
    default_base, default_current = default_periods(orders, date=date)
    if bool(current_start) != bool(current_end):
        raise SalesnbError("give both current_start and current_end, or neither (the last 12 "
                           "complete months)")
    current = ((current_start, current_end) if current_start else default_current)
    lo, hi = parse_window(current, name="current")
    year = pd.DateOffset(years=1)
    if base_start or base_end or current_start:
        base = (base_start or (lo - year).date().isoformat(),
                base_end or (hi - pd.Timedelta(days=1) - year).date().isoformat())
    else:
        base = default_base
    base_lo, base_hi = parse_window(base, name="base")
    day = pd.Timedelta(days=1)
    return (base_lo.date(), (base_hi - day).date()), (lo.date(), (hi - day).date())


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
