"""Fetching data plans (mparticle.dataplan.api) end to end against LocalPlanningServer on
127.0.0.1: the token request, caching and refresh, 401/429/5xx, errors, secrets kept out of
logs, reprs and exceptions, hostile responses, and ``mparticle dataplan fetch``."""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List
from unittest.mock import ANY

import pytest
from conftest import FakeClock, run_in_threads

from mparticle.cli import main
from mparticle.configuration import Configuration
from mparticle.dataplan.api import (
    TOKEN_REFRESH_MARGIN,
    MissingClientCredentialsError,
    PlanningClient,
    PlanningResponseError,
    fetch_document,
)
from mparticle.rest import ApiException, RESTClientObject
from mparticle.retry import RetryPolicy
from mparticle.testing import Fault, LocalPlanningServer
from mparticle.transport.traffic import TrafficLog

CLIENT_ID, CLIENT_SECRET = "client-id-123", "s3cr3t-Pa55-\"quoted\"-\\-value"
WORKSPACE, PLAN_ID = 1234, "acme_plan"
VERSION_1: Dict[str, Any] = {
    "version": 1,
    "data_plan_id": PLAN_ID,
    "activated_environment": "development",
    "version_document": {"data_points": []},
}
VERSION_2: Dict[str, Any] = {
    "version": 2,
    "data_plan_id": PLAN_ID,
    "activated_environment": "production",
    "version_document": {
        "data_points": [
            {
                "match": {"type": "screen_view", "criteria": {"screen_name": "Checkout"}},
                "validator": {"type": "json_schema", "definition": {"properties": {"data": {"type": "object"}}}},
            }
        ]
    },
}
PLAN: Dict[str, Any] = {
    "data_plan_id": PLAN_ID,
    "data_plan_name": "Acme plan",
    "data_plan_versions": [VERSION_1, VERSION_2],
}
FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.004, total_timeout=120.0, max_retry_after=60.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def planning(clock: FakeClock) -> Iterator[LocalPlanningServer]:
    plans = {WORKSPACE: [PLAN]}
    with LocalPlanningServer(CLIENT_ID, CLIENT_SECRET, plans=plans, token_lifetime=3600, clock=clock) as s:
        yield s
    assert not s.errors


def client_for(server: LocalPlanningServer, clock: FakeClock, **options: Any) -> PlanningClient:
    options.setdefault("retries", FAST)
    return PlanningClient(
        options.pop("client_id", CLIENT_ID),
        options.pop("client_secret", CLIENT_SECRET),
        token_url=server.token_url,
        api_url=server.api_url,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


@pytest.fixture
def client(planning: LocalPlanningServer, clock: FakeClock) -> Iterator[PlanningClient]:
    with client_for(planning, clock) as c:
        yield c


def tokens_sent(server: LocalPlanningServer) -> List[str]:
    """The bearer tokens the API requests carried."""
    return [r.headers["Authorization"].split(" ", 1)[1] for r in server.requests if "Authorization" in r.headers]


def missing_version(version: int) -> str:
    return f"The specified version {version} in plan ID {PLAN_ID} was not found in workspace {WORKSPACE}."


def statuses(server: LocalPlanningServer) -> List[tuple[str, int]]:
    return [("token" if r.path == "/oauth/token" else "api", r.status) for r in server.requests]


# -- the happy path ---------------------------------------------------------------------------------
def test_token_request_has_the_exact_body_and_headers(planning: LocalPlanningServer, client: PlanningClient) -> None:
    client.fetch_document(WORKSPACE, PLAN_ID)
    token_request, api_request = planning.requests
    assert (token_request.method, token_request.path, token_request.status) == ("POST", "/oauth/token", 200)
    assert token_request.body == json.dumps(
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "audience": "https://api.mparticle.com",
            "grant_type": "client_credentials",
        },
        separators=(",", ":"),
    ).encode()
    assert token_request.headers["Content-Type"] == "application/json"
    assert token_request.headers["Accept"] == "application/json"
    assert "Authorization" not in token_request.headers
    assert (api_request.method, api_request.path) == ("GET", f"/platform/v2/workspaces/{WORKSPACE}/plans/{PLAN_ID}")
    assert api_request.headers["Authorization"].startswith("Bearer ") and len(tokens_sent(planning)[0]) > 20
    assert api_request.headers["Accept"] == "application/json" and api_request.body == b""


