"""Benchmark: salesnb.assign on 10k leads x 50 reps against a naive greedy assignment.

Two cases: total capacity 1.2x the leads (everyone assigned) and 0.8x (capacity short). Each
run is a fresh process (median of ``--repeat``); peak memory is the process's peak RSS. The
greedy baseline (highest value first, to the least-loaded in-region rep with room, else the
least-loaded rep anywhere) runs in the same process; the objective gap is measured with the
same objective as the optimiser (expertise from a random account mix; with ``--fairness`` > 0
the penalty against equal capacity shares is included). The ``status`` column is the
optimiser's: "optimal", or "near-optimal (within x % of the bound)" with a proven bound.

Usage::

    python benchmarks/bench_assign.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from salesnb.leads.assignment import assign
ratio, fairness = float(sys.argv[1]), float(sys.argv[2])
rng = np.random.default_rng(0)
n, R = 10_000, 50
regions = np.array(["North", "South", "East", "West", "Central"])
inds = [f"I{i}" for i in range(7)]
reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(R)], "role": "rep",
                     "region": np.repeat(regions, R // 5), "status": "active"})
leads = pd.DataFrame({"lead_id": [f"L{i:05d}" for i in range(n)],
                      "region": rng.choice(regions, n, p=[.3, .2, .2, .2, .1]),
                      "industry": rng.choice(inds, n),
                      "expected_value": rng.lognormal(9, 1, n).round(-2),
                      "status": "open"})
exp = pd.DataFrame(rng.dirichlet(np.ones(7), R), index=reps["rep_id"], columns=inds)
cap = int(np.ceil(ratio * n / R))
start = time.perf_counter()
a = assign(leads, reps, capacity=cap, expertise=exp, fairness=fairness)
seconds = time.perf_counter() - start
# greedy baseline: highest value first, least-loaded in-region rep with room, else anywhere
t0 = time.perf_counter()
load = dict.fromkeys(reps["rep_id"], 0)
by_region = reps.groupby("region")["rep_id"].apply(list).to_dict()
greedy = {}
for row in leads.sort_values("expected_value", ascending=False).itertuples():
    pool = [r for r in by_region.get(row.region, []) if load[r] < cap]
    pool = pool or [r for r in load if load[r] < cap]
    if not pool:
        continue
    r = min(pool, key=load.get)
    load[r] += 1
    greedy[row.lead_id] = r
greedy_s = time.perf_counter() - t0
rr = reps.set_index("rep_id")["region"]
g = leads.set_index("lead_id").loc[list(greedy)]
gr = pd.Series(greedy)
col = pd.Index(inds).get_indexer(g["industry"])
sh = exp.loc[gr.to_numpy()].to_numpy()[np.arange(len(gr)), col]
q = 1 + 1.0 * (g["region"].to_numpy() == rr.loc[gr.to_numpy()].to_numpy()) + 0.3 * sh
greedy_obj = float((g["expected_value"].to_numpy() * q).sum())
if fairness:
    E = g["expected_value"].groupby(gr.to_numpy()).sum().reindex(reps["rep_id"], fill_value=0)
    T = E.sum()
    greedy_obj -= fairness * float(np.abs(E - T / R).sum())
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "objective": a.objective,
                  "status": a.status, "assigned": len(a.assignments),
                  "in_territory": float(a.assignments["in_territory"].mean()),
                  "greedy_seconds": greedy_s, "greedy_objective": greedy_obj,
                  "greedy_assigned": len(greedy)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fairness", default="0,0.2")
    args = ap.parse_args()
    print("| capacity / leads | fairness | assigned | in territory | status | salesnb s "
          "| peak MB | greedy s | greedy gap to optimum |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fairness in [float(f) for f in args.fairness.split(",")]:
        for ratio in (1.2, 0.8):
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", CHILD, str(ratio), str(fairness)],
                                     check=True, capture_output=True, text=True).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            r = runs[0]
            gap = (r["objective"] - r["greedy_objective"]) / r["objective"]
            print(f"| {ratio:.1f}x | {fairness:g} | {r['assigned']:,} | "
                  f"{100 * r['in_territory']:.1f} % | {r['status']} | "
                  f"{statistics.median(x['seconds'] for x in runs):.2f} | "
                  f"{statistics.median(x['peak_mb'] for x in runs):.0f} | "
                  f"{statistics.median(x['greedy_seconds'] for x in runs):.2f} | "
                  f"{100 * gap:.2f} % |")


if __name__ == "__main__":
    main()
