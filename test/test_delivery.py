"""One delivery step on its own (no threads, no network): what ``Delivery.deliver`` does with
each outcome a Sender reports, and that a Sender's bug loses nothing."""

from __future__ import annotations

import threading
from typing import Any, List, Optional, Tuple

from mparticle.transport.errors import ApiException
from mparticle.uploader import ERROR, REJECTED, RETRIES_EXHAUSTED, QueuedBatch, UploaderStats
from mparticle.uploader.batch_queue import BatchQueue
from mparticle.uploader.delivery import Delivery
from mparticle.uploader.reporting import DeliveredCallback, DropCallback, ErrorCallback, Reporter
from mparticle.uploader.sender import Sender
from mparticle.uploader.stats import Outcome


class Script(Sender):
    """A Sender that reports the outcomes it is given (or raises) instead of posting."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def send(self, batches: List[QueuedBatch]) -> List[Outcome]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return [Outcome(batches[i:j], reason, error) for i, j, reason, error in self.answer]


class Seen:
    def __init__(self) -> None:
        self.calls: List[Tuple[str, Any, int]] = []
        self.on_delivered: Optional[DeliveredCallback] = lambda b: self.calls.append(("delivered", None, len(b)))
        self.on_error: Optional[ErrorCallback] = lambda e, b: self.calls.append(("error", type(e), len(b)))
        self.on_drop: Optional[DropCallback] = lambda r, b: self.calls.append(("drop", r, len(b)))


def deliver(answer: Any, requeue: bool = True) -> Tuple[int, Seen, UploaderStats]:
    queue = BatchQueue(max_batches=None, max_bytes=10_000, overflow="drop_newest", block_timeout=0.0,
                       request_count=10, request_bytes=10_000, interval=0.0, pause=lambda: 0.0)
    seen = Seen()
    delivery = Delivery(queue, Script(answer), Reporter(seen), threading.Event(), None,
                        threads=1, requeue=requeue, requeue_max_delay=30.0)
    for n in range(4):
        assert queue.put(QueuedBatch(b'{"n":%d}' % n, f"id-{n}"))[0]
    request = queue.take()
    assert isinstance(request, list) and len(request) == 4
    return delivery.deliver(request), seen, queue.stats()


def test_each_part_is_delivered_requeued_or_dropped_as_its_outcome_says() -> None:
    refused = ApiException(status=400, reason="Bad Request")
    delivered, seen, stats = deliver([(0, 2, None, None), (2, 3, RETRIES_EXHAUSTED, None), (3, 4, REJECTED, refused)])
    assert delivered == 2
    assert seen.calls == [("delivered", None, 2), ("error", ApiException, 1), ("drop", REJECTED, 1)]
    assert (stats.delivered, stats.requeued, stats.queued, stats.in_flight) == (2, 1, 1, 0)
    assert stats.dropped == {REJECTED: 1}


def test_without_requeue_a_part_the_retry_policy_gave_up_on_is_dropped() -> None:
    delivered, seen, stats = deliver([(0, 4, RETRIES_EXHAUSTED, None)], requeue=False)
    assert delivered == 0 and seen.calls == [("drop", RETRIES_EXHAUSTED, 4)]
    assert stats.dropped == {RETRIES_EXHAUSTED: 4} and stats.pending == 0


def test_a_sender_that_raises_loses_nothing() -> None:
    delivered, seen, stats = deliver(RuntimeError("a bug"))
    assert delivered == 0 and seen.calls == [("error", RuntimeError, 4), ("drop", ERROR, 4)]
    assert stats.dropped == {ERROR: 4} and stats.pending == 0 and stats.last_error is not None
