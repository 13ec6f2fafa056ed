"""Benchmark: salesnb load+validate against plain DuckDB -> pandas on the same Parquet files.

For each size (1M and 10M order lines by default) the synthetic dataset is generated once as
Parquet under ``benchmarks/work/`` (ignored by git). Then, interleaved and each in a fresh
process, ``--repeat`` times:

* baseline: DuckDB reads every table's Parquet file and hands it to pandas through Arrow
  (the fastest plain way; DuckDB's ``.df()`` is several times slower on pandas 3, so it would
  flatter the ratio);
* salesnb: ``sn.load(folder)``: read, type, check every rule, quarantine, fetch to pandas.

Wall time is measured inside the process around the work only (imports excluded, the same for
both); peak memory is the process's peak resident set size. Medians and the ratio are printed
as a Markdown table.

Usage::

    python benchmarks/bench_load.py                 # 1M and 10M lines, 3 runs each
    python benchmarks/bench_load.py --sizes 1 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINES_AT_SCALE_1 = 137_278  # order lines of the default sample (scale 1)

CHILD = r"""
import glob, json, resource, sys, time
import duckdb
import salesnb as sn
from salesnb.core.sql import quote_literal
mode, folder = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if mode == "baseline":
    con = duckdb.connect()
    frames = {p: con.sql(f"SELECT * FROM read_parquet({quote_literal(p)})").to_arrow_table()
              .to_pandas()
              for p in sorted(glob.glob(folder + "/*.parquet"))}
    rows = sum(len(f) for f in frames.values())
else:
    d = sn.load(folder)
    assert d.report.exit_code == 0, d.report.by_rule()
    rows = sum(len(f) for f in d.tables.values())
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": rows}))
"""


def _dataset(millions: float, work: Path) -> Path:
    folder = work / f"orders_{millions:g}M"
    if not (folder / "orders.parquet").exists():
        scale = millions * 1e6 / LINES_AT_SCALE_1
        subprocess.run([sys.executable, "-m", "salesnb.cli", "sample", "--out", str(folder),
                        "--scale", f"{scale:.3f}", "--format", "parquet"], check=True,
                       stdout=subprocess.DEVNULL)
    return folder


def _measure(mode: str, folder: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(folder)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="millions of order lines (default 1,10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (default 3)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    rows = ["| order lines | rows loaded (all tables) | baseline s | salesnb s | ratio | "
            "baseline peak MB | salesnb peak MB |", "|---|---|---|---|---|---|---|"]
    for millions in (float(s) for s in args.sizes.split(",")):
        folder = _dataset(millions, args.work)
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "salesnb": []}
        for _ in range(args.repeat):
            for mode in runs:  # interleaved, so drift on a shared machine hits both
                runs[mode].append(_measure(mode, folder))
        med = {m: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_mb")}
               for m, rs in runs.items()}
        n_rows = int(runs["salesnb"][0]["rows"])
        lines = _order_lines(folder)
        ratio = med["salesnb"]["seconds"] / med["baseline"]["seconds"]
        rows.append(f"| {lines:,} | {n_rows:,} | {med['baseline']['seconds']:.2f} | "
                    f"{med['salesnb']['seconds']:.2f} | {ratio:.2f}x | "
                    f"{med['baseline']['peak_mb']:,.0f} | {med['salesnb']['peak_mb']:,.0f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("\n".join(rows))


def _order_lines(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "orders.parquet").metadata.num_rows


if __name__ == "__main__":
    main()
