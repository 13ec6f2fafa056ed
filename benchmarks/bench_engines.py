"""Benchmark: RFM through the engine layer (Ibis) against hand-written SQL, on the same server.

The synthetic dataset (``--millions`` order lines) is generated once as Parquet under
``benchmarks/work/``, then copied into a throwaway PostgreSQL 15 server started here (Debian's
binaries, ``tests/pgserver.py``) with ``salesnb copy``. Interleaved, ``--repeat`` times:

* ``ibis``: :func:`salesnb.engine.customer_purchases` on the PostgreSQL engine: the Ibis
  expressions (the lines left out, then the per-customer aggregate) compiled to SQL and run
  on the server, the result fetched into pandas;
* ``sql``: the same two queries written by hand, run with psycopg, fetched into pandas.

The same pair is measured on the embedded DuckDB engine (the folder validated in place) as a
second line. Target (issue 18): the engine within 1.3x of the hand-written SQL on PostgreSQL.

Usage::

    python benchmarks/bench_engines.py                      # 1M lines, 5 runs each
    python benchmarks/bench_engines.py --millions 0.2 --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))
AS_OF = "2025-12-31"

#: The hand-written queries: what the engine's expressions compute, written for the server.
COUNTS_SQL = """
SELECT count(*) AS read,
       count(*) FILTER (WHERE customer_id IS NULL) AS no_customer,
       count(*) FILTER (WHERE customer_id IS NOT NULL
                          AND (order_date IS NULL OR revenue IS NULL)) AS no_value,
       count(*) FILTER (WHERE customer_id IS NOT NULL AND revenue IS NOT NULL
                          AND order_date >= {cut}) AS after,
       max(order_date) FILTER (WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
                                 AND revenue IS NOT NULL AND order_date < {cut}) AS last
FROM {orders}
"""
PURCHASES_SQL = """
WITH per_order AS (
    SELECT customer_id AS c, min(order_date) AS d, sum(revenue) AS a, min(revenue) AS lowest
    FROM {orders}
    WHERE customer_id IS NOT NULL AND order_date IS NOT NULL AND revenue IS NOT NULL
      AND order_date < {cut}
    GROUP BY customer_id, order_id
), purchases AS (
    SELECT c, d, a, a > 0 OR (a = 0 AND lowest >= 0) AS bought FROM per_order
)
SELECT c AS customer, min(d) FILTER (WHERE bought) AS first_purchase,
       max(d) FILTER (WHERE bought) AS last_purchase,
       count(*) FILTER (WHERE bought) AS frequency, sum(a) AS monetary
FROM purchases GROUP BY c ORDER BY c
"""


def _hand_pg(url: str, schema: str) -> pd.DataFrame:
    from salesnb.data.postgres import connect

    sql = dict(orders=f'"{schema}".orders', cut="TIMESTAMP '2026-01-01 00:00:00'")
    with connect(url) as con:
        counts = con.execute(COUNTS_SQL.format(**sql)).fetchall()
        cur = con.execute(PURCHASES_SQL.format(**sql))
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    assert counts[0][0] > 0
    return frame


def _hand_duckdb(e) -> pd.DataFrame:
    con = e.backend.con
    name = e.tables["orders"].get_name()
    sql = dict(orders=f'"{name}"', cut="TIMESTAMP '2026-01-01 00:00:00'")
    con.sql(COUNTS_SQL.format(**sql)).fetchall()
    return con.sql(PURCHASES_SQL.format(**sql)).to_arrow_table().to_pandas()


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    """Run the benchmark and print its Markdown table."""
    import pgserver
    from bench_load import _dataset  # the same generated data set

    from salesnb.data import postgres as pg
    from salesnb.engine import customer_purchases, open_engine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--millions", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", type=Path, default=HERE / "work")
    args = ap.parse_args()
    args.work.mkdir(exist_ok=True)
    folder = _dataset(args.millions, args.work)
    base = Path(tempfile.mkdtemp(prefix="salesnb-bench-pg-"))
    server = pgserver.start(base)
    try:
        schema = "bench"
        url = f"{server.url}?schema={schema}"
        copy_s, written = _timed(lambda: pg.copy(folder, url, as_of=AS_OF))
        print(f"copied {written['orders']:,} order lines into PostgreSQL in {copy_s:.1f} s")
        on_pg, on_duck = open_engine(url), open_engine(folder, as_of=AS_OF)
        runs: dict[str, list[float]] = {k: [] for k in ("pg ibis", "pg sql", "duckdb ibis",
                                                        "duckdb sql")}
        for _ in range(args.repeat):
            t, (got, _) = _timed(lambda: customer_purchases(on_pg, as_of=AS_OF))
            runs["pg ibis"].append(t)
            t, hand = _timed(lambda: _hand_pg(server.url, schema))
            runs["pg sql"].append(t)
            assert len(got) == len(hand) and abs(got["monetary"].sum()
                                                 - float(hand["monetary"].sum())) < 1e-3
            t, _ = _timed(lambda: customer_purchases(on_duck, as_of=AS_OF))
            runs["duckdb ibis"].append(t)
            t, _ = _timed(lambda: _hand_duckdb(on_duck))
            runs["duckdb sql"].append(t)
        on_pg.close()
        on_duck.close()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"\n{written['orders']:,} order lines, median of {args.repeat}:\n")
    print("| engine | hand-written SQL s | salesnb.engine (Ibis) s | ratio |")
    print("|---|---|---|---|")
    for engine in ("pg", "duckdb"):
        hand, ibis_s = med[f"{engine} sql"], med[f"{engine} ibis"]
        name = "PostgreSQL 15" if engine == "pg" else "DuckDB (embedded)"
        print(f"| {name} | {hand:.3f} | {ibis_s:.3f} | {ibis_s / hand:.2f}x |")


if __name__ == "__main__":
    main()
