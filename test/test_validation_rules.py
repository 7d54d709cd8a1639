"""The rule tables: every rule of mparticle.validation with a passing and a failing case.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any, List

import pytest
from validation_data import (
    HISTORICAL_FAILING,
    MINIMAL,
    NOW,
    OLD,
    REQUIRED,
    UUID_A,
    UUID_B,
    Case,
    attrs,
    batch,
    custom,
    ev,
    rules,
    sized,
)

from mparticle.validation import (
    MAX_BATCH_BYTES,
    RULES,
    validate,
)

#: The rules whose problems are warnings (the server accepts the batch).
WARNINGS = {"no_environment", "no_user", "timestamp"}


def GDPR_AT(ms: int) -> Any:
    """A consent state with one GDPR purpose given at ``ms``."""
    return {"gdpr": {"p": {"consented": True, "timestamp_unixtime_ms": ms}}}


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

PASSING: List[Case] = [
    # required / event envelope
    ("minimal batch", {"environment": "development", "mpid": 5}, []),
    (
        "batch without events (attributes only)",
        {"environment": "production", "user_attributes": {"a": 1}, "mpid": 5},
        [],
    ),
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
    # a user: any identity, the mpid, a device id or a partner identity
    ("only a device id", {"environment": "production", "device_info": {"ios_idfv": UUID_A}}, []),
    ("only an mp_deviceid", {"environment": "production", "mp_deviceid": UUID_A}, []),
    ("only a partner identity", {"environment": "production", "partner_identities": {"p_id": "1"}}, []),
    # timestamps in milliseconds between 2001 and 2100
    (
        "timestamps in milliseconds",
        batch(custom(timestamp_unixtime_ms=NOW), timestamp_unixtime_ms=10**12, consent_state=GDPR_AT(NOW)),
        [],
    ),
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
                old={"identity_type": "email", "timestamp_unixtime_ms": OLD},
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
                new={"identity_type": "customerid", "identity": "1", "timestamp_unixtime_ms": OLD},
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
    # warnings (accepted by the server, probably not as meant)
    ("empty batch", {}, ["no_environment", "no_user"]),
    ("environment absent (the server defaults it)", {"events": [custom()], "mpid": 1}, ["no_environment"]),
    ("no user", {"environment": "production", "events": [custom()]}, ["no_user"]),
    (
        "empty identities and device ids",
        batch(user_identities={}, device_info={"brand": "x", "push_token": ""}),
        ["no_user"],
    ),
    ("event timestamp in seconds", batch(custom(timestamp_unixtime_ms=1_700_000_000)), ["timestamp"]),
    ("consent timestamp in seconds", batch(consent_state=GDPR_AT(1_700_000_000)), ["timestamp"]),
    ("batch timestamp in microseconds", batch(timestamp_unixtime_ms=NOW * 1000), ["timestamp"]),
    ("session start far in the future", batch(custom(session_start_unixtime_ms=10**14)), ["timestamp"]),
    ("a zero timestamp", batch(custom(timestamp_unixtime_ms=0)), ["timestamp"]),
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
        assert problem.severity == ("warning" if problem.rule in WARNINGS else "error")
    assert validate(data, warnings=False) == [p for p in problems if p.is_error]


def test_validate_does_not_change_its_input() -> None:
    data = batch(custom(custom_attributes={"a": [1]}), user_attributes=attrs(101))
    before = copy.deepcopy(data)
    validate(data)
    assert data == before
