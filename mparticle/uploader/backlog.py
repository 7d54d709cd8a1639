"""Batches held on disk only, with a spool: this process's *spilled* batches (admitted while
memory was full: one run of sequence numbers, read back in order) and the rows of files
*adopted* from dead processes. Not locked: the queue calls it under its own lock."""

from __future__ import annotations

from typing import List, NamedTuple, Optional

from mparticle.uploader.packing import QueuedBatch

__all__ = ["LOAD_BATCHES", "Backlog", "Load"]

#: Batches a sender reads back from the spool at a time.
LOAD_BATCHES = 400


class Load(NamedTuple):
    """take() result: read spooled batches back (``after < seq <= through`` of this process's
    spilled ones, or adopted ones when ``adopted``) and hand them to ``add_loaded``."""

    adopted: bool
    max_bytes: int
    after: int = 0
    through: int = 0


class Backlog:
    """Counts of the batches on disk only, and which to read back next."""

    def __init__(self) -> None:
        self.spill_lo: int = 1  # this process's spilled batches: spill_lo <= seq <= spill_hi
        self.spill_hi: int = 0
        self.spilled_count: int = 0
        self.spilled_bytes: int = 0
        self.adopted_count: int = 0  # rows in adopted files not read yet
        self.adopted_bytes: int = 0
        self.loading: bool = False  # a sender is reading some back

    @property
    def count(self) -> int:
        """Batches on disk only."""
        return self.spilled_count + self.adopted_count

    def spill(self, item: QueuedBatch, size: int) -> None:
        """``item`` (numbered, ``size`` bytes) was written to the spool only."""
        if self.spilled_count == 0:
            self.spill_lo = item.seq
        self.spill_hi = item.seq
        self.spilled_count += 1
        self.spilled_bytes += size

    def adopt(self, count: int, size: int) -> None:
        """``count`` rows of ``size`` bytes were found in adopted files."""
        self.adopted_count += count
        self.adopted_bytes += size

    def next_load(self, room: int) -> Load:
        """What to read back next (adopted rows first), at most ``room`` bytes."""
        if self.adopted_count:
            return Load(adopted=True, max_bytes=room)
        return Load(adopted=False, max_bytes=room, after=self.spill_lo - 1, through=self.spill_hi)

    def read_adopted(self, items: Optional[List[QueuedBatch]]) -> List[QueuedBatch]:
        """``items`` were read back from adopted files (None: they are used up)."""
        if items is None:
            self.adopted_count = self.adopted_bytes = 0
            return []
        self.adopted_count = max(0, self.adopted_count - len(items))
        self.adopted_bytes = max(0, self.adopted_bytes - sum(len(item.data) for item in items))
        return items

    def read_own(self, load: Load, items: Optional[List[QueuedBatch]]) -> List[QueuedBatch]:
        """``items`` of this process's spilled run were read back for ``load``."""
        items = items or []
        self.spilled_count -= len(items)
        self.spilled_bytes -= sum(len(item.data) for item in items)
        if not items or self.spilled_count <= 0:
            self.spill_lo = load.through + 1  # read to the end of the run
        else:
            self.spill_lo = items[-1].seq + 1
        if self.spill_lo > self.spill_hi:
            self.spilled_count = self.spilled_bytes = 0
        return items

    def spilled_through(self, seq: int) -> bool:
        """Some spilled batch up to ``seq`` is still on disk only."""
        return bool(self.spilled_count) and self.spill_lo <= seq

    def clear(self) -> int:
        """Forget every batch on disk only (shutdown leaves them for the next process);
        returns how many there were."""
        count = self.count
        self.spilled_count = self.spilled_bytes = 0
        self.adopted_count = self.adopted_bytes = 0
        return count
