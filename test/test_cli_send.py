"""``mparticle send`` end to end against the embedded endpoint: exactly once, rejects, resume
after Ctrl-C, dry runs, every input layout, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from test_cli import (
    KEY,
    NOW_MS,
    OLD_MS,
    ROOT,
    SECRET,
    batch,
    conn,
    mixed_lines,
    received_ids,
    rejects_of,
    run_cli,
    write_lines,
)

from mparticle.cli import main
from mparticle.cli.sources import SOURCE_ID_NAMESPACE, source_request_id
from mparticle.testing import Fault, LocalEventsServer


def test_send_20000_mixed_lines_exactly_once_with_rejects(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lines, valid, invalid = mixed_lines(20_000)
    data = write_lines(tmp_path / "events.jsonl", lines)
    started = time.perf_counter()
    code = main(["send", str(data), *conn(server)])
    elapsed = time.perf_counter() - started
    assert code == 1  # partial: there were rejects
    ids = received_ids(server)
    assert len(ids) == len(set(ids)) == len(valid)
    assert set(ids) == set(valid.values())
    assert all(r.path == "/v2/bulkevents" and r.status == 202 for r in server.requests)
    assert len(server.requests) <= len(valid) // 100 + 4  # packed into full requests
    # stamped, stable and derived from the file, the record's byte offset and its text
    by_id = {b["user_identities"]["customer_id"]: b for b in server.batches}
    assert by_id["c0"]["source_request_id"] == source_request_id(str(data.resolve()), 0, lines[0])
    second = len(lines[0].encode()) + 1
    assert by_id["c1"]["source_request_id"] == source_request_id(str(data.resolve()), second, lines[1])
    assert all(uuid.UUID(b["source_request_id"]) for b in server.batches[:50])
    rejects = rejects_of(tmp_path / "events.jsonl.rejects.jsonl")
    assert {r["line"]: r["problems"][0]["rule"] for r in rejects} == invalid
    for r in rejects:
        assert r["file"] == str(data) and r["reason"]
        assert r["record"] == lines[r["line"] - 1]
    checkpoint = json.loads((tmp_path / "events.jsonl.checkpoint.json").read_text())
    entry = checkpoint["files"][str(data.resolve())]
    assert entry["records_done"] == 20_000 and entry["done_through_line"] == 20_000 and entry["complete"]
    summary = capsys.readouterr().err
    assert "18,000 sent" in summary and "2,000 rejected" in summary
    print(f"\n20,000 lines in-process: {elapsed:.2f} s")


#: Runs ``python -m mparticle ...`` and reports the process's peak RSS (VmHWM) at exit. (The
#: rusage of a child is no good here: Linux carries the forking parent's peak across exec.)
_PEAK_RSS = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM'):\n"
    "            sys.stderr.write('peak-rss-kb ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['mparticle'] + sys.argv[1:]\n"
    "runpy.run_module('mparticle', run_name='__main__', alter_sys=True)\n"
)


@pytest.mark.subprocess
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_send_subprocess_time_and_peak_memory(tmp_path: Path) -> None:
    lines, valid, invalid = mixed_lines(20_000)
    data = write_lines(tmp_path / "events.jsonl", lines)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with LocalEventsServer(KEY, SECRET, record=False) as server:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _PEAK_RSS, "send", str(data), *conn(server)],
            env=env,
            capture_output=True,
            timeout=60,
        )
        elapsed = time.perf_counter() - started
        err = result.stderr.decode()
        assert result.returncode == 1, err
        assert server.accepted_count == len(valid)
    peak_mb = int(err.split("peak-rss-kb ")[1].split()[0]) / 1024
    print(f"\n20,000 lines via python -m mparticle: {elapsed:.2f} s, peak RSS {peak_mb:.0f} MB; {err.strip()}")
    assert peak_mb < 80  # the interpreter and the SDK take ~30 MB; the file is streamed


@pytest.mark.subprocess
def test_interrupted_send_resumes_without_duplicates(tmp_path: Path) -> None:
    """SIGINT mid-run: in-flight batches are flushed, the checkpoint written, exit 130; --resume
    sends the rest, and every valid batch arrives exactly once."""
    lines, valid, invalid = mixed_lines(20_000)
    data = write_lines(tmp_path / "events.jsonl", lines)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with LocalEventsServer(KEY, SECRET) as server:
        server.hang(0.03)  # slow enough to interrupt in the middle
        proc = subprocess.Popen(
            [sys.executable, "-m", "mparticle", "send", str(data), *conn(server, "--concurrency", "2")],
            env=env,
            stderr=subprocess.PIPE,
        )
        assert server.wait_for(3000, timeout=30)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert b"interrupted" in err and b"--resume" in err
        first = server.accepted_count
        assert 3000 <= first < len(valid)
        checkpoint = json.loads((tmp_path / "events.jsonl.checkpoint.json").read_text())
        entry = checkpoint["files"][str(data.resolve())]
        assert 0 < entry["done_through_line"] < 20_000 and not entry["complete"]

        server.hang(0)
        assert main(["send", str(data), "--resume", *conn(server)]) == 1
        ids = received_ids(server)
        assert len(ids) == len(set(ids)) == len(valid)
    rejects = rejects_of(tmp_path / "events.jsonl.rejects.jsonl")
    assert sorted(r["line"] for r in rejects) == sorted(invalid)  # each once, over both runs


def test_hanging_endpoint_bounded_shutdown_then_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The endpoint hangs (for a minute) after 5 requests; Ctrl-C ends the run after
    --shutdown-timeout without waiting for the hanging requests, and a resume against another
    endpoint delivers exactly what the first one did not."""
    lines, valid, _ = mixed_lines(3000)
    data = write_lines(tmp_path / "events.jsonl", lines)
    first = LocalEventsServer(KEY, SECRET).start()
    second = LocalEventsServer(KEY, SECRET).start()
    try:
        first.script(*[Fault()] * 5, *[Fault(delay=60)] * 100)

        def interrupt() -> None:
            first.wait_for(500, timeout=10)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        code = main(["send", str(data), *conn(first, "--shutdown-timeout", "0.5", "--max-retries", "0")])
        assert code == 130
        # main returned before any hanging request was answered (each is answered, and
        # recorded, only after its minute): the shutdown did not wait for them
        assert first.request_count == 5 and first.accepted_count == 500
        assert "interrupted" in capsys.readouterr().err
        first.stop()  # the hanging requests are never recorded
        assert first.accepted_count == 500
        assert main(["send", str(data), "--resume", *conn(second)]) == 1
        ids = received_ids(first, second)
        assert len(ids) == len(set(ids)) == len(valid)
    finally:
        first.stop()
        second.stop()