def test_fetches_a_whole_plan_and_one_version(planning: LocalPlanningServer, client: PlanningClient) -> None:
    assert client.fetch_document(WORKSPACE, PLAN_ID) == PLAN
    assert client.fetch_document(str(WORKSPACE), PLAN_ID, 2) == VERSION_2
    assert planning.requests[-1].path == f"/platform/v2/workspaces/{WORKSPACE}/plans/{PLAN_ID}/versions/2"


def test_one_token_serves_many_fetches(planning: LocalPlanningServer, client: PlanningClient) -> None:
    for version in (None, 1, 2, None):
        client.fetch_document(WORKSPACE, PLAN_ID, version)
    assert planning.tokens_issued == 1
    assert statuses(planning) == [("token", 200)] + [("api", 200)] * 4
    assert len(set(tokens_sent(planning))) == 1


def test_token_is_refreshed_shortly_before_it_expires(
    planning: LocalPlanningServer, client: PlanningClient, clock: FakeClock
) -> None:
    client.fetch_document(WORKSPACE, PLAN_ID)
    clock.now += 3600 - TOKEN_REFRESH_MARGIN - 1  # one second before the refresh point: kept
    client.fetch_document(WORKSPACE, PLAN_ID)
    assert planning.tokens_issued == 1
    clock.now += 2  # within the last 60 s of its life: replaced before the request goes out
    client.fetch_document(WORKSPACE, PLAN_ID)
    assert planning.tokens_issued == 2
    first, _, second = tokens_sent(planning)
    assert first != second
    assert [s for s in planning.status_counts] == [200]  # no request was ever refused


def test_a_short_lived_token_is_refreshed_at_half_its_life(
    planning: LocalPlanningServer, client: PlanningClient, clock: FakeClock
) -> None:
    planning.token_lifetime = 100
    client.fetch_document(WORKSPACE, PLAN_ID)
    clock.now += 49
    client.fetch_document(WORKSPACE, PLAN_ID)
    assert planning.tokens_issued == 1
    clock.now += 2
    client.fetch_document(WORKSPACE, PLAN_ID)
    assert planning.tokens_issued == 2


def test_expired_token_on_the_server_gets_401_then_one_refresh(
    planning: LocalPlanningServer, client: PlanningClient
) -> None:
    client.fetch_document(WORKSPACE, PLAN_ID)
    planning.revoke_tokens()
    assert client.fetch_document(WORKSPACE, PLAN_ID, 1) == VERSION_1
    assert statuses(planning) == [("token", 200), ("api", 200), ("api", 401), ("token", 200), ("api", 200)]


def test_a_scripted_401_refreshes_the_token_and_retries_once(
    planning: LocalPlanningServer, client: PlanningClient
) -> None:
    planning.script(401)
    assert client.fetch_document(WORKSPACE, PLAN_ID) == PLAN
    assert planning.tokens_issued == 2
    first, second = tokens_sent(planning)
    assert first != second


def test_a_second_401_is_an_error(planning: LocalPlanningServer, client: PlanningClient) -> None:
    planning.script(401, 401)
    with pytest.raises(ApiException) as caught:
        client.fetch_document(WORKSPACE, PLAN_ID)
    assert caught.value.status == 401
    assert "a new access token was refused too" in str(caught.value.reason)
    assert statuses(planning) == [("token", 200), ("api", 401), ("token", 200), ("api", 401)]


def test_429_with_retry_after_is_waited_out(
    planning: LocalPlanningServer, client: PlanningClient, clock: FakeClock
) -> None:
    planning.script(Fault(status=429, retry_after="7"))
    assert client.fetch_document(WORKSPACE, PLAN_ID) == PLAN
    assert clock.sleeps == [7.0]
    assert statuses(planning) == [("token", 200), ("api", 429), ("api", 200)]


def test_429_on_the_token_endpoint_is_waited_out_too(
    planning: LocalPlanningServer, client: PlanningClient, clock: FakeClock
) -> None:
    planning.script_token(Fault(status=429, retry_after="3"))
    assert client.fetch_document(WORKSPACE, PLAN_ID) == PLAN
    assert clock.sleeps == [3.0]
    assert statuses(planning) == [("token", 429), ("token", 200), ("api", 200)]


