"""The demo command (mparticle/demo.py): against the embedded endpoint and a configured host."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from mparticle.testing import LocalEventsServer


def test_demo_prints_what_the_local_endpoint_received(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MPARTICLE_API_KEY", "MPARTICLE_API_SECRET", "MPARTICLE_HOST"):
        monkeypatch.delenv(name, raising=False)
    from mparticle import demo

    out = io.StringIO()
    assert demo.run(out=out) == 0
    text = out.getvalue()
    assert "upload_events -> HTTP 202" in text and "bulk_upload_events (3 batches) -> HTTP 202" in text
    assert "POST /v2/events -> 202" in text and "POST /v2/bulkevents -> 202" in text
    assert text.count("session_start, custom_event, commerce_event, screen_view, session_end") == 4
    # the data plan part: fetched over real HTTP from the embedded planning API, then applied
    assert "\n  POST /oauth/token -> 200\n  GET /platform/v2/workspaces/1/plans/demo_plan/versions/1 -> 200\n" in text
    from mparticle import dataplan

    if dataplan.available_backends():
        assert text.endswith(
            "  the example batch against <DataPlan demo_plan v1: 6 points>: 1 violation\n"
            '    user_attributes: unplanned attribute "favorite_foods" [unplanned]\n'
        )
    else:
        assert text.endswith('install the extra: pip install "mparticle[dataplan]"\n')


def test_demo_sends_to_a_configured_host_with_credentials() -> None:
    from mparticle import demo

    with LocalEventsServer("real-key", "real-secret") as remote:
        out = io.StringIO()
        assert demo.run("real-key", "real-secret", host=remote.url, out=out) == 0
        assert "Sending to " + remote.url in out.getvalue()
        assert remote.accepted_count == 4


@pytest.mark.subprocess
def test_python_m_mparticle_demo_subprocess() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mparticle", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert result.returncode == 0, result.stderr
    assert "The endpoint received 2 requests:" in result.stdout
    assert "1 batch\n" in result.stdout and "3 batches\n" in result.stdout
