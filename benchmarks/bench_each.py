"""Benchmark: one scheduled run for everyone (``salesnb run --all --each rep``).

Measures, each as a fresh ``salesnb run`` command timed from outside, interleaved:

* the company run (``--all``): every report once, the baseline;
* the run for everyone (``--all --each rep``, or ``--each`` as given): the company's set
  plus one set per rep.

Reported: the median total time of each, and the time per extra scope,
``(each - company) / scopes``, as a share of the company run. Target (issue 16): an extra
scope costs at most 25 % of a full run, because each worker's warm kernel loads the data and
fits what every scope shares once.

Usage::

    python benchmarks/bench_each.py --repeat 1 --jobs 2 --each rep
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(args: list[str], out: Path) -> tuple[float, dict]:
    """Run ``salesnb run`` with ``args`` into ``out``; return seconds and the manifest."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "salesnb.cli", "run", *args, "--out", str(out), "-q"],
                   check=True)
    seconds = time.perf_counter() - start
    return seconds, json.loads((out / "latest" / "manifest.json").read_text())


def main() -> None:
    """Parse the arguments, run the commands, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--each", default="rep", choices=("region", "manager", "rep"))
    parser.add_argument("--source", default=None)
    opts = parser.parse_args()
    extra = ["--jobs", str(opts.jobs)] + (["--source", opts.source] if opts.source else [])
    company, each, scopes = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(opts.repeat):
            s, _ = timed_run(["--all", *extra], Path(tmp) / f"c{i}")
            company.append(s)
            s, manifest = timed_run(["--all", "--each", opts.each, *extra], Path(tmp) / f"e{i}")
            each.append(s)
            scopes = len(manifest["sets"]) - 1
            reports = len(manifest["notebooks"])
    c, e = statistics.median(company), statistics.median(each)
    per = (e - c) / scopes
    print(f"| command | reports | median s | runs s |\n|---|---|---|---|\n"
          f"| --all (company) | 6 | {c:.1f} | {', '.join(f'{x:.1f}' for x in company)} |\n"
          f"| --all --each {opts.each} | {reports} | {e:.1f} | "
          f"{', '.join(f'{x:.1f}' for x in each)} |\n\n"
          f"{scopes} extra scopes: {per:.1f} s each = {per / c:.0%} of the company run "
          f"(--jobs {opts.jobs})")


if __name__ == "__main__":
    main()
