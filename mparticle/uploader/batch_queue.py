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
import time
from typing import List, Optional, Union

from mparticle.uploader.admission import Admitting
from mparticle.uploader.backlog import LOAD_BATCHES, Load
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
from mparticle.uploader.packing import QueuedBatch, take_request
from mparticle.uploader.settling import Settling
from mparticle.uploader.stats import UploaderStats

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


class BatchQueue(Admitting, Settling):
    """Queued batches in enqueue order, bounded by bytes (and optionally count), plus the
    in-flight ledger and, with a spool, the batches held on disk only. Producers' side in
    :class:`~mparticle.uploader.admission.Admitting`, senders' reports and shutdown's
    takeover in :class:`~mparticle.uploader.settling.Settling`."""

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
            due = 0.0
        elif self._backlog.count:
            due = 0.0  # spooled batches are waiting: they are old enough
        else:
            due = max(0.0, items[0].queued_at + self.interval - time.monotonic())
        if due <= 0 and self.pacer is not None:  # due now: only pacing can hold it back
            due = min(self.pacer.delay(), MAX_WAIT)
        return due

    def _take_request(self) -> List[QueuedBatch]:
        request = take_request(self._items, self.request_limit(), self.request_bytes)
        if self.pacer is not None:
            self.pacer.took(len(request))
        self._bytes -= sum(len(b.data) for b in request)
        self._ledger.take(request)
        if self._blocked:
            self._not_full.notify_all()
        if self._idle_senders and (self._due_in() == 0.0 or self._load_due() is not None):
            self._wake_sender()  # more is due: start another sender
        return request

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

    # -- accounting -----------------------------------------------------------------------------
    def note_retry(self, error: BaseException, status: int) -> None:
        """Count a retry after ``error`` (HTTP ``status``, 0 for no response)."""
        with self._lock:
            counters = self.counters
            counters.retried += 1
            counters.retries_by_status[status] = counters.retries_by_status.get(status, 0) + 1
            counters.last_error, counters.last_error_time = error, time.time()

    def note_error(self, error: BaseException) -> None:
        """Record ``error`` as the last error."""
        with self._lock:
            self.counters.last_error, self.counters.last_error_time = error, time.time()

    def note_skipped(self) -> None:
        """Count a batch accepted but not sent (``send=False``)."""
        with self._lock:
            self.counters.enqueued += 1
            self.counters.skipped += 1

    def note_rejected(self) -> None:
        """Count a batch refused at ``enqueue`` (invalid or too large)."""
        with self._lock:
            self.counters.rejected += 1

    def stats(self) -> UploaderStats:
        """The counters and the current queue, in-flight and spool sizes."""
        with self._lock:
            return self.counters.snapshot(
                len(self._items),
                self._bytes,
                self._ledger.count,
                self._backlog.count,
                self._stored_bytes,
            )
