"""Telling the application what became of its batches: the ``on_delivered``, ``on_error`` and
``on_drop`` callbacks (guarded: one that raises is logged and ignored) and rate-limited
warnings for drops and requeues (``stats()`` counts everything; the log says it is happening)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, List, Optional, Protocol

from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.stats import DropReason

__all__ = ["Callbacks", "DeliveredCallback", "DropCallback", "ErrorCallback", "Reporter"]

logger: logging.Logger = logging.getLogger("mparticle.uploader")

DeliveredCallback = Callable[[List[QueuedBatch]], Any]
ErrorCallback = Callable[[BaseException, List[QueuedBatch]], Any]
DropCallback = Callable[[str, List[QueuedBatch]], Any]

#: At most one drop warning, and one requeue warning, per this many seconds.
WARNING_INTERVAL = 5.0


class Callbacks(Protocol):
    """Where the callbacks are (the uploader's attributes, which the application may replace)."""

    on_delivered: Optional[DeliveredCallback]
    on_error: Optional[ErrorCallback]
    on_drop: Optional[DropCallback]


class Reporter:
    """Runs the callbacks of ``owner`` (looked up at each call) and logs drops and requeues,
    at most once per WARNING_INTERVAL each."""

    def __init__(self, owner: Callbacks) -> None:
        self.owner = owner
        self._last_drop_warning = 0.0
        self._last_requeue_warning = 0.0
        self._in_callback = threading.local()  # .active: this thread is running one of our callbacks

    def delivered(self, batches: List[QueuedBatch]) -> None:
        """Tell ``on_delivered`` about ``batches``."""
        self._callback(self.owner.on_delivered, batches)

    def error(self, error: BaseException, batches: List[QueuedBatch]) -> None:
        """Tell ``on_error`` that ``batches`` failed with ``error``."""
        self._callback(self.owner.on_error, error, batches)

    def drop(self, reason: DropReason, batches: List[QueuedBatch], error: Optional[BaseException] = None) -> None:
        """Warn (rate-limited) and tell ``on_drop``."""
        now = time.monotonic()
        if now - self._last_drop_warning >= WARNING_INTERVAL:  # stats() has the rest
            self._last_drop_warning = now
            logger.warning(
                "dropped %d batch(es): %s%s (further drops are counted in stats() for 5 s)",
                len(batches),
                reason,
                f" ({error!r})" if error is not None else "",
            )
        self._callback(self.owner.on_drop, reason, batches)

    def requeued(self, batches: List[QueuedBatch], error: Optional[BaseException], delay: float) -> None:
        """Warn (rate-limited) that ``batches`` are kept and tried again in ``delay`` seconds."""
        now = time.monotonic()
        if now - self._last_requeue_warning >= WARNING_INTERVAL:
            self._last_requeue_warning = now
            logger.warning(
                "upload of %d batch(es) still failing after the retry policy (%r); kept, retrying in %.1f s",
                len(batches),
                error,
                delay,
            )

    def calling_back(self) -> bool:
        """True on a thread that is running one of our callbacks (it must not wait for a flush:
        the request that runs the callback is not settled until the callback returns)."""
        return bool(getattr(self._in_callback, "active", False))

    def _callback(self, callback: Optional[Callable[..., Any]], *args: Any) -> None:
        if callback is None:
            return
        marker = self._in_callback
        outer = getattr(marker, "active", False)
        marker.active = True
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - a raising callback must never stop delivery
            logger.exception("BatchUploader callback %r raised", callback)
        finally:
            marker.active = outer