def test_historical_rules_and_endpoint(tmp_path: Path, server: LocalEventsServer) -> None:
    good = [batch(i, OLD_MS + i) for i in range(5)]
    recent = batch(100, NOW_MS - 3600_000)
    untimed = batch(101)
    empty = {"environment": "production", "user_identities": {"customer_id": "c102"}, "events": []}
    data = write_lines(tmp_path / "old.jsonl", [json.dumps(b) for b in [*good, recent, untimed, empty]])
    assert main(["send", str(data), "--historical", *conn(server)]) == 1
    assert sorted(received_ids(server)) == sorted(f"c{i}" for i in range(5))
    assert {r.path for r in server.requests} == {"/v2/bulkevents/historical"}
    rules = {r["line"]: {p["rule"] for p in r["problems"]} for r in rejects_of(tmp_path / "old.jsonl.rejects.jsonl")}
    assert rules == {6: {"historical_too_recent"}, 7: {"historical_timestamp"}, 8: {"historical_no_events"}}
    # without --historical the same recent, untimed and empty batches are fine
    server.reset()
    assert main(["send", str(data), *conn(server)]) == 0
    assert len(server.batches) == 8


def test_dry_run_sends_nothing(tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]) -> None:
    lines, valid, invalid = mixed_lines(400)
    data = write_lines(tmp_path / "events.jsonl", lines)
    assert main(["send", str(data), "--dry-run", "--host", server.url]) == 1
    assert server.request_count == 0
    assert len(rejects_of(tmp_path / "events.jsonl.rejects.dry-run.jsonl")) == len(invalid)
    assert not (tmp_path / "events.jsonl.rejects.jsonl").exists()
    assert not (tmp_path / "events.jsonl.checkpoint.json").exists()
    err = capsys.readouterr().err
    assert f"{len(valid)} valid (would be sent in 4 requests)" in err
    ok = write_lines(tmp_path / "ok.jsonl", [json.dumps(batch(i)) for i in range(3)])
    assert main(["send", str(ok), "--dry-run"]) == 0  # no credentials needed
    assert "3 valid (would be sent in 1 request)" in capsys.readouterr().err


