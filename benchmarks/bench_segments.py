"""Benchmark: RFM for 10M order lines / 1M customers, and clustering of 100k customers.

Data (generated once under ``benchmarks/work/segments/``, fixed seed): 10M order lines in
about 3.5M orders of 1M customers (every customer orders at least once, the rest follow a
skewed draw), three years of dates, log-normal line amounts, 2 % of lines negative (returns).

Measured, interleaved, each in a fresh process, ``--repeat`` times (medians reported):

* ``rfm``: ``salesnb.segments.rfm`` on the 10M lines: the per-customer aggregate plus the
  scores, the segment of every customer and the excluded-line counts;
* ``duckdb``: the plain DuckDB SQL aggregate of the same numbers (per order net amount, then
  per customer the last positive order, the positive orders and the net revenue), fetched to
  pandas: the target is ``rfm`` within 1.5x of it;
* ``pandas``: the same numbers with a plain pandas groupby (orders, then customers);
* ``cluster``: ``salesnb.segments.cluster`` with ``k="auto"`` (k = 2..8 by silhouette) on the
  RFM table of 100k customers;
* ``kmeans``: a plain scikit-learn ``KMeans`` at the chosen k on the same log-scaled, scaled
  features (what choosing k costs on top).

Wall time is taken inside the child around the work only (reading the Parquet file excluded,
the same for all). Peak memory is the child's peak resident set size (``ru_maxrss``),
including the loaded data; ``data MB`` is the RSS right after loading.

Usage::

    python benchmarks/bench_segments.py               # 3 runs each
    python benchmarks/bench_segments.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
import numpy as np
import pandas as pd
task, work = sys.argv[1], sys.argv[2]
import duckdb
from salesnb import segments as sg
name = "rfm_100k" if task in ("cluster", "kmeans") else "orders_10M"
frame = pd.read_parquet(f"{work}/{name}.parquet")
if name == "rfm_100k":
    frame = frame.set_index("customer_id")
else:
    frame["order_date"] = frame["order_date"].astype("datetime64[ms]")  # as sn.load gives it
data_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
if task == "rfm":
    out = sg.rfm(frame, as_of="2026-01-01")
    extra = {"customers": len(out), "orders": int(out["frequency"].sum())}
elif task == "duckdb":
    out = duckdb.sql('''
        WITH per_order AS (
            SELECT customer_id, order_id, min(order_date) AS d, sum(revenue) AS a
            FROM frame GROUP BY customer_id, order_id)
        SELECT customer_id, max(d) FILTER (WHERE a > 0) AS last_purchase,
               count(*) FILTER (WHERE a > 0) AS frequency, sum(a) AS monetary
        FROM per_order GROUP BY customer_id''').to_arrow_table().to_pandas()
    extra = {"customers": len(out), "orders": int(out["frequency"].sum())}
elif task == "pandas":
    per_order = frame.groupby(["customer_id", "order_id"], sort=False).agg(
        d=("order_date", "min"), a=("revenue", "sum"))
    pos = per_order[per_order["a"] > 0]
    out = pd.DataFrame({"last_purchase": pos.groupby(level=0)["d"].max(),
                        "frequency": pos.groupby(level=0).size(),
                        "monetary": per_order.groupby(level=0)["a"].sum()})
    extra = {"customers": len(out), "orders": int(out["frequency"].sum())}
elif task == "cluster":
    res = sg.cluster(frame, k="auto")
    extra = {"k": res.k, "silhouette": float(res.silhouette[res.k])}
else:
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler
    feats = frame[["recency", "frequency", "monetary"]].dropna()
    x = np.column_stack([np.sign(v) * np.log1p(np.abs(v))
                         for v in (feats[c].to_numpy(float) for c in feats.columns)])
    k = int(sys.argv[3])
    labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(
        StandardScaler().fit_transform(x))
    extra = {"k": k}
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "data_mb": data_mb, **extra}))
"""


