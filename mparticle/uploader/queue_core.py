"""The state the parts of the batch queue share, guarded by one lock, and the few steps
they all take. :mod:`~mparticle.uploader.admission` (``put``: bounds and overflow policy),
:mod:`~mparticle.uploader.settling` (what became of taken batches, shutdown's takeover) and
:mod:`~mparticle.uploader.batch_queue` (``take``, reading the spool back, ``flush``) build
:class:`~mparticle.uploader.batch_queue.BatchQueue` on it."""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import TYPE_CHECKING, Callable, Deque, Optional

from mparticle.uploader.backlog import Backlog
from mparticle.uploader.ledger import Ledger
from mparticle.uploader.overflow import OverflowPolicy
from mparticle.uploader.packing import QueuedBatch, request_size
from mparticle.uploader.stats import Counters

if TYPE_CHECKING:
    from mparticle.uploader.pacing import Pacer
    from mparticle.uploader.spool import Spool

__all__ = ["QueueCore"]


class QueueCore:
    """The queue's state: the memory queue (``_items``, ``_bytes``), the ledger of batches in
    flight, the backlog on disk only, the bounds and the counters. Every method of the queue
    holds ``_lock`` while it reads or changes any of it."""

    def __init__(
        self,
        *,
        max_batches: Optional[int],
        max_bytes: int,
        overflow: OverflowPolicy,
        block_timeout: Optional[float],
        request_count: int,
        request_bytes: int,
        interval: float,
        pause: Callable[[], float],
        spool: Optional["Spool"] = None,
        max_spool_bytes: int = 0,
        pacer: Optional["Pacer"] = None,
    ) -> None:
        self.max_batches: float = max_batches if max_batches is not None else math.inf
        self.max_bytes = max_bytes
        self.overflow = overflow
        self.block_timeout = block_timeout
        self.request_count = request_count
        self.request_bytes = request_bytes
        self.interval = interval
        self._pause = pause  # seconds the server asked us to stay quiet (429 Retry-After)
        self.pacer = pacer  # spaces requests by the account's limit (None: no pacing)
        self.spool = spool
        self.max_spool_bytes = max_spool_bytes
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # senders: a request may be due
        self._not_full = threading.Condition(self._lock)  # blocked producers: room was made
        self._settled = threading.Condition(self._lock)  # flush()/shutdown: batches were settled
        self._items: Deque[QueuedBatch] = deque()
        self._sorted = True  # _items is in sequence order (after a requeue it may not be)
        self._bytes = 0
        self._next_seq = 1
        self._drain_through: float = 0  # batches up to this seq are due at once (flush)
        self._ledger = Ledger()  # batches in flight
        self._abandoning = False
        self._backlog = Backlog()  # batches on disk only
        self._stored_bytes = 0  # every unsettled batch in the spool (for max_spool_bytes)
        self._hold_until = 0.0  # after a requeue: no request before this (monotonic time)
        self._closed = False
        self._idle_senders = 0
        self._wakeup_pending = False  # a sender was notified and has not run yet
        self._blocked = 0
        self._flushers = 0
        self.counters: Counters = Counters()

    @property
    def closed(self) -> bool:
        return self._closed

    def _append(self, item: QueuedBatch) -> None:
        if self._items and item.seq < self._items[-1].seq:
            self._sorted = False  # flush's ledger must then look at every queued batch
        self._items.append(item)

    def request_limit(self) -> int:
        """The most batches the next request may hold (fewer while paced)."""
        pacer = self.pacer
        return self.request_count if pacer is None else pacer.request_limit(self.request_count)

    def _full_request_queued(self) -> bool:
        count = len(self._items)
        return count >= self.request_limit() or request_size(count, self._bytes) > self.request_bytes

    def _wake_sender(self) -> None:
        """Notify one idle sender, unless one was notified already and has not run yet (with a
        busy producer holding the GIL, that can take milliseconds: no need to notify again)."""
        if self._idle_senders and not self._wakeup_pending:
            self._wakeup_pending = True
            self._ready.notify()
