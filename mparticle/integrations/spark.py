"""Historical backfills with PySpark: one :class:`~mparticle.uploader.BatchUploader` per partition.

``backfill(df, to_batch, key=..., settings=...)`` runs one task per partition; each task builds
its own Configuration and uploader (no connection pool is pickled; ``settings`` is: a mapping
of Configuration arguments carries its ``api_secret`` into every task, so prefer a factory that
reads the secret on the executor, e.g. from its environment), sends every row's batch to
``/bulkevents/historical`` with a ``source_request_id`` derived from the row, and returns its
:class:`PartitionStats` to the driver. A task whose uploader could not deliver everything
raises :class:`BackfillError`, so Spark retries it; the retry resends the partition with the
same ids, and mParticle de-duplicates them.

pyspark is imported only inside the tasks (for the attempt number): this package does not
depend on it, and every executor needs ``mparticle`` installed. See docs/Scaling.md.
"""

from __future__ import annotations

import copy
import importlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from mparticle.configuration import Configuration
from mparticle.limits import HISTORICAL_PATH
from mparticle.models.batch import Batch
from mparticle.transport.errors import ApiException
from mparticle.uploader.batch_uploader import BatchUploader
from mparticle.uploader.stats import DropReason, UploaderStats

__all__ = [
    "SOURCE_REQUEST_ID_NAMESPACE",
    "BackfillError",
    "BackfillReport",
    "Key",
    "PartitionStats",
    "Settings",
    "backfill",
    "source_request_id",
    "upload_partition",
]

#: The UUID-5 namespace of derived ids: ``uuid5(NAMESPACE_URL,
#: "https://github.com/mParticle/mparticle-python-sdk#source_request_id")``, fixed here so that
#: it can never drift (changing it would re-send every backfill as new data).
SOURCE_REQUEST_ID_NAMESPACE: uuid.UUID = uuid.UUID("4d08da99-b4fb-5eff-abcf-a520b3d977f6")

#: What a record's id is derived from: its primary key, a str or an int, or a tuple (or list)
#: of them for a composite key.
Key = Union[str, int, Sequence[Union[str, int]]]

#: Where executors get their Configuration: a picklable mapping of Configuration keyword
#: arguments (``api_key``, ``api_secret``, ``host``, ...), or a zero-argument factory.
Settings = Union[Mapping[str, Any], Callable[[], Configuration]]

#: Defaults for the per-partition uploader: wait for room instead of dropping (a backfill
#: produces faster than it may send), up to ``flush_timeout``, in a queue of a few seconds' worth
#: of batches, so that reading keeps pace with sending and shutdown has little left to deliver
#: (with the default 64 MiB queue a large partition would be read at once and its whole upload
#: would fall into ``flush_timeout``); ``uploader_options`` override them.
DEFAULT_UPLOADER_OPTIONS: Mapping[str, Any] = {"overflow": "block", "max_queue_batches": 2000}


def source_request_id(key: Key) -> str:
    """A deterministic ``source_request_id`` for a record: the UUID-5 (in
    :data:`SOURCE_REQUEST_ID_NAMESPACE`) of the key's canonical JSON (compact, ASCII).

    The same key gives the same id in every task attempt, on every machine and Python version,
    so a resent batch is recognized by mParticle as a duplicate. ``"1"`` and ``1`` differ, a
    tuple's order matters, and a tuple and a list with the same items are the same key. To
    deliberately send corrected data again, change the key (e.g. ``("v2", pk)``).
    """
    if isinstance(key, (list, tuple)):
        parts: List[Union[str, int]] = list(key)
        if not parts:
            raise ValueError("a composite key needs at least one part")
        for part in parts:
            _check_part(part)
        text = json.dumps(parts, ensure_ascii=True, separators=(",", ":"))
    else:
        _check_part(key)
        text = json.dumps(key, ensure_ascii=True)
    return str(uuid.uuid5(SOURCE_REQUEST_ID_NAMESPACE, text))


