"""The sender threads: started on first use, each takes a due request (or a spool read-back)
from the queue, sends it, and settles, requeues, keeps or drops each part of it. The
transport's wait hook lets shutdown cut a retry wait short and report the waiting batches
itself; ``stop`` is shutdown's drain. In ``sync_mode`` the caller's thread delivers instead."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import List, Optional

from mparticle.uploader import lifecycle
from mparticle.uploader.batch_queue import LOAD_BATCHES, BatchQueue, Load
from mparticle.uploader.packing import QueuedBatch, take_request
from mparticle.uploader.reporting import Reporter
from mparticle.uploader.sender import Abandoned, Sender
from mparticle.uploader.spool import Spool
from mparticle.uploader.stats import CLOSED, ERROR, RETRIES_EXHAUSTED, SHUTDOWN_TIMEOUT, Outcome

__all__ = ["MAX_WAIT", "SETTLE_GRACE", "Delivery", "remaining"]

logger: logging.Logger = logging.getLogger("mparticle.uploader")

#: Longest single wait the uploader performs; longer timeouts mean "no limit" (seconds).
MAX_WAIT = 24 * 3600.0
#: After shutdown gives up: how long senders between two steps get to report their batches.
SETTLE_GRACE = 1.0


class Delivery:
    """``threads`` sender threads send what ``queue`` hands out through ``sender`` and report
    the outcome to ``queue`` (the ledger) and ``reporter`` (the application). ``abort`` is set
    once shutdown gives up. With ``requeue``, batches the retry policy gave up on are requeued
    after a pause that doubles with each consecutive requeue, up to ``requeue_max_delay``
    seconds."""

    def __init__(
        self,
        queue: BatchQueue,
        sender: Sender,
        reporter: Reporter,
        abort: threading.Event,
        spool: Optional[Spool],
        *,
        threads: int,
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
        self.count = threads
        self.threads: List[threading.Thread] = []
        self._start_lock = threading.Lock()

    def start(self) -> None:
        """Start the sender threads, once (not after the queue was closed)."""
        if self.threads:
            return
        with self._start_lock:
            if self.threads or self.queue.closed:
                return
            lifecycle.ensure_exit_hook()
            for number in range(1, self.count + 1):
                thread = threading.Thread(target=self.run, name=f"mparticle-uploader-{number}", daemon=True)
                thread.start()
                self.threads.append(thread)

    def stop(self, deadline: Optional[float]) -> bool:
        """Shutdown, once the queue is closed: deliver what is pending until ``deadline``
        (monotonic; None: no limit), then give up: without a spool the batches left are
        dropped as ``shutdown_timeout``, with one they stay on disk (``kept``). Joins the
        threads and closes the spool; True when every sender thread has ended."""
        queue, spool = self.queue, self.spool
        if not queue.wait_idle(remaining(deadline)):
            self.abort.set()
            abandoned = queue.abandon(keep=spool is not None)
            if abandoned:
                self.reporter.drop(SHUTDOWN_TIMEOUT, abandoned)
            queue.wait_quiet(SETTLE_GRACE)  # senders between two steps report their batches
        for thread in self.threads:
            thread.join(remaining(deadline))
        if spool is not None:
            queue.keep_in_flight()  # requests still on the wire stay in the spool
            unwritten = spool.close()
            if unwritten:  # a failing disk: these were counted as kept but are not on disk
                queue.unkeep(unwritten)
                self.reporter.drop(SHUTDOWN_TIMEOUT, unwritten)
        return not any(thread.is_alive() for thread in self.threads)

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

    def send_inline(self, items: List[QueuedBatch]) -> int:
        """sync_mode: pack ``items`` and send the requests on this thread (paced, like the
        sender threads); returns how many batches were delivered."""
        queue, pacer = self.queue, self.queue.pacer
        count = queue.request_limit()
        pending = deque(items)
        requests = []
        while pending:
            requests.append(take_request(pending, count, queue.request_bytes))
        if not queue.admit_inline(requests):
            self.reporter.drop(CLOSED, items)
            return 0
        delivered = 0
        for request in requests:
            if pacer is not None:  # paced on the caller's thread
                self.abort.wait(min(pacer.reserve(len(request)), MAX_WAIT))
            delivered += self.deliver(request)
        return delivered

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
        batches waiting are then reported by shutdown itself, before it returns. A retry of a
        sender's request then waits its turn with the pacer too, as a new request would (the
        retries of a 429 would otherwise leave together when the Retry-After ends)."""
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
        pacer = queue.pacer
        try:
            aborted = self.abort.wait(seconds)
            if not aborted and pacer is not None:
                aborted = self.abort.wait(min(pacer.reserve(len(part)), MAX_WAIT))
        finally:
            ours = queue.end_wait(part)
        if aborted or not ours:
            raise Abandoned()


def remaining(deadline: Optional[float]) -> Optional[float]:
    """Seconds left until ``deadline`` (monotonic; None: no limit)."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())
