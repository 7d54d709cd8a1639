"""Match keys, as DPN builds them for plan points and for events, and the synthesized match.

A key is a plain string (``custom_event:<custom_event_type>:<event_name>``,
``screen_view::<screen_name>``, ``product_action:<action>``, ...), compared exactly:
case-sensitive, untrimmed, segments joined by ``:`` without escaping (as DPN does).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from mparticle.dataplan.jsvalues import js_string

#: Event types matched by their name alone (criteria, if any, are ignored).
SIMPLE_TYPES = frozenset(
    {
        "session_start",
        "session_end",
        "crash_report",
        "opt_out",
        "first_run",
        "network_performance",
        "breadcrumb",
        "uninstall",
    }
)
#: Point types whose key is built from their criteria; DPN throws on such a point without criteria.
CRITERIA_TYPES = frozenset(
    {"custom_event", "screen_view", "product_action", "promotion_action", "application_state_transition"}
)
#: Point types keyed by the type alone.
BARE_TYPES = SIMPLE_TYPES | {"product_impression", "user_attributes", "user_identities"}
#: The key of points whose type no event can have (``commerce_event``, ``media``, ...).
UNKNOWN_KEY = "unknown"


def point_key(match: Dict[str, Any]) -> str:
    """The lookup key of a plan point's ``match`` (``criteria`` present for :data:`CRITERIA_TYPES`)."""
    kind = match.get("type")
    criteria = match.get("criteria") or {}
    if kind == "custom_event":
        return "custom_event:%s:%s" % (
            js_string(criteria.get("custom_event_type")),
            js_string(criteria.get("event_name")),
        )
    if kind == "screen_view":
        return "screen_view::" + js_string(criteria.get("screen_name"))
    if kind in ("product_action", "promotion_action"):
        return "%s:%s" % (kind, js_string(criteria.get("action")))
    if kind == "application_state_transition":
        return "application_state_transition:" + js_string(criteria.get("application_transition_type"))
    if kind in BARE_TYPES:
        return str(kind)
    return UNKNOWN_KEY


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else None


def _truthy(value: Any) -> bool:
    """JS truthiness (``{}`` and ``[]`` are truthy, ``0`` and ``""`` are not)."""
    if isinstance(value, (dict, list)):
        return True
    return bool(value)


def event_key(event: Dict[str, Any]) -> Optional[str]:
    """The lookup key of an event, or None (or ``""``) when the event cannot be planned."""
    kind = event.get("event_type")
    data = event.get("data")
    if type(data) is dict:  # the usual shapes first, without the conversions below
        if kind == "custom_event":
            kind_text, name = data.get("custom_event_type"), data.get("event_name")
            if type(kind_text) is str and type(name) is str:
                return "custom_event:" + kind_text + ":" + name
        elif kind == "screen_view":
            name = data.get("screen_name")
            if type(name) is str:
                return "screen_view::" + name
        elif kind == "commerce_event":
            action = data.get("product_action")
            name = action.get("action") if type(action) is dict else None
            if type(name) is str:  # a dict with a string action is truthy
                return "product_action:" + str(name)
    if kind == "custom_event":
        if not _truthy(data):
            return None
        return "custom_event:%s:%s" % (js_string(_get(data, "custom_event_type")), js_string(_get(data, "event_name")))
    if kind == "screen_view":
        return "screen_view::" + js_string(_get(data, "screen_name"))
    if kind == "application_state_transition":
        return "application_state_transition:" + js_string(_get(data, "application_transition_type"))
    if kind == "commerce_event":
        if not _truthy(data):
            return None
        if _truthy(_get(data, "product_action")):
            return "product_action:" + js_string(_get(_get(data, "product_action"), "action"))
        if _truthy(_get(data, "promotion_action")):
            return "promotion_action:" + js_string(_get(_get(data, "promotion_action"), "action"))
        if _truthy(_get(data, "product_impressions")):
            return "product_impression"
        return ""
    if kind in SIMPLE_TYPES:
        return str(kind)
    return None


def unplanned_key(event: Dict[str, Any]) -> str:
    """The ``key`` DPN reports for an unplanned event: its name, else its ``event_type``."""
    kind = event.get("event_type")
    data = event.get("data")
    name = None
    if kind == "custom_event":
        name = _get(data, "event_name")
    elif kind == "screen_view":
        name = _get(data, "screen_name")
    return js_string(name) if _truthy(name) else js_string(kind)


def synthesize_match(event: Dict[str, Any]) -> Dict[str, Any]:
    """The ``match`` DPN reports for an unplanned event (built from the event, with its defaults)."""
    kind = event.get("event_type")
    data = event.get("data")
    if kind == "custom_event":
        return {
            "type": "custom_event",
            "criteria": {
                "event_name": _get(data, "event_name") or "Custom Event",
                "custom_event_type": _get(data, "custom_event_type") or "other",
            },
        }
    if kind == "screen_view":
        if not _truthy(data):
            return {"type": "screen_view", "criteria": {"screen_name": ""}}
        return {"type": "screen_view", "criteria": _present(data, "screen_name")}
    if kind == "application_state_transition":
        return {
            "type": kind,
            "criteria": {"application_transition_type": _get(data, "application_transition_type") or "unknown"},
        }
    if kind == "commerce_event":
        for name in ("product_action", "promotion_action"):
            if _truthy(_get(data, name)):
                return {"type": name, "criteria": _present(_get(data, name), "action")}
        return {"type": "product_impression"}
    return {"type": kind}


def _present(obj: Any, name: str) -> Dict[str, Any]:
    return {name: obj[name]} if isinstance(obj, dict) and name in obj else {}