def test_json_array_single_object_and_pretty_inputs(tmp_path: Path, server: LocalEventsServer) -> None:
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps([batch(i) for i in range(250)], indent=2))
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps([batch(i) for i in range(250, 300)]))
    single = tmp_path / "single.json"
    single.write_text(json.dumps(batch(300), indent=4))
    rejects = tmp_path / "rejects.jsonl"
    args = ["send", str(pretty), str(compact), str(single), "--reject-file", str(rejects)]
    assert main([*args, *conn(server)]) == 0
    assert sorted(received_ids(server)) == sorted(f"c{i}" for i in range(301))
    assert not rejects.exists()
    # elements on one line still get distinct, stable ids
    ids = [b["source_request_id"] for b in server.batches]
    assert len(set(ids)) == 301


def test_array_with_a_broken_element_keeps_going(tmp_path: Path, server: LocalEventsServer) -> None:
    text = "[\n" + ",\n".join(json.dumps(batch(i)) for i in range(3)) + ",\n{broken,\n" + json.dumps(batch(3)) + "\n]\n"
    data = tmp_path / "a.json"
    data.write_text(text)
    assert main(["send", str(data), *conn(server)]) == 1
    assert sorted(received_ids(server)) == ["c0", "c1", "c2", "c3"]
    (reject,) = rejects_of(tmp_path / "a.json.rejects.jsonl")
    assert reject["line"] == 5 and reject["index"] == 3 and reject["problems"][0]["rule"] == "json"


def test_stdin(tmp_path: Path, server: LocalEventsServer) -> None:
    payload = "\n".join(json.dumps(batch(i)) for i in range(120)).encode()
    result = run_cli("send", "-", *conn(server), "--checkpoint", str(tmp_path / "cp.json"), stdin=payload)
    assert result.returncode == 0, result.stderr
    assert sorted(received_ids(server)) == sorted(f"c{i}" for i in range(120))
    assert b"120 sent" in result.stderr


