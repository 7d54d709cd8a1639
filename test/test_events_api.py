"""EventsApi end to end over real loopback HTTP: bytes, headers, paths, statuses, limits, callbacks."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import pickle
import threading
import time
from typing import Any, List, Tuple

import pytest
from conftest import KEY, SECRET, FakeClock

import mparticle
from mparticle import AppEvent, Batch, SessionStartEvent
from mparticle.rest import ApiException, MissingCredentialsError
from mparticle.testing import Fault, LocalEventsServer


def small_batch(name: str = "Hello World", **kwargs: Any) -> Batch:
    return Batch(environment="development", events=[AppEvent(name, "navigation")], **kwargs)


HELLO = b'{"events":[{"data":{"custom_event_type":"navigation","event_name":"Hello World"},"event_type":"custom_event"}],"environment":"development"}'  # noqa: E501


def test_upload_events_sends_exact_bytes_headers_and_path(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    result = api.upload_events(small_batch())
    assert result[0] is None and result[1] == 202
    assert result[2]["Content-Length"] == "0"
    (request,) = server.requests
    assert request.method == "POST" and request.path == "/v2/events"
    assert request.body == HELLO
    headers = request.headers
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"test-key:test-secret").decode()
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == "mParticle Python client/" + mparticle.__version__
    assert headers["Content-Length"] == str(len(HELLO))


def test_bulk_upload_posts_a_json_array(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    api.bulk_upload_events([small_batch("a"), small_batch("b")])
    (request,) = server.requests
    assert request.path == "/v2/bulkevents"
    assert [b["events"][0]["data"]["event_name"] for b in request.json()] == ["a", "b"]
    assert request.body.startswith(b'[{"events":') and b"}, {" not in request.body


def test_with_http_info_variants_and_data_only(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    assert api.upload_events_with_http_info(small_batch())[1] == 202
    assert api.bulk_upload_events_with_http_info([small_batch()])[1] == 202
    assert api.upload_events(small_batch(), _return_http_data_only=True) is None
    assert [r.path for r in server.requests] == ["/v2/events", "/v2/bulkevents", "/v2/events"]


def test_dict_body_is_sent_as_given(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    body = {"environment": "production", "events": [], "user_attributes": {"a": None}}
    api.upload_events(body)
    assert server.requests[0].body == b'{"environment":"production","events":[],"user_attributes":{"a":null}}'


def test_historical_endpoint_path_and_rules(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    old = int(time.time() * 1000) - 40 * 86400 * 1000
    batch = Batch(environment="production", events=[SessionStartEvent(timestamp_unixtime_ms=old)])
    api.bulk_upload_events_historical([batch])
    assert server.requests[0].path == "/v2/bulkevents/historical"
    with pytest.raises(ValueError, match="at least one event"):
        api.bulk_upload_events_historical([Batch(environment="production")])
    with pytest.raises(ValueError, match="timestamp_unixtime_ms is required"):
        api.bulk_upload_events_historical([small_batch()])
    recent = Batch(events=[SessionStartEvent(timestamp_unixtime_ms=int(time.time() * 1000))])
    with pytest.raises(ValueError, match="less than 72 hours"):
        api.bulk_upload_events_historical([recent])
    assert len(server.requests) == 1


def test_unexpected_kwarg_and_missing_body(api: mparticle.EventsApi) -> None:
    with pytest.raises(TypeError, match="Got an unexpected keyword argument 'async_req' to method upload_events"):
        api.upload_events(small_batch(), async_req=True)
    with pytest.raises(TypeError, match="to method bulk_upload_events"):
        api.bulk_upload_events_with_http_info([], foo=1)
    with pytest.raises(ValueError, match="Missing the required parameter `body` when calling `upload_events`"):
        api.upload_events(None)


def test_limits_are_checked_before_sending(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    with pytest.raises(ValueError, match="101 batches in one request, over the limit of 100"):
        api.bulk_upload_events([small_batch()] * 101)
    big = Batch(environment="development", user_attributes={"blob": "x" * (130 * 1024)})
    with pytest.raises(ValueError, match="over the 131072-byte limit per batch"):
        api.upload_events(big)
    medium = Batch(environment="development", user_attributes={"blob": "x" * (100 * 1024)})
    with pytest.raises(ValueError, match="request body is .* over the 262144-byte limit"):
        api.bulk_upload_events([medium, medium, medium])
    api.api_client.config.max_batches_per_request = 2
    with pytest.raises(ValueError, match="over the limit of 2"):
        api.bulk_upload_events([small_batch()] * 3)
    assert server.requests == []


def test_serialization_error_names_the_field(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    batch = small_batch()
    batch.events[0].data.custom_flags = {"price": float("nan")}
    with pytest.raises(ValueError, match=r"Batch\.events\[0\]\.data\.custom_flags\['price'\]"):
        api.upload_events(batch)
    assert server.requests == []


@pytest.mark.parametrize("status", [200, 201, 202, 204, 206, 299])
def test_any_2xx_is_success(api: mparticle.EventsApi, server: LocalEventsServer, status: int) -> None:
    server.script(Fault(status=status, body=b""))
    assert api.upload_events(small_batch())[1] == status


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 413, 422])
def test_client_errors_raise_without_retry(api: mparticle.EventsApi, server: LocalEventsServer, status: int) -> None:
    server.script(status)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    error = info.value
    assert error.status == status
    assert len(server.requests) == 1
    assert error.args == (status, error.reason)
    assert repr(error) == "ApiException(status={0}, reason={1!r})".format(status, error.reason)
    if status >= 400:
        assert json.loads(error.body)["errors"][0]["code"]
        assert "HTTP response body: " + error.body in str(error)
        assert str(error).startswith("({0})\nReason: {1}\nHTTP response headers: ".format(status, error.reason))


def test_wrong_credentials_are_403(server: LocalEventsServer) -> None:
    api = mparticle.EventsApi(mparticle.Configuration(api_key="test-key", api_secret="wrong", host=server.url))
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 403 and not isinstance(info.value, MissingCredentialsError)


@pytest.mark.parametrize(
    "key, secret, missing",
    [
        ("", "", ("api_key", "api_secret")),
        ("the-key-value", "", ("api_secret",)),
        (None, "  ", ("api_key", "api_secret")),
    ],
)
def test_empty_credentials_fail_before_anything_is_sent(
    server: LocalEventsServer, monkeypatch: pytest.MonkeyPatch, key: Any, secret: str, missing: Tuple[str, ...]
) -> None:
    monkeypatch.delenv("MPARTICLE_API_KEY", raising=False)
    config = mparticle.Configuration(api_key=key, api_secret=secret, host=server.url)
    api = mparticle.EventsApi(config)
    calls = [
        lambda: api.upload_events(small_batch()),
        lambda: api.bulk_upload_events([small_batch()]),
        lambda: api.bulk_upload_encoded(b"[{}]"),
        lambda: api.api_client.call_api("/events", "POST", body=b"{}", auth_settings=["basic"]),
    ]
    for call in calls:
        with pytest.raises(MissingCredentialsError) as info:
            call()
        error = info.value
        assert isinstance(error, ApiException) and isinstance(error, ValueError)  # old handlers still catch it
        assert error.missing == missing and error.status == 401 and error.body is None
        assert all(f"`{name}`" in error.reason for name in missing) and "Nothing was sent" in error.reason
        assert "the-key-value" not in str(error) + repr(error)  # values are never shown
    outcome: List[Any] = []
    api.upload_events(small_batch(), callback=outcome.append).join(5)
    assert isinstance(outcome[0], MissingCredentialsError)
    assert pickle.loads(pickle.dumps(error)).missing == missing
    assert server.request_count == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(api: mparticle.EventsApi, server: LocalEventsServer, status: int) -> None:
    server.script(status, status)
    assert api.upload_events(small_batch())[1] == 202
    assert [r.status for r in server.requests] == [status, status, 202]
    assert server.requests[0].body == server.requests[2].body


def test_retries_give_up_after_max_retries(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    server.script(*[503] * 10)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 503
    assert len(server.requests) == 4  # 1 + 3 retries


def test_retries_can_be_switched_off(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    api.api_client.config.retries = None
    server.script(503)
    with pytest.raises(ApiException):
        api.upload_events(small_batch())
    assert len(server.requests) == 1


def test_dropped_connection_is_retried_then_reported_as_status_0(
    api: mparticle.EventsApi, server: LocalEventsServer
) -> None:
    server.script(Fault(drop=True))
    assert api.upload_events(small_batch())[1] == 202
    server.script(*[Fault(drop=True)] * 4)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 0 and info.value.__cause__ is not None


def test_connection_refused_is_api_exception_status_0() -> None:
    with LocalEventsServer() as closed:
        url = closed.url
    config = mparticle.Configuration(host=url, retries=None, api_key="k", api_secret="s")
    with pytest.raises(ApiException) as info:
        mparticle.EventsApi(config).upload_events(small_batch())
    assert info.value.status == 0
    assert "NewConnectionError" in info.value.reason


def test_retry_after_seconds_is_honoured(
    fake_time_api: mparticle.EventsApi, server: LocalEventsServer, clock: FakeClock
) -> None:
    server.script(Fault(status=429, retry_after="3"))
    assert fake_time_api.upload_events(small_batch())[1] == 202
    assert clock.sleeps == [3.0]  # exactly the server's wait, no backoff on top
    assert [r.status for r in server.requests] == [429, 202]


def test_retry_after_http_date_is_honoured(
    fake_time_api: mparticle.EventsApi, server: LocalEventsServer, clock: FakeClock
) -> None:
    from email.utils import formatdate

    server.script(Fault(status=429, retry_after=formatdate(time.time() + 4, usegmt=True)))
    assert fake_time_api.upload_events(small_batch())[1] == 202
    (wait,) = clock.sleeps
    assert 2 <= wait <= 4  # the date's distance from now (whole seconds on the wire)


def test_retry_after_beyond_budget_fails_fast_and_short_circuits(
    fake_time_api: mparticle.EventsApi, server: LocalEventsServer, clock: FakeClock
) -> None:
    server.script(Fault(status=429, retry_after="30"))
    with pytest.raises(ApiException) as info:
        fake_time_api.upload_events(small_batch())
    assert info.value.status == 429 and info.value.retry_after == 30
    with pytest.raises(ApiException) as gated:
        fake_time_api.upload_events(small_batch())
    assert clock.sleeps == []  # neither call waited: 30 s (clamped to the 5 s budget) cannot fit
    assert gated.value.status == 429 and gated.value.reason == "Too Many Requests"
    assert gated.value.headers["Retry-After"] == "5"  # closed for the 5 s budget, not 30 s
    assert json.loads(gated.value.body)["errors"]
    assert len(server.requests) == 1  # the second call never reached the network
    other = mparticle.EventsApi(mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url))
    assert other.upload_events(small_batch())[1] == 202  # the gate is per client
    clock.now += 5  # once the budget's 5 s have passed, the gate is open again
    assert fake_time_api.upload_events(small_batch())[1] == 202


def test_a_closed_gate_is_waited_out_within_the_budget(
    fake_time_api: mparticle.EventsApi, server: LocalEventsServer, clock: FakeClock
) -> None:
    server.script(Fault(status=429, retry_after="2"), Fault(status=429, retry_after="2.5"))
    fake_time_api.api_client.rest_client.retries = mparticle.RetryPolicy(max_retries=0)
    with pytest.raises(ApiException):  # no retries: the 429 closes the gate for 2 s
        fake_time_api.upload_events(small_batch())
    fake_time_api.api_client.rest_client.retries = None  # back to FAST_RETRIES: 5 s budget
    assert fake_time_api.upload_events(small_batch())[1] == 202
    assert clock.sleeps == [2.0, 2.5]  # the gate's rest, then the second Retry-After
    assert [r.status for r in server.requests] == [429, 429, 202]


def test_429_without_retry_after_backs_off(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    server.script(429, 429)
    assert api.upload_events(small_batch())[1] == 202
    assert [r.status for r in server.requests] == [429, 429, 202]


def _upload_against_503s_within_a_budget(
    server: LocalEventsServer, config: mparticle.Configuration, clock: FakeClock
) -> ApiException:
    """The error of an upload retried (on ``clock``) against 503s for a 0.6 s budget."""
    from mparticle.api_client import ApiClient
    from mparticle.rest import RESTClientObject

    policy = mparticle.RetryPolicy(max_retries=50, backoff_base=0.05, backoff_max=0.05, total_timeout=0.6)
    rest = RESTClientObject(config=config, retries=policy, clock=clock, sleep=clock.sleep)
    api = mparticle.EventsApi(api_client=ApiClient(configuration=config, rest_client=rest))
    server.script(*[503] * 100)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    return info.value


def test_total_time_budget_bounds_the_call(
    server: LocalEventsServer, config: mparticle.Configuration, clock: FakeClock
) -> None:
    assert _upload_against_503s_within_a_budget(server, config, clock).status == 503
    assert 0 < sum(clock.sleeps) < 0.6  # every wait fitted in the budget; the next would not have
    assert 2 <= len(server.requests) == len(clock.sleeps) + 1 < 50


def test_no_retry_is_started_without_time_to_run(
    server: LocalEventsServer, config: mparticle.Configuration, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Full jitter can leave a sliver of the budget (here 0.6 - 12 x 0.04995 = 0.0006 s): no
    attempt is made with it, so the call fails with the server's 503, not a deadline error."""
    import mparticle.retry

    monkeypatch.setattr(mparticle.retry.random, "random", lambda: 0.999)
    assert _upload_against_503s_within_a_budget(server, config, clock).status == 503
    assert server.request_count == 11  # 10 retries of 0.04995 s leave 0.1005 s; an 11th would leave 0.05 s


