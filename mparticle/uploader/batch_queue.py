"""The bounded queue.

Producers ``put`` serialized batches (the overflow policy decides when there is no room);
senders ``take`` a packed request once one is due (full, ``upload_interval`` old, flushed or
closing), report what became of each part of it with ``settle`` or ``requeue``, and
``release`` it. With the :mod:`~mparticle.uploader.ledger` (batches in flight) and the
:mod:`~mparticle.uploader.backlog` (batches on disk only) the queue knows where every batch is
(queued, spooled, in flight, settled), so ``flush`` can wait for exactly the batches enqueued
before it was called. The overflow policies are in :mod:`~mparticle.uploader.overflow`.

With a :class:`~mparticle.uploader.spool.Spool` every admitted batch is also written to disk,
and the memory queue becomes a window onto it: when memory is full, new batches go to the
spool only (*spilled*) and senders read them back in order once memory has room; the overflow
policy then applies to ``max_spool_bytes``. All state is guarded by one lock; waits use
Conditions on it, never sleeps.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Callable, Deque, List, Optional, Union

from mparticle.uploader.backlog import LOAD_BATCHES, Backlog, Load
from mparticle.uploader.ledger import Ledger
from mparticle.uploader.overflow import (
    BLOCK,
    DROP_NEWEST,
    DROP_OLDEST,
    OVERFLOW_POLICIES,
    RAISE,
    WOULD_BLOCK,
    Admission,
    OverflowPolicy,
    QueueFullError,
)
from mparticle.uploader.packing import QueuedBatch, request_size, take_request
from mparticle.uploader.stats import (
    CLOSED,
    QUEUE_FULL,
    SHUTDOWN_TIMEOUT,
    SPOOL_FULL,
    Counters,
    DropReason,
    Outcome,
    UploaderStats,
)

if TYPE_CHECKING:
    from mparticle.uploader.spool import Spool

__all__ = [
    "BLOCK",
    "DROP_NEWEST",
    "DROP_OLDEST",
    "OVERFLOW_POLICIES",
    "OverflowPolicy",
    "RAISE",
    "WOULD_BLOCK",
    "Admission",
    "BatchQueue",
    "LOAD_BATCHES",
    "Load",
    "QueueFullError",
]

#: The longest a sender waits in one go (seconds); it then looks again.
MAX_WAIT = 3600.0


class BatchQueue:
    """Queued batches in enqueue order, bounded by bytes (and optionally count), plus the
    in-flight ledger and, with a spool, the batches held on disk only."""

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
    ) -> None:
        self.max_batches = max_batches if max_batches is not None else math.inf
        self.max_bytes = max_bytes
        self.overflow = overflow
        self.block_timeout = block_timeout
        self.request_count = request_count
        self.request_bytes = request_bytes
        self.interval = interval
        self._pause = pause  # seconds the server asked us to stay quiet (429 Retry-After)
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
                refused = self._make_room(item, size, wait, evicted)
                if refused is not None:
                    return refused
            self._store(item, size)
        return True, ((QUEUE_FULL, evicted) if evicted else None)

    def _make_room(
        self, item: QueuedBatch, size: int, wait: bool, evicted: List[QueuedBatch]
    ) -> Optional[Admission]:
        """There is no room for ``item``: apply the overflow policy. Returns the refusal (or
        WOULD_BLOCK), or None once there is room; ``evicted`` gets what drop_oldest evicted."""
        policy = self.overflow
        reason = self._full_reason()
        if policy == RAISE:
            self.counters.rejected += 1
            raise QueueFullError(self._full_message())
        if not self._could_fit(size):
            return self._refuse(item, reason)
        if policy == DROP_OLDEST:
            evicted.extend(self._evict_for(size))
            if not self._has_room(size):  # only spooled batches left to evict: keep them
                return self._refuse(item, reason)
        elif policy == BLOCK:
            if not wait:
                return WOULD_BLOCK
            if not self._wait_for_room(size):
                return self._refuse(item, CLOSED if self._closed else reason)
        else:
            return self._refuse(item, reason)
        return None

    def _store(self, item: QueuedBatch, size: int) -> None:
        """Number the admitted ``item``, queue it (and spool it, or spill it to the spool
        only), and wake a sender when a request may be due."""
        self.counters.enqueued += 1
        item.seq = self._next_seq
        item.queued_at = time.monotonic()
        self._next_seq += 1
        if self._spills(size):
            self._spill(item, size)
        else:
            self._append(item)
            self._bytes += size
            if self.spool is not None and self.spool.healthy:
                self.spool.append(item)
                self._stored_bytes += size
        if len(self._items) == 1 or self._backlog.spilled_count == 1 or self._full_request_queued():
            self._wake_sender()

    def _append(self, item: QueuedBatch) -> None:
        if self._items and item.seq < self._items[-1].seq:
            self._sorted = False  # flush's ledger must then look at every queued batch
        self._items.append(item)

    def refuse(self, item: QueuedBatch, reason: DropReason = QUEUE_FULL) -> Admission:
        """Count ``item`` as enqueued and dropped for ``reason`` without queueing it."""
        with self._lock:
            return self._refuse(item, reason)

    def _memory_has_room(self, size: int) -> bool:
        return len(self._items) < self.max_batches and self._bytes + size <= self.max_bytes

    def _spooling(self) -> bool:
        return self.spool is not None and self.spool.healthy

    def _has_room(self, size: int) -> bool:
        if self._spooling():
            return self._stored_bytes + size <= self.max_spool_bytes
        return self._memory_has_room(size)

    def _could_fit(self, size: int) -> bool:
        return size <= (self.max_spool_bytes if self._spooling() else self.max_bytes)

    def _full_reason(self) -> DropReason:
        return SPOOL_FULL if self._spooling() else QUEUE_FULL

    def _full_message(self) -> str:
        if self._spooling():
            return f"upload spool is full ({self._stored_bytes} bytes; max_spool_bytes={self.max_spool_bytes})"
        limit = "" if self.max_batches == math.inf else f"max_queue_batches={self.max_batches}, "
        return (
            f"upload queue is full ({len(self._items)} batches, {self._bytes} bytes; "
            f"{limit}max_queue_bytes={self.max_bytes})"
        )

    def _spills(self, size: int) -> bool:
        """With a spool: the batch goes to disk only (memory is full, or older batches already
        wait on disk and must go first)."""
        return self._spooling() and (self._backlog.spilled_count > 0 or not self._memory_has_room(size))

    def _spill(self, item: QueuedBatch, size: int) -> None:
        assert self.spool is not None
        self.spool.append(item)
        self._backlog.spill(item, size)
        self._stored_bytes += size

    def _refuse(self, item: QueuedBatch, reason: DropReason) -> Admission:
        self.counters.enqueued += 1
        self.counters.drop(reason, 1)
        return False, (reason, [item])

    def _evict_for(self, size: int) -> List[QueuedBatch]:
        """drop_oldest: evict from the memory queue (spooled-only batches stay)."""
        evicted = []
        while self._items and not self._has_room(size):
            old = self._items.popleft()
            self._bytes -= len(old.data)
            if old.spool is not None:
                self._stored_bytes -= len(old.data)
            evicted.append(old)
        self.counters.drop(QUEUE_FULL, len(evicted))
        if self._flushers:
            self._settled.notify_all()
        if evicted and self.spool is not None:
            self.spool.forget(evicted)
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
    def take(self) -> Union[List[QueuedBatch], Load, None]:
        """Block until a request is due and return its batches (marked in flight), a ``Load``
        when spooled batches should be read back first, or None once the queue is closed and
        empty (the sender should exit)."""
        with self._lock:
            while True:
                load = self._load_due()
                if load is not None:
                    self._backlog.loading = True
                    return load
                wait = self._due_in()
                if wait == 0.0:
                    return self._take_request()
                if wait is None and self._closed and not self._backlog.count:
                    return None
                self._idle_senders += 1
                try:
                    self._ready.wait(wait)
                finally:
                    self._idle_senders -= 1
                    self._wakeup_pending = False

    def _load_due(self) -> Optional[Load]:
        backlog = self._backlog
        if backlog.loading or self._abandoning or not backlog.count:
            return None
        if self._bytes > self.max_bytes // 2 or len(self._items) >= LOAD_BATCHES:
            return None  # enough in memory for now
        return backlog.next_load(self.max_bytes - self._bytes)

    def add_loaded(self, load: Load, items: Optional[List[QueuedBatch]]) -> None:
        """Queue batches read back for ``load`` (None: the adopted files are used up)."""
        with self._lock:
            self._backlog.loading = False
            if self._abandoning:  # shutdown counted these as kept; they are still on disk
                self._settled.notify_all()  # wait_quiet waits for the read to end
                return
            if load.adopted:
                items = self._backlog.read_adopted(items)
                for item in items:
                    item.seq = self._next_seq
                    self._next_seq += 1
            else:
                items = self._backlog.read_own(load, items)
            now = time.monotonic()
            for item in items:  # read back from disk: due now, not after another interval
                item.queued_at = min(item.queued_at or now, now - self.interval)
                self._append(item)
                self._bytes += len(item.data)
            self._ready.notify_all()
            if self._flushers:
                self._settled.notify_all()

    def load_failed(self) -> None:
        """Reading the spool back failed; a later ``take`` tries again."""
        with self._lock:
            self._backlog.loading = False

    def note_adopted(self, count: int, size: int) -> None:
        """The spool adopted ``count`` batches of ``size`` bytes left by a dead process."""
        with self._lock:
            self.counters.adopted += count
            self._backlog.adopt(count, size)
            self._stored_bytes += size
            self._wake_sender()

    def _due_in(self) -> Optional[float]:
        """Seconds until the next request is due: 0.0 now, None when nothing is queued."""
        items = self._items
        if not items:
            return None
        pause = max(self._pause(), self._hold_until - time.monotonic())
        if pause > 0:
            return min(pause, MAX_WAIT)
        if self._closed or items[0].seq <= self._drain_through or self._full_request_queued():
            return 0.0
        if self._backlog.count:
            return 0.0  # spooled batches are waiting: they are old enough
        return max(0.0, items[0].queued_at + self.interval - time.monotonic())

    def _full_request_queued(self) -> bool:
        count = len(self._items)
        return count >= self.request_count or request_size(count, self._bytes) > self.request_bytes

    def _take_request(self) -> List[QueuedBatch]:
        request = take_request(self._items, self.request_count, self.request_bytes)
        self._bytes -= sum(len(b.data) for b in request)
        self._ledger.take(request)
        if self._blocked:
            self._not_full.notify_all()
        if self._idle_senders and (self._due_in() == 0.0 or self._load_due() is not None):
            self._wake_sender()  # more is due: start another sender
        return request

    def _wake_sender(self) -> None:
        """Notify one idle sender, unless one was notified already and has not run yet (with a
        busy producer holding the GIL, that can take milliseconds: no need to notify again)."""
        if self._idle_senders and not self._wakeup_pending:
            self._wakeup_pending = True
            self._ready.notify()

    # -- what became of a request ---------------------------------------------------------------
    def is_abandoned(self, request: List[QueuedBatch], part: List[QueuedBatch]) -> bool:
        """True when shutdown already settled (and reported) ``part`` of ``request`` for its
        sender."""
        with self._lock:
            return self._ledger.is_abandoned(request, part)

    def settle(self, request: List[QueuedBatch], outcome: Outcome) -> None:
        """Record the outcome of some batches of ``request`` (delivered, or dropped)."""
        now = time.time()
        batches = outcome.batches
        with self._lock:
            counters = self.counters
            if outcome.reason is None:
                counters.delivered += len(batches)
                counters.requests += 1
                counters.last_success_time = now
            else:
                counters.drop(outcome.reason, len(batches))
                if outcome.error is not None:
                    counters.last_error, counters.last_error_time = outcome.error, now
            self._unsettle(request, batches)
        self._forget(batches)

    def requeue(self, request: List[QueuedBatch], batches: List[QueuedBatch], delay: float) -> None:
        """Put ``batches`` of ``request`` back at the head of the queue, due again in ``delay``
        seconds: the server could not take them within the retry policy."""
        with self._lock:
            self.counters.requeued += len(batches)
            self._unsettle(request, batches)
            for item in reversed(batches):
                if self._items and item.seq > self._items[0].seq:
                    self._sorted = False
                self._items.appendleft(item)
                self._bytes += len(item.data)
                self._stored_bytes += len(item.data) if item.spool is not None else 0
            self._hold_until = max(self._hold_until, time.monotonic() + delay)
            self._ready.notify_all()

    def keep(self, request: List[QueuedBatch], batches: List[QueuedBatch]) -> List[QueuedBatch]:
        """At shutdown, with a spool: ``batches`` of ``request`` stay on disk (``kept``); those
        that never reached it (admitted while the disk failed) are dropped as
        ``shutdown_timeout`` and returned for reporting."""
        lost = [b for b in batches if b.spool is None]
        with self._lock:
            self.counters.kept += len(batches) - len(lost)
            self.counters.drop(SHUTDOWN_TIMEOUT, len(lost))
            self._unsettle(request, batches)
        return lost

    def _unsettle(self, request: List[QueuedBatch], batches: List[QueuedBatch]) -> None:
        if not self._ledger.unsettle(request, batches):  # shutdown settled this part already
            return
        self._stored_bytes -= sum(len(b.data) for b in batches if b.spool is not None)
        if self._blocked:
            self._not_full.notify_all()
        if self._flushers or self._abandoning:
            self._settled.notify_all()

    def release(self, request: List[QueuedBatch]) -> None:
        """The sender is done with ``request`` (every part settled or requeued)."""
        with self._lock:
            self._ledger.release(request)
            if self._flushers or self._abandoning:
                self._settled.notify_all()

    def _forget(self, batches: List[QueuedBatch]) -> None:
        if self.spool is not None:
            self.spool.forget(batches)

    # -- where a sender is: on the wire, or waiting between attempts -----------------------------
    def sending(self, part: List[QueuedBatch], active: bool) -> None:
        """``part`` is (active) or is no longer on the wire."""
        with self._lock:
            self._ledger.sending(part, active)
            if self._abandoning:
                self._settled.notify_all()

    def begin_wait(self, request: List[QueuedBatch], part: List[QueuedBatch]) -> bool:
        """The sender of ``part`` (of ``request``) starts waiting between retries; False once
        shutdown gave up."""
        with self._lock:
            if self._abandoning:
                return False
            self._ledger.begin_wait(request, part)
            return True

    def end_wait(self, part: List[QueuedBatch]) -> bool:
        """The wait is over; False when shutdown settled ``part`` meanwhile."""
        with self._lock:
            return self._ledger.end_wait(part)

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
                self._ledger.take(request)
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
        items = self._items
        if not items:
            self._sorted = True
        elif items[0].seq <= seq or (not self._sorted and any(item.seq <= seq for item in items)):
            return False
        return not self._backlog.spilled_through(seq) and not self._ledger.unsettled_through(seq)

    def wait_idle(self, timeout: Optional[float]) -> bool:
        """Wait until nothing is queued, spooled or in flight (False on timeout)."""
        with self._lock:
            self._flushers += 1
            try:
                return self._settled.wait_for(
                    lambda: not self._items and not self._backlog.count and not self._ledger.count, timeout
                )
            finally:
                self._flushers -= 1

    def close(self) -> None:
        """Refuse new batches; everything queued becomes due at once."""
        with self._lock:
            self._closed = True
            self._drain_through = math.inf
            self._ready.notify_all()
            self._not_full.notify_all()

    def abandon(self, keep: bool) -> List[QueuedBatch]:
        """Shutdown's deadline passed: stop reading the spool, take every queued batch and every
        part whose sender waits between retries. With ``keep`` (a spool) they stay on disk for
        the next process and count as ``kept``; otherwise they are dropped as
        ``shutdown_timeout`` and returned for reporting."""
        with self._lock:
            self._abandoning = True
            taken = list(self._items)
            self._items.clear()
            self._bytes = 0
            taken.extend(self._ledger.abandon_waiting())
            counters = self.counters
            if keep:  # on disk for the next process, except what never reached it
                lost = [item for item in taken if item.spool is None]
                counters.kept += len(taken) - len(lost) + self._backlog.clear()
                taken = lost
            counters.drop(SHUTDOWN_TIMEOUT, len(taken))
            self._ready.notify_all()
            self._settled.notify_all()
            return taken

    def keep_in_flight(self) -> None:
        """At the end of shutdown, with a spool: requests still on the wire stay in the spool
        (``kept``; the next process re-sends them with the same ``source_request_id``), and
        their late outcome changes nothing."""
        with self._lock:
            self.counters.kept += self._ledger.keep_all()

    def unkeep(self, batches: List[QueuedBatch]) -> None:
        """``batches`` counted as kept could not be written to disk after all: dropped."""
        with self._lock:
            self.counters.kept -= len(batches)
            self.counters.drop(SHUTDOWN_TIMEOUT, len(batches))

    def wait_quiet(self, timeout: float) -> None:
        """After ``abandon``: wait (up to ``timeout``) until every batch still in flight is on the
        wire, i.e. senders that were between steps have reported theirs."""
        with self._lock:
            self._settled.wait_for(
                lambda: self._ledger.quiet() and not self._backlog.loading, timeout
            )

    # -- accounting -----------------------------------------------------------------------------
    def note_retry(self, error: BaseException, status: int) -> None:
        with self._lock:
            counters = self.counters
            counters.retried += 1
            counters.retries_by_status[status] = counters.retries_by_status.get(status, 0) + 1
            counters.last_error, counters.last_error_time = error, time.time()

    def note_error(self, error: BaseException) -> None:
        with self._lock:
            self.counters.last_error, self.counters.last_error_time = error, time.time()

    def note_skipped(self) -> None:
        with self._lock:
            self.counters.enqueued += 1
            self.counters.skipped += 1

    def note_rejected(self) -> None:
        with self._lock:
            self.counters.rejected += 1

    def stats(self) -> UploaderStats:
        with self._lock:
            return self.counters.snapshot(
                len(self._items),
                self._bytes,
                self._ledger.count,
                self._backlog.count,
                self._stored_bytes,
            )
