"""The command line's entry points (``mparticle``, ``python -m mparticle``) and the helpers the
other ``test_cli_*`` modules share: batches, input files and connection flags for the embedded
endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from mparticle.cli import build_parser, main
from mparticle.testing import LocalEventsServer

KEY, SECRET = "test-key", "test-secret"
ROOT = Path(__file__).resolve().parent.parent
DAY_MS = 86_400_000
NOW_MS = int(time.time() * 1000)
OLD_MS = NOW_MS - 40 * DAY_MS  # old enough for /bulkevents/historical


# -- helpers ------------------------------------------------------------------------------------


def batch(i: int, ts: Optional[int] = None, **extra: Any) -> Dict[str, Any]:
    """A small valid batch whose customer_id ``c<i>`` identifies it."""
    data: Dict[str, Any] = {"event_name": f"e{i}", "custom_event_type": "other"}
    if ts is not None:
        data["timestamp_unixtime_ms"] = ts
    out = {
        "environment": "development",
        "user_identities": {"customer_id": f"c{i}"},
        "events": [{"event_type": "custom_event", "data": data}],
    }
    out.update(extra)
    return out


def mixed_lines(n: int, ts: Optional[int] = None) -> Tuple[List[str], Dict[int, str], Dict[int, str]]:
    """``n`` JSON lines, one in ten invalid in one of four ways.

    Returns (lines, valid customer ids by line number, expected reject rule by line number)."""
    lines: List[str] = []
    valid: Dict[int, str] = {}
    invalid: Dict[int, str] = {}
    for i in range(n):
        line_no = i + 1
        b = batch(i, ts)
        kind = i % 40
        if kind == 3:
            b["environment"] = "staging"
            invalid[line_no] = "environment"
        elif kind == 13:
            del b["events"][0]["data"]["event_name"]
            invalid[line_no] = "required"
        elif kind == 23:
            b["user_identities"] = {"customerid": "x"}
            invalid[line_no] = "identity_key"
        elif kind == 33:
            lines.append(json.dumps(b)[:-7])  # truncated line: invalid JSON
            invalid[line_no] = "json"
            continue
        else:
            valid[line_no] = f"c{i}"
        lines.append(json.dumps(b))
    return lines, valid, invalid


def write_lines(path: Path, lines: List[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def conn(server: LocalEventsServer, *more: str) -> List[str]:
    return ["--host", server.url, "--api-key", KEY, "--api-secret", SECRET, "--max-retries", "2", *more]


def received_ids(*servers: LocalEventsServer) -> List[str]:
    return [b["user_identities"]["customer_id"] for s in servers for b in s.batches]


def rejects_of(path: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_cli(*args: str, stdin: Optional[bytes] = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "mparticle", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env,
        cwd=str(ROOT),
    )


# -- the entry points -----------------------------------------------------------------------------


def test_demo_still_works(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MPARTICLE_API_KEY", "MPARTICLE_API_SECRET", "MPARTICLE_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "embedded endpoint" in out and "bulk_upload_events (3 batches) -> HTTP 202" in out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "send" in capsys.readouterr().err


@pytest.mark.subprocess
def test_the_console_script_and_python_m_run_the_same_main() -> None:
    import mparticle.__main__  # noqa: F401 - must import cleanly (it only runs main() as __main__)

    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '\nmparticle = "mparticle.cli:main"\n' in pyproject  # [project.scripts]
    assert mparticle.__main__.main is main
    result = run_cli("--help")
    assert result.returncode == 0 and b"send" in result.stdout and b"serve" in result.stdout


def test_every_command_has_its_sub_parser() -> None:
    parser = build_parser()
    assert parser.parse_args(["send", "a.jsonl"]).command == "send"
    assert parser.parse_args(["validate", "a.jsonl"]).command == "validate"
    assert parser.parse_args(["serve"]).command == "serve"
    assert parser.parse_args(["demo"]).command == "demo"


@pytest.mark.parametrize(
    "args, message",
    [
        (["send", "x", "--max-retries", "-1"], "must not be negative"),
        (["send", "x", "--retry-timeout", "0"], "must be positive"),
        (["send", "x", "--max-batches-per-second", "0.001"], "at least 0.01"),
        (["send", "x", "--max-batches-per-second", "inf"], "must be a number of batches per second"),
        (["serve", "--drop-rate", "1.5"], "must be between 0 and 1"),
        (["serve", "--port", "70000"], "must be between 0 and 65535"),
    ],
)
def test_bad_flag_values_are_usage_errors(args: List[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err
