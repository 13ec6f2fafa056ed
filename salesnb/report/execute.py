"""Executing one report notebook for the runner: papermill, a kernel over IPC, HTML, events.

:func:`execute` runs one notebook (a *job* the runner prepared) with papermill in a kernel of
its own and exports it to HTML with the code hidden; it runs in the runner's process or in a
worker process (:func:`worker_init`, :func:`execute_in_worker`). While it runs it sends events
(``("start", i)``, ``("section", i, done, total, unit, title, seconds)``,
``("stage", i, what)``) to a callback, which the runner turns into progress.

The kernel talks to papermill over IPC (Unix sockets), not TCP: nothing listens on a network
port, and ipykernel has no reason to warn that code and outputs travel unencrypted. Its
connection file and sockets live in a private temporary folder removed when the notebook is done;
the runner keeps every kernel folder of a run in one folder of its own (:func:`kernels_base`)
and removes it when the run ends, so a worker killed mid-stop leaves nothing behind.
papermill runs it with the engine of :mod:`salesnb.report.engine`, which stops an interrupted
kernel quietly.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from salesnb.core.fmt import escape
from salesnb.core.i18n import language, speaking, translations
from salesnb.paths import ARTIFACTS_ENV, DATA_CACHE_ENV, HEADLESS_ENV, THREADS_ENV
from salesnb.report.progress import sections

__all__ = ["Emit", "execute", "kernels_base", "kernel_folder", "kernel_config", "worker_init",
           "execute_in_worker", "descendants", "close_kernel", "kernel_threads",
           "THREAD_LIMITS"]

#: Receives the events of a run (tuples whose first item is the kind).
Emit = Callable[[tuple[Any, ...]], None]

#: Unix socket paths are limited to about 100 characters: a longer temp folder is not used.
_MAX_BASE = 70
#: Events queue of a worker process, set by :func:`worker_init`.
_worker_events: Any = None


def kernels_base() -> str:
    """A private (0700) temporary folder for a run's kernel folders; the caller removes it.

    The runner makes one per run and removes it when the run ends, however it ends: a worker
    killed while its kernel stopped cannot remove its own kernel folder, the runner can.

    Returns
    -------
    str
        The folder, under the temporary folder (or ``/tmp`` when that path is too long for
        Unix socket paths).
    """
    base = tempfile.gettempdir()
    if len(base) > _MAX_BASE and os.path.isdir("/tmp"):
        base = "/tmp"
    return tempfile.mkdtemp(prefix="salesnb-run-", dir=base)


def kernel_folder(base: str | None = None) -> tempfile.TemporaryDirectory[str]:
    """A private (0700) temporary folder for one kernel's connection file and sockets.

    Parameters
    ----------
    base : str, optional
        The run's folder from :func:`kernels_base`; the temporary folder when not given.

    Returns
    -------
    tempfile.TemporaryDirectory
        Removed when the ``with`` block ends (errors ignored: a kernel may still be writing).
    """
    if base is None:
        base = tempfile.gettempdir()
        if len(base) > _MAX_BASE and os.path.isdir("/tmp"):
            base = "/tmp"
    return tempfile.TemporaryDirectory(prefix="salesnb-kernel-", dir=base,
                                       ignore_cleanup_errors=True)


def kernel_config(folder: str | Path) -> Any:
    """Jupyter configuration for a kernel that talks over IPC sockets inside ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where the connection file (``kernel.json``) and the sockets (``kernel-1`` ...) go.

    Returns
    -------
    traitlets.config.Config
        For ``KernelManager``; TCP (the default) on Windows, which has no IPC sockets.
    """
    from traitlets.config import Config

    config = Config()
    if sys.platform != "win32":
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(folder) / "kernel")
    config.KernelManager.connection_file = str(Path(folder) / "kernel.json")
    return config


class _Hooks:
    """nbclient callbacks sending a ``section`` event as each section's first cell starts."""

    def __init__(self, index: int, emit: Emit, start: float) -> None:
        self.index, self.emit, self.start = index, emit, start
        self.starts: dict[int, Any] = {}
        self.total = 0
        #: Execution count (``In [n]``) and first line of the code cell running now.
        self.count = 0
        self.first = ""

    def where(self) -> str:
        """The running cell, for a message: ``cell In [3] (starts: time.sleep(60))``."""
        if not self.count:
            return "before the first cell"
        return f"cell In [{self.count}]" + (f" (starts: {self.first})" if self.first else "")

    def notebook_start(self, notebook: Any, **_: Any) -> None:
        self.starts, self.total = sections(notebook.cells)

    def cell_start(self, cell: Any, cell_index: int, **_: Any) -> None:
        source = cell.get("source", "")
        if cell.get("cell_type") == "code" and source.strip():  # nbclient skips empty cells
            self.count += 1
            self.first = source.strip().splitlines()[0][:80]
        section = self.starts.get(cell_index)
        if section is not None:
            _send(self.emit, ("section", self.index, section.number, self.total, section.unit,
                              section.title, time.perf_counter() - self.start))


