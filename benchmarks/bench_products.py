"""Benchmark: every product/region aggregate of the 04 report on 10M order lines, DuckDB vs pandas.

The workload is what ``notebooks/04_product_region.ipynb`` computes over the order lines
(elasticity and plots aside): performance per product and per category against a base period,
quarterly growth per product, ABC classes, product structure per quarter, price/volume/mix,
discount bands, region performance (selling reps, active and known customers), the
region x category table, market share from the competitor estimates, share change and
competitor growth. The same functions run with ``engine="duckdb"`` (group-bys pushed down to
DuckDB scanning the pandas frame in place) and ``engine="pandas"`` (the same group-bys in
pandas), each run in a fresh process, interleaved; the tables are read from Parquet first
(not timed, reported apart). Peak memory is the process's maximum resident set size.

Usage::

    python benchmarks/bench_products.py [--data benchmarks/work/orders_10M] [--repeat 3]

Generate the data first: ``salesnb sample --out benchmarks/work/orders_10M --scale 73
--format parquet``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import pandas as pd
import pyarrow.parquet as pq
folder, engine = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
def read(name):
    return pq.read_table(f"{folder}/{name}.parquet").to_pandas()
orders = read("orders")
orders["order_date"] = orders["order_date"].astype("datetime64[ms]")
products, customers, competitors = read("products"), read("customers"), read("competitors")
competitors["period"] = competitors["period"].astype("datetime64[ms]")
t_load = time.perf_counter() - t0
rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from salesnb import products as pr, regions as rg
base, current = pr.default_periods(orders)
t1 = time.perf_counter()
out = {
    "products": pr.performance(orders, products, current=current, base=base, engine=engine),
    "categories": pr.performance(orders, products, by="category", current=current, base=base,
                                 engine=engine),
    "quarterly": pr.quarterly_growth(orders, products, engine=engine),
    "abc": pr.abc(orders, products=products, period=current, engine=engine),
    "structure": pr.structure(orders, products, by="category", engine=engine),
    "pvm": pr.price_volume_mix(orders, base=base, current=current, engine=engine),
    "bands": pr.discount_bands(orders, products, period=current, engine=engine),
    "regions": rg.performance(orders, current=current, base=base, customers=customers,
                              engine=engine),
    "cross": rg.cross(orders, products, period=current, engine=engine),
}
shares = rg.market_share(orders, competitors, products, engine=engine)
out["share_change"] = rg.share_change(shares, base=base, current=current,
                                      by=("region", "category"))
out["competitors"] = rg.competitor_growth(orders, competitors, products, base=base,
                                          current=current, engine=engine)
work = time.perf_counter() - t1
check = {k: round(float(v.select_dtypes("number").sum().sum()), -2) for k, v in out.items()}
print(json.dumps({"load_s": t_load, "work_s": work, "rows": len(orders),
                  "rss_loaded_mb": rss_loaded,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "check": check}))
"""


def run(folder: str, engine: str) -> dict:
    """Run the workload in a fresh process and return its timings and peak memory."""
    res = subprocess.run([sys.executable, "-c", CHILD, folder, engine], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run both engines ``--repeat`` times, interleaved, and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).parent / "work" / "orders_10M"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"duckdb": [], "pandas": []}
    for _ in range(args.repeat):
        for engine in runs:
            runs[engine].append(run(args.data, engine))
    a, b = runs["duckdb"][0]["check"], runs["pandas"][0]["check"]
    same = all(abs(a[k] - b[k]) <= 1e-6 * max(1.0, abs(b[k])) + 100 for k in a)
    base = statistics.median(r["work_s"] for r in runs["pandas"])
    print(f"{runs['duckdb'][0]['rows']:,} order lines; results agree: {same}\n")
    print("| engine | median s | runs s | speed-up vs pandas | peak MB | peak after loading MB |")
    print("|---|---:|---|---:|---:|---:|")
    for engine, rs in runs.items():
        med = statistics.median(r["work_s"] for r in rs)
        times = ", ".join(f"{r['work_s']:.2f}" for r in rs)
        print(f"| {engine} | {med:.2f} | {times} | "
              f"{base / med:.1f}x{' (baseline)' if engine == 'pandas' else ''} | "
              f"{max(r['peak_mb'] for r in rs):,.0f} | "
              f"{max(r['rss_loaded_mb'] for r in rs):,.0f} |")
    print(f"\nreading the Parquet tables into pandas (not in the times): "
          f"{statistics.median(r['load_s'] for rs in runs.values() for r in rs):.1f} s")


if __name__ == "__main__":
    main()
