"""The progress bar of a send and what the main loop counts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TextIO

from mparticle.cli.tracker import Tracker
from mparticle.cli.upload import _failed
from mparticle.uploader import UploaderStats


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class Counters:
    """What the main loop has seen (what became of the batches is in the uploader's stats)."""

    read: int = 0
    skipped: int = 0
    rejected: int = 0
    valid: int = 0
    input_errors: int = 0
    bytes_skipped: int = 0  #: input bytes passed over by --resume (seek)
    bytes_finished: int = 0  #: input bytes of the files finished in this run
    bytes_current: int = 0  #: input bytes read so far from the current file
    started: float = field(default_factory=time.monotonic)

    @property
    def bytes_read(self) -> int:
        """Input bytes read in this run."""
        return self.bytes_finished + self.bytes_current


class Progress:
    """A one-line progress bar on a terminal, redrawn a few times a second."""

    def __init__(
        self,
        out: TextIO,
        counters: Counters,
        tracker: Tracker,
        stats: Callable[[], UploaderStats],
        total_bytes: Optional[int],
    ) -> None:
        self._out = out
        self._counters = counters
        self._tracker = tracker
        self._stats = stats
        self._total = total_bytes
        self._width = 0

    def line(self) -> str:
        """The current status line."""
        c, s = self._counters, self._stats()
        elapsed = max(1e-6, time.monotonic() - c.started)
        rate = c.read / elapsed
        parts = [
            f"{c.read:,} batches",
            f"{s.delivered:,} sent",
            f"{c.rejected + self._tracker.server_rejected:,} rejected",
        ]
        failed = _failed(s)
        if failed:
            parts.append(f"{failed:,} failed")
        done_bytes = c.bytes_skipped + c.bytes_read
        if self._total:
            fraction = min(1.0, done_bytes / self._total)
            bar = "#" * int(fraction * 20)
            parts.insert(0, f"[{bar:<20}] {fraction:4.0%}")
            parts.append(f"{_size(done_bytes)}/{_size(self._total)}")
        else:
            parts.append(_size(done_bytes))
        parts.append(f"{rate:,.0f}/s")
        byte_rate = c.bytes_read / elapsed
        if self._total and byte_rate > 0:
            parts.append("ETA " + _duration(max(0, self._total - done_bytes) / byte_rate))
        return "  ".join(parts)

    def draw(self) -> None:
        text = self.line()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self._out.write("\r" + text + " " * pad)
        self._out.flush()

    def clear(self) -> None:
        if self._width:
            self._out.write("\r" + " " * self._width + "\r")
            self._out.flush()
            self._width = 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