def _send(emit: Emit | None, event: tuple[Any, ...]) -> None:
    """Send an event; progress must never break a run."""
    if emit is None:
        return
    try:
        emit(event)
    except Exception:  # a closed queue or a broken terminal
        pass


def _cell_source(nb_path: Path, exec_count: int | None) -> str:
    """First line of the code cell executed as ``In [exec_count]`` in an executed notebook."""
    if exec_count is None or not nb_path.exists():
        return ""
    try:
        cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError):
        return ""
    for cell in cells:
        if cell.get("execution_count") == exec_count:
            src = "".join(cell["source"]).strip().splitlines()
            return src[0][:80] if src else ""
    return ""


def _facts(nb: Any) -> dict[str, Any]:
    """What an executed report says about itself: its data line and its sections."""
    from salesnb.report.sections import data_record, notebook_sections, report_needs

    records = notebook_sections(nb)
    return {"data": data_record(nb), "needs": report_needs(records),
            "skipped": [r["title"] for r in records if r.get("missing") or r.get("reason")]}


#: The report pages' nbconvert template (a folder beside this module): JupyterLab's, without
#: the scripts it loads from a CDN.
HTML_TEMPLATE = "html_template"


def _export_html(nb: Any, html_path: Path, title: str, meta: str, about: str = "") -> None:
    """Write the executed notebook ``nb`` as HTML with code cells hidden (nbconvert).

    The page opens with the report's title (the notebook's own first heading, else
    ``title``) and its meta line under it (``meta``: scope, period, data, run), and ends with
    ``about`` (the collapsed run details and parameters). Its Markdown cells are written in
    the language being written (:func:`salesnb.core.i18n.speaking`; a cell's English text is
    its message id, and a cell the catalog lacks stays in English). The exporter is made once
    per process and kept (:class:`_Warm`): making one loads and compiles its templates, which
    took three times as long as exporting a report.
    """
    import nbformat
    from nbconvert import HTMLExporter

    lang = language()
    words = translations(lang)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = words.gettext(cell.source.strip())
    first = nb.cells[0] if nb.cells else None
    heading = f"# {escape(title)}"
    if first is not None and first.cell_type == "markdown" and first.source.startswith("# "):
        heading, _, rest = first.source.partition("\n")
        first.source = rest.lstrip("\n")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"{heading}\n\n{meta}"))
    if about:
        nb.cells.append(nbformat.v4.new_markdown_cell(about))
    if _warm.exporter is None:  # JupyterLab's page, with nothing loaded from the internet
        _warm.exporter = HTMLExporter(extra_template_basedirs=[str(Path(__file__).parent)],
                                      template_name=HTML_TEMPLATE, exclude_input=True,
                                      exclude_input_prompt=True, exclude_output_prompt=True)
    # <html lang=...>: nbconvert takes ISO 639-1 codes only ("zh", not "zh-CN")
    _warm.exporter.language_code = lang.split("-")[0]
    body, _ = _warm.exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html_path.write_text(body, encoding="utf-8")


