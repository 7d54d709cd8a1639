"""The progress bar of ``mparticle send`` and its number formats."""

from __future__ import annotations

import io

from mparticle.cli.progress import Progress, SendTally, format_duration, format_size
from mparticle.cli.tracker import Tracker
from mparticle.uploader import UploaderStats


def test_progress_line_shows_rate_and_eta() -> None:
    tally = SendTally(read=500, rejected=5, bytes_finished=1000, started=100.0)
    tracker = Tracker([], historical=False)
    tracker.server_rejected = 2
    stats = UploaderStats(delivered=450, dropped={"rejected": 2, "retries_exhausted": 3})
    line = Progress(io.StringIO(), tally, tracker, lambda: stats, total_bytes=4000, clock=lambda: 102.0).line()
    assert "25%" in line and "500 batches" in line and "450 sent" in line and "7 rejected" in line
    assert "3 failed" in line and "250/s" in line and "ETA 0:00:06" in line  # 500 bytes/s, 3000 to go


def test_progress_without_a_known_size_shows_bytes_read() -> None:
    tally = SendTally(read=3, bytes_finished=2048, started=10.0)
    progress = Progress(io.StringIO(), tally, Tracker([], historical=False), UploaderStats, None, clock=lambda: 11.0)
    line = progress.line()
    assert line == "3 batches  0 sent  0 rejected  2.0 KB  3/s"


def test_draw_pads_a_shorter_line_and_clear_erases_it() -> None:
    out = io.StringIO()
    tally = SendTally(read=123456)
    progress = Progress(out, tally, Tracker([], historical=False), UploaderStats, total_bytes=None)
    progress.draw()
    first = out.getvalue()
    tally.read = 1
    progress.draw()
    second = out.getvalue()[len(first) :]
    assert second.startswith("\r1 batches") and len(second) == len(first)
    width = len(second.rstrip()) - 1  # the last line drawn, without its carriage return
    progress.clear()
    assert out.getvalue()[len(first) + len(second) :] == "\r" + " " * width + "\r"
    cleared = out.getvalue()
    progress.clear()  # nothing drawn since: nothing written
    assert out.getvalue() == cleared


def test_sizes_and_durations() -> None:
    assert [format_size(n) for n in (0, 1023, 1024, 1536 * 1024, 3 * 1024**3, 5000 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "1.5 MB",
        "3.0 GB",
        "5000.0 GB",
    ]
    assert [format_duration(s) for s in (0, 59.9, 61, 3600 * 25 + 62)] == ["0:00:00", "0:00:59", "0:01:01", "25:01:02"]
