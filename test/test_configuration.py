"""Configuration, logging hygiene, pods, TLS and proxy behaviour (real sockets on 127.0.0.1)."""

from __future__ import annotations

import http.server
import logging
import pickle
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from conftest import KEY, SECRET

import mparticle
from mparticle.configuration import DEFAULT_HOST, PODS
from mparticle.rest import ApiException, RESTClientObject
from mparticle.retry import RetryPolicy, parse_retry_after
from mparticle.testing import LocalEventsServer


def test_defaults_match_the_original() -> None:
    c = mparticle.Configuration()
    assert c.host == DEFAULT_HOST == "https://s2s.mparticle.com/v2"
    assert (c.api_key, c.api_secret, c.api_client, c.temp_folder_path) == ("", "", None, None)
    assert (c.api_key_store, c.api_key_prefix) == ({}, {})
    assert (c.verify_ssl, c.ssl_ca_cert, c.cert_file, c.key_file, c.connection_pool_size) == (True, None, None, None, 1)
    assert c.logger_format == "%(asctime)s %(levelname)s %(message)s"
    assert c.debug is False and c.logger_file is None
    assert set(c.logger) == {"package_logger", "urllib3_logger"}
    assert (c.max_batches_per_request, c.max_request_bytes, c.max_batch_bytes) == (100, 262144, 131072)
    assert c.get_basic_auth_token() == "Basic Og=="
    assert c.auth_settings() == {
        "basic": {"type": "basic", "in": "header", "key": "Authorization", "value": "Basic Og=="}
    }


def test_basic_auth_token_and_key_prefix() -> None:
    c = mparticle.Configuration(api_key="k", api_secret="s")
    assert c.get_basic_auth_token() == "Basic azpz"
    c.api_key_store["x"] = "key"
    assert c.get_api_key_with_prefix("x") == "key"
    c.api_key_prefix["x"] = "Bearer"
    assert c.get_api_key_with_prefix("x") == "Bearer key"
    assert c.get_api_key_with_prefix("missing") is None
    c.api_secret = None  # type: ignore[assignment]
    assert c.get_basic_auth_token() == "Basic azo="


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPARTICLE_API_KEY", "env-key")
    monkeypatch.setenv("MPARTICLE_API_SECRET", "env-secret")
    monkeypatch.setenv("MPARTICLE_HOST", "http://127.0.0.1:9/v2")
    c = mparticle.Configuration()
    assert (c.api_key, c.api_secret, c.host) == ("env-key", "env-secret", "http://127.0.0.1:9/v2")
    assert mparticle.Configuration(api_key="code").api_key == "code"


@pytest.mark.parametrize("pod", sorted(PODS))
def test_pods(pod: str) -> None:
    c = mparticle.Configuration(pod=pod)
    assert c.host == "https://s2s.{0}.mparticle.com/v2".format(pod) and c.pod == pod


def test_bad_pod_and_unknown_setting() -> None:
    with pytest.raises(
        ValueError, match=r"Invalid value for `pod` \(mars\), must be one of \['us1', 'us2', 'eu1', 'au1'\]"
    ):
        mparticle.Configuration(pod="mars")
    with pytest.raises(TypeError, match="unexpected keyword argument 'hots'"):
        mparticle.Configuration(hots="x")
    assert mparticle.Configuration(host="http://example.invalid").pod is None
    assert mparticle.Configuration().pod == "us1"


def test_repr_hides_credentials() -> None:
    c = mparticle.Configuration(api_key="the-key", api_secret="the-secret")
    assert "the-secret" not in repr(c) and "the-key" not in repr(c)
    assert "s2s.mparticle.com" in repr(c)


def test_no_global_logging_side_effects() -> None:
    import urllib3  # noqa: F401 - urllib3 adds its own NullHandler when first imported

    loggers = [logging.getLogger("mparticle"), logging.getLogger("urllib3"), logging.getLogger()]
    before = [(list(lg.handlers), lg.level) for lg in loggers]
    for _ in range(3):
        mparticle.Configuration()
        mparticle.EventsApi()
    assert [(list(lg.handlers), lg.level) for lg in loggers] == before
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("mparticle").handlers)


