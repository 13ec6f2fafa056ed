"""A run's folder: unique run ids, the lock, temporary folders and their owners, ``latest``.

Run ids are unique within an output folder (a ``-2``, ``-3`` ... suffix for runs of the same
second), allocated and published under a lock on ``<out>/.lock`` (``fcntl.flock``), so
concurrent runs into one folder all succeed and ``latest`` names the newest successful one. A
run is built in a temporary folder holding a ``.pid`` file that names its process; a later run
removes the temporary folders of runs that died (SIGKILL, power loss). An output folder that
cannot be created or written raises :class:`OutputError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from salesnb.errors import SalesnbError
from salesnb.paths import outputs_dir

try:  # POSIX; elsewhere runs into one folder are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutputError", "LOCK", "OWNER", "new_run_id", "run_order", "locked", "owner",
           "owner_alive", "remove_stale", "reason", "usable_out", "start_run", "point_latest"]


class OutputError(SalesnbError):
    """The output folder cannot hold a run: it is a file, cannot be created or written, or full."""


#: Lock file of an output folder (run ids and ``latest`` change under it).
LOCK = ".lock"
#: File in a run's temporary folder naming the process that builds it.
OWNER = ".pid"
RUN_ID = re.compile(r"(\d{4}-\d\d-\d\dT\d{6})(?:-(\d+))?(?:-failed|-interrupted)?")


def new_run_id(out: Path) -> str:
    """A run id no run folder, kept or temporary, of ``out`` has (called under the lock)."""
    base = dt.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    run_id, n = base, 1
    while any((out / f"{p}{run_id}{s}").exists() or (out / f"{p}{run_id}{s}").is_symlink()
              for p in ("", ".tmp-") for s in ("", "-failed", "-interrupted")):
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def run_order(name: str) -> tuple[str, int] | None:
    """Sort key of a run folder name (``2026-01-01T120000-2`` after ``...T120000``)."""
    m = RUN_ID.fullmatch(name)
    return (m.group(1), int(m.group(2) or 1)) if m else None


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the exclusive lock of output folder ``out`` (``fcntl.flock`` on ``out/.lock``)."""
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def process_start(pid: int) -> str | None:
    """Start time of process ``pid`` (``/proc``; None when unknown), to tell reused pids."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner() -> str:
    """What :data:`OWNER` holds for this process: ``pid start-time``."""
    return f"{os.getpid()} {process_start(os.getpid()) or '-'}\n"


def owner_alive(folder: Path) -> bool:
    """Whether the process that builds temporary run folder ``folder`` is still running."""
    try:
        pid_text, start = (folder / OWNER).read_text(encoding="utf-8").split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # no owner file: a dead run's (every live run writes it under the lock)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return start == "-" or process_start(pid) in (None, start)


def remove_stale(out: Path) -> list[Path]:
    """Remove the temporary folders of runs whose process is gone (called under the lock)."""
    removed = []
    for folder in out.glob(".tmp-*"):
        if folder.is_dir() and not folder.is_symlink() and not owner_alive(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def reason(exc: OSError) -> str:
    """An OSError in a few words (``No space left on device``)."""
    return exc.strerror or str(exc) or type(exc).__name__


def usable_out(out: Path | None) -> Path:
    """The absolute output folder (relative to the current folder), created; or OutputError."""
    out = Path(out).expanduser() if out is not None else outputs_dir()
    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise OutputError(f"output folder {out} is a file; name a folder (it is created if "
                          "missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"output folder {out} cannot be created: a part of the path is a "
                          "file") from None
    except OSError as exc:
        raise OutputError(f"output folder {out} cannot be created: {reason(exc)}") from None
    return out


def start_run(out: Path) -> tuple[str, Path]:
    """Allocate a run id and create its temporary folder (with its owner file), locked."""
    tmp = None
    try:
        with locked(out):
            remove_stale(out)
            run_id = new_run_id(out)
            tmp = out / f".tmp-{run_id}"
            tmp.mkdir()
            (tmp / OWNER).write_text(owner(), encoding="utf-8")
    except OSError as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"output folder {out} cannot be written: {reason(exc)}") from None
    return run_id, tmp


def point_latest(out: Path, run_id: str) -> None:
    """Atomically point ``out/latest`` at ``run_id`` (a symlink; a text file where unsupported).

    Called under the lock. ``latest`` never moves back to an older run (a run that started
    earlier but finished later).
    """
    current = None
    with contextlib.suppress(OSError):
        current = os.readlink(out / "latest")
    if current is not None and (out / current).is_dir():
        new, old = run_order(run_id), run_order(current)
        if new is not None and old is not None and old > new:
            return
    tmp = out / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    try:
        tmp.symlink_to(run_id, target_is_directory=True)
        os.replace(tmp, out / "latest")
    except OSError:
        (out / "LATEST").write_text(run_id + "\n", encoding="utf-8")
