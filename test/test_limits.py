"""One place for the service limits and endpoint paths: everything else agrees with it."""

from __future__ import annotations

import dataclasses
import json
import urllib.request

import pytest

from mparticle import Configuration, testing, validation
from mparticle.limits import API_PREFIX, BULK_PATH, EVENTS_PATH, HISTORICAL_PATH, LIMITS, Limits
from mparticle.uploader import sender


def test_configuration_defaults_are_the_service_limits() -> None:
    config = Configuration()
    assert (config.max_batch_bytes, config.max_request_bytes, config.max_batches_per_request) == (
        128 * 1024, 256 * 1024, 100
    )
    assert dataclasses.astuple(LIMITS) == (config.max_batch_bytes, config.max_request_bytes,
                                           config.max_batches_per_request)


def test_validation_and_the_uploader_use_the_same_limits_and_paths() -> None:
    assert (validation.MAX_BATCH_BYTES, validation.MAX_REQUEST_BYTES, validation.MAX_BATCHES_PER_REQUEST) == (
        LIMITS.max_batch_bytes, LIMITS.max_request_bytes, LIMITS.max_batches_per_request
    )
    assert (sender.BULK_PATH, sender.HISTORICAL_PATH) == (BULK_PATH, HISTORICAL_PATH)


def test_the_embedded_endpoint_serves_the_same_paths_and_limits() -> None:
    server = testing.LocalEventsServer()
    assert (server.max_request_bytes, server.max_batches) == (LIMITS.max_request_bytes, LIMITS.max_batches_per_request)
    config = Configuration(api_key=server.api_key, api_secret=server.api_secret)
    batch = {"events": [{"event_type": "session_start", "data": {"timestamp_unixtime_ms": 1_600_000_000_000}}]}
    with server:
        for path, body in ((EVENTS_PATH, batch), (BULK_PATH, [batch]), (HISTORICAL_PATH, [batch])):
            request = urllib.request.Request(
                server.url + path, data=json.dumps(body).encode(), headers={
                    "Authorization": config.get_basic_auth_token(), "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 202
    assert server.url.endswith(API_PREFIX)
    assert [r.path for r in server.requests] == [API_PREFIX + p for p in (EVENTS_PATH, BULK_PATH, HISTORICAL_PATH)]


def test_limits_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIMITS.max_batch_bytes = 1  # type: ignore[misc]
    assert Limits(max_batch_bytes=1).max_request_bytes == 256 * 1024