def test_an_absurd_retry_after_is_bounded(planning: LocalPlanningServer, clock: FakeClock) -> None:
    with client_for(planning, clock, retries=None) as c:  # the default policy: Retry-After honoured up to 60 s
        planning.script(Fault(status=429, retry_after="86400000"))
        assert c.fetch_document(WORKSPACE, PLAN_ID) == PLAN
    assert clock.sleeps == [60.0]


def test_429_beyond_the_retries_is_an_error_naming_retry_after(
    planning: LocalPlanningServer, clock: FakeClock
) -> None:
    with client_for(planning, clock, retries=RetryPolicy.disabled()) as c:
        planning.script(Fault(status=429, retry_after="5"))
        with pytest.raises(ApiException) as caught:
            c.fetch_document(WORKSPACE, PLAN_ID)
    assert caught.value.status == 429 and caught.value.retry_after == 5.0
    assert caught.value.reason == "Too many requests."


def test_5xx_and_dropped_connections_are_retried(
    planning: LocalPlanningServer, client: PlanningClient, clock: FakeClock
) -> None:
    planning.script(503, Fault(drop=True), 500)
    assert client.fetch_document(WORKSPACE, PLAN_ID) == PLAN
    assert len(clock.sleeps) == 3


def test_concurrent_fetches_share_one_token(planning: LocalPlanningServer, client: PlanningClient) -> None:
    run_in_threads(lambda version: client.fetch_document(WORKSPACE, PLAN_ID, version), [1, 2, None, 1, 2, None])
    assert planning.tokens_issued == 1


# -- error answers ----------------------------------------------------------------------------------
def test_a_missing_version_is_404_with_the_api_message(client: PlanningClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.fetch_document(WORKSPACE, PLAN_ID, 9)
    assert caught.value.status == 404
    assert caught.value.reason == missing_version(9)
    assert json.loads(caught.value.body or "") == {"errors": [{"message": caught.value.reason}]}


def test_a_missing_plan_or_workspace_is_404(client: PlanningClient) -> None:
    for workspace, plan in ((WORKSPACE, "other_plan"), (999, PLAN_ID)):
        with pytest.raises(ApiException) as caught:
            client.fetch_document(workspace, plan)
        assert caught.value.status == 404
        assert f"{plan} was not found in workspace {workspace}" in str(caught.value.reason)


def test_refused_credentials_are_a_401_from_the_token_endpoint(
    planning: LocalPlanningServer, clock: FakeClock
) -> None:
    with client_for(planning, clock, client_secret="wrong") as c:
        with pytest.raises(ApiException) as caught:
            c.fetch_document(WORKSPACE, PLAN_ID)
    assert caught.value.status == 401
    assert caught.value.reason == "the token endpoint refused the request: access_denied Unauthorized"
    assert statuses(planning) == [("token", 401)]


def test_missing_credentials_fail_before_anything_is_sent(
    planning: LocalPlanningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPARTICLE_CLIENT_ID", raising=False)
    monkeypatch.delenv("MPARTICLE_CLIENT_SECRET", raising=False)
    with pytest.raises(MissingClientCredentialsError) as caught:
        PlanningClient(token_url=planning.token_url, api_url=planning.api_url)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, ApiException) and error.status == 401
    assert error.missing == ("client_id", "client_secret")
    assert "MPARTICLE_CLIENT_ID" in str(error) and "MPARTICLE_CLIENT_SECRET" in str(error)
    with pytest.raises(MissingClientCredentialsError, match="MPARTICLE_CLIENT_SECRET") as only:
        fetch_document(WORKSPACE, PLAN_ID, client_id=CLIENT_ID, client_secret="  ", token_url=planning.token_url)
    assert only.value.missing == ("client_secret",) and "MPARTICLE_CLIENT_ID" not in str(only.value)
    assert planning.requests == []


def test_credentials_come_from_the_environment(planning: LocalPlanningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPARTICLE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MPARTICLE_CLIENT_SECRET", CLIENT_SECRET)
    document = fetch_document(WORKSPACE, PLAN_ID, 1, token_url=planning.token_url, api_url=planning.api_url)
    assert document == VERSION_1
    assert planning.requests[0].json()["client_secret"] == CLIENT_SECRET


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.fetch_document("12ab", PLAN_ID),
        lambda c: c.fetch_document(True, PLAN_ID),
        lambda c: c.fetch_document(WORKSPACE, "../other"),
        lambda c: c.fetch_document(WORKSPACE, ""),
        lambda c: c.fetch_document(WORKSPACE, PLAN_ID, -1),
        lambda c: c.fetch_document(WORKSPACE, PLAN_ID, True),
        lambda c: c.fetch_document(WORKSPACE, PLAN_ID, "2"),
    ],
)
def test_invalid_arguments_are_value_errors(planning: LocalPlanningServer, client: PlanningClient, call: Any) -> None:
    with pytest.raises(ValueError):
        call(client)
    assert planning.requests == []