@pytest.mark.subprocess
def test_ctrl_c_while_waiting_on_stdin(tmp_path: Path, server: LocalEventsServer) -> None:
    """A slow stdin: partial requests go out after a second; Ctrl-C stops the wait at once."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = ["send", "-", *conn(server), "--checkpoint", str(tmp_path / "cp.json")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mparticle", *args], env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None
    proc.stdin.write("".join(json.dumps(batch(i)) + "\n" for i in range(50)).encode())
    proc.stdin.flush()
    assert server.wait_for(50, timeout=10)  # sent although stdin is still open
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert len(server.batches) == 50
    entry = json.loads((tmp_path / "cp.json").read_text())["files"]["<stdin>"]
    assert entry["records_done"] == 50


def test_server_rejected_batch_is_isolated(tmp_path: Path, server: LocalEventsServer) -> None:
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(150)])
    server.script(*[Fault(status=400)] * 7)  # 100 -> 50 -> 25 -> 12 -> 6 -> 3 -> 1 batch
    assert main(["send", str(data), "--concurrency", "1", *conn(server)]) == 1
    ids = received_ids(server)
    assert len(ids) == len(set(ids)) == 149 and "c0" not in ids
    (reject,) = rejects_of(tmp_path / "events.jsonl.rejects.jsonl")
    assert reject["line"] == 1 and "rejected by the server: HTTP 400" in reject["reason"]


def test_throttling_and_outages_are_retried(tmp_path: Path, server: LocalEventsServer) -> None:
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(3000)])
    server.set_fault_rates(throttle=0.3, throttle_retry_after="0", unavailable=0.05, drop=0.05, seed=7)
    assert main(["send", str(data), *conn(server, "--max-retries", "10")]) == 0
    ids = received_ids(server)
    assert len(ids) == len(set(ids)) == 3000


@pytest.mark.parametrize(
    "setup, args, expected",
    [
        ("ok", [], 0),
        ("missing-file", [], 2),
        ("ok", ["--api-secret", "wrong"], 2),  # 403: authentication failure
        ("down", [], 2),  # nothing could be delivered
        ("ok", ["--concurrency", "0"], 2),
        ("ok", ["--no-such-flag"], 2),
    ],
)
def test_send_exit_codes(tmp_path: Path, server: LocalEventsServer, setup: str, args: List[str], expected: int) -> None:
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(10)])
    if setup == "missing-file":
        data = tmp_path / "nope.jsonl"
    if setup == "down":
        server.set_fault_rates(unavailable=1.0)
    assert main(["send", str(data), *conn(server, "--max-retries", "0", *args)]) == expected


def test_wrong_host_stops_the_run_and_rejects_nothing(tmp_path: Path, server: LocalEventsServer) -> None:
    """404 (and 405) mean a wrong host: like 401/403 the run stops with exit 2, and the batches
    stay to do (not written to the reject file, not marked done)."""
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(250)])
    wrong = ["--host", server.url.replace("/v2", "/v1"), "--api-key", KEY, "--api-secret", SECRET]
    assert main(["send", str(data), *wrong]) == 2
    assert server.status_counts == {404: server.request_count} and server.request_count <= 3
    assert not (tmp_path / "events.jsonl.rejects.jsonl").exists()
    entry = json.loads((tmp_path / "events.jsonl.checkpoint.json").read_text())["files"][str(data.resolve())]
    assert entry["done"] == [] and not entry["complete"]
    server.reset()
    assert main(["send", str(data), "--resume", *conn(server)]) == 0
    assert sorted(received_ids(server)) == sorted(f"c{i}" for i in range(250))


def just_under_the_batch_limit() -> Dict[str, Any]:
    """A valid batch that exceeds 128 KB only once its source_request_id is added."""
    big: Dict[str, Any] = {"environment": "development", "user_identities": {"customer_id": "big"}, "events": []}

    def add_event(text: str) -> None:
        data = {"event_name": "e", "custom_event_type": "other", "custom_attributes": {"a": text}}
        big["events"].append({"event_type": "custom_event", "data": data})

    def size() -> int:
        return len(json.dumps(big, separators=(",", ":")))

    while size() + 4200 < 128 * 1024:
        add_event("x" * 4000)
    add_event("")
    big["events"][-1]["data"]["custom_attributes"]["a"] = "y" * (128 * 1024 - 20 - size())
    return big


@pytest.mark.parametrize("dry_run", [False, True])
def test_batch_too_large_once_stamped_is_rejected(tmp_path: Path, server: LocalEventsServer, dry_run: bool) -> None:
    lines = [json.dumps(batch(0)), json.dumps(just_under_the_batch_limit()), json.dumps(batch(2))]
    data = write_lines(tmp_path / "events.jsonl", lines)
    assert main(["send", str(data), *(["--dry-run"] if dry_run else []), *conn(server)]) == 1
    (reject,) = rejects_of(
        tmp_path / ("events.jsonl.rejects.dry-run.jsonl" if dry_run else "events.jsonl.rejects.jsonl")
    )
    assert reject["line"] == 2 and reject["problems"][0]["rule"] == "max_bytes"
    assert "over the 131072-byte limit per batch" in reject["reason"]  # refused once stamped, not by validate
    assert sorted(received_ids(server)) == ([] if dry_run else ["c0", "c2"])


def test_send_without_credentials_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MPARTICLE_API_KEY", "MPARTICLE_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(1))])
    assert main(["send", str(data), "--host", "http://127.0.0.1:9/v2"]) == 2
    assert "no credentials" in capsys.readouterr().err


def test_resume_refuses_a_changed_file(tmp_path: Path, server: LocalEventsServer) -> None:
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(10)])
    assert main(["send", str(data), *conn(server)]) == 0
    assert main(["send", str(data), "--resume", *conn(server)]) == 0  # nothing left to do
    assert server.accepted_count == 10
    write_lines(data, [json.dumps(batch(i + 100)) for i in range(10)])
    assert main(["send", str(data), "--resume", *conn(server)]) == 2


def test_source_request_id_depends_on_the_input_the_offset_and_the_text_only() -> None:
    one = source_request_id("/data/a.jsonl", 120, '{"a": 1}')
    assert one == source_request_id("/data/a.jsonl", 120, '{"a": 1}') and uuid.UUID(one).version == 5
    others = {
        source_request_id("/data/b.jsonl", 120, '{"a": 1}'),
        source_request_id("/data/a.jsonl", 121, '{"a": 1}'),
        source_request_id("/data/a.jsonl", 120, '{"a": 2}'),
        source_request_id("<stdin>", 120, '{"a": 1}'),
    }
    assert len(others) == 4 and one not in others
    assert source_request_id("<stdin>", 0, "\udcff")  # text that is not valid UTF-8 still gets an id


@pytest.mark.parametrize("key", ["/data/a.jsonl", "<stdin>", "/data/caf\u00e9 \U0001f600.jsonl"])
@pytest.mark.parametrize("text", ['{"a": 1}', '{"\u00e9": "\udcff"}', ""])
def test_source_request_id_is_the_uuid5_of_the_input_the_offset_and_the_text_digest(key: str, text: str) -> None:
    """The ids of earlier runs stay valid: a resume must give a record the id it was sent with."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    for offset in (0, 7, 2**40):
        expected = uuid.uuid5(SOURCE_ID_NAMESPACE, f"{key}\n@{offset}\n{digest}")
        assert source_request_id(key, offset, text) == str(expected)