def _check_part(part: object) -> None:
    if isinstance(part, bool) or not isinstance(part, (str, int)):
        raise TypeError(f"a key is a str, an int or a tuple of them, got {type(part).__name__}")


@dataclass(frozen=True)
class PartitionStats:
    """What one partition's task did (its last, successful attempt in a :class:`BackfillReport`)."""

    partition: int  #: the partition index
    attempt: int  #: Spark's attempt number of the task (0: first try; 0 outside Spark)
    enqueued: int  #: batches enqueued
    delivered: int  #: batches the server accepted
    dropped: Mapping[DropReason, int] = field(default_factory=dict)  #: dropped batches by reason
    retried: int = 0  #: requests sent again after a 429, 5xx or network failure
    seconds: float = 0.0  #: wall time of the partition, from the first row to shutdown


@dataclass(frozen=True)
class BackfillReport:
    """The result of :func:`backfill`: one PartitionStats per partition, sorted by partition."""

    partitions: List[PartitionStats]

    @property
    def enqueued(self) -> int:
        """Batches enqueued, over all partitions."""
        return sum(p.enqueued for p in self.partitions)

    @property
    def delivered(self) -> int:
        """Batches delivered, over all partitions."""
        return sum(p.delivered for p in self.partitions)

    @property
    def retried(self) -> int:
        """Requests retried, over all partitions."""
        return sum(p.retried for p in self.partitions)


class BackfillError(RuntimeError):
    """A partition's uploader did not deliver every batch: the task fails so that Spark retries
    it. The message has the counts (never a credential); ``stats`` the partition's numbers,
    ``pending`` the batches still queued, ``cause`` the last error's type and status. It
    pickles (engines that ship a task's exception back to the driver)."""

    def __init__(self, stats: PartitionStats, pending: int, last_error: Union[BaseException, str, None]) -> None:
        self.stats: PartitionStats = stats
        self.pending: int = pending
        self.cause: str = last_error if isinstance(last_error, str) else _describe(last_error)
        missing = stats.enqueued - stats.delivered
        cause = f"; last error: {self.cause}" if self.cause else ""
        super().__init__(
            f"backfill partition {stats.partition} (attempt {stats.attempt}): {missing} of {stats.enqueued} "
            f"batches not delivered (dropped: {dict(stats.dropped)}, pending: {pending}){cause}; "
            "a retry resends the partition with the same source_request_ids"
        )

    def __reduce__(self) -> Tuple[Any, Tuple[PartitionStats, int, str]]:
        return (type(self), (self.stats, self.pending, self.cause))


def _describe(error: Optional[BaseException]) -> str:
    """An error's type and HTTP status ("ApiException 503"), nothing of its message or body."""
    if error is None:
        return ""
    status = f" {error.status}" if isinstance(error, ApiException) and error.status else ""
    return f"{type(error).__name__}{status}"


def upload_partition(
    rows: Iterable[Any],
    to_batch: Callable[[Any], Union[Batch, Dict[str, Any]]],
    *,
    key: Callable[[Any], Key],
    settings: Settings,
    partition: int = 0,
    path: str = HISTORICAL_PATH,
    uploader_options: Optional[Mapping[str, Any]] = None,
    flush_timeout: Optional[float] = 600.0,
) -> PartitionStats:
    """Upload one partition's rows through one BatchUploader and return its stats (the body of
    a :func:`backfill` task; usable from other engines' per-partition hooks too).

    Each row's batch gets ``source_request_id(key(row))`` unless ``to_batch`` set one (then that
    id is kept: it must be deterministic too). ``uploader_options`` are BatchUploader keyword
    arguments (:data:`DEFAULT_UPLOADER_OPTIONS`, with ``block_timeout=flush_timeout``; pacing
    is on by default). ``flush_timeout`` (seconds, None: no limit) bounds each wait for room in
    the queue and the final delivery at shutdown of what is still queued. Raises
    :class:`BackfillError` if anything was not delivered; an invalid batch raises in
    ``enqueue``, failing the task too.
    """
    started = time.monotonic()
    attempt = _attempt_number()
    options = {**DEFAULT_UPLOADER_OPTIONS, "block_timeout": flush_timeout, **(uploader_options or {})}
    uploader = BatchUploader(_configuration(settings), path=path, **options)
    try:
        for row in rows:
            uploader.enqueue(_with_id(to_batch(row), source_request_id(key(row))))
    except BaseException:
        uploader.shutdown(0)  # the task fails: its retry sends the whole partition again
        raise
    final: UploaderStats = uploader.shutdown(flush_timeout)
    stats = PartitionStats(
        partition=partition,
        attempt=attempt,
        enqueued=final.enqueued,
        delivered=final.delivered,
        dropped=dict(final.dropped),
        retried=final.retried,
        seconds=time.monotonic() - started,
    )
    if final.delivered + final.skipped < final.enqueued:
        raise BackfillError(stats, final.pending, final.last_error)
    return stats


