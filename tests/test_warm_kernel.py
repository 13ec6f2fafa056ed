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
                 "import gc, os, json\nprint(json.dumps({'leak': 'leak' in globals(), "
                 "'frozen': gc.get_freeze_count() > 0, "
                 "'history': get_ipython().history_manager.enabled, "
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

    seen = json.loads(text(by_source(code[1], "import gc, os, json")))
    pid = int(text(by_source(code[0], "print(os.getpid())")))
    tmp_run = result.run_dir.with_name(".tmp-" + result.run_dir.name)  # renamed when done
    assert seen == {"leak": False, "frozen": True, "history": False,
                    "cwd": str(tmp_path / "b"),
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


def test_a_run_writes_each_notebook_once_and_keeps_one_client_and_exporter(tmp_path, monkeypatch):
    import papermill.engines

    writes: list[str] = []
    write = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb",
                        lambda nb, path, **kw: (writes.append(path), write(nb, path, **kw)))
    seen: list[tuple[object, object]] = []
    export = execute._export_html
    monkeypatch.setattr(execute, "_export_html", lambda *a, **kw: (
        export(*a, **kw), seen.append((execute._warm.kc, execute._warm.exporter))))
    cells = [f"v = {i}" for i in range(8)]
    nbs = [_nb(tmp_path / n, n, *cells) for n in ("one", "two")]
    result = run_reports(plan_runs(nbs), out=tmp_path / "out", jobs=1)
    assert result.status == "ok"
    # papermill's own engine writes at each cell's start and end (2 x 10 cells + 2)
    assert len(writes) == 2 * 2, writes  # the start, and the end
    (kc1, ex1), (kc2, ex2) = seen
    assert kc1 is kc2 and kc1 is not None and ex1 is ex2 and ex1 is not None


def test_a_report_figure_is_laid_out_once_and_drawn_once(tmp_path):
    count = _nb(tmp_path, "count",
                "from salesnb.report.reporting import setup\nsetup()",
                "from matplotlib.figure import Figure\nfrom matplotlib.layout_engine import "
                "TightLayoutEngine\nN = {'draw': 0, 'layout': 0}\n_d, _x = Figure.draw, "
                "TightLayoutEngine.execute\n"
                "def draw(self, r):\n    N['draw'] += 1\n    return _d(self, r)\n"
                "def layout(self, fig):\n    N['layout'] += 1\n    return _x(self, fig)\n"
                "Figure.draw, TightLayoutEngine.execute = draw, layout",
                "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(2, 1)\n"
                "ax[0].plot([1, 2, 3])\nax[0].set_ylabel('a long label ' * 3);",
                "print(N['draw'], N['layout'])")
    result = run_reports(plan_runs([count]), out=tmp_path / "out", jobs=1)
    assert result.status == "ok"
    nb = json.loads((result.run_dir / result.notebooks[0].ipynb).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    shown = next(c for c in code if "plt.subplots" in "".join(c["source"]))
    assert [o["output_type"] for o in shown["outputs"]] == ["display_data"]
    assert "image/png" in shown["outputs"][0]["data"]
    printed = "".join(code[-1]["outputs"][0]["text"])
    assert printed.split() == ["1", "1"]  # one layout, one draw (it was three draws)


def test_parallel_kernels_share_the_cores_and_a_limit_the_user_set_stays(monkeypatch):
    monkeypatch.setattr(execute.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3}, raising=False)
    assert execute.kernel_threads(1) is None
    assert execute.kernel_threads(2) == 2 and execute.kernel_threads(8) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    for name in execute.THREAD_LIMITS:
        if name != "OMP_NUM_THREADS":
            monkeypatch.delenv(name, raising=False)
    env = execute._kernel_env({"ipynb": "/tmp/x/a.ipynb", "threads": 1})
    assert env["OMP_NUM_THREADS"] == "3"  # the user's
    assert [env[n] for n in execute.THREAD_LIMITS if n != "OMP_NUM_THREADS"] == ["1"] * 3
    assert not set(execute.THREAD_LIMITS) - {"OMP_NUM_THREADS"} & set(
        execute._kernel_env({"ipynb": "/tmp/x/a.ipynb", "threads": None}))


def test_duckdb_takes_its_threads_from_the_environment(monkeypatch):
    from salesnb.data import loader

    monkeypatch.setenv("SALESNB_THREADS", "1")
    con = loader.connection(reset=True)
    try:
        assert con.execute("SELECT current_setting('threads')").fetchall() == [(1,)]
    finally:
        con.close()
    monkeypatch.setenv("SALESNB_THREADS", "lots")
    assert loader.duckdb_config() == {}
    monkeypatch.delenv("SALESNB_THREADS")
    loader.connection(reset=True).close()  # the next test gets every core again
