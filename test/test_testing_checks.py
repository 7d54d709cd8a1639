"""Which batches the endpoint refuses: the real validator's rules, lenient by default, or strict."""

import time

import pytest
from http_helpers import EVENT, HIST_EVENT, batch, error_of, errors_of, request
from hypothesis import given, settings
from hypothesis import strategies as st

from mparticle.models.shared import EVENT_TYPES
from mparticle.testing import LocalEventsServer
from mparticle.testing.checks import clean_envelope, refused
from mparticle.validation import Problem, validate

HISTORICAL = "/v2/bulkevents/historical"
#: Problems the validator reports and the real service does not refuse: 202 unless strict.
ACCEPTED_UNLESS_STRICT = [
    ("/v2/bulkevents", [{"user_identities": {"customerid": "1"}}], "identity_key"),
    ("/v2/events", dict(batch(), environment="staging"), "environment"),
    ("/v2/events", batch(event={"event_type": "custom_event", "data": {"event_name": "x"}}), "required"),
    ("/v2/events", batch(event=dict(EVENT, data=dict(EVENT["data"], event_name="n" * 300))), "max_length"),
]


@pytest.fixture
def strict():
    with LocalEventsServer(strict=True) as srv:
        yield srv
    assert srv.errors == []


def test_the_helpers_batches_are_valid():
    assert validate(batch(3), warnings=False) == []  # (they name no user: a warning)
    assert validate(batch(2, HIST_EVENT), historical=True, warnings=False) == []


@pytest.mark.parametrize(
    "path, payload, fragment",
    [
        ("/v2/events", [batch()], "JSON object (one batch)"),
        ("/v2/bulkevents", batch(), "JSON array"),
        ("/v2/bulkevents", [batch()] * 101, "too many batches: 101 > 100"),
        ("/v2/bulkevents", [batch(), 3], "batches[1]: a batch must be a JSON object, got number [type]"),
        ("/v2/bulkevents", [{"events": {}}], "batches[0]: `events` must be an array, got object [type]"),
        ("/v2/bulkevents", [{"events": [{"data": {}}]}], "batches[0]: `events[0].event_type` is required"),
        ("/v2/bulkevents", [{"events": [{"event_type": "", "data": {}}]}], '`events[0].event_type` is ""'),
        ("/v2/events", {"events": [{"event_type": "bogus", "data": {}}]}, '`events[0].event_type` is "bogus"'),
        ("/v2/events", {"events": [{"event_type": 5, "data": {}}]}, "batch: `events[0].event_type` must be one of"),
        ("/v2/events", {"events": [EVENT, {"event_type": "custom_event", "data": 1}]}, "batch: `events[1].data` must"),
        ("/v2/events", {"events": [{"event_type": "custom_event"}]}, "batch: `events[0].data` is required"),
        ("/v2/events", {"events": [7]}, "batch: `events[0]` (an event) must be an object"),
    ],
)
def test_lenient_refuses_what_the_service_refuses(server, path, payload, fragment):
    status, headers, data = request(server, path, payload)
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    code, message = error_of(data)
    assert code == "BAD_REQUEST" and fragment in message
    assert server.batches == [] and server.requests[0].error == message


@pytest.mark.parametrize("path, payload, rule", ACCEPTED_UNLESS_STRICT)
def test_lenient_accepts_what_the_service_accepts(server, strict, path, payload, rule):
    assert request(server, path, payload)[0] == 202
    status, _, data = request(strict, path, payload)
    assert status == 400
    assert any(message.endswith(f"[{rule}]") for _, message in errors_of(data))
    assert strict.accepted_count == 0


def test_bulk_limits(server):
    assert request(server, "/v2/bulkevents", [batch()] * 100)[0] == 202
    assert request(server, "/v2/bulkevents", [])[0] == 202
    assert request(server, "/v2/bulkevents", [{"user_identities": {"customer_id": "1"}}])[0] == 202
    assert server.accepted_count == 101


def test_historical_rules(server):
    for bad, fragment in [
        ([{"environment": "production"}], "batches[0]: a historical batch must contain at least one event"),
        ([{"events": []}], "at least one event [historical_no_events]"),
        ([batch(event=HIST_EVENT), batch()], "batches[1]: `events[0].data.timestamp_unixtime_ms` is required"),
        ([{"events": [{"event_type": "custom_event", "data": {"timestamp_unixtime_ms": True}}]}],
         "`events[0].data.timestamp_unixtime_ms` must be an integer, got boolean [type]"),
    ]:
        status, _, data = request(server, HISTORICAL, bad)
        assert status == 400, bad
        assert fragment in error_of(data)[1]
    assert request(server, HISTORICAL, [batch(2, HIST_EVENT)])[0] == 202
    assert request(server, HISTORICAL + "?x=1", [batch(1, HIST_EVENT)])[0] == 202
    # A mistyped timestamp outside the historical endpoint is not refused.
    stamped = {"event_type": "custom_event", "data": dict(EVENT["data"], timestamp_unixtime_ms=True)}
    assert request(server, "/v2/bulkevents", [batch(event=stamped)])[0] == 202
    assert server.accepted_count == 3


