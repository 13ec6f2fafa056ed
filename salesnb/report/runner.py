"""``salesnb run``: execute report notebooks with papermill into a dated, self-contained run folder.

A run folder holds every executed notebook, an HTML page per notebook with the code hidden, an
``index.html`` linking them with status and duration, and ``manifest.json`` (parameters, source and
data fingerprint, package versions, timings, status). It is written under a temporary name and
renamed when complete; ``outputs/latest`` moves to it only when every notebook succeeded, so a
failed or interrupted run never replaces the last good report. A failed run is kept as
``<run>-failed`` (an interrupted one as ``<run>-interrupted``) with its executed notebooks, for
debugging.

Faults: run ids are unique within an output folder (a ``-2``, ``-3`` ... suffix for runs of the
same second), allocated and published under a lock on ``<out>/.lock`` (``fcntl.flock``), so
concurrent runs into one folder all succeed and ``latest`` names the newest successful one. The
temporary folder holds a ``.pid`` file naming its run's process; a later run removes the
temporary folders of runs that died (SIGKILL, power loss). SIGINT and SIGTERM stop every kernel
and keep the run as ``<run>-interrupted`` (exit 130 and 143). An output folder that cannot be
created or written (a file, read-only, full) raises :class:`OutputError` (``salesnb run``
exit 2) and leaves no temporary folder behind.

Each notebook runs in a kernel of its own, over IPC (:mod:`salesnb.report.execute`), in this
process or, with ``jobs > 1``, in worker processes; the progress of every report and section
reaches a :class:`~salesnb.report.progress.Progress` (bars on a terminal, lines in a log).

The runner knows notebooks and parameters, never analysis.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import errno
import json
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from salesnb.core.i18n import check_locale
from salesnb.data.urls import is_url, redact
from salesnb.errors import SalesnbError
from salesnb.paths import (
    DATA_CACHE_ENV,
    NOTEBOOKS_DIR,
    export_name_problem,
    resolve_path,
    resolve_source,
)
from salesnb.report import pages, runfolder
from salesnb.report.catalog import NOTEBOOKS, notebook_spec
from salesnb.report.datacheck import check_data_values
from salesnb.report.execute import (
    close_kernel,
    descendants,
    execute,
    execute_in_worker,
    kernel_threads,
    kernels_base,
    worker_init,
)
from salesnb.report.interrupts import Signals
from salesnb.report.params import (
    NotebookSpec,
    ParameterError,
    load_param_file,
    spec_from_notebook,
    validate_params,
)
from salesnb.report.progress import LineProgress, Progress
from salesnb.report.provenance import fingerprint, versions
from salesnb.report.runfolder import OutputError
from salesnb.report.scoperuns import each_scope, write_sets

try:  # POSIX; elsewhere runs into one folder are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["NotebookRun", "RunResult", "OutputError", "FIGURES", "plan_runs", "run_reports",
           "fingerprint", "DEFAULT_TIMEOUT"]

#: Seconds a single cell may run before its kernel is stopped.
DEFAULT_TIMEOUT = 600


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
        ``pending``, ``ok``, ``not_applicable`` (no section of the report can run on the
        data: it needs tables or columns the data does not have), ``failed`` or
        ``interrupted``.
    seconds : float
        Wall time of execution and HTML export.
    error : str, optional
        One-line cause when it failed, or what a report that is not applicable needs.
    cell : int, optional
        Execution count (``In [n]``) of the failing cell.
    named : bool
        The report was asked for by name (not by ``--all``): when it is not applicable the
        run fails (exit 1), since what was asked for could not be made.
    as_of : str, optional
        The day the report was as of (ISO), and ``data_through`` the data's last day.
    skipped : list of str
        Titles of the sections that could not run on the data (each shows a note instead).
    folder : str
        The run folder's subfolder the report goes to (one per scope with ``--each``, e.g.
        ``region-East``; empty: the run folder itself).
    scope_label : str, optional
        The report's scope in words, as the executed report stated it.
    figures : dict
        Its data's key figures (:data:`FIGURES`), as the executed report stated them.
    pdf : str
        Path of its PDF in the run folder (``--pdf``); empty when none was printed.
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
    named: bool = False
    as_of: str | None = None
    data_through: str | None = None
    skipped: list[str] = field(default_factory=list)
    folder: str = ""
    scope_label: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    pdf: str = ""

    @property
    def fails_run(self) -> bool:
        """Whether this notebook makes the run fail (failed, or not applicable but named)."""
        return self.status == "failed" or (self.status == "not_applicable" and self.named)

    @property
    def ipynb(self) -> str:
        """Path of the executed notebook in the run folder."""
        return f"{self.folder}/{self.name}.ipynb" if self.folder else f"{self.name}.ipynb"

    @property
    def html(self) -> str:
        """Path of the HTML page in the run folder."""
        return f"{self.folder}/{self.name}.html" if self.folder else f"{self.name}.html"


@dataclass
class RunResult:
    """Outcome of :func:`run_reports`."""

    run_dir: Path
    status: str
    notebooks: list[NotebookRun] = field(default_factory=list)
    #: The signal that interrupted the run (``signal.SIGINT``, ``signal.SIGTERM``), if any.
    signum: int | None = None

    @property
    def exit_code(self) -> int:
        """0 when every notebook succeeded, 1 when one failed, 128 + signal when interrupted.

        An interrupted run exits 130 (SIGINT, Ctrl-C) or 143 (SIGTERM), as a shell reports a
        process stopped by that signal.
        """
        if self.status == "interrupted":
            return 128 + (self.signum or signal.SIGINT)
        return {"ok": 0}.get(self.status, 1)

    def failure_message(self) -> str:
        """One line per failed or interrupted notebook: name, cell, cause, where it was kept."""
        lines = []
        for nb in self.notebooks:
            kept = f"(executed notebook kept in {self.run_dir / nb.ipynb})"
            if nb.status == "failed":
                cell = f" at cell In [{nb.cell}]" if nb.cell is not None else ""
                lines.append(f"{nb.name} failed{cell}: {nb.error} {kept}")
            elif nb.status == "not_applicable" and nb.named:
                lines.append(f"{nb.name} was asked for but is {nb.error} "
                             f"(see {self.run_dir / nb.html})")
            elif nb.status == "interrupted":
                lines.append(f"{nb.name}: {nb.error} {kept}")
        return "\n".join(lines)


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


#: Parameters naming a file or folder the report reads; resolved before any kernel starts.
_INPUT_FILES = ("source", "mapping", "series_file", "plan_file")
#: The key figures of a report's data that its manifest entry records (``figures``): rows per
#: table, rows quarantined, the scope's order lines and revenue and the company's revenue.
FIGURES = ("rows", "quarantined", "lines", "revenue", "company_revenue")


def _is_output_file(name: str) -> bool:
    """Whether parameter ``name`` names a file the report writes (``actions_file`` ...).

    Every ``*_file`` parameter that is not an input (:data:`_INPUT_FILES`) is an export: its
    value must be a plain file name, written into the run folder.
    """
    return name.endswith("_file") and name not in _INPUT_FILES


def plan_runs(
    notebooks: Iterable[str] = (),
    *,
    run_all: bool = False,
    params: dict[str, Any] | None = None,
    param_file: Path | None = None,
    source: str | None = None,
    show_pii: bool = False,
    each: str | None = None,
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
    each : {"region", "manager", "rep"}, optional
        One set of the reports for the company and one for every region, manager's team or
        rep the data holds (:func:`salesnb.scope.model.choices_from`), each set in a folder of
        its own (``company``, ``region-East``, ``manager-R003``, ``rep-R013``).

    Returns
    -------
    list of NotebookRun

    Raises
    ------
    SalesnbError
        Unknown notebook, unknown parameter, wrong type or range, missing source; a region,
        category, rep or period the data does not hold (:mod:`salesnb.report.datacheck`).
    """
    names = list(NOTEBOOKS) if run_all else list(notebooks)
    if not names:
        raise SalesnbError("no notebook given; name one (see 'salesnb list') or use --all")
    specs = [_resolve_notebook(n) for n in dict.fromkeys(names)]
    common, per = load_param_file(param_file)
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
    runs, checks = [], []
    for spec in specs:
        values = {k: v for k, v in common.items() if any(p.name == k for p in spec.params)}
        values.update(per.get(spec.name, {}))
        checked = validate_params(spec, values)
        if "lang" in checked:  # an unknown currency is refused before any kernel starts
            check_locale(checked["lang"], checked.get("currency", ""))
        for key in _INPUT_FILES:  # read by the kernel, given relative to the user's folder
            if checked.get(key):  # a database URL's password moves into PGPASSWORD
                checked[key] = (resolve_source(checked[key]) if key == "source"
                                else str(resolve_path(checked[key])))
        for key, value in checked.items():  # written by the kernel, into the run folder
            if _is_output_file(key) and value:
                problem = export_name_problem(value)
                if problem is not None:
                    raise ParameterError(
                        f"parameter {key}={value!r} is refused: {problem}; give a plain file "
                        f"name such as 'actions.xlsx' (exports are written into the run "
                        f"folder, beside the report)")
        path = spec.path or NOTEBOOKS_DIR / f"{spec.name}.ipynb"
        checks.append((spec, checked))
        runs.append(NotebookRun(spec.name, spec.title, spec.description, str(path), checked,
                                named=not run_all))
    check_data_values(checks)  # a region, category or period the data does not hold
    return each_scope(runs, each, common) if each else runs