@pytest.mark.subprocess
def test_the_send_command_does_not_load_asyncio() -> None:
    """``mparticle send`` runs on threads: asyncio (and the modules it pulls in) stays unloaded."""
    code = "import sys, mparticle.cli.send; print('asyncio' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "False", done.stderr


# -- an unfinished checkpoint: --resume or --restart ------------------------------------------------


def unfinished_run(tmp_path: Path, server: LocalEventsServer) -> Path:
    """A run that delivers its first request, fails the rest (503) and rejects record 2."""
    lines = [json.dumps(batch(i, environment="staging" if i == 1 else "development")) for i in range(300)]
    data = write_lines(tmp_path / "events.jsonl", lines)
    server.script(Fault(), *[Fault(status=503)] * 100)
    assert main(["send", str(data), *conn(server, "--concurrency", "1", "--max-retries", "0")]) == 1
    server.reset()
    return data


def test_a_fresh_run_over_an_unfinished_checkpoint_asks_for_resume_or_restart(
    tmp_path: Path, server: LocalEventsServer
) -> None:
    data = unfinished_run(tmp_path, server)
    checkpoint, rejects = tmp_path / "events.jsonl.checkpoint.json", tmp_path / "events.jsonl.rejects.jsonl"
    before = (checkpoint.read_bytes(), rejects.read_bytes())
    result = run_cli("send", str(data), *conn(server))  # a real process: its exit code
    err = result.stderr.decode()
    assert result.returncode == 3, err
    assert f"the checkpoint {checkpoint} is of an unfinished send ({data}: 101 records done)" in err
    assert "give --resume to continue it, or --restart to discard it" in err
    assert server.request_count == 0 and (checkpoint.read_bytes(), rejects.read_bytes()) == before  # nothing done
    assert main(["send", str(data), "--dry-run"]) == 1  # a dry run writes no checkpoint: not refused
    assert main(["send", str(data), "--resume", "--restart", *conn(server)]) == 2  # one or the other
    assert main(["send", str(data), "--restart", *conn(server)]) == 1  # from the beginning: the reject again
    assert len(server.batches) == 299 and len(rejects_of(rejects)) == 1
    entry = json.loads(checkpoint.read_text())["files"][str(data.resolve())]
    assert entry["complete"] and entry["rejected"] == 1
    assert main(["send", str(data), *conn(server)]) == 1  # a finished checkpoint may be started over


