"""A run's signals: Ctrl-C and SIGTERM stop the run cleanly, whatever it is doing."""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__ = ["Signals", "is_main_thread"]


def is_main_thread() -> bool:
    """Whether this is the main thread (the only one Python delivers signals to).

    Returns
    -------
    bool
    """
    return threading.current_thread() is threading.main_thread()


class Signals:
    """SIGINT and SIGTERM during a run: the first raises KeyboardInterrupt, the rest are noted.

    Once :attr:`finishing` is set (the clean-up after an interruption, or writing the run
    folder), signals are only noted, so the run folder is always completed or removed. Outside
    the main thread (where Python delivers no signals) it does nothing.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.finishing = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.signum is None:
            self.signum = signum
        if not self.finishing:
            self.finishing = True
            raise KeyboardInterrupt

    def __enter__(self) -> Signals:
        if is_main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
