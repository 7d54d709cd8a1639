"""The durable spool: real SQLite files in a temporary directory, real loopback HTTP.

Crash tests with killed processes are in test_spool_crash.py.
"""

from __future__ import annotations

import collections
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from conftest import KEY, SECRET, run_in_threads, wait_until

from mparticle import AppEvent, Batch, BatchUploader, Configuration
from mparticle.retry import RetryPolicy
from mparticle.testing import LocalEventsServer
from mparticle.uploader import SPOOL_FULL, QueueFullError, SpoolError, UploaderStats
from mparticle.uploader.batch_queue import BatchQueue
from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.spool import PREFIX, SUFFIX, Spool

FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.005, total_timeout=5.0)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make(n: int) -> Batch:
    return Batch(environment="development", mpid=n, events=[AppEvent(event_name="tap", custom_event_type="other")])


def accounted(stats: UploaderStats) -> bool:
    return stats.enqueued + stats.adopted == (
        stats.delivered + stats.dropped_total + stats.skipped + stats.kept + stats.pending
    )


def spool_files(directory: Path) -> List[str]:
    return sorted(p.name for p in directory.iterdir())


def rows(path: str) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM batches").fetchone()[0])


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def created() -> Iterator[List[BatchUploader]]:
    uploaders: List[BatchUploader] = []
    yield uploaders
    for uploader in uploaders:
        uploader.shutdown(timeout=0.5)
        assert accounted(uploader.stats())


