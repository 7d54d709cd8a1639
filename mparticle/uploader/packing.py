"""The wire form: each batch serialized once (with its ``source_request_id``), then packed into
``/bulkevents`` request bodies by concatenation, within the count and byte limits."""

from __future__ import annotations

import collections
import itertools
import json
import uuid
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional

from mparticle.models.batch import Batch
from mparticle.serialization import encode_batch, join_batches

if TYPE_CHECKING:
    from mparticle.configuration import Configuration
    from mparticle.uploader.spool_file import SpoolFile

__all__ = [
    "Packer",
    "QueuedBatch",
    "RequestIds",
    "batch_limit",
    "body",
    "check_size",
    "encode",
    "request_size",
    "take_request",
]


class QueuedBatch:
    """One batch as it will be sent: the exact JSON bytes and its ``source_request_id``.

    This is what ``on_drop`` and ``on_error`` receive; ``json()`` parses the bytes back.
    """

    __slots__ = ("data", "source_request_id", "seq", "queued_at", "row", "spool")

    def __init__(self, data: bytes, source_request_id: str, queued_at: float = 0.0) -> None:
        self.data: bytes = data
        self.source_request_id: str = source_request_id
        self.queued_at: float = queued_at  #: ``time.monotonic()`` when it was enqueued
        self.seq: int = 0  #: position in enqueue order (set by the queue)
        self.row: int = 0  #: its row id in the spool file that holds it
        self.spool: Optional[SpoolFile] = None  #: that spool file (None: in memory only)

    def json(self) -> Dict[str, Any]:
        """The batch as a dict (parsed from the bytes that were, or would have been, sent)."""
        return json.loads(self.data)  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<QueuedBatch {self.source_request_id} {len(self.data)} bytes>"


class RequestIds:
    """Fresh ``source_request_id`` values: UUID-4 strings, a random 74-bit prefix per instance
    and a counter in the last 48 bits (unique without a system call per batch)."""

    def __init__(self) -> None:
        self._prefix = str(uuid.uuid4())[:24]
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"


_STAMP = b'{"source_request_id":"'


def batch_limit(config: Configuration) -> int:
    """The most bytes one serialized batch may have under ``config``'s limits: the per-batch
    limit, and it must fit in a request body on its own (``[`` and ``]`` around it)."""
    return min(config.max_batch_bytes, config.max_request_bytes - 2)


def encode(batch: Any, max_bytes: int, new_id: RequestIds) -> QueuedBatch:
    """Validate and serialize ``batch`` (a Batch or its dict form) once.

    A ``source_request_id`` is added to the bytes when the batch has none; the caller's object
    is never modified. Raises TypeError/ValueError naming the offending field, or when the
    serialized batch exceeds ``max_bytes``.
    """
    if isinstance(batch, Batch):
        request_id: Optional[str] = batch.source_request_id
    elif isinstance(batch, dict):
        request_id = batch.get("source_request_id")
        if request_id is None and "source_request_id" in batch:  # explicit None: leave it out
            batch = {k: v for k, v in batch.items() if k != "source_request_id"}
    else:
        raise TypeError(f"expected a Batch or a dict, got {type(batch).__name__}")
    data = encode_batch(batch, max_bytes)
    if request_id is None:
        request_id = new_id()
        rest = (b'",', memoryview(data)[1:]) if len(data) > 2 else (b'"}',)
        data = b"".join((_STAMP, request_id.encode("ascii"), *rest))
        check_size(data, max_bytes, "with its source_request_id")
    return QueuedBatch(data, str(request_id))


def check_size(data: bytes, max_bytes: int, what: str) -> None:
    """ValueError when ``data``, a batch serialized ``what`` (such as "with its
    source_request_id"), is over ``max_bytes``."""
    if len(data) > max_bytes:
        raise ValueError(f"batch is {len(data)} bytes serialized {what}, over the {max_bytes}-byte limit per batch")


def request_size(count: int, data_bytes: int) -> int:
    """Bytes of a bulk body holding ``count`` batches of ``data_bytes`` in all: ``[a,b,...]``."""
    return data_bytes + count + 1


def take_request(source: Deque[QueuedBatch], max_count: int, max_bytes: int) -> List[QueuedBatch]:
    """Pop from the left of ``source`` the batches of the next request (at least one): as many
    as fit in ``max_count`` batches and a ``max_bytes`` body, in order."""
    taken = [source.popleft()]
    size = request_size(1, len(taken[0].data))
    while source and len(taken) < max_count:
        size += len(source[0].data) + 1
        if size > max_bytes:
            break
        taken.append(source.popleft())
    return taken


def body(batches: List[QueuedBatch]) -> bytes:
    """The bulk request body (a JSON array) from the serialized batches."""
    return join_batches([b.data for b in batches])


class Packer:
    """Serialized batches in arrival order, cut into requests of at most ``max_count`` batches
    and ``max_bytes`` of body: the uploader's packing, for callers that only count requests
    (``mparticle send --dry-run``)."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._pending: Deque[QueuedBatch] = collections.deque()
        self._bytes = 0

    def add(self, item: QueuedBatch) -> List[List[QueuedBatch]]:
        """Queue ``item``; return the requests it completed (none, or the one it cannot join)."""
        self._pending.append(item)
        self._bytes += len(item.data)
        done = []
        while len(self._pending) > self.max_count or request_size(len(self._pending), self._bytes) > self.max_bytes:
            done.append(self._take())
        return done

    def drain(self) -> List[List[QueuedBatch]]:
        """The remaining batches as requests (the last one partial)."""
        done = []
        while self._pending:
            done.append(self._take())
        return done

    def _take(self) -> List[QueuedBatch]:
        request = take_request(self._pending, self.max_count, self.max_bytes)
        self._bytes -= sum(len(b.data) for b in request)
        return request