def run_reports(
    runs: list[NotebookRun],
    *,
    out: Path | None = None,
    jobs: int = 1,
    timeout: int = DEFAULT_TIMEOUT,
    progress: Progress | Callable[[str], None] | None = None,
    pdf: bool = False,
) -> RunResult:
    """Execute planned notebooks into a new run folder under ``out``.

    Parameters
    ----------
    runs : list of NotebookRun
        From :func:`plan_runs`.
    out : pathlib.Path, optional
        Folder holding the run folders and the ``latest`` pointer (default:
        :func:`salesnb.paths.outputs_dir`, ``outputs/``); a relative path is taken from the
        current folder.
    jobs : int, default=1
        Notebooks executed at once (each in its own process and kernel).
    timeout : int, default=600
        Seconds a cell may run before its kernel is stopped.
    progress : Progress or callable, optional
        Told as reports start, move from section to section and finish
        (:class:`~salesnb.report.progress.BarProgress` draws bars on a terminal); a callable
        receives plain lines (:class:`~salesnb.report.progress.LineProgress`). Default: silent.
    pdf : bool, default False
        Also print each page that ran to a PDF beside it (:mod:`salesnb.report.pdf`); a
        page that cannot be printed fails its report.

    Returns
    -------
    RunResult
        ``status`` is ``ok`` only when every notebook succeeded; only then does
        ``out/latest`` move. ``interrupted`` after SIGINT or SIGTERM (``signum`` says which):
        every kernel is stopped and the folder kept as ``<run>-interrupted``.

    Raises
    ------
    OutputError
        ``out`` is a file, cannot be created or written, or fills up; no temporary folder is
        left behind.
    """
    if progress is None:
        progress = Progress()
    elif not isinstance(progress, Progress):
        progress = LineProgress(progress)
    out = runfolder.usable_out(out)
    run_id, tmp = runfolder.start_run(out)
    stop = Signals()
    status = "ok"
    started, t0 = dt.datetime.now(), time.perf_counter()
    prints: dict[str, dict[str, Any]] = {}
    kernels: str | None = None
    try:
        kernels = kernels_base()
        with stop:
            try:
                sources = {r.parameters["source"] for r in runs if r.parameters.get("source")}
                prints = {s: fingerprint(s) for s in sources}
                cache = (None if os.environ.get(DATA_CACHE_ENV)  # the app's, or the user's
                         else str(Path(kernels) / "data"))
                jobs_list = []
                for i, r in enumerate(runs, 1):
                    fp = prints.get(r.parameters.get("source", ""))
                    (tmp / r.ipynb).parent.mkdir(exist_ok=True)
                    jobs_list.append({"index": i, "input": r.input, "ipynb": str(tmp / r.ipynb),
                                      "html": str(tmp / r.html), "parameters": r.parameters,
                                      "cwd": str(Path(r.input).resolve().parent),
                                      "timeout": timeout, "title": r.title,
                                      "kernels": kernels, "data_cache": cache,
                                      "threads": kernel_threads(min(jobs, len(runs))),
                                      "header": pages.header(r, run_id, fp),
                                      "about": pages.about(r, run_id, fp)})
                progress.run_started(run_id, [r.name for r in runs], jobs)
                _dispatch(runs, jobs_list, jobs, progress)
            except KeyboardInterrupt:
                stop.finishing = True  # a second Ctrl-C must not break the clean-up
                status = "interrupted"
                for r in runs:
                    if r.status == "pending":
                        r.status, r.error = "interrupted", "interrupted before it finished"
            if pdf and status == "ok":
                _print(tmp, runs)
            stop.finishing = True
            if status == "ok" and any(r.fails_run for r in runs):
                status = "failed"
            seconds = round(time.perf_counter() - t0, 2)
            manifest = {
                "run_id": run_id,
                "status": status,
                "started": started.isoformat(timespec="seconds"),
                "seconds": seconds,
                "jobs": jobs,
                "timeout": timeout,
                "source": (next(iter(prints.values())) if len(prints) == 1
                           else list(prints.values())),
                "versions": versions(),
                "command": [redact(a) if is_url(a) else a for a in sys.argv],
                "notebooks": [{**asdict(r), "ipynb": r.ipynb, "html": r.html} for r in runs],
            }
            days = {r.as_of for r in runs if r.as_of}
            if len(days) == 1:
                manifest["as_of"] = days.pop()
            if stop.signum is not None:
                manifest["signal"] = signal.Signals(stop.signum).name
            final = _finish(out, tmp, run_id, status, manifest, runs)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # never a temporary folder left behind
        progress.close()
        raise
    finally:
        close_kernel()  # this process's warm kernel (workers stop theirs as they exit)
        if kernels is not None:  # kernel folders a killed worker could not remove
            shutil.rmtree(kernels, ignore_errors=True)
    progress.run_finished(status, seconds)
    progress.close()
    return RunResult(final, status, runs, stop.signum)


