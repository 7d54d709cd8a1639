"""The batch queue on its own (no threads, no network): admission under each overflow policy,
taking, settling, requeueing and shutdown's takeover, with the stats invariant after each
step; and its parts, the ledger and the backlog, plus the uploader's reporter."""

from __future__ import annotations

import logging
from typing import Any, List, Optional, Tuple

import pytest

from mparticle.uploader import (
    BLOCK,
    DROP_NEWEST,
    DROP_OLDEST,
    QUEUE_FULL,
    RAISE,
    SHUTDOWN_TIMEOUT,
    OverflowPolicy,
    QueuedBatch,
    QueueFullError,
    UploaderStats,
)
from mparticle.uploader.backlog import Backlog, Load
from mparticle.uploader.batch_queue import WOULD_BLOCK, BatchQueue
from mparticle.uploader.ledger import Ledger
from mparticle.uploader.reporting import DeliveredCallback, DropCallback, ErrorCallback, Reporter
from mparticle.uploader.stats import Outcome

SIZE = 10  # bytes of each test batch


def batch(n: int) -> QueuedBatch:
    return QueuedBatch(b"%010d" % n, f"id-{n}")


def make_queue(overflow: OverflowPolicy = DROP_NEWEST, max_batches: Optional[int] = 3, **options: Any) -> BatchQueue:
    settings: Any = dict(
        max_batches=max_batches,
        max_bytes=1000,
        overflow=overflow,
        block_timeout=0.0,
        request_count=2,
        request_bytes=1000,
        interval=3600.0,
        pause=lambda: 0.0,
    )
    settings.update(options)
    return BatchQueue(**settings)


def accounted(stats: UploaderStats) -> bool:
    return stats.enqueued + stats.adopted == (
        stats.delivered + stats.dropped_total + stats.skipped + stats.kept + stats.pending
    )


def fill(queue: BatchQueue, count: int) -> List[QueuedBatch]:
    items = [batch(n) for n in range(count)]
    for item in items:
        assert queue.put(item) == (True, None)
    return items


def taken(queue: BatchQueue) -> List[QueuedBatch]:
    work = queue.take()
    assert isinstance(work, list)
    return work


# -- admission --------------------------------------------------------------------------------------
def test_drop_newest_refuses_the_new_batch() -> None:
    queue = make_queue(DROP_NEWEST)
    fill(queue, 3)
    extra = batch(9)
    assert queue.put(extra) == (False, (QUEUE_FULL, [extra]))
    stats = queue.stats()
    assert (stats.enqueued, stats.queued, stats.dropped) == (4, 3, {QUEUE_FULL: 1}) and accounted(stats)


def test_drop_oldest_evicts_and_returns_what_it_evicted() -> None:
    queue = make_queue(DROP_OLDEST)
    first, *_ = fill(queue, 3)
    assert queue.put(batch(9)) == (True, (QUEUE_FULL, [first]))
    stats = queue.stats()
    assert (stats.queued, stats.dropped) == (3, {QUEUE_FULL: 1}) and accounted(stats)


def test_raise_counts_a_rejection_and_queues_nothing() -> None:
    queue = make_queue(RAISE)
    fill(queue, 3)
    with pytest.raises(QueueFullError, match="max_queue_batches=3"):
        queue.put(batch(9))
    stats = queue.stats()
    assert (stats.enqueued, stats.rejected, stats.queued) == (3, 1, 3) and accounted(stats)


def test_block_without_waiting_does_nothing_and_with_a_zero_timeout_drops() -> None:
    queue = make_queue(BLOCK)
    fill(queue, 3)
    extra = batch(9)
    assert queue.put(extra, wait=False) is WOULD_BLOCK
    assert queue.stats().enqueued == 3  # nothing was counted
    assert queue.put(extra) == (False, (QUEUE_FULL, [extra]))  # block_timeout=0: gave up at once
    assert accounted(queue.stats())


def test_a_batch_larger_than_the_bound_is_refused_whatever_the_policy() -> None:
    queue = make_queue(DROP_OLDEST, max_batches=None, max_bytes=SIZE - 1)
    item = batch(1)
    assert queue.put(item) == (False, (QUEUE_FULL, [item]))
    assert queue.stats().queued == 0


def test_a_closed_queue_refuses_as_closed() -> None:
    queue = make_queue()
    queue.close()
    item = batch(1)
    assert queue.put(item) == (False, ("closed", [item]))
    assert queue.closed and accounted(queue.stats())


# -- taking and settling ----------------------------------------------------------------------------
def test_a_full_request_is_due_at_once_and_settling_it_is_counted() -> None:
    queue = make_queue(max_batches=None)
    items = fill(queue, 3)
    request = taken(queue)  # request_count=2: full, so due although the interval is an hour
    assert request == items[:2]
    assert queue.stats().in_flight == 2 and queue.stats().queued == 1
    queue.settle(request, Outcome(request))
    queue.release(request)
    stats = queue.stats()
    assert (stats.delivered, stats.requests, stats.in_flight, stats.queued) == (2, 1, 0, 1) and accounted(stats)
    assert not queue.flush(0)  # the third batch is still queued
    assert taken(queue) == items[2:]  # flush made the partial request due


