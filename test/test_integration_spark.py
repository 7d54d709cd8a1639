"""Historical backfills on Spark (mparticle.integrations.spark) against the local endpoint.

The id and per-partition tests run everywhere. The Spark tests run Spark in local mode (one
shared session, ``local[2,4]``: 2 cores, 4 attempts per task) and skip when pyspark or a
``java`` runtime is missing, unless ``MPARTICLE_REQUIRE_SPARK=1`` (CI's scaling stage), where
they fail instead. The kill test crashes one task's Python worker mid-partition and checks
that Spark's retry leaves every record delivered, the duplicates being byte-identical resends.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple

import pytest
import warehouse

import mparticle
from mparticle.integrations.spark import (
    SOURCE_REQUEST_ID_NAMESPACE,
    BackfillError,
    BackfillReport,
    PartitionStats,
    backfill,
    source_request_id,
    upload_partition,
)
from mparticle.limits import API_PREFIX, HISTORICAL_PATH
from mparticle.testing import LocalEventsServer

HISTORICAL = API_PREFIX + HISTORICAL_PATH
OLD_MS = warehouse.old_ms()
to_batch = warehouse.to_batch


def warehouse_rows(n: int) -> List[Dict[str, Any]]:
    """Synthetic exported rows: a primary key, a customer, an old timestamp, an event."""
    return [warehouse.row(i, OLD_MS) for i in range(n)]


def key(row: Any) -> Tuple[str, int]:
    return ("orders", row["pk"])


def expected_batch(row: Any) -> Dict[str, Any]:
    return {**to_batch(row), "source_request_id": source_request_id(key(row))}


def settings_of(server: LocalEventsServer) -> Dict[str, Any]:
    return {"api_key": server.api_key, "api_secret": server.api_secret, "host": server.url}


def receipts(server: LocalEventsServer) -> List[Dict[str, Any]]:
    """Every batch of every accepted request, after checking each went to the historical path."""
    accepted = [r for r in server.requests if r.status == 202]
    assert {r.path for r in accepted} == {HISTORICAL}
    return [batch for request in accepted for batch in request.batches]


# -- deterministic ids ------------------------------------------------------------------------------


def test_the_same_key_gives_the_same_id() -> None:
    assert source_request_id("order-17") == source_request_id("order-17")
    assert source_request_id(("orders", 17)) == source_request_id(["orders", 17])  # tuple or list: one key
    assert str(uuid.UUID(source_request_id(17))) == source_request_id(17)


def test_different_keys_give_different_ids() -> None:
    ids = {source_request_id(k) for k in ("1", 1, ("1",), (1,), ("a", 1), (1, "a"), ("a", 1, 0), "é", "\\u00e9")}
    assert len(ids) == 9  # str vs int, scalar vs tuple, order and length, escapes: all distinct


def test_the_encoding_is_fixed() -> None:
    """A change of namespace or encoding would re-send every backfill as new data: caught here."""
    assert str(SOURCE_REQUEST_ID_NAMESPACE) == "4d08da99-b4fb-5eff-abcf-a520b3d977f6"
    assert source_request_id(("orders", 1)) == "e34c254b-9853-5a5e-b252-2e149c9bba83"
    assert source_request_id(("orders", 1)) == str(uuid.uuid5(SOURCE_REQUEST_ID_NAMESPACE, '["orders",1]'))
    assert source_request_id("order-1") == "ec135046-3aae-5606-8bdb-1b6cd91c09e5"


@pytest.mark.parametrize("bad", [1.5, None, True, (), ("a", None), {"pk": 1}])
def test_other_keys_are_refused(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        source_request_id(bad)


# -- one partition, without Spark -----------------------------------------------------------------


def test_a_partition_sends_every_row_with_its_derived_id(server: LocalEventsServer) -> None:
    rows = warehouse_rows(250)
    stats = upload_partition(rows, to_batch, key=key, settings=settings_of(server), partition=3,
                             uploader_options={"threads": 2})
    got = (stats.partition, stats.attempt, stats.enqueued, stats.delivered, dict(stats.dropped))
    assert got == (3, 0, 250, 250, {})
    assert sorted(receipts(server), key=lambda b: b["source_request_id"]) == sorted(
        map(expected_batch, rows), key=lambda b: b["source_request_id"])


def test_an_id_set_by_to_batch_is_kept_and_batch_models_work(server: LocalEventsServer) -> None:
    def model(row: Dict[str, Any]) -> mparticle.Batch:
        event = mparticle.AppEvent(event_name=row["event"], timestamp_unixtime_ms=row["ts"])
        batch = mparticle.Batch(environment="development", events=[event])
        if row["pk"] == 0:
            batch.source_request_id = "mine-0"
        return batch

    made: List[mparticle.Batch] = []

    def keep(row: Dict[str, Any]) -> mparticle.Batch:
        made.append(model(row))
        return made[-1]

    upload_partition(warehouse_rows(3), keep, key=key,
                     settings=lambda: mparticle.Configuration(**settings_of(server)))
    ids = sorted(b["source_request_id"] for b in receipts(server))
    assert ids == sorted(["mine-0", source_request_id(("orders", 1)), source_request_id(("orders", 2))])
    assert [b.source_request_id for b in made] == ["mine-0", None, None]  # the user's objects: untouched


def test_a_partition_that_loses_batches_fails_without_the_secret() -> None:
    with LocalEventsServer("key", "s3cr3t-do-not-print") as server:
        rows = warehouse_rows(5)

        def sometimes_undated(row: Any) -> Dict[str, Any]:
            batch = to_batch(row)
            if row["pk"] == 2:
                del batch["events"][0]["data"]["timestamp_unixtime_ms"]  # the historical endpoint refuses it
            return batch

        with pytest.raises(BackfillError) as raised:
            upload_partition(rows, sometimes_undated, key=key, settings=settings_of(server), partition=7,
                             uploader_options={"threads": 1, "upload_interval": 0})
    message = str(raised.value)
    assert "partition 7 (attempt 0)" in message and "of 5 batches not delivered" in message
    assert "rejected" in message and "s3cr3t" not in message
    assert raised.value.stats.dropped and raised.value.stats.enqueued == 5
    copy = pickle.loads(pickle.dumps(raised.value))  # as an engine ships it back to its driver
    assert str(copy) == message and copy.stats == raised.value.stats and copy.cause == raised.value.cause


def test_a_full_queue_makes_the_partition_wait_not_drop(server: LocalEventsServer) -> None:
    rows = warehouse_rows(300)  # about 100 kB of batches through a 4 kB queue
    stats = upload_partition(rows, to_batch, key=key, settings=settings_of(server),
                             uploader_options={"threads": 1, "max_queue_bytes": 4096, "upload_interval": 0})
    assert (stats.enqueued, stats.delivered, dict(stats.dropped)) == (300, 300, {})
    assert len({b["source_request_id"] for b in receipts(server)}) == 300


def test_a_partition_not_delivered_within_flush_timeout_fails(server: LocalEventsServer) -> None:
    server.hang(2.0)
    with pytest.raises(BackfillError, match=r"1 of 1 batches not delivered .*pending: 1"):
        upload_partition(warehouse_rows(1), to_batch, key=key, settings=settings_of(server), flush_timeout=0.2)
    server.hang(0)


class FakeRDD:
    """mapPartitionsWithIndex and collect, run in this process (partitions listed in reverse)."""

    def __init__(self, partitions: List[List[Any]]) -> None:
        self.partitions = partitions

    def mapPartitionsWithIndex(self, f: Callable[[int, Iterator[Any]], Iterator[Any]]) -> "FakeRDD":
        return FakeRDD([list(f(i, iter(p))) for i, p in reversed(list(enumerate(self.partitions)))])

    def collect(self) -> List[Any]:
        return [item for part in self.partitions for item in part]


def test_backfill_reports_each_partition_in_order(server: LocalEventsServer) -> None:
    rows = warehouse_rows(30)
    data = type("FakeDataFrame", (), {"rdd": FakeRDD([rows[:10], rows[10:25], rows[25:]])})()
    report = backfill(data, to_batch, key=key, settings=settings_of(server))
    assert [(p.partition, p.enqueued) for p in report.partitions] == [(0, 10), (1, 15), (2, 5)]
    assert (report.enqueued, report.delivered, report.retried) == (30, 30, 0)
    with pytest.raises(TypeError):
        backfill(FakeRDD([]), to_batch, key=key, settings={"api_kye": "typo"})
    with pytest.raises(TypeError):
        backfill(FakeRDD([]), to_batch, key=key, settings=mparticle.Configuration())  # type: ignore[arg-type]


# -- Spark ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    reason = warehouse.spark_missing()
    if reason is not None:
        if os.environ.get("MPARTICLE_REQUIRE_SPARK") == "1":
            pytest.fail(f"MPARTICLE_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(reason)
    from pyspark import cloudpickle
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_LOCAL_IP")}
    os.environ.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    for module in (sys.modules[__name__], warehouse):  # executors cannot import the test folder
        cloudpickle.register_pickle_by_value(module)
    session = (
        SparkSession.builder.master("local[2,4]")  # 2 cores; a task may fail 3 times before the job does
        .appName("mparticle-backfill-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")  # the killed worker's stack trace is expected
    try:
        yield session
    finally:
        session.stop()
        for module in (sys.modules[__name__], warehouse):
            cloudpickle.unregister_pickle_by_value(module)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def partition_of(rdd: Any) -> Dict[int, int]:
    """Primary key to partition index, as Spark splits ``rdd``."""
    return dict(rdd.mapPartitionsWithIndex(lambda i, rows: ((row["pk"], i) for row in rows)).collect())


def test_a_dataframe_backfill_delivers_every_record_once(spark: Any, server: LocalEventsServer) -> None:
    rows = warehouse_rows(3000)
    columns = ("pk", "customer_id", "ts", "event", "sku", "qty")
    frame = spark.createDataFrame(
        spark.sparkContext.parallelize([tuple(r[c] for c in columns) for r in rows], 4),
        "pk long, customer_id string, ts long, event string, sku string, qty int",
    )
    report = backfill(frame, to_batch, key=key, settings=settings_of(server), uploader_options={"threads": 2})

    got = receipts(server)
    assert len(got) == len(rows) == len({b["source_request_id"] for b in got})  # exactly once
    assert sorted(got, key=lambda b: b["source_request_id"]) == sorted(
        map(expected_batch, rows), key=lambda b: b["source_request_id"])
    sizes: Dict[int, int] = {}
    for partition in partition_of(frame.rdd).values():
        sizes[partition] = sizes.get(partition, 0) + 1
    assert isinstance(report, BackfillReport)
    assert [(p.partition, p.attempt, p.enqueued, p.delivered, dict(p.dropped)) for p in report.partitions] == [
        (i, 0, sizes[i], sizes[i], {}) for i in range(4)
    ]
    assert report.enqueued == report.delivered == len(rows)
    assert all(isinstance(p, PartitionStats) and p.seconds > 0 for p in report.partitions)


KILLED = 1  #: the partition whose first attempt dies
KILL_AFTER = 100  #: ... once the server has this many of its batches


def killing_to_batch(row: Any, *, wait_at: int, kill_at: int, marker: str) -> Dict[str, Any]:
    """``to_batch``, except in the first attempt of partition KILLED: at row ``wait_at`` it waits
    for ``marker`` (the server has some of the partition's batches), then goes on to row
    ``kill_at`` (those batches wait in the queue for a fuller request) and kills its worker."""
    from pyspark import TaskContext

    context = TaskContext.get()
    if context.partitionId() == KILLED and context.attemptNumber() == 0:
        if row["pk"] == wait_at:
            deadline = time.monotonic() + 30
            while not os.path.exists(marker) and time.monotonic() < deadline:
                time.sleep(0.01)
        elif row["pk"] == kill_at:
            os._exit(1)  # as a preempted or OOM-killed executor: no flush, no shutdown
    return to_batch(row)


def test_a_killed_task_is_retried_without_loss_or_new_ids(
    spark: Any, server: LocalEventsServer, tmp_path: Path
) -> None:
    rows = warehouse_rows(2000)
    rdd = spark.sparkContext.parallelize(rows, 4)
    partitions = partition_of(rdd)
    killed_ids = {source_request_id(key(r)) for r in rows if partitions[r["pk"]] == KILLED}
    victim_rows = sorted(pk for pk, p in partitions.items() if p == KILLED)
    wait_at, kill_at = victim_rows[300], victim_rows[350]  # 3 full requests sent, then a partial one queued
    marker = tmp_path / "partial"
    watching = threading.Event()

    def watch() -> None:  # the marker: the killed partition has delivered part of its rows
        while not watching.wait(0.01):
            if len(killed_ids.intersection(b["source_request_id"] for b in server.batches)) >= KILL_AFTER:
                marker.touch()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        dying = functools.partial(killing_to_batch, wait_at=wait_at, kill_at=kill_at, marker=str(marker))
        report = backfill(rdd, dying, key=key, settings=settings_of(server), uploader_options={"threads": 2})
    finally:
        watching.set()
        watcher.join()
    assert marker.exists()

    expected = {b["source_request_id"]: b for b in map(expected_batch, rows)}
    seen: Dict[str, List[str]] = {}
    for batch in receipts(server):
        seen.setdefault(batch["source_request_id"], []).append(json.dumps(batch, sort_keys=True))
    assert set(seen) == set(expected)  # no loss, no id that is not a record's
    for request_id, copies in seen.items():
        assert set(copies) == {json.dumps(expected[request_id], sort_keys=True)}  # every receipt: the same batch
    duplicated: Set[str] = {i for i, copies in seen.items() if len(copies) > 1}
    assert duplicated <= killed_ids  # resends of the killed attempt's batches only
    assert KILL_AFTER <= len(duplicated) < len(killed_ids)  # that attempt delivered part of its rows
    assert max(len(copies) for copies in seen.values()) == 2

    by_partition = {p.partition: p for p in report.partitions}
    assert sorted(by_partition) == [0, 1, 2, 3]
    assert by_partition[KILLED].attempt >= 1
    assert by_partition[KILLED].enqueued == by_partition[KILLED].delivered == len(killed_ids)
    assert all(p.attempt == 0 for i, p in by_partition.items() if i != KILLED)
    assert report.delivered == len(rows)


def test_concurrent_partitions_pace_themselves_under_the_account_limit(spark: Any) -> None:
    """Two partitions at a time, each with its own paced uploader, share one account limit. A
    partition's new uploader learns the limit from its first responses, while the partitions
    already running hold the account near it, so at most three of its requests are refused
    (seen: 4-9 in all; unpaced, the same run has 21-24 of about 46 requests refused)."""
    rows = warehouse_rows(2400)
    with LocalEventsServer(rate_limit=300) as limited:
        started = time.monotonic()
        report = backfill(spark.sparkContext.parallelize(rows, 4), to_batch, key=key,
                          settings=settings_of(limited), uploader_options={"threads": 2})
        elapsed = time.monotonic() - started
        statuses = [r.status for r in limited.requests]
    got = receipts(limited)
    assert {b["source_request_id"] for b in got} == {source_request_id(key(r)) for r in rows}
    assert report.delivered == len(rows)
    assert elapsed >= (len(rows) - 300) / 300  # the limit held: no faster than the bucket allows
    refused = statuses.count(429)
    print(f"\n{len(statuses)} requests, {refused} answered 429, {report.retried} retries, {elapsed:.1f} s")
    assert refused <= 3 * len(report.partitions), (refused, len(statuses), report.retried)