#: How a notebook's error names a full disk (``[Errno 28] No space left on device``).
_NO_SPACE = os.strerror(errno.ENOSPC)


def _finish(out: Path, tmp: Path, run_id: str, status: str, manifest: dict[str, Any],
            runs: list[NotebookRun]) -> Path:
    """Write manifest and index, rename the folder and (if ok) move ``latest``; or OutputError.

    On a write error (a full disk, also one a notebook hit; a folder made read-only) the
    temporary folder is removed: the previous good report stays, nothing half-written does.
    """
    try:
        if any(_NO_SPACE in (r.error or "") for r in runs):  # a notebook hit a full disk
            raise OSError(errno.ENOSPC, _NO_SPACE)
        sets = write_sets(tmp, run_id, manifest, runs)  # --each: adds manifest["sets"]
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str),
                                           encoding="utf-8")
        if not sets:
            pages.write_index(tmp, run_id, manifest, runs)
        (tmp / runfolder.OWNER).unlink(missing_ok=True)
        with runfolder.locked(out):
            final = out / (run_id if status == "ok" else f"{run_id}-{status}")
            os.replace(tmp, final)
            if status == "ok":
                runfolder.point_latest(out, final.name)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        hint = " (free some space)" if exc.errno == errno.ENOSPC else ""
        raise OutputError(f"the run could not be written to {out}: {runfolder.reason(exc)}{hint}; "
                          "nothing was kept, the previous good report is untouched") from None
    return final


