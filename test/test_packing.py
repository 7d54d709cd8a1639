"""mparticle.uploader.packing: one serialization per batch, requests cut within the limits."""

from __future__ import annotations

import collections
import json
from typing import List

import pytest

from mparticle import AppEvent, Batch, Configuration
from mparticle.uploader.packing import Packer, QueuedBatch, RequestIds, batch_limit, body, encode, take_request


def item(size: int) -> QueuedBatch:
    """A stand-in serialized batch of exactly ``size`` bytes."""
    return QueuedBatch(b'{"x":"' + b"a" * (size - 8) + b'"}', "id")


def test_encode_stamps_a_source_request_id_into_the_bytes_once() -> None:
    batch = Batch(environment="development", events=[AppEvent("Home", "navigation")])
    queued = encode(batch, 128 * 1024, RequestIds())
    assert queued.data.startswith(b'{"source_request_id":"' + queued.source_request_id.encode() + b'",')
    assert queued.json()["environment"] == "development" and batch.source_request_id is None
    given = encode({"environment": "development", "source_request_id": "fixed"}, 1024, RequestIds())
    assert given.source_request_id == "fixed" and given.data.count(b"source_request_id") == 1


def test_encode_refuses_a_batch_that_its_id_pushes_over_the_limit() -> None:
    exact = len(encode({"environment": "development"}, 10**6, RequestIds()).data)
    with pytest.raises(ValueError, match="with its source_request_id"):
        encode({"environment": "development"}, exact - 1, RequestIds())


def test_batch_limit_is_the_smaller_of_the_batch_and_request_limits() -> None:
    assert batch_limit(Configuration()) == 128 * 1024
    assert batch_limit(Configuration(max_request_bytes=1000)) == 998


def test_take_request_respects_count_and_bytes() -> None:
    source = collections.deque(item(100) for _ in range(10))
    assert len(take_request(source, 3, 10**6)) == 3
    assert len(take_request(source, 100, 1 + 100 + 1 + 100 + 1)) == 2  # "[a,b]" exactly
    assert len(take_request(source, 100, 10)) == 1  # one batch always goes, whatever its size


def test_packer_cuts_requests_as_the_queue_does() -> None:
    packer = Packer(max_count=3, max_bytes=250)
    completed: List[List[QueuedBatch]] = []
    for size in (100, 100, 100, 30, 30, 30, 30):
        completed += packer.add(item(size))
    completed += packer.drain()
    assert [[len(b) for b in request] for request in completed] == [[100, 100], [100, 30, 30], [30, 30]]
    assert all(len(body(request)) <= 250 for request in completed)
    assert json.loads(body(completed[0])) == [{"x": "a" * 92}] * 2
    assert packer.drain() == []