def test_a_fresh_run_over_a_broken_checkpoint_is_refused_until_restart(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(i)) for i in range(3)])
    checkpoint = tmp_path / "events.jsonl.checkpoint.json"
    checkpoint.write_text('{"my": "notes"}')  # not ours: never overwritten silently
    assert main(["send", str(data), *conn(server)]) == 2
    assert "is not a checkpoint of mparticle send; start over with --restart" in capsys.readouterr().err
    assert checkpoint.read_text() == '{"my": "notes"}' and server.request_count == 0
    assert main(["send", str(data), "--restart", *conn(server)]) == 0
    assert json.loads(checkpoint.read_text())["tool"] == "mparticle send"


def test_resume_exit_code_and_summary_count_the_rejects_of_earlier_runs(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = unfinished_run(tmp_path, server)
    capsys.readouterr()
    assert main(["send", str(data), "--resume", *conn(server)]) == 1  # nothing rejected now; 1 before
    err = capsys.readouterr().err
    assert "199 sent" in err and "0 rejected" in err and "1 rejected in earlier runs" in err
    checkpoint = json.loads((tmp_path / "events.jsonl.checkpoint.json").read_text())
    entry = checkpoint["files"][str(data.resolve())]
    assert entry["complete"] and entry["rejected"] == 1  # remembered across runs
    assert main(["send", str(data), "--resume", *conn(server)]) == 1  # and by every later resume
    assert "1 rejected in earlier runs" in capsys.readouterr().err
    clean = write_lines(tmp_path / "clean.jsonl", [json.dumps(batch(i)) for i in range(3)])
    assert main(["send", str(clean), *conn(server)]) == 0
    assert main(["send", str(clean), "--resume", *conn(server)]) == 0  # nothing rejected, ever: 0


def test_send_names_the_missing_credential_and_sends_nothing(
    tmp_path: Path, server: LocalEventsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MPARTICLE_API_KEY", "MPARTICLE_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    data = write_lines(tmp_path / "events.jsonl", [json.dumps(batch(1))])
    assert main(["send", str(data), "--host", server.url, "--api-key", "the-key-value"]) == 2
    err = capsys.readouterr().err
    assert "--api-secret missing; give --api-secret or set MPARTICLE_API_SECRET" in err and "--api-key" not in err
    assert "the-key-value" not in err and server.request_count == 0
    assert main(["demo", "--api-key", "the-key-value"]) == 2  # one credential alone is an error too
    err = capsys.readouterr().err
    assert "--api-secret is missing" in err and "the-key-value" not in err


def test_send_max_batches_per_second_spaces_the_requests(tmp_path: Path, server: LocalEventsServer) -> None:
    data = write_lines(tmp_path / "capped.jsonl", [json.dumps(batch(i)) for i in range(60)])
    started = time.monotonic()
    assert main(["send", str(data), "--quiet", "--max-batches-per-second", "40", *conn(server)]) == 0
    elapsed = time.monotonic() - started
    assert sorted(received_ids(server)) == sorted(f"c{i}" for i in range(60))
    # a quarter second of the rate per request (10 batches), each request 0.25 s after the one before
    assert [len(r.batches) for r in server.requests] == [10] * 6
    starts = [r.received_at for r in server.requests]
    assert all(later - earlier >= 0.2 for earlier, later in zip(starts, starts[1:])), starts
    assert elapsed >= 1.2


def test_send_paces_by_the_account_limit_unless_told_not_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mparticle.cli.upload as upload

    built: List[Dict[str, Any]] = []  # the options send gave its uploader
    real = upload.BatchUploader

    def spy(*args: Any, **options: Any) -> Any:
        built.append(options)
        return real(*args, **options)

    monkeypatch.setattr(upload, "BatchUploader", spy)
    data = write_lines(tmp_path / "burst.jsonl", [json.dumps(batch(i)) for i in range(1000)])
    refused = {}
    for flag in ([], ["--no-pacing"]):
        with LocalEventsServer(KEY, SECRET, rate_limit=250) as limited:
            assert main(["send", str(data), "--quiet", "--restart", *flag, *conn(limited, "--max-retries", "20")]) == 0
            assert sorted(received_ids(limited)) == sorted(f"c{i}" for i in range(1000))
            refused[bool(flag)] = [r.status for r in limited.requests].count(429)
    assert [options["pacing"] for options in built] == [True, False]
    assert refused[False] < refused[True], refused  # e.g. 3-7 against 11-13
