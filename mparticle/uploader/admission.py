"""Admitting a batch to the queue: the bounds (``max_queue_bytes``, ``max_queue_batches``,
with a spool ``max_spool_bytes``), the overflow policy when there is no room, and where an
admitted batch goes (memory and spool, or the spool only)."""

from __future__ import annotations

import math
import time
from typing import List, Optional

from mparticle.uploader.overflow import BLOCK, DROP_OLDEST, RAISE, WOULD_BLOCK, Admission, QueueFullError
from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.queue_core import QueueCore
from mparticle.uploader.stats import CLOSED, QUEUE_FULL, SPOOL_FULL, DropReason

__all__ = ["Admitting"]


class Admitting(QueueCore):
    """The producers' side of the queue."""

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
        return True, ((self._full_reason(), evicted) if evicted else None)

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
            evicted.extend(self._evict_for(size, reason))
            if not self._has_room(size):  # only spooled batches left to evict: keep them
                refused = self._refuse(item, reason)
                evicted.append(item)  # reported with the batches it displaced, all for `reason`
                return refused[0], (reason, list(evicted))
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

    def _evict_for(self, size: int, reason: DropReason) -> List[QueuedBatch]:
        """drop_oldest: evict from the memory queue (spooled-only batches stay), counted as
        dropped for ``reason``."""
        evicted = []
        while self._items and not self._has_room(size):
            old = self._items.popleft()
            self._bytes -= len(old.data)
            if old.spool is not None:
                self._stored_bytes -= len(old.data)
            evicted.append(old)
        self.counters.drop(reason, len(evicted))
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
