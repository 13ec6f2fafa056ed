"""The monthly history a forecast report analyses: the scope's orders, complete months.

:func:`monthly_history` builds it from order lines (or an external series file), per region
or category, complete months only; :func:`scope_history` does it for a report's scope (a
region's, team's or rep's orders, ending where the company's data ends) and keeps the
company's monthly total beside it for the one labelled company figure;
:func:`growth_table` sets the recent months against the same months a year earlier, with that
company line. Pure functions on DataFrames and :class:`~salesnb.data.loader.SalesData`: the
report's presentation is :mod:`salesnb.forecast.views`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

from salesnb.core.fmt import code, escape
from salesnb.errors import SalesnbError
from salesnb.forecast import series, trends
from salesnb.forecast.defaults import MAX_GROUPS
from salesnb.forecast.requirements import group_needs
from salesnb.paths import resolve_path
from salesnb.report.sections import missing_needs
from salesnb.scope.filters import scoped
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["COMPANY_ROW", "monthly_history", "data_end", "scope_history", "growth_table"]

#: The label of the one company line beside a region's, team's or rep's figures.
COMPANY_ROW = "Whole company"
_DayLike: TypeAlias = dt.date | str | pd.Timestamp | None


def _frames(orders: pd.DataFrame | None, products: pd.DataFrame | None) -> dict[str, Any]:
    return {k: v for k, v in (("orders", orders), ("products", products)) if v is not None}


def _grouping(orders: pd.DataFrame, products: pd.DataFrame | None,
              by: str | None) -> tuple[str | None, str]:
    """The grouping a history uses for ``by``, and a sentence when it is not ``by`` itself.

    Order lines that are all in one region (a region's or a rep's report) split per region
    into one group: they are split by product category instead (or, without categories,
    shown as that one region, the total, with a sentence saying why).
    """
    if by != "region" or "region" not in orders.columns:
        return by, ""
    regions = orders["region"].dropna().astype("string").str.strip().unique()
    if len(regions) != 1:
        return by, ""
    one = escape(regions[0])
    if missing_needs(_frames(orders, products), group_needs("category")):
        return by, (f"The order lines analysed are all in one region ({one}): the split per "
                    "region is that one region's total (a split per product category needs "
                    f"{', '.join(code(n) for n in group_needs('category'))}).")
    return "category", (f"The order lines analysed are all in one region ({one}), so a split "
                        "per region would be that one region: the revenue is split by product "
                        "category instead.")


def monthly_history(orders: pd.DataFrame | None, products: pd.DataFrame | None, by: str,
                    series_file: str = "", *, as_of: _DayLike = None,
                    top: int | None = MAX_GROUPS,
                    fall_back: bool = True,
                    last_day: _DayLike = None) -> series.History | None:
    """The monthly history the report analyses: per ``by`` group, complete months only.

    Parameters
    ----------
    orders : pandas.DataFrame or None
        Order lines (None or empty: no history, the sections' needs say so).
    products : pandas.DataFrame or None
        For ``by="category"``.
    by : str
        Grouping (see :data:`salesnb.forecast.defaults.GROUPINGS`).
    series_file : str, default ""
        A CSV of one monthly series (see :func:`salesnb.forecast.read_series`) analysed
        instead of the orders (``by`` is ignored).
    as_of : date-like, optional
        The report's day (``d.as_of``): order lines after it are left out.
    top : int or None, default 8
        The largest groups kept one by one, the others summed as ``"Other (...)"``
        (:data:`~salesnb.forecast.defaults.MAX_GROUPS`; None: every group).
    fall_back : bool, default True
        When the data cannot be split by ``by`` (no ``products.category``, say): the company
        total (True) or a :class:`~salesnb.errors.SalesnbError` naming what is missing.
        Order lines all in one region are split by category for ``by="region"`` either way
        (or summed when they have no category), and ``History.note`` says so.
    last_day : date-like, optional
        The day the data ends, when ``orders`` are a part of a larger export (see
        :func:`~salesnb.forecast.series.order_history`).

    Returns
    -------
    History or None
        See :func:`salesnb.forecast.series.order_history`; its frame has one column per
        group (``columns.name`` is the grouping) or the single column ``"total"``.
    """
    if series_file:
        return series.History(series.read_series(resolve_path(series_file)))
    if orders is None or orders.empty:
        return None
    missing = missing_needs(_frames(orders, products), group_needs(by))
    if missing and not fall_back:
        raise SalesnbError(f"a forecast per {by} needs {', '.join(missing)}; this data "
                           "lacks it")
    use, note = _grouping(orders, products, None if missing else by)
    history = series.order_history(orders, by=use, products=products, as_of=as_of, top=top,
                                   last_day=last_day)
    return dataclasses.replace(history, note=note) if note else history


def data_end(d: SalesData) -> dt.date | None:
    """The company's last order day: where every scope's history ends.

    Parameters
    ----------
    d : SalesData
        Any scope's data (the company's orders are read, once per dataset).

    Returns
    -------
    datetime.date or None
        None when the company has no dated order line.
    """
    def last() -> dt.date | None:
        orders = d.company.get("orders")
        if orders is None or orders.empty or "order_date" not in orders.columns:
            return None
        day = pd.to_datetime(orders["order_date"], errors="coerce").max()
        return None if pd.isna(day) else day.date()

    return shared(d, ("forecast.data_end", d.as_of), last)


def scope_history(d: SalesData, by: str, series_file: str = "", *,
                  top: int | None = MAX_GROUPS) -> series.History | None:
    """The monthly history of a report's scope, with the company's total beside it.

    Parameters
    ----------
    d : SalesData
        The report's data (:func:`salesnb.report.reporting.report_data`), filtered to its
        scope: the history is the scope's orders'.
    by : str
        Grouping, as for :func:`monthly_history` (a scope in one region is split by
        category for ``by="region"``; ``History.note`` says so).
    series_file : str, default ""
        An external series analysed instead of the orders (no company figure then).
    top : int or None, default 8
        As for :func:`monthly_history`.

    Returns
    -------
    History or None
        As :func:`monthly_history`; its months end where the company's data ends (a rep
        without an order in the last weeks has months of 0, not a shorter history), and on
        a region's, team's or rep's report ``History.company`` holds the whole company's
        monthly total over the complete months, for the one labelled company figure.
    """
    if series_file:
        return monthly_history(None, None, by, series_file)
    history = monthly_history(d.get("orders"), d.get("products"), by, as_of=d.as_of,
                              top=top, last_day=data_end(d))
    if history is None or scoped(d).is_company:
        return history
    company = shared(d, ("forecast.company_total", d.as_of),
                     lambda: series.order_history(d.company.orders, as_of=d.as_of).total)
    return dataclasses.replace(history, company=company)


def growth_table(history: series.History, *, months: int = 3) -> pd.DataFrame:
    """The last months against the same months a year earlier, per group and in total.

    Parameters
    ----------
    history : History
        From :func:`scope_history` (or :func:`monthly_history`).
    months : int, default 3
        Length of the recent window.

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.forecast.trends.latest_growth` of the history's frame; on a region's,
        team's or rep's report one more row, :data:`COMPANY_ROW`, with the whole company's
        figures over the same months.
    """
    table = trends.latest_growth(history.frame, months=months)
    if history.company is None or not len(history.frame):
        return table
    company = pd.Series(history.company, dtype=float)
    recent = history.frame.index[-min(int(months), len(history.frame)):]
    before = recent - pd.DateOffset(years=1)
    now = float(company.reindex(recent).sum())
    then = (float(company.reindex(before).sum())
            if before.isin(company.index).all() else float("nan"))
    growth = round(100 * (now - then) / then, 1) if then > 0 else float("nan")
    table.loc[COMPANY_ROW] = [now, then, growth]
    return table
