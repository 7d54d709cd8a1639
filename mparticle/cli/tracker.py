"""What is done per input, thread-safe: the source of the checkpoint."""

from __future__ import annotations

import datetime
import threading
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

from mparticle.cli.checkpoint import CHECKPOINT_TOOL, CHECKPOINT_VERSION, checkpoint_checksum
from mparticle.cli.input import Record
from mparticle.cli.sources import InputFile

__all__ = ["Item", "Tracker"]


class Item(NamedTuple):
    """Where a valid batch on its way came from: enough to mark it done or to reject it."""

    file: InputFile
    ordinal: int
    line: int
    end_offset: int
    end_line: int
    in_array: bool
    array_index: int  #: the array position of the record after this one
    size: int  #: length of the record's text, for the memory bound

    @classmethod
    def of(cls, file: InputFile, record: Record) -> "Item":
        """The item of ``record``, read from ``file``."""
        return cls(
            file,
            record.ordinal,
            record.line,
            record.end_offset,
            record.end_line,
            record.in_array,
            record.next_array_index,
            len(record.text),
        )


class Tracker:
    """Thread-safe record of what is done per input; the source of the checkpoint."""

    def __init__(self, files: List[InputFile], historical: bool, others: Optional[Dict[str, Any]] = None) -> None:
        self.files = files
        self.historical = historical
        self.others: Dict[str, Any] = dict(others or {})  #: checkpoint entries of inputs not in this run (kept)
        self._lock = threading.Lock()
        self._frozen = False
        self.server_rejected: int = 0  #: batches the server refused, written to the reject file

    def mark(self, items: Sequence["Item"], rejected: bool = False, server_rejected: bool = False) -> None:
        """Mark records done; ``rejected``: they are in the reject file (``server_rejected``: the
        server refused them). Ignored once frozen."""
        with self._lock:
            if self._frozen:
                return
            for item in items:
                added = item.file.done.add(
                    item.ordinal, item.end_offset, item.end_line, item.in_array, item.array_index
                )
                if added and (rejected or server_rejected):
                    item.file.rejected += 1
            if server_rejected:
                self.server_rejected += len(items)

    @property
    def earlier_rejected(self) -> int:
        """Records of this run's inputs that earlier runs rejected (the checkpoint's counts)."""
        return sum(f.rejected_before for f in self.files)

    def freeze(self) -> None:
        """Ignore late completions from now on (the run is over)."""
        with self._lock:
            self._frozen = True

    def snapshot(self) -> Dict[str, Any]:
        """The checkpoint document (its ``checksum`` included)."""
        with self._lock:
            files: Dict[str, Any] = dict(self.others)
            for f in self.files:
                # every done record was hashed before it was handed over: hashed >= its end
                hashed, digest = f.content.state()
                files[f.key] = {
                    "name": f.name,
                    "size": f.size,
                    "hashed_bytes": hashed,
                    "sha256": digest,
                    **f.done.prefix_fields(),
                    "done": f.done.as_lists(),
                    "rejected": f.rejected,
                    "complete": f.finished and f.done.count() == f.records,
                }
            doc: Dict[str, Any] = {
                "version": CHECKPOINT_VERSION,
                "tool": CHECKPOINT_TOOL,
                "historical": self.historical,
                "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "files": files,
            }
        doc["checksum"] = checkpoint_checksum(doc)
        return doc
