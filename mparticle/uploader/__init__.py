"""Background batch uploader: ``enqueue`` costs microseconds, sender threads deliver in bulk.

Modules: ``packing`` (serialize once, pack requests), ``batch_queue`` (bounded queue, overflow
policy, ledger), ``sender`` (POST with retries, split refused requests), ``lifecycle`` (exit and
fork hooks, SIGTERM), ``spool`` (the durable SQLite spool), ``stats`` (drop reasons, UploaderStats)
and ``batch_uploader`` (the public class).
"""

from mparticle.uploader.batch_uploader import BACKGROUND_RETRIES, BatchUploader
from mparticle.uploader.lifecycle import handle_sigterm
from mparticle.uploader.overflow import (
    BLOCK,
    DROP_NEWEST,
    DROP_OLDEST,
    OVERFLOW_POLICIES,
    RAISE,
    OverflowPolicy,
    QueueFullError,
)
from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.sender import BULK_PATH, HISTORICAL_PATH
from mparticle.uploader.spool import SpoolError
from mparticle.uploader.stats import (
    CLOSED,
    ERROR,
    QUEUE_FULL,
    REJECTED,
    RETRIES_EXHAUSTED,
    SHUTDOWN_TIMEOUT,
    SPOOL_FULL,
    UNAUTHORIZED,
    DropReason,
    UploaderStats,
)

__all__ = [
    "BACKGROUND_RETRIES",
    "BLOCK",
    "BULK_PATH",
    "CLOSED",
    "DROP_NEWEST",
    "DROP_OLDEST",
    "ERROR",
    "HISTORICAL_PATH",
    "OVERFLOW_POLICIES",
    "QUEUE_FULL",
    "RAISE",
    "REJECTED",
    "RETRIES_EXHAUSTED",
    "SHUTDOWN_TIMEOUT",
    "SPOOL_FULL",
    "UNAUTHORIZED",
    "BatchUploader",
    "DropReason",
    "OverflowPolicy",
    "QueueFullError",
    "QueuedBatch",
    "SpoolError",
    "UploaderStats",
    "handle_sigterm",
]
