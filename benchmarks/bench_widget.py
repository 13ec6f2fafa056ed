"""Benchmark: one update of the lead report's widget panel on the embedded sample.

Moving a control re-tiers the scored open leads, re-solves the assignment (357 open leads, 27
active reps) and redraws the summary, the rep-load chart and the tables. Target (issue 4):
under 200 ms. Reported: the median and the maximum of ``--updates`` updates, alternating the
capacity (fairness 0.2, the default) and then the fairness weight.

Usage::

    python benchmarks/bench_widget.py --updates 20
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time


def main() -> None:
    """Time panel updates and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20)
    args = parser.parse_args()
    from salesnb.paths import HEADLESS_ENV

    os.environ.pop(HEADLESS_ENV, None)
    import salesnb as sn
    from salesnb import leads
    from salesnb.leads.views import assignment_panel, score_open

    d = sn.load("data")
    scored = score_open(leads.train(d.leads), d.leads)
    rows = []
    with contextlib.redirect_stdout(io.StringIO()):  # outside a notebook, output goes here
        panel = assignment_panel(scored, d.reps, d.customers)
        for control, values in (("capacity", [10, 12, 14, 16, 18, 20]),
                                ("fairness", [0.0, 0.1, 0.3, 0.2])):
            times = []
            for i in range(args.updates):
                start = time.perf_counter()
                panel.controls[control].value = values[i % len(values)]
                times.append(1000 * (time.perf_counter() - start))
            rows.append((control, statistics.median(times), max(times)))
    print("| control moved | median ms | max ms |\n|---|---|---|")
    for control, med, worst in rows:
        print(f"| {control} | {med:.0f} | {worst:.0f} |")


if __name__ == "__main__":
    main()
