"""BatchUploader over real loopback HTTP (mparticle.testing.LocalEventsServer on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import collections
import gzip
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from conftest import KEY, SECRET, run_in_threads, wait_until

import mparticle
from mparticle import AppEvent, Batch, BatchUploader, Configuration, EventsApi
from mparticle.rest import MissingCredentialsError
from mparticle.retry import RetryPolicy
from mparticle.serialization import dumps
from mparticle.testing import Fault, LocalEventsServer
from mparticle.uploader import (
    BACKGROUND_RETRIES,
    BULK_PATH,
    CLOSED,
    HISTORICAL_PATH,
    QUEUE_FULL,
    REJECTED,
    RETRIES_EXHAUSTED,
    SHUTDOWN_TIMEOUT,
    UNAUTHORIZED,
    QueuedBatch,
    QueueFullError,
    UploaderStats,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Quick retries for tests: waits of a few milliseconds.
FAST = RetryPolicy(max_retries=5, backoff_base=0.001, backoff_max=0.005, total_timeout=10.0)
#: Far enough away that only flush(), a full request or shutdown sends anything.
NEVER = 3600.0


def make(n: int, **fields: Any) -> Batch:
    """A small batch marked by its ``mpid``."""
    return Batch(
        environment="development",
        mpid=n,
        events=[AppEvent(event_name="tap", custom_event_type="other")],
        **fields,
    )


def bad_batch() -> Dict[str, Any]:
    """Serializable, but the endpoint refuses it (400: empty event_type)."""
    return {"environment": "development", "events": [{"event_type": "", "data": {}}]}


def mpids(server: LocalEventsServer) -> List[int]:
    return [b["mpid"] for b in server.batches if "mpid" in b]


def accounted(stats: UploaderStats) -> bool:
    """Every enqueued (or adopted) batch is delivered, dropped, skipped, kept or still pending."""
    return stats.enqueued + stats.adopted == (
        stats.delivered + stats.dropped_total + stats.skipped + stats.kept + stats.pending
    )


def uploader_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mparticle-uploader")]


class Recorder:
    """Collects on_delivered / on_error / on_drop calls."""

    def __init__(self) -> None:
        self.delivered: List[List[QueuedBatch]] = []
        self.errors: List[Tuple[BaseException, List[QueuedBatch]]] = []
        self.drops: List[Tuple[str, List[QueuedBatch]]] = []
        self.threads: List[str] = []  # where on_delivered ran

    def on_delivered(self, batches: List[QueuedBatch]) -> None:
        self.threads.append(threading.current_thread().name)
        self.delivered.append(batches)

    def delivered_mpids(self) -> List[Any]:
        return sorted(b.json().get("mpid") for batches in self.delivered for b in batches)

    def on_error(self, exc: BaseException, batches: List[QueuedBatch]) -> None:
        self.errors.append((exc, batches))

    def on_drop(self, reason: str, batches: List[QueuedBatch]) -> None:
        self.drops.append((reason, batches))

    def dropped(self, reason: str) -> List[Any]:
        return [b.json().get("mpid") for r, batches in self.drops if r == reason for b in batches]


@pytest.fixture
def make_uploader(config: Configuration) -> Iterator[Callable[..., BatchUploader]]:
    """Build uploaders (fast retries by default); all are shut down and their threads joined."""
    created: List[BatchUploader] = []

    def build(cfg: Configuration = config, **options: Any) -> BatchUploader:
        options.setdefault("retries", FAST)
        uploader = BatchUploader(cfg, **options)
        created.append(uploader)
        return uploader

    yield build
    for uploader in created:
        uploader.shutdown(timeout=5)
        assert accounted(uploader.stats())
    for thread in uploader_threads():
        thread.join(5)
    assert not uploader_threads()


# -- enqueue, packing, flush --------------------------------------------------------------------------
def test_batches_are_packed_into_bulk_requests_and_flush_waits_for_delivery(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    for n in range(250):
        assert uploader.enqueue(make(n)) is True
    assert uploader.flush(timeout=5) is True
    assert sorted(mpids(server)) == list(range(250))
    assert sorted(len(r.batches) for r in server.requests) == [50, 100, 100]
    assert {r.path for r in server.requests} == {"/v2/bulkevents"}
    stats = uploader.stats()
    assert (stats.enqueued, stats.delivered, stats.requests, stats.pending) == (250, 250, 3, 0)
    assert stats.last_success_time is not None and stats.dropped == {}


def test_requests_respect_the_byte_limit(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer,
                                         config: Configuration) -> None:
    config.max_request_bytes = 2_000
    uploader = make_uploader(upload_interval=NEVER)
    for n in range(60):
        uploader.enqueue(make(n))
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == list(range(60))
    assert len(server.requests) > 3
    assert all(len(r.body) <= 2_000 for r in server.requests)


def test_a_full_request_goes_out_without_waiting_for_the_interval(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    for n in range(100):
        uploader.enqueue(make(n))
    assert server.wait_for(100, timeout=5)
    assert len(server.requests) == 1


def test_upload_interval_sends_a_partial_request(make_uploader: Callable[..., BatchUploader],
                                                 server: LocalEventsServer) -> None:
    uploader = make_uploader(upload_interval=0.2)
    started = time.monotonic()
    uploader.enqueue(make(1))
    uploader.enqueue(make(2))
    assert server.wait_for(2, timeout=5)
    assert time.monotonic() - started >= 0.15
    assert len(server.requests) == 1


def test_flush_sends_partial_requests_at_once(make_uploader: Callable[..., BatchUploader],
                                              server: LocalEventsServer) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    for n in range(3):
        uploader.enqueue(make(n))
    assert uploader.flush(timeout=5)  # sent now, not after upload_interval (NEVER)
    assert sorted(mpids(server)) == [0, 1, 2]


def test_enqueue_many(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    assert uploader.enqueue_many(make(n) for n in range(10)) == 10
    assert uploader.enqueue_many([]) == 0
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == list(range(10)) and len(server.requests) == 1


def test_flush_with_nothing_pending_returns_at_once(make_uploader: Callable[..., BatchUploader]) -> None:
    uploader = make_uploader()
    assert uploader.flush(timeout=0) is True
    assert not uploader_threads()  # threads start with the first batch


def test_on_delivered_has_run_for_every_accepted_request_when_flush_returns(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    seen = Recorder()

    def slow(batches: List[QueuedBatch]) -> None:
        time.sleep(0.1)  # flush must wait for this, not only for the HTTP answers
        seen.on_delivered(batches)

    uploader = make_uploader(upload_interval=NEVER, threads=2, on_delivered=slow)
    for n in range(250):
        uploader.enqueue(make(n))
    assert uploader.flush(timeout=5)
    assert seen.delivered_mpids() == list(range(250))  # each batch once
    assert sorted(len(batches) for batches in seen.delivered) == [50, 100, 100]  # one call per request
    assert all(name.startswith("mparticle-uploader-") for name in seen.threads)
    sent = {b["source_request_id"] for b in server.batches}
    assert {b.source_request_id for batches in seen.delivered for b in batches} == sent


def test_path_sends_backfills_to_the_historical_endpoint(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer, config: Configuration
) -> None:
    old = int(time.time() * 1000) - 40 * 86_400_000
    uploader = make_uploader(upload_interval=NEVER, path=HISTORICAL_PATH)
    for n in range(3):
        event = AppEvent(event_name="tap", custom_event_type="other", timestamp_unixtime_ms=old + n)
        uploader.enqueue(Batch(environment="development", mpid=n, events=[event]))
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == [0, 1, 2]
    assert {r.path for r in server.requests} == {"/v2/bulkevents/historical"}
    assert (BULK_PATH, HISTORICAL_PATH) == ("/bulkevents", "/bulkevents/historical")
    assert make_uploader().path == BULK_PATH
    with pytest.raises(ValueError, match="path"):
        BatchUploader(config, path="bulkevents")


def test_source_request_id_is_stamped_on_the_bytes_not_the_callers_batch(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    plain, own = make(1), make(2, source_request_id="my-id")
    as_dict = {"environment": "development", "mpid": 3, "events": [], "source_request_id": None}
    for batch in (plain, own, as_dict):
        uploader.enqueue(batch)
    plain.mpid = 99  # type: ignore[attr-defined]  # later changes do not alter what was queued
    assert uploader.flush(timeout=5)
    sent = {b["mpid"]: b for b in server.batches}
    assert set(sent) == {1, 2, 3}
    assert plain.source_request_id is None and as_dict["source_request_id"] is None
    assert sent[2]["source_request_id"] == "my-id"
    for n in (1, 3):
        assert uuid.UUID(sent[n]["source_request_id"]).version == 4
    assert sent[1]["source_request_id"] != sent[3]["source_request_id"]


def test_bad_input_raises_at_the_call_site_naming_the_field(
    make_uploader: Callable[..., BatchUploader], config: Configuration
) -> None:
    uploader = make_uploader()
    nan = make(1)
    nan.events[0].data.custom_attributes = {"price": float("nan")}
    with pytest.raises(ValueError, match=r"custom_attributes\['price'\]"):
        uploader.enqueue(nan)
    with pytest.raises(TypeError, match="expected a Batch or a dict"):
        uploader.enqueue([make(2)])
    with pytest.raises(ValueError, match=r"batches\[1\]: .*custom_attributes"):
        uploader.enqueue_many([make(3), nan])
    config.max_batch_bytes = 300
    big = make_uploader(config)
    with pytest.raises(ValueError, match="over the 300-byte limit"):
        big.enqueue(make(4, user_attributes={"blob": "x" * 400}))
    assert uploader.stats().rejected == 3 and uploader.stats().enqueued == 0
    assert big.stats().rejected == 1


def test_built_from_an_events_api(server: LocalEventsServer, config: Configuration) -> None:
    api = EventsApi(config)
    api.api_client.set_default_header("X-Test", "yes")
    with BatchUploader(api=api, retries=FAST, threads=3) as uploader:
        assert uploader.config is config
        assert uploader._rest.maxsize == 3  # one keep-alive pool sized for the senders
        uploader.enqueue(make(1))
        assert uploader.flush(timeout=5)
    assert server.requests[0].headers["X-Test"] == "yes"
    assert server.requests[0].headers["User-Agent"].startswith("mParticle Python client/")
    with pytest.raises(ValueError, match="not both"):
        BatchUploader(Configuration(), api=api)
    with pytest.raises(ValueError, match="overflow"):
        BatchUploader(config, overflow="spill")


# -- failures -----------------------------------------------------------------------------------------
def test_transient_failures_are_retried_and_counted(make_uploader: Callable[..., BatchUploader],
                                                    server: LocalEventsServer) -> None:
    server.script(503, Fault(drop=True), Fault(status=429, retry_after="0"), 500)
    uploader = make_uploader()
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    assert mpids(server) == [1]
    stats = uploader.stats()
    assert stats.retried == 4 and stats.retries_by_status == {503: 1, 0: 1, 429: 1, 500: 1}
    assert stats.delivered == 1 and stats.last_error is not None


def test_a_lost_response_is_retried_with_the_same_source_request_id(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer, config: Configuration
) -> None:
    config.read_timeout = 0.2
    server.script(Fault(delay=0.5))  # accepted, but the answer comes after the client gave up
    uploader = make_uploader()
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    assert server.wait_for(2, timeout=5)
    first, second = server.batches
    assert first == second  # mParticle deduplicates on the source_request_id
    assert uploader.stats().delivered == 1 and uploader.stats().retries_by_status == {0: 1}


def test_retry_after_pauses_the_whole_uploader(make_uploader: Callable[..., BatchUploader],
                                               server: LocalEventsServer) -> None:
    server.script(Fault(status=429, retry_after="0.5"))
    uploader = make_uploader(threads=3, upload_interval=0)
    uploader.enqueue(make(1))
    assert wait_until(lambda: uploader.stats().retried > 0)  # the 429 has arrived
    uploader.enqueue(make(2))  # an idle sender must wait too
    assert uploader.flush(timeout=5)
    first, *later = server.requests
    assert first.status == 429 and sorted(mpids(server)) == [1, 2]
    assert all(r.received_at - first.received_at >= 0.45 for r in later)


def test_bad_batch_is_isolated_by_splitting_and_the_rest_lands(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    seen = Recorder()
    uploader = make_uploader(upload_interval=NEVER, on_delivered=seen.on_delivered, on_error=seen.on_error,
                             on_drop=seen.on_drop)
    for n in range(20):
        uploader.enqueue(bad_batch() if n == 7 else make(n))
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == [n for n in range(20) if n != 7]
    # on_delivered: once per accepted part of the split request, never for the refused batch
    assert seen.delivered_mpids() == [n for n in range(20) if n != 7]
    assert sorted(map(len, seen.delivered)) == sorted(len(r.batches) for r in server.requests if r.status == 202)
    assert [reason for reason, _ in seen.drops] == [REJECTED]
    (exc, batches), = seen.errors
    assert getattr(exc, "status", None) == 400 and batches[0].json()["events"][0]["event_type"] == ""
    assert uploader.stats().dropped == {REJECTED: 1}
    assert len(server.requests) <= 1 + 2 * 5  # one split per level of a 20-batch request


def test_413_is_split_until_requests_fit(make_uploader: Callable[..., BatchUploader]) -> None:
    with LocalEventsServer(KEY, SECRET, max_request_bytes=3_000) as small:
        config = Configuration(api_key=KEY, api_secret=SECRET, host=small.url)
        uploader = make_uploader(config, upload_interval=NEVER)
        for n in range(50):
            uploader.enqueue(make(n))
        assert uploader.flush(timeout=5)
        assert sorted(mpids(small)) == list(range(50))
        assert 413 in small.status_counts and uploader.stats().dropped == {}


@pytest.mark.parametrize("status", [401, 403])
def test_unauthorized_is_not_retried(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer,
                                     status: int) -> None:
    seen = Recorder()
    server.script(status)
    uploader = make_uploader(on_error=seen.on_error, on_drop=seen.on_drop)
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    assert server.request_count == 1
    assert seen.dropped(UNAUTHORIZED) == [1] and getattr(seen.errors[0][0], "status", None) == status
    assert uploader.stats().dropped == {UNAUTHORIZED: 1} and uploader.stats().retried == 0


def test_wrong_credentials_drop_as_unauthorized(make_uploader: Callable[..., BatchUploader],
                                                server: LocalEventsServer) -> None:
    config = Configuration(api_key=KEY, api_secret="wrong", host=server.url)
    uploader = make_uploader(config)
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    assert uploader.stats().dropped == {UNAUTHORIZED: 1} and server.status_counts == {403: 1}


def test_empty_credentials_fail_at_construction_and_at_send_time(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPARTICLE_API_SECRET", raising=False)
    config = Configuration(api_key="the-key-value", host=server.url)
    with pytest.raises(MissingCredentialsError, match="`api_secret` is empty") as info:
        BatchUploader(config)
    assert info.value.missing == ("api_secret",) and "the-key-value" not in str(info.value)
    with pytest.raises(ValueError):  # (a ValueError too, like the other constructor checks)
        BatchUploader(api=EventsApi(config), sync_mode=True)
    BatchUploader(config, send=False).enqueue(make(1))  # sends nothing: needs no credentials
    # credentials emptied after construction: dropped as unauthorized, never sent, never retried
    config.api_secret = SECRET
    seen = Recorder()
    uploader = make_uploader(config, on_error=seen.on_error, on_drop=seen.on_drop)
    config.api_secret = ""
    uploader.enqueue(make(2))
    assert uploader.flush(timeout=5)
    assert seen.dropped(UNAUTHORIZED) == [2] and isinstance(seen.errors[0][0], MissingCredentialsError)
    assert uploader.stats().retried == 0 and server.request_count == 0


def test_a_request_past_its_retry_policy_is_requeued_not_dropped(make_uploader: Callable[..., BatchUploader],
                                                                  server: LocalEventsServer) -> None:
    seen = Recorder()
    server.script(*[503] * 3)  # the whole first request cycle fails; the requeued one lands
    policy = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002)
    uploader = make_uploader(retries=policy, on_error=seen.on_error, on_drop=seen.on_drop)
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=10)
    stats = uploader.stats()
    assert seen.dropped(RETRIES_EXHAUSTED) == [] and seen.errors == []
    assert stats.requeued == 1 and stats.retried == 2 and stats.delivered == 1 and stats.dropped == {}
    assert server.status_counts == {503: 3, 202: 1} and mpids(server) == [1]


def test_requeue_failed_false_gives_up_and_reports(make_uploader: Callable[..., BatchUploader],
                                                   server: LocalEventsServer) -> None:
    seen = Recorder()
    server.script(*[503] * 3)
    policy = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002)
    uploader = make_uploader(retries=policy, on_error=seen.on_error, on_drop=seen.on_drop, requeue_failed=False)
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    assert seen.dropped(RETRIES_EXHAUSTED) == [1] and getattr(seen.errors[0][0], "status", None) == 503
    assert uploader.stats().retried == 2 and uploader.stats().requeued == 0 and server.request_count == 3


def test_raising_callbacks_do_not_stop_delivery(make_uploader: Callable[..., BatchUploader],
                                                server: LocalEventsServer,
                                                caplog: pytest.LogCaptureFixture) -> None:
    def explode(*args: Any) -> None:
        raise RuntimeError("callback bug")

    server.script(400)
    uploader = make_uploader(threads=1, on_delivered=explode, on_error=explode, on_drop=explode)
    with caplog.at_level(logging.ERROR, logger="mparticle.uploader"):
        uploader.enqueue(make(1))
        assert uploader.flush(timeout=5)
        for n in range(2, 5):
            uploader.enqueue(make(n))
        assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == [2, 3, 4]
    assert uploader.stats().dropped == {REJECTED: 1} and uploader.stats().delivered == 3
    assert sum("callback" in r.getMessage() and r.exc_info is not None for r in caplog.records) == 3
    assert len(uploader_threads()) == 1 and uploader_threads()[0].is_alive()  # the sender survived


def test_flush_from_a_callback_does_not_deadlock(make_uploader: Callable[..., BatchUploader],
                                                 server: LocalEventsServer) -> None:
    results: List[bool] = []
    server.script(400)
    uploader: BatchUploader = make_uploader(threads=1)
    uploader.on_drop = lambda reason, batches: results.append(uploader.flush(5))
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    assert results == [False]


def test_sync_mode_reports_on_the_callers_thread_and_a_flush_there_does_not_wait(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    calls: List[Tuple[bool, List[int], bool]] = []
    caller = threading.get_ident()
    uploader: BatchUploader = make_uploader(sync_mode=True)

    def report(*args: Any) -> None:
        batches = args[-1]
        # the request running this callback is in flight: flush must say so at once (waiting
        # the hour out would hang the test until pytest-timeout fails it)
        flushed = uploader.flush(timeout=3600)
        mpids = [b.json().get("mpid", -1) for b in batches]
        calls.append((threading.get_ident() == caller, mpids, flushed))

    uploader.on_delivered = report
    uploader.on_drop = report
    assert uploader.enqueue(make(1)) is True
    server.script(400)
    assert uploader.enqueue(bad_batch()) is False
    assert calls == [(True, [1], False), (True, [-1], False)]


# -- memory bound and overflow policies -----------------------------------------------------------------
def fill(uploader: BatchUploader, count: int) -> List[bool]:
    return [uploader.enqueue(make(n)) for n in range(count)]


def test_drop_newest_refuses_and_reports(make_uploader: Callable[..., BatchUploader],
                                         server: LocalEventsServer) -> None:
    seen = Recorder()
    uploader = make_uploader(upload_interval=NEVER, max_queue_batches=5, on_drop=seen.on_drop)
    assert fill(uploader, 7) == [True] * 5 + [False] * 2
    assert seen.dropped(QUEUE_FULL) == [5, 6]
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == [0, 1, 2, 3, 4]
    assert uploader.stats().dropped == {QUEUE_FULL: 2} and uploader.stats().enqueued == 7


def test_drop_oldest_evicts_and_reports(make_uploader: Callable[..., BatchUploader],
                                        server: LocalEventsServer) -> None:
    seen = Recorder()
    uploader = make_uploader(upload_interval=NEVER, max_queue_batches=5, overflow="drop_oldest",
                             on_drop=seen.on_drop)
    assert fill(uploader, 7) == [True] * 7
    assert seen.dropped(QUEUE_FULL) == [0, 1]
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == [2, 3, 4, 5, 6]


def test_block_waits_for_room(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer) -> None:
    uploader = make_uploader(upload_interval=NEVER, max_queue_batches=5, overflow="block", block_timeout=10)
    fill(uploader, 5)
    result: List[bool] = []
    producer = threading.Thread(target=lambda: result.append(uploader.enqueue(make(5))))
    producer.start()
    producer.join(0.2)
    assert producer.is_alive()  # waiting for room
    assert uploader.flush(timeout=5)  # sending makes room
    producer.join(5)
    assert result == [True]
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == list(range(6))


def test_block_gives_up_after_its_timeout(make_uploader: Callable[..., BatchUploader]) -> None:
    seen = Recorder()
    uploader = make_uploader(upload_interval=NEVER, max_queue_batches=2, overflow="block", block_timeout=0.1,
                             on_drop=seen.on_drop)
    started = time.monotonic()
    assert fill(uploader, 3) == [True, True, False]
    assert time.monotonic() - started >= 0.09  # it did wait for block_timeout before dropping
    assert seen.dropped(QUEUE_FULL) == [2]


def test_raise_policy(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer) -> None:
    uploader = make_uploader(upload_interval=NEVER, max_queue_batches=2, overflow="raise")
    fill(uploader, 2)
    with pytest.raises(QueueFullError, match="max_queue_batches=2"):
        uploader.enqueue(make(2))
    stats = uploader.stats()
    assert (stats.enqueued, stats.rejected, stats.dropped) == (2, 1, {})
    assert uploader.flush(timeout=5) and sorted(mpids(server)) == [0, 1]


def test_queue_is_bounded_by_bytes(make_uploader: Callable[..., BatchUploader]) -> None:
    one = len(dumps(make(0))) + 60  # one batch with its source_request_id
    uploader = make_uploader(upload_interval=NEVER, max_queue_bytes=3 * one)
    accepted = fill(uploader, 10)
    stats = uploader.stats()
    assert 1 <= sum(accepted) < 10 and stats.queued_bytes <= 3 * one
    assert stats.dropped == {QUEUE_FULL: 10 - sum(accepted)}


# -- lifecycle ------------------------------------------------------------------------------------------
def test_shutdown_returns_within_its_timeout_while_the_endpoint_hangs(config: Configuration) -> None:
    seen = Recorder()
    with LocalEventsServer(KEY, SECRET) as hanging:
        hanging.hang(30)
        config.host = hanging.url
        uploader = BatchUploader(config, retries=FAST, threads=1, on_drop=seen.on_drop,
                                 max_queue_batches=1000)
        uploader.enqueue(make(1))
        uploader.flush(timeout=0.2)  # the first request is now on the wire, hanging
        for n in range(2, 6):
            uploader.enqueue(make(n))
        summary = uploader.shutdown(timeout=0.5)  # returns although the request hangs for 30 s
        assert summary.in_flight == 1 and summary.dropped == {SHUTDOWN_TIMEOUT: 4}
        assert seen.dropped(SHUTDOWN_TIMEOUT) == [2, 3, 4, 5]
        assert accounted(summary)
    # the server is gone: the hanging attempt fails, is not retried, and is reported
    for thread in uploader_threads():
        thread.join(5)
    assert not uploader_threads()
    final = uploader.stats()
    assert final.pending == 0 and final.dropped == {SHUTDOWN_TIMEOUT: 5} and final.delivered == 0


def test_shutdown_is_idempotent_and_later_batches_are_reported(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    seen = Recorder()
    uploader = make_uploader(upload_interval=NEVER, on_drop=seen.on_drop)
    fill(uploader, 3)
    summary = uploader.shutdown(timeout=5)
    assert (summary.delivered, summary.pending, summary.dropped) == (3, 0, {})
    assert not uploader_threads()
    assert uploader.enqueue(make(9)) is False and seen.dropped(CLOSED) == [9]
    again = uploader.shutdown(timeout=5)
    assert again.delivered == 3 and again.dropped == {CLOSED: 1}


def test_context_manager_delivers_on_exit(config: Configuration, server: LocalEventsServer) -> None:
    with BatchUploader(config, retries=FAST, upload_interval=NEVER) as uploader:
        fill(uploader, 4)
    assert sorted(mpids(server)) == [0, 1, 2, 3]
    assert not uploader_threads()


EXIT_SCRIPT = """
import sys
import mparticle
from mparticle import AppEvent, Batch, BatchUploader, Configuration
config = Configuration(api_key=sys.argv[1], api_secret=sys.argv[2], host=sys.argv[3])
uploader = BatchUploader(config, upload_interval=3600)
for n in range(5):
    uploader.enqueue(Batch(mpid=n, events=[AppEvent(event_name="x", custom_event_type="other")]))
