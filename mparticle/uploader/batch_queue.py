"""The bounded queue and its ledger.

Producers ``put`` serialized batches (the overflow policy decides when the queue is full);
senders ``take`` a packed request once one is due (full, ``upload_interval`` old, flushed or
closing); ``finish`` settles it. The ledger knows where every batch is (queued, in flight,
settled), so ``flush`` can wait for exactly the batches enqueued before it was called.
All state is guarded by one lock; waits use Conditions on it, never sleeps.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable, Deque, Dict, List, Optional, Tuple

from mparticle.uploader.packing import QueuedBatch, request_size, take_request
from mparticle.uploader.stats import (
    CLOSED,
    QUEUE_FULL,
    SHUTDOWN_TIMEOUT,
    Counters,
    Outcome,
    UploaderStats,
)

__all__ = [
    "BLOCK",
    "DROP_NEWEST",
    "DROP_OLDEST",
    "OVERFLOW_POLICIES",
    "RAISE",
    "WOULD_BLOCK",
    "Admission",
    "BatchQueue",
    "QueueFullError",
]

# What enqueue does when the queue is full.
DROP_NEWEST = "drop_newest"  #: refuse the new batch (reported through on_drop)
DROP_OLDEST = "drop_oldest"  #: evict the oldest queued batches to make room (reported)
BLOCK = "block"  #: wait up to block_timeout for room, then drop the new batch
RAISE = "raise"  #: raise QueueFullError at the call site
OVERFLOW_POLICIES = (DROP_NEWEST, DROP_OLDEST, BLOCK, RAISE)

#: put() result: accepted, and the batches dropped by this call with the reason (or None).
Admission = Tuple[bool, Optional[Tuple[str, List[QueuedBatch]]]]
#: put(wait=False) result when the ``block`` policy would have to wait (nothing was done).
WOULD_BLOCK: Admission = (False, None)


class QueueFullError(Exception):
    """``enqueue`` with ``overflow="raise"``: the queue is at ``max_queue_batches`` or
    ``max_queue_bytes``; the batch was not accepted."""


class BatchQueue:
    """Queued batches in enqueue order, bounded by count and bytes, plus the in-flight ledger."""

    def __init__(
        self,
        *,
        max_batches: int,
        max_bytes: int,
        overflow: str,
        block_timeout: Optional[float],
        request_count: int,
        request_bytes: int,
        interval: float,
        pause: Callable[[], float],
    ) -> None:
        self.max_batches = max_batches
        self.max_bytes = max_bytes
        self.overflow = overflow
        self.block_timeout = block_timeout
        self.request_count = request_count
        self.request_bytes = request_bytes
        self.interval = interval
        self._pause = pause  # seconds the server asked us to stay quiet (429 Retry-After)
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # senders: a request may be due
        self._not_full = threading.Condition(self._lock)  # blocked producers: room was made
        self._settled = threading.Condition(self._lock)  # flush(): batches were settled
        self._items: Deque[QueuedBatch] = deque()
        self._bytes = 0
        self._next_seq = 1
        self._drain_through: float = 0  # batches up to this seq are due at once (flush)
        self._in_flight: Dict[int, int] = {}  # first seq of each taken request -> its batch count
        self._in_flight_count = 0
        self._closed = False
        self._idle_senders = 0
        self._wakeup_pending = False  # a sender was notified and has not run yet
        self._blocked = 0
        self._flushers = 0
        self.counters = Counters()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- producers ------------------------------------------------------------------------------
    def put(self, item: QueuedBatch, wait: bool = True) -> Admission:
        """Admit ``item`` under the overflow policy. Returns whether it was accepted and what was
        dropped (the item itself, or the oldest batches it displaced); ``WOULD_BLOCK``, with
        nothing done, when the ``block`` policy would have to wait and ``wait`` is False.
        Raises QueueFullError with the ``raise`` policy."""
        size = len(item.data)
        with self._lock:
            if self._closed:
                return self._refuse(item, CLOSED)
            evicted: List[QueuedBatch] = []
            if not self._has_room(size):
                policy = self.overflow
                if policy == RAISE:
                    self.counters.rejected += 1
                    raise QueueFullError(
                        f"upload queue is full ({len(self._items)} batches, {self._bytes} bytes; "
                        f"max_queue_batches={self.max_batches}, max_queue_bytes={self.max_bytes})"
                    )
                if size > self.max_bytes:  # could never fit
                    return self._refuse(item, QUEUE_FULL)
                if policy == DROP_OLDEST:
                    evicted = self._evict_for(size)
                elif policy == BLOCK:
                    if not wait:
                        return WOULD_BLOCK
                    if not self._wait_for_room(size):
                        return self._refuse(item, CLOSED if self._closed else QUEUE_FULL)
                else:
                    return self._refuse(item, QUEUE_FULL)
            self.counters.enqueued += 1
            item.seq = self._next_seq
            item.queued_at = time.monotonic()
            self._next_seq += 1
            items = self._items
            items.append(item)
            self._bytes += size
            if len(items) == 1 or self._full_request_queued():
                self._wake_sender()
        return True, ((QUEUE_FULL, evicted) if evicted else None)

    def refuse(self, item: QueuedBatch, reason: str = QUEUE_FULL) -> Admission:
        """Count ``item`` as enqueued and dropped for ``reason`` without queueing it."""
        with self._lock:
            return self._refuse(item, reason)

    def _has_room(self, size: int) -> bool:
        return len(self._items) < self.max_batches and self._bytes + size <= self.max_bytes

    def _refuse(self, item: QueuedBatch, reason: str) -> Admission:
        self.counters.enqueued += 1
        self.counters.drop(reason, 1)
        return False, (reason, [item])

    def _evict_for(self, size: int) -> List[QueuedBatch]:
        evicted = []
        while self._items and not self._has_room(size):
            old = self._items.popleft()
            self._bytes -= len(old.data)
            evicted.append(old)
        self.counters.drop(QUEUE_FULL, len(evicted))
        if self._flushers:
            self._settled.notify_all()
        return evicted

    def _wait_for_room(self, size: int) -> bool:
        self._blocked += 1
        try:
            return (
                self._not_full.wait_for(lambda: self._closed or self._has_room(size), self.block_timeout)
                and not self._closed
            )
        finally:
            self._blocked -= 1

    # -- senders --------------------------------------------------------------------------------
    def take(self) -> Optional[List[QueuedBatch]]:
        """Block until a request is due and return its batches (marked in flight), or None once
        the queue is closed and empty (the sender should exit)."""
        with self._lock:
            while True:
                wait = self._due_in()
                if wait == 0.0:
                    return self._take_request()
                if wait is None and self._closed:
                    return None
                self._idle_senders += 1
                try:
                    self._ready.wait(wait)
                finally:
                    self._idle_senders -= 1
                    self._wakeup_pending = False

    def _due_in(self) -> Optional[float]:
        """Seconds until the next request is due: 0.0 now, None when nothing is queued."""
        items = self._items
        if not items:
            return None
        pause = self._pause()
        if pause > 0:
            return pause
        if self._closed or items[0].seq <= self._drain_through or self._full_request_queued():
            return 0.0
        return max(0.0, items[0].queued_at + self.interval - time.monotonic())

    def _full_request_queued(self) -> bool:
        count = len(self._items)
        return count >= self.request_count or request_size(count, self._bytes) > self.request_bytes

    def _take_request(self) -> List[QueuedBatch]:
        request = take_request(self._items, self.request_count, self.request_bytes)
        self._bytes -= sum(len(b.data) for b in request)
        self._in_flight[request[0].seq] = len(request)
        self._in_flight_count += len(request)
        if self._blocked:
            self._not_full.notify_all()
        if self._idle_senders and self._due_in() == 0.0:
            self._wake_sender()  # more is due: start another sender
        return request

    def _wake_sender(self) -> None:
        """Notify one idle sender, unless one was notified already and has not run yet (with a
        busy producer holding the GIL, that can take milliseconds: no need to notify again)."""
        if self._idle_senders and not self._wakeup_pending:
            self._wakeup_pending = True
            self._ready.notify()

    def finish(self, request: List[QueuedBatch], outcomes: List[Outcome]) -> None:
        """Settle a request taken by ``take`` (or admitted by ``admit_inline``)."""
        now = time.time()
        with self._lock:
            counters = self.counters
            for outcome in outcomes:
                if outcome.reason is None:
                    counters.delivered += len(outcome.batches)
                    counters.requests += 1
                    counters.last_success_time = now
                else:
                    counters.drop(outcome.reason, len(outcome.batches))
                    if outcome.error is not None:
                        counters.last_error, counters.last_error_time = outcome.error, now
            self._in_flight_count -= self._in_flight.pop(request[0].seq)
            if self._flushers:
                self._settled.notify_all()

    # -- sync mode: batches sent on the caller's thread -------------------------------------------
    def admit_inline(self, requests: List[List[QueuedBatch]]) -> bool:
        """Record the batches of ``requests`` as enqueued and in flight at once (False, with
        all of them dropped as ``closed``, after shutdown)."""
        count = sum(len(request) for request in requests)
        with self._lock:
            self.counters.enqueued += count
            if self._closed:
                self.counters.drop(CLOSED, count)
                return False
            for request in requests:
                for item in request:
                    item.seq = self._next_seq
                    self._next_seq += 1
                self._in_flight[request[0].seq] = len(request)
            self._in_flight_count += count
            return True

    # -- lifecycle ------------------------------------------------------------------------------
    def flush(self, timeout: Optional[float]) -> bool:
        """Make everything queued so far due now and wait until it is settled (False on timeout)."""
        with self._lock:
            target = self._next_seq - 1
            if self._settled_through(target):
                return True
            if target > self._drain_through:
                self._drain_through = target
                self._ready.notify_all()
            self._flushers += 1
            try:
                return self._settled.wait_for(lambda: self._settled_through(target), timeout)
            finally:
                self._flushers -= 1

    def _settled_through(self, seq: int) -> bool:
        if self._items and self._items[0].seq <= seq:
            return False
        return not self._in_flight or min(self._in_flight) > seq

    def close(self) -> None:
        """Refuse new batches; everything queued becomes due at once."""
        with self._lock:
            self._closed = True
            self._drain_through = math.inf
            self._ready.notify_all()
            self._not_full.notify_all()

    def abandon(self) -> List[QueuedBatch]:
        """Drop every queued batch as ``shutdown_timeout`` and return them."""
        with self._lock:
            dropped = list(self._items)
            self._items.clear()
            self._bytes = 0
            self.counters.drop(SHUTDOWN_TIMEOUT, len(dropped))
            self._ready.notify_all()
            self._settled.notify_all()
            return dropped

    # -- accounting -----------------------------------------------------------------------------
    def note_retry(self, error: BaseException, status: int) -> None:
        with self._lock:
            counters = self.counters
            counters.retried += 1
            counters.retries_by_status[status] = counters.retries_by_status.get(status, 0) + 1
            counters.last_error, counters.last_error_time = error, time.time()

    def note_skipped(self) -> None:
        with self._lock:
            self.counters.enqueued += 1
            self.counters.skipped += 1

    def note_rejected(self) -> None:
        with self._lock:
            self.counters.rejected += 1

    def stats(self) -> UploaderStats:
        with self._lock:
            return self.counters.snapshot(len(self._items), self._bytes, self._in_flight_count)