class _Warm:
    """The kernel of this process (and its HTML exporter), kept warm between notebooks.

    Starting a kernel and importing pandas, scikit-learn and matplotlib takes seconds; a run
    of six reports, or of six reports for every rep (``--each rep``), executes them one after
    another in the same kernel, its namespace reset in between (:data:`_RESET`). The data
    loaded and the models every scope shares stay in the kernel's memory
    (:func:`salesnb.report.reporting.report_data`, :func:`salesnb.scope.shared`). A kernel
    that died, timed out or was interrupted is never reused.
    """

    km: Any = None
    #: The kernel's one client (connected and ready), lent to every notebook it runs.
    kc: Any = None
    folder: tempfile.TemporaryDirectory[str] | None = None
    base: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    #: The HTML exporter (nbconvert), made at the first export (see :func:`_export_html`).
    exporter: Any = None


_warm = _Warm()

#: Run before each notebook in a warm kernel (silently: the execution count starts at 1):
#: a clean namespace, the notebook's folder and export folder, no figure or widget left
#: over. What survives the reset (the loaded data, the shared models, the modules) is frozen
#: out of the garbage collector (``gc.freeze``): each later collection, the reset's own
#: included, looks only at what the notebooks made since, which took the reset from about
#: 0.1 s to 0.01 s (it lives as long as the run's kernel; cycles among it are not collected).
#: Its first line (:data:`salesnb.report.sections.NEW_NOTEBOOK`) opens the section
#: gate, which would otherwise skip this very code after a notebook that ended in a section
#: that could not run.
_RESET = """\
# salesnb: new notebook
get_ipython().reset(new_session=False)
import gc as _salesnb_gc, os as _salesnb_os, sys as _salesnb_sys
_salesnb_gc.freeze()
_salesnb_os.chdir({cwd!r})
_salesnb_os.environ[{artifacts_env!r}] = {artifacts!r}
if "matplotlib.pyplot" in _salesnb_sys.modules:
    _salesnb_sys.modules["matplotlib.pyplot"].close("all")
if "ipywidgets" in _salesnb_sys.modules:
    _salesnb_sys.modules["ipywidgets"].Widget.close_all()
del _salesnb_gc, _salesnb_os, _salesnb_sys
get_ipython().execution_count = 1
"""


#: Options of a run's kernels. No input history: a report needs none, and the reset between
#: notebooks starts the line numbers again in the same history session, which IPython's
#: history database refused with "ERROR! Session/line number was not unique in database"
#: printed into the next report's page.
KERNEL_ARGS = ("--HistoryManager.enabled=False",)


