"""``salesnb run``: execute report notebooks with papermill into a dated, self-contained run folder.

A run folder holds every executed notebook, an HTML page per notebook with the code hidden, an
``index.html`` linking them with status and duration, and ``manifest.json`` (parameters, source and
data fingerprint, package versions, timings, status). It is written under a temporary name and
renamed when complete; ``outputs/latest`` moves to it only when every notebook succeeded, so a
failed or interrupted run never replaces the last good report. A failed run is kept as
``<run>-failed`` with its executed notebooks, for debugging.

Each notebook runs in a kernel of its own, over IPC (:mod:`salesnb.report.execute`), in this
process or, with ``jobs > 1``, in worker processes; the progress of every report and section
reaches a :class:`~salesnb.report.progress.Progress` (bars on a terminal, lines in a log).

The runner knows notebooks and parameters, never analysis.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import html
import json
import multiprocessing
import os
import platform
import queue
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from salesnb.core.files import read_yaml
from salesnb.core.fmt import escape
from salesnb.errors import SalesnbError
from salesnb.paths import NOTEBOOKS_DIR, outputs_dir, resolve_path
from salesnb.report.catalog import NOTEBOOKS, notebook_spec
from salesnb.report.execute import execute, execute_in_worker, worker_init
from salesnb.report.params import NotebookSpec, ParameterError, spec_from_notebook, validate_params
from salesnb.report.progress import LineProgress, Progress

__all__ = ["NotebookRun", "RunResult", "plan_runs", "run_reports", "fingerprint",
           "DEFAULT_TIMEOUT"]

#: Seconds a single cell may run before its kernel is stopped.
DEFAULT_TIMEOUT = 600
_PACKAGES = ("salesnb", "pandas", "numpy", "pyarrow", "duckdb", "scikit-learn", "statsmodels",
             "matplotlib", "seaborn", "papermill", "nbconvert", "ipykernel")


@dataclass
class NotebookRun:
    """One notebook of a run: what was asked and what happened.

    Attributes
    ----------
    name, title : str
        Notebook name and report title.
    input : str
        The source notebook.
    parameters : dict
        The validated parameters it ran with.
    status : str
        ``pending``, ``ok``, ``failed`` or ``interrupted``.
    seconds : float
        Wall time of execution and HTML export.
    error : str, optional
        One-line cause when it failed.
    cell : int, optional
        Execution count (``In [n]``) of the failing cell.
    """

    name: str
    title: str
    description: str
    input: str
    parameters: dict[str, Any]
    status: str = "pending"
    seconds: float = 0.0
    error: str | None = None
    cell: int | None = None

    @property
    def ipynb(self) -> str:
        """File name of the executed notebook in the run folder."""
        return f"{self.name}.ipynb"

    @property
    def html(self) -> str:
        """File name of the HTML page in the run folder."""
        return f"{self.name}.html"


@dataclass
class RunResult:
    """Outcome of :func:`run_reports`."""

    run_dir: Path
    status: str
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every notebook succeeded, 130 when interrupted, 1 otherwise."""
        return {"ok": 0, "interrupted": 130}.get(self.status, 1)

    def failure_message(self) -> str:
        """One line per failed or interrupted notebook: name, cell, cause, where it was kept."""
        lines = []
        for nb in self.notebooks:
            kept = f"(executed notebook kept in {self.run_dir / nb.ipynb})"
            if nb.status == "failed":
                cell = f" at cell In [{nb.cell}]" if nb.cell is not None else ""
                lines.append(f"{nb.name} failed{cell}: {nb.error} {kept}")
            elif nb.status == "interrupted":
                lines.append(f"{nb.name}: {nb.error} {kept}")
        return "\n".join(lines)


