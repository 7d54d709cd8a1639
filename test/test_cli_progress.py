"""The progress bar of ``mparticle send`` and its number formats."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any, List

import pytest
from test_cli import ROOT, batch, conn

from mparticle.cli.progress import Progress, SendTally, format_duration, format_size, terminal_width
from mparticle.cli.tracker import Tracker
from mparticle.testing import LocalEventsServer
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


def busy_progress(out: io.StringIO, widths: List[int]) -> Progress:
    """A progress bar of a large send whose terminal is ``widths[0]`` columns, then the next ..."""
    tally = SendTally(read=75_416, rejected=7_542, bytes_finished=13_800_000, started=100.0)
    stats = UploaderStats(delivered=67_600, dropped={"retries_exhausted": 3})
    return Progress(
        out, tally, Tracker([], historical=False), lambda: stats, 37_000_000, clock=lambda: 109.0,
        width=lambda: widths[0] if len(widths) == 1 else widths.pop(0),
    )


def test_the_line_fits_the_terminal_dropping_the_least_useful_parts_first() -> None:
    progress = busy_progress(io.StringIO(), [200])
    full = progress.line()
    assert len(full) > 104 and full.startswith("[#######             ]  37%  75,416 batches")
    assert progress.line(200) == full
    at_80 = progress.line(80)
    assert at_80 == "37%  75,416 batches  67,600 sent  7,542 rejected  3 failed  ETA 0:00:15"  # no rate, sizes, bar
    assert progress.line(60) == "37%  67,600 sent  7,542 rejected  3 failed  ETA 0:00:15"
    for width in (120, 100, 80, 60, 45, 20, 2, 1):
        assert len(progress.line(width)) <= max(1, width - 1)


def test_draw_never_wraps_and_leaves_no_debris_when_the_terminal_shrinks() -> None:
    out = io.StringIO()
    widths = [200, 200, 60, 60]
    progress = busy_progress(out, widths)
    progress.draw()
    progress.draw()
    progress.draw()  # now 60 columns: shorter, padded only up to 59
    drawn = out.getvalue().split("\r")[1:]
    assert [len(d) for d in drawn] == [121, 121, 59]
    assert drawn[2].rstrip() == progress.line(60)
    progress.clear()
    assert out.getvalue().endswith("\r" + " " * len(drawn[2].rstrip()) + "\r")  # blanks what is on screen


def test_terminal_width_of_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width(io.StringIO()) == 80  # no terminal: the fallback
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width(io.StringIO()) == 132
    monkeypatch.setenv("COLUMNS", "wide")
    assert terminal_width(io.StringIO()) == 80


@pytest.mark.subprocess
def test_send_on_an_80_column_terminal_draws_lines_of_at_most_79(server: LocalEventsServer, tmp_path: Any) -> None:
    """A real ``send`` of a file (so the bar, sizes and ETA are shown) with its progress bar
    on, against a slow endpoint (so it is redrawn): every redraw fits in 79 columns."""
    data = tmp_path / "events.jsonl"
    data.write_text("".join(json.dumps(batch(i)) + "\n" for i in range(200)))
    server.hang(1.0)  # two requests of 100 batches, a second each: a few redraws (every 0.2 s)
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="80")
    args = ["send", str(data), "--progress", "on", *conn(server, "--concurrency", "1")]
    done = subprocess.run([sys.executable, "-m", "mparticle", *args], env=env, capture_output=True, timeout=60)
    text = done.stderr.decode()
    assert done.returncode == 0, text
    *redraws, summary = text.split("\r")
    assert redraws[1:] and all(len(r) <= 79 for r in redraws[1:]), redraws
    assert any("%" in r and "sent" in r for r in redraws)
    assert summary.startswith("send: 200 batches read")


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
