"""Benchmark: salesnb.forecast on 500 monthly series of 36 months vs a plain statsmodels loop.

Per series, ours runs ``forecast(model="auto")`` (3-fold backtest of 5 models, then the final
fit) and ``backtest(folds=3)``. ``backtest`` reuses the identical backtest computed inside
``forecast`` (``salesnb.forecast.evaluation.backtest_errors``, memoized by the data); the
"no cache" row clears it so the backtest is recomputed. The baseline is statsmodels
``ExponentialSmoothing`` (damped additive trend, additive season when the training window
holds 2 seasons + 2 points, as ours) fitted on each of the same 3 folds plus a final fit, in
a plain single-process loop. Every row runs
in a fresh process; wall time includes imports. MASE: mean over the 3 folds, scaled by the
in-sample seasonal naive MAE, of the model each method ends up using.

Usage::

    python benchmarks/bench_forecast.py [--series 500] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np, pandas as pd
mode, n_series, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
N, H = 36, 12
idx = pd.date_range("2023-01-01", periods=N, freq="MS")
t = np.arange(N)
series = []
for _ in range(n_series):
    level = rng.uniform(50, 500)
    y = (level * (1 + rng.uniform(-0.01, 0.03) * t)
         + level * rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
         + rng.normal(0, level * rng.uniform(0.02, 0.15), N))
    series.append(pd.Series(y, index=idx))

def ours(chunk, clear):
    from salesnb.forecast import evaluation as E
    from salesnb.forecast import models as F
    out = []
    for s in chunk:
        fc = F.forecast(s, horizon=H, model="auto")
        if clear:
            E.backtest_errors.cache_clear()
        lb = E.backtest(s, horizon=H, folds=3)
        out.append(float(lb.set_index("model").loc[fc.model, "mase"]))
    return out

def baseline(chunk):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from salesnb.forecast.evaluation import origins
    def fit(y):
        seasonal = len(y) >= 26
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ExponentialSmoothing(
                y, trend="add", damped_trend=True, seasonal="add" if seasonal else None,
                seasonal_periods=12 if seasonal else None,
                initialization_method="estimated").fit()
    out = []
    for s in chunk:
        y = s.to_numpy()
        mases = []
        for o in origins(len(y), H, 3, 12):
            pred = fit(y[:o]).forecast(H)
            scale = np.mean(np.abs(y[12:o] - y[:o - 12]))
            mases.append(np.mean(np.abs(y[o:o + H] - pred)) / scale)
        fit(y).forecast(H)
        out.append(float(np.mean(mases)))
    return out

t1 = time.perf_counter()
if mode == "baseline":
    mase = baseline(series)
else:
    clear = mode == "ours_nocache"
    if jobs > 1:
        from joblib import Parallel, delayed
        chunks = [series[i::jobs * 4] for i in range(jobs * 4)]
        parts = Parallel(n_jobs=jobs)(delayed(ours)(c, clear) for c in chunks)
        mase = [x for p in parts for x in p]
    else:
        mase = ours(series, clear)
t2 = time.perf_counter()
print(json.dumps({"work_s": t2 - t1, "total_s": t2 - t0, "mase": float(np.mean(mase)),
                  "n": len(mase)}))
"""


def run(mode: str, n: int, jobs: int) -> dict:
    """Run one configuration in a fresh process and return its timings."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", CHILD, mode, str(n), str(jobs)],
                         capture_output=True, text=True, check=True)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    """Run the three configurations and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    rows = [
        (f"salesnb auto + backtest ({args.jobs} processes)", run("ours", args.series, args.jobs)),
        (f"salesnb auto + backtest, no cache ({args.jobs} processes)",
         run("ours_nocache", args.series, args.jobs)),
        ("statsmodels ExponentialSmoothing loop (1 process, 3 folds + final)",
         run("baseline", args.series, 1)),
    ]
    print(f"{args.series} monthly series x 36 months, horizon 12, 3 folds\n")
    print("| method | wall s (fresh process) | work s | mean backtest MASE |")
    print("|---|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['wall_s']:.1f} | {r['work_s']:.1f} | {r['mase']:.3f} |")


if __name__ == "__main__":
    main()
