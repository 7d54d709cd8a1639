"""``mparticle serve``: the embedded endpoint on 127.0.0.1, its output, scripted faults, a chosen port."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import List, Tuple

import pytest
from conftest import FAST_RETRIES, wait_until
from test_cli import ROOT, batch

from mparticle.cli import build_parser, main
from mparticle.cli.serve import describe_batch, describe_request, parse_script, run_serve
from mparticle.testing import Fault, RecordedRequest


@pytest.mark.subprocess
def test_serve_prints_requests_and_stops_on_ctrl_c() -> None:
    import mparticle

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mparticle", "serve", "--script", "429,202", "--retry-after", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Listening on http://127.0.0.1:")
        url = first.split()[2]
        config = mparticle.Configuration(api_key="test-key", api_secret="test-secret", host=url)
        mparticle.EventsApi(config).bulk_upload_events([batch(1), batch(2)])
        deadline = time.monotonic() + 10
        seen: List[str] = []
        while time.monotonic() < deadline and not any("-> 202" in s for s in seen):
            seen.append(proc.stdout.readline())
        proc.send_signal(signal.SIGINT)
        rest = proc.stdout.read()  # (communicate() would bypass what readline() buffered)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    text = "".join(seen) + rest
    assert "POST /v2/bulkevents -> 429" in text and "(fault)" in text
    assert "POST /v2/bulkevents -> 202, 2 batches" in text
    assert "customer_id=c1" in text and "customer_id=c2" in text
    assert "served 2 requests" in text and "2 batches accepted" in text
    assert proc.returncode == 0


def test_serve_rejects_a_bad_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--script", "429,oops"]) == 2
    assert "oops" in capsys.readouterr().err


def test_parse_script() -> None:
    assert parse_script(" 429, 503 ,drop,,202", retry_after="0") == [
        Fault(status=429, retry_after="0"),
        Fault(status=503),
        Fault(drop=True),
        Fault(status=202),
    ]
    with pytest.raises(ValueError, match="'oops' is not a status code"):
        parse_script("429,oops")
    with pytest.raises(ValueError, match="700 is not an HTTP status"):
        parse_script("700")


def _request(status: int, batches: int = 0, faulted: bool = False, error: str = "") -> RecordedRequest:
    from mparticle.testing import Headers

    return RecordedRequest(
        method="POST",
        path="/v2/bulkevents",
        headers=Headers(),
        raw_headers=[],
        body=b"x" * 1500,
        status=status,
        batches=[batch(i) for i in range(batches)],
        received_at=0.0,
        error=error or None,
        faulted=faulted,
        wire_size=1234,
    )


def test_describe_request() -> None:
    assert describe_request(_request(202, 3)).split(" ", 1)[1] == "POST /v2/bulkevents -> 202, 3 batches, 1,234 bytes"
    assert describe_request(_request(202, 1)).endswith("-> 202, 1 batch, 1,234 bytes")
    assert describe_request(_request(429, faulted=True)).endswith("-> 429, 1,234 bytes (fault)")
    assert describe_request(_request(0, faulted=True)).endswith("-> dropped, 1,234 bytes (fault)")
    assert describe_request(_request(400, error="bad batch")).endswith("-> 400, 1,234 bytes: bad batch")


def test_describe_batch() -> None:
    one = batch(1)
    one["events"].append(one["events"][0])
    one["source_request_id"] = "abc"
    assert describe_batch(one) == (
        "    batch: development; customer_id=c1; custom_event x2; source_request_id=abc"
    )
    assert describe_batch({}) == "    batch: -; no identities; no events"
    assert describe_batch({"user_identities": ["x"], "events": ["?"]}) == "    batch: -; ?; ?"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_in_thread(argv: List[str]) -> Tuple[threading.Thread, threading.Event, io.StringIO, List[int]]:
    args = build_parser().parse_args(["serve", *argv])
    out, stop, codes = io.StringIO(), threading.Event(), []
    thread = threading.Thread(target=lambda: codes.append(run_serve(args, out=out, stop=stop)), daemon=True)
    thread.start()
    return thread, stop, out, codes


def test_serve_in_process_on_a_chosen_port_until_stopped() -> None:
    import mparticle

    port = _free_port()
    thread, stop, out, codes = _serve_in_thread(["--port", str(port), "--requests-only", "--script", "503"])
    try:
        assert wait_until(lambda: "Listening on" in out.getvalue())
        assert f"Listening on http://127.0.0.1:{port}/v2 " in out.getvalue()
        url = f"http://127.0.0.1:{port}/v2"
        config = mparticle.Configuration(api_key="test-key", api_secret="test-secret", host=url, retries=FAST_RETRIES)
        mparticle.EventsApi(config).bulk_upload_events([batch(1)])
        assert wait_until(lambda: "-> 202" in out.getvalue())
    finally:
        stop.set()
        thread.join(10)
    assert codes == [0]
    text = out.getvalue()
    assert "-> 503" in text and "-> 202, 1 batch," in text and "batch: " not in text  # --requests-only
    assert text.endswith("served 2 requests (202: 1, 503: 1), 1 batches accepted\n")


def test_serve_on_a_port_in_use_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert "mparticle serve: error:" in capsys.readouterr().err


def test_sigterm_stops_serve_and_its_handlers_are_restored() -> None:
    """In the main thread serve routes SIGINT/SIGTERM to its stop (through the helper send uses)."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    out = io.StringIO()

    def terminate() -> None:
        if wait_until(lambda: "Listening on" in out.getvalue()):
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate, daemon=True)
    killer.start()
    assert run_serve(build_parser().parse_args(["serve"]), out=out) == 0
    killer.join()
    assert out.getvalue().endswith("served 0 requests (none), 0 batches accepted\n")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
