"""``mparticle send`` never harms its input and never counts a record twice at mParticle.

Output paths that are an input are refused before anything is written; a lock keeps two runs
off one checkpoint; rejects and checkpoints are private (0600); a record nobody can parse is a
reject, never a traceback; a forged or mismatching checkpoint is refused; a dry run leaves no
state a real run would trust; and a resume after SIGINT or SIGKILL re-sends records with the
ids of their first attempt, in every input layout.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

import pytest
from test_cli import KEY, ROOT, SECRET, batch, conn, rejects_of, run_cli, write_lines

from mparticle.cli import main
from mparticle.cli.checkpoint import checkpoint_checksum
from mparticle.testing import Fault, LocalEventsServer

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def send_child(
    args: List[str], stdin: Optional[Path] = None, stderr: Any = subprocess.PIPE
) -> "subprocess.Popen[bytes]":
    """``python -m mparticle send ARGS`` as a child process (stdin from a file, if given)."""
    handle = open(stdin, "rb") if stdin is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "mparticle", "send", *args], env=ENV, cwd=str(ROOT), stdin=handle, stderr=stderr
        )
    finally:
        if stdin is not None:
            handle.close()  # type: ignore[union-attr]


def ids_by_customer(*servers: LocalEventsServer) -> Dict[str, Set[str]]:
    """customer_id -> every source_request_id it arrived with, over ``servers``."""
    out: Dict[str, Set[str]] = {}
    for s in servers:
        for b in s.batches:
            out.setdefault(b["user_identities"]["customer_id"], set()).add(b["source_request_id"])
    return out


def snapshot(directory: Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# -- output paths that are an input --------------------------------------------------------------


def _alias(tmp_path: Path, data: Path, form: str) -> str:
    """A path naming ``data``: as given, ./x, ../dir/x, a symlink, or a hard link."""
    if form == "same":
        return str(data)
    if form == "dot":
        return "./" + data.name
    if form == "dotdot":
        return f"../{tmp_path.name}/{data.name}"
    link = tmp_path / f"{form}-to-input"
    if form == "symlink":
        link.symlink_to(data)
    else:
        os.link(data, link)
    return str(link)


@pytest.mark.parametrize("dry_run", [False, True], ids=["send", "dry-run"])
@pytest.mark.parametrize("form", ["same", "dot", "dotdot", "symlink", "hardlink"])
@pytest.mark.parametrize("flag", ["--reject-file", "--checkpoint"])
def test_an_output_that_is_the_input_is_refused_before_anything_is_written(
    tmp_path: Path,
    server: LocalEventsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    form: str,
    dry_run: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    data = write_lines(tmp_path / "a.jsonl", [json.dumps(batch(i)) for i in range(5)] + ["{broken"])
    output = _alias(tmp_path, data, form)
    before = snapshot(tmp_path)
    args = ["send", "a.jsonl", flag, output, *(["--dry-run"] if dry_run else []), *conn(server)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is the input file a.jsonl; refusing to overwrite it" in err, err
    assert snapshot(tmp_path) == before  # the input intact, nothing created
    assert server.request_count == 0


@pytest.mark.parametrize("dry_run", [False, True], ids=["send", "dry-run"])
def test_input_named_through_a_symlink_and_the_reject_file_equal_to_the_checkpoint(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str], dry_run: bool
) -> None:
    data = write_lines(tmp_path / "a.jsonl", [json.dumps(batch(i)) for i in range(3)])
    (tmp_path / "link.jsonl").symlink_to(data)
    before = snapshot(tmp_path)
    more = ["--dry-run"] if dry_run else []
    assert main(["send", str(tmp_path / "link.jsonl"), "--reject-file", str(data), *more, *conn(server)]) == 2
    assert "is the input file" in capsys.readouterr().err
    out = str(tmp_path / "out.json")
    same = ["--reject-file", out, "--checkpoint", f"{tmp_path}/./out.json"]
    assert main(["send", str(data), *same, *more, *conn(server)]) == 2
    assert "is the reject file" in capsys.readouterr().err
    assert snapshot(tmp_path) == before and server.request_count == 0


# -- the lock ----------------------------------------------------------------------------------


@pytest.mark.subprocess
def test_a_second_run_on_a_checkpoint_exits_2_and_a_run_after_a_sigkill_resumes(tmp_path: Path) -> None:
    """The first run holds the lock while its second request hangs; a second run exits 2 at
    once; the first is SIGKILLed (the OS drops the lock) and a --resume finishes the file."""
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(300)])
    first_server = LocalEventsServer(KEY, SECRET).start()
    second_server = LocalEventsServer(KEY, SECRET).start()
    try:
        first_server.script(Fault(), *[Fault(delay=60)] * 20)
        first = send_child([str(data), *conn(first_server, "--concurrency", "1", "--max-retries", "0")])
        try:
            assert first_server.wait_for(1, timeout=30)  # past its lock; its next request hangs
            second = run_cli("send", str(data), *conn(second_server), timeout=30)
            assert second.returncode == 2, second.stderr
            assert f"another mparticle send is using {data}.checkpoint.json".encode() in second.stderr
            assert second_server.request_count == 0
            # a dry run writes no checkpoint and takes no lock
            assert run_cli("send", str(data), "--dry-run", timeout=30).returncode == 0
        finally:
            first.kill()
            first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        first_server.stop()  # the hanging requests end unanswered and unrecorded
        assert main(["send", str(data), "--resume", *conn(second_server)]) == 0
        ids = ids_by_customer(first_server, second_server)
        assert sorted(ids) == sorted(f"c{i}" for i in range(300))
        assert all(len(v) == 1 for v in ids.values())
    finally:
        first_server.stop()
        second_server.stop()


# -- file modes ----------------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_rejects_checkpoint_and_lock_are_created_0600(
    tmp_path: Path, server: LocalEventsServer, umask_022: None
) -> None:
    lines = [json.dumps(batch(i)) for i in range(5)] + [json.dumps(batch(9, environment="staging"))]
    data = write_lines(tmp_path / "a.jsonl", lines)
    assert main(["send", str(data), *conn(server)]) == 1
    for name in ("a.jsonl.rejects.jsonl", "a.jsonl.checkpoint.json", "a.jsonl.checkpoint.json.lock"):
        assert mode(tmp_path / name) == 0o600, name
    # an existing reject file keeps its (narrower or wider) mode; a checkpoint loses group/other bits
    (tmp_path / "a.jsonl.rejects.jsonl").chmod(0o640)
    (tmp_path / "a.jsonl.checkpoint.json").chmod(0o640)
    assert main(["send", str(data), *conn(server)]) == 1
    assert mode(tmp_path / "a.jsonl.rejects.jsonl") == 0o640
    assert mode(tmp_path / "a.jsonl.checkpoint.json") == 0o600
    (tmp_path / "a.jsonl.checkpoint.json").chmod(0o400)
    assert main(["send", str(data), "--resume", *conn(server)]) == 1  # nothing left to do; one record rejected
    assert mode(tmp_path / "a.jsonl.checkpoint.json") == 0o400  # never widened
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


# -- records nobody can parse ----------------------------------------------------------------------

HOSTILE = {
    "digits": '{"environment": "development", "mpid": ' + "9" * 5000 + "}",
    "huge float": json.dumps(batch(900)).replace('"other"}', '"other", "timestamp_unixtime_ms": 1e400}'),
    "NaN": json.dumps(batch(901)).replace('"other"}', '"other", "custom_attributes": {"a": NaN}}'),
    "deep for the validator": json.dumps(batch(902)).replace(
        '"other"}', '"other", "x": ' + "[" * 990 + "]" * 990 + "}"
    ),
    "deep for the parser": "[" * 100_000 + "]" * 100_000,
    "broken": '{"environment": "development", ',
}


def hostile_file(path: Path) -> Tuple[Path, List[int], int]:
    """Valid records around hostile ones (and a line of invalid UTF-8): the file, the lines no
    Python can take, and the line of the record nested 990 deep. That one is a problem where the
    interpreter's JSON encoder runs out of stack (3.11 and older, with the caller's frames
    counted), and a valid batch where it does not (3.13): reported or sent, never a crash."""
    lines = [json.dumps(batch(0))]
    bad = []
    deep = 0
    for name, text in HOSTILE.items():
        lines.append(text)
        if name == "deep for the validator":
            deep = len(lines)
        else:
            bad.append(len(lines))
        lines.append(json.dumps(batch(len(lines))))
    raw = "\n".join(lines).encode() + b'\n{"environment": "\xff\xfe"}\n' + json.dumps(batch(99)).encode() + b"\n"
    path.write_bytes(raw)
    return path, bad + [len(lines) + 1], deep


def test_validate_reports_every_unparseable_record_and_goes_on(tmp_path: Path) -> None:
    data, bad, deep = hostile_file(tmp_path / "h.jsonl")
    result = run_cli("validate", str(data), timeout=60)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err + out
    reported = {int(line.split(":")[1]) for line in out.splitlines()}
    assert set(bad) <= reported <= set(bad) | {deep}
    assert "too many digits" in out and "nested too deeply" in out and "invalid UTF-8" in out
    valid = 8 + (deep not in reported)
    assert f"{len(bad) + 9} batches, {valid} valid, {len(reported)} invalid" in err


def test_send_rejects_unparseable_records_and_a_resume_passes_them(tmp_path: Path) -> None:
    data, bad, deep = hostile_file(tmp_path / "h.jsonl")
    down = LocalEventsServer(KEY, SECRET).start()
    up = LocalEventsServer(KEY, SECRET).start()
    try:
        down.set_fault_rates(unavailable=1.0)
        first = run_cli("send", str(data), *conn(down, "--max-retries", "0"), timeout=60)
        assert first.returncode == 2 and b"Traceback" not in first.stderr, first.stderr  # nothing delivered
        rejects = rejects_of(tmp_path / "h.jsonl.rejects.jsonl")
        lines = sorted(r["line"] for r in rejects)
        assert set(bad) <= set(lines) <= set(bad) | {deep}
        assert all(r["reason"] and r["problems"] for r in rejects)
        sendable = 8 + (deep not in lines)
        # the resume reads the hostile records again (they are done, so skipped) and sends the rest
        second = run_cli("send", str(data), "--resume", *conn(up), timeout=60)
        # no new rejects, but the first run's are not in mParticle: exit 1, not 0
        assert second.returncode == 1 and b"Traceback" not in second.stderr, second.stderr
        assert f"{len(lines)} skipped (done in an earlier run)".encode() in second.stderr
        summary = f"0 rejected, {len(lines)} skipped (done in an earlier run), {len(lines)} rejected in earlier runs"
        assert summary.encode() in second.stderr
        assert len(up.batches) == sendable and len(ids_by_customer(up)) == sendable
        assert sorted(r["line"] for r in rejects_of(tmp_path / "h.jsonl.rejects.jsonl")) == lines  # not repeated
    finally:
        down.stop()
        up.stop()


# -- forged, malformed and mismatching checkpoints -------------------------------------------------


def partial_run(tmp_path: Path, server: LocalEventsServer) -> Tuple[Path, Path, Dict[str, Any]]:
    """A run that delivers the first request and fails the rest (503): a partial checkpoint."""
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(300)])
    server.script(Fault(), *[Fault(status=503)] * 100)
    assert main(["send", str(data), *conn(server, "--concurrency", "1", "--max-retries", "0")]) == 1
    checkpoint = tmp_path / "events.jsonl.checkpoint.json"
    doc = json.loads(checkpoint.read_text())
    entry = doc["files"][str(data.resolve())]
    assert 0 < entry["records_done"] < 300 and not entry["complete"]
    return data, checkpoint, doc


def _entry(doc: Dict[str, Any]) -> Dict[str, Any]:
    (entry,) = doc["files"].values()
    return entry


def _resigned(change: Callable[[Dict[str, Any]], None]) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    """A forgery that also recomputes the checksum (to reach the structural checks)."""

    def forge(doc: Dict[str, Any]) -> Dict[str, Any]:
        change(doc)
        doc["checksum"] = checkpoint_checksum(doc)
        return doc

    return forge


def _set(path: List[Any], value: Any) -> Callable[[Dict[str, Any]], None]:
    def change(doc: Dict[str, Any]) -> None:
        target: Any = _entry(doc)
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _past_eof(doc: Dict[str, Any]) -> None:
    entry = _entry(doc)
    entry["hashed_bytes"] = entry["size"] + 1000
    entry["done"][0][2] = entry["offset"] = entry["size"] + 500


FORGERIES: Dict[str, Tuple[Any, str]] = {
    "not JSON": (b'{"version": 2, ', "is not valid JSON"),
    "binary": (b"\xff\xfe\x00garbage", "is not valid JSON"),
    "empty": (b"", "is not valid JSON"),
    "an array": (b"[]", "is not a checkpoint of mparticle send"),
    "version 1": (_resigned(lambda d: d.update(version=1)), "has version 1"),
    "edited by hand": (lambda d: _set(["done", 0, 1], 299)(d) or d, "was modified"),
    "no checksum": (lambda d: d.pop("checksum") and d, "was modified"),
    "string count": (_resigned(_set(["records_done"], "5")), "`records_done` must be a non-negative integer"),
    "count off": (_resigned(_set(["records_done"], 299)), "`records_done` (299) does not match `done`"),
    "int for bool": (_resigned(_set(["done", 0, 4], 0)), "in_array must be true or false"),
    "bool for int": (_resigned(_set(["done", 0, 0], True)), "first and last must be record numbers"),
    "done not a list": (_resigned(_set(["done"], {"1": 5})), "`done` must be an array"),
    "short interval": (_resigned(_set(["done", 0], [1, 5])), "must be [first, last"),
    "offset past the hash": (_resigned(_set(["done", 0, 2], 10**9)), "is past the"),
    "offsets past EOF": (_resigned(_past_eof), "changed since the checkpoint was written"),
    "bad digest": (_resigned(_set(["sha256"], "xyz")), "`sha256` must be 64 lowercase hex digits"),
    "files not an object": (_resigned(lambda d: d.update(files=[])), "`files` must be an object"),
    "no rejected count": (_resigned(lambda d: _entry(d).pop("rejected") and d), "`rejected` must be a non-negative"),
    "more rejected than done": (_resigned(_set(["rejected"], 10**6)), "`rejected` (1000000) is more than the"),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_or_malformed_checkpoint_exits_2_naming_the_problem(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    data, checkpoint, doc = partial_run(tmp_path, server)
    forgery, message = FORGERIES[name]
    forged = forgery if isinstance(forgery, bytes) else json.dumps(forgery(doc)).encode()
    checkpoint.write_bytes(forged)
    capsys.readouterr()
    server.reset()
    for dry_run in ([], ["--dry-run"]):
        assert main(["send", str(data), "--resume", *dry_run, *conn(server)]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert server.request_count == 0
    assert checkpoint.read_bytes() == forged  # left alone


@pytest.mark.parametrize("change", ["edited", "truncated", "replaced"])
def test_resume_refuses_an_input_whose_done_part_changed(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    data, checkpoint, doc = partial_run(tmp_path, server)
    raw = data.read_bytes()
    if change == "edited":  # same size, one character of the first record
        data.write_bytes(raw.replace(b'"c0"', b'"x0"', 1))
    elif change == "truncated":
        data.write_bytes(raw[:100])
    else:
        data.write_bytes(raw.replace(b"development", b"production0"))
    before = checkpoint.read_bytes()
    server.reset()
    assert main(["send", str(data), "--resume", *conn(server)]) == 2
    assert "events.jsonl changed since the checkpoint was written" in capsys.readouterr().err
    assert server.request_count == 0 and checkpoint.read_bytes() == before
    data.write_bytes(raw + json.dumps(batch(300)).encode() + b"\n")  # appending is fine
    assert main(["send", str(data), "--resume", *conn(server)]) == 0
    assert len(ids_by_customer(server)) == 301 - _entry(doc)["records_done"]


def test_resumed_stdin_must_be_the_same_stream(tmp_path: Path, server: LocalEventsServer) -> None:
    lines = [json.dumps(batch(i)) for i in range(300)]
    payload = ("\n".join(lines) + "\n").encode()
    cp = str(tmp_path / "cp.json")
    server.script(Fault(), *[Fault(status=503)] * 100)
    first = run_cli(
        "send", "-", "--checkpoint", cp, *conn(server, "--concurrency", "1", "--max-retries", "0"), stdin=payload
    )
    assert first.returncode == 1, first.stderr
    before = Path(cp).read_bytes()
    other = payload.replace(b'"c0"', b'"x0"', 1)
    second = run_cli("send", "-", "--checkpoint", cp, "--resume", *conn(server), stdin=other)
    assert second.returncode == 2 and b"differ from those the checkpoint was written for" in second.stderr
    assert b"the checkpoint was left as it was" in second.stderr
    assert Path(cp).read_bytes() == before
    third = run_cli("send", "-", "--checkpoint", cp, "--resume", *conn(server), stdin=payload[:50])
    assert third.returncode == 2 and b"ended after 50 bytes" in third.stderr
    server.reset()
    last = run_cli("send", "-", "--checkpoint", cp, "--resume", *conn(server), stdin=payload)
    assert last.returncode == 0, last.stderr
    done = json.loads(before)["files"]["<stdin>"]["records_done"]
    assert len(ids_by_customer(server)) == 300 - done


# -- dry runs ------------------------------------------------------------------------------------


def test_a_dry_run_leaves_the_real_runs_state_alone(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps(batch(i, environment="staging" if i % 50 == 7 else "development")) for i in range(300)]
    data = write_lines(tmp_path / "events.jsonl", lines)
    server.script(Fault(), *[Fault(status=503)] * 100)
    assert main(["send", str(data), *conn(server, "--concurrency", "1", "--max-retries", "0")]) == 1
    real = {
        name: (tmp_path / name).read_bytes() for name in ("events.jsonl.checkpoint.json", "events.jsonl.rejects.jsonl")
    }
    invalid = [i + 1 for i in range(300) if i % 50 == 7]
    dry_rejects = tmp_path / "events.jsonl.rejects.dry-run.jsonl"
    assert main(["send", str(data), "--dry-run"]) == 1
    assert f"{len(invalid)} rejected (see {dry_rejects})" in capsys.readouterr().err
    assert sorted(r["line"] for r in rejects_of(dry_rejects)) == invalid
    assert {name: (tmp_path / name).read_bytes() for name in real} == real
    # with --resume: what a resume would do (the rejected records are done, and make it exit 1);
    # a fresh dry-run file
    assert main(["send", str(data), "--dry-run", "--resume"]) == 1
    err = capsys.readouterr().err
    assert "0 rejected" in err and f"{len(invalid)} rejected in earlier runs" in err and rejects_of(dry_rejects) == []
    assert {name: (tmp_path / name).read_bytes() for name in real} == real
    delivered = len(ids_by_customer(server))
    server.reset()
    assert main(["send", str(data), "--resume", *conn(server)]) == 1  # no new rejects; the first run's count
    assert len(ids_by_customer(server)) == 300 - len(invalid) - delivered
    rejected = sorted(r["line"] for r in rejects_of(tmp_path / "events.jsonl.rejects.jsonl"))
    assert rejected == invalid  # each once over both real runs


# -- exactly once: every layout, resumed after SIGINT and after SIGKILL ------------------------------

N_RECORDS = 400


def layout_bytes(layout: str) -> Tuple[bytes, Set[str]]:
    """The file for ``layout`` and the customer ids of its valid records (one in 50 is invalid)."""
    batches = [batch(i, environment="staging" if i % 50 == 7 else "development") for i in range(N_RECORDS)]
    valid = {f"c{i}" for i in range(N_RECORDS) if i % 50 != 7}
    if layout in ("jsonl", "stdin"):
        text = "".join(json.dumps(b) + "\n" for b in batches)
    elif layout == "one-line-array":
        text = json.dumps(batches) + "\n"
    elif layout == "bulk-bodies":
        text = "".join(json.dumps(batches[i : i + 10]) + "\n" for i in range(0, N_RECORDS, 10))
    else:
        text = json.dumps(batches, indent=2) + "\n"
    return text.encode(), valid


@pytest.mark.subprocess
@pytest.mark.parametrize("layout", ["jsonl", "one-line-array", "bulk-bodies", "pretty", "stdin"])
def test_resume_after_sigint_then_sigkill_keeps_every_source_request_id(tmp_path: Path, layout: str) -> None:
    """Run 1 is interrupted (SIGINT) after its first request, run 2 resumes and is SIGKILLed
    after its first request was accepted (its checkpoint never saved), run 3 resumes and
    finishes. Every batch arrives with the id an uninterrupted run gives it; what run 2
    delivered arrives again in run 3, with the same ids (mParticle drops those)."""
    raw, valid = layout_bytes(layout)
    data = tmp_path / "input.json"
    data.write_bytes(raw)
    source = "-" if layout == "stdin" else str(data)
    stdin = data if layout == "stdin" else None
    common = ["--concurrency", "1", "--max-retries", "0", "--shutdown-timeout", "0.5", "--checkpoint-interval", "600"]
    run_args = [source, "--checkpoint", str(tmp_path / "cp.json"), "--reject-file", str(tmp_path / "r.jsonl")]

    servers = [LocalEventsServer(KEY, SECRET).start() for _ in range(4)]
    reference, first, second, third = servers
    try:
        ref_args = [source, "--checkpoint", str(tmp_path / "ref.json"), "--reject-file", str(tmp_path / "ref.jsonl")]
        ref = run_cli("send", *ref_args, *conn(reference), stdin=raw if stdin else None)
        assert ref.returncode == 1, ref.stderr  # the invalid records are rejected
        expected = ids_by_customer(reference)
        assert set(expected) == valid and all(len(v) == 1 for v in expected.values())

        for run, server, sig in ((1, first, signal.SIGINT), (2, second, signal.SIGKILL)):
            server.script(Fault(), *[Fault(delay=60)] * 20)  # the first request passes, then hang
            proc = send_child([*run_args, *(["--resume"] if run > 1 else []), *common, *conn(server)], stdin=stdin)
            try:
                assert server.wait_for(1, timeout=30), f"run {run} sent nothing"
                proc.send_signal(sig)
                _, err = proc.communicate(timeout=30)
            finally:
                proc.kill()
            assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), err
            assert b"Traceback" not in err
            server.stop()  # hanging requests end unanswered and unrecorded
            if run == 1:
                entry = next(iter(json.loads((tmp_path / "cp.json").read_text())["files"].values()))
                assert 0 < entry["records_done"] < N_RECORDS and not entry["complete"]

        last = run_cli("send", *run_args, "--resume", *conn(third), stdin=raw if stdin else None)
        assert last.returncode == 1, last.stderr

        received = [b for s in (first, second, third) for b in s.batches]
        got = ids_by_customer(first, second, third)
        assert got == expected  # every valid record, each with its one id, the reference's
        duplicates = len(received) - len(got)
        assert duplicates >= len(second.batches) >= 1  # run 2's deliveries were sent again
        print(f"\n{layout}: {len(received)} batches received, {len(got)} distinct ids, {duplicates} duplicates")
    finally:
        for s in servers:
            s.stop()


# -- a reject file that cannot be written -------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("who", ["local", "server"])
def test_an_unwritable_reject_file_stops_the_run_and_keeps_the_record_to_do(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str], who: str
) -> None:
    """Every write to /dev/full fails (ENOSPC): the run stops with exit 2 and the record whose
    reject could not be written is not marked done, so a resume handles it again."""
    lines = [json.dumps(batch(i)) for i in range(3)]
    if who == "local":
        lines[1] = json.dumps(batch(1, environment="staging"))
    else:
        server.script(*[Fault(status=400)] * 3)  # 3 -> 1 + 2 -> the first batch alone is refused
    data = write_lines(tmp_path / "a.jsonl", lines)
    args = ["send", str(data), "--concurrency", "1", *conn(server)]
    assert main([*args, "--reject-file", "/dev/full"]) == 2
    assert "cannot write the reject file /dev/full" in capsys.readouterr().err
    entry = _entry(json.loads((tmp_path / "a.jsonl.checkpoint.json").read_text()))
    refused = 2 if who == "local" else 1
    assert all(not (first <= refused <= last) for first, last, *_ in entry["done"])
    server.reset()
    if who == "server":
        server.script(Fault(status=400))  # refused again, alone
    # (server: the one valid batch read is refused again, so none could be delivered: exit 2)
    assert main([*args, "--resume"]) == (1 if who == "local" else 2)
    (reject,) = rejects_of(tmp_path / "a.jsonl.rejects.jsonl")
    assert reject["line"] == refused