def test_historical_too_recent_is_refused_only_when_strict(server, strict):
    recent = dict(HIST_EVENT, data=dict(HIST_EVENT["data"], timestamp_unixtime_ms=int(time.time() * 1000)))
    assert request(server, HISTORICAL, [batch(event=recent)])[0] == 202
    status, _, data = request(strict, HISTORICAL, [batch(event=recent)])
    assert status == 400
    assert error_of(data)[1].endswith("[historical_too_recent]")


def test_strict_lists_every_problem(strict):
    bad = {"environment": "staging", "events": [{"event_type": "custom_event", "data": {}}]}
    status, _, data = request(strict, "/v2/bulkevents", [batch(), bad, bad])
    assert status == 400
    errors = errors_of(data)
    expected = [f"batches[{i}]: {p.message} [{p.rule}]" for i in (1, 2) for p in validate(bad, warnings=False)]
    assert len(expected) >= 4
    assert errors == [("BAD_REQUEST", message) for message in expected]
    assert strict.requests[0].error == "; ".join(expected)
    assert request(strict, "/v2/bulkevents", [batch(), batch(2)])[0] == 202
    assert request(strict, "/v2/events", batch())[0] == 202
    assert strict.accepted_count == 3


def test_strict_refuses_a_batch_over_128_kb():
    big = batch(event=dict(EVENT, data=dict(EVENT["data"], custom_attributes={"a": "x" * 4000})), n_events=40)
    with LocalEventsServer(max_request_bytes=1024 * 1024) as lenient, LocalEventsServer(
        max_request_bytes=1024 * 1024, strict=True
    ) as strict:
        assert request(lenient, "/v2/events", big)[0] == 202
        status, _, data = request(strict, "/v2/events", big)
        assert status == 400 and error_of(data)[1].endswith("[max_bytes]")


def test_error_body_lists_at_most_100_problems(strict):
    bad = {"events": [{"event_type": "bogus", "data": {}}] * 150}
    status, _, data = request(strict, "/v2/events", bad)
    assert status == 400
    assert len(errors_of(data)) == 100
    assert strict.requests[0].error.count("[event_type]") == 150


def test_validate_false_only_parses():
    with LocalEventsServer(validate=False) as srv:
        assert request(srv, "/v2/bulkevents", [{"events": {}}, 3])[0] == 202
        assert request(srv, HISTORICAL, [{"events": []}])[0] == 202
        assert request(srv, "/v2/events", [batch()])[0] == 400  # the body's shape is still checked
        assert request(srv, "/v2/bulkevents", [batch()] * 101)[0] == 400
        assert srv.accepted_count == 3


@pytest.mark.parametrize(
    "path, rule, historical, expected",
    [
        ("", "type", False, True),
        ("events", "type", False, True),
        ("events[3]", "type", False, True),
        ("events[3].data", "required", False, True),
        ("events[3].event_type", "required", False, True),
        ("events[3].event_type", "event_type", False, True),
        ("events", "historical_no_events", True, True),
        ("events[0].data.timestamp_unixtime_ms", "historical_timestamp", True, True),
        ("events[0].data.timestamp_unixtime_ms", "type", True, True),
        ("events[0].data.timestamp_unixtime_ms", "type", False, False),
        ("events[0].data.timestamp_unixtime_ms", "historical_too_recent", True, False),
        ("events[0].data.event_name", "required", False, False),
        ("events[0].data.custom_attributes.a", "type", False, False),
        ("user_identities.customerid", "identity_key", False, False),
        ("environment", "environment", False, False),
        ("", "max_bytes", False, False),
    ],
)
def test_refused(path, rule, historical, expected):
    assert refused(Problem(path, rule, "m"), historical) is expected


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=3))
EVENT_TYPE = st.one_of(st.sampled_from([*EVENT_TYPES, "", "bogus"]), SCALARS, st.lists(SCALARS, max_size=1))
TIMESTAMP = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False), SCALARS)
DATA = st.one_of(st.fixed_dictionaries({}, optional={"timestamp_unixtime_ms": TIMESTAMP}), SCALARS)
EVENT_OBJECT = st.fixed_dictionaries({}, optional={"event_type": EVENT_TYPE, "data": DATA})
EVENTS = st.one_of(st.lists(st.one_of(EVENT_OBJECT, SCALARS), max_size=3), SCALARS, st.dictionaries(st.text(), SCALARS))
BATCH = st.one_of(st.fixed_dictionaries({}, optional={"events": EVENTS, "environment": SCALARS}), SCALARS)


@settings(max_examples=300, deadline=None)
@given(BATCH, st.booleans())
def test_a_clean_envelope_has_no_refused_problem(batch, historical):
    """Lenient mode skips the validator for clean envelopes: that must never hide a refusal."""
    if clean_envelope(batch, historical):
        assert not [p for p in validate(batch, historical=historical) if refused(p, historical)]


def test_clean_envelope():
    assert clean_envelope(batch(3), False) and clean_envelope({}, False) and clean_envelope({"events": None}, False)
    assert clean_envelope(batch(2, HIST_EVENT), True)
    assert not clean_envelope({}, True) and not clean_envelope(batch(), True)
    assert not clean_envelope([], False)
    assert not clean_envelope({"events": [{"event_type": "unknown", "data": {}}]}, False)  # the models' placeholder
    assert not clean_envelope({"events": [{"event_type": ["custom_event"], "data": {}}]}, False)
