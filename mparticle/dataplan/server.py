"""``mode="server"``: the two rules mParticle's server documents and DPN does not apply.

1. "Data planning does not distinguish between raw numeric or boolean values and their string
   representation": :func:`coerce` rewrites a value, guided by the schema at its place, into the
   equivalent the schema asks for (``"42"`` where a number is planned, ``42`` where a string is,
   ``"TRUE"`` where a boolean is), so only values that differ in more than form are reported.
2. Identities are checked against the plan's ``user_identities`` point under the plan-side
   names (``customerid``, ``other2``, ``ios_idfa``): :func:`plan_identities` renames the batch's
   ``user_identities`` and the device ids of ``device_info`` (:data:`IDENTITY_NAMES`,
   :data:`DEVICE_IDENTITY_NAMES`).

Reports still quote the values as sent (``actual``), never the coerced ones.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Mapping

from mparticle.dataplan.ajv import UnsupportedViolation, resolve_ref
from mparticle.dataplan.jsvalues import js_number

__all__ = ["DEVICE_IDENTITY_NAMES", "IDENTITY_NAMES", "coerce", "plan_identities"]

#: Events API ``user_identities`` keys and the names plans use for them (the Web SDK's
#: ``getIdentityName``); keys not listed keep their name.
IDENTITY_NAMES: Mapping[str, str] = {
    "other": "other",
    "customer_id": "customerid",
    "facebook": "facebook",
    "twitter": "twitter",
    "google": "google",
    "microsoft": "microsoft",
    "yahoo": "yahoo",
    "email": "email",
    "alias": "alias",
    "facebook_custom_audience_id": "facebookcustomaudienceid",
    **{"other_id_%d" % n: "other%d" % n for n in range(2, 11)},
    "mobile_number": "mobile_number",
    "phone_number_2": "phone_number_2",
    "phone_number_3": "phone_number_3",
}
#: ``device_info`` members that plans list as identities, and their plan-side names.
DEVICE_IDENTITY_NAMES: Mapping[str, str] = {
    "ios_advertising_id": "ios_idfa",
    "ios_idfv": "ios_idfv",
    "android_advertising_id": "android_aaid",
    "android_uuid": "android_uuid",
    "device_application_stamp": "device_application_stamp",
}

#: A number as JSON would spell it, ASCII digits only, nothing around it (" 42 " stays a string).
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_INTEGER = re.compile(r"[-+]?[0-9]+\Z")
_BOOLEANS = {"true": True, "false": False}
_REF_HOPS = 32  # $refs followed in a row without reaching data: a self-referencing schema stops here
_DEPTH = 500  # data nesting coerced (the validators give up earlier)


def plan_identities(batch: Mapping[str, Any]) -> Dict[str, Any]:
    """The batch's identities as a ``user_identities`` point sees them on the server: plan-side
    names, device ids from ``device_info`` included; empty (null) ones left out."""
    found: Dict[str, Any] = {}
    identities = batch.get("user_identities")
    if isinstance(identities, dict):
        for key, value in identities.items():
            if value is not None:
                found[IDENTITY_NAMES.get(key, key)] = value
    device = batch.get("device_info")
    if isinstance(device, dict):
        for key, name in DEVICE_IDENTITY_NAMES.items():
            if device.get(key) is not None:
                found[name] = device[key]
    return found


def coerce(schema: Any, data: Any) -> Any:
    """A copy of ``data`` with numbers, booleans and their string forms swapped where the
    schema at that place asks for the other form; ``data`` itself is never changed."""
    return _coerce(schema, schema, data, 0)


def _coerce(root: Any, node: Any, data: Any, depth: int, hops: int = 0) -> Any:
    if not isinstance(node, dict) or depth > _DEPTH:
        return data
    ref = node.get("$ref")
    if isinstance(ref, str) and hops < _REF_HOPS:
        target = _resolve(root, ref)
        if target is not None:
            return _coerce(root, target, data, depth, hops + 1)
    if isinstance(data, dict):
        return _coerce_members(root, node, data, depth)
    if isinstance(data, list):
        return _coerce_items(root, node, data, depth)
    return _scalar(node, data)


def _coerce_members(root: Any, node: Dict[str, Any], data: Dict[str, Any], depth: int) -> Dict[str, Any]:
    properties = node.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    extra = node.get("additionalProperties")
    out = {}
    for key, value in data.items():
        sub = properties.get(key, extra)
        out[key] = _coerce(root, sub, value, depth + 1) if isinstance(sub, dict) else value
    return out


def _coerce_items(root: Any, node: Dict[str, Any], data: List[Any], depth: int) -> List[Any]:
    items = node.get("items")
    if isinstance(items, dict):
        return [_coerce(root, items, value, depth + 1) for value in data]
    if isinstance(items, list):
        extra = node.get("additionalItems")
        return [_coerce(root, items[i] if i < len(items) else extra, value, depth + 1) for i, value in enumerate(data)]
    return data


def _scalar(node: Dict[str, Any], value: Any) -> Any:
    wanted = _wanted_types(node)
    if not wanted or value is None:
        return value
    if isinstance(value, str):
        if "string" in wanted:
            return value
        if "boolean" in wanted and value.lower() in _BOOLEANS:
            return _BOOLEANS[value.lower()]
        if ("number" in wanted or "integer" in wanted) and _NUMBER.match(value):
            return _number(value, "number" in wanted)
        return value
    if isinstance(value, (int, float)):  # bool included
        if _matches(value, wanted) or "string" not in wanted:
            return value
        if isinstance(value, float) and not math.isfinite(value):
            return value
        return js_number(value)
    return value


def _matches(value: Any, wanted: List[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in wanted
    if isinstance(value, int):
        return "number" in wanted or "integer" in wanted
    return "number" in wanted or ("integer" in wanted and float(value).is_integer())


def _number(text: str, any_number: bool) -> Any:
    if _INTEGER.match(text):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        return text
    if not any_number and not number.is_integer():
        return text  # only "integer" planned: "1.5" stays a (wrongly typed) string
    return number


def _wanted_types(node: Dict[str, Any]) -> List[str]:
    """The scalar types the node plans: its ``type``, else the types of its ``enum``/``const``."""
    kind = node.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    values = node.get("enum") if isinstance(node.get("enum"), list) else None
    if values is None and "const" in node:
        values = [node["const"]]
    if values is None:
        return []
    wanted = set()
    for value in values:
        if isinstance(value, bool):
            wanted.add("boolean")
        elif isinstance(value, (int, float)):
            wanted.add("number")
        elif isinstance(value, str):
            wanted.add("string")
    return sorted(wanted)


def _resolve(root: Any, ref: str) -> Any:
    try:
        return resolve_ref(root, ref)
    except (UnsupportedViolation, KeyError, IndexError, ValueError, TypeError):
        return None
