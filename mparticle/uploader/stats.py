"""What happened to the batches: drop reasons and the :class:`UploaderStats` snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Final, List, Literal, Mapping, Optional

from mparticle.uploader.pacing import PacingStats

if TYPE_CHECKING:
    from mparticle.dataplan.enforce import PlanStats
    from mparticle.uploader.packing import QueuedBatch

__all__ = [
    "CLOSED",
    "DROP_REASONS",
    "DropReason",
    "ERROR",
    "QUEUE_FULL",
    "REJECTED",
    "RETRIES_EXHAUSTED",
    "SHUTDOWN_TIMEOUT",
    "SPOOL_FULL",
    "UNAUTHORIZED",
    "Outcome",
    "UploaderStats",
]

#: Why a batch was dropped: the ``reason`` given to ``on_drop`` and the keys of ``stats().dropped``.
DropReason = Literal[
    "queue_full", "closed", "rejected", "unauthorized", "retries_exhausted", "shutdown_timeout", "spool_full", "error"
]
QUEUE_FULL: Final = "queue_full"  #: the overflow policy refused or evicted it
CLOSED: Final = "closed"  #: enqueued after shutdown()
REJECTED: Final = "rejected"  #: the server refused it (400/413 on this batch alone, other 4xx)
UNAUTHORIZED: Final = "unauthorized"  #: 401/403: bad credentials, never retried
#: 429/5xx/network failures the retry policy gave up on, with ``requeue_failed=False`` or in
#: ``sync_mode`` (by default such batches are requeued instead, counted in ``requeued``).
RETRIES_EXHAUSTED: Final = "retries_exhausted"
SHUTDOWN_TIMEOUT: Final = "shutdown_timeout"  #: still queued or retrying when shutdown's deadline passed (no spool)
SPOOL_FULL: Final = "spool_full"  #: the overflow policy refused or evicted it: the spool is at max_spool_bytes
ERROR: Final = "error"  #: an unexpected error in the uploader itself (logged with its traceback)
DROP_REASONS = (QUEUE_FULL, CLOSED, REJECTED, UNAUTHORIZED, RETRIES_EXHAUSTED, SHUTDOWN_TIMEOUT, SPOOL_FULL, ERROR)


@dataclass(frozen=True)
class UploaderStats:
    """A consistent snapshot of an uploader's counters (``BatchUploader.stats()``).

    Every valid batch passed to ``enqueue`` is counted once in ``enqueued`` (a batch adopted
    from a dead process's spool once in ``adopted``) and ends in exactly one of ``delivered``,
    ``dropped`` (by reason), ``skipped`` (``send=False``), ``kept`` (left in the spool at
    shutdown, for the next process) or, for now, ``pending``:
    ``enqueued + adopted == delivered + dropped_total + skipped + kept + pending`` always holds.
    """

    enqueued: int = 0  #: valid batches accepted by enqueue (including ones the overflow policy dropped)
    delivered: int = 0  #: batches the server accepted (2xx)
    dropped: Mapping[DropReason, int] = field(default_factory=dict)  #: dropped batches by reason
    skipped: int = 0  #: validated but not sent because ``send=False``
    rejected: int = 0  #: refused at enqueue with an exception (invalid, too large, or ``overflow="raise"``)
    retried: int = 0  #: requests sent again after a 429, 5xx or network failure
    retries_by_status: Mapping[int, int] = field(default_factory=dict)  #: the same, by status (0: network)
    requests: int = 0  #: successful bulk requests
    queued: int = 0  #: batches waiting in the memory queue
    queued_bytes: int = 0  #: their serialized size
    in_flight: int = 0  #: batches taken by a sender and not settled yet
    spooled: int = 0  #: batches waiting on disk only (spilled, or adopted and not read yet)
    spool_bytes: int = 0  #: serialized bytes of every unsettled batch in the spool
    adopted: int = 0  #: batches taken over from the spools of dead processes
    kept: int = 0  #: batches left in the spool at shutdown, for the next process
    requeued: int = 0  #: batches put back in the queue after a request ran out of retries
    last_error: Optional[BaseException] = None  #: the most recent failure (attempt or final)
    last_error_time: Optional[float] = None  #: when it happened (``time.time()``)
    last_success_time: Optional[float] = None  #: when a request last succeeded (``time.time()``)
    data_plan: Optional["PlanStats"] = None  #: the ``data_plan=`` counters (None without a plan)
    pacing: Optional[PacingStats] = None  #: the pacer's rate and what the server said of the limit

    @property
    def dropped_total(self) -> int:
        """All dropped batches, whatever the reason."""
        return sum(self.dropped.values())

    @property
    def pending(self) -> int:
        """Batches neither delivered, dropped nor kept yet (queued, spooled or in flight)."""
        return self.queued + self.spooled + self.in_flight


class Counters:
    """The mutable counters behind :class:`UploaderStats` (guarded by the queue's lock)."""

    __slots__ = (
        "enqueued",
        "delivered",
        "dropped",
        "skipped",
        "rejected",
        "retried",
        "retries_by_status",
        "requests",
        "adopted",
        "kept",
        "requeued",
        "last_error",
        "last_error_time",
        "last_success_time",
    )

    def __init__(self) -> None:
        self.enqueued: int = 0
        self.delivered: int = 0
        self.dropped: Dict[DropReason, int] = {}
        self.skipped: int = 0
        self.rejected: int = 0
        self.retried: int = 0
        self.retries_by_status: Dict[int, int] = {}
        self.requests: int = 0
        self.adopted: int = 0
        self.kept: int = 0
        self.requeued: int = 0
        self.last_error: Optional[BaseException] = None
        self.last_error_time: Optional[float] = None
        self.last_success_time: Optional[float] = None

    def drop(self, reason: DropReason, count: int) -> None:
        """Count ``count`` batches dropped for ``reason``."""
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + count

    def snapshot(
        self, queued: int, queued_bytes: int, in_flight: int, spooled: int = 0, spool_bytes: int = 0
    ) -> UploaderStats:
        """The counters as UploaderStats, with the queue's current sizes given."""
        return UploaderStats(
            enqueued=self.enqueued,
            delivered=self.delivered,
            dropped=dict(self.dropped),
            skipped=self.skipped,
            rejected=self.rejected,
            retried=self.retried,
            retries_by_status=dict(self.retries_by_status),
            requests=self.requests,
            queued=queued,
            queued_bytes=queued_bytes,
            in_flight=in_flight,
            spooled=spooled,
            spool_bytes=spool_bytes,
            adopted=self.adopted,
            kept=self.kept,
            requeued=self.requeued,
            last_error=self.last_error,
            last_error_time=self.last_error_time,
            last_success_time=self.last_success_time,
        )


@dataclass
class Outcome:
    """What happened to some batches of one request: delivered (``reason`` None) or dropped."""

    batches: List["QueuedBatch"]
    reason: Optional[DropReason] = None
    error: Optional[BaseException] = None
