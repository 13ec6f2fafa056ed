"""Deterministic synthetic sales data for the salesnb workbench.

The generator simulates a small B2B company that sells IT equipment, software and
supplies through a regional sales organisation, from 2023-01-01 to 2025-12-31. The data
is built so that the usual sales analyses find real structure in it:

* customers buy at heavy-tailed rates that depend on size and industry; some churn,
  some grow or shrink, new customers ramp up after signing up;
* order volume trends upwards, with yearly seasonality (summer dip, strong Q4),
  weekly seasonality (few weekend orders) and peaks (spring promotion week, Black
  Friday to Cyber Monday, pre-Christmas, quarter-end pushes);
* discounts are larger for larger customers, for lax reps and during promotions, and a
  discount raises the quantity bought (price elasticity);
* category preferences differ by industry and region; customers of large size prefer
  premium products;
* a hidden skill per rep drives customer growth and churn, discount discipline, lead
  conversion, opportunity win rate and survey scores;
* lead conversion depends non-linearly on source, budget (threshold, diminishing
  returns), credit rating, needs score and engagement (which only helps when the
  budget is there);
* opportunities run through the funnel visit -> needs -> quote -> negotiation ->
  contract -> won/lost with stage drop-off and durations that grow with the amount;
* targets are set from each rep's prior-year revenue plus growth;
* competitor estimates give a market share that differs by region and category.

Everything depends only on ``seed`` and ``scale`` (never on today's date). Order lines
are generated month by month from per-month random streams
(:class:`numpy.random.SeedSequence` ``spawn``), so :func:`write_sample` can write them in
chunks with bounded memory and :func:`generate` returns exactly the same data.

The company itself is simulated in :mod:`salesnb.data.synth` (one module per group of
tables); this module is the public entry point (``sn.generate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from salesnb.data.synth.base import (
    COLUMNS,
    DEFAULT_SEED,
    END,
    START,
    TABLE_NAMES,
    arrow_schema,
    to_arrow,
    write_csv,
)
from salesnb.data.synth.world import World

__all__ = [
    "DEFAULT_SEED", "START", "END", "TABLE_NAMES", "COLUMNS", "generate", "write_sample",
]


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Generate all nine tables in memory.

    Meant for small scales (the default ``scale=1`` takes about a second and 200 MB);
    use :func:`write_sample` for large data. The result is identical to what
    :func:`write_sample` writes for the same ``seed`` and ``scale``.

    Parameters
    ----------
    seed : int, default=DEFAULT_SEED
        Seed of all random streams; the same seed gives the same data.
    scale : float, default=1.0
        Multiplies the number of customers, leads, opportunities, surveys and the order
        volume (``1.0`` gives about 3,000 customers and 140k order lines). The sales
        organisation and the product catalogue keep their size.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{table: frame}`` for the tables in :data:`TABLE_NAMES`. Ids and text are ``str``
        columns, dates ``datetime64`` (no time), counts ``int64`` and money ``float64``;
        empty values are missing (``NaN``/``NaT``).

    Raises
    ------
    ValueError
        If ``scale`` is not positive.
    """
    world = World(seed, scale)
    tables: dict[str, pd.DataFrame] = {}
    orders = list(world.order_chunks())
    for name in TABLE_NAMES:
        if name == "orders":
            tables[name] = pd.concat(orders, ignore_index=True)
        else:
            tables[name] = world.table(name)
    return tables


def write_sample(
    out: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    fmt: Literal["csv", "parquet"] = "csv",
) -> dict[str, int]:
    r"""Write the nine tables as ``<table>.csv`` or ``<table>.parquet`` into a folder.

    Order lines are generated and written month by month (appended CSV or one Parquet row
    group per month), so memory stays bounded at large scales. Files are byte-identical
    for the same ``seed``, ``scale`` and ``fmt``. CSV files are UTF-8 with a header row,
    ``\n`` line endings, no index column, ISO dates (``YYYY-MM-DD``) and empty fields for
    missing values; Parquet files use ``date32`` dates and nullable columns.

    Parameters
    ----------
    out : str or pathlib.Path
        Target folder; created if needed. Existing table files are overwritten.
    seed : int, default=DEFAULT_SEED
        Seed of all random streams.
    scale : float, default=1.0
        Size multiplier, as in :func:`generate` (``70`` gives over 10 million order lines).
    fmt : {"csv", "parquet"}, default="csv"
        File format.

    Returns
    -------
    dict of str to int
        Rows written per table, in :data:`TABLE_NAMES` order.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or ``scale`` is not positive.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    world = World(seed, scale)
    counts: dict[str, int] = {}

    def put(name: str, chunks: Iterator[pd.DataFrame]) -> None:
        path = folder / f"{name}.{fmt}"
        n = 0
        if fmt == "csv":
            with open(path, "w", encoding="utf-8", newline="") as fh:
                for df in chunks:
                    write_csv(df, fh, header=n == 0)
                    n += len(df)
        else:
            with pq.ParquetWriter(path, arrow_schema(name)) as writer:
                for df in chunks:
                    writer.write_table(to_arrow(name, df))
                    n += len(df)
        counts[name] = n

    # tables that need no order aggregates first, then free their state, then the
    # orders month by month, then targets and competitors (built from order aggregates)
    for name in ("reps", "products", "customers", "leads", "opportunities", "surveys"):
        put(name, world.table_chunks(name))
    world.release("leads", "opportunities", "surveys")
    put("orders", world.order_chunks())
    put("targets", world.table_chunks("targets"))
    put("competitors", world.table_chunks("competitors"))
    return {name: counts[name] for name in TABLE_NAMES}
