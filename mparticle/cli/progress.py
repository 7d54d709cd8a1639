"""What a send counts (:class:`SendTally`) and its progress bar on a terminal."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, NamedTuple, Optional, TextIO

from mparticle.cli.tracker import Tracker
from mparticle.uploader import REJECTED, UploaderStats

__all__ = [
    "Part",
    "Progress",
    "SendTally",
    "failed_batches",
    "format_duration",
    "format_size",
    "is_terminal",
    "terminal_width",
]

#: Columns assumed when the stream's terminal size cannot be read.
FALLBACK_WIDTH = 80


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


class Part(NamedTuple):
    """A part of the status line: parts of a higher ``rank`` are left out first when the line
    does not fit (0: never); a ``tight`` part is followed by one space instead of two."""

    rank: int
    text: str
    tight: bool = False


def _join(parts: List[Part]) -> str:
    text = ""
    for part in parts:
        text += part.text + (" " if part.tight else "  ")
    return text.strip(" ")


class Progress:
    """A one-line progress bar on a terminal, redrawn a few times a second.

    The line fits the terminal (``width()``, by default :func:`terminal_width` of ``out``, read
    at every redraw): at most ``width - 1`` columns, so it never wraps; when it is too long the
    least useful parts go first (rate, sizes, the bar itself, the batch count, the ETA), then
    it is cut. A shorter line is padded with spaces over the previous one, and :meth:`clear`
    blanks it: no debris is left behind.
    """

    def __init__(
        self,
        out: TextIO,
        tally: SendTally,
        tracker: Tracker,
        stats: Callable[[], UploaderStats],
        total_bytes: Optional[int],
        clock: Callable[[], float] = time.monotonic,
        width: Optional[Callable[[], int]] = None,
    ) -> None:
        self._out = out
        self._tally = tally
        self._tracker = tracker
        self._stats = stats
        self._total = total_bytes
        self._width = 0  #: columns of the line on screen
        self._clock = clock  #: the clock of ``tally.started``
        self._columns = width or (lambda: terminal_width(out))

    def parts(self) -> List[Part]:
        """The parts of the status line, in their order."""
        c, s = self._tally, self._stats()
        elapsed = max(1e-6, self._clock() - c.started)
        done_bytes = c.bytes_skipped + c.bytes_read
        parts: List[Part] = []
        if self._total:
            fraction = min(1.0, done_bytes / self._total)
            parts += [Part(3, f"[{'#' * int(fraction * 20):<20}]", tight=True), Part(0, f"{fraction:4.0%}")]
        parts += [
            Part(2, f"{c.read:,} batches"),
            Part(0, f"{s.delivered:,} sent"),
            Part(0, f"{c.rejected + self._tracker.server_rejected:,} rejected"),
        ]
        failed = failed_batches(s)
        if failed:
            parts.append(Part(0, f"{failed:,} failed"))
        if self._total:
            parts.append(Part(4, f"{format_size(done_bytes)}/{format_size(self._total)}"))
        else:
            parts.append(Part(4, format_size(done_bytes)))
        parts.append(Part(5, f"{c.read / elapsed:,.0f}/s"))
        byte_rate = c.bytes_read / elapsed
        if self._total and byte_rate > 0:
            parts.append(Part(1, "ETA " + format_duration(max(0, self._total - done_bytes) / byte_rate)))
        return parts

    def line(self, width: Optional[int] = None) -> str:
        """The current status line; with ``width``, at most ``width - 1`` characters."""
        parts = self.parts()
        text = _join(parts)
        if width is None:
            return text
        limit = max(1, width - 1)
        rank = max(p.rank for p in parts)
        while len(text) > limit and rank > 0:
            parts = [p for p in parts if p.rank < rank]
            text = _join(parts)
            rank -= 1
        return text[:limit].rstrip(" ")

    def draw(self) -> None:
        """Redraw the line in place (padded over a longer previous one, never wider than the terminal)."""
        width = self._columns()
        text = self.line(width)
        pad = max(0, min(self._width, width - 1) - len(text))
        self._width = len(text)
        self._out.write("\r" + text + " " * pad)
        self._out.flush()

    def clear(self) -> None:
        """Blank the line and return to its start (nothing is written if nothing was drawn)."""
        if self._width:
            blank = min(self._width, max(1, self._columns() - 1))
            self._out.write("\r" + " " * blank + "\r")
            self._out.flush()
            self._width = 0


def terminal_width(stream: Any) -> int:
    """The columns of the terminal ``stream`` writes to: ``$COLUMNS`` when set (as
    :func:`shutil.get_terminal_size` honours it), else the terminal's size, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    except ValueError:
        pass
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):  # no file descriptor, or not a terminal
        return FALLBACK_WIDTH
    return columns if columns > 0 else FALLBACK_WIDTH


def failed_batches(stats: UploaderStats) -> int:
    """Batches the uploader gave up on (those the server refused are in the reject file)."""
    return stats.dropped_total - stats.dropped.get(REJECTED, 0)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for anything without a working ``isatty``)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
