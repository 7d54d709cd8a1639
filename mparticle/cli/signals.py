"""Ctrl-C and SIGTERM: a graceful stop first, an immediate one on the second signal."""

from __future__ import annotations

import signal
import threading
from typing import Any, Dict


class Interrupt:
    """SIGINT/SIGTERM set :attr:`event` (graceful stop); a second one raises KeyboardInterrupt.

    While ``blocking`` is set (waiting on stdin) the first signal raises at once as well.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum = 0
        self.blocking = False
        self._previous: Dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        again = self.event.is_set()
        self.signum = self.signum or signum
        self.event.set()
        if again or self.blocking:
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


class _InterruptibleStream:
    """A pipe (stdin) read with ``read1`` so records flow as they arrive; Ctrl-C while
    waiting on it stops at once."""

    def __init__(self, stream: Any, interrupt: Interrupt) -> None:
        self._stream = stream
        self._interrupt = interrupt

    def read(self, size: int) -> bytes:
        self._interrupt.blocking = True
        try:
            read1 = getattr(self._stream, "read1", None)
            return bytes(read1(size) if read1 is not None else self._stream.read(size))
        finally:
            self._interrupt.blocking = False