def test_plain_http_is_refused_except_to_loopback() -> None:
    for url in ("http://api.mparticle.com/platform/v2", "api.mparticle.com", "ftp://x/y"):
        with pytest.raises(ValueError, match="api_url"):
            PlanningClient(CLIENT_ID, CLIENT_SECRET, api_url=url)
    with pytest.raises(ValueError, match="https://"):
        PlanningClient(CLIENT_ID, CLIENT_SECRET, token_url="http://sso.example.com/oauth/token")
    PlanningClient(CLIENT_ID, CLIENT_SECRET, token_url="http://localhost:1/oauth/token").close()  # nothing is sent


# -- secrets ----------------------------------------------------------------------------------------
def test_secret_and_tokens_are_never_logged_or_shown(
    planning: LocalPlanningServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    debug_lines: List[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: debug_lines.append(record.getMessage())  # type: ignore[method-assign]
    config = Configuration(debug=True, logger_stream_handler=handler)
    with client_for(planning, clock, configuration=config) as c:
        c.fetch_document(WORKSPACE, PLAN_ID)
        planning.revoke_tokens()  # a 401, a new token
        c.fetch_document(WORKSPACE, PLAN_ID, 2)
        planning.script(Fault(status=400, body=json.dumps({"errors": [{"message": f"bad {CLIENT_SECRET}"}]}).encode()))
        with pytest.raises(ApiException) as caught:
            c.fetch_document(WORKSPACE, PLAN_ID)
        shown = [repr(c), str(c.__dict__), repr(caught.value), str(caught.value)]
    tokens = tokens_sent(planning)
    assert len(set(tokens)) == 2
    assert "POST" in caplog.text and "oauth/token" in caplog.text and len(debug_lines) >= 8
    for text in [caplog.text, *debug_lines, *shown]:
        for secret in [CLIENT_SECRET, json.dumps(CLIENT_SECRET)[1:-1], *tokens]:
            assert secret not in text
    assert "bad <redacted>" in str(caught.value)


def test_echoed_secrets_are_removed_from_exceptions_and_logs(
    planning: LocalPlanningServer, client: PlanningClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fixed = "tok-FIXED-0123456789"
    planning.script_token(Fault(status=200, body=token_body(access_token=fixed, token_type="bearer")))
    echo = json.dumps({"errors": [{"message": f"token {fixed} lacks the scope"}]}).encode()
    planning.script(Fault(status=403, body=echo, headers={"X-Echo": f"Bearer {fixed}"}))
    with pytest.raises(ApiException) as caught:
        client.fetch_document(WORKSPACE, PLAN_ID)
    assert caught.value.status == 403 and caught.value.reason == "token <redacted> lacks the scope"
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    for text in (str(caught.value), repr(caught.value), caplog.text):
        assert fixed not in text
    bad_secret = json.dumps({"error": "invalid_client", "error_description": f"wrong secret {CLIENT_SECRET}"})
    planning.revoke_tokens()
    planning.script(401)
    planning.script_token(Fault(status=401, body=bad_secret.encode()))
    with pytest.raises(ApiException) as second:
        client.fetch_document(WORKSPACE, PLAN_ID)
    assert CLIENT_SECRET not in str(second.value) and CLIENT_SECRET not in caplog.text
    assert "wrong secret <redacted>" in str(second.value)


def test_traffic_log_redacts_credential_members_and_named_values(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mparticle.rest")
    log = TrafficLog(Configuration(api_key="", api_secret=""), lambda: ["hush-hush"])
    log.response("POST", "https://x/oauth/token", 200, 1.0, '{"access_token": "abc\\"def", "expires_in": 1}', False)
    log.request("POST", "https://x/oauth/token", {}, b'{"client_secret":"cut-off')
    log.failure("GET", "https://x/y", "echo hush-hush")
    assert '"access_token": "<redacted>", "expires_in": 1' in caplog.text
    assert '"client_secret":"<redacted>"' in caplog.text and "cut-off" not in caplog.text
    assert "echo <redacted>" in caplog.text and "hush-hush" not in caplog.text and "abc" not in caplog.text
    assert RESTClientObject(redact=lambda: ["v"]).log.redact() == ["v"]


# -- hostile responses ------------------------------------------------------------------------------
def token_body(**fields: Any) -> bytes:
    doc = {"access_token": "a-valid-token", "expires_in": 3600, "token_type": "Bearer", **fields}
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"<html>sorry</html>", "not JSON"),
        (b"", "empty body"),
        (b"[1, 2]", "expected a JSON object, got an array"),
        (token_body(access_token=...), "no access_token"),
        (token_body(access_token=""), "access_token is not a non-empty string"),
        (token_body(access_token=7), "access_token is not a non-empty string"),
        (token_body(access_token="a\r\nX-Injected: 1"), "not a bearer token"),
        (token_body(access_token="x" * 20000), "not a bearer token"),
        (token_body(token_type="mac"), "token_type is 'mac', not 'Bearer'"),
        (token_body(token_type=...), "token_type is None"),
        (token_body(expires_in=-5), "expires_in is -5"),
        (token_body(expires_in=0), "expires_in is 0"),
        (token_body(expires_in=1e12), "expires_in is 1000000000000.0"),
        (token_body(expires_in="3600"), "expires_in is a string"),
        (token_body(expires_in=True), "expires_in is a boolean"),
        (token_body(expires_in=...), "expires_in is null"),
        (b'{"access_token": "t", "token_type": "Bearer", "expires_in": NaN}', "expires_in is nan"),
        (b"[" * 100000, "not JSON"),
    ],
)
def test_unusable_token_responses_are_clear_errors(
    planning: LocalPlanningServer, client: PlanningClient, body: bytes, problem: str
) -> None:
    planning.script_token(Fault(status=200, body=body))
    with pytest.raises(PlanningResponseError) as caught:
        client.fetch_document(WORKSPACE, PLAN_ID)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, ApiException) and error.status == 200
    assert problem in str(error.reason) and "oauth/token" in str(error.reason)
    assert error.body is None  # a token response is never kept
    assert statuses(planning) == [("token", 200)]


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"<html>proxy error</html>", "not JSON (JSONDecodeError): '<html>proxy error</html>'"),
        (b"", "empty body"),
        (b'"a plan"', "expected a JSON object, got a string"),
        (b"null", "expected a JSON object, got null"),
        (b'{"a": ' + b"1" * 5000 + b"}", "not JSON (ValueError)"),  # beyond Python's int digits limit
    ],
)
def test_unusable_api_responses_are_clear_errors(
    planning: LocalPlanningServer, client: PlanningClient, body: bytes, problem: str
) -> None:
    planning.script(Fault(status=200, body=body))
    with pytest.raises(PlanningResponseError) as caught:
        client.fetch_document(WORKSPACE, PLAN_ID)
    assert problem in str(caught.value.reason)
    assert f"GET {planning.api_url}/workspaces/{WORKSPACE}/plans/{PLAN_ID}" in str(caught.value.reason)


