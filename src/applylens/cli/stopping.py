"""Stopping long commands at a safe point on Ctrl-C or SIGTERM.

An exception raised from a signal handler can land anywhere, for example
while a worker pool holds one of its locks, and the cleanup that follows
then waits on that lock forever. While a `StopOnSignal` is active, the first
SIGINT or SIGTERM only records the request, and the command checks it between
two units of work. A second signal stops at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal:
    """A context manager that turns SIGINT and SIGTERM into a stop request."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """The shell's exit status for the signal that stopped the command."""
        return 128 + (self.signum or signal.SIGINT)

    def __enter__(self) -> StopOnSignal:
        # Only the main thread can set signal handlers.
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in _SIGNALS}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
