"""Warm kernels: the notebooks of a run share one kernel per worker, and nothing else.

Each notebook starts from a clean namespace (a name one report defined is not there in the
next), in its own folder, with its own export folder, with execution counts from 1, and
runs even when the report before it ended in a section that could not run (whose gate would
skip every following cell). A kernel that died is replaced.
"""

from __future__ import annotations

import json

from salesnb.report import execute, sections
from salesnb.report.runner import plan_runs, run_reports
from tests.conftest import report_notebook


def _nb(folder, name, *body):
    folder.mkdir(parents=True, exist_ok=True)
    return str(report_notebook(folder / f"{name}.ipynb", "x: int = 0", *body))


def test_each_notebook_of_a_run_starts_clean_in_the_same_kernel(tmp_path):
    first = _nb(tmp_path / "a", "first", "import os\nleak = 41",
                "print(os.getpid())",
                "from salesnb.report.sections import _GATE\n_GATE.open = False")  # a gate left shut
    second = _nb(tmp_path / "b", "second",
                 "import os, json\nprint(json.dumps({'leak': 'leak' in globals(), "
                 "'cwd': os.getcwd(), 'out': os.environ['SALESNB_ARTIFACTS'], "
                 "'pid': os.getpid()}))")
    runs = plan_runs([first, second])
    result = run_reports(runs, out=tmp_path / "out")
    assert result.status == "ok"
    nbs = [json.loads((result.run_dir / r.ipynb).read_text()) for r in runs]
    code = [[c for c in nb["cells"] if c["cell_type"] == "code"] for nb in nbs]
    assert [c["execution_count"] for c in code[1]] == list(range(1, len(code[1]) + 1))
    def text(cell):
        out = cell["outputs"][0]["text"]
        return "".join(out) if isinstance(out, list) else out

    def by_source(cells, start):
        return next(c for c in cells if "".join(c["source"]).startswith(start))

    seen = json.loads(text(by_source(code[1], "import os, json")))
    pid = int(text(by_source(code[0], "print(os.getpid())")))
    tmp_run = result.run_dir.with_name(".tmp-" + result.run_dir.name)  # renamed when done
    assert seen == {"leak": False, "cwd": str(tmp_path / "b"),
                    "out": str(tmp_run), "pid": pid}  # one kernel, a clean slate
    assert execute._warm.km is None  # the run stopped its kernel


def test_the_reset_opens_the_section_gate_first():
    assert execute._RESET.startswith(sections.NEW_NOTEBOOK)


def test_a_kernel_that_died_is_replaced(tmp_path):
    dies = _nb(tmp_path, "dies", "import os\nos._exit(1)")
    after = _nb(tmp_path, "after", "print('alive')")
    result = run_reports(plan_runs([dies, after]), out=tmp_path / "out")
    by = {r.name: r for r in result.notebooks}
    assert by["dies"].status == "failed" and "kernel died" in by["dies"].error
    assert by["after"].status == "ok"