def test_a_body_over_the_limit_is_cut_and_refused(planning: LocalPlanningServer, clock: FakeClock) -> None:
    huge = json.dumps({"data_plan_id": PLAN_ID, "padding": "x" * 200_000}).encode()
    planning.script(Fault(status=200, body=huge))
    with client_for(planning, clock, max_document_bytes=50_000) as c:
        with pytest.raises(PlanningResponseError, match="the body was cut \\(larger than 50,000 bytes"):
            c.fetch_document(WORKSPACE, PLAN_ID)


def test_a_hanging_server_ends_at_the_deadline(planning: LocalPlanningServer, clock: FakeClock) -> None:
    config = Configuration(connect_timeout=0.2, read_timeout=0.2)
    with client_for(planning, clock, configuration=config, retries=RetryPolicy.disabled()) as c:
        c.fetch_document(WORKSPACE, PLAN_ID)
        planning.script(Fault(delay=5.0))
        with pytest.raises(ApiException) as caught:
            c.fetch_document(WORKSPACE, PLAN_ID)
    assert caught.value.status == 0


# -- the command line -------------------------------------------------------------------------------
def fetch_args(server: LocalPlanningServer, *more: str) -> List[str]:
    return [
        "dataplan", "fetch", "--workspace", str(WORKSPACE), "--plan", PLAN_ID,
        "--token-url", server.token_url, "--api-url", server.api_url, *more,
    ]  # fmt: skip


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPARTICLE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MPARTICLE_CLIENT_SECRET", CLIENT_SECRET)


