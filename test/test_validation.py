"""Validation corpus: every rule of mparticle.validation with a passing and a failing case.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any, Dict, List, Optional, Tuple

import pytest

from mparticle import models
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
from mparticle.models.base import registry
from mparticle.serialization import dumps, to_jsonable
from mparticle.validation import (
    MAX_BATCH_BYTES,
    MAX_REQUEST_BYTES,
    RULES,
    Problem,
    validate,
    validate_request,
)

NOW = 1_700_000_000_000
HOUR = 3_600_000
OLD = NOW - 40 * 24 * HOUR  # a backfill timestamp (40 days ago)
UUID_A = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
UUID_B = "6F9619FF-8B86-D011-B42D-00C04FC964FF"  # upper case is UUID-shaped too


def ev(event_type: str, **data: Any) -> Dict[str, Any]:
    """One event envelope."""
    return {"event_type": event_type, "data": data}


def custom(**data: Any) -> Dict[str, Any]:
    """A valid custom event, with ``data`` overrides."""
    return ev("custom_event", **{"event_name": "Play", "custom_event_type": "navigation", **data})


def batch(*events: Any, **fields: Any) -> Dict[str, Any]:
    """A batch dict: production, one custom event unless ``events`` are given."""
    return {"environment": "production", "events": list(events) or [custom()], **fields}


def attrs(count: int, value: Any = "v") -> Dict[str, Any]:
    return {f"attr_{i}": value for i in range(count)}


def sized(size: int) -> Dict[str, Any]:
    """A valid batch whose serialized form is exactly ``size`` bytes."""
    result = batch(source_request_id="")
    result["source_request_id"] = "x" * (size - len(dumps(result)))
    assert len(dumps(result)) == size
    return result


def rules(problems: List[Problem]) -> List[str]:
    return sorted(p.rule for p in problems)


# --------------------------------------------------------------------------------------------
# Minimal valid data per event type and the required fields chosen (schema.md 3.3, SCHEMA-2026)
# --------------------------------------------------------------------------------------------

MINIMAL: Dict[str, Dict[str, Any]] = {
    "custom_event": {"event_name": "Play", "custom_event_type": "other"},
    "commerce_event": {"product_action": {"action": "purchase"}},
    "screen_view": {"screen_name": "Home"},
    "session_start": {},
    "session_end": {"session_duration_ms": 1000},
    "application_state_transition": {"application_transition_type": "application_initialized"},
    "breadcrumb": {"label": "tap"},
    "crash_report": {"severity": "fatal", "message": "boom"},
    "first_run": {},
    "uninstall": {},
    "network_performance": {"url": "https://example.com", "response_code": 200},
    "opt_out": {"is_opted_out": True},
    "profile": {"previous_mpid": 1, "current_mpid": 2, "profile_event_type": "login"},
    "push_message": {"push_message_token": "t", "push_message_type": "received", "push_notification_payload": "{}"},
    "push_registration": {"register": True, "registration_token": "t"},
    "user_attribute_change": {"user_attribute_name": "color"},
    "user_identity_change": {
        "new": {"identity_type": "email", "identity": "a@b.c", "timestamp_unixtime_ms": OLD},
        "old": {"identity_type": "email", "identity": "x@b.c", "timestamp_unixtime_ms": OLD},
    },
    "pre_attribution": {},
    "push_reaction": {},
}
REQUIRED: Dict[str, Tuple[str, ...]] = {
    "custom_event": ("event_name", "custom_event_type"),
    "screen_view": ("screen_name",),
    "session_end": ("session_duration_ms",),
    "application_state_transition": ("application_transition_type",),
    "breadcrumb": ("label",),
    "crash_report": ("severity", "message"),
    "network_performance": ("url", "response_code"),
    "opt_out": ("is_opted_out",),
    "profile": ("previous_mpid", "current_mpid", "profile_event_type"),
    "push_message": ("push_message_token", "push_message_type", "push_notification_payload"),
    "push_registration": ("register", "registration_token"),
    "user_attribute_change": ("user_attribute_name",),
    "user_identity_change": ("new", "old"),
}


def test_minimal_events_cover_every_event_type() -> None:
    assert len(MINIMAL) == 19


@pytest.mark.parametrize("event_type", sorted(MINIMAL))
def test_minimal_event_is_valid(event_type: str) -> None:
    assert validate(batch(ev(event_type, **MINIMAL[event_type]))) == []


@pytest.mark.parametrize("event_type, key", [(t, k) for t, keys in sorted(REQUIRED.items()) for k in keys])
def test_each_required_field(event_type: str, key: str) -> None:
    data = dict(MINIMAL[event_type])
    del data[key]
    problems = validate(batch(ev(event_type, **data)))
    assert [(p.path, p.rule) for p in problems] == [(f"events[0].data.{key}", "required")]
    assert key in problems[0].message and event_type in problems[0].message
    data[key] = None  # null counts as missing
    assert rules(validate(batch(ev(event_type, **data)))) == ["required"]


# --------------------------------------------------------------------------------------------
# The corpus: (description, batch, expected rule ids)
# --------------------------------------------------------------------------------------------

Case = Tuple[str, Any, List[str]]

PASSING: List[Case] = [
    # required / event envelope
    ("minimal batch", {}, []),
    ("batch without events (attributes only)", {"user_attributes": {"a": 1}, "mpid": 5}, []),
    ("null optional key", batch(device_info=None, events=None), []),
    # required_any
    ("commerce with promotion_action", batch(ev("commerce_event", promotion_action={"action": "view"})), []),
    (
        "commerce with impressions",
        batch(ev("commerce_event", product_impressions=[{"product_impression_list": "l", "products": []}])),
        [],
    ),
    # type
    ("integer given as 3.0", batch(mpid=3.0), []),
    ("negative mpid", batch(mpid=-8_000_000_000_000_000_000), []),
    ("flat custom attributes", batch(custom(custom_attributes={"s": "x", "n": 1.5, "b": True, "z": None})), []),
    ("user attribute list", batch(user_attributes={"$age": 30, "tags": ["a", 1, None]}), []),
    ("String fields admit numbers", batch(device_info={"brand": 7, "os_version": 17.1}), []),
    (
        "push behavior as bitmask integer",
        batch(ev("push_message", **MINIMAL["push_message"], push_message_behavior=5)),
        [],
    ),
    # enum
    ("custom_event_type media", batch(custom(custom_event_type="media")), []),
    ("custom_event_type attribution", batch(custom(custom_event_type="attribution")), []),
    ("platform desktop (OAS) and fire_tv (SCHEMA)", batch(device_info={"platform": "desktop"}), []),
    ("platform fire_tv", batch(device_info={"platform": "fire_tv", "att_authorization_status": "denied"}), []),
    ("application os Unknown", batch(application_info={"os": "Unknown", "application_name": "app"}), []),
    (
        "commerce custom_event_type consent_granted",
        batch(
            ev(
                "commerce_event",
                product_action={"action": "remove_from_wish_list"},
                custom_event_type="consent_granted",
            )
        ),
        [],
    ),
    ("push behavior name", batch(ev("push_message", **MINIMAL["push_message"], push_message_behavior="Read")), []),
    ("location_source", batch(custom(location={"latitude": 1, "longitude": 2.5, "location_source": "ip_lookup"})), []),
    # event_type
    ("event_type uninstall", batch(ev("uninstall")), []),
    ("event_type push_reaction (no schema definition)", batch(ev("push_reaction", anything="goes")), []),
    # environment
    ("environment development", batch(environment="development"), []),
    ("environment absent (server defaults to production)", {"events": [custom()]}, []),
    # identity_key
    (
        "all identity keys",
        batch(user_identities={k: "v" for k in ("customer_id", "email", "other_id_10", "phone_number_3")}),
        [],
    ),
    # unknown_key
    ("unknown key inside event data is allowed", batch(custom(not_in_schema=1)), []),
    ("schema_version (sent by the SDKs)", batch(schema_version=2), []),
    ("context with data plan", batch(context={"data_plan": {"plan_id": "p", "plan_version": 2}}), []),
    # uuid
    ("device ids are UUIDs", batch(device_info={"ios_advertising_id": UUID_A, "roku_publisher_id": UUID_B}), []),
    ("mp_deviceid and session_uuid", batch(custom(session_uuid=UUID_A), mp_deviceid=UUID_B), []),
    ("source_message_id need not be a UUID (SCHEMA-2026)", batch(custom(source_message_id="abc")), []),
    # format
    ("ip v4", batch(ip="203.0.113.9"), []),
    ("ip v6", batch(ip="2001:db8::1"), []),
    # max_length, max_items at the limits
    ("100 user attributes", batch(user_attributes=attrs(100)), []),
    ("user attribute name of 256", batch(user_attributes={"n" * 256: 1}), []),
    ("user attribute value of 4096", batch(user_attributes={"a": "v" * 4096}), []),
    ("user attribute list of 1000 entries", batch(user_attributes={"a": ["v"] * 1000}), []),
    ("user attribute list entry of 512", batch(user_attributes={"a": ["v" * 512] * 10}), []),
    ("event attribute name 256 / value 4096", batch(custom(custom_attributes={"n" * 256: "v" * 4096})), []),
    ("event_name of 256", batch(custom(event_name="e" * 256)), []),
    ("action_identifier of 100", batch(ev("push_message", **MINIMAL["push_message"], action_identifier="a" * 100)), []),
    # max_bytes
    ("batch of exactly 128 KB", sized(MAX_BATCH_BYTES), []),
    # consent
    (
        "consent state",
        batch(
            consent_state={
                "gdpr": {"location_collection": {"consented": True, "timestamp_unixtime_ms": OLD}},
                "ccpa": {"data_sale_opt_out": {"consented": False, "timestamp_unixtime_ms": OLD, "document": "d"}},
            }
        ),
        [],
    ),
]

FAILING: List[Case] = [
    # required
    ("event without event_type", batch({"data": {}}), ["required"]),
    ("event without data", batch({"event_type": "session_start"}), ["required"]),
    ("product_action without action", batch(ev("commerce_event", product_action={"products": []})), ["required"]),
    ("location without longitude", batch(custom(location={"latitude": 1})), ["required"]),
    ("consent purpose without timestamp", batch(consent_state={"gdpr": {"p": {"consented": True}}}), ["required"]),
    ("data plan without plan_id", batch(context={"data_plan": {"plan_version": 1}}), ["required"]),
    (
        "identity change: old without identity",
        batch(
            ev(
                "user_identity_change",
                new=MINIMAL["user_identity_change"]["new"],
                old={"identity_type": "email", "timestamp_unixtime_ms": 1},
            )
        ),
        ["required"],
    ),
    (
        "attribution_info incomplete",
        batch(attribution_info={"publisher": "p"}),
        ["required", "required"],
    ),
    # required_any
    ("commerce without action or impressions", batch(ev("commerce_event", currency_code="USD")), ["required_any"]),
    # type
    ("data is a list", batch({"event_type": "custom_event", "data": []}), ["type"]),
    ("events is an object", batch(events={"a": 1}), ["type"]),
    ("event is a string", batch("custom_event"), ["type"]),
    ("nested custom attribute", batch(custom(custom_attributes={"a": {"b": 1}})), ["type"]),
    ("list custom attribute", batch(custom(custom_attributes={"a": [1]})), ["type"]),
    ("custom_flags value object", batch(custom(custom_flags={"Google.Category": {}})), ["type"]),
    ("timestamp as string", batch(custom(timestamp_unixtime_ms="1700000000000")), ["type"]),
    ("timestamp with a fraction", batch(custom(timestamp_unixtime_ms=1.5)), ["type"]),
    ("mpid as boolean", batch(mpid=True), ["type"]),
    ("is_opted_out as string", batch(ev("opt_out", is_opted_out="true")), ["type"]),
    ("user attribute value object", batch(user_attributes={"a": {"b": 1}}), ["type"]),
    ("user attribute list of objects", batch(user_attributes={"a": [{}]}), ["type"]),
    ("event_name as number", batch(custom(event_name=5)), ["type"]),
    ("device_info as list", batch(device_info=[]), ["type"]),
    ("enum value as number", batch(device_info={"platform": 1}), ["type"]),
    ("deleted_user_attributes of numbers", batch(deleted_user_attributes=[1]), ["type"]),
    ("batch is a list", [batch()], ["type"]),
    # enum
    ("custom_event_type unknown (legacy placeholder)", batch(custom(custom_event_type="unknown")), ["enum"]),
    ("custom_event_type typo", batch(custom(custom_event_type="Navigation")), ["enum"]),
    ("platform Unknown", batch(device_info={"platform": "Unknown"}), ["enum"]),
    ("platform ios (case)", batch(device_info={"platform": "ios"}), ["enum"]),
    ("att status", batch(device_info={"att_authorization_status": "yes"}), ["enum"]),
    ("application os", batch(application_info={"os": "iOS"}), ["enum"]),
    ("product action unknown", batch(ev("commerce_event", product_action={"action": "unknown"})), ["enum"]),
    (
        "product action remove_from_wishlist",
        batch(ev("commerce_event", product_action={"action": "remove_from_wishlist"})),
        ["enum"],
    ),
    ("promotion action", batch(ev("commerce_event", promotion_action={"action": "hover"})), ["enum"]),
    (
        "commerce custom_event_type",
        batch(ev("commerce_event", **MINIMAL["commerce_event"], custom_event_type="buy")),
        ["enum"],
    ),
    ("transition type", batch(ev("application_state_transition", application_transition_type="unknown")), ["enum"]),
    ("profile type", batch(ev("profile", **{**MINIMAL["profile"], "profile_event_type": "unknown"})), ["enum"]),
    ("push type", batch(ev("push_message", **{**MINIMAL["push_message"], "push_message_type": "opened"})), ["enum"]),
    ("orientation", batch(custom(device_current_state={"device_orientation": "sideways"})), ["enum"]),
    ("source channel All", batch(source_info={"channel": "All"}), ["enum"]),
    (
        "identity change type",
        batch(
            ev(
                "user_identity_change",
                old=MINIMAL["user_identity_change"]["old"],
                new={"identity_type": "customerid", "identity": "1", "timestamp_unixtime_ms": 1},
            )
        ),
        ["enum"],
    ),
    # event_type
    ("event_type media", batch(ev("media")), ["event_type"]),
    ("event_type unknown", batch(ev("unknown")), ["event_type"]),
    ("event_type as number", batch({"event_type": 3, "data": {}}), ["type"]),
    # environment
    ("environment staging", batch(environment="staging"), ["environment"]),
    ("environment unknown", batch(environment="unknown"), ["environment"]),
    # identity_key
    ("customerid (original SDK key)", batch(user_identities={"customerid": "1"}), ["identity_key"]),
    ("identity type not in the enum", batch(user_identities={"email": "a", "phone": "1"}), ["identity_key"]),
    ("identity value object", batch(user_identities={"email": {}}), ["type"]),
    # unknown_key
    ("batch_context (OAS name)", batch(batch_context={}), ["unknown_key"]),
    ("mp_deserialization_directives", batch(mp_deserialization_directives={}), ["unknown_key"]),
    ("device_info idfa", batch(device_info={"idfa": UUID_A}), ["unknown_key"]),
    ("application_info key", batch(application_info={"name": "x"}), ["unknown_key"]),
    ("event envelope extra key", batch({**custom(), "timestamp": 1}), ["unknown_key"]),
    (
        "ccpa purpose other than data_sale_opt_out",
        batch(consent_state={"ccpa": {"sale": {"consented": True, "timestamp_unixtime_ms": 1}}}),
        ["unknown_key"],
    ),
    (
        "product_action extra key",
        batch(ev("commerce_event", product_action={"action": "click", "revenue": 1})),
        ["unknown_key"],
    ),
    # uuid
    ("mp_deviceid not a UUID", batch(mp_deviceid="abc"), ["uuid"]),
    ("session_uuid without hyphens", batch(custom(session_uuid=uuid.UUID(UUID_A).hex)), ["uuid"]),
    ("ios_advertising_id in braces", batch(device_info={"ios_advertising_id": "{" + UUID_A + "}"}), ["uuid"]),
    ("roku_publisher_id", batch(device_info={"roku_publisher_id": "pub-1"}), ["uuid"]),
    ("android_advertising_id as number", batch(device_info={"android_advertising_id": 1}), ["type"]),
    (
        "every device UUID field",
        batch(
            device_info={
                k: "x"
                for k in (
                    "ios_advertising_id",
                    "ios_idfv",
                    "android_advertising_id",
                    "roku_advertising_id",
                    "roku_publisher_id",
                    "fire_advertising_id",
                )
            }
        ),
        ["uuid"] * 6,
    ),
    # format
    ("ip out of range", batch(ip="999.1.1.1"), ["format"]),
    ("ip hostname", batch(ip="localhost"), ["format"]),
    # max_length
    ("user attribute name 257", batch(user_attributes={"n" * 257: 1}), ["max_length"]),
    ("user attribute value 4097", batch(user_attributes={"a": "v" * 4097}), ["max_length"]),
    ("user attribute list entry 513", batch(user_attributes={"a": ["ok", "v" * 513]}), ["max_length"]),
    ("event attribute name 257", batch(custom(custom_attributes={"n" * 257: 1})), ["max_length"]),
    ("event attribute value 4097", batch(custom(custom_attributes={"a": "v" * 4097})), ["max_length"]),
    ("event_name 257", batch(custom(event_name="e" * 257)), ["max_length"]),
    ("screen_name 257", batch(ev("screen_view", screen_name="s" * 257)), ["max_length"]),
    (
        "action_identifier 101",
        batch(ev("push_message", **MINIMAL["push_message"], action_identifier="a" * 101)),
        ["max_length"],
    ),
    # max_items
    ("101 user attributes", batch(user_attributes=attrs(101)), ["max_items"]),
    ("user attribute list of 1001", batch(user_attributes={"a": ["v"] * 1001}), ["max_items"]),
    # max_bytes
    ("batch of 128 KB + 1 byte", sized(MAX_BATCH_BYTES + 1), ["max_bytes"]),
    # json
    ("NaN", batch(custom(custom_attributes={"x": float("nan")})), ["json"]),
    ("an object that is not JSON", batch(custom(custom_attributes={"x": object()})), ["json"]),
    # several at once
    (
        "several problems in one batch",
        batch(
            ev("custom_event", event_name="x"),
            ev("screen_view"),
            environment="prod",
            user_identities={"customerid": "1"},
            mp_deviceid="1",
        ),
        ["environment", "identity_key", "required", "required", "uuid"],
    ),
]


def test_corpus_covers_every_rule() -> None:
    failing = {r for _, _, expected in FAILING for r in expected}
    historical = {r for _, _, expected in HISTORICAL_FAILING for r in expected}
    assert failing | historical == set(RULES)


@pytest.mark.parametrize("description, data, expected", PASSING, ids=[c[0] for c in PASSING])
def test_passing(description: str, data: Any, expected: List[str]) -> None:
    assert validate(data) == []


@pytest.mark.parametrize("description, data, expected", FAILING, ids=[c[0] for c in FAILING])
def test_failing(description: str, data: Any, expected: List[str]) -> None:
    problems = validate(data)
    assert rules(problems) == sorted(expected), problems
    for problem in problems:
        assert problem.message and isinstance(problem.path, str)


def test_validate_does_not_change_its_input() -> None:
    data = batch(custom(custom_attributes={"a": [1]}), user_attributes=attrs(101))
    before = copy.deepcopy(data)
    validate(data)
    assert data == before


# --------------------------------------------------------------------------------------------
# Paths and messages
# --------------------------------------------------------------------------------------------


def test_paths_and_messages() -> None:
    data = batch(
        custom(),
        custom(custom_event_type="bogus", custom_attributes={"Google.Category": {"x": 1}}),
        user_attributes={"$age": {"a": 1}},
        user_identities={"customerid": "1"},
        environment="staging",
    )
    by_path = {p.path: p for p in validate(data)}
    assert set(by_path) == {
        "events[1].data.custom_event_type",
        'events[1].data.custom_attributes["Google.Category"]',
        'user_attributes["$age"]',
        "user_identities.customerid",
        "environment",
    }
    enum = by_path["events[1].data.custom_event_type"]
    assert enum.rule == "enum"
    for value in ("navigation", "media", "attribution", "bogus"):
        assert value in enum.message
    assert "unknown" not in enum.message.replace("bogus", "")
    assert "did you mean `customer_id`" in by_path["user_identities.customerid"].message
    env = by_path["environment"].message
    assert "development" in env and "production" in env
    assert "flat" in by_path['events[1].data.custom_attributes["Google.Category"]'].message
    assert str(by_path["environment"]).startswith("environment: ")


def test_problem_is_frozen() -> None:
    problem = Problem("environment", "environment", "bad")
    with pytest.raises(AttributeError):
        problem.rule = "x"  # type: ignore[misc]
    assert problem == Problem("environment", "environment", "bad")


# --------------------------------------------------------------------------------------------
# Historical rules (fixed now_ms)
# --------------------------------------------------------------------------------------------

HISTORICAL_PASSING: List[Case] = [
    ("40 days old", batch(custom(timestamp_unixtime_ms=OLD)), []),
    ("exactly 72 hours old", batch(custom(timestamp_unixtime_ms=NOW - 72 * HOUR)), []),
    (
        "every event timestamped",
        batch(custom(timestamp_unixtime_ms=OLD), ev("session_start", timestamp_unixtime_ms=OLD + 1)),
        [],
    ),
]
HISTORICAL_FAILING: List[Case] = [
    ("no events key", {"environment": "production"}, ["historical_no_events"]),
    ("empty events", batch(events=[]), ["historical_no_events"]),
    ("event without timestamp", batch(custom(timestamp_unixtime_ms=OLD), custom()), ["historical_timestamp"]),
    ("72 hours minus 1 ms", batch(custom(timestamp_unixtime_ms=NOW - 72 * HOUR + 1)), ["historical_too_recent"]),
    ("one hour old", batch(custom(timestamp_unixtime_ms=NOW - HOUR)), ["historical_too_recent"]),
    ("in the future", batch(custom(timestamp_unixtime_ms=NOW + HOUR)), ["historical_too_recent"]),
    ("timestamp of the wrong type", batch(custom(timestamp_unixtime_ms="old")), ["type"]),
]


@pytest.mark.parametrize("description, data, expected", HISTORICAL_PASSING, ids=[c[0] for c in HISTORICAL_PASSING])
def test_historical_passing(description: str, data: Any, expected: List[str]) -> None:
    assert validate(data, historical=True, now_ms=NOW) == []


@pytest.mark.parametrize("description, data, expected", HISTORICAL_FAILING, ids=[c[0] for c in HISTORICAL_FAILING])
def test_historical_failing(description: str, data: Any, expected: List[str]) -> None:
    assert rules(validate(data, historical=True, now_ms=NOW)) == sorted(expected)


def test_historical_rules_only_when_asked() -> None:
    data = batch(custom(), events=[])
    assert validate(data) == []
    assert validate(batch(custom())) == []


def test_historical_paths() -> None:
    data = batch(custom(timestamp_unixtime_ms=OLD), custom(), custom(timestamp_unixtime_ms=NOW))
    problems = validate(data, historical=True, now_ms=NOW)
    assert [(p.path, p.rule) for p in problems] == [
        ("events[1].data.timestamp_unixtime_ms", "historical_timestamp"),
        ("events[2].data.timestamp_unixtime_ms", "historical_too_recent"),
    ]
    assert "72 hours" in problems[1].message


def test_historical_defaults_to_the_clock() -> None:
    assert validate(batch(custom(timestamp_unixtime_ms=OLD)), historical=True) == []  # 2023 is old now
    recent = batch(custom(timestamp_unixtime_ms=10**14))  # the year 5138
    assert rules(validate(recent, historical=True)) == ["historical_too_recent"]


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
        [batch(), batch(custom(event_name=None)), {"user_attributes": {"$a": {}}}, sized(MAX_BATCH_BYTES + 1)]
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
# The models' declarations: every declared key is known, with the declared type
# --------------------------------------------------------------------------------------------

_SAMPLES = {"str": UUID_A, "int": 1, "float": 1.5, "bool": True}


def declared(model: Any) -> Dict[str, Any]:
    """Every field ``model`` declares, by JSON key, with a value of its type (nested objects: null)."""
    return {
        f.key: f.enum[-1] if f.enum else _SAMPLES.get(f.type, [] if f.type.startswith("list") else None)
        for f in model.fields
    }


def in_event(event_type: str, **data: Any) -> Dict[str, Any]:
    return batch(ev(event_type, **data))


PLACES: List[Tuple[Any, Any]] = [
    (models.Batch, lambda o: {**o, "events": []}),
    (models.DeviceInformation, lambda o: batch(device_info=o)),
    (models.ApplicationInformation, lambda o: batch(application_info=o)),
    (models.UserIdentities, lambda o: batch(user_identities=o)),
    (models.AttributionInfo, lambda o: batch(attribution_info=o)),
    (models.SourceInformation, lambda o: batch(source_info=o)),
    (models.ConsentState, lambda o: batch(consent_state=o)),
    (models.BatchContext, lambda o: batch(context=o)),
    (models.DataPlanContext, lambda o: batch(context={"data_plan": o})),
    (models.GDPRConsentState, lambda o: batch(consent_state={"gdpr": {"purpose": o}})),
    (models.CCPAConsentState, lambda o: batch(consent_state={"ccpa": {"data_sale_opt_out": o}})),
    (models.GeoLocation, lambda o: batch(custom(location=o))),
    (models.DeviceCurrentState, lambda o: batch(custom(device_current_state=o))),
    (models.MediaInfo, lambda o: batch(custom(media_info=o))),
    (models.ProductAction, lambda o: in_event("commerce_event", product_action=o)),
    (models.Product, lambda o: in_event("commerce_event", product_action={"action": "click", "products": [o]})),
    (models.PromotionAction, lambda o: in_event("commerce_event", promotion_action={**o, "action": "view"})),
    (models.Promotion, lambda o: in_event("commerce_event", promotion_action={"action": "view", "promotions": [o]})),
    (models.ProductImpression, lambda o: in_event("commerce_event", product_impressions=[o])),
    (models.ShoppingCart, lambda o: in_event("commerce_event", **MINIMAL["commerce_event"], shopping_cart=o)),
    (models.UserIdentity, lambda o: in_event("user_identity_change", new=o, old=o)),
    (models.EventBase, lambda o: batch({**o, "data": {}})),
    (models.EventData, lambda o: in_event("push_reaction", **o)),
    *[
        (model, lambda o, t=model.event_type: in_event(t, **o))
        for model in registry.values()
        if isinstance(model.event_type, str)
    ],
]


def test_places_cover_every_wire_model() -> None:
    responses = {"ApiResponse", "ApiResponseErrors"}
    assert {m.__name__ for m, _ in PLACES} == set(registry) - responses


@pytest.mark.parametrize("model, place", PLACES, ids=[m.__name__ for m, _ in PLACES])
def test_every_declared_key_is_known_with_its_type(model: Any, place: Any) -> None:
    """The validator knows each key a model declares (closed objects report no unknown key) and
    accepts a value of the declared type for it."""
    problems = validate(place(declared(model)))
    assert [p for p in problems if p.rule in ("unknown_key", "identity_key", "type")] == []


def test_consent_purposes_declare_the_same_fields() -> None:
    # one spec serves both regulations' purposes
    assert [(f.key, f.type) for f in models.GDPRConsentState.fields] == [
        (f.key, f.type) for f in models.CCPAConsentState.fields
    ]


def test_model_keys_outside_the_schema() -> None:
    # keys the schema lacks that the validator still accepts
    assert validate(batch(schema_version=2, source_info={"channel": "native"}, origin_mpid=1, batch_id=2)) == []
    # obsolete profile fields are not schema fields: open event data passes them unchecked
    assert validate(in_event("profile", **MINIMAL["profile"], profile_name={"any": "thing"})) == []
    # the legacy media_info object: typed as the model declares it
    assert rules(validate(batch(custom(media_info={"channel": {}, "action": "unknown"})))) == ["type"]


def test_a_model_key_is_checked_under_its_json_key() -> None:
    assert validate(batch(user_identities=to_jsonable(UserIdentities(customerid="1")))) == []
    assert validate(batch(user_identities={"customer_id": "1"})) == []


@pytest.mark.parametrize(
    "value", [2**63, -(2**63) - 1, int("9" * 4000), 10**5000], ids=["2^63", "-2^63-1", "4000 digits", "5001 digits"]
)
def test_integers_beyond_64_bits_are_refused_naming_the_field(value: int) -> None:
    problems = validate({"environment": "development", "mpid": value})
    if value.bit_length() > 15_000:  # over 4,300 digits, too long for JSON at all: the encoder refuses it, naming it
        assert [p.rule for p in problems] == ["json"] and "['mpid']" in problems[0].message
    else:
        assert [(p.path, p.rule) for p in problems] == [("mpid", "range")]
    assert validate({"environment": "development", "mpid": 2**63 - 1}) == []
