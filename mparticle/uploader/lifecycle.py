"""Process-level hooks shared by every live uploader, held through weak references.

* Interpreter exit: one ``atexit`` handler shuts every live uploader down, each within its
  ``exit_timeout`` counted from the moment exit began (a bounded, reported flush).
* ``multiprocessing`` children end with ``os._exit`` and skip atexit: the same handler is
  registered as a multiprocessing finalizer in such a child once its uploader starts.
* ``fork``: in the child every uploader starts afresh (empty queue, no threads, a new pool,
  its own spool file); the parent keeps and sends its pending batches.
* SIGTERM (opt-in, :func:`handle_sigterm`): shut every live uploader down within a timeout,
  then let the signal do what it would have done.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from mparticle.uploader.batch_uploader import BatchUploader

__all__ = ["ensure_exit_hook", "handle_sigterm", "track"]

logger: logging.Logger = logging.getLogger("mparticle.uploader")

#: Warn when this many uploaders are alive at once: one per process is the intended use.
MANY_UPLOADERS = 16

_live: "weakref.WeakSet[BatchUploader]" = weakref.WeakSet()
_finalizer_pid: Optional[int] = None


def track(uploader: "BatchUploader") -> None:
    """Include ``uploader`` in the exit and fork handling for as long as it lives."""
    _live.add(uploader)
    if sum(1 for u in _live if not u.closed) == MANY_UPLOADERS:
        logger.warning(
            "%d BatchUploader instances are open; each has its own threads and connections. "
            "Create one per process and share it.",
            MANY_UPLOADERS,
        )


def ensure_exit_hook() -> None:
    """In a multiprocessing child (which exits without running atexit), register the exit
    handler as a multiprocessing finalizer, once per process."""
    global _finalizer_pid
    if _finalizer_pid == os.getpid():
        return
    process_module = sys.modules.get("multiprocessing.process")
    if process_module is None or process_module.parent_process() is None:
        return
    from multiprocessing import util

    util.Finalize(None, _shutdown_all, exitpriority=10)
    _finalizer_pid = os.getpid()


def _shutdown_all() -> None:
    started = time.monotonic()
    for uploader in list(_live):
        try:
            uploader._shutdown_at_exit(started)
        except Exception:  # noqa: BLE001 - never let one uploader spoil the exit of the others
            logger.exception("BatchUploader shutdown at exit failed")


class _SigtermHandler:
    """Installed by :func:`handle_sigterm`. A signal handler must not wait for locks that the
    interrupted main thread may hold, so the shutdown runs on a helper thread; when it is done
    the signal is raised again and the previous disposition takes over (default: the process
    ends with SIGTERM, exit status 143, as orchestrators expect)."""

    def __init__(self, timeout: float, previous: Any) -> None:
        self.timeout = timeout
        self.previous = previous
        self.started = False
        self.done = False

    def __call__(self, signum: int, frame: Any) -> None:
        if self.done:
            self._chain(signum, frame)
        elif not self.started:
            self.started = True
            threading.Thread(target=self._shutdown, args=(signum,), name="mparticle-sigterm", daemon=True).start()

    def _shutdown(self, signum: int) -> None:
        started = time.monotonic()
        for uploader in list(_live):
            try:
                remaining = max(0.0, started + self.timeout - time.monotonic())
                summary = uploader.shutdown(remaining)
                logger.info("BatchUploader at SIGTERM: %r", summary)
            except Exception:  # noqa: BLE001 - the others must still be shut down
                logger.exception("BatchUploader shutdown at SIGTERM failed")
        self.done = True
        os.kill(os.getpid(), signum)  # handled on the main thread: self._chain

    def _chain(self, signum: int, frame: Any) -> None:
        previous = self.previous
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)


def handle_sigterm(timeout: float = 5.0) -> None:
    """On SIGTERM, deliver what every live uploader holds (within ``timeout`` seconds in all;
    with a spool, what is left stays on disk), then end the process as the signal would have.

    For processes that are stopped with SIGTERM and do not turn it into a normal exit
    themselves (plain ``python app.py`` in a container, Kubernetes, systemd). Call it once from
    the main thread; the previous handler (if any) still runs afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("handle_sigterm() must be called from the main thread")
    previous = signal.getsignal(signal.SIGTERM)
    if isinstance(previous, _SigtermHandler):
        previous.timeout = timeout
        return
    signal.signal(signal.SIGTERM, _SigtermHandler(timeout, previous))


def _reset_in_child() -> None:
    for uploader in list(_live):
        uploader._reset_after_fork()


atexit.register(_shutdown_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