#: The thread pools a kernel's libraries size from the environment: DuckDB (salesnb's own
#: variable), OpenMP (scikit-learn), OpenBLAS and MKL (numpy, SciPy, statsmodels).
THREAD_LIMITS = (THREADS_ENV, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def kernel_threads(jobs: int) -> int | None:
    """Threads each of ``jobs`` parallel kernels may use: the cores shared out, at least 1.

    Each library otherwise starts a thread per core in every kernel, and on a machine with
    as many kernels as cores the threads fight over the cores (a run of ``--jobs 2`` on two
    cores took 12 % longer).

    Parameters
    ----------
    jobs : int
        Kernels running at once.

    Returns
    -------
    int or None
        None for one kernel (it may use every core).
    """
    if jobs <= 1:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // jobs)


def _kernel_env(job: dict[str, Any]) -> dict[str, str]:
    """The environment of a run's kernels.

    Headless (panels render statically), the run's data cache, the export folder (set
    again per notebook by :data:`_RESET`) and, for parallel kernels, their share of the
    threads (:func:`kernel_threads`).
    """
    env = dict(os.environ)
    env[HEADLESS_ENV] = "1"
    if job.get("threads"):  # parallel kernels share the cores; a limit the user set stays
        for name in THREAD_LIMITS:
            env.setdefault(name, str(job["threads"]))
    if job.get("data_cache"):
        env[DATA_CACHE_ENV] = job["data_cache"]
    env[ARTIFACTS_ENV] = str(Path(job["ipynb"]).parent)
    return env


def _reset(kc: Any, job: dict[str, Any]) -> bool:
    """Prepare the warm kernel for ``job``'s notebook; False when the kernel did not answer."""
    from jupyter_core.utils import run_sync

    code = _RESET.format(cwd=job["cwd"], artifacts_env=ARTIFACTS_ENV,
                         artifacts=str(Path(job["ipynb"]).parent))
    try:
        reply = run_sync(kc.execute_interactive)(code, silent=True, timeout=30,
                                                 output_hook=lambda _msg: None)
        return reply.get("content", {}).get("status") == "ok"
    except Exception:  # a kernel that does not answer is replaced
        return False


def _kernel_for(job: dict[str, Any]) -> tuple[Any, Any]:
    """The warm kernel and its client for ``job`` (started, or reset after the last notebook)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    env = _kernel_env(job)
    fixed = tuple(sorted((k, v) for k, v in env.items() if k != ARTIFACTS_ENV))
    km = _warm.km
    if km is not None and (_warm.base != job.get("kernels") or _warm.env != fixed
                           or not run_sync(km.is_alive)() or not _reset(_warm.kc, job)):
        close_kernel()
        km = None
    if km is None:
        _warm.folder = kernel_folder(job.get("kernels"))
        folder = _warm.folder.name
        km = AsyncKernelManager(kernel_name="python3", config=kernel_config(folder))
        with open(Path(folder) / "kernel.log", "ab") as log:  # the kernel keeps its own copy
            run_sync(km.start_kernel)(cwd=job["cwd"], env=env, stdout=log, stderr=log,
                                      extra_arguments=list(KERNEL_ARGS))
        _warm.km, _warm.base, _warm.env = km, job.get("kernels"), fixed
        _warm.kc = km.client()
        _warm.kc.start_channels()
        run_sync(_warm.kc.wait_for_ready)(timeout=60)
    return km, _warm.kc


def close_kernel(*, now: bool = False) -> None:
    """Stop this process's warm kernel (at once with ``now``) and remove its folder."""
    from jupyter_core.utils import run_sync

    km, kc, folder = _warm.km, _warm.kc, _warm.folder
    _warm.km, _warm.kc, _warm.folder, _warm.base, _warm.env = None, None, None, None, ()
    if km is not None:
        try:
            if kc is not None:
                kc.stop_channels()
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=now)
            run_sync(km.cleanup_resources)()
        except Exception:  # already gone
            pass
    if folder is not None:
        folder.cleanup()


def _papermill(job: dict[str, Any], out_nb: Path, hooks: _Hooks) -> Any:
    """Run the notebook with papermill in this process's warm kernel (over IPC)."""
    import papermill as pm

    from salesnb.report import engine

    km, kc = _kernel_for(job)
    return pm.execute_notebook(job["input"], str(out_nb), parameters=job["parameters"],
                               engine_name=engine.NAME, kernel_name="python3", cwd=job["cwd"],
                               execution_timeout=job["timeout"], progress_bar=False,
                               log_output=False, stdout_file=None, stderr_file=None, km=km,
                               kc=kc, on_notebook_start=hooks.notebook_start,
                               on_cell_start=hooks.cell_start)