def _load_param_file(path: Path | None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read a YAML parameter file: top-level values for all notebooks, ``notebooks:`` per one."""
    if path is None:
        return {}, {}
    if not path.is_file():
        raise ParameterError(f"parameter file {path} does not exist")
    raw = read_yaml(path, error=ParameterError) or {}
    if not isinstance(raw, dict):
        raise ParameterError(f"parameter file {path}: expected 'name: value' lines")
    per = raw.pop("notebooks", None) or {}
    if not isinstance(per, dict) or not all(isinstance(v, dict) for v in per.values()):
        raise ParameterError(f"parameter file {path}: 'notebooks' must map notebook names to "
                             "'name: value' lines")
    return raw, per


def _resolve_notebook(name: str) -> NotebookSpec:
    if name.endswith(".ipynb"):
        path = Path(name)
        if not path.is_file():
            raise SalesnbError(f"notebook {name} does not exist")
        if path.resolve().parent == NOTEBOOKS_DIR.resolve() and path.stem in NOTEBOOKS:
            return NOTEBOOKS[path.stem]
        return spec_from_notebook(path)
    try:
        return notebook_spec(name)
    except KeyError as exc:
        raise SalesnbError(str(exc.args[0])) from None


def plan_runs(
    notebooks: Iterable[str] = (),
    *,
    run_all: bool = False,
    params: dict[str, Any] | None = None,
    param_file: Path | None = None,
    source: str | None = None,
    show_pii: bool = False,
) -> list[NotebookRun]:
    """Resolve notebooks and validate every parameter before any kernel starts.

    Parameters
    ----------
    notebooks : iterable of str
        Catalog names (``00_data_quality`` or ``data_quality``) or ``.ipynb`` paths.
    run_all : bool, default=False
        Run every catalog notebook.
    params : dict, optional
        ``-p NAME VALUE`` pairs (texts are parsed by type). Each name must belong to at least
        one chosen notebook; it is given to every notebook that has it.
    param_file : pathlib.Path, optional
        YAML file: ``name: value`` lines for all notebooks, plus an optional
        ``notebooks: {name: {param: value}}`` section for single notebooks. Flags win.
    source : str, optional
        Data source for every notebook (checked to exist now).
    show_pii : bool, default=False
        Let reports show personal data.

    Returns
    -------
    list of NotebookRun

    Raises
    ------
    SalesnbError
        Unknown notebook, unknown parameter, wrong type or range, missing source.
    """
    names = list(NOTEBOOKS) if run_all else list(notebooks)
    if not names:
        raise SalesnbError("no notebook given; name one (see 'salesnb list') or use --all")
    specs = [_resolve_notebook(n) for n in dict.fromkeys(names)]
    common, per = _load_param_file(param_file)
    common = {**common, **(params or {})}
    if source is not None:
        common["source"] = source
    if show_pii:
        common["show_pii"] = True
    known = {p.name for s in specs for p in s.params}
    for name in common:
        if name not in known:
            raise ParameterError(f"unknown parameter {name!r}: none of "
                                 f"{', '.join(s.name for s in specs)} has it; their parameters "
                                 f"are: {', '.join(sorted(known)) or 'none'}")
    unknown_nb = set(per) - {s.name for s in specs}
    if unknown_nb:
        raise ParameterError(f"parameter file names notebook(s) not in this run: "
                             f"{', '.join(sorted(unknown_nb))}")
    runs = []
    for spec in specs:
        values = {k: v for k, v in common.items() if any(p.name == k for p in spec.params)}
        values.update(per.get(spec.name, {}))
        checked = validate_params(spec, values)
        for key in _INPUT_FILES:  # read by the kernel, given relative to the user's folder
            if checked.get(key):
                checked[key] = str(resolve_path(checked[key]))
        path = spec.path or NOTEBOOKS_DIR / f"{spec.name}.ipynb"
        runs.append(NotebookRun(spec.name, spec.title, spec.description, str(path), checked))
    return runs


#: Parameters naming a file or folder the report reads; resolved before any kernel starts.
_INPUT_FILES = ("source", "mapping", "series_file", "plan_file")


def fingerprint(source: str | Path) -> dict[str, Any]:
    """SHA-256 of a data source's files (names and contents), so a report can be traced to data.

    Returns
    -------
    dict
        ``{"path", "sha256", "files", "bytes"}``.
    """
    path = Path(source)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    files = [f for f in files if not f.name.startswith(".") and f.suffix.lower() != ".md"]
    digest = hashlib.sha256()
    total = 0
    for f in files:
        digest.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        with f.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
                total += len(block)
    return {"path": str(path), "sha256": digest.hexdigest(), "files": len(files), "bytes": total}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _header(run: NotebookRun, run_id: str, fp: dict[str, Any] | None) -> str:
    """The Markdown line above a report: run, data and parameters, every value escaped."""
    shown = {k: v for k, v in run.parameters.items() if k not in ("source", "mapping")}
    params = ", ".join(f"{escape(k)} = {escape(repr(v))}" if v != "" else
                       f"{escape(k)} = (default)" for k, v in shown.items()) or "defaults"
    data = (f"data <code>{escape(Path(fp['path']).name)}</code> (sha256 "
            f"{escape(fp['sha256'][:12])})" if fp else "no data")
    return (f"<small>salesnb report · run {escape(run_id)} · {data} · parameters: {params} · "
            f"[all reports](index.html)</small>")


def _new_run_id(out: Path) -> str:
    base = dt.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    run_id, n = base, 1
    while any((out / f"{run_id}{s}").exists() for s in ("", "-failed", "-interrupted")):
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def _point_latest(out: Path, run_id: str) -> None:
    """Atomically point ``out/latest`` at ``run_id`` (a symlink; a text file where unsupported)."""
    tmp = out / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    try:
        tmp.symlink_to(run_id, target_is_directory=True)
        os.replace(tmp, out / "latest")
    except OSError:
        (out / "LATEST").write_text(run_id + "\n", encoding="utf-8")


#: Files a report may export into its run folder; the index links them.
_DOWNLOADS = (".csv", ".xlsx")

_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>salesnb reports · {run_id}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .5rem .6rem; border-bottom: 1px solid #ddd;
          vertical-align: top; }}
.ok {{ color: #1e7e34; font-weight: bold; }} .failed, .interrupted {{ color: #b21f2d;
       font-weight: bold; }}
.meta {{ color: #555; font-size: .9rem; }} .err {{ color: #b21f2d; font-size: .9rem; }}
</style></head><body>
<h1>Sales reports</h1>
<p class="meta">Run {run_id} · {status_word} · started {started} · {seconds:.1f} s ·
data: {source} (sha256 {sha}) · salesnb {salesnb}</p>
<table><thead><tr><th>Report</th><th>What it answers</th><th>Status</th><th>Time</th></tr>
</thead><tbody>
{rows}
</tbody></table>
{downloads}<p class="meta">Each report shows results only (no code). The executed notebooks and
<code>manifest.json</code> (parameters, data fingerprint, package versions) are in this folder.</p>
</body></html>
"""


def _write_index(run_dir: Path, run_id: str, manifest: dict[str, Any],
                 runs: list[NotebookRun]) -> None:
    """Write ``index.html``: every text escaped, every link percent-encoded (file names)."""
    from urllib.parse import quote

    def esc(value: object) -> str:
        return html.escape(str(value))

    rows = []
    for r in runs:
        link = (f'<a href="{esc(quote(r.html))}">{esc(r.title)}</a>'
                if (run_dir / r.html).exists() else esc(r.title))
        err = (f'<div class="err">{esc(r.error)}</div>' if r.error else "")
        rows.append(f"<tr><td>{link}</td><td>{esc(r.description)}{err}</td>"
                    f'<td class="{esc(r.status)}">{esc(r.status)}</td>'
                    f"<td>{r.seconds:.1f} s</td></tr>")
    sources = manifest.get("source") or {}
    sources = [sources] if isinstance(sources, dict) else sources  # or one per notebook
    source = ", ".join(Path(s.get("path", "-")).name for s in sources) or "-"
    sha = ", ".join(s.get("sha256", "-")[:12] for s in sources) or "-"
    files = sorted(p.name for p in run_dir.iterdir() if p.suffix in _DOWNLOADS)
    downloads = ("<p>Downloads: " + ", ".join(
        f'<a href="{esc(quote(f))}">{esc(f)}</a>' for f in files) + "</p>\n"
        if files else "")
    (run_dir / "index.html").write_text(_INDEX.format(
        downloads=downloads,
        run_id=esc(run_id),
        status_word=esc({"ok": "all reports succeeded"}.get(manifest["status"],
                                                            manifest["status"])),
        started=esc(manifest["started"]), seconds=manifest["seconds"],
        source=esc(source), sha=esc(sha),
        salesnb=esc(manifest["versions"]["salesnb"]), rows="\n".join(rows)), encoding="utf-8")


def run_reports(
    runs: list[NotebookRun],
    *,
    out: Path | None = None,
    jobs: int = 1,
    timeout: int = DEFAULT_TIMEOUT,
    progress: Progress | Callable[[str], None] | None = None,
) -> RunResult:
    """Execute planned notebooks into a new run folder under ``out``.

    Parameters
    ----------
    runs : list of NotebookRun
        From :func:`plan_runs`.
    out : pathlib.Path, optional
        Folder holding the run folders and the ``latest`` pointer (default:
        :func:`salesnb.paths.outputs_dir`, ``outputs/``).
    jobs : int, default=1
        Notebooks executed at once (each in its own process and kernel).
    timeout : int, default=600
        Seconds a cell may run before its kernel is stopped.
    progress : Progress or callable, optional
        Told as reports start, move from section to section and finish
        (:class:`~salesnb.report.progress.BarProgress` draws bars on a terminal); a callable
        receives plain lines (:class:`~salesnb.report.progress.LineProgress`). Default: silent.

    Returns
    -------
    RunResult
        ``status`` is ``ok`` only when every notebook succeeded; only then does
        ``out/latest`` move.
    """
    if progress is None:
        progress = Progress()
    elif not isinstance(progress, Progress):
        progress = LineProgress(progress)
    out = Path(out) if out is not None else outputs_dir()
    out.mkdir(parents=True, exist_ok=True)
    run_id = _new_run_id(out)
    tmp = out / f".tmp-{run_id}"
    tmp.mkdir()
    started = dt.datetime.now()
    sources = {r.parameters["source"] for r in runs if r.parameters.get("source")}
    prints = {s: fingerprint(s) for s in sources}
    jobs_list = []
    for i, r in enumerate(runs, 1):
        fp = prints.get(r.parameters.get("source", ""))
        jobs_list.append({"index": i, "input": r.input, "ipynb": str(tmp / r.ipynb),
                          "html": str(tmp / r.html), "parameters": r.parameters,
                          "cwd": str(Path(r.input).resolve().parent), "timeout": timeout,
                          "title": r.title, "header": _header(r, run_id, fp)})
    status = "ok"
    t0 = time.perf_counter()
    previous = signal.getsignal(signal.SIGTERM)

    def _term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    in_main = _is_main_thread()
    if in_main:
        signal.signal(signal.SIGTERM, _term)
    try:
        progress.run_started(run_id, [r.name for r in runs], jobs)
        _dispatch(runs, jobs_list, jobs, progress)
    except KeyboardInterrupt:
        status = "interrupted"
        for r in runs:
            if r.status == "pending":
                r.status, r.error = "interrupted", "interrupted before it finished"
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    if status == "ok" and any(r.status != "ok" for r in runs):
        status = "failed"
    seconds = round(time.perf_counter() - t0, 2)
    manifest = {
        "run_id": run_id,
        "status": status,
        "started": started.isoformat(timespec="seconds"),
        "seconds": seconds,
        "jobs": jobs,
        "timeout": timeout,
        "source": next(iter(prints.values())) if len(prints) == 1 else list(prints.values()),
        "versions": _versions(),
        "command": sys.argv,
        "notebooks": [{**asdict(r), "ipynb": r.ipynb, "html": r.html} for r in runs],
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str),
                                       encoding="utf-8")
    _write_index(tmp, run_id, manifest, runs)
    final = out / (run_id if status == "ok" else f"{run_id}-{status}")
    os.replace(tmp, final)
    if status == "ok":
        _point_latest(out, final.name)
    progress.run_finished(status, seconds)
    progress.close()
    return RunResult(final, status, runs)


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _deliver(progress: Progress, runs: list[NotebookRun], event: tuple[Any, ...]) -> None:
    """Pass an event from :func:`salesnb.report.execute.execute` on to the progress."""
    kind, index, *rest = event
    run = runs[index - 1]
    if run.status != "pending":  # a late event of a finished report
        return
    if kind == "start":
        progress.report_started(index, run.name)
    elif kind == "section":
        progress.section(index, *rest)
    elif kind == "stage":
        progress.stage(index, *rest)


