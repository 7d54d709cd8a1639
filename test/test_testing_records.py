"""What the endpoint keeps: Headers, RecordedRequest and the Recorder."""

import threading

import pytest

from mparticle.testing import Headers, RecordedRequest
from mparticle.testing.records import Recorder


def recorded(status=202, body=b"[]", batches=()):
    headers = [("Content-Type", "application/json")]
    return RecordedRequest("POST", "/v2/bulkevents", Headers(headers), headers, body, status, list(batches), 0.0)


def test_headers_are_case_insensitive_and_first_value_wins():
    headers = Headers([("X-A", "1"), ("Content-Type", "application/json"), ("x-a", "2")])
    assert headers["x-a"] == headers["X-A"] == "1"
    assert "CONTENT-TYPE" in headers and 3 not in headers and "nope" not in headers
    assert list(headers) == ["X-A", "Content-Type"] and len(headers) == 2
    assert headers.get_all("X-a") == ["1", "2"]
    assert headers.get("missing") is None
    with pytest.raises(KeyError):
        headers["missing"]  # noqa: B018
    assert repr(headers).startswith("Headers([('X-A', '1')")


def test_recorded_request_json_and_defaults():
    request = recorded(body=b'[{"events": []}]')
    assert request.json() == [{"events": []}]
    assert (request.error, request.faulted, request.wire_size) == (None, False, 0)


def test_recorder_counts_accepted_batches_only():
    recorder = Recorder()
    recorder.add(recorded(400), [{"a": 1}])
    recorder.add(recorded(202), [{"b": 1}, {"c": 1}])
    recorder.add(recorded(0), [])
    assert recorder.accepted_count == 2
    assert recorder.batches == [{"b": 1}, {"c": 1}]
    assert recorder.status_counts == {400: 1, 202: 1, 0: 1}
    assert recorder.request_count == 3 and [r.status for r in recorder.requests] == [400, 202, 0]
    recorder.add_error(RuntimeError("x"))
    assert [str(e) for e in recorder.errors] == ["x"]
    recorder.clear()
    assert (recorder.requests, recorder.batches, recorder.accepted_count, recorder.errors) == ([], [], 0, [])


def test_recorder_without_payloads_keeps_counting():
    recorder = Recorder(keep_payloads=False)
    recorder.add(recorded(202), [{"b": 1}])
    assert (recorder.accepted_count, recorder.batches) == (1, [])


def test_wait_for_wakes_on_an_accepted_batch():
    recorder = Recorder()
    assert recorder.wait_for(0, timeout=0.01)
    assert not recorder.wait_for(1, timeout=0.01)
    waiting = threading.Event()
    results = []

    def waiter():
        waiting.set()
        results.append(recorder.wait_for(2, timeout=60))

    thread = threading.Thread(target=waiter)
    thread.start()
    waiting.wait()
    recorder.add(recorded(202), [{}, {}])
    thread.join(60)
    assert results == [True]