def execute(job: dict[str, Any], emit: Emit | None = None) -> dict[str, Any]:
    """Execute one notebook and export it to HTML.

    Parameters
    ----------
    job : dict
        From the runner: ``index``, ``input``, ``ipynb``, ``html``, ``parameters``, ``cwd``,
        ``timeout``, ``title``, ``header`` and optionally ``kernels`` (see :func:`kernels_base`).
    emit : callable, optional
        Receives the progress events.

    Returns
    -------
    dict
        ``status`` (``ok``, ``not_applicable`` when no section of the report could run on
        the data, ``failed``, ``interrupted``), ``error`` (one line: the cause, or what a
        report that is not applicable needs), ``cell`` (execution count of the failing
        cell), ``seconds``, and from the executed notebook ``data`` (its as-of record, see
        :func:`salesnb.report.reporting.settle_as_of`) and ``skipped`` (titles of the
        sections that could not run).
    """
    start = time.perf_counter()
    _send(emit, ("start", job["index"]))
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    out_nb, out_html = Path(job["ipynb"]), Path(job["html"])
    result: dict[str, Any] = {"status": "ok", "error": None, "cell": None, "data": None,
                              "skipped": []}
    hooks = _Hooks(job["index"], emit or (lambda _e: None), start)
    executed = None  # the executed notebook, when papermill returned it (else read back)
    try:
        executed = _papermill(job, out_nb, hooks)
    except PapermillExecutionError as exc:
        first = _cell_source(out_nb, exc.exec_count)
        evalue = str(exc.evalue).strip().splitlines()
        result.update(status="failed", cell=exc.exec_count,
                      error=f"{exc.ename}: {evalue[0] if evalue else ''}"
                            + (f" [cell starts: {first}]" if first else ""))
    except CellTimeoutError:
        close_kernel(now=True)
        result.update(status="failed", cell=hooks.count or None,
                      error=f"{hooks.where()} ran longer than the {job['timeout']} s "
                      "timeout; the kernel was stopped (raise --timeout if the data is large)")
    except DeadKernelError:
        close_kernel(now=True)
        result.update(status="failed", cell=hooks.count or None,
                      error=f"the kernel died while running {hooks.where()}: it was killed "
                      "or ran out of memory")
    except KeyboardInterrupt:
        close_kernel(now=True)
        result.update(status="interrupted", error="interrupted")
    except Exception as exc:  # papermill/nbclient raise many kinds; report, never crash the run
        close_kernel(now=True)
        msg = str(exc).strip().splitlines()
        result.update(status="failed", error=f"{type(exc).__name__}: {msg[0] if msg else ''}")
    if out_nb.exists() and result["status"] != "interrupted":
        _send(emit, ("stage", job["index"], "writing the HTML page"))
        try:
            import nbformat

            from salesnb.report.pages import data_line, language_of, meta_line

            nb = executed if executed is not None else nbformat.read(out_nb, as_version=4)
            facts = _facts(nb)
            result["data"], result["skipped"] = facts["data"], facts["skipped"]
            if result["status"] == "ok" and facts["needs"]:
                result.update(status="not_applicable", error=f"not applicable: {facts['needs']}")
            with speaking(language_of(job["parameters"])):
                _export_html(nb, out_html, job["title"],
                             meta_line(data_line(facts["data"]), job["header"]),
                             job.get("about", ""))
        except Exception as exc:  # a broken export must not hide the notebook's own status
            if result["status"] == "ok":
                result.update(status="failed", error=f"HTML export failed: {exc}")
    result["seconds"] = time.perf_counter() - start
    return result


def _stop_once(_signum: int, _frame: object) -> None:
    """SIGTERM in a worker: stop the notebook once (its kernel and folder are cleaned up)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def worker_init(events: Any) -> None:
    """Set up a worker process: where its events go, and a clean stop on SIGTERM.

    Parameters
    ----------
    events : multiprocessing.Queue
        The run's event queue (passed when the worker starts, as queues must be).
    """
    global _worker_events  # one per worker process, set once when it starts
    _worker_events = events
    from multiprocessing import util

    util.Finalize(None, close_kernel, exitpriority=10)  # the warm kernel goes with the worker
    events.cancel_join_thread()  # never wait at exit for the runner to read the last events
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the runner, which stops us
    signal.signal(signal.SIGTERM, _stop_once)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True,
                     name="salesnb-parent-watch").start()


def _watch_parent(parent: int, every: float = 0.5, grace: float = 10.0) -> None:
    """In a worker: stop once the runner is gone (e.g. killed with SIGKILL), then exit.

    The notebook is stopped as on SIGTERM (its kernel killed); a kernel still there after
    ``grace`` seconds is killed. Then the worker exits: its pool died with the runner.
    """
    while os.getppid() == parent:
        time.sleep(every)
    os.kill(os.getpid(), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while descendants(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(128 + signal.SIGTERM)


def descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (children, grandchildren ...), from ``/proc``; [] elsewhere."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def execute_in_worker(job: dict[str, Any]) -> dict[str, Any]:
    """:func:`execute` in a worker process, its events sent to the run's queue."""
    events = _worker_events
    return execute(job, events.put if events is not None else None)
