"""The entry points: requests (count, bytes, prefixes) and model objects checked as their JSON.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, List, Optional, Tuple

import pytest
from validation_data import (
    HOUR,
    NOW,
    OLD,
    UUID_A,
    UUID_B,
    attrs,
    batch,
    custom,
    rules,
    sized,
)

from mparticle import Configuration
from mparticle.limits import Limits
from mparticle.models import (
    AppEvent,
    ApplicationInformation,
    Batch,
    CommerceEvent,
    DeviceInformation,
    Product,
    ProductAction,
    ProfileEvent,
    PushMessageEvent,
    ScreenViewEvent,
    SessionEndEvent,
    SessionStartEvent,
    UserIdentities,
)
from mparticle.serialization import dumps, to_jsonable
from mparticle.validation import (
    MAX_BATCH_BYTES,
    MAX_REQUEST_BYTES,
    validate,
    validate_request,
)

# --------------------------------------------------------------------------------------------
# Requests: count, bytes, per-batch prefixes
# --------------------------------------------------------------------------------------------


def test_request_of_100_batches_is_valid_101_is_not() -> None:
    assert validate_request([batch()] * 100) == []
    problems = validate_request([batch()] * 101)
    assert [(p.path, p.rule) for p in problems] == [("", "max_items")]
    assert "100" in problems[0].message


def test_request_bytes_limit() -> None:
    # [a,b,c]: 2 brackets + 2 commas + the three batches
    exact = [sized(100_000), sized(100_000), sized(MAX_REQUEST_BYTES - 200_004)]
    assert len(b"[" + b",".join(dumps(b) for b in exact) + b"]") == MAX_REQUEST_BYTES
    assert validate_request(exact) == []
    over = exact[:2] + [sized(MAX_REQUEST_BYTES - 200_003)]
    assert [(p.path, p.rule) for p in validate_request(over)] == [("", "max_bytes")]


def test_request_prefixes_batch_problems() -> None:
    problems = validate_request(
        [batch(), batch(custom(event_name=None)), batch(user_attributes={"$a": {}}), sized(MAX_BATCH_BYTES + 1)]
    )
    assert [(p.path, p.rule) for p in problems] == [
        ("[1].events[0].data.event_name", "required"),
        ('[2].user_attributes["$a"]', "type"),
        ("[3]", "max_bytes"),
    ]


def test_request_must_be_a_list() -> None:
    assert rules(validate_request(batch())) == ["type"]
    assert validate_request((batch(), batch())) == []
    assert validate_request([]) == []


def test_request_historical() -> None:
    problems = validate_request([batch(custom(timestamp_unixtime_ms=OLD)), batch()], historical=True, now_ms=NOW)
    assert [(p.path, p.rule) for p in problems] == [
        ("[1].events[0].data.timestamp_unixtime_ms", "historical_timestamp")
    ]


# --------------------------------------------------------------------------------------------
# Model objects: the same checks, identical to the dict form
# --------------------------------------------------------------------------------------------


def realistic_batch() -> Batch:
    return Batch(
        environment="development",
        user_identities=UserIdentities(customerid="1234", email="user@example.com"),
        device_info=DeviceInformation(platform="iOS", ios_advertising_id=UUID_A, ios_idfv=UUID_B, is_tablet=False),
        application_info=ApplicationInformation(application_name="Shop", application_version="2.1", os="IOS"),
        user_attributes={"$firstname": "Ada", "$age": 36, "favorite_colors": ["red", "green"]},
        deleted_user_attributes=["old_attribute"],
        mp_deviceid=str(uuid.UUID(UUID_B)),
        ip="198.51.100.4",
        schema_version=2,
        events=[
            SessionStartEvent(session_uuid=UUID_A, timestamp_unixtime_ms=OLD),
            ScreenViewEvent(screen_name="Home", session_uuid=UUID_A, timestamp_unixtime_ms=OLD + 1),
            AppEvent(
                "Play",
                "media",
                timestamp_unixtime_ms=OLD + 2,
                custom_attributes={"title": "Song", "seconds": 182, "explicit": False},
                custom_flags={"Google.Category": "music"},
                source_message_id=str(uuid.uuid4()),
            ),
            CommerceEvent(
                ProductAction(
                    action="purchase",
                    transaction_id="t-1",
                    total_amount=12.5,
                    products=[Product(id="sku-1", name="Shirt", price=12.5, quantity=1)],
                ),
                timestamp_unixtime_ms=OLD + 3,
                currency_code="EUR",
            ),
            SessionEndEvent(session_duration_ms=60_000, session_uuid=UUID_A, timestamp_unixtime_ms=OLD + 4),
        ],
    )


def test_realistic_model_batch_is_valid() -> None:
    model = realistic_batch()
    assert validate(model) == []
    assert validate(model, historical=True, now_ms=NOW) == []
    assert validate(json.loads(dumps(model))) == []
    assert validate_request([model, to_jsonable(model)]) == []


def _with(**changes: Any) -> Batch:
    model = realistic_batch()
    for name, value in changes.items():
        setattr(model, name, value)
    return model


MODEL_CASES: List[Tuple[str, Batch, List[str], Optional[str]]] = [
    (
        "session end without duration",
        _with(events=[SessionEndEvent()]),
        ["required"],
        "events[0].data.session_duration_ms",
    ),
    ("long event name", _with(events=[AppEvent("e" * 300)]), ["max_length"], "events[0].data.event_name"),
    ("101 user attributes", _with(user_attributes=attrs(101)), ["max_items"], "user_attributes"),
    ("mp_deviceid not a UUID", _with(mp_deviceid="abc"), ["uuid"], "mp_deviceid"),
    (
        "braced advertising id (uuid.UUID accepts it, the schema does not)",
        _with(device_info=DeviceInformation(ios_advertising_id="{" + UUID_A + "}")),
        ["uuid"],
        "device_info.ios_advertising_id",
    ),
    (
        "profile type unknown (model allows it)",
        _with(events=[ProfileEvent(profile_event_type="unknown", previous_mpid=1, current_mpid=2)]),
        ["enum"],
        "events[0].data.profile_event_type",
    ),
    (
        "push type unknown",
        _with(
            events=[
                PushMessageEvent(push_message_type="unknown", push_message_token="t", push_notification_payload="{}")
            ]
        ),
        ["enum"],
        "events[0].data.push_message_type",
    ),
    ("platform Unknown", _with(device_info=DeviceInformation(platform="Unknown")), ["enum"], "device_info.platform"),
    (
        "custom_event_type unknown",
        _with(events=[AppEvent("x", "unknown")]),
        ["enum"],
        "events[0].data.custom_event_type",
    ),
    (
        "plain dict event inside a model batch",
        _with(events=[{"event_type": "media", "data": {}}]),
        ["event_type"],
        "events[0].event_type",
    ),
    ("oversized batch", _with(user_attributes={f"a{i}": "v" * 4000 for i in range(40)}), ["max_bytes"], ""),
]


@pytest.mark.parametrize("description, model, expected, path", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_model_cases(description: str, model: Batch, expected: List[str], path: Optional[str]) -> None:
    problems = validate(model)
    assert rules(problems) == sorted(expected)
    assert problems[0].path == path
    assert validate(to_jsonable(model)) == problems
    assert validate(json.loads(dumps(model))) == problems


def test_model_historical_rules() -> None:
    model = _with(events=[AppEvent("Play", timestamp_unixtime_ms=OLD), AppEvent("Now")])
    assert rules(validate(model, historical=True, now_ms=NOW)) == ["historical_timestamp"]
    model = _with(events=[AppEvent("Play", timestamp_unixtime_ms=NOW - HOUR)])
    assert rules(validate(model, historical=True, now_ms=NOW)) == ["historical_too_recent"]
    assert rules(validate(_with(events=[]), historical=True, now_ms=NOW)) == ["historical_no_events"]


# --------------------------------------------------------------------------------------------
# The limits of a Configuration (config=), by default mparticle.limits.LIMITS
# --------------------------------------------------------------------------------------------


def test_validate_takes_the_batch_limit_of_the_configuration() -> None:
    config = Configuration()
    assert validate(sized(MAX_BATCH_BYTES), config=config) == []
    config.max_batch_bytes = 1000
    problems = validate(sized(1001), config=config)
    assert [(p.path, p.rule, p.message) for p in problems] == [
        ("", "max_bytes", "the batch is 1,001 bytes serialized; the limit is 1,000")
    ]
    assert validate(sized(1000), config=config) == []
    assert validate(sized(1001)) == []  # the default: LIMITS
    assert validate(sized(4097), config=Limits(max_batch_bytes=4096))[0].message.endswith("limit is 4,096 (4 KB)")


def test_default_limit_messages() -> None:
    assert validate(sized(MAX_BATCH_BYTES + 1))[0].message == (
        f"the batch is {MAX_BATCH_BYTES + 1:,} bytes serialized; the limit is 131,072 (128 KB)"
    )
    over = [sized(100_000), sized(100_000), sized(MAX_REQUEST_BYTES - 200_003)]
    assert validate_request(over)[0].message == (
        f"the request is {MAX_REQUEST_BYTES + 1:,} bytes serialized; the limit is 262,144 (256 KB)"
    )


def test_validate_request_takes_every_limit_of_the_configuration() -> None:
    config = Configuration()
    config.max_batches_per_request, config.max_request_bytes, config.max_batch_bytes = 2, 3000, 1000
    assert validate_request([sized(1000), sized(1000)], config=config) == []
    problems = validate_request([sized(1001), sized(1000), sized(1000)], config=config)
    assert [(p.path, p.rule) for p in problems] == [("", "max_items"), ("[0]", "max_bytes"), ("", "max_bytes")]
    assert problems[0].message == "the request has 3 batches; the limit is 2"
    assert problems[2].message == "the request is 3,005 bytes serialized; the limit is 3,000"


# --------------------------------------------------------------------------------------------
# Warnings: accepted by the server, probably not as meant
# --------------------------------------------------------------------------------------------


def test_an_empty_batch_is_reported_no_environment_and_no_user() -> None:
    problems = validate(Batch())
    assert [(p.path, p.rule, p.severity) for p in problems] == [
        ("environment", "no_environment", "warning"),
        ("", "no_user", "warning"),
    ]
    assert "production data" in problems[0].message
    assert str(problems[1]).startswith("<batch>: warning: the batch has no user identity, mpid or device id")
    assert validate(Batch(), warnings=False) == []  # no error: the server accepts it
    assert validate(Batch(environment="development", mpid=1)) == []
    assert validate(Batch(environment="development", user_identities=UserIdentities(customerid="c"))) == []
    assert validate(Batch(environment="development", device_info=DeviceInformation(android_uuid="a"))) == []
    assert [p.rule for p in validate(Batch(environment="development", device_info=DeviceInformation(brand="b")))] == [
        "no_user"
    ]


def test_a_timestamp_in_seconds_is_a_warning_naming_its_path() -> None:
    event = AppEvent("Play", "navigation", timestamp_unixtime_ms=1_700_000_000)
    problems = validate(Batch(environment="development", mpid=1, events=[event]))
    assert [(p.path, p.rule, p.severity) for p in problems] == [
        ("events[0].data.timestamp_unixtime_ms", "timestamp", "warning")
    ]
    assert problems[0].message == (
        "`events[0].data.timestamp_unixtime_ms` is 1700000000, as milliseconds 1970-01-20: it looks like seconds "
        "(1700000000000 would be 2023-11-14)"
    )
    micro = validate(batch(custom(timestamp_unixtime_ms=NOW * 1000)))
    assert [p.rule for p in micro] == ["timestamp"] and "looks like microseconds" in micro[0].message
    consent = {"ccpa": {"data_sale_opt_out": {"consented": False, "timestamp_unixtime_ms": 1_600_000_000}}}
    (found,) = validate(batch(consent_state=consent))
    assert found.path == "consent_state.ccpa.data_sale_opt_out.timestamp_unixtime_ms" and "seconds" in found.message
    assert validate(batch(custom(timestamp_unixtime_ms=NOW))) == []
    assert [p.rule for p in validate(batch(custom(timestamp_unixtime_ms="1700000000")))] == ["type"]  # error only


def test_a_request_prefixes_warnings_and_can_leave_them_out() -> None:
    problems = validate_request([batch(), {"environment": "production"}])
    assert [(p.path, p.rule, p.severity) for p in problems] == [("[1]", "no_user", "warning")]
    assert validate_request([batch(), {"environment": "production"}], warnings=False) == []
