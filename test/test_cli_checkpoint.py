"""The checkpoint: done intervals, the file (its exact bytes, atomic and private writes) and the
checks a resume makes before it trusts one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from mparticle.cli.checkpoint import DoneSet, Interval, checkpoint_checksum, load_checkpoint, write_json_atomic
from mparticle.cli.errors import UsageError
from mparticle.cli.sources import InputFile
from mparticle.cli.tracker import Item, Tracker

#: A checkpoint as ``mparticle send`` writes it (version 2; each input's ``rejected`` count, of
#: its done records those in the reject file, added before any release): the format a resume
#: reads, which must not change by a byte.
GOLDEN = (
    '{\n'
    ' "version": 2,\n'
    ' "tool": "mparticle send",\n'
    ' "historical": false,\n'
    ' "updated": "2026-01-01T00:00:00+00:00",\n'
    ' "files": {\n'
    '  "/old.jsonl": {"name": "old.jsonl", "size": 20, "hashed_bytes": 20, "sha256": "ababababa'
    'bababababababababababababababababababababababababababab", "records_done": 1, "done_through'
    '_line": 2, "offset": 20, "done": [[1, 1, 20, 2, false, 0]], "rejected": 1, "complete": true},\n'
    '  "/data/a.jsonl": {"name": "a.jsonl", "size": 1000, "hashed_bytes": 300, "sha256": "0d4e2'
    'ca9e9cbced7a7a5380eb29e1a3783b9b6d0db72de36a1051038e1c1fbc7", "records_done": 3, "done_thr'
    'ough_line": 4, "offset": 150, "done": [[1, 3, 150, 4, false, 0], [5, 5, 250, 6, true, 5]],'
    ' "rejected": 1, "complete": false},\n'
    '  "<stdin>": {"name": "-", "size": null, "hashed_bytes": 0, "sha256": "e3b0c44298fc1c149af'
    'bf4c8996fb92427ae41e4649b934ca495991b7852b855", "records_done": 0, "done_through_line": 0,'
    ' "offset": 0, "done": [], "rejected": 0, "complete": false}\n'
    ' },\n'
    ' "checksum": "35e8fe6d302355d26f3bd83b864e78e87d16db211f14649387863dabb63d1f35"\n'
    '}\n'
)


def test_done_set_merges_out_of_order_completions() -> None:
    done = DoneSet()
    for n in [3, 1, 5, 2, 4, 9, 7]:
        done.add(n, n * 10, n, True, n)
    assert done.as_lists() == [[1, 5, 50, 5, True, 5], [7, 7, 70, 7, True, 7], [9, 9, 90, 9, True, 9]]
    assert done.prefix() == Interval(1, 5, 50, 5, True, 5) and done.count() == 7
    done.add(8, 80, 8, True, 8)
    assert done.intervals[-1] == Interval(7, 9, 90, 9, True, 9)
    assert 8 in done and 6 not in done and 10 not in done


def test_done_set_ignores_a_record_done_twice_and_reads_checkpoint_intervals() -> None:
    done = DoneSet([[4, 6, 60, 6, False, 0], [1, 2, 20, 2, False, 0]])  # as a checkpoint lists them
    assert done.intervals == [Interval(1, 2, 20, 2, False, 0), Interval(4, 6, 60, 6, False, 0)]
    done.add(5, 999, 999, True, 9)
    assert done.count() == 5 and done.intervals[1] == Interval(4, 6, 60, 6, False, 0)
    done.add(3, 30, 3, False, 0)  # closes the gap: one interval, ending where the later one ended
    assert done.as_lists() == [[1, 6, 60, 6, False, 0]] and done.prefix() == Interval(1, 6, 60, 6, False, 0)
    assert "3" not in done and 0 not in done and 7 not in done  # type: ignore[operator]


def test_done_set_without_record_one_has_no_prefix() -> None:
    done = DoneSet()
    assert done.prefix() is None and done.count() == 0 and 1 not in done
    done.add(2, 20, 2, False, 0)
    assert done.prefix() is None
    done.add(1, 10, 1, False, 0)
    assert done.prefix() == Interval(1, 2, 20, 2, False, 0)


def test_an_interval_names_the_six_values_a_checkpoint_lists() -> None:
    interval = Interval(first=4, last=9, end_offset=900, end_line=10, in_array=True, array_index=3)
    assert list(interval) == [4, 9, 900, 10, True, 3]
    assert Interval(*[4, 9, 900, 10, True, 3]) == interval
    done = DoneSet([interval, [1, 3, 300, 4, False, 0]])
    assert done.as_lists() == [[1, 3, 300, 4, False, 0], [4, 9, 900, 10, True, 3]]
    done.add(10, 1000, 11, False, 0)  # extends the last interval: its end moves on
    assert done.intervals[-1] == Interval(4, 10, 1000, 11, False, 0)


def test_prefix_fields_summarise_the_contiguous_done_prefix() -> None:
    assert DoneSet().prefix_fields() == {"records_done": 0, "done_through_line": 0, "offset": 0}
    assert list(DoneSet().prefix_fields()) == ["records_done", "done_through_line", "offset"]  # the file's order
    done = DoneSet([[1, 3, 300, 4, False, 0], [6, 6, 600, 7, False, 0]])
    assert done.prefix_fields() == {"records_done": 3, "done_through_line": 4, "offset": 300}
    assert DoneSet([[2, 3, 300, 4, False, 0]]).prefix_fields()["records_done"] == 0  # record 1 not done


#: The entry of an input that is not in the run: kept as it was.
OTHER = {
    "name": "old.jsonl",
    "size": 20,
    "hashed_bytes": 20,
    "sha256": "ab" * 32,
    "records_done": 1,
    "done_through_line": 2,
    "offset": 20,
    "done": [[1, 1, 20, 2, False, 0]],
    "rejected": 1,
    "complete": True,
}


def golden_tracker() -> Tracker:
    """The tracker behind :data:`GOLDEN`."""
    f = InputFile(name="a.jsonl", key="/data/a.jsonl", size=1000)
    f.content.update(0, b"x" * 300)
    stdin = InputFile(name="-", key="<stdin>", size=None)
    tracker = Tracker([f, stdin], historical=False, others={"/old.jsonl": OTHER})
    for n in [3, 1, 2, 5]:
        tracker.mark([Item(f, n, n, n * 50, n + 1, n == 5, n if n == 5 else 0, 10)], rejected=n == 2)
    tracker.mark([Item(f, 2, 2, 100, 3, False, 0, 10)], rejected=True)  # done already: not counted twice
    f.records = 5
    return tracker


def fixed(doc: Dict[str, Any]) -> Dict[str, Any]:
    doc["updated"] = "2026-01-01T00:00:00+00:00"
    doc["checksum"] = checkpoint_checksum(doc)
    return doc


def test_the_checkpoint_file_format_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    write_json_atomic(str(path), fixed(golden_tracker().snapshot()))
    assert path.read_text(encoding="utf-8") == GOLDEN
    assert load_checkpoint(str(path)) == json.loads(GOLDEN)


def test_a_snapshot_is_what_a_resume_loads(tmp_path: Path) -> None:
    tracker = golden_tracker()
    doc = tracker.snapshot()
    assert doc["checksum"] == checkpoint_checksum(doc)
    entry = doc["files"]["/data/a.jsonl"]
    assert (entry["records_done"], entry["offset"], entry["done_through_line"]) == (3, 150, 4)
    path = tmp_path / "cp.json"
    write_json_atomic(str(path), doc)
    loaded = load_checkpoint(str(path))
    assert loaded == doc
    tracker.freeze()  # a late completion after the run changes nothing
    f = tracker.files[0]
    tracker.mark([Item(f, 4, 4, 200, 5, False, 0, 10)], server_rejected=True)
    assert tracker.server_rejected == 0 and f.done.count() == 4


def test_a_missing_checkpoint_is_none_and_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    assert load_checkpoint(str(tmp_path / "none.json")) is None
    with pytest.raises(UsageError, match="cannot read the checkpoint"):
        load_checkpoint(str(tmp_path))


def test_write_json_atomic_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    write_json_atomic(str(path), {"a": 1})
    write_json_atomic(str(path), [1, 2])
    assert path.read_text() == "[1, 2]\n" and os.listdir(tmp_path) == ["doc.json"]
    assert path.stat().st_mode & 0o777 == 0o600
