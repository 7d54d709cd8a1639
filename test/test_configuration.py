"""Configuration: defaults, credentials, pods, logging hygiene, retry and timeout settings."""

from __future__ import annotations

import base64
import inspect
import io
import logging
import math
import socket
import typing
from pathlib import Path
from typing import Any, Optional, Tuple, Union

import pytest

import mparticle
from mparticle.configuration import DEFAULT_HOST, PODS
from mparticle.retry import RetryPolicy
from mparticle.testing import LocalEventsServer

KEY, SECRET = "test-key", "test-secret"


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


#: Every setting the constructor takes (all keyword-only), as before: each attribute and
#: property of a Configuration that is not a method.
SETTINGS = {
    "host", "pod", "api_key", "api_secret", "proxy", "proxy_headers", "verify_ssl", "ssl_ca_cert", "cert_file",
    "key_file", "connection_pool_size", "connect_timeout", "read_timeout", "timeout", "retries",
    "max_batches_per_request", "max_request_bytes", "max_batch_bytes", "debug", "logger_file", "logger_format",
    "logger_formatter", "logger_stream_handler", "logger_file_handler", "logger", "api_client", "temp_folder_path",
    "api_key_store", "api_key_prefix",
}


def test_the_constructor_declares_every_setting_keyword_only_with_its_type() -> None:
    parameters = dict(inspect.signature(mparticle.Configuration).parameters)
    assert set(parameters) == SETTINGS
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    c = mparticle.Configuration()
    public = {n for n in dir(c) if not n.startswith("_") and not inspect.isfunction(getattr(type(c), n, None))}
    assert public == SETTINGS  # nothing settable is left out
    hints = typing.get_type_hints(mparticle.Configuration.__init__, localns={"ApiClient": mparticle.ApiClient})
    assert hints["api_key"] == Optional[str] and hints["connection_pool_size"] is int
    assert hints["retries"] == Union[RetryPolicy, int, bool, None]
    assert all(hint is not Any for hint in hints.values())  # precise: a type checker catches api_kye= or pod=1
    with pytest.raises(TypeError, match="unexpected keyword argument 'api_kye'"):
        mparticle.Configuration(api_kye="k")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        mparticle.Configuration("k")  # type: ignore[misc]
    with pytest.raises(TypeError, match="get_basic_auth_token"):
        mparticle.Configuration(get_basic_auth_token=lambda: "x")  # type: ignore[call-arg]  # a method, not a setting


def test_keywords_set_what_the_attributes_set(tmp_path: Path) -> None:
    handler = logging.NullHandler()
    c = mparticle.Configuration(
        pod="eu1", api_key="k", api_secret="s", proxy="http://127.0.0.1:3128", verify_ssl=False,
        connection_pool_size=7, timeout=(1, 2), retries=5, max_batch_bytes=1000, logger_format="%(message)s",
        logger_stream_handler=handler, temp_folder_path=str(tmp_path), api_key_store={"x": "y"},
    )
    assert (c.host, c.api_key, c.api_secret, c.verify_ssl) == (PODS["eu1"], "k", "s", False)
    assert c.proxy == "http://127.0.0.1:3128"
    assert (c.connection_pool_size, c.timeout, c.retries.max_retries, c.max_batch_bytes) == (7, (1.0, 2.0), 5, 1000)
    assert c.logger_format == "%(message)s" and c.logger_formatter._fmt == "%(message)s"
    assert c.logger_stream_handler is handler and c.api_key_store == {"x": "y"} and c.api_key_prefix == {}
    assert mparticle.Configuration(connect_timeout=None, read_timeout=1).timeout == (math.inf, 1.0)
    assert mparticle.Configuration(connect_timeout=1, timeout=9).timeout == (9.0, 9.0)  # timeout wins
    assert mparticle.Configuration(host="http://127.0.0.1:1/v2", pod="au1").pod == "au1"  # pod wins
    assert mparticle.Configuration(retries=None).retries.max_retries == 0
    with pytest.raises(ValueError, match="connect_timeout"):
        mparticle.Configuration(connect_timeout=-1)
    with pytest.raises(ValueError, match="`proxy`"):
        mparticle.Configuration(proxy="proxy:3128")


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
    before = (list(package_logger.handlers), package_logger.level)
    c = mparticle.Configuration()
    c.debug = True
    assert (list(package_logger.handlers), package_logger.level) == before  # debug touches no logger
    assert isinstance(c.logger_stream_handler, logging.StreamHandler)
    c.logger_format = "%(message)s"
    assert c.logger_stream_handler is not None and c.logger_stream_handler.formatter._fmt == "%(message)s"  # type: ignore[union-attr]
    c.debug = False
    assert c.logger_stream_handler is None and (list(package_logger.handlers), package_logger.level) == before
    path = tmp_path / "mp.log"
    c.logger_file = str(path)
    logging.getLogger("mparticle.test").warning("hello file")
    c.logger_file = None
    assert "hello file" in path.read_text() and package_logger.handlers == before[0]


