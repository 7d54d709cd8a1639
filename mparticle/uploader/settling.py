"""What became of the batches senders took (settled, requeued, kept on disk) and where each
sender is (on the wire, or waiting between attempts), so that shutdown can take over the
batches of senders that cannot finish in time."""

from __future__ import annotations

import time
from typing import List

from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.queue_core import QueueCore
from mparticle.uploader.stats import CLOSED, SHUTDOWN_TIMEOUT, Outcome

__all__ = ["Settling"]


class Settling(QueueCore):
    """The senders' reports and shutdown's takeover."""

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

    # -- shutdown -------------------------------------------------------------------------------
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
