"""Process-level hooks shared by every live uploader, held through weak references.

* Interpreter exit: one ``atexit`` handler shuts every live uploader down, each within its
  ``exit_timeout`` counted from the moment exit began (a bounded, reported flush).
* ``multiprocessing`` children end with ``os._exit`` and skip atexit: the same handler is
  registered as a multiprocessing finalizer in such a child once its uploader starts.
* ``fork``: in the child every uploader starts afresh (empty queue, no threads, a new pool);
  the parent keeps and sends its pending batches.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
import weakref
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from mparticle.uploader.batch_uploader import BatchUploader

__all__ = ["ensure_exit_hook", "track"]

logger = logging.getLogger("mparticle.uploader")

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


def _reset_in_child() -> None:
    for uploader in list(_live):
        uploader._reset_after_fork()


atexit.register(_shutdown_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
