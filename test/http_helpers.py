"""Helpers shared by the test_testing_* modules: a plain http.client client for the local endpoint."""

import base64
import http.client
import json
import socket

AUTH = "Basic " + base64.b64encode(b"test-key:test-secret").decode()
EVENT = {"event_type": "custom_event", "data": {"event_name": "click", "custom_event_type": "other"}}
HIST_EVENT = {
    "event_type": "custom_event",
    "data": {"event_name": "x", "custom_event_type": "other", "timestamp_unixtime_ms": 1700000000000},
}


def batch(n_events=1, event=EVENT):
    return {"environment": "development", "events": [dict(event) for _ in range(n_events)]}


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


def errors_of(data):
    """The (code, message) pairs of an mParticle error body."""
    return [(e["code"], e["message"]) for e in json.loads(data)["errors"]]


def error_of(data):
    """The only error of an mParticle error body."""
    (error,) = errors_of(data)
    return error


def free_port():
    """A port that was free on 127.0.0.1 a moment ago (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
