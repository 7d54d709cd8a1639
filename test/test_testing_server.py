"""Tests of mparticle.testing.LocalEventsServer, driven with plain urllib/http.client."""

import base64
import gzip
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from mparticle.testing import Fault, LocalEventsServer

AUTH = "Basic " + base64.b64encode(b"test-key:test-secret").decode()
EVENT = {"event_type": "custom_event", "data": {"event_name": "click", "custom_event_type": "other"}}
HIST_EVENT = {"event_type": "custom_event", "data": {"event_name": "x", "timestamp_unixtime_ms": 1700000000000}}


def batch(n_events=1, event=EVENT):
    return {"environment": "development", "events": [dict(event) for _ in range(n_events)]}


@pytest.fixture
def server():
    srv = LocalEventsServer().start()
    try:
        yield srv
    finally:
        srv.stop()
    assert srv.errors == []


def request(srv, path, payload=None, *, body=None, method="POST", headers=None, conn=None):
    """Send one request; returns (status, response headers, body bytes)."""
    if body is None and payload is not None:
        body = json.dumps(payload).encode()
    hdrs = {"Authorization": AUTH, "Content-Type": "application/json"}
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.headers, data
    finally:
        if own:
            conn.close()


def error_of(data):
    doc = json.loads(data)
    assert len(doc["errors"]) == 1
    return doc["errors"][0]["code"], doc["errors"][0]["message"]


def test_url_and_single_batch_accepted(server):
    assert server.url == f"http://127.0.0.1:{server.port}/v2"
    status, headers, data = request(server, "/v2/events", batch(2))
    assert (status, data) == (202, b"")
    assert headers["Content-Length"] == "0"
    assert headers["Server"] == "mparticle-local"
    assert server.accepted_count == 1
    assert server.batches == [batch(2)]
    (rec,) = server.requests
    assert (rec.method, rec.path, rec.status, rec.error) == ("POST", "/v2/events", 202, None)
    assert rec.headers["authorization"] == AUTH
    assert rec.headers["AUTHORIZATION"] == AUTH
    assert ("Authorization", AUTH) in rec.raw_headers
    assert rec.json() == batch(2)
    assert rec.batches == [batch(2)]


