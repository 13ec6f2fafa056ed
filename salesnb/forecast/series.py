"""Regular sales series: order lines (or a CSV file) as a zero-filled wide frame per period.

* :func:`sales_series` sums revenue or quantity per period (and group) in pandas;
* :func:`sales_series_sql` gives the same frame with the group-by run inside DuckDB;
* :func:`read_series` reads one external monthly series from a CSV file;
* :func:`order_history` gives the monthly history a report analyses: complete months only
  (a last month the data covers only in part is left out, so it is not read as a slump).

Every frame is indexed by period start (a ``DatetimeIndex`` with a frequency) and has one
column per group, so a column feeds :func:`salesnb.forecast.forecast` directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.fmt import plural
from salesnb.core.periods import parse_day
from salesnb.errors import SalesnbError
from salesnb.forecast.defaults import COMPLETE_WITHIN_DAYS, GROUPINGS

__all__ = ["FREQS", "VALUES", "History", "sales_series", "sales_series_sql", "read_series",
           "order_history"]

#: Supported periods: the name a caller gives -> the pandas frequency of the index.
FREQS: dict[str, str] = {"D": "D", "W": "W-MON", "MS": "MS", "QS": "QS"}
#: Order-line columns a series can sum.
VALUES: tuple[str, ...] = ("revenue", "quantity")
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
        df["category"] = df["product_id"].map(cat)
    if by is not None:  # a line without a group is counted, as "(unknown)" (as in the SQL)
        df[by] = df[by].astype(object).where(df[by].notna(), "(unknown)").astype(str)
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


def _separator(path: Any) -> str:
    """The file's field separator: the one of , ; tab | the header line holds most (else ",")."""
    start = path.tell() if hasattr(path, "seek") else None
    first = pd.read_csv(path, sep="\x01", header=None, nrows=1, dtype=str, engine="python",
                        quoting=3)  # the header line as one text (csv.QUOTE_NONE)
    if start is not None:
        path.seek(start)
    header = str(first.iloc[0, 0]) if first.size else ""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


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
        When the file does not have two columns, the times do not parse, or a value is not
        a number (an empty value is a month without sales).
    """
    try:
        raw = pd.read_csv(path, sep=_separator(path), index_col=False)
    except pd.errors.EmptyDataError:
        raise SalesnbError(f"{path}: the file is empty; write 'time,value' lines "
                           "(e.g. 2024-01,1250.5)") from None
    if raw.shape[1] < 2 or str(raw.columns[0]).startswith("Unnamed:"):
        raise SalesnbError(f"{path}: expected a time column and a value column, found "
                           f"{[c for c in raw.columns if not str(c).startswith('Unnamed:')]}; "
                           "write the file as 'time,value' lines (e.g. 2024-01,1250.5)")
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
    values = pd.to_numeric(raw[value], errors="coerce")
    bad = values.isna() & raw[value].notna()
    if bad.any():  # a typo is not a month of zero sales
        rows = ", ".join(str(i + 2) for i in bad[bad].index[:5])
        raise SalesnbError(f"{path}: column {value!r} has values that are not numbers on "
                           f"line(s) {rows} (e.g. {raw[value][bad].iloc[0]!r}); correct them "
                           "or leave the month empty")
    df = pd.DataFrame({"period": stamps.dt.to_period("M").dt.start_time.astype("datetime64[ns]"),
                       "series": str(value), "value": values})
    return _widen(df.fillna({"value": 0.0}), "series", "value", "MS", None)


def sales_series_sql(source: Any, *, freq: str = "MS", by: str | None = None,
                     value: str = "revenue", mapping: Any = None,
                     as_of: Any = None) -> pd.DataFrame:
    """:func:`sales_series` computed where the data lives, straight from a data source.

    The source is opened by :func:`salesnb.engine.open_engine` (a folder is validated into
    DuckDB, quarantined rows excluded; a schema ``salesnb copy`` wrote is queried on the
    PostgreSQL server), the group-by runs there (:func:`salesnb.engine.monthly_sales`), and
    only the aggregated series reaches pandas, so order lines larger than memory still give
    a series.

    Parameters
    ----------
    source : path, Source or str
        As for :func:`salesnb.engine.open_engine`.
    freq, by, value
        As for :func:`sales_series` (``by="category"`` joins the products table).
    mapping, as_of
        As for :func:`salesnb.load`.

    Returns
    -------
    pandas.DataFrame
        The same frame :func:`sales_series` returns for the loaded orders.
    """
    from salesnb.engine import monthly_sales, open_engine

    _check_options(freq, by, value)
    with open_engine(source, mapping, as_of=as_of) as e:
        long = monthly_sales(e, freq=freq, by=by, value=value)
    return _widen(long, "grp", "value", freq, by)



@dataclass(frozen=True)
class History:
    """The monthly history a report analyses: complete months, and the part month left out.

    Attributes
    ----------
    frame : pandas.DataFrame
        Wide monthly frame of complete months (index: month start with freq ``"MS"``; one
        column per group, or ``"total"``), as :func:`sales_series` builds it.
    first_day, last_day : datetime.date or None
        The first and last order day (None for an external series).
    part_month : pandas.Timestamp or None
        Start of the data's last month when it was left out because the data covers only
        its first days (up to ``last_day``); None when every month is complete.
    other : str or None
        The column that sums the smaller groups (``"Other (20 regions)"``) when only the
        largest were kept; None when every group has its column.
    note : str
        A sentence saying why the grouping is not the one asked for (the order lines are
        all in one region, so they are split by category), or "".
    company : pandas.Series or None
        The whole company's monthly total over the same complete months, for the one
        labelled company figure of a region's, team's or rep's report; None on the
        company's own report (and for an external series).
    """

    frame: pd.DataFrame
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    part_month: pd.Timestamp | None = None
    other: str | None = None
    note: str = ""
    company: pd.Series | None = None

    @property
    def total(self) -> pd.Series:
        """The total per month (the sum of the groups), named ``"total"``."""
        return self.frame.sum(axis=1).rename("total")

    @property
    def months(self) -> int:
        """The number of complete months."""
        return len(self.frame)


def order_history(orders: pd.DataFrame, *, by: str | None = None,
                  products: pd.DataFrame | None = None,
                  as_of: dt.date | str | pd.Timestamp | None = None,
                  top: int | None = None,
                  within_days: int = COMPLETE_WITHIN_DAYS,
                  last_day: dt.date | str | pd.Timestamp | None = None) -> History:
    """Monthly revenue of complete months: the history trends and forecasts start from.

    The data's last month is complete when its last order day is one of the month's last
    ``within_days + 1`` days (the end of December 2019 for data through 2019-12-30); else the
    data covers only part of it (an export taken mid-month, or ``as_of`` inside the month)
    and it is left out: a part month would read as a slump, and a forecast starts with it.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines (``order_date``, ``revenue`` and the ``by`` column).
    by : {None, "region", "category", "product_id", "rep_id"}, default=None
        One column per group (see :func:`sales_series`); None gives ``"total"``.
    products : pandas.DataFrame, optional
        Needed for ``by="category"``.
    as_of : date-like, optional
        Order lines dated after this day are left out (the loaded data already is).
    top : int, optional
        Keep the ``top`` groups with the most revenue (over the complete months), largest
        first, and sum the others into one column ``"Other (<n> <by>s)"``
        (``History.other``); None keeps every group.
    within_days : int, default=3
        How close to its end the data must reach for the last month to count as complete
        (:data:`~salesnb.forecast.defaults.COMPLETE_WITHIN_DAYS`).
    last_day : date-like, optional
        The day the data ends (default: the last order day of ``orders``). A region's, team's
        or rep's orders are a part of the company's: their history ends where the company's
        data ends, so a rep who sold nothing in the last days of a month does not make it a
        part month, and months after their last order count as months without sales (0).

    Returns
    -------
    History
        The frame of complete months (a group without revenue in any of them, e.g. one seen
        only in the part month, has no column), the first and last day of the data and the
        part month.

    Raises
    ------
    SalesnbError
        When there is no dated order line on or before ``as_of``; as :func:`sales_series` on
        a missing column or ``by="category"`` without ``products``.
    """
    require_columns(orders, ["order_date"], table="orders", fix=_LOAD_FIX)
    dates = pd.to_datetime(orders["order_date"], errors="coerce")
    day = parse_day(as_of, name="as_of")
    keep = dates.notna()
    if day is not None:
        keep &= dates < pd.Timestamp(day) + pd.Timedelta(days=1)
    if not keep.any():
        on = f" on or before {day}" if day is not None else ""
        raise SalesnbError(f"orders: no order line dated{on}; a monthly history needs "
                           "order_date values. Fix: check the source and the as_of day.")
    frame = sales_series(orders[keep], freq="MS", by=by, products=products)
    first, last = dates[keep].min(), dates[keep].max()
    end = parse_day(last_day, name="last_day")
    if end is not None and day is not None:
        end = min(end, day)
    if end is not None and pd.Timestamp(end) > last:
        last = pd.Timestamp(end)
        months = pd.date_range(frame.index[0], last.to_period("M").start_time, freq="MS",
                               name="period")
        frame = frame.reindex(months, fill_value=0.0)
    month_end = last.to_period("M").end_time.normalize()
    part = None
    if (month_end - last.normalize()).days > within_days:
        part = last.to_period("M").start_time
        frame = frame.loc[frame.index < part]
    if by is not None and frame.shape[1] > 1:  # a group seen only in the part month
        frame = frame.loc[:, (frame != 0).any()] if (frame != 0).any().any() else frame
    other = None
    if by is not None and top is not None and frame.shape[1] > max(int(top), 1):
        size = frame.sum().sort_values(ascending=False, kind="stable")
        keep, rest = list(size.index[:max(int(top), 1)]), list(size.index[max(int(top), 1):])
        other = f"Other ({plural(len(rest), by)})"
        frame = frame[keep].assign(**{other: frame[rest].sum(axis=1)})
        frame.columns.name = by
    return History(frame, first.date(), last.date(), part, other)
