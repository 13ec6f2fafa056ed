"""The time grid, the table format and the drawing helpers every part of the generator uses.

Days are integer indices relative to :data:`START` (``NAT`` means "no date", ``NEVER`` "never
happens"); :func:`to_frame` turns them into dates when a table is built.
"""

from __future__ import annotations

import datetime
from typing import TextIO

import numpy as np
import pandas as pd
import pyarrow as pa

from salesnb.data.schema import TABLE_ORDER, TABLES

__all__ = [
    "DEFAULT_SEED", "START", "END", "TABLE_NAMES", "COLUMNS", "EPOCH", "D0", "N_DAYS", "NAT",
    "NEVER", "CHUNK_ROWS", "N_MONTHS", "MONTH_FACTOR", "WEEKDAY_FACTOR", "PRICE_INDEX", "pick",
    "pick_rows", "make_ids", "day_index", "build_calendar", "to_frame", "arrow_schema",
    "to_arrow", "write_csv",
]

DEFAULT_SEED = 42
START = datetime.date(2023, 1, 1)
END = datetime.date(2025, 12, 31)

#: The nine tables, in the order they are written (the data model's load order).
TABLE_NAMES: tuple[str, ...] = TABLE_ORDER

# The sample sells whole units; the data model also accepts fractional quantities (kg, hours).
_WHOLE_NUMBERS = {("orders", "quantity")}

#: Columns of every table with their logical type ("str", "int", "float" or "date"), taken
#: from the data model in :mod:`salesnb.schema`.
#: Optional columns the sample leaves out: real exports carry them (a ``profit`` per line), the
#: sample has what they are made from (``products.unit_cost``).
_NOT_GENERATED = frozenset({("orders", "profit")})
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    name: tuple((c.name, "int" if (name, c.name) in _WHOLE_NUMBERS else c.dtype)
                for c in spec.columns if (name, c.name) not in _NOT_GENERATED)
    for name, spec in TABLES.items()
}

EPOCH = datetime.date(1970, 1, 1)
D0 = (START - EPOCH).days  # START as days since the Unix epoch
N_DAYS = (END - START).days + 1  # 1096
NAT = np.iinfo(np.int64).min  # int64 view of NaT: "no date"
NEVER = 10**6  # day index (relative to START) meaning "never happens"
CHUNK_ROWS = 100_000  # rows per written slice of the customers, leads, ... tables
N_MONTHS = 36

MONTH_FACTOR = np.array([0.86, 0.90, 1.05, 1.00, 1.00, 0.90, 0.76, 0.70, 1.02, 1.10, 1.18, 1.22])
WEEKDAY_FACTOR = np.array([0.95, 1.06, 1.06, 1.02, 0.91, 0.06, 0.03])  # Monday first
PRICE_INDEX = np.array([0.93, 0.965, 1.0])  # list price level in 2023, 2024, 2025


def pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """Draw ``n`` category indices with probabilities ``p``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    n : int
        How many draws.
    p : numpy.ndarray
        Weights of the categories (normalised here).

    Returns
    -------
    numpy.ndarray
        ``n`` indices into ``p``.
    """
    return rng.choice(len(p), size=n, p=np.asarray(p) / np.sum(p))


def pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one index per row of the row-stochastic matrix ``probs`` (inverse CDF).

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    probs : numpy.ndarray
        One row of weights per draw (each row normalised here).

    Returns
    -------
    numpy.ndarray
        One column index per row.
    """
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((cum < u).sum(axis=1), probs.shape[1] - 1)


def make_ids(prefix: str, n: int, width: int,
             which: slice | np.ndarray | None = None) -> np.ndarray:
    """Ids ``prefix00001`` ... of ``n`` sequential items (or of the 0-based rows ``which``).

    Parameters
    ----------
    prefix : str
        Text before the number (``"C"`` for customers).
    n : int
        How many items the table has (the number's width grows with it).
    width : int
        Smallest number of digits.
    which : slice or numpy.ndarray, optional
        The rows wanted; all ``n`` when not given.

    Returns
    -------
    numpy.ndarray
        The ids, as an object array of text.
    """
    width = max(width, len(str(n)))
    rows = np.arange(n)[which] if which is not None else np.arange(n)
    return np.array([f"{prefix}{i + 1:0{width}d}" for i in rows.tolist()], dtype=object)


def day_index(d: datetime.date) -> int:
    """Day index of ``d`` relative to :data:`START`.

    Parameters
    ----------
    d : datetime.date
        The day.

    Returns
    -------
    int
        Days since START (negative before it).
    """
    return (d - START).days


def build_calendar() -> dict[str, np.ndarray]:
    """Per-day calendar of the 3 years: order-volume weights and promotion flags.

    Returns
    -------
    dict of str to numpy.ndarray
        ``cw`` cumulative order-volume weight (one more entry than days), ``promo`` extra
        discount per day, ``dec`` 1.0 in December, ``year`` (0 for the first year), ``dow``
        (Monday 0) and ``bounds`` (first day index of each month, and the end).
    """
    days = np.arange(N_DAYS)
    dates = np.datetime64(START, "D") + days
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970 - START.year
    dow = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    mult = np.ones(N_DAYS)
    promo = np.zeros(N_DAYS)
    for y in range(START.year, END.year + 1):
        nov1 = datetime.date(y, 11, 1)
        thanksgiving = nov1 + datetime.timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        t = day_index(thanksgiving)
        mult[t] *= 0.3
        mult[t + 1:t + 5] *= 1.9  # Black Friday to Cyber Monday
        promo[t + 1:t + 5] = 0.04
        mult[day_index(datetime.date(y, 12, 8)):day_index(datetime.date(y, 12, 23))] *= 1.35
        for md in ((12, 24), (12, 25), (12, 26), (12, 31), (1, 1)):
            mult[day_index(datetime.date(y, *md))] *= 0.2
        apr1 = datetime.date(y, 4, 1)
        spring = day_index(apr1 + datetime.timedelta(days=(0 - apr1.weekday()) % 7 + 7))
        mult[spring:spring + 7] *= 1.7  # spring promotion week
        promo[spring:spring + 7] = 0.06
        for qm in (3, 6, 9, 12):  # quarter-end push
            last = day_index(datetime.date(y, qm, 28 if qm == 12 else 30 if qm in (6, 9) else 31))
            mult[last - 6:last + 1] *= 1.15
    w = MONTH_FACTOR[month] * WEEKDAY_FACTOR[dow] * mult
    w = w / w[:365].sum()  # expected share of a customer's yearly orders in 2023
    month_idx = (year * 12 + month).astype(np.int64)
    bounds = np.searchsorted(month_idx, np.arange(N_MONTHS + 1))
    return {
        "cw": np.concatenate([[0.0], np.cumsum(w)]),
        "promo": promo,
        "dec": (month == 11).astype(float),
        "year": year,
        "dow": dow,
        "bounds": bounds,
    }


def to_frame(table: str, data: dict[str, np.ndarray]) -> pd.DataFrame:
    """Build a DataFrame with the column order and dtypes of ``table``.

    Parameters
    ----------
    table : str
        The table (a key of :data:`COLUMNS`).
    data : dict of str to numpy.ndarray
        Column -> values; dates as day indices relative to START, :data:`NAT` for none.

    Returns
    -------
    pandas.DataFrame
        Text as ``str``, dates ``datetime64[us]``, whole numbers ``int64``, others ``float64``.
    """
    cols: dict[str, pd.Series | np.ndarray] = {}
    for name, kind in COLUMNS[table]:
        v = data[name]
        if kind == "str":
            cols[name] = pd.array(v, dtype="str")
        elif kind == "date":
            days = np.asarray(v, dtype=np.int64)
            out = np.where(days == NAT, NAT, days + D0)
            cols[name] = out.view("datetime64[D]").astype("datetime64[us]")
        elif kind == "int":
            cols[name] = np.asarray(v, dtype=np.int64)
        else:
            cols[name] = np.asarray(v, dtype=np.float64)
    return pd.DataFrame(cols)


_ARROW_TYPES = {"str": pa.string(), "date": pa.date32(), "int": pa.int64(),
                "float": pa.float64()}


def arrow_schema(table: str) -> pa.Schema:
    """Parquet schema of ``table``: text, date32, int64 and float64 columns.

    Parameters
    ----------
    table : str
        The table (a key of :data:`COLUMNS`).

    Returns
    -------
    pyarrow.Schema
        One nullable field per column.
    """
    return pa.schema([pa.field(n, _ARROW_TYPES[k]) for n, k in COLUMNS[table]])


def to_arrow(table: str, df: pd.DataFrame) -> pa.Table:
    """Convert a generated frame to an Arrow table of the fixed schema, no pandas metadata.

    Parameters
    ----------
    table : str
        The table (a key of :data:`COLUMNS`).
    df : pandas.DataFrame
        A frame made by :func:`to_frame` for ``table``.

    Returns
    -------
    pyarrow.Table
        With the schema of :func:`arrow_schema`.
    """
    t = pa.Table.from_pandas(df, schema=arrow_schema(table), preserve_index=False)
    return t.replace_schema_metadata(None)


def write_csv(df: pd.DataFrame, fh: TextIO, header: bool) -> None:
    """Append ``df`` to an open text file in the deterministic salesnb CSV format.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows to write.
    fh : TextIO
        A file opened for writing with ``newline=""``.
    header : bool
        Write the header row first (for the first slice of a table).
    """
    df.to_csv(fh, index=False, header=header, lineterminator="\n", date_format="%Y-%m-%d")