def test_cli_fetch_writes_the_plan_and_a_summary(
    planning: LocalPlanningServer, tmp_path: Path, secret_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.json"
    assert main(fetch_args(planning, "-o", str(out))) == 0
    assert json.loads(out.read_text()) == PLAN
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"dataplan fetch: plan {PLAN_ID} (versions 1, 2) from workspace {WORKSPACE} written to {out} "
        f"({out.stat().st_size:,} bytes)\n"
    )
    assert CLIENT_SECRET not in captured.err


def test_cli_fetch_one_version_to_stdout(
    planning: LocalPlanningServer, secret_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(fetch_args(planning, "--version", "2", "-o", "-")) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == VERSION_2
    assert captured.err.startswith(f"dataplan fetch: plan {PLAN_ID} version 2 (1 data point) from workspace")


def test_cli_fetch_errors_exit_2_with_one_line(
    planning: LocalPlanningServer, tmp_path: Path, secret_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.json"
    assert main(fetch_args(planning, "--version", "7", "-o", str(out))) == 2
    assert capsys.readouterr().err == (
        f"dataplan fetch: HTTP 404: {missing_version(7)}\n"
    )
    assert not out.exists()
    assert main(fetch_args(planning, "--client-id", "someone-else", "-o", str(out))) == 2
    assert "HTTP 401: the token endpoint refused the request" in capsys.readouterr().err
    assert main([*fetch_args(planning, "-o", str(out))[:3], "abc", *fetch_args(planning, "-o", str(out))[4:]]) == 2
    assert "Invalid workspace id 'abc'" in capsys.readouterr().err
    assert main(fetch_args(planning, "-o", str(tmp_path / "missing-dir" / "plan.json"))) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["dataplan"]) == 2


def test_cli_fetch_without_credentials(
    planning: LocalPlanningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MPARTICLE_CLIENT_ID", raising=False)
    monkeypatch.delenv("MPARTICLE_CLIENT_SECRET", raising=False)
    assert main(fetch_args(planning, "--client-id", CLIENT_ID, "-o", str(tmp_path / "p.json"))) == 2
    assert capsys.readouterr().err == "dataplan fetch: no credentials: set MPARTICLE_CLIENT_SECRET; nothing was sent\n"
    assert planning.requests == []


@pytest.mark.subprocess
def test_cli_fetch_as_a_process(planning: LocalPlanningServer, tmp_path: Path) -> None:
    out = tmp_path / "v1.json"
    env = {**os.environ, "MPARTICLE_CLIENT_ID": CLIENT_ID, "MPARTICLE_CLIENT_SECRET": CLIENT_SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "mparticle", *fetch_args(planning, "--version", "1", "-o", str(out))],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == VERSION_1
    assert done.stdout == "" and done.stderr.startswith(f"dataplan fetch: plan {PLAN_ID} version 1 (0 data points)")
    assert planning.tokens_issued == 1


def test_an_unreachable_token_endpoint_is_status_0(clock: FakeClock) -> None:
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with PlanningClient(
        CLIENT_ID, CLIENT_SECRET, token_url=url + "/oauth/token", api_url=url + "/platform/v2",
        retries=RetryPolicy.disabled(), clock=clock, sleep=clock.sleep,
    ) as c:  # fmt: skip
        with pytest.raises(ApiException) as caught:
            c.fetch_document(WORKSPACE, PLAN_ID)
    assert caught.value.status == 0 and str(caught.value.reason).startswith("no answer from the token endpoint: ")


# -- the stand-in's own answers ---------------------------------------------------------------------
def raw(server: LocalPlanningServer, method: str, path: str, body: bytes = b"", /, **headers: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        connection.close()


def test_the_stand_in_answers_like_the_real_services(planning: LocalPlanningServer, clock: FakeClock) -> None:
    def token(grant: str = "client_credentials", audience: str = "https://api.mparticle.com", **more: str) -> Any:
        doc = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "audience": audience, "grant_type": grant}
        return raw(planning, "POST", "/oauth/token", json.dumps(doc).encode(), **{"Content-Type": "application/json"})

    status, doc = token()
    assert status == 200 and doc["token_type"] == "Bearer" and doc["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {doc['access_token']}"}
    assert token(grant="password") == (400, {"error": "unsupported_grant_type", "error_description": ANY})
    assert token(audience="x")[:2] == (403, {"error": "access_denied", "error_description": ANY})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert raw(planning, "POST", "/oauth/token", b"client_id=a", **form)[0] == 400
    assert raw(planning, "GET", "/oauth/token")[0] == 405
    listing = raw(planning, "GET", f"/platform/v2/workspaces/{WORKSPACE}/plans", **bearer)
    assert listing == (200, [{**PLAN, "data_plan_versions": [
        {k: v for k, v in version.items() if k != "version_document"} for version in (VERSION_1, VERSION_2)
    ]}])  # fmt: skip
    plan_path = f"/platform/v2/workspaces/{WORKSPACE}/plans/{PLAN_ID}"
    assert raw(planning, "GET", plan_path) == (401, {"errors": [{"message": "Unauthorized"}]})
    assert raw(planning, "GET", plan_path, Authorization="Basic abc")[0] == 401
    assert raw(planning, "DELETE", plan_path, **bearer)[0] == 405
    assert raw(planning, "GET", plan_path + "/versions/x", **bearer)[0] == 404
    assert raw(planning, "GET", "/elsewhere", **bearer)[1] == {"errors": [{"message": "No such resource: /elsewhere"}]}
    clock.now += 3600  # the token's life is over on the server's clock too
    assert raw(planning, "GET", plan_path, **bearer)[0] == 401
    assert repr(planning).startswith("<LocalPlanningServer port=") and planning.url.startswith("http://127.0.0.1:")


def test_tls_is_verified_by_default() -> None:
    import ssl

    import certifi

    with PlanningClient(CLIENT_ID, CLIENT_SECRET) as c:  # nothing is sent
        assert c.token_url == "https://sso.auth.mparticle.com/oauth/token"
        assert c.plan_url(1, "p", 3) == "https://api.mparticle.com/platform/v2/workspaces/1/plans/p/versions/3"
        settings = c._rest.pool_manager.connection_pool_kw
    assert settings["cert_reqs"] == ssl.CERT_REQUIRED and settings["ca_certs"] == certifi.where()


# -- dataplan.fetch: fetched and loaded ------------------------------------------------------------


def test_fetch_loads_the_version_and_validates_with_it(planning: LocalPlanningServer) -> None:
    from mparticle import dataplan

    if not dataplan.available_backends():
        pytest.skip('no JSON Schema backend: pip install "mparticle[dataplan]"')
    urls = {"token_url": planning.token_url, "api_url": planning.api_url}
    plan = dataplan.fetch(WORKSPACE, PLAN_ID, 2, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **urls)
    batch = {
        "environment": "development",
        "user_identities": {"customer_id": "c1"},
        "events": [
            {"event_type": "screen_view", "data": {"screen_name": "Checkout"}},
            {"event_type": "screen_view", "data": {"screen_name": "Cart"}},
        ],
    }
    results = plan.validate_batch(batch).to_dict()["results"]
    assert [r["data"]["validation_errors"][0]["validation_error_type"] for r in results] == ["unplanned"]
    assert results[0]["data"]["validation_errors"][0]["key"] == "Cart"
    with pytest.raises(dataplan.DataPlanError, match=r"\b1\b.*\b2\b"):  # two versions: which one?
        dataplan.fetch(WORKSPACE, PLAN_ID, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **urls)
    assert [r.path.rsplit("/", 2)[-2:] for r in planning.requests if r.path != "/oauth/token"] == [
        ["versions", "2"],
        ["plans", PLAN_ID],
    ]
