"""Background batch uploader: ``enqueue`` costs microseconds, sender threads deliver in bulk.

Modules, top down: ``batch_uploader`` (the public class: options, enqueue, flush, shutdown),
``intake`` (the enqueue path: encode, admit, wait for the spool's commit), ``delivery`` (the
sender threads: send, settle, requeue, shutdown's drain), ``reporting`` (callbacks, warnings),
``lifecycle`` (exit and fork hooks, SIGTERM), ``aio`` (off the event loop); the queue:
``batch_queue`` (take, read the spool back, flush), ``admission`` (bounds, overflow policy),
``settling`` (what became of taken batches, shutdown's takeover), ``queue_core`` (their shared
state), ``ledger`` (batches in flight), ``backlog`` (batches on disk only), ``overflow`` (the
policies, QueueFullError); below them ``packing`` (serialize once, pack requests), ``sender``
(POST with retries, split refused requests), ``pacing`` (the sending rate, steered by the
account's rate-limit headers), ``spool`` (the durable SQLite spool) and
``stats`` (drop reasons, UploaderStats).
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
from mparticle.uploader.pacing import DEFAULT_PACING, Pacing, PacingStats
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
    "DEFAULT_PACING",
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
    "Pacing",
    "PacingStats",
    "QueueFullError",
    "QueuedBatch",
    "SpoolError",
    "UploaderStats",
    "handle_sigterm",
]