if sys.argv[4] == "multiprocessing":
    import multiprocessing
    def child():
        BatchUploader(config, upload_interval=3600).enqueue(Batch(mpid=100, events=[]))
    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join()
"""


@pytest.mark.parametrize("mode", ["exit", "multiprocessing"])
def test_pending_batches_are_delivered_at_interpreter_exit(server: LocalEventsServer, mode: str) -> None:
    env = dict(os.environ, PYTHONPATH=REPO)
    subprocess.run([sys.executable, "-c", EXIT_SCRIPT, KEY, SECRET, server.url, mode], env=env, check=True,
                   timeout=30)
    expected = list(range(5)) + ([100] if mode == "multiprocessing" else [])
    assert sorted(mpids(server)) == expected


def test_exit_is_bounded_and_reported_when_the_endpoint_hangs(server: LocalEventsServer) -> None:
    server.hang(120)  # an exit that waited for the request would outlast the 60 s timeout below
    script = "import logging; logging.basicConfig()\n" + EXIT_SCRIPT.replace(
        "upload_interval=3600)", "upload_interval=3600, exit_timeout=0.5)", 1
    )
    env = dict(os.environ, PYTHONPATH=REPO)
    done = subprocess.run([sys.executable, "-c", script, KEY, SECRET, server.url, "exit"], env=env, check=True,
                          timeout=60, capture_output=True, text=True)
    assert "BatchUploader at exit: 0 delivered" in done.stderr and "still in flight" in done.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_starts_empty_and_parent_keeps_its_batches(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    fill(uploader, 2)  # pending in the parent, sender threads running
    pid = os.fork()
    if pid == 0:  # the child: its own empty queue, threads and pool
        code = 1
        try:
            empty = uploader.stats().pending == 0 and not uploader_threads()
            ok = uploader.enqueue(make(100)) and uploader.flush(timeout=5)
            code = 0 if empty and ok and uploader.stats().delivered == 1 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert mpids(server) == [100]
    uploader.enqueue(make(2))
    assert uploader.flush(timeout=5)
    assert sorted(mpids(server)) == [0, 1, 2, 100]  # the parent's batches, once each
    assert uploader.stats().delivered == 3


# -- modes ----------------------------------------------------------------------------------------------
def test_send_false_validates_but_sends_nothing(make_uploader: Callable[..., BatchUploader],
                                                server: LocalEventsServer) -> None:
    uploader = make_uploader(send=False)
    assert uploader.enqueue(make(1)) is True
    assert uploader.enqueue_many([make(2), make(3)]) == 2
    with pytest.raises(TypeError):
        uploader.enqueue("not a batch")
    assert uploader.flush(timeout=0)
    stats = uploader.stats()
    assert (stats.enqueued, stats.skipped, stats.delivered, stats.rejected) == (3, 3, 0, 1)
    assert server.request_count == 0 and not uploader_threads()


def test_sync_mode_sends_on_the_callers_thread(make_uploader: Callable[..., BatchUploader],
                                               server: LocalEventsServer) -> None:
    uploader = make_uploader(sync_mode=True)
    server.script(503)
    assert uploader.enqueue(make(1)) is True
    assert mpids(server) == [1] and not uploader_threads()  # delivered before enqueue returned
    assert uploader.enqueue_many(make(n) for n in range(2, 252)) == 250
    assert [len(r.batches) for r in server.requests if r.status == 202] == [1, 100, 100, 50]
    server.script(400)
    assert uploader.enqueue(bad_batch()) is False
    stats = uploader.stats()
    assert (stats.delivered, stats.retried, stats.dropped, stats.pending) == (251, 1, {REJECTED: 1}, 0)


def test_gzip_bodies(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer) -> None:
    uploader = make_uploader(gzip=True, upload_interval=NEVER)
    fill(uploader, 30)
    assert uploader.flush(timeout=5)
    request, = server.requests
    assert request.headers["Content-Encoding"] == "gzip" and request.wire_size < len(request.body)
    assert gzip.decompress(gzip.compress(request.body)) == request.body
    assert sorted(mpids(server)) == list(range(30))


def test_asyncio_enqueue_flush_and_shutdown(config: Configuration, server: LocalEventsServer) -> None:
    async def main() -> UploaderStats:
        uploader = BatchUploader(config, retries=FAST, upload_interval=NEVER, max_queue_batches=3,
                                 overflow="block", block_timeout=3600)
        for n in range(3):
            assert await uploader.enqueue_async(make(n))
        assert uploader.enqueue(make(3)) is False  # full, and block never blocks the loop (3600 s would)
        waiting = asyncio.ensure_future(uploader.enqueue_async(make(4)))  # waits off the loop
        ticks = 0
        while not waiting.done():  # the loop stays responsive meanwhile
            ticks += 1
            await asyncio.sleep(0.01)
            if ticks == 10:
                assert await uploader.flush_async(timeout=5)
        assert await waiting and ticks >= 10
        return await uploader.shutdown_async(timeout=5)

    summary = asyncio.run(main())
    assert sorted(mpids(server)) == [0, 1, 2, 4]
    assert summary.dropped == {QUEUE_FULL: 1} and summary.delivered == 4


def test_async_context_manager_and_sync_mode_off_loop(config: Configuration, server: LocalEventsServer) -> None:
    async def main() -> None:
        async with BatchUploader(config, retries=FAST, sync_mode=True) as uploader:
            assert await uploader.enqueue_async(make(1))
        assert uploader.stats().delivered == 1

    asyncio.run(main())
    assert mpids(server) == [1]


def test_stats_and_repr(make_uploader: Callable[..., BatchUploader], server: LocalEventsServer) -> None:
    uploader = make_uploader(upload_interval=NEVER)
    fill(uploader, 2)
    stats = uploader.stats()
    assert (stats.queued, stats.in_flight, stats.pending) == (2, 0, 2) and stats.queued_bytes > 0
    assert "queued=2" in repr(uploader)
    assert uploader.flush(timeout=5)
    assert uploader.stats().queued_bytes == 0


def test_exported_from_the_package() -> None:
    assert mparticle.BatchUploader is BatchUploader and "BatchUploader" in mparticle.__all__


def test_importing_the_uploader_does_not_load_asyncio() -> None:
    """asyncio (and the ~35 modules it pulls in) is loaded only by code that uses it: the
    command line and plain threaded programs start faster and smaller."""
    code = "import sys, mparticle.uploader, mparticle.cli.send; print('asyncio' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=REPO)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "False", done.stderr


# -- soak -----------------------------------------------------------------------------------------------
SOAK_BATCHES = 50_000
SOAK_PRODUCERS = 8


@pytest.mark.slow
def test_soak_every_batch_delivered_or_reported_under_faults() -> None:
    """50,000 batches from 8 threads; 20% 429 (half with Retry-After: 0, half without), 10% 503,
    5% dropped connections. Nothing unaccounted, nothing dropped, no batch delivered twice
    except by a retry carrying the same source_request_id."""
    seen = Recorder()
    with LocalEventsServer(KEY, SECRET) as server:
        server.set_fault_rates(throttle=0.2, throttle_retry_after="mixed", unavailable=0.1, drop=0.05, seed=3)
        config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
        patient = RetryPolicy(max_retries=60, backoff_base=0.001, backoff_max=0.01, total_timeout=60)
        uploader = BatchUploader(config, retries=patient, threads=4, upload_interval=0.05,
                                 max_queue_batches=SOAK_BATCHES, on_error=seen.on_error, on_drop=seen.on_drop)
        per_producer = SOAK_BATCHES // SOAK_PRODUCERS
        started = time.monotonic()

        def produce(first: int) -> None:
            for n in range(first, first + per_producer):
                uploader.enqueue(Batch(environment="development", mpid=n,
                                       events=[AppEvent(event_name="soak", custom_event_type="other")]))

        run_in_threads(produce, (i * per_producer for i in range(SOAK_PRODUCERS)))
        assert uploader.flush(timeout=45)
        summary = uploader.shutdown(timeout=5)
        elapsed = time.monotonic() - started
        assert not uploader_threads()
        counts = server.status_counts
        delivered: Dict[int, set] = collections.defaultdict(set)
        copies: collections.Counter = collections.Counter()
        for batch in server.batches:
            delivered[batch["mpid"]].add(batch["source_request_id"])
            copies[batch["mpid"]] += 1
    duplicates = sum(n - 1 for n in copies.values())
    print(
        f"\nSOAK batches={SOAK_BATCHES} requests={sum(counts.values())} 202={counts.get(202, 0)} "
        f"429={counts.get(429, 0)} 503={counts.get(503, 0)} dropped_connections={counts.get(0, 0)} "
        f"retries={summary.retried} delivered={summary.delivered} dropped={summary.dropped_total} "
        f"duplicates={duplicates} elapsed={elapsed:.1f}s"
    )
    assert summary.enqueued == SOAK_BATCHES and accounted(summary)
    assert summary.delivered == SOAK_BATCHES and summary.dropped == {} and summary.pending == 0
    assert not seen.drops and not seen.errors
    assert sorted(delivered) == list(range(SOAK_BATCHES))
    assert all(len(ids) == 1 for ids in delivered.values())  # any copy carried the same id
    assert counts.get(429, 0) and counts.get(503, 0) and counts.get(0, 0)
    assert summary.retried == counts[429] + counts[503] + counts[0]


# -- loss-free defaults ----------------------------------------------------------------------------------
def realistic(n: int) -> Batch:
    """About 3 KB serialized: identities, attributes and ten custom events."""
    events = [
        AppEvent(event_name=f"screen {i}", custom_event_type="navigation", timestamp_unixtime_ms=1_700_000_000_000 + i,
                 custom_attributes={f"attribute_{k}": f"value {k} of {i}, {n}" for k in range(5)})
        for i in range(10)
    ]
    return Batch(environment="production", mpid=n, events=events,
                 user_attributes={"plan": "premium", "visits": n, "tags": ["a", "b", "c"]})


BURST_BATCHES = 20_000
BURST_PRODUCERS = 4


def test_default_settings_survive_a_burst_under_faults() -> None:
    """BatchUploader(config) and nothing else: 4 threads enqueue 20,000 ~3 KB batches as fast as
    they can while the endpoint answers 20% 429, 10% 503 and cuts 5% of connections."""
    assert 2_500 < len(dumps(realistic(0))) < 3_500
    seen = Recorder()
    with LocalEventsServer(KEY, SECRET, record=True) as server:
        server.set_fault_rates(throttle=0.2, throttle_retry_after="mixed", unavailable=0.1, drop=0.05, seed=7)
        config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
        uploader = BatchUploader(config, on_error=seen.on_error, on_drop=seen.on_drop)
        per_producer = BURST_BATCHES // BURST_PRODUCERS
        peak = [0]

        def produce(first: int) -> None:
            for n in range(first, first + per_producer):
                assert uploader.enqueue(realistic(n))
                if n % 500 == 0:
                    peak[0] = max(peak[0], uploader.stats().queued_bytes)

        try:
            run_in_threads(produce, (i * per_producer for i in range(BURST_PRODUCERS)))
            assert uploader.flush(timeout=50)
        finally:  # a failure here must not leave senders running into the next tests
            summary = uploader.shutdown(timeout=5)
        copies = collections.Counter(b["mpid"] for b in server.batches)
        ids = collections.defaultdict(set)
        for batch in server.batches:
            ids[batch["mpid"]].add(batch["source_request_id"])
        counts = server.status_counts
    print(f"\nBURST peak queued {peak[0] / 2**20:.1f} MiB, statuses {counts}, retried {summary.retried}, "
          f"duplicates {sum(copies.values()) - len(copies)}")
    assert summary.delivered == BURST_BATCHES and summary.dropped == {} and accounted(summary)
    assert sorted(copies) == list(range(BURST_BATCHES)) and all(len(v) == 1 for v in ids.values())
    assert not seen.drops and not seen.errors
    assert counts.get(429) and counts.get(503) and counts.get(0)
    assert peak[0] <= uploader.max_queue_bytes


def test_a_batch_waiting_between_retries_is_reported_before_shutdown_returns(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer
) -> None:
    seen = Recorder()
    slow = RetryPolicy(max_retries=5, backoff_base=30.0, backoff_max=30.0, total_timeout=300.0)
    uploader = make_uploader(retries=slow, on_drop=seen.on_drop)
    server.script(503)
    uploader.enqueue(make(1))
    uploader.flush(timeout=0)
    assert server.wait_for(0) and wait_until(lambda: server.request_count == 1)
    summary = uploader.shutdown(timeout=0.3)  # the sender now waits up to 30 s before retrying
    assert summary.dropped == {SHUTDOWN_TIMEOUT: 1} and summary.in_flight == 0 and summary.pending == 0
    assert seen.dropped(SHUTDOWN_TIMEOUT) == [1]  # on_drop ran before shutdown() returned
    assert accounted(summary)
    for thread in uploader_threads():
        thread.join(5)
    assert uploader.stats() == summary  # nothing changes afterwards: the report was final


@pytest.mark.parametrize("timeout", [float("inf"), 1e10, None])
def test_flush_and_shutdown_accept_unbounded_timeouts(make_uploader: Callable[..., BatchUploader],
                                                      server: LocalEventsServer, timeout: Any) -> None:
    uploader = make_uploader()
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=timeout)
    uploader.enqueue(make(2))
    summary = uploader.shutdown(timeout=timeout)
    assert summary.delivered == 2 and summary.dropped == {}


@pytest.mark.parametrize("value", [-1, float("nan"), "soon"])
def test_bad_timeouts_name_the_argument(make_uploader: Callable[..., BatchUploader], value: Any) -> None:
    uploader = make_uploader()
    with pytest.raises(ValueError, match="timeout"):
        uploader.flush(timeout=value)
    with pytest.raises(ValueError, match="block_timeout"):
        make_uploader(block_timeout=value)


def test_a_sender_survives_an_unexpected_error(make_uploader: Callable[..., BatchUploader],
                                               server: LocalEventsServer) -> None:
    seen = Recorder()
    uploader = make_uploader(on_error=seen.on_error, on_drop=seen.on_drop, threads=1)
    original = uploader._sender.send
    calls = []

    def broken_once(batches: List[QueuedBatch]) -> Any:
        calls.append(len(batches))
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return original(batches)

    uploader._sender.send = broken_once  # type: ignore[method-assign]
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    uploader.enqueue(make(2))
    assert uploader.flush(timeout=5)
    assert seen.dropped("error") == [1] and isinstance(seen.errors[0][0], RuntimeError)
    assert mpids(server) == [2] and all(t.is_alive() for t in uploader_threads())



@pytest.mark.parametrize("retry_after", ["inf", "1e400", "1000000000", "-5", "soon", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_hostile_retry_after_neither_kills_nor_stalls_the_senders(
    make_uploader: Callable[..., BatchUploader], server: LocalEventsServer, retry_after: str
) -> None:
    policy = RetryPolicy(max_retries=5, backoff_base=0.001, backoff_max=0.005, total_timeout=10.0,
                         max_retry_after=0.2)
    uploader = make_uploader(retries=policy, threads=2)
    server.script(Fault(429, retry_after=retry_after), Fault(429, retry_after=retry_after))
    uploader.enqueue_many(make(n) for n in range(3))
    assert uploader.flush(timeout=20)
    assert sorted(mpids(server)) == [0, 1, 2] and uploader.stats().dropped == {}
    assert len(uploader_threads()) == 2 and all(t.is_alive() for t in uploader_threads())


def test_the_default_policy_caps_the_pause_a_server_can_impose(make_uploader: Callable[..., BatchUploader],
                                                               server: LocalEventsServer) -> None:
    uploader = BatchUploader(Configuration(api_key=KEY, api_secret=SECRET, host=server.url), threads=1)
    try:
        server.script(Fault(429, retry_after="1000000000"))
        uploader.enqueue(make(1))
        uploader.flush(timeout=0)
        assert wait_until(lambda: server.request_count == 1)
        assert wait_until(lambda: uploader._rest.gate.remaining() > 0)
        assert uploader._rest.gate.remaining() <= BACKGROUND_RETRIES.total_timeout
    finally:
        summary = uploader.shutdown(timeout=0.5)
    assert summary.dropped == {SHUTDOWN_TIMEOUT: 1} and accounted(summary)


def test_drop_reasons_and_overflow_policies_are_literal_types() -> None:
    import typing

    from mparticle.uploader import OVERFLOW_POLICIES, DropReason, OverflowPolicy
    from mparticle.uploader.stats import DROP_REASONS

    assert typing.get_args(DropReason) == DROP_REASONS  # the constants and the type list the same names
    assert typing.get_args(OverflowPolicy) == OVERFLOW_POLICIES