def _print(tmp: Path, runs: list[NotebookRun]) -> None:
    """Print the pages of the reports that ran to PDFs (``--pdf``); a failure fails them."""
    from salesnb.report.pdf import PdfError, print_pdfs

    done = [r for r in runs if r.status == "ok" and (tmp / r.html).exists()]
    try:
        print_pdfs([tmp / r.html for r in done])
    except PdfError as exc:
        for r in done:
            r.status, r.error = "failed", str(exc)
        return
    for r in done:
        r.pdf = str(Path(r.html).with_suffix(".pdf"))


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
    data = res.get("data") or {}
    run.as_of, run.data_through = data.get("as_of"), data.get("data_through")
    run.scope_label = data.get("scope_label")
    run.figures = {k: data[k] for k in FIGURES if k in data}
    run.skipped = list(res.get("skipped") or [])
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
        _stop_workers(workers)
        raise
    pool.shutdown(wait=True)
    _drain(events, progress, runs)
    events.close()


#: Seconds a worker told to stop (SIGTERM) may take to stop its notebook and kernel.
_STOP_GRACE = 15.0


def _stop_workers(workers: list[Any]) -> None:
    """Stop worker processes: SIGTERM (each stops its notebook and kernel), then SIGKILL.

    A worker still running after :data:`_STOP_GRACE` seconds is killed together with every
    process below it (its kernel), so no kernel outlives the run.
    """
    for proc in workers:
        with contextlib.suppress(OSError, ValueError):
            proc.terminate()
    deadline = time.monotonic() + _STOP_GRACE
    for proc in workers:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                for pid in descendants(proc.pid):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                proc.kill()
                proc.join(5)


def _drain(events: Any, progress: Progress, runs: list[NotebookRun]) -> None:
    """Deliver the events the workers have sent so far."""
    while True:
        try:
            event = events.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        _deliver(progress, runs, event)