# -- debug: per Configuration, HTTP traffic at DEBUG, never a credential ---------------------------


def debug_config(
    server: LocalEventsServer, secret: str = SECRET, **settings: Any
) -> Tuple[mparticle.Configuration, io.StringIO]:
    """A debug Configuration for ``server`` and the stream its debug handler writes to."""
    config = mparticle.Configuration(api_key=KEY, api_secret=secret, host=server.url, debug=True, **settings)
    stream = io.StringIO()
    assert isinstance(config.logger_stream_handler, logging.StreamHandler)
    config.logger_stream_handler.setStream(stream)
    return config, stream


def send_one(config: mparticle.Configuration, name: str = "Play") -> None:
    batch = mparticle.Batch(environment="development", mpid=1, events=[mparticle.AppEvent(name, "navigation")])
    mparticle.EventsApi(config).upload_events(batch)


def test_debug_shows_this_configurations_traffic_only_once_each(server: LocalEventsServer) -> None:
    first, first_out = debug_config(server)
    second, second_out = debug_config(server)
    quiet = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    send_one(first, "first-event")
    send_one(second, "second-event")
    send_one(quiet, "quiet-event")
    first_text, second_text = first_out.getvalue(), second_out.getvalue()
    assert first_text.count("first-event") == 1 and "second-event" not in first_text  # once, not per debug config
    assert second_text.count("second-event") == 1 and "first-event" not in second_text
    assert "quiet-event" not in first_text + second_text  # another client's traffic is not shown
    assert first_text.count(f"POST {server.url}/events -> 202") == 1


def test_debug_changes_no_logger_and_keeps_the_applications_level(server: LocalEventsServer) -> None:
    package_logger = logging.getLogger("mparticle")
    old_level = package_logger.level
    package_logger.setLevel(logging.INFO)  # the application's own choice
    try:
        loggers = [package_logger, logging.getLogger("mparticle.rest"), logging.getLogger("urllib3")]
        loggers.append(logging.getLogger())
        before = [(list(lg.handlers), lg.level) for lg in loggers]
        config, _ = debug_config(server)
        send_one(config)
        config.debug = False
        config.debug = True
        config.debug = False
        assert [(list(lg.handlers), lg.level) for lg in loggers] == before
        assert package_logger.level == logging.INFO
    finally:
        package_logger.setLevel(old_level)


def test_debug_logs_method_url_status_and_bounded_bodies_never_credentials(
    server: LocalEventsServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-value-Zq9"
    token = base64.b64encode(f"{KEY}:{secret}".encode()).decode()
    local = LocalEventsServer(KEY, secret, strict=True).start()
    try:
        config, out = debug_config(local, secret, retries=RetryPolicy(max_retries=1, backoff_base=0.001))
        local.script(503)
        caplog.set_level(logging.DEBUG, logger="mparticle")  # the application's own logging too
        attributes = {"echo": secret, **{f"long{i}": "x" * 1000 for i in range(5)}, "tail": secret}
        batch = mparticle.Batch(environment="development", mpid=1, events=[
            mparticle.AppEvent("Play", "navigation", custom_attributes=attributes),
        ])
        mparticle.EventsApi(config).upload_events(batch)
        with pytest.raises(mparticle.ApiException):
            mparticle.EventsApi(config).bulk_upload_events([{"environment": "staging", "mpid": 1}])  # 400
    finally:
        local.stop()
    text = out.getvalue()
    lines = text.splitlines()
    url = f"{local.url}/events"
    assert any(f"DEBUG POST {url} (" in line and '{"events":[{"data":{"custom_attributes":' in line for line in lines)
    bulk = f"POST {local.url}/bulkevents (36 bytes): " + '[{"environment":"staging","mpid":1}]'
    assert any(bulk in line for line in lines)
    assert any(f"POST {url} -> 503 in " in line for line in lines)
    assert any(f"POST {url}: status 503; retry 1 in " in line for line in lines)
    assert any(f"POST {url} -> 202 in " in line for line in lines)
    assert any(f"POST {local.url}/bulkevents -> 400 in " in line and "environment" in line for line in lines)
    assert all(len(line) < 2500 for line in lines) and "more characters" in text  # bodies are cut
    assert "<api_secret>" in text  # the secret echoed in the body is masked
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "mparticle.rest")
    assert f"POST {url} -> 202" in logged
    for shown in (text, logged, caplog.text):
        assert secret not in shown and token not in shown and "Authorization" not in shown and "Basic " not in shown


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


def test_socket_is_loopback_only() -> None:
    with LocalEventsServer() as local:
        with socket.create_connection(("127.0.0.1", local.port), timeout=1):
            pass
        assert local.url.startswith("http://127.0.0.1:")
