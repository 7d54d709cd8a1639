"""What ``enqueue`` does when there is no room: the overflow policies, the result of an
admission (what was accepted, what dropped) and QueueFullError for the ``raise`` policy."""

from __future__ import annotations

from typing import Final, List, Literal, Optional, Tuple

from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.stats import DropReason

__all__ = [
    "BLOCK",
    "DROP_NEWEST",
    "DROP_OLDEST",
    "OVERFLOW_POLICIES",
    "RAISE",
    "WOULD_BLOCK",
    "Admission",
    "OverflowPolicy",
    "QueueFullError",
]

#: What enqueue does when there is no room.
OverflowPolicy = Literal["drop_newest", "drop_oldest", "block", "raise"]
DROP_NEWEST: Final = "drop_newest"  #: refuse the new batch (reported through on_drop)
DROP_OLDEST: Final = "drop_oldest"  #: evict the oldest queued batches to make room (reported)
BLOCK: Final = "block"  #: wait up to block_timeout for room, then drop the new batch
RAISE: Final = "raise"  #: raise QueueFullError at the call site
OVERFLOW_POLICIES = (DROP_NEWEST, DROP_OLDEST, BLOCK, RAISE)

#: put() result: accepted, and the batches dropped by this call with the reason (or None).
Admission = Tuple[bool, Optional[Tuple[DropReason, List[QueuedBatch]]]]
#: put(wait=False) result when the ``block`` policy would have to wait (nothing was done).
WOULD_BLOCK: Admission = (False, None)


class QueueFullError(Exception):
    """``enqueue`` with ``overflow="raise"``: there is no room (``max_queue_bytes``,
    ``max_queue_batches`` or, with a spool, ``max_spool_bytes``); the batch was not accepted."""
