"""Where the batches senders took are: how many of each request are still unsettled, which
parts wait between retries (and which request each belongs to), and which parts and requests
shutdown took over from their sender. Not locked: the queue calls it under its own lock."""

from __future__ import annotations

from typing import Dict, List, Set

from mparticle.uploader.packing import QueuedBatch

__all__ = ["Ledger"]


class Ledger:
    """Requests are known by the sequence number of their first batch, parts likewise."""

    def __init__(self) -> None:
        self._in_flight: Dict[int, int] = {}  # first seq of each taken request -> batches unsettled
        self.count: int = 0  # batches in flight (unsettled), over all requests
        self._waiting: Dict[int, List[QueuedBatch]] = {}  # parts whose sender waits between retries
        self._owner: Dict[int, int] = {}  # first seq of a waiting part -> first seq of its request
        self._abandoned_parts: Set[int] = set()  # first seqs of parts shutdown settled for their sender
        self._kept_requests: Set[int] = set()  # requests on the wire at shutdown, kept in the spool
        self.on_wire: int = 0  # batches of parts being sent right now (not waiting)

    def take(self, request: List[QueuedBatch]) -> None:
        """``request`` (numbered) is in flight."""
        self._in_flight[request[0].seq] = len(request)
        self.count += len(request)

    def unsettle(self, request: List[QueuedBatch], batches: List[QueuedBatch]) -> bool:
        """``batches`` of ``request`` are settled (or requeued); False when shutdown took them
        over already."""
        key = request[0].seq
        left = self._in_flight.get(key)
        if left is None:
            return False
        self._in_flight[key] = left - len(batches)
        self.count -= len(batches)
        return True

    def release(self, request: List[QueuedBatch]) -> None:
        """The sender is done with ``request``."""
        left = self._in_flight.pop(request[0].seq, 0)
        self.count -= left  # parts shutdown took over are settled already
        for item in request:
            self._abandoned_parts.discard(item.seq)
        self._kept_requests.discard(request[0].seq)

    def is_abandoned(self, request: List[QueuedBatch], part: List[QueuedBatch]) -> bool:
        """Shutdown settled ``part`` of ``request`` for its sender."""
        return part[0].seq in self._abandoned_parts or request[0].seq in self._kept_requests

    def unsettled_through(self, seq: int) -> bool:
        """Some request whose first batch is ``seq`` or older is not settled."""
        return any(left and first <= seq for first, left in self._in_flight.items())

    def quiet(self) -> bool:
        """Every batch in flight is on the wire (no sender is between two steps)."""
        return self.count <= max(0, self.on_wire)

    # -- on the wire, or waiting between attempts -------------------------------------------------
    def sending(self, part: List[QueuedBatch], active: bool) -> None:
        """``part`` goes on the wire (``active``) or comes off it."""
        self.on_wire += len(part) if active else -len(part)

    def begin_wait(self, request: List[QueuedBatch], part: List[QueuedBatch]) -> None:
        """The sender of ``part`` (of ``request``) waits before its next attempt."""
        self._waiting[part[0].seq] = part
        self._owner[part[0].seq] = request[0].seq
        self.on_wire -= len(part)

    def end_wait(self, part: List[QueuedBatch]) -> bool:
        """False when shutdown took ``part`` over meanwhile."""
        self.on_wire += len(part)
        self._owner.pop(part[0].seq, None)
        return self._waiting.pop(part[0].seq, None) is not None

    # -- shutdown -------------------------------------------------------------------------------
    def abandon_waiting(self) -> List[QueuedBatch]:
        """Take over every part whose sender waits between retries; returns their batches."""
        taken: List[QueuedBatch] = []
        for part in self._waiting.values():
            self._abandoned_parts.add(part[0].seq)
            key = self._owner.pop(part[0].seq)
            self._in_flight[key] -= len(part)
            self.count -= len(part)
            taken.extend(part)
        self._waiting.clear()
        return taken

    def keep_all(self) -> int:
        """Take over every request still in flight (it stays in the spool); returns how many
        batches they hold."""
        kept = 0
        for first, left in self._in_flight.items():
            if left:
                kept += left
                self._kept_requests.add(first)
                self._in_flight[first] = 0
        self.count = 0
        return kept
