"""Benchmark: rep-assessment widget recomputation and the full scorecard at 1,000 reps.

Two measurements (issue 8):

* **widget**: on the embedded sample, the rep-assessment panel's recomputation after a control
  change: new KPI weights or new bonus tiers -> new ranks (with their 400-draw intervals) and
  new payouts. Timed for ``--changes`` random changes, median reported; once for the numbers
  alone (``Scorecard.rescore`` + ``bonus``) and once for the whole view the panel redraws (plus
  the rank chart and the two styled tables). Baseline in the same run: recomputing the
  scorecard from the data (``counts`` + ``scorecard``), what a panel without the cached
  points would do. Target: under 100 ms median.
* **full scorecard**: synthetic data of 1,000 reps (20 managers, one director) over 36 months
  (about 1.4M order lines, 36k targets, 60k opportunities, 60k leads, 90k surveys; fixed seed,
  built in memory): ``counts`` over all months, then the scorecard of the last quarter with
  400 rank draws, each in a fresh process, ``--repeat`` times. Target: under 10 s.

Usage::

    python benchmarks/bench_assessment.py
    python benchmarks/bench_assessment.py --changes 50 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from salesnb import assessment as A
rng = np.random.default_rng(0)
n_reps, months = 1000, 36
reps = pd.DataFrame({"rep_id": [f"R{i:04d}" for i in range(n_reps)], "role": "rep",
                     "manager_id": [f"M{i % 20:02d}" for i in range(n_reps)],
                     "hire_date": pd.Timestamp("2018-01-01"), "status": "active",
                     "region": [f"Region {i % 20}" for i in range(n_reps)]})
mgrs = pd.DataFrame({"rep_id": [f"M{i:02d}" for i in range(20)], "role": "manager",
                     "manager_id": "D0", "hire_date": pd.Timestamp("2015-01-01"),
                     "status": "active", "region": [f"Region {i}" for i in range(20)]})
top = pd.DataFrame({"rep_id": ["D0"], "role": ["director"], "manager_id": [None],
                    "hire_date": [pd.Timestamp("2010-01-01")], "status": ["active"],
                    "region": [None]})
reps = pd.concat([top, mgrs, reps], ignore_index=True)
ids = reps.loc[reps["role"] == "rep", "rep_id"].to_numpy()
start = pd.Timestamp("2023-01-01")
def days(n):
    return start + pd.to_timedelta(rng.integers(0, months * 30.4, n), unit="D")
n_lines = 1_400_000
order_no = rng.integers(0, 500_000, n_lines)
orders = pd.DataFrame({"order_id": pd.array(order_no.astype(str), dtype="str"),
                       "order_date": days(500_000)[order_no],
                       "customer_id": pd.array((order_no % 200_000).astype(str), dtype="str"),
                       "rep_id": pd.array(ids[order_no % n_reps], dtype="str"),
                       "quantity": rng.integers(1, 10, n_lines).astype(float),
                       "revenue": rng.lognormal(6, 1, n_lines)})
periods = pd.date_range(start, periods=months, freq="MS")
targets = pd.DataFrame({"rep_id": np.repeat(ids, months), "period": np.tile(periods, n_reps),
                        "revenue_target": rng.normal(60_000, 10_000, n_reps * months),
                        "satisfaction_target": 4.0})
n_opp = 60_000
created = days(n_opp)
opps = pd.DataFrame({"rep_id": ids[rng.integers(0, n_reps, n_opp)], "created_date": created,
                     "visit_date": created + pd.Timedelta(days=2),
                     "closed_date": created + pd.to_timedelta(rng.integers(5, 90, n_opp), "D"),
                     "stage": rng.choice(["won", "lost", "quote"], n_opp, p=[.45, .45, .1]),
                     "amount": rng.lognormal(9, 1, n_opp)})
leads = pd.DataFrame({"assigned_rep_id": ids[rng.integers(0, n_reps, 60_000)],
                      "status": rng.choice(["converted", "lost", "open"], 60_000,
                                           p=[.2, .6, .2]), "outcome_date": days(60_000)})
surveys = pd.DataFrame({"rep_id": ids[rng.integers(0, n_reps, 90_000)],
                        "survey_date": days(90_000), "score": rng.integers(1, 6, 90_000)})
data = {"orders": orders, "targets": targets, "opportunities": opps, "leads": leads,
        "surveys": surveys, "reps": reps}
t0 = time.perf_counter()
blocks = A.counts(data, freq="Q")
t1 = time.perf_counter()
card = A.scorecard(data, period="2025Q4", blocks=blocks)
t2 = time.perf_counter()
print(json.dumps({"counts_s": t1 - t0, "scorecard_s": t2 - t1, "total_s": t2 - t0,
                  "reps": len(card.table), "lines": n_lines,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _widget(changes: int) -> dict[str, float]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import salesnb as sn
    from salesnb import assessment as A
    from salesnb.assessment import views as av

    d = sn.load("data")
    blocks = A.counts(d)
    card = A.scorecard(d, period="2025Q4", blocks=blocks)
    teams = A.teams_of(blocks, d.reps, card.period)
    rng = np.random.default_rng(1)
    tiers = dict(tier1_from=0.8, tier1_rate=1.0, tier2_from=1.0, tier2_rate=2.0,
                 tier3_from=1.2, tier3_rate=3.0, cap=60_000.0, min_satisfaction=3.0)
    numbers, view, rebuild = [], [], []
    for i in range(changes):
        raw = rng.dirichlet(np.ones(6))
        weights = dict(zip([f"w_{k}" for k in A.DEFAULT_WEIGHTS], raw.round(6), strict=True))
        weights["w_attainment"] = 1 - sum(v for k, v in weights.items() if k != "w_attainment")
        values = {**tiers, "tier3_rate": 3.0 + (i % 5)} if i % 2 else tiers
        t = time.perf_counter()
        fresh = card.rescore(A.weights_from(**weights))
        A.bonus(fresh.table, A.plan_from(**values), teams=teams)
        numbers.append(time.perf_counter() - t)
        t = time.perf_counter()
        out = av.assessment_view(card=card, teams=teams, **weights, **values)
        for item in out:  # what the panel displays: render the tables, draw the chart
            if hasattr(item, "to_html"):
                item.to_html()
            elif hasattr(item, "savefig"):
                item.canvas.draw()
                plt.close(item)
        view.append(time.perf_counter() - t)
        if i < 5:
            t = time.perf_counter()
            A.scorecard(d, period="2025Q4", weights=A.weights_from(**weights))
            rebuild.append(time.perf_counter() - t)
    return {"numbers_ms": 1000 * statistics.median(numbers),
            "view_ms": 1000 * statistics.median(view),
            "rebuild_ms": 1000 * statistics.median(rebuild)}


def main() -> None:
    """Run both measurements and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30, help="control changes (default 30)")
    parser.add_argument("--repeat", type=int, default=3, help="full-scorecard runs (default 3)")
    args = parser.parse_args()
    w = _widget(args.changes)
    print("| widget recomputation on the sample (median of "
          f"{args.changes} changes) | ms |\n|---|---:|")
    print(f"| new ranks + payouts (rescore + bonus) | {w['numbers_ms']:.1f} |")
    print(f"| whole view redrawn (plus rank chart and two tables) | {w['view_ms']:.1f} |")
    print(f"| baseline: scorecard rebuilt from the data | {w['rebuild_ms']:.1f} |")
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", CHILD], check=True, capture_output=True,
                             text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        print(runs[-1], file=sys.stderr, flush=True)
    med = {k: statistics.median(r[k] for r in runs) for k in ("counts_s", "scorecard_s",
                                                               "total_s", "peak_mb")}
    print(f"\n| full scorecard, {runs[0]['reps']:,} reps x 36 months "
          f"({runs[0]['lines']:,} order lines), median of {args.repeat} | value |\n|---|---:|")
    print(f"| counts over 36 months | {med['counts_s']:.2f} s |")
    print(f"| scorecard of one quarter (400 rank draws) | {med['scorecard_s']:.2f} s |")
    print(f"| total | {med['total_s']:.2f} s |")
    print(f"| peak memory | {med['peak_mb']:,.0f} MB |")


if __name__ == "__main__":
    main()