def test_debug_and_logger_file_add_and_remove_their_handlers(tmp_path: Path) -> None:
    package_logger = logging.getLogger("mparticle")
    before = list(package_logger.handlers)
    c = mparticle.Configuration()
    c.debug = True
    assert package_logger.level == logging.DEBUG and len(package_logger.handlers) == len(before) + 1
    c.logger_format = "%(message)s"
    assert c.logger_stream_handler is not None and c.logger_stream_handler.formatter._fmt == "%(message)s"  # type: ignore[union-attr]
    c.debug = False
    assert package_logger.handlers == before and package_logger.level == logging.NOTSET
    path = tmp_path / "mp.log"
    c.logger_file = str(path)
    logging.getLogger("mparticle.test").warning("hello file")
    c.logger_file = None
    assert "hello file" in path.read_text() and package_logger.handlers == before


def test_to_debug_report_names_this_version() -> None:
    report = mparticle.Configuration().to_debug_report()
    assert report.startswith("Python SDK Debug Report:\nOS: ") and mparticle.__version__ in report


def test_retries_and_timeouts_settings() -> None:
    c = mparticle.Configuration()
    assert c.retries == RetryPolicy() and c.timeout == (3.0, 5.0)
    c.retries = 5
    assert c.retries.max_retries == 5
    c.retries = None
    assert c.retries.max_retries == 0
    c.retries = False
    assert c.retries.max_retries == 0
    with pytest.raises(ValueError, match="retries"):
        c.retries = -1
    c.timeout = 2
    assert (c.connect_timeout, c.read_timeout) == (2.0, 2.0)
    c.timeout = (1.0, 4.0)
    assert c.timeout == (1.0, 4.0)


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.backoff(3, lambda: 0.0) == 0.0
    import random

    rng = random.Random(7)
    samples = [policy.backoff(2, rng.random) for _ in range(2000)]
    assert 0 <= min(samples) < 0.05 and 0.95 < max(samples) <= 1.0
    assert 0.45 < sum(samples) / len(samples) < 0.55


def test_parse_retry_after() -> None:
    from email.utils import formatdate

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("") is None
    assert parse_retry_after("soon") is None and parse_retry_after("nan") is None
    assert 9 <= parse_retry_after(formatdate(1000.0 + 10, usegmt=True), now=1000.0) <= 10  # type: ignore[operator]
    assert parse_retry_after(formatdate(0, usegmt=True)) == 0.0


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


def test_tls_is_verified_by_default_and_not_retried(tls_server: int) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="https://127.0.0.1:{0}/v2".format(tls_server))
    with pytest.raises(ApiException) as info:
        mparticle.EventsApi(config).upload_events({"environment": "development"})
    assert info.value.status == 0 and "SSLError" in info.value.reason
    assert _Recorder.seen == []


def test_tls_with_custom_ca_bundle(tls_server: int, tls_files: Tuple[str, str]) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="https://127.0.0.1:{0}/v2".format(tls_server))
    config.ssl_ca_cert = tls_files[0]
    assert mparticle.EventsApi(config).upload_events({"environment": "development"})[1] == 202
    assert _Recorder.seen[0][0] == "POST /v2/events HTTP/1.1"


def test_tls_verification_can_be_disabled(tls_server: int) -> None:
    config = mparticle.Configuration(host="https://127.0.0.1:{0}/v2".format(tls_server), verify_ssl=False)
    assert mparticle.EventsApi(config).upload_events({"environment": "development"})[1] == 202


def test_socket_is_loopback_only() -> None:
    with LocalEventsServer() as local:
        with socket.create_connection(("127.0.0.1", local.port), timeout=1):
            pass
        assert local.url.startswith("http://127.0.0.1:")
