"""The transport (mparticle/rest.py): errors, pools, proxies and TLS, over real sockets on 127.0.0.1."""

from __future__ import annotations

import http.server
import pickle
import ssl
import subprocess
import threading
from typing import Iterator, List, Tuple

import pytest
from conftest import KEY, SECRET

import mparticle
from mparticle.configuration import DEFAULT_HOST
from mparticle.rest import ApiException, RESTClientObject
from mparticle.testing import LocalEventsServer


def test_api_exception_pickles_and_formats() -> None:
    error = ApiException(503, "Service Unavailable", body='{"errors":[]}', headers={"Retry-After": "2"})
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.status, clone.reason, clone.body, clone.retry_after) == (
        503,
        "Service Unavailable",
        '{"errors":[]}',
        2.0,
    )
    assert str(ApiException(0, "boom")) == "(0)\nReason: boom\n"


def test_retry_after_is_read_in_any_letter_case_also_after_pickling() -> None:
    from urllib3._collections import HTTPHeaderDict  # where 1.26 and 2.x both have it

    received = ApiException(429, "Too Many Requests", headers=HTTPHeaderDict({"retry-after": "7"}))
    assert received.retry_after == 7.0
    assert pickle.loads(pickle.dumps(received)).retry_after == 7.0  # the headers come back a plain dict
    assert ApiException(429, headers={"RETRY-AFTER": "3"}).retry_after == 3.0
    assert ApiException(429, headers={"X-Other": "3"}).retry_after is None


def test_host_changes_and_pool_settings_take_effect(server: LocalEventsServer) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="http://127.0.0.1:9/v2", retries=None)
    api = mparticle.EventsApi(config)
    config.host = server.url
    assert api.upload_events({"environment": "development"})[1] == 202
    first_pool = api.api_client.rest_client.pool_manager
    config.connection_pool_size = 4
    assert api.upload_events({"environment": "development"})[1] == 202
    assert api.api_client.rest_client.pool_manager is not first_pool


def test_rest_client_without_config_and_bad_method() -> None:
    client = RESTClientObject()
    assert client.config.host == DEFAULT_HOST
    with pytest.raises(ValueError, match="http method must be"):
        client.request("TRACE", "http://127.0.0.1:9/")
    with pytest.raises(ValueError, match="body parameter cannot be used with post_params parameter."):
        client.request("POST", "http://127.0.0.1:9/", body={"a": 1}, post_params={"b": 2})


# -- a proxy and TLS, with real sockets ---------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: List[Tuple[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Recorder.seen.append((self.requestline, self.headers.get("Proxy-Authorization", "")))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[http.server.ThreadingHTTPServer]:
    _Recorder.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_proxy_receives_absolute_uri_and_proxy_headers(recorder: http.server.ThreadingHTTPServer) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="http://events.example.test/v2")
    config.proxy = "http://127.0.0.1:{0}".format(recorder.server_address[1])
    config.proxy_headers = {"Proxy-Authorization": "Basic cHJveHk6cHc="}
    assert mparticle.EventsApi(config).upload_events({"environment": "development"})[1] == 202
    assert _Recorder.seen == [("POST http://events.example.test/v2/events HTTP/1.1", "Basic cHJveHk6cHc=")]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(tls_files: Tuple[str, str]) -> Iterator[int]:
    _Recorder.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.subprocess
def test_tls_is_verified_by_default_and_not_retried(tls_server: int) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="https://127.0.0.1:{0}/v2".format(tls_server))
    with pytest.raises(ApiException) as info:
        mparticle.EventsApi(config).upload_events({"environment": "development"})
    assert info.value.status == 0 and "SSLError" in info.value.reason
    assert _Recorder.seen == []


@pytest.mark.subprocess
def test_tls_with_custom_ca_bundle(tls_server: int, tls_files: Tuple[str, str]) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="https://127.0.0.1:{0}/v2".format(tls_server))
    config.ssl_ca_cert = tls_files[0]
    assert mparticle.EventsApi(config).upload_events({"environment": "development"})[1] == 202
    assert _Recorder.seen[0][0] == "POST /v2/events HTTP/1.1"


@pytest.mark.subprocess
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # what this test asks for
def test_tls_verification_can_be_disabled(tls_server: int) -> None:
    config = mparticle.Configuration(
        host="https://127.0.0.1:{0}/v2".format(tls_server), verify_ssl=False, api_key="k", api_secret="s"
    )
    assert mparticle.EventsApi(config).upload_events({"environment": "development"})[1] == 202


# -- a request's head and body leave in one send ------------------------------------------------


class _SendLog:
    """A connected socket stand-in recording each ``sendall``."""

    def __init__(self) -> None:
        self.sent: List[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sent.append(bytes(data))

    def settimeout(self, value: object) -> None:
        pass

    def setsockopt(self, *args: object) -> None:
        pass

    def close(self) -> None:
        pass


def _logged_connection() -> Tuple[object, _SendLog]:
    from mparticle.transport.deadline import deadline_pool_classes

    conn = deadline_pool_classes()["http"].ConnectionCls("127.0.0.1", 9)
    conn.sock = log = _SendLog()
    return conn, log


def test_head_and_small_body_leave_in_one_send() -> None:
    conn, log = _logged_connection()
    conn.request("POST", "/v2/events", body=b'{"a":1}', headers={"Content-Type": "application/json"})  # type: ignore[attr-defined]
    assert len(log.sent) == 1
    head, _, body = log.sent[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v2/events HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 7" in head and body == b'{"a":1}'


def test_large_body_follows_its_head_and_a_bodiless_head_goes_alone() -> None:
    from mparticle.transport.deadline import COALESCE_MAX

    conn, log = _logged_connection()
    big = b"x" * COALESCE_MAX
    conn.request("POST", "/v2/bulkevents", body=big, headers={})  # type: ignore[attr-defined]
    assert len(log.sent) == 2 and log.sent[0].endswith(b"\r\n\r\n") and log.sent[1] == big
    conn, log = _logged_connection()
    conn.request("GET", "/v2/ping", headers={})  # type: ignore[attr-defined]
    assert len(log.sent) == 1 and log.sent[0].startswith(b"GET /v2/ping HTTP/1.1\r\n")
    assert log.sent[0].endswith(b"\r\n\r\n")
    conn.send(b"later")  # type: ignore[attr-defined] # outside a request: straight out
    assert log.sent[-1] == b"later"
