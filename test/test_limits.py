"""One place for the service limits and endpoint paths: everything else agrees with it."""

from __future__ import annotations

import dataclasses

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
    # mparticle.testing stays loadable on its own (the benchmarks run it in a bare process), so
    # it keeps its own copies: this test is what keeps them equal.
    assert testing._ENDPOINTS == {API_PREFIX + p for p in (EVENTS_PATH, BULK_PATH, HISTORICAL_PATH)}
    assert testing.LocalEventsServer().max_request_bytes == LIMITS.max_request_bytes
    assert testing.LocalEventsServer().max_batches == LIMITS.max_batches_per_request


def test_limits_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIMITS.max_batch_bytes = 1  # type: ignore[misc]
    assert Limits(max_batch_bytes=1).max_request_bytes == 256 * 1024
