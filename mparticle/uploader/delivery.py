"""What the sender threads do: take a due request (or a spool read-back) from the queue, send
it, and settle, requeue, keep or drop each part of it; plus the transport's wait hook, which
lets shutdown cut a retry wait short and report the waiting batches itself."""

from __future__ import annotations

import logging
import threading
import time
from typing import List, Optional

from mparticle.uploader.batch_queue import LOAD_BATCHES, BatchQueue, Load
from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.reporting import Reporter
from mparticle.uploader.sender import Abandoned, Sender
from mparticle.uploader.spool import Spool
from mparticle.uploader.stats import ERROR, RETRIES_EXHAUSTED, SHUTDOWN_TIMEOUT, Outcome

__all__ = ["MAX_WAIT", "Delivery"]

logger = logging.getLogger("mparticle.uploader")

#: Longest single wait the uploader performs; longer timeouts mean "no limit" (seconds).
MAX_WAIT = 24 * 3600.0


class Delivery:
    """Sends what ``queue`` hands out through ``sender`` and reports the outcome to ``queue``
    (the ledger) and ``reporter`` (the application). ``abort`` is set once shutdown gives up.
    With ``requeue``, batches the retry policy gave up on are requeued after a pause that
    doubles with each consecutive requeue, up to ``requeue_max_delay`` seconds."""

    def __init__(
        self,
        queue: BatchQueue,
        sender: Sender,
        reporter: Reporter,
        abort: threading.Event,
        spool: Optional[Spool],
        *,
        requeue: bool,
        requeue_max_delay: float,
    ) -> None:
        self.queue = queue
        self.sender = sender
        self.reporter = reporter
        self.abort = abort
        self.spool = spool
        self.requeue = requeue
        self.requeue_max_delay = requeue_max_delay
        self._requeue_streak = 0
        self._last_requeue = 0.0
        self._requeue_lock = threading.Lock()
        self._local = threading.local()  # .request/.part: what this sender thread is sending

    def run(self) -> None:
        """A sender thread's loop, until the queue is closed and empty."""
        queue = self.queue
        while True:
            try:
                work = queue.take()
                if work is None:
                    return
                if isinstance(work, Load):
                    self._load(work)
                else:
                    self.deliver(work)
            except Exception as error:  # noqa: BLE001 - a sender thread must never die
                logger.exception("unexpected error in an uploader thread; it keeps running")
                queue.note_error(error)
                self.abort.wait(0.1)  # no busy loop if the error repeats

    def _load(self, load: Load) -> None:
        """Read spooled batches back into the memory queue."""
        spool = self.spool
        assert spool is not None
        try:
            if load.adopted:
                items = spool.load_adopted(LOAD_BATCHES, load.max_bytes)
            else:
                items = spool.load_own(load.after, load.through, LOAD_BATCHES, load.max_bytes)
        except Exception as error:  # noqa: BLE001 - a disk error: retry after a pause
            logger.warning("reading the spool failed: %r (retrying)", error)
            self.queue.load_failed()
            self.reporter.error(error, [])
            self.abort.wait(1.0)
            return
        self.queue.add_loaded(load, items)

    def deliver(self, request: List[QueuedBatch]) -> int:
        """Send one request (taken from the queue, or admitted inline), report what happened to
        each part of it (delivered, requeued, kept or dropped), then release it; returns the
        batches delivered."""
        self._local.request = request
        try:
            outcomes = self.sender.send(request)
        except Exception as error:  # noqa: BLE001 - a bug must not kill the sender or lose batches
            logger.exception("unexpected error while uploading %d batches", len(request))
            outcomes = [Outcome(request, ERROR, error)]
        finally:
            self._local.request = None
        queue = self.queue
        delivered = 0
        try:
            for outcome in outcomes:
                if not queue.is_abandoned(request, outcome.batches):  # else shutdown reported these
                    delivered += self._settle(request, outcome)
        finally:  # released after the callbacks ran, so flush() returns once they are reported
            queue.release(request)
        return delivered

    def _settle(self, request: List[QueuedBatch], outcome: Outcome) -> int:
        """Report one part of ``request``; returns the batches delivered."""
        queue, reporter = self.queue, self.reporter
        if outcome.reason is None:
            self._requeue_streak = 0
            reporter.delivered(outcome.batches)
            queue.settle(request, outcome)
            return len(outcome.batches)
        if outcome.reason == RETRIES_EXHAUSTED and self.requeue and not self.abort.is_set():
            self._requeue(request, outcome)
        elif outcome.reason == SHUTDOWN_TIMEOUT and self.spool is not None:
            lost = queue.keep(request, outcome.batches)  # on disk for the next process
            if lost:
                reporter.drop(SHUTDOWN_TIMEOUT, lost)
        else:
            if outcome.error is not None:
                reporter.error(outcome.error, outcome.batches)
            reporter.drop(outcome.reason, outcome.batches, outcome.error)
            queue.settle(request, outcome)
        return 0

    def _requeue(self, request: List[QueuedBatch], outcome: Outcome) -> None:
        """The retry policy gave up on a transient failure: keep the batches and try again after
        a pause that doubles with each consecutive requeue (up to ``requeue_max_delay``)."""
        with self._requeue_lock:  # one streak for all senders: 4 requeues at once are one step
            now = time.monotonic()
            if now - self._last_requeue >= 0.5:
                self._requeue_streak += 1
            self._last_requeue = now
            streak = self._requeue_streak
        delay = min(self.requeue_max_delay, 0.5 * 2 ** min(streak, 10))
        self.reporter.requeued(outcome.batches, outcome.error, delay)
        self.queue.requeue(request, outcome.batches, delay)

    # -- transport hooks ------------------------------------------------------------------------
    def posting(self, part: List[QueuedBatch], active: bool) -> None:
        """The Sender's hook: ``part`` of this thread's request goes on (or leaves) the wire."""
        self._local.part = part if active else None
        self.queue.sending(part, active)

    def wait_or_abandon(self, seconds: float) -> None:
        """Every transport wait (backoff, Retry-After) ends early once shutdown gives up; the
        batches waiting are then reported by shutdown itself, before it returns."""
        seconds = min(max(0.0, seconds), MAX_WAIT)
        request = getattr(self._local, "request", None)
        part = getattr(self._local, "part", None)
        if request is None or part is None:
            if self.abort.wait(seconds):
                raise Abandoned()
            return
        queue = self.queue
        if not queue.begin_wait(request, part):
            raise Abandoned()
        try:
            aborted = self.abort.wait(seconds)
        finally:
            ours = queue.end_wait(part)
        if aborted or not ours:
            raise Abandoned()
