"""The reject file's writer: lines wait, go out whole, and a record is done only once its line is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List

import pytest

from mparticle.cli.errors import OutputError
from mparticle.cli.rejects import FLUSH_BYTES, RejectWriter


def test_a_reject_is_done_only_once_its_line_is_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = RejectWriter(str(path), append=False)
    done: List[int] = []
    writer.write({"line": 1}, lambda: done.append(1))
    writer.write({"line": 2})
    writer.write({"line": 3}, lambda: done.append(3))
    assert done == [] and not path.exists() and writer.written == 0  # waiting
    writer.sync()
    assert done == [1, 3] and writer.written == 3
    assert [json.loads(line)["line"] for line in path.read_text().splitlines()] == [1, 2, 3]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    writer.write({"line": 4}, lambda: done.append(4))
    writer.close()  # writes what waits
    assert done == [1, 3, 4] and len(path.read_text().splitlines()) == 4
    writer.write({"line": 5}, lambda: done.append(5))  # after the run: ignored, stays to do
    assert done == [1, 3, 4]


def test_lines_go_out_in_whole_lines_once_enough_wait(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = RejectWriter(str(path), append=False)
    done: List[int] = []
    count = 0
    while not done:
        count += 1
        writer.write({"line": count, "record": "x" * 1000}, lambda n=count: done.append(n))  # type: ignore[misc]
    assert count * 1000 >= FLUSH_BYTES - 2000 and done == list(range(1, count + 1))
    assert path.read_text().endswith("\n") and len(path.read_text().splitlines()) == count
    writer.close()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failed_write_is_kept_and_its_records_stay_to_do() -> None:
    writer = RejectWriter("/dev/full", append=True)
    done: List[int] = []
    writer.write({"line": 1}, lambda: done.append(1))
    writer.sync()  # the failure is kept, not raised: the checkpoint is still written
    assert isinstance(writer.failure, OutputError) and "cannot write the reject file /dev/full" in str(writer.failure)
    with pytest.raises(OutputError):
        writer.write({"line": 2}, lambda: done.append(2))
    writer.close()
    assert done == [] and writer.written == 0