def test_delivered_batches_leave_the_spool_and_the_file_goes_at_shutdown(
    tmp_path: Path, config: Configuration, server: LocalEventsServer
) -> None:
    uploader = BatchUploader(config, spool_dir=tmp_path, retries=FAST)
    for n in range(250):
        uploader.enqueue(make(n))
    path = uploader.spool_path
    assert path is not None and os.path.dirname(path) == str(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # batches hold personal data
    assert uploader.flush(timeout=10)
    summary = uploader.shutdown(timeout=5)
    assert summary.delivered == 250 and summary.kept == 0 and accounted(summary)
    assert sorted(b["mpid"] for b in server.batches) == list(range(250))
    assert spool_files(tmp_path) == []  # empty spools are removed with their lock file


def test_commit_interval_zero_commits_before_enqueue_returns(
    tmp_path: Path, config: Configuration, created: List[BatchUploader]
) -> None:
    uploader = BatchUploader(config, spool_dir=tmp_path, spool_commit_interval=0, upload_interval=3600)
    created.append(uploader)
    for n in range(1, 6):
        uploader.enqueue(make(n))
        assert rows(str(uploader.spool_path)) == n  # read by another connection: on disk


def test_enqueue_many_with_commit_interval_zero_returns_after_all_are_committed(
    tmp_path: Path, config: Configuration, created: List[BatchUploader]
) -> None:
    uploader = BatchUploader(config, spool_dir=tmp_path, spool_commit_interval=0, upload_interval=3600)
    created.append(uploader)
    assert uploader.enqueue_many(make(n) for n in range(50)) == 50
    assert rows(str(uploader.spool_path)) == 50


def test_batches_are_committed_within_the_commit_interval(
    tmp_path: Path, config: Configuration, created: List[BatchUploader]
) -> None:
    uploader = BatchUploader(config, spool_dir=tmp_path, spool_commit_interval=0.05, upload_interval=3600)
    created.append(uploader)
    uploader.enqueue_many(make(n) for n in range(50))  # less than a full request: nothing is sent
    path = str(uploader.spool_path)
    assert wait_until(lambda: rows(path) == 50)  # the file has no event to wait on: polled


def test_memory_is_a_window_onto_the_spool_during_an_outage(
    tmp_path: Path, server: LocalEventsServer, created: List[BatchUploader]
) -> None:
    config = Configuration(api_key=KEY, api_secret=SECRET, host=f"http://127.0.0.1:{closed_port()}/v2")
    limit = 40_000
    uploader = BatchUploader(config, spool_dir=tmp_path, max_queue_bytes=limit, retries=FAST, threads=2)
    created.append(uploader)
    peak = 0
    for n in range(3000):
        assert uploader.enqueue(make(n))
        if n % 100 == 0:
            peak = max(peak, uploader.stats().queued_bytes)
    stats = uploader.stats()
    # the documented bound: the memory bound plus one request per sender thread (requests that
    # ran out of retries come back as queued)
    bound = limit + 2 * config.max_request_bytes
    assert stats.spooled > 2000 and peak <= bound and stats.dropped == {}
    config.host = server.url  # the endpoint comes back
    assert uploader.flush(timeout=30)
    summary = uploader.shutdown(timeout=5)
    copies = collections.Counter(b["mpid"] for b in server.batches)
    assert sorted(copies) == list(range(3000)) and set(copies.values()) == {1}
    assert summary.delivered == 3000 and summary.requeued > 0 and accounted(summary)


def test_shutdown_keeps_what_it_could_not_send_and_the_next_uploader_delivers_it(
    tmp_path: Path, server: LocalEventsServer
) -> None:
    server.set_fault_rates(unavailable=1.0)  # an outage: every request answers 503
    config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    first = BatchUploader(config, spool_dir=tmp_path, retries=FAST, max_queue_bytes=5000)
    for n in range(300):
        first.enqueue(make(n))
    summary = first.shutdown(timeout=0.5)
    assert summary.kept + summary.in_flight == 300 and summary.dropped == {} and accounted(summary)
    left = [name for name in spool_files(tmp_path) if name.endswith(SUFFIX)]
    assert len(left) == 1 and rows(str(tmp_path / left[0])) == 300
    with sqlite3.connect(str(tmp_path / left[0])) as conn:
        ids = dict(conn.execute("SELECT source_request_id, data FROM batches").fetchall())

    server.set_fault_rates()  # the outage is over
    server.reset()
    second = BatchUploader(config, spool_dir=tmp_path, retries=FAST)
    assert server.wait_for(300, timeout=15)
    summary = second.shutdown(timeout=5)
    assert summary.adopted == 300 and summary.delivered == 300 and accounted(summary)
    received = {b["source_request_id"]: b["mpid"] for b in server.batches}
    assert set(received) == set(ids)  # the same source_request_id as the first attempt
    assert spool_files(tmp_path) == []


def test_spools_of_other_destinations_are_left_alone(tmp_path: Path, server: LocalEventsServer) -> None:
    config = Configuration(api_key="other-key", api_secret=SECRET, host=f"http://127.0.0.1:{closed_port()}/v2")
    first = BatchUploader(config, spool_dir=tmp_path, retries=FAST)
    first.enqueue_many(make(n) for n in range(10))
    first.shutdown(timeout=0.2)
    before = spool_files(tmp_path)
    second = BatchUploader(Configuration(api_key=KEY, api_secret=SECRET, host=server.url), spool_dir=tmp_path)
    summary = second.shutdown(timeout=2)
    assert summary.adopted == 0 and server.batches == []
    assert spool_files(tmp_path) == before


def test_a_corrupt_or_foreign_file_is_quarantined_not_a_crash(
    tmp_path: Path, config: Configuration, server: LocalEventsServer
) -> None:
    (tmp_path / f"{PREFIX}garbage{SUFFIX}").write_bytes(b"this is not a database" * 100)
    with sqlite3.connect(str(tmp_path / f"{PREFIX}foreign{SUFFIX}")) as conn:
        conn.execute("CREATE TABLE batches (x)")
    errors: List[BaseException] = []
    uploader = BatchUploader(config, spool_dir=tmp_path, on_error=lambda e, b: errors.append(e))
    uploader.enqueue(make(1))
    assert uploader.flush(timeout=5)
    uploader.shutdown(timeout=5)
    names = spool_files(tmp_path)
    assert f"{PREFIX}garbage{SUFFIX}.corrupt" in names and f"{PREFIX}foreign{SUFFIX}.corrupt" in names
    assert not [n for n in names if n.endswith(SUFFIX)]
    assert len(errors) == 2 and all(isinstance(e, SpoolError) for e in errors)
    assert [b["mpid"] for b in server.batches] == [1]
    # a second start does not trip over the quarantined files again
    again = BatchUploader(config, spool_dir=tmp_path, on_error=lambda e, b: errors.append(e))
    again.shutdown(timeout=2)
    assert len(errors) == 2


def test_an_unusable_spool_dir_is_a_clear_error(tmp_path: Path, config: Configuration) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(SpoolError, match="spool_dir"):
        BatchUploader(config, spool_dir=not_a_dir)
    with pytest.raises(ValueError, match="spool_dir"):
        BatchUploader(config, spool_dir=tmp_path, sync_mode=True)


@pytest.mark.parametrize("policy", ["drop_newest", "raise"])
def test_max_spool_bytes_applies_the_overflow_policy(
    tmp_path: Path, policy: str, created: List[BatchUploader]
) -> None:
    config = Configuration(api_key=KEY, api_secret=SECRET, host=f"http://127.0.0.1:{closed_port()}/v2")
    drops: List[Any] = []
    uploader = BatchUploader(config, spool_dir=tmp_path, max_spool_bytes=20_000, overflow=policy,
                             upload_interval=3600, on_drop=lambda r, b: drops.append((r, len(b))))
    created.append(uploader)
    size = len(make(0).to_str())  # roughly; the limit is far above one batch
    accepted = refused = 0
    for n in range(200):
        try:
            accepted += uploader.enqueue(make(n))
        except QueueFullError:
            refused += 1
    stats = uploader.stats()
    assert stats.spool_bytes <= 20_000 and accepted * size > 10_000
    if policy == "raise":
        assert refused == 200 - accepted and stats.rejected == refused and not drops
    else:
        assert stats.dropped == {SPOOL_FULL: 200 - accepted} and sum(n for _, n in drops) == 200 - accepted


@pytest.mark.subprocess
def test_fork_child_gets_its_own_spool_and_the_parent_keeps_its_lock(
    tmp_path: Path, config: Configuration, server: LocalEventsServer
) -> None:
    uploader = BatchUploader(config, spool_dir=tmp_path, upload_interval=3600)
    uploader.enqueue(make(1))
    parent_path = uploader.spool_path
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: enqueue its own batch and deliver it, then exit without atexit
        code = 1
        try:
            os.close(read)
            child_path = uploader.spool_path
            uploader.enqueue(make(2))
            ok = uploader.flush(timeout=10)
            uploader.shutdown(timeout=5)
            os.write(write, f"{child_path != parent_path} {ok}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and answer == "True True"
    assert os.path.exists(str(parent_path))  # the child never removed the parent's file
    assert uploader.flush(timeout=10)
    uploader.shutdown(timeout=5)
    copies = collections.Counter(b["mpid"] for b in server.batches)
    assert copies == {1: 1, 2: 1}


@pytest.mark.subprocess
def test_sigterm_handler_delivers_before_the_process_ends(tmp_path: Path, server: LocalEventsServer) -> None:
    code = f"""
import sys, time
sys.path.insert(0, {REPO!r})
import mparticle
from mparticle.uploader import handle_sigterm
config = mparticle.Configuration(api_key={KEY!r}, api_secret={SECRET!r}, host={server.url!r})
uploader = mparticle.BatchUploader(config, upload_interval=3600)
handle_sigterm(timeout=5)
for n in range(50):
    uploader.enqueue(mparticle.Batch(environment="development", mpid=n))
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        child.terminate()
        assert child.wait(timeout=20) == -15  # still ends by SIGTERM, as orchestrators expect
    finally:
        child.kill()
    assert sorted(b["mpid"] for b in server.batches) == list(range(50))



def test_a_full_disk_is_reported_and_nothing_is_lost(tmp_path: Path, server: LocalEventsServer,
                                                     created: List[BatchUploader]) -> None:
    """SQLite's own size cap (PRAGMA max_page_count) gives the real SQLITE_FULL error path."""
    errors: List[BaseException] = []
    server.set_fault_rates(unavailable=1.0)
    config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    # memory can hold them all: while the disk fails, batches are held in memory only
    uploader = BatchUploader(config, spool_dir=tmp_path, retries=FAST, max_queue_bytes=1_000_000,
                             spool_commit_interval=0.01, on_error=lambda e, b: errors.append(e))
    created.append(uploader)
    conn = uploader._spool.own.conn  # type: ignore[union-attr]
    with uploader._spool.own.lock:  # type: ignore[union-attr]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    for n in range(500):
        assert uploader.enqueue(make(n))
    uploader._spool.commit()  # type: ignore[union-attr]
    assert any(isinstance(e, sqlite3.OperationalError) and "full" in str(e) for e in errors)
    assert not uploader._spool.healthy  # type: ignore[union-attr]
    with uploader._spool.own.lock:  # type: ignore[union-attr]
        conn.execute("PRAGMA max_page_count = 1000000")  # space again
    server.set_fault_rates()
    assert uploader.flush(timeout=30)
    copies = collections.Counter(b["mpid"] for b in server.batches)
    assert sorted(copies) == list(range(500)) and set(copies.values()) == {1}
    assert uploader.stats().dropped == {}
    spool = uploader._spool
    assert spool is not None
    recovered = threading.Event()
    for _ in range(300):  # the writer retries within about a second
        if spool.healthy:
            recovered.set()
            break
        recovered.wait(0.02)
    assert recovered.is_set()


# -- regressions found in review ---------------------------------------------------------------------
def test_busy_producers_with_commit_interval_zero_lose_nothing(tmp_path: Path, server: LocalEventsServer) -> None:
    """Eight producers, a 20 KB memory window, synchronous commits: the writer's commit and a
    sender's read-back commit must not interleave (rows in neither the buffer nor the file)."""
    config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    for round_ in range(3):
        server.reset()
        uploader = BatchUploader(config, spool_dir=tmp_path / str(round_), retries=FAST, max_queue_bytes=20_000,
                                 spool_commit_interval=0)
        batches = [make(n) for n in range(1200)]

        def produce(first: int, uploader: BatchUploader = uploader, batches: List[Batch] = batches) -> None:
            for n in range(first, len(batches), 8):
                assert uploader.enqueue(batches[n])

        run_in_threads(produce, range(8))
        assert uploader.flush(timeout=30)
        stats = uploader.shutdown(timeout=5)
        assert accounted(stats) and stats.delivered == 1200
        assert {b["mpid"] for b in server.batches} == set(range(1200))


def test_flush_waits_for_requeued_parts_whatever_their_order(config: Configuration,
                                                             server: LocalEventsServer) -> None:
    uploader = BatchUploader(config, retries=FAST, threads=1, upload_interval=0.05)
    try:
        server.script(*([503] * 4))  # batch 0 alone: out of retries, requeued
        uploader.enqueue(make(0))
        assert wait_until(lambda: uploader.stats().requeued >= 1)
        server.script(400, *([503] * 8))  # the next request is split, then both halves requeued
        for n in range(1, 10):
            uploader.enqueue(make(n))
        assert uploader.flush(timeout=20)
        assert {b["mpid"] for b in server.batches} >= set(range(10))  # all enqueued before flush
    finally:
        uploader.shutdown(timeout=5)


def test_an_adopted_file_is_retired_once_read_even_at_a_multiple_of_the_read_size(
    tmp_path: Path, server: LocalEventsServer
) -> None:
    server.set_fault_rates(unavailable=1.0)
    config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    first = BatchUploader(config, spool_dir=tmp_path, retries=FAST, upload_interval=3600)
    first.enqueue_many(make(n) for n in range(400))  # LOAD_BATCHES rows exactly
    first.shutdown(timeout=0)
    server.set_fault_rates()
    second = BatchUploader(config, spool_dir=tmp_path, retries=FAST)
    try:
        assert server.wait_for(400, timeout=15)
        own = os.path.basename(str(second.spool_path))[: -len(SUFFIX)]
        assert wait_until(lambda: all(name.startswith(own) for name in spool_files(tmp_path)))
    finally:
        second.shutdown(timeout=5)


def test_a_request_on_the_wire_at_shutdown_is_kept_and_its_late_outcome_ignored(
    tmp_path: Path, server: LocalEventsServer
) -> None:
    config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    uploader = BatchUploader(config, spool_dir=tmp_path, retries=FAST, threads=1)
    server.hang(1.0)  # the request is answered (202) after shutdown's deadline
    uploader.enqueue_many(make(n) for n in range(20))
    uploader.flush(timeout=0)
    assert wait_until(lambda: uploader.stats().in_flight == 20)
    summary = uploader.shutdown(timeout=0.2)
    assert summary.kept == 20 and summary.in_flight == 0 and summary.delivered == 0 and accounted(summary)
    for thread in threading.enumerate():
        if thread.name.startswith("mparticle-uploader"):
            thread.join(10)
    assert uploader.stats() == summary  # final: the late 202 changes nothing
    server.hang(0)
    left = [n for n in spool_files(tmp_path) if n.endswith(SUFFIX)]
    assert len(left) == 1 and rows(str(tmp_path / left[0])) == 20  # re-sent with the same ids later


def test_a_damaged_file_that_passes_the_header_check_is_quarantined_once(
    tmp_path: Path, config: Configuration
) -> None:
    path = tmp_path / f"{PREFIX}deadbeefdeadbeef{SUFFIX}"
    with sqlite3.connect(str(path)) as conn:
        conn.executescript(
            "PRAGMA application_id = 0x6D705370; PRAGMA user_version = 1; "
            "CREATE TABLE batches (id INTEGER PRIMARY KEY, x TEXT); CREATE TABLE meta (key TEXT, value TEXT);"
        )
    errors: List[List[BaseException]] = [[], []]
    for start in range(2):  # no crash loop: the second start finds nothing to trip over
        uploader = BatchUploader(config, spool_dir=tmp_path, on_error=lambda e, b, i=start: errors[i].append(e))
        uploader.shutdown(timeout=1)
    assert (tmp_path / f"{PREFIX}deadbeefdeadbeef{SUFFIX}.corrupt").exists()
    assert [len(e) for e in errors] == [1, 0] and isinstance(errors[0][0], SpoolError)
    assert [n for n in spool_files(tmp_path) if n.endswith(SUFFIX)] == []


def test_enqueue_async_waits_for_the_commit_with_interval_zero(tmp_path: Path, config: Configuration) -> None:
    import asyncio

    uploader = BatchUploader(config, spool_dir=tmp_path, spool_commit_interval=0, upload_interval=3600)
    try:
        async def run() -> List[int]:
            counts = []
            for n in range(1, 6):
                await uploader.enqueue_async(make(n))
                counts.append(rows(str(uploader.spool_path)))
            return counts

        assert asyncio.run(run()) == [1, 2, 3, 4, 5]
    finally:
        uploader.shutdown(timeout=2)



def test_drop_oldest_reports_what_it_evicted_when_the_new_batch_still_does_not_fit(tmp_path: Path) -> None:
    """The spool is full and the memory window holds two batches: evicting both cannot make
    room for a bigger one, so all three are dropped as spool_full, and all three reported.
    (The queue on a real spool file, without sender threads: a sender would take the window's
    batches in flight as soon as batches wait on disk.)"""
    spool = Spool(str(tmp_path), "fingerprint", commit_interval=0.1, fsync=False,
                  on_adopted=lambda count, size: None, on_error=lambda error: None)
    size = 100
    queue = BatchQueue(max_batches=None, max_bytes=2 * size, overflow="drop_oldest", block_timeout=0.0,
                       request_count=100, request_bytes=256 * 1024, interval=3600.0, pause=lambda: 0.0,
                       spool=spool, max_spool_bytes=5 * size)
    try:
        items = [QueuedBatch(b"%0100d" % n, f"id-{n}") for n in range(5)]
        assert all(queue.put(item) == (True, None) for item in items)  # 0, 1 in memory; 2-4 on disk only
        big = QueuedBatch(b"x" * (3 * size), "id-big")
        assert queue.put(big) == (False, (SPOOL_FULL, [items[0], items[1], big]))
        stats = queue.stats()
        assert stats.dropped == {SPOOL_FULL: 3} and (stats.queued, stats.spooled) == (0, 3) and accounted(stats)
    finally:
        spool.close()
