"""Progress of a report run a person can follow: a live bar on a terminal, plain lines in a log.

The runner reports four things: a report started, a report reached a section (a markdown
heading's section of the notebook, or a code cell in a notebook without headings), a report
finished, the run finished. :class:`LineProgress` turns them into plain lines for a cron log or
a pipe (one line per report start and end, a section line at most every ``every`` seconds per
report); :class:`BarProgress` draws live tqdm bars on a terminal (the run, plus one bar per
running report with its section and elapsed time). :func:`sections` splits a notebook.

These classes only format what the runner tells them; they know nothing of the analysis.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["Section", "sections", "Progress", "LineProgress", "BarProgress", "finish_line"]

#: Longest section title shown.
_TITLE = 48


@dataclass(frozen=True)
class Section:
    """Where a notebook section starts.

    Attributes
    ----------
    number : int
        1-based position among the sections.
    unit : {"section", "cell"}
        ``section`` for a heading's section, ``cell`` when the notebook has no headings.
    title : str
        The heading text (empty for cells).
    """

    number: int
    unit: str
    title: str


def _heading(cell: Any) -> str | None:
    if cell.get("cell_type") != "markdown":
        return None
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first.startswith("#"):
        return None
    return first.lstrip("#").strip() or None


def sections(cells: Sequence[Any]) -> tuple[dict[int, Section], int]:
    """Split a notebook's cells into sections.

    Parameters
    ----------
    cells : sequence of dict
        The notebook's cells (``nb.cells``), as executed.

    Returns
    -------
    starts : dict of int to Section
        Cell index where each section starts.
    total : int
        Number of sections.

    Notes
    -----
    A markdown cell whose first line is a heading starts a section, and the cells before the
    first heading (if any) form one more. A notebook without headings has one section per
    code cell.
    """
    starts: dict[int, Section] = {}
    heads = [(i, t) for i, c in enumerate(cells) if (t := _heading(c)) is not None]
    if heads:
        if heads[0][0] > 0:
            heads.insert(0, (0, ""))
        for n, (i, title) in enumerate(heads, 1):
            starts[i] = Section(n, "section", title[:_TITLE])
    else:
        code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
        for n, i in enumerate(code, 1):
            starts[i] = Section(n, "cell", "")
    return starts, len(starts)


def finish_line(index: int, total: int, name: str, status: str, seconds: float,
                error: str | None = None) -> str:
    """The line that says a report finished: ``[2/6] 02_sales_forecast: ok (31.2 s)``."""
    if status == "ok":
        mark = "ok"
    elif status == "not_applicable":
        mark = error or "not applicable"
    else:
        mark = f"{status.upper()}: {error}"
    return f"[{index}/{total}] {name}: {mark} ({seconds:.1f} s)"


class Progress:
    """What the runner tells; this base class shows nothing (``salesnb run -q``)."""

    def run_started(self, run_id: str, names: Sequence[str], jobs: int) -> None:
        """A run of ``names`` starts, ``jobs`` at a time."""

    def report_started(self, index: int, name: str) -> None:
        """Report number ``index`` (1-based, in run order) started."""

    def section(self, index: int, done: int, total: int, unit: str, title: str,
                seconds: float) -> None:
        """Report ``index`` started its section ``done`` of ``total``, ``seconds`` in."""

    def stage(self, index: int, what: str) -> None:
        """Report ``index`` moved on to ``what`` (e.g. writing its HTML page)."""

    def report_finished(self, index: int, name: str, status: str, seconds: float,
                        error: str | None = None) -> None:
        """Report ``index`` finished with ``status`` after ``seconds``."""

    def run_finished(self, status: str, seconds: float) -> None:
        """The run finished (``ok``, ``failed`` or ``interrupted``)."""

    def close(self) -> None:
        """Release the terminal (called once, also after an interruption)."""


class LineProgress(Progress):
    """Plain lines, for a cron log or a pipe: few, each naming the report and its time.

    Parameters
    ----------
    say : callable
        Receives each line (e.g. ``print`` to stderr).
    every : float, default=10
        Least seconds between two section lines of one report.
    """

    def __init__(self, say: Callable[[str], None], *, every: float = 10.0) -> None:
        self.say = say
        self.every = every
        self._names: list[str] = []
        self._last: dict[int, float] = {}
        self._counts = {"ok": 0, "failed": 0, "interrupted": 0}

    def _tag(self, index: int) -> str:
        return f"[{index}/{len(self._names)}] {self._names[index - 1]}"

    def run_started(self, run_id: str, names: Sequence[str], jobs: int) -> None:  # noqa: D102
        self._names = list(names)
        at_once = f", {jobs} at a time" if jobs > 1 and len(names) > 1 else ""
        self.say(f"run {run_id}: {len(names)} report(s){at_once}")

    def report_started(self, index: int, name: str) -> None:  # noqa: D102
        self._last[index] = 0.0
        self.say(f"{self._tag(index)}: started")

    def section(self, index: int, done: int, total: int, unit: str, title: str,  # noqa: D102
                seconds: float) -> None:
        if index not in self._last or seconds - self._last[index] < self.every:
            return
        self._last[index] = seconds
        label = f"{unit} {done}/{total}" + (f" {title}" if title else "")
        self.say(f"{self._tag(index)}: {label} ({seconds:.1f} s)")

    def report_finished(self, index: int, name: str, status: str, seconds: float,  # noqa: D102
                        error: str | None = None) -> None:
        self._last.pop(index, None)
        self._counts[status] = self._counts.get(status, 0) + 1
        self.say(finish_line(index, len(self._names), name, status, seconds, error))

    def run_finished(self, status: str, seconds: float) -> None:  # noqa: D102
        counts = ", ".join(f"{n} {s}" for s, n in self._counts.items() if n)
        counts = counts.replace("not_applicable", "not applicable")
        self.say(f"run {status}: {counts or 'no report finished'} in {seconds:.1f} s")


class BarProgress(Progress):
    """Live tqdm bars on a terminal: the run, and one bar per running report.

    Each report's bar counts its sections and shows the current one and the elapsed time; a
    finished report leaves its line (as :class:`LineProgress` writes it) above the bars. A
    background thread redraws every half second so the time moves during a long cell.

    Parameters
    ----------
    file : file object, default=sys.stderr
        The terminal.
    """

    def __init__(self, file: IO[str] | None = None) -> None:
        self.file = file or sys.stderr
        self._lock = threading.RLock()
        self._bars: dict[int, Any] = {}
        self._slots: dict[int, int] = {}
        self._names: list[str] = []
        self._run: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _bar(self, **kwargs: Any) -> Any:
        from tqdm import tqdm

        kwargs.setdefault("leave", False)
        return tqdm(file=self.file, dynamic_ncols=True, **kwargs)

    def run_started(self, run_id: str, names: Sequence[str], jobs: int) -> None:  # noqa: D102
        self._names = list(names)
        with self._lock:
            self._run = self._bar(total=len(names), desc=f"run {run_id}", unit="report",
                                  position=0, leave=True,
                                  bar_format="{desc}: {n_fmt}/{total_fmt} reports |{bar}| "
                                             "{elapsed}")
        self._ticker = threading.Thread(target=self._tick, name="salesnb-progress",
                                        daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                for bar in (self._run, *self._bars.values()):
                    if bar is not None:
                        bar.refresh()

    def report_started(self, index: int, name: str) -> None:  # noqa: D102
        with self._lock:
            slot = min(set(range(1, len(self._slots) + 2)) - set(self._slots.values()))
            self._slots[index] = slot
            self._bars[index] = self._bar(
                total=None, desc=f"[{index}/{len(self._names)}] {name}", position=slot,
                bar_format="{desc}: {elapsed}{postfix}")
            self._bars[index].set_postfix_str("starting", refresh=True)

    def section(self, index: int, done: int, total: int, unit: str, title: str,  # noqa: D102
                seconds: float) -> None:
        with self._lock:
            bar = self._bars.get(index)
            if bar is None:
                return
            if bar.total != total:
                bar.total = total
                bar.bar_format = ("{desc}: {n_fmt}/{total_fmt} " + unit + "s |{bar}| "
                                  "{elapsed}{postfix}")
            bar.n = done - 1
            bar.set_postfix_str(title[:_TITLE], refresh=True)

    def stage(self, index: int, what: str) -> None:  # noqa: D102
        with self._lock:
            bar = self._bars.get(index)
            if bar is not None:
                if bar.total:
                    bar.n = bar.total
                bar.set_postfix_str(what, refresh=True)

    def report_finished(self, index: int, name: str, status: str, seconds: float,  # noqa: D102
                        error: str | None = None) -> None:
        with self._lock:
            bar = self._bars.pop(index, None)
            self._slots.pop(index, None)
            if bar is not None:
                bar.close()
            if self._run is not None:
                self._run.write(finish_line(index, len(self._names), name, status, seconds,
                                            error), file=self.file)
                self._run.update(1)

    def close(self) -> None:  # noqa: D102
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()
            if self._run is not None:
                self._run.close()
                self._run = None
