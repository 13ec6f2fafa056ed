"""Benchmark: a scheduled run at scale (time and peak memory of the whole process tree).

Runs ``salesnb run`` on a generated data set (``salesnb sample --scale N --format parquet``,
written once under ``benchmarks/work/``) in a fresh process and samples the resident memory of
that process and every kernel it starts, every 0.2 s: the peak is of their sum. The baseline,
measured in the same run, is the least any forecast of these order lines needs: DuckDB reading
the orders' Parquet file and summing revenue per month and region into pandas.

Issue 18's targets: the scheduled run at 100M order lines (``--scale 730``) completes with peak
memory under 6 GB on DuckDB; the same reports at 10M lines on local Spark (``--engine spark``),
timed.

Usage::

    python benchmarks/bench_suite.py --scale 730 --reports 02_sales_forecast --memory-limit 3GB
    python benchmarks/bench_suite.py --scale 73 --reports 02_sales_forecast --engine spark
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def dataset(scale: float) -> Path:
    """The generated data set for ``scale`` (written once, reused)."""
    out = HERE / "work" / f"scale_{scale:g}"
    if not (out / "orders.parquet").exists():
        subprocess.run([sys.executable, "-m", "salesnb.cli", "sample", "--scale", f"{scale:g}",
                        "--format", "parquet", "--out", str(out)], check=True)
    return out


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # a child that just ended
            pass
    return total


def measured(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident bytes (the process tree's sum) of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    watched = psutil.Process(proc.pid)

    def watch() -> None:
        while proc.poll() is None:
            try:
                peak[0] = max(peak[0], _tree_rss(watched))
            except psutil.Error:
                return
            time.sleep(0.2)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    thread.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    return seconds, peak[0]


BASELINE = """
import duckdb, sys
con = duckdb.connect()
frame = con.sql(f"SELECT date_trunc('month', order_date) AS m, region, sum(revenue) AS r "
                f"FROM read_parquet('{sys.argv[1]}/orders.parquet') GROUP BY ALL").df()
assert len(frame) > 0
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=730.0)
    parser.add_argument("--reports", default="02_sales_forecast",
                        help="comma-separated catalog names, or 'all'")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--memory-limit", default="",
                        help="salesnb run --memory-limit (DuckDB's, per kernel)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--as-of", default="2025-12-31")
    args = parser.parse_args(argv)

    data = dataset(args.scale)
    lines = int(subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; print(duckdb.sql(f\"SELECT count(*) FROM "
         f"read_parquet('{data}/orders.parquet')\").fetchone()[0])"],
        capture_output=True, text=True, check=True).stdout)
    reports = ["--all"] if args.reports == "all" else args.reports.split(",")
    rows: dict[str, list[tuple[float, int]]] = {"baseline": [], "salesnb run": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            rows["baseline"].append(measured([sys.executable, "-c", BASELINE, str(data)]))
            cmd = [sys.executable, "-m", "salesnb.cli", "run", *reports, "-q", "--source",
                   str(data), "-p", "as_of", args.as_of, "--out", f"{tmp}/run{i}",
                   "--timeout", "3600", "--engine", args.engine,
                   *(["--memory-limit", args.memory_limit] if args.memory_limit else [])]
            rows["salesnb run"].append(measured(cmd))
    base = statistics.median(s for s, _ in rows["baseline"])
    print(f"{lines:,} order lines, reports: {args.reports}, engine: {args.engine}, "
          f"memory limit: {args.memory_limit or 'DuckDB default'}")
    print("| mode | median s | runs s | vs baseline | peak MB (median) |")
    print("|---|---|---|---|---|")
    for mode, runs in rows.items():
        med = statistics.median(s for s, _ in runs)
        peak = statistics.median(p for _, p in runs) / 2**20
        print(f"| {mode} | {med:.1f} | {', '.join(f'{s:.1f}' for s, _ in runs)} | "
              f"{med / base:.2f}x | {peak:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
