"""Benchmark: ``salesnb run`` against bare papermill on the same notebooks, and --jobs 2 vs 1.

Each catalog notebook is copied twice into ``benchmarks/work/runner_nbs/`` (so there are at
least two notebooks to run in parallel even while the catalog is small). Then, interleaved and
``--repeat`` times, each as a fresh command timed from outside:

* bare papermill: one Python process executing the notebooks one after the other with
  ``papermill.execute_notebook`` (no HTML, no index, no manifest);
* ``salesnb run --jobs 1``: the same notebooks with parameter validation, HTML export, index,
  manifest, data fingerprint and the atomic move into place;
* ``salesnb run --jobs 2``.

Targets (issue 3): ``--jobs 1`` at most 1.3x bare papermill; ``--jobs 2`` faster than
``--jobs 1``.

Usage::

    python benchmarks/bench_runner.py --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BARE = r"""
import sys, papermill as pm
for nb in sys.argv[1:]:
    pm.execute_notebook(nb, nb + ".out.ipynb", kernel_name="python3", progress_bar=False,
                        cwd=str(__import__("pathlib").Path(nb).parent))
"""


def _notebooks(work: Path) -> list[Path]:
    from salesnb.report.catalog import NOTEBOOKS

    folder = work / "runner_nbs"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    out = []
    for name in NOTEBOOKS:
        for copy in ("a", "b"):
            dst = folder / f"{name}_{copy}.ipynb"
            shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", dst)
            out.append(dst)
    return out


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    nbs = _notebooks(args.work)
    out = args.work / "runner_out"
    salesnb = [sys.executable, "-m", "salesnb.cli", "run", *map(str, nbs), "--out", str(out),
               "-q"]
    modes = {
        "bare papermill": [sys.executable, "-c", BARE, *map(str, nbs)],
        "salesnb run --jobs 1": [*salesnb, "--jobs", "1"],
        "salesnb run --jobs 2": [*salesnb, "--jobs", "2"],
    }
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.repeat):
        for mode, cmd in modes.items():  # interleaved: drift hits every mode alike
            times[mode].append(_time(cmd))
    med = {m: statistics.median(t) for m, t in times.items()}
    base = med["bare papermill"]
    print(f"{len(nbs)} notebooks ({', '.join(p.stem for p in nbs)}), {args.repeat} runs each\n")
    print("| command | median s | runs s | vs bare papermill |")
    print("|---|---|---|---|")
    for mode, t in times.items():
        runs = ", ".join(f"{x:.1f}" for x in t)
        print(f"| {mode} | {med[mode]:.1f} | {runs} | {med[mode] / base:.2f}x |")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