def test_read_timeout_raises_status_0(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    api.api_client.config.retries = None
    server.script(Fault(delay=2.0))
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch(), _request_timeout=0.3)
    assert info.value.status == 0 and "ReadTimeout" in info.value.reason  # not the 2 s answer


def test_callback_receives_result_and_errors(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    received: List[Any] = []
    done = threading.Event()

    def callback(value: Any) -> None:
        received.append(value)
        if len(received) == 3:
            done.set()

    handle = api.upload_events(small_batch(), callback=callback)
    handle.join(5)
    assert not handle.is_alive()
    api.upload_events(Batch(user_attributes={"x": float("inf")}), callback=callback).join(5)
    server.script(400)
    api.bulk_upload_events([small_batch()], callback=callback).join(5)
    assert done.wait(5)
    assert received[0][1] == 202
    assert isinstance(received[1], ValueError) and "user_attributes" in str(received[1])
    assert isinstance(received[2], ApiException) and received[2].status == 400


def test_raising_callback_is_logged_not_lost(api: mparticle.EventsApi, caplog: pytest.LogCaptureFixture) -> None:
    def callback(value: Any) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="mparticle"):
        handle = api.upload_events(small_batch(), callback=callback)
        handle.join(5)
    assert "mparticle callback raised" in caplog.text
    with pytest.raises(RuntimeError):
        handle.result()


