"""Shared data of the validation tests: batch builders, minimal events, historical cases.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from mparticle.serialization import dumps
from mparticle.validation import Problem

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
    """A batch dict: production, a customer id, one custom event unless ``events`` are given."""
    return {"environment": "production", "user_identities": USER, "events": list(events) or [custom()], **fields}


#: The user of :func:`batch` (without one, ``validate`` warns ``no_user``).
USER = {"customer_id": "c1"}


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

Case = Tuple[str, Any, List[str]]


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
    ("no events key", {"environment": "production", "mpid": 1}, ["historical_no_events"]),
    ("empty events", batch(events=[]), ["historical_no_events"]),
    ("event without timestamp", batch(custom(timestamp_unixtime_ms=OLD), custom()), ["historical_timestamp"]),
    ("72 hours minus 1 ms", batch(custom(timestamp_unixtime_ms=NOW - 72 * HOUR + 1)), ["historical_too_recent"]),
    ("one hour old", batch(custom(timestamp_unixtime_ms=NOW - HOUR)), ["historical_too_recent"]),
    ("in the future", batch(custom(timestamp_unixtime_ms=NOW + HOUR)), ["historical_too_recent"]),
    ("timestamp of the wrong type", batch(custom(timestamp_unixtime_ms="old")), ["type"]),
]
