"""Ctrl-C and SIGTERM for the long-running commands (``send``, ``serve``).

:func:`stop_signals` routes both signals to a handler for the length of a ``with`` block;
:class:`Interrupt` is ``send``'s handler: a graceful stop first, an immediate one on the
second signal.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Callable, Dict, Iterator

__all__ = ["Interrupt", "InterruptibleStream", "stop_signals"]

#: The signals that ask a command to stop.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Call ``handler(signum, frame)`` on SIGINT and SIGTERM inside the block, then restore the
    previous handlers. Off the main thread (where Python cannot handle signals) it does nothing."""
    previous: Dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


class Interrupt:
    """SIGINT/SIGTERM set :attr:`event` (graceful stop); a second one raises KeyboardInterrupt.

    While ``blocking`` is set (waiting on stdin) the first signal raises at once as well.
    """

    def __init__(self) -> None:
        self.event: threading.Event = threading.Event()
        self.signum: int = 0
        self.blocking = False

    def handling(self) -> "contextlib.AbstractContextManager[None]":
        """A ``with`` block in which the stop signals come here."""
        return stop_signals(self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        again = self.event.is_set()
        self.signum = self.signum or signum
        self.event.set()
        if again or self.blocking:
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        """128 + the first signal's number (130 for Ctrl-C)."""
        return 128 + (self.signum or signal.SIGINT)


class InterruptibleStream:
    """A pipe (stdin) read with ``read1`` so records flow as they arrive; Ctrl-C while
    waiting on it stops at once."""

    def __init__(self, stream: Any, interrupt: Interrupt) -> None:
        self._stream = stream
        self._interrupt = interrupt

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes, as soon as any are there (b"" at the end)."""
        self._interrupt.blocking = True
        try:
            read1 = getattr(self._stream, "read1", None)
            return bytes(read1(size) if read1 is not None else self._stream.read(size))
        finally:
            self._interrupt.blocking = False