def test_async_upload(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    async def main() -> Any:
        return await asyncio.gather(
            api.upload_events_async(small_batch()), api.bulk_upload_events_async([small_batch()])
        )

    results = asyncio.run(main())
    assert [r[1] for r in results] == [202, 202]
    assert sorted(r.path for r in server.requests) == ["/v2/bulkevents", "/v2/events"]


def test_keep_alive_reuses_one_connection(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    for _ in range(5):
        api.upload_events(small_batch())
    connection_pool = api.api_client.rest_client.pool_manager.connection_from_url(server.url)
    assert connection_pool.num_connections == 1
    assert connection_pool.num_requests == 5


def test_no_secret_in_logs_at_debug(server: LocalEventsServer, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-value"
    config = mparticle.Configuration(api_key=KEY, api_secret=secret, host=server.url)
    config.debug = True
    try:
        with caplog.at_level(logging.DEBUG):
            api = mparticle.EventsApi(config)
            with pytest.raises(ApiException) as info:
                api.upload_events(small_batch())
            server.script(503, Fault(status=429, retry_after="0"))
            config.api_secret = SECRET
            api.upload_events(small_batch())
    finally:
        config.debug = False
    token = base64.b64encode("{0}:{1}".format(KEY, secret).encode()).decode()
    text = caplog.text + str(info.value) + repr(info.value) + repr(config)
    assert "POST" in caplog.text and "-> 202" in caplog.text
    for forbidden in (secret, token, SECRET, "Authorization"):
        assert forbidden not in text


def test_events_api_without_config_gets_a_fresh_one() -> None:
    first, second = mparticle.EventsApi(), mparticle.EventsApi()
    assert first.api_client is not second.api_client
    assert first.api_client.config is not second.api_client.config
    config = mparticle.Configuration()
    assert mparticle.EventsApi(config).api_client is mparticle.EventsApi(config).api_client


def test_bulk_upload_encoded_sends_the_bytes_as_given(api: mparticle.EventsApi, server: LocalEventsServer) -> None:
    import gzip

    from mparticle.serialization import encode_batch, join_batches

    old = int(time.time() * 1000) - 10 * 86400 * 1000
    events = [AppEvent(name, "navigation", timestamp_unixtime_ms=old) for name in "ab"]
    batches = [Batch(environment="development", events=[event]) for event in events]
    body = join_batches([encode_batch(batch, 128 * 1024) for batch in batches])
    assert api.bulk_upload_encoded(body, path="/bulkevents/historical")[1] == 202
    assert api.bulk_upload_encoded(body, gzip=True)[1] == 202
    plain, zipped = server.requests
    assert plain.path == "/v2/bulkevents/historical" and plain.body == body
    assert "Content-Encoding" not in plain.headers
    assert zipped.path == "/v2/bulkevents" and zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.body == body  # as the server decoded it
    assert zipped.wire_size == len(gzip.compress(body, compresslevel=6, mtime=0)) < len(body)
    with pytest.raises(TypeError, match="takes bytes"):
        api.bulk_upload_encoded([small_batch()])  # type: ignore[arg-type]


def test_events_api_over_a_given_api_client_leaves_the_configuration_alone(config: mparticle.Configuration) -> None:
    from mparticle.api_client import ApiClient

    client = ApiClient(configuration=config)
    api = mparticle.EventsApi(api_client=client)
    assert api.api_client is client and config.api_client is None


def test_a_bad_value_assigned_to_an_unchecked_field_is_refused_before_sending(
    api: mparticle.EventsApi, server: LocalEventsServer
) -> None:
    """Setters the original did not check store as it did; the check runs when the batch is
    serialized, naming the field, and nothing reaches the server."""
    event = AppEvent("Hello World", "navigation")
    event.location = "London"  # accepted by the setter, as in 0.16.1
    batch = small_batch()
    batch.events = [event]
    with pytest.raises(ValueError) as info:
        api.upload_events(batch)
    assert str(info.value) == (
        "Batch.events[0].data: Invalid value for `location` ('London'): expected a GeoLocation or a dict, got str"
    )
    with pytest.raises(ValueError, match=r"events\[0\]\.data: Invalid value for `location`"):
        api.bulk_upload_events([small_batch(), batch])
    assert server.requests == []