def _datasets(work: Path, seed: int = 0) -> None:
    """Write orders_10M.parquet and rfm_100k.parquet under ``work``."""
    if (work / "orders_10M.parquet").exists() and (work / "rfm_100k.parquet").exists():
        return
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_cust, n_orders, n_lines = 1_000_000, 3_500_000, 10_000_000
    extra = (n_cust * rng.random(n_orders - n_cust) ** 2.5).astype(np.int64)
    order_customer = np.concatenate([np.arange(n_cust), extra])
    order_day = rng.integers(0, 3 * 365, n_orders)
    line_order = np.sort(np.concatenate([np.arange(n_orders),
                                         rng.integers(0, n_orders, n_lines - n_orders)]))
    amount = rng.lognormal(4.5, 1.0, n_lines).round(2)
    amount[rng.random(n_lines) < 0.02] *= -1
    ids = pd.Series(np.arange(n_orders)).astype("str").str.zfill(9)
    cust = pd.Series(np.arange(n_cust)).astype("str").str.zfill(7)
    table = pa.table({
        "order_id": pa.array(("O" + ids).to_numpy()[line_order]),
        "customer_id": pa.array(("C" + cust).to_numpy()[order_customer[line_order]]),
        "order_date": pa.array(np.datetime64("2023-01-01") + order_day[line_order]),
        "revenue": pa.array(amount),
    })
    work.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, work / "orders_10M.parquet")
    from salesnb import segments as sg

    orders = table.to_pandas()
    top = orders[orders["customer_id"] < "C0100000"]
    sg.rfm(top, as_of="2026-01-01").reset_index().to_parquet(work / "rfm_100k.parquet")


def _measure(task: str, work: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, task, str(work), *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per task (default 3)")
    parser.add_argument("--work", type=Path, default=HERE / "work" / "segments")
    args = parser.parse_args()
    _datasets(args.work)
    tasks = ["rfm", "duckdb", "pandas", "cluster", "kmeans"]
    runs: dict[str, list[dict]] = {t: [] for t in tasks}
    k = "3"
    for _ in range(args.repeat):
        for t in tasks:  # interleaved, so drift on a shared machine hits all
            runs[t].append(_measure(t, args.work, k))
            if t == "cluster":
                k = str(runs[t][-1]["k"])
            print(t, runs[t][-1], file=sys.stderr, flush=True)
    for a, b in (("rfm", "duckdb"), ("rfm", "pandas")):
        assert runs[a][0]["orders"] == runs[b][0]["orders"], (a, b)  # the same numbers
    med = {t: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_mb", "data_mb")}
           for t, rs in runs.items()}
    base = med["duckdb"]["seconds"]
    rows = ["| task | rows | wall s (median) | vs DuckDB SQL | peak MB | data MB |",
            "|---|---|---|---|---|---|"]
    for label, t, n in (("`segments.rfm` (scores + segments)", "rfm", "10M lines / 1M customers"),
                        ("plain DuckDB SQL aggregate", "duckdb", "10M lines / 1M customers"),
                        ("plain pandas groupby", "pandas", "10M lines / 1M customers")):
        rows.append(f"| {label} | {n} | {med[t]['seconds']:.2f} | "
                    f"{med[t]['seconds'] / base:.2f}x | {med[t]['peak_mb']:,.0f} | "
                    f"{med[t]['data_mb']:,.0f} |")
    rows.append("")
    rows.append("| task | customers | wall s (median) | vs plain KMeans | peak MB | k |")
    rows.append("|---|---|---|---|---|---|")
    for label, t in (("`segments.cluster`, k auto (2..8, silhouette)", "cluster"),
                     (f"plain KMeans, k = {k}", "kmeans")):
        rows.append(f"| {label} | 100,000 | {med[t]['seconds']:.2f} | "
                    f"{med[t]['seconds'] / med['kmeans']['seconds']:.2f}x | "
                    f"{med[t]['peak_mb']:,.0f} | {runs[t][0]['k']} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
