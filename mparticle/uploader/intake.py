"""The enqueue path under BatchUploader's public methods: serialize on the caller's thread,
admit under the overflow policy (never blocking an event loop's thread), report what the
policy dropped, and wait for the spool's commit when ``enqueue`` must return after it."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Tuple

from mparticle.uploader.aio import off_loop, on_event_loop
from mparticle.uploader.batch_queue import WOULD_BLOCK, Admission, BatchQueue
from mparticle.uploader.packing import QueuedBatch, RequestIds, check_size, encode
from mparticle.uploader.reporting import Reporter
from mparticle.uploader.spool import Spool

if TYPE_CHECKING:
    from mparticle.dataplan.enforce import Checked, Enforcer

__all__ = ["SYNC_COMMIT_TIMEOUT", "Intake", "at_index"]

#: Longest an enqueue waits for its commit with ``spool_commit_interval=0`` (seconds).
SYNC_COMMIT_TIMEOUT = 5.0


class Intake:
    """Puts batches into ``queue`` (starting the senders with ``start`` on first use) and
    reports drops to ``reporter``; batches larger than ``max_batch_bytes`` are refused at the
    call site. With a ``spool`` and ``commit_interval`` 0, admitting waits for the commit.
    An ``enforcer`` (``data_plan=``) sees each batch first: it may tag, block or refuse it."""

    def __init__(
        self,
        queue: BatchQueue,
        reporter: Reporter,
        spool: Optional[Spool],
        *,
        max_batch_bytes: int,
        commit_interval: float,
        start: Callable[[], None],
        enforcer: Optional["Enforcer"] = None,
    ) -> None:
        self.queue = queue
        self.reporter = reporter
        self.spool = spool
        self.max_batch_bytes = max_batch_bytes
        self.commit_interval = commit_interval
        self.start = start
        self.enforcer = enforcer
        self.ids: RequestIds = RequestIds()

    def encode(self, batch: Any) -> QueuedBatch:
        """Validate and serialize ``batch`` (counted as rejected when it raises)."""
        item, checked = self._encode(batch)
        self._commit([checked])
        return item

    def encode_many(self, batches: Iterable[Any]) -> List[QueuedBatch]:
        """:meth:`encode` each batch; the first that raises stops them all, its error naming its
        index (``batches[2]: ...``), and the data plan counts none of them."""
        done: List[Tuple[QueuedBatch, Optional["Checked"]]] = []
        for index, batch in enumerate(batches):
            try:
                done.append(self._encode(batch))
            except (TypeError, ValueError) as error:
                raise at_index(error, index) from error
        self._commit([checked for _, checked in done])
        return [item for item, _ in done]

    def _commit(self, checked: List[Optional["Checked"]]) -> None:
        """Let the data plan count (and call back for) batches now handed over."""
        if self.enforcer is not None:
            for one in checked:
                if one is not None:
                    self.enforcer.commit(one)

    def _encode(self, batch: Any) -> Tuple[QueuedBatch, Optional["Checked"]]:
        try:
            item = encode(batch, self.max_batch_bytes, self.ids)
            if self.enforcer is None:
                return item, None
            checked = self.enforcer.check(item.data)
            if checked.data is not item.data:
                check_size(checked.data, self.max_batch_bytes, "with the data plan's changes")
                item = QueuedBatch(checked.data, item.source_request_id)
            return item, checked
        except (TypeError, ValueError):
            self.queue.note_rejected()
            raise


    def admit(self, item: QueuedBatch, wait_for_disk: bool = True) -> bool:
        """Queue ``item``; report what the policy dropped. True when it was accepted."""
        self.start()
        admission = self.queue.put(item, wait=False)
        if admission is WOULD_BLOCK:  # overflow="block", queue full: wait, but never on an event loop
            admission = self.queue.refuse(item) if on_event_loop() else self.queue.put(item)
        accepted = self._accepted(admission)
        if wait_for_disk:
            self.wait_for_disk(item, accepted)
        return accepted

    def admit_many(self, items: List[QueuedBatch]) -> int:
        """Queue each of ``items``; returns how many were accepted."""
        accepted = [item for item in items if self.admit(item, wait_for_disk=False)]
        if accepted:  # commits are in order: waiting for the last one waits for them all
            self.wait_for_disk(accepted[-1], True)
        return len(accepted)

    async def admit_async(self, item: QueuedBatch) -> bool:
        """``admit`` on an event loop: a wait for room or for the disk runs off the loop."""
        self.start()
        admission = self.queue.put(item, wait=False)
        if admission is WOULD_BLOCK:
            admission = await off_loop(self.queue.put, item)
        accepted = self._accepted(admission)
        await off_loop(self.wait_for_disk, item, accepted)
        return accepted

    def wait_for_disk(self, item: QueuedBatch, accepted: bool) -> None:
        """With ``commit_interval`` 0 (or a writer that fell behind): wait for the commit of
        ``item`` (and of every batch appended before it), at most SYNC_COMMIT_TIMEOUT seconds
        (a failing disk never blocks). ``item.row`` is set once it was appended to the spool."""
        spool = self.spool
        if accepted and spool is not None and item.row and (self.commit_interval == 0 or spool.behind):
            spool.wait_committed(item.seq, SYNC_COMMIT_TIMEOUT)

    def _accepted(self, admission: Admission) -> bool:
        accepted, dropped = admission
        if dropped is not None:
            self.reporter.drop(*dropped)
        return accepted


def at_index(error: Exception, index: int) -> Exception:
    """A copy of ``error`` (its type and attributes, such as a DataPlanViolation's report)
    whose message starts with ``batches[index]: ``."""
    located = copy.copy(error)
    located.args = (f"batches[{index}]: {error}",)
    return located
