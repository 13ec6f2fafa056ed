"""The papermill engine of ``salesnb run``: nbclient's, with a quiet stop of the kernel.

papermill's own engine stops a kernel by interrupting it (SIGINT) and then asking it to shut
down. After a finished notebook the idle kernel may log "KeyboardInterrupt caught in kernel";
after an interrupted run (Ctrl-C, SIGTERM from a scheduler) the busy kernel prints a ZMQ
traceback and nbclient's abandoned tasks print "Kernel died while waiting for execute reply"
and "Task exception was never retrieved". None of it is the user's business. This engine asks
a finished notebook's kernel to shut down without the interrupt, and after an interruption
cancels the waiting tasks and kills the kernel at once. The kernel's own output (its start-up
lines, "Parent appears to have exited" when the runner is stopped) goes to a log file in the
kernel's private folder, not to the user's terminal (the runner starts the kernel and lends it,
with its client: :mod:`salesnb.report.execute`). papermill writes the whole notebook at every
cell's start and end, for the progress of a long run read from the file; the runner's
progress comes from events, so this engine writes it once, when the notebook ends (a third of
the runner's time on a run of small reports went to those writes). Importing the module
registers the engine with papermill as :data:`NAME`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_core.utils import ensure_event_loop, run_sync
from nbclient.util import run_hook
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import remove_args

__all__ = ["NAME", "RunClient", "RunEngine"]

#: The engine's name for ``papermill.execute_notebook(engine_name=...)``.
NAME = "salesnb"


def _cancel_pending() -> None:
    """Cancel the tasks an interruption left waiting on this thread's event loop."""
    loop = ensure_event_loop()
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


class RunClient(PapermillNotebookClient):
    """papermill's notebook client whose kernel stops quietly (at once when interrupted).

    A kernel lent by the runner (``km=``) is left running; only the client's channels close.
    A client lent with it (``kc=``, connected and ready) is used as it is and stays open, so
    a warm kernel's notebooks skip the client's start (about 0.2 s each).
    """

    def __init__(self, nb_man: Any, km: Any = None, kc: Any = None, **kw: Any) -> None:
        super().__init__(nb_man, km=km, **kw)
        self.lent_kc = kc

    @contextmanager
    def setup_kernel(self, **kwargs: Any) -> Iterator[None]:
        """Start the kernel; stop it when done (at once after an interruption)."""
        if self.lent_kc is not None:
            self.kc = self.lent_kc
            self.kc.allow_stdin = False
            run_sync(run_hook)(self.on_notebook_start, notebook=self.nb)
        with super().setup_kernel(**kwargs):
            try:
                yield
            except KeyboardInterrupt:
                self.shutdown_kernel = "immediate"  # no shutdown request to a busy kernel
                _cancel_pending()
                raise
            if self.km is not None and self.owns_km:  # done: the idle kernel exits by itself
                run_sync(self.km.request_shutdown)()
                run_sync(self.km.finish_shutdown)()  # waits, kills only if it hangs
            elif self.kc is not None:  # a warm kernel lent by the runner: only our client goes
                if self.kc is not self.lent_kc:
                    self.kc.stop_channels()
                self.kc = None


class RunEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`RunClient`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None,
                                 start_timeout: int = 60, execution_timeout: int | None = None,
                                 **kwargs: Any) -> Any:
        """Execute the notebook of ``nb_man`` (as papermill's nbclient engine does).

        Parameters
        ----------
        nb_man : papermill.engines.NotebookExecutionManager
            The notebook and its execution state.
        kernel_name : str
            The kernel to start.
        log_output, stdout_file, stderr_file
            As for ``papermill.execute_notebook``.
        start_timeout : int, default=60
            Seconds the kernel may take to start.
        execution_timeout : int, optional
            Seconds a cell may run.
        **kwargs
            Options of ``nbclient.NotebookClient`` (``config``, ``on_cell_start``, ...).

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook.
        """
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        nb_man.save = _no_save  # until papermill's final save (notebook_complete)
        try:
            return RunClient(nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                             kernel_name=kernel_name, log=logger, log_output=log_output,
                             stdout_file=stdout_file, stderr_file=stderr_file,
                             **kwargs).execute()
        finally:
            del nb_man.save


def _no_save(**_: Any) -> None:
    """Stand in for papermill's save at a cell's start or end: nothing is written."""


papermill_engines.register(NAME, RunEngine)
