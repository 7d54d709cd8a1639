"""Configuration: defaults, credentials, pods, logging hygiene, retry and timeout settings."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

import mparticle
from mparticle.configuration import DEFAULT_HOST, PODS
from mparticle.retry import RetryPolicy
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


def test_socket_is_loopback_only() -> None:
    with LocalEventsServer() as local:
        with socket.create_connection(("127.0.0.1", local.port), timeout=1):
            pass
        assert local.url.startswith("http://127.0.0.1:")
