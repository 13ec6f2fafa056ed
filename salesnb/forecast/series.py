"""Regular sales series: order lines (or a CSV file) as a zero-filled wide frame per period.

* :func:`sales_series` sums revenue or quantity per period (and group) in pandas;
* :func:`sales_series_sql` gives the same frame with the group-by run inside DuckDB;
* :func:`read_series` reads one external monthly series from a CSV file.

Every frame is indexed by period start (a ``DatetimeIndex`` with a frequency) and has one
column per group, so a column feeds :func:`salesnb.forecast.forecast` directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.errors import SalesnbError
from salesnb.forecast.defaults import GROUPINGS

__all__ = ["FREQS", "VALUES", "sales_series", "sales_series_sql", "read_series"]

#: Supported periods: the name a caller gives -> the pandas frequency of the index.
FREQS: dict[str, str] = {"D": "D", "W": "W-MON", "MS": "MS", "QS": "QS"}
#: Order-line columns a series can sum.
VALUES: tuple[str, ...] = ("revenue", "quantity")
_TRUNC = {"D": "day", "W": "week", "MS": "month", "QS": "quarter"}
_LOAD_FIX = "pass data.orders from salesnb.load()"


def _check_options(freq: str, by: str | None, value: str) -> None:
    if freq not in FREQS:
        raise SalesnbError(f"freq={freq!r} is not supported; use one of {sorted(FREQS)}.")
    if value not in VALUES:
        raise SalesnbError(f"value={value!r} is not supported; use one of {list(VALUES)}.")
    if by is not None and by not in GROUPINGS:
        raise SalesnbError(f"by={by!r} is not supported; use None or one of {list(GROUPINGS)}.")


def sales_series(orders: pd.DataFrame, *, freq: str = "MS", by: str | None = None,
                 value: str = "revenue", products: pd.DataFrame | None = None) -> pd.DataFrame:
    """Revenue (or quantity) summed per period, as a regular zero-filled wide frame.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines with ``order_date`` and the ``value`` column (``data.orders``).
    freq : {"D", "W", "MS", "QS"}, default="MS"
        Period: day, week (starting Monday), month start, quarter start.
    by : {None, "region", "category", "product_id", "rep_id"}, default=None
        One column per group; ``None`` gives a single column ``"total"``.
    value : {"revenue", "quantity"}, default="revenue"
        What to sum.
    products : pandas.DataFrame, optional
        Needed for ``by="category"`` (maps ``product_id`` to ``category``).

    Returns
    -------
    pandas.DataFrame
        Index: period start (a DatetimeIndex with ``freq``) from the first to the last order's
        period; one column per group, periods without orders are 0.

    Raises
    ------
    SalesnbError
        On an unknown ``freq``, ``by`` or ``value``, or ``by="category"`` without
        ``products``; :class:`~salesnb.errors.ColumnError` on a missing column.
    """
    _check_options(freq, by, value)
    need = ["order_date", value] + ([by] if by not in (None, "category") else [])
    if by == "category":
        need.append("product_id")
    require_columns(orders, need, table="orders", fix=_LOAD_FIX)
    df = orders[need].copy()
    if by == "category":
        if products is None:
            raise SalesnbError("by='category' needs products=data.products (with product_id "
                               "and category).")
        require_columns(products, ["product_id", "category"], table="products",
                        fix="pass products=data.products from salesnb.load()")
        cat = products.drop_duplicates("product_id").set_index("product_id")["category"]
        df["category"] = df["product_id"].map(cat).fillna("(unknown)")
    dates = pd.to_datetime(df["order_date"])
    pfreq = {"D": "D", "W": "W-SUN", "MS": "M", "QS": "Q"}[freq]
    df["period"] = dates.dt.to_period(pfreq).dt.start_time.astype("datetime64[ns]")
    df = df[df["period"].notna()]
    vals = pd.to_numeric(df[value], errors="coerce").fillna(0.0)
    df = df.assign(**{value: vals})
    if df.empty:
        idx = pd.DatetimeIndex([], freq=FREQS[freq], name="period")
        return pd.DataFrame(index=idx, columns=["total"] if by is None else [], dtype=float)
    key = "total" if by is None else by
    if by is None:
        df["total"] = "total"
    return _widen(df, key, value, freq, by)


def _widen(df: pd.DataFrame, key: str, value: str, freq: str, by: str | None) -> pd.DataFrame:
    """Pivot a long (period, key, value) frame to the zero-filled regular wide frame."""
    wide = df.pivot_table(index="period", columns=key, values=value, aggfunc="sum",
                          fill_value=0.0, observed=True)
    full = pd.date_range(wide.index.min(), wide.index.max(), freq=FREQS[freq], name="period")
    wide = wide.reindex(full, fill_value=0.0).astype(float)
    wide.columns = wide.columns.astype(str)
    wide.columns.name = by
    return wide


def read_series(path: Any) -> pd.DataFrame:
    """Read one monthly series from a CSV file: a time column, then a value column.

    The time column may hold dates (``1991-01``, ``2024-03-01``) or decimal years
    (``1982.25`` is April 1982, as in many textbook data sets). Missing months are filled with
    0, as :func:`sales_series` does.

    Parameters
    ----------
    path : str or path-like or file-like
        The CSV file (any separator).

    Returns
    -------
    pandas.DataFrame
        One column (named after the value column), indexed by month start with freq "MS".

    Raises
    ------
    SalesnbError
        When the file does not have two columns or the times do not parse.
    """
    raw = pd.read_csv(path, sep=None, engine="python")
    if raw.shape[1] < 2:
        raise SalesnbError(f"{path}: expected a time column and a value column, found "
                           f"{list(raw.columns)}")
    time, value = raw.columns[:2]
    t = raw[time]
    if pd.api.types.is_numeric_dtype(t) and t.between(1800, 2300).all():
        year = np.floor(t.to_numpy(float)).astype(int)
        month = np.rint((t.to_numpy(float) - year) * 12).astype(int) + 1
        stamps = pd.to_datetime({"year": year, "month": month, "day": 1})
    else:
        stamps = pd.to_datetime(t.astype(str), errors="coerce", format="mixed")
    if stamps.isna().any():
        raise SalesnbError(f"{path}: column {time!r} has values that are not dates or decimal "
                           f"years (e.g. {t[stamps.isna()].iloc[0]!r})")
    df = pd.DataFrame({"period": stamps.dt.to_period("M").dt.start_time.astype("datetime64[ns]"),
                       "series": str(value), "value": pd.to_numeric(raw[value], errors="coerce")})
    return _widen(df.fillna({"value": 0.0}), "series", "value", "MS", None)


def sales_series_sql(source: Any, *, freq: str = "MS", by: str | None = None,
                     value: str = "revenue", mapping: Any = None,
                     as_of: Any = None) -> pd.DataFrame:
    """:func:`sales_series` computed inside DuckDB, straight from a data source.

    The source is validated as by :func:`salesnb.load` (quarantined rows excluded), the
    group-by runs in DuckDB, and only the aggregated series reaches pandas, so order lines
    larger than memory still give a series.

    Parameters
    ----------
    source : path or Source
        As for :func:`salesnb.load`.
    freq, by, value
        As for :func:`sales_series` (``by="category"`` joins the products table).
    mapping, as_of
        As for :func:`salesnb.load`.

    Returns
    -------
    pandas.DataFrame
        The same frame :func:`sales_series` returns for the loaded orders.
    """
    from salesnb.data.loader import query

    _check_options(freq, by, value)
    group = ("'total'" if by is None else "p.category" if by == "category" else f"o.{by}")
    join = " LEFT JOIN {products} p USING (product_id)" if by == "category" else ""
    sql = (f"SELECT CAST(date_trunc('{_TRUNC[freq]}', o.order_date) AS TIMESTAMP) AS period, "
           f"coalesce(CAST({group} AS VARCHAR), '(unknown)') AS grp, "
           f"sum(o.{value})::DOUBLE AS value FROM {{orders}} o{join} GROUP BY ALL")
    long, _ = query(source, sql, mapping, tables=None, as_of=as_of)
    long["period"] = pd.to_datetime(long["period"]).astype("datetime64[ns]")
    return _widen(long, "grp", "value", freq, by)

