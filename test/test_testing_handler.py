"""The endpoint's HTTP handling, driven with plain urllib/http.client: auth, paths, bodies, framing."""

import base64
import gzip
import http.client
import json
import urllib.error
import urllib.request

import pytest
from http_helpers import AUTH, batch, error_of, request

from mparticle.testing import LocalEventsServer


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
