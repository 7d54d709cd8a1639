"""What a send counts (:class:`SendTally`) and its progress bar on a terminal."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TextIO

from mparticle.cli.tracker import Tracker
from mparticle.uploader import REJECTED, UploaderStats

__all__ = ["Progress", "SendTally", "failed_batches", "format_duration", "format_size", "is_terminal"]


def format_size(n: float) -> str:
    """``512 B``, ``1.5 KB``, ... ``3.0 GB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def format_duration(seconds: float) -> str:
    """``H:MM:SS``."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class SendTally:
    """What a send's main loop has read, skipped, rejected and handed over (what became of the
    batches handed over is in the uploader's stats)."""

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
        tally: SendTally,
        tracker: Tracker,
        stats: Callable[[], UploaderStats],
        total_bytes: Optional[int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._tally = tally
        self._tracker = tracker
        self._stats = stats
        self._total = total_bytes
        self._width = 0
        self._clock = clock  #: the clock of ``tally.started``

    def line(self) -> str:
        """The current status line."""
        c, s = self._tally, self._stats()
        elapsed = max(1e-6, self._clock() - c.started)
        rate = c.read / elapsed
        parts = [
            f"{c.read:,} batches",
            f"{s.delivered:,} sent",
            f"{c.rejected + self._tracker.server_rejected:,} rejected",
        ]
        failed = failed_batches(s)
        if failed:
            parts.append(f"{failed:,} failed")
        done_bytes = c.bytes_skipped + c.bytes_read
        if self._total:
            fraction = min(1.0, done_bytes / self._total)
            bar = "#" * int(fraction * 20)
            parts.insert(0, f"[{bar:<20}] {fraction:4.0%}")
            parts.append(f"{format_size(done_bytes)}/{format_size(self._total)}")
        else:
            parts.append(format_size(done_bytes))
        parts.append(f"{rate:,.0f}/s")
        byte_rate = c.bytes_read / elapsed
        if self._total and byte_rate > 0:
            parts.append("ETA " + format_duration(max(0, self._total - done_bytes) / byte_rate))
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


def failed_batches(stats: UploaderStats) -> int:
    """Batches the uploader gave up on (those the server refused are in the reject file)."""
    return stats.dropped_total - stats.dropped.get(REJECTED, 0)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for anything without a working ``isatty``)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