def backfill(
    data: Any,
    to_batch: Callable[[Any], Union[Batch, Dict[str, Any]]],
    *,
    key: Callable[[Any], Key],
    settings: Settings,
    path: str = HISTORICAL_PATH,
    uploader_options: Optional[Mapping[str, Any]] = None,
    flush_timeout: Optional[float] = 600.0,
) -> BackfillReport:
    """Send every row of ``data`` (a pyspark RDD, or a DataFrame: its ``.rdd``) as the batch
    ``to_batch(row)`` (a Batch or its dict form), one :func:`upload_partition` per partition.

    ``key(row)`` gives the record's key, from which its ``source_request_id`` is derived.
    ``settings``: a mapping of Configuration keyword arguments, or a zero-argument factory of a
    Configuration (called on each executor; a Configuration itself is never pickled).
    ``to_batch``, ``key`` and ``settings`` are pickled to the executors; ``path``,
    ``uploader_options`` and ``flush_timeout`` go to each :func:`upload_partition`. A partition that fails
    raises :class:`BackfillError` in its task; Spark retries it (``spark.task.maxFailures``),
    and if every attempt fails the job and this call fail. Returns the per-partition stats of
    the successful attempts.
    """
    if isinstance(settings, Mapping):
        Configuration(**settings)  # a typo in a setting fails here, on the driver, not in every task
    elif not callable(settings):
        raise TypeError(
            f"settings must be a mapping of Configuration arguments or a factory, got {type(settings).__name__}"
        )
    rdd: Any = data.rdd if hasattr(data, "rdd") else data
    options = dict(uploader_options or {})

    def run(index: int, rows: Iterator[Any]) -> Iterator[PartitionStats]:
        yield upload_partition(
            rows, to_batch, key=key, settings=settings, partition=index, path=path,
            uploader_options=options, flush_timeout=flush_timeout,
        )

    stats: List[PartitionStats] = rdd.mapPartitionsWithIndex(run).collect()
    return BackfillReport(sorted(stats, key=lambda s: s.partition))


def _configuration(settings: Settings) -> Configuration:
    if isinstance(settings, Mapping):
        return Configuration(**settings)
    config = settings()
    if not isinstance(config, Configuration):
        raise TypeError(f"the settings factory returned {type(config).__name__}, not a Configuration")
    return config


def _with_id(batch: Union[Batch, Dict[str, Any]], request_id: str) -> Union[Batch, Dict[str, Any]]:
    """The batch with ``request_id`` unless it has a ``source_request_id`` (a copy: never modified)."""
    if isinstance(batch, Batch):
        if batch.source_request_id is not None:
            return batch
        stamped = copy.copy(batch)
        stamped.source_request_id = request_id
        return stamped
    if isinstance(batch, dict) and batch.get("source_request_id") is None:
        return {**batch, "source_request_id": request_id}
    return batch  # has its id, or not a batch (enqueue raises the TypeError)


def _attempt_number() -> int:
    """Spark's attempt number of the running task; 0 outside a Spark task."""
    try:
        pyspark: Any = importlib.import_module("pyspark")  # not a dependency: looked up at run time
    except ImportError:
        return 0
    context = pyspark.TaskContext.get()
    return int(context.attemptNumber()) if context is not None else 0