def test_a_requeued_part_goes_back_to_the_head_and_waits_for_its_delay() -> None:
    queue = make_queue(max_batches=None)
    items = fill(queue, 4)
    request = taken(queue)
    queue.requeue(request, request, delay=3600.0)
    queue.release(request)
    stats = queue.stats()
    assert (stats.requeued, stats.queued, stats.in_flight) == (2, 4, 0) and accounted(stats)
    due_in = queue._due_in()
    assert due_in is not None and due_in > 0  # held: not due before the delay
    assert list(queue._items) == items


def test_shutdown_takes_over_queued_and_waiting_batches() -> None:
    queue = make_queue(max_batches=None)
    fill(queue, 3)
    request = taken(queue)
    assert queue.begin_wait(request, request[:1])  # the sender waits between retries for one part
    queue.close()
    dropped = queue.abandon(keep=False)
    assert len(dropped) == 2  # the queued batch and the waiting part
    assert queue.is_abandoned(request, request[:1]) and not queue.is_abandoned(request, request[1:])
    assert not queue.end_wait(request[:1])  # the sender learns shutdown took its part
    assert not queue.begin_wait(request, request[1:])  # and no new wait starts
    queue.settle(request, Outcome(request[1:]))
    queue.release(request)
    stats = queue.stats()
    assert (stats.delivered, stats.dropped, stats.pending) == (1, {SHUTDOWN_TIMEOUT: 2}, 0) and accounted(stats)
    assert queue.take() is None  # closed and empty: the sender exits


def test_sync_mode_admits_requests_straight_into_flight() -> None:
    queue = make_queue()
    requests = [[batch(1), batch(2)], [batch(3)]]
    assert queue.admit_inline(requests)
    assert [b.seq for r in requests for b in r] == [1, 2, 3] and queue.stats().in_flight == 3
    queue.close()
    assert not queue.admit_inline([[batch(4)]])
    assert queue.stats().dropped == {"closed": 1}


# -- the parts ------------------------------------------------------------------------------------
def numbered(*seqs: int) -> List[QueuedBatch]:
    items = [batch(seq) for seq in seqs]
    for item, seq in zip(items, seqs):
        item.seq = seq
    return items


def test_ledger_counts_unsettled_batches_per_request() -> None:
    ledger = Ledger()
    request = numbered(1, 2, 3)
    ledger.take(request)
    assert ledger.count == 3 and ledger.unsettled_through(1) and not ledger.unsettled_through(0)
    assert ledger.unsettle(request, request[:1]) and ledger.count == 2
    ledger.sending(request[1:], True)
    assert ledger.quiet()  # both unsettled batches are on the wire
    ledger.begin_wait(request, request[1:2])
    assert not ledger.quiet()
    assert ledger.abandon_waiting() == request[1:2]
    assert ledger.is_abandoned(request, request[1:2]) and ledger.count == 1
    assert ledger.keep_all() == 1 and ledger.count == 0
    assert ledger.is_abandoned(request, request[2:])  # kept: its late outcome changes nothing
    ledger.release(request)
    assert not ledger.is_abandoned(request, request[1:2]) and not ledger.unsettle(request, request[2:])


def test_backlog_reads_adopted_rows_first_then_the_spilled_run_in_order() -> None:
    backlog = Backlog()
    for item in numbered(5, 6, 7):
        backlog.spill(item, SIZE)
    backlog.adopt(2, 2 * SIZE)
    assert backlog.count == 5 and backlog.spilled_through(5) and not backlog.spilled_through(4)
    assert backlog.next_load(100) == Load(adopted=True, max_bytes=100)
    assert backlog.read_adopted(numbered(1)) and backlog.adopted_count == 1
    assert backlog.read_adopted(None) == [] and backlog.adopted_count == 0  # the adopted files are used up
    load = backlog.next_load(100)
    assert load == Load(adopted=False, max_bytes=100, after=4, through=7)
    backlog.read_own(load, numbered(5, 6))
    assert (backlog.spill_lo, backlog.spilled_count) == (7, 1) and not backlog.spilled_through(6)
    assert backlog.clear() == 1 and backlog.count == 0


def test_reporter_guards_callbacks_and_knows_when_it_runs_one(caplog: pytest.LogCaptureFixture) -> None:
    calls: List[Tuple[str, bool]] = []

    class Owner:
        def __init__(self) -> None:
            self.on_delivered: Optional[DeliveredCallback] = self.delivered
            self.on_error: Optional[ErrorCallback] = None
            self.on_drop: Optional[DropCallback] = self.dropped
            self.reporter = Reporter(self)

        def delivered(self, batches: List[QueuedBatch]) -> None:
            calls.append(("delivered", self.reporter.calling_back()))
            raise RuntimeError("the application's bug")

        def dropped(self, reason: str, batches: List[QueuedBatch]) -> None:
            calls.append((reason, self.reporter.calling_back()))

    owner = Owner()
    with caplog.at_level(logging.WARNING, logger="mparticle.uploader"):
        owner.reporter.delivered([batch(1)])  # raises inside: logged, not propagated
        owner.reporter.error(RuntimeError("x"), [])  # no on_error: nothing happens
        owner.reporter.drop(QUEUE_FULL, [batch(2)])
        owner.reporter.drop(QUEUE_FULL, [batch(3)])  # within 5 s of the first: not logged again
    assert calls == [("delivered", True), (QUEUE_FULL, True), (QUEUE_FULL, True)]
    assert not owner.reporter.calling_back()
    assert sum("dropped 1 batch(es)" in r.getMessage() for r in caplog.records) == 1
    assert any("callback" in r.getMessage() and r.exc_info for r in caplog.records)