def _apply(run: NotebookRun, index: int, res: dict[str, Any], progress: Progress) -> None:
    run.status, run.error, run.cell, run.seconds = (res["status"], res["error"], res["cell"],
                                                    round(res["seconds"], 2))
    progress.report_finished(index, run.name, run.status, run.seconds, run.error)


def _dispatch(runs: list[NotebookRun], jobs_list: list[dict[str, Any]], jobs: int,
              progress: Progress) -> None:
    n = len(runs)
    if jobs <= 1 or n == 1:
        for i, (r, job) in enumerate(zip(runs, jobs_list, strict=True), 1):
            res = execute(job, lambda event: _deliver(progress, runs, event))
            if res["status"] == "interrupted":
                r.status, r.error = "interrupted", "interrupted"
                raise KeyboardInterrupt
            _apply(r, i, res, progress)
        return
    ctx = multiprocessing.get_context("spawn")
    events = ctx.Queue()
    pool = cf.ProcessPoolExecutor(max_workers=min(jobs, n), mp_context=ctx,
                                  initializer=worker_init, initargs=(events,))
    try:
        futures = {pool.submit(execute_in_worker, job): i
                   for i, job in enumerate(jobs_list, 1)}
        waiting = set(futures)
        while waiting:
            done, waiting = cf.wait(waiting, timeout=0.25, return_when=cf.FIRST_COMPLETED)
            _drain(events, progress, runs)
            for fut in done:
                i = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # a worker process that died
                    res = {"status": "failed", "error": f"worker died: {exc}", "cell": None,
                           "seconds": 0.0}
                _apply(runs[i - 1], i, res, progress)
    except KeyboardInterrupt:
        workers = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in workers:
            proc.terminate()  # the worker stops its notebook, kernel and kernel folder
        raise
    pool.shutdown(wait=True)
    _drain(events, progress, runs)
    events.close()


def _drain(events: Any, progress: Progress, runs: list[NotebookRun]) -> None:
    """Deliver the events the workers have sent so far."""
    while True:
        try:
            event = events.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        _deliver(progress, runs, event)