def test_bulk_and_urllib_client(server):
    req = urllib.request.Request(
        server.url + "/bulkevents",
        data=json.dumps([batch(), batch(3)]).encode(),
        headers={"Authorization": AUTH, "Content-Type": "application/json; charset=utf-8"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 202
        assert resp.read() == b""
    assert server.accepted_count == 2
    assert [len(b["events"]) for b in server.batches] == [1, 3]


@pytest.mark.parametrize(
    "auth, status, code",
    [
        (None, 401, "UNAUTHORIZED"),
        ("Bearer abc", 401, "UNAUTHORIZED"),
        ("Basic !!!not-base64", 401, "UNAUTHORIZED"),
        ("Basic " + base64.b64encode(b"no-colon").decode(), 401, "UNAUTHORIZED"),
        ("Basic " + base64.b64encode(b"test-key:wrong").decode(), 403, "FORBIDDEN"),
        ("Basic " + base64.b64encode(b"other:test-secret").decode(), 403, "FORBIDDEN"),
    ],
)
def test_auth(server, auth, status, code):
    got, headers, data = request(server, "/v2/events", batch(), headers={"Authorization": auth})
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(data)
    assert error_of(data)[0] == code
    assert server.accepted_count == 0
    assert server.requests[0].status == status


def test_urllib_sees_error_body(server):
    req = urllib.request.Request(server.url + "/events", data=b"{", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 401
    assert error_of(info.value.read())[0] == "UNAUTHORIZED"


def test_unknown_path_and_method(server):
    status, _, data = request(server, "/v2/nope", batch())
    assert status == 404
    status, headers, data = request(server, "/v2/events", method="GET")
    assert status == 405
    assert headers["Allow"] == "POST"
    assert error_of(data)[0] == "METHOD_NOT_ALLOWED"
    status, headers, data = request(server, "/v2/events", method="HEAD")
    assert status == 405 and data == b""


def test_too_large_body_keeps_connection_usable():
    with LocalEventsServer(max_request_bytes=1024) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        status, _, data = request(srv, "/v2/bulkevents", [batch(50)], conn=conn)
        assert status == 413
        code, message = error_of(data)
        assert code == "BAD_REQUEST" and "1024" in message
        sock = conn.sock
        status, _, _ = request(srv, "/v2/bulkevents", [batch()], conn=conn)
        assert status == 202
        assert conn.sock is sock
        # A gzip body small on the wire but over the limit once decompressed is rejected too.
        status, _, _ = request(
            srv, "/v2/bulkevents", body=gzip.compress(b"[" + b" " * 5000 + b"]"), headers={"Content-Encoding": "gzip"}
        )
        assert status == 413
        conn.close()


def test_invalid_json_and_content_type(server):
    status, headers, data = request(server, "/v2/events", body=b"{not json")
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    code, message = error_of(data)
    assert code == "BAD_REQUEST" and "invalid JSON" in message
    status, _, data = request(server, "/v2/events", body=b"{}", headers={"Content-Type": "text/plain"})
    assert status == 400 and "Content-Type" in error_of(data)[1]
    assert server.requests[0].error is not None


@pytest.mark.parametrize(
    "path, payload, fragment",
    [
        ("/v2/events", [batch()], "JSON object"),
        ("/v2/bulkevents", batch(), "JSON array"),
        ("/v2/bulkevents", [batch()] * 101, "too many batches"),
        ("/v2/bulkevents", [batch(), 3], "batches[1] must be a JSON object"),
        ("/v2/bulkevents", [{"events": {}}], "batches[0].events must be an array"),
        ("/v2/bulkevents", [{"events": [{"data": {}}]}], "batches[0].events[0].event_type"),
        ("/v2/bulkevents", [{"events": [{"event_type": "", "data": {}}]}], "event_type"),
        ("/v2/events", {"events": [EVENT, {"event_type": "x", "data": 1}]}, "events[1].data"),
        ("/v2/events", {"events": [7]}, "events[0] must be a JSON object"),
    ],
)
def test_shape_validation(server, path, payload, fragment):
    status, _, data = request(server, path, payload)
    assert status == 400
    assert fragment in error_of(data)[1]
    assert server.batches == []


def test_bulk_limits(server):
    assert request(server, "/v2/bulkevents", [batch()] * 100)[0] == 202
    assert request(server, "/v2/bulkevents", [])[0] == 202
    assert request(server, "/v2/bulkevents", [{"user_identities": {"customerid": "1"}}])[0] == 202
    assert server.accepted_count == 101


def test_historical_rules(server):
    path = "/v2/bulkevents/historical"
    for bad, fragment in [
        ([{"environment": "production"}], "at least one event"),
        ([{"events": []}], "at least one event"),
        ([batch(event=HIST_EVENT), batch()], "batches[1].events[0].data.timestamp_unixtime_ms"),
        ([{"events": [{"event_type": "x", "data": {"timestamp_unixtime_ms": True}}]}], "timestamp_unixtime_ms"),
    ]:
        status, _, data = request(server, path, bad)
        assert status == 400, bad
        assert fragment in error_of(data)[1]
    assert request(server, path, [batch(2, HIST_EVENT)])[0] == 202
    assert request(server, path + "?x=1", [batch(1, HIST_EVENT)])[0] == 202
    assert server.accepted_count == 2


def test_scripted_sequence(server):
    server.script(Fault(status=429, retry_after="3"), 503, 202)
    assert server.scripted_remaining == 3
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    status, headers, data = request(server, "/v2/events", batch(), conn=conn)
    assert status == 429
    assert headers["Retry-After"] == "3"
    assert headers["X-mp-rate-limit-exceeded"] == "app"
    assert error_of(data)[0] == "TOO_MANY_REQUESTS"
    status, headers, data = request(server, "/v2/events", batch(), conn=conn)
    assert status == 503 and headers.get("Retry-After") is None
    assert error_of(data)[0] == "SERVICE_UNAVAILABLE"
    assert server.accepted_count == 0
    status, _, _ = request(server, "/v2/events", batch(), conn=conn)
    assert status == 202
    assert server.accepted_count == 1
    # Scripted faults ignore auth; once the queue is empty normal processing resumes.
    assert request(server, "/v2/events", batch(), headers={"Authorization": None}, conn=conn)[0] == 401
    conn.close()
    assert [r.status for r in server.requests] == [429, 503, 202, 401]
    assert [r.faulted for r in server.requests] == [True, True, True, False]


def test_scripted_custom_body_headers_and_delay(server):
    server.script(Fault(status=500, body=b"oops", headers={"Content-Type": "text/plain", "X-A": "1"}))
    server.script(Fault(delay=0.05))
    status, headers, data = request(server, "/v2/events", batch())
    assert (status, data, headers["Content-Type"], headers["X-A"]) == (500, b"oops", "text/plain", "1")
    t0 = time.monotonic()
    assert request(server, "/v2/events", batch())[0] == 202
    assert time.monotonic() - t0 >= 0.05
    assert server.accepted_count == 1


def test_dropped_connection_raises(server):
    server.script(Fault(drop=True))
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        request(server, "/v2/events", batch())
    assert server.requests[0].status == 0
    assert server.status_counts == {0: 1}
    assert request(server, "/v2/events", batch())[0] == 202


def test_fault_rates_with_seed(server):
    server.set_fault_rates(throttle=0.35, unavailable=0.35, seed=7, throttle_retry_after="1")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    seen = {}
    for _ in range(40):
        status, headers, _ = request(server, "/v2/events", batch(), conn=conn)
        seen.setdefault(status, []).append(headers.get("Retry-After"))
    conn.close()
    assert {429, 503, 202} <= set(seen)
    assert set(seen[429]) == {"1"}
    assert server.accepted_count == len(seen[202])

    server.set_fault_rates(throttle=1.0, throttle_retry_after="mixed", seed=3)
    values = [request(server, "/v2/events", batch())[1].get("Retry-After") for _ in range(20)]
    assert set(values) == {"0", None}

    server.set_fault_rates(drop=1.0, seed=1)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        request(server, "/v2/events", batch())
    server.set_fault_rates()
    assert request(server, "/v2/events", batch())[0] == 202
    with pytest.raises(ValueError):
        server.set_fault_rates(throttle=0.8, unavailable=0.8)


def test_same_seed_same_faults():
    def run():
        with LocalEventsServer() as srv:
            srv.set_fault_rates(throttle=0.3, unavailable=0.3, seed=42)
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
            out = [request(srv, "/v2/events", batch(), conn=conn)[0] for _ in range(15)]
            conn.close()
            return out

    assert run() == run()


def test_hang_and_stop_returns_quickly():
    srv = LocalEventsServer().start()
    srv.hang(30)
    errors = []

    def client():
        try:
            request(srv, "/v2/events", batch())
        except Exception as exc:  # noqa: BLE001 - any client-side failure is expected
            errors.append(exc)

    # An idle keep-alive connection must not hold up stop() either.
    idle = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    idle.connect()
    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(0.15)
    t0 = time.monotonic()
    srv.stop()
    elapsed = time.monotonic() - t0
    thread.join(2)
    idle.close()
    assert elapsed < 1.5
    assert not thread.is_alive()
    assert len(errors) == 1
    srv.stop()  # idempotent


def test_wait_for(server):
    assert server.wait_for(0, timeout=0.01)
    assert not server.wait_for(1, timeout=0.05)

    def later():
        time.sleep(0.05)
        request(server, "/v2/bulkevents", [batch(), batch()])

    thread = threading.Thread(target=later)
    thread.start()
    assert server.wait_for(2, timeout=5)
    thread.join()
    assert not server.wait_for(3, timeout=0.05)


def test_gzip_and_chunked_bodies(server):
    payload = [batch(3), batch()]
    body = gzip.compress(json.dumps(payload).encode())
    status, _, _ = request(server, "/v2/bulkevents", body=body, headers={"Content-Encoding": "gzip"})
    assert status == 202
    assert server.batches == payload
    assert server.requests[0].json() == payload
    assert server.requests[0].wire_size == len(body)

    status, _, data = request(server, "/v2/bulkevents", body=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert status == 400 and "gzip" in error_of(data)[1]
    status, _, data = request(server, "/v2/bulkevents", body=b"[]", headers={"Content-Encoding": "br"})
    assert status == 400

    raw = json.dumps([batch()]).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request(
        "POST",
        "/v2/bulkevents",
        body=iter([raw[:10], raw[10:]]),
        headers={"Authorization": AUTH, "Content-Type": "application/json"},
        encode_chunked=True,
    )
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 202
    conn.close()
    assert server.accepted_count == 3


def test_keep_alive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    assert request(server, "/v2/events", batch(), conn=conn)[0] == 202
    sock = conn.sock
    assert sock is not None
    assert request(server, "/v2/events", {"bad": "no"}, body=b"[", conn=conn)[0] == 400
    assert request(server, "/v2/bulkevents", [batch()], conn=conn)[0] == 202
    assert conn.sock is sock
    conn.close()
    assert server.accepted_count == 2


def test_reset_and_record_false():
    with LocalEventsServer(record=False) as srv:
        srv.script(503)
        assert request(srv, "/v2/events", batch())[0] == 503
        assert request(srv, "/v2/bulkevents", [batch(), batch()])[0] == 202
        assert srv.accepted_count == 2
        assert srv.batches == []
        assert [r.body for r in srv.requests] == [b"", b""]
        assert srv.status_counts == {503: 1, 202: 1}
        srv.script(503)
        srv.hang(5)
        srv.reset()
        assert (srv.accepted_count, srv.requests, srv.scripted_remaining) == (0, [], 0)
        assert request(srv, "/v2/events", batch())[0] == 202


def test_restart_gets_new_port():
    srv = LocalEventsServer()
    with pytest.raises(RuntimeError):
        srv.url  # noqa: B018
    with srv:
        first = srv.port
        assert request(srv, "/v2/events", batch())[0] == 202
    assert not srv.running
    with srv:
        assert request(srv, "/v2/events", batch())[0] == 202
    assert srv.accepted_count == 2
    assert first > 0


def free_port():
    """A port that was free on 127.0.0.1 a moment ago (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_port_binds_the_given_port_on_loopback():
    port = free_port()
    srv = LocalEventsServer(port=port)
    with srv:
        assert srv.port == port
        assert srv.url == f"http://127.0.0.1:{port}/v2"
        assert request(srv, "/v2/events", batch())[0] == 202
    with srv:  # a restart binds the same port again
        assert srv.port == port
        assert request(srv, "/v2/events", batch())[0] == 202
    assert srv.accepted_count == 2


def test_port_in_use_raises_and_bad_port_is_refused():
    with LocalEventsServer() as first:
        with pytest.raises(OSError):
            LocalEventsServer(port=first.port).start()
    for bad in (-1, 65536):
        with pytest.raises(ValueError, match="port"):
            LocalEventsServer(port=bad)
