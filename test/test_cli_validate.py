"""``mparticle validate``: one line per problem, by file, line and path; never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from test_cli import NOW_MS, OLD_MS, batch, mixed_lines, write_lines

from mparticle.cli import main
from mparticle.cli.validate import _join_path, check_batch, run_validate


def test_validate_output_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines, _, invalid = mixed_lines(80)
    data = write_lines(tmp_path / "events.jsonl", lines)
    assert main(["validate", str(data)]) == 1
    out, err = capsys.readouterr()
    printed = out.splitlines()
    assert f"{data}:4: environment: " in printed[0] and printed[0].endswith("[environment]")
    assert any(p.startswith(f"{data}:14: events[0].data.event_name: ") and p.endswith("[required]") for p in printed)
    assert any(p.startswith(f"{data}:34: <batch>: invalid JSON") and p.endswith("[json]") for p in printed)
    assert {int(p.split(":")[1]) for p in printed} == set(invalid)
    assert "80 batches, 72 valid, 8 invalid" in err
    array = tmp_path / "array.json"
    array.write_text(json.dumps([batch(1), batch(2, environment="qa")]))
    assert main(["validate", str(array)]) == 1
    assert capsys.readouterr().out.startswith(f"{array}:1: [1].environment: ")
    good = write_lines(tmp_path / "good.jsonl", [json.dumps(batch(i, OLD_MS)) for i in range(3)])
    assert main(["validate", "--historical", str(good)]) == 0
    assert main(["validate", str(tmp_path / "missing.json")]) == 2


def test_validate_historical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_lines(tmp_path / "b.jsonl", [json.dumps(batch(1, NOW_MS)), json.dumps(batch(2))])
    assert main(["validate", str(data)]) == 0
    assert main(["validate", "--historical", str(data)]) == 1
    out = capsys.readouterr().out
    assert "[historical_too_recent]" in out and "[historical_timestamp]" in out


def test_validate_reads_stdin_and_quiet_prints_only_the_summary() -> None:
    raw = (json.dumps(batch(1)) + "\n" + json.dumps(batch(2, environment="qa")) + "\n").encode()
    out, err = io.StringIO(), io.StringIO()
    args = SimpleNamespace(files=["-"], historical=False, quiet=False)
    assert run_validate(args, stdin=io.BytesIO(raw), out=out, err=err) == 1
    assert out.getvalue().startswith("<stdin>:2: environment: ")
    assert err.getvalue() == "validate: 2 batches, 1 valid, 1 invalid (1 problem)\n"
    quiet, err = io.StringIO(), io.StringIO()
    args = SimpleNamespace(files=["-"], historical=False, quiet=True)
    assert run_validate(args, stdin=io.BytesIO(raw), out=quiet, err=err) == 1
    assert quiet.getvalue() == "" and "1 invalid" in err.getvalue()


def test_an_unreadable_file_is_reported_and_the_others_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_lines(tmp_path / "good.jsonl", [json.dumps(batch(1))])
    assert main(["validate", str(tmp_path / "missing.jsonl"), str(good)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read {tmp_path / 'missing.jsonl'}" in err and "1 batches, 1 valid, 0 invalid" in err


def test_check_batch_turns_a_validator_failure_into_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    import mparticle.validation

    assert check_batch(batch(1), historical=False) == []

    def fail(exc: BaseException) -> Callable[..., Any]:
        def validate(*args: Any, **kwargs: Any) -> Any:
            raise exc

        return validate

    monkeypatch.setattr(mparticle.validation, "validate", fail(RecursionError()))
    (deep,) = check_batch(batch(1), historical=False)
    assert (deep.path, deep.rule, deep.message) == ("", "nesting", "the batch is nested too deeply to be validated")
    monkeypatch.setattr(mparticle.validation, "validate", fail(KeyError("x")))
    (odd,) = check_batch(batch(1), historical=False)
    assert odd.rule == "validator" and odd.message == "the batch could not be validated (KeyError: 'x')"


@pytest.mark.parametrize(
    "prefix, path, joined",
    [
        ("", "", "<batch>"),
        ("[2]", "", "[2]"),
        ("", "events[0].data", "events[0].data"),
        ("[2]", "environment", "[2].environment"),
        ("[2]", "[0]", "[2][0]"),
    ],
)
def test_problem_paths_inside_an_array(prefix: str, path: str, joined: str) -> None:
    assert _join_path(prefix, path) == joined


def test_a_closed_output_pipe_ends_validate_quietly(tmp_path: Path) -> None:
    """``mparticle validate big.jsonl | head -1``: no error message, exit 141 (128 + SIGPIPE)."""
    import subprocess
    import sys

    path = tmp_path / "big.jsonl"
    path.write_text('{"environment": "staging"}\n' * 20_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mparticle", "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does after its line
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert first.startswith(str(path).encode() + b":1: environment:")
    assert err == b""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from mparticle import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"mparticle {__version__}\n"


def test_warnings_are_printed_but_leave_the_batch_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seconds = batch(1, 1_700_000_000)  # a timestamp in seconds
    nobody = {"environment": "production", "events": batch(2)["events"]}
    data = write_lines(tmp_path / "w.jsonl", [json.dumps(seconds), json.dumps(nobody), json.dumps(batch(3))])
    assert main(["validate", str(data)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{data}:1: events[0].data.timestamp_unixtime_ms: warning: `events[0].data.timestamp_unixtime_ms` is "
        "1700000000, as milliseconds 1970-01-20: it looks like seconds (1700000000000 would be 2023-11-14) [timestamp]",
        f"{data}:2: <batch>: warning: the batch has no user identity, mpid or device id: mParticle has no user to "
        "attach it to; set user_identities (e.g. customer_id), mpid or a device_info id [no_user]",
    ]
    assert err == "validate: 3 batches, 3 valid, 0 invalid (0 problems), 2 warnings\n"
    assert check_batch(seconds, historical=False) == []  # what send checks: errors only
