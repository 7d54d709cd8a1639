"""A seeded generator of data plan / batch pairs for the differential test against DPN.

Plans mix every match type with schemas built from the keywords seen in real plans (and
Ajv's others: dependencies, propertyNames, contains, anyOf, oneOf, not, if); batches mix
planned and unplanned events, case differences, nulls, arrays of products and user
attributes. Every plan has a ``user_attributes`` point, so DPN 1.0.3 and the 1.0.4+
semantics agree. Numbers stay within what JS parses exactly (no integers beyond 2^53).
"""

from __future__ import annotations

import random
from typing import Any, Dict, List, Tuple

NAMES = ["Order Placed", "order placed", "Search", "Sign Up", "Order Placed ", "7"]
EVENT_TYPES = ["transaction", "navigation", "other", "search"]
SCREENS = ["Home", "home", "Checkout", "Cart"]
ACTIONS = ["purchase", "add_to_cart", "refund", "checkout"]
ATTRS = ["order_id", "channel", "item_count", "gift", "placed_at", "email", "tags", "meta", "7", "Item_Count", "a/b"]
PATTERNS = [
    "^ORD-[0-9]+$",
    "^\\d+$",
    "^[a-z]+$",
    "[0-9]",
    "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$",
    "^-?\\d+(\\.\\d+)?$",
]
FORMATS = ["date-time", "email", "date", "uuid", "ipv4", "time", "hostname", "uri"]
STRINGS = [
    "ORD-1",
    "12345",
    "",
    "a@b",
    "not-an-email",
    "user@example.com",
    "2024-01-01T10:00:00Z",
    "2020-13-01T00:00:00z",
    "2024-01-01",
    "é",
    "ORD-1\n",
    "😀",
    "web",
    "Web",
    "store",
    "true",
    "FALSE",
    "42",
    "-1.5",
    "10:00:00Z",
    "123e4567-e89b-12d3-a456-426614174000",
    "192.168.0.1",
    "http://x.y/z",
    "abc",
]
NUMBERS = [0, 1, 1.0, 1.5, 19.99, 0.07, 100, 101, -1, 5, 7, 10, 2.5, 1e21, 0.000001, 3]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(STRINGS)
    if roll < 0.65:
        return rng.choice(NUMBERS)
    if roll < 0.72:
        return rng.choice([True, False])
    if roll < 0.8:
        return None
    if roll < 0.9 or depth > 1:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "b", "p", "d", "x", "7"]): _value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _value_for(rng: random.Random, schema: Any) -> Any:
    """A value of the schema's type most of the time (so that its other keywords get exercised)."""
    if not isinstance(schema, dict) or rng.random() < 0.25:
        return _value(rng)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    if kind == "string" or "pattern" in schema or "format" in schema:
        return rng.choice(STRINGS + list(schema.get("enum", [])))
    if kind in ("number", "integer"):
        return rng.choice(NUMBERS)
    if kind == "boolean":
        return rng.choice([True, False, "true"])
    if kind == "array":
        pool = ["a", "b", 1, 1.0, None, "a"]
        return [rng.choice(pool) for _ in range(rng.randrange(4))]
    if kind == "object":
        return {rng.choice(["a", "p", "d", "x", "long"]): rng.choice([1, "s", None]) for _ in range(rng.randrange(4))}
    return _value(rng)


def _scalar_schema(rng: random.Random) -> Dict[str, Any]:
    kind = rng.choice(["string", "number", "integer", "boolean", "any", "array", "object", "union"])
    schema: Dict[str, Any] = {}
    if kind == "string":
        schema["type"] = "string"
        for key, make in (
            ("pattern", lambda: rng.choice(PATTERNS)),
            ("format", lambda: rng.choice(FORMATS)),
            ("minLength", lambda: rng.randrange(4)),
            ("maxLength", lambda: rng.randrange(1, 6)),
            ("enum", lambda: rng.sample(["web", "store", "phone", "ORD-1"], 2)),
            ("const", lambda: rng.choice(["web", "ORD-1"])),
        ):
            if rng.random() < 0.3:
                schema[key] = make()
    elif kind in ("number", "integer"):
        schema["type"] = kind
        for key, make in (
            ("minimum", lambda: rng.choice([0, 1, 1.0, 2.5])),
            ("maximum", lambda: rng.choice([10, 100, 1e21])),
            ("exclusiveMinimum", lambda: rng.choice([0, 1])),
            ("exclusiveMaximum", lambda: rng.choice([10, 100])),
            ("multipleOf", lambda: rng.choice([5, 0.01, 0.5, 2, 0.000001])),
            ("enum", lambda: [1, 2, 3]),
        ):
            if rng.random() < 0.3:
                schema[key] = make()
    elif kind == "boolean":
        schema["type"] = "boolean"
    elif kind == "union":
        schema["type"] = rng.choice(
            [["string", "null"], ["number", "string"], ["string"], ["integer", "boolean", "null"]]
        )
        if rng.random() < 0.4:
            key = rng.choice(["minimum", "minLength", "pattern"])
            schema[key] = "^a" if key == "pattern" else rng.choice([1, 2])
    elif kind == "array":
        schema["type"] = "array"
        if rng.random() < 0.7:
            schema["items"] = rng.choice(
                [{"type": "string"}, {"type": "number"}, {"type": ["string", "null"]}, {"enum": ["a", 1]}]
            )
        for key, make in (
            ("minItems", lambda: rng.randrange(1, 3)),
            ("maxItems", lambda: rng.randrange(1, 3)),
            ("uniqueItems", lambda: True),
            ("contains", lambda: {"const": 1}),
        ):
            if rng.random() < 0.25:
                schema[key] = make()
    elif kind == "object":
        schema["type"] = "object"
        schema["properties"] = {"a": rng.choice([{"type": "number"}, {"type": "string"}, {}]), "p": {"type": "string"}}
        if rng.random() < 0.5:
            schema["additionalProperties"] = False
        if rng.random() < 0.4:
            schema["required"] = rng.sample(["a", "p", "d"], rng.randrange(1, 3))
        if rng.random() < 0.25:
            schema["dependencies"] = {"p": ["d"]} if rng.random() < 0.5 else {"p": ["a", "d"]}
        if rng.random() < 0.15:
            schema["propertyNames"] = {"maxLength": 1}
        if rng.random() < 0.2:
            schema[rng.choice(["minProperties", "maxProperties"])] = rng.randrange(1, 3)
    else:
        roll = rng.random()
        if roll < 0.25:
            schema["anyOf"] = [{"type": "string", "minLength": 2}, {"type": "number"}]
        elif roll < 0.45:
            schema["oneOf"] = [{"type": "number"}, {"minimum": 5}]
        elif roll < 0.6:
            schema["not"] = {"type": "boolean"}
        elif roll < 0.75:
            schema.update({"if": {"type": "number"}, "then": {"minimum": 5}, "else": {"type": "string"}})
        elif roll < 0.9:
            schema.update({"allOf": [{"type": "number"}, {"maximum": 10}]})
        else:
            schema["description"] = "anything"
    return schema


def _attributes_schema(rng: random.Random) -> Dict[str, Any]:
    names = rng.sample(ATTRS, rng.randrange(1, 6))
    schema: Dict[str, Any] = {"type": "object", "properties": {n: _scalar_schema(rng) for n in names}}
    if rng.random() < 0.7:
        schema["additionalProperties"] = False
    if rng.random() < 0.6:
        schema["required"] = rng.sample(names + ["missing_one"], rng.randrange(1, min(3, len(names) + 1) + 1))
    return schema


def _product_schema(rng: random.Random) -> Dict[str, Any]:
    item: Dict[str, Any] = {
        "type": "object",
        "required": ["id", "price"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
    }
    if rng.random() < 0.6:
        item["additionalProperties"] = False
    action: Dict[str, Any] = {
        "type": "object",
        "required": ["products"],
        "properties": {"action": {"type": "string"}, "products": {"type": "array", "items": item}},
    }
    if rng.random() < 0.5:
        action["additionalProperties"] = False
    return {
        "properties": {
            "data": {"type": "object", "required": ["product_action"], "properties": {"product_action": action}}
        }
    }


def _event_definition(rng: random.Random) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "type": "object",
        "additionalProperties": rng.random() < 0.8,
        "properties": {"custom_attributes": _attributes_schema(rng)},
    }
    if rng.random() < 0.5:
        data["required"] = ["custom_attributes"]
    if rng.random() < 0.2:
        data["properties"]["event_name"] = {"const": rng.choice(NAMES)}
    definition: Dict[str, Any] = {"properties": {"data": data}}
    if rng.random() < 0.1:
        definition["required"] = ["event_id"]
    return definition


def plan(rng: random.Random) -> Dict[str, Any]:
    """A plan version: a user_attributes point and 1 to 6 event points (duplicates possible)."""
    points: List[Dict[str, Any]] = []
    for _ in range(rng.randrange(1, 7)):
        kind = rng.choice(
            [
                "custom_event",
                "custom_event",
                "screen_view",
                "product_action",
                "promotion_action",
                "product_impression",
                "application_state_transition",
                "session_start",
                "first_run",
            ]
        )
        criteria: Dict[str, Any]
        if kind == "custom_event":
            criteria = {"event_name": rng.choice(NAMES[:4]), "custom_event_type": rng.choice(EVENT_TYPES)}
        elif kind == "screen_view":
            criteria = {"screen_name": rng.choice(SCREENS[::2])}
        elif kind in ("product_action", "promotion_action"):
            criteria = {"action": rng.choice(ACTIONS[:2] if kind == "product_action" else ["view", "click"])}
        elif kind == "application_state_transition":
            criteria = {"application_transition_type": "application_initialized"}
        else:
            criteria = {}
        definition = _product_schema(rng) if kind == "product_action" else _event_definition(rng)
        point: Dict[str, Any] = {
            "match": {"type": kind, "criteria": criteria},
            "validator": {"type": "json_schema", "definition": definition},
        }
        if rng.random() < 0.05:
            point["validator"] = {"type": "custom"}
        points.append(point)
    ua: Dict[str, Any] = {
        "type": "object",
        "properties": {
            "tier": {"type": "string", "enum": ["gold", "silver"]},
            "$Age": {"type": "number"},
            "colors": {"type": "array", "items": {"type": "string"}},
        },
    }
    if rng.random() < 0.6:
        ua["additionalProperties"] = False
    if rng.random() < 0.3:
        ua["required"] = ["tier"]
    points.insert(
        rng.randrange(len(points) + 1),
        {"match": {"type": "user_attributes", "criteria": {}}, "validator": {"type": "json_schema", "definition": ua}},
    )
    return {"data_plan_id": "corpus", "version": 1, "version_document": {"data_points": points}}


def _attributes(rng: random.Random) -> Dict[str, Any]:
    return {rng.choice(ATTRS + ["coupon", "extra"]): _value(rng) for _ in range(rng.randrange(0, 6))}


def _planned_event(rng: random.Random, point: Dict[str, Any]) -> Dict[str, Any]:
    """An event that matches ``point``, with attributes mostly from its schema."""
    kind, criteria = point["match"]["type"], dict(point["match"].get("criteria") or {})
    definition = point["validator"].get("definition") or {}
    properties = definition.get("properties", {}).get("data", {}).get("properties", {}).get("custom_attributes", {})
    properties = properties.get("properties", {}) if isinstance(properties, dict) else {}
    names = list(properties)
    attributes = {}
    for _ in range(rng.randrange(0, 6)):
        name = rng.choice(names) if names and rng.random() < 0.8 else rng.choice(ATTRS + ["coupon"])
        attributes[name] = _value_for(rng, properties.get(name))
    data: Dict[str, Any]
    if kind in ("product_action", "promotion_action"):
        event = _commerce(rng)
        event["data"][kind] = dict(event["data"].get("product_action") or {}, **criteria)
        return event
    if kind == "product_impression":
        data = {"product_impressions": []}
        kind = "commerce_event"
    else:
        data = dict(criteria)
    if rng.random() < 0.9:
        data["custom_attributes"] = attributes
    return {"event_type": kind, "data": data}


def _commerce(rng: random.Random) -> Dict[str, Any]:
    products: List[Any] = []
    for _ in range(rng.randrange(0, 4)):
        product = {
            "id": rng.choice(["p1", 7, None]),
            "price": rng.choice([9.99, "9.99", -1, None]),
            "name": rng.choice(["x", None]),
        }
        if rng.random() < 0.3:
            product["color"] = "red"
        products.append(product if rng.random() < 0.9 else None)
    return {
        "event_type": "commerce_event",
        "data": {"product_action": {"action": rng.choice(ACTIONS), "products": products}},
    }


def event(rng: random.Random) -> Dict[str, Any]:
    """One Events API event in wire form, planned or not."""
    kind = rng.choice(
        ["custom_event"] * 4
        + [
            "screen_view",
            "commerce_event",
            "commerce_event",
            "session_start",
            "application_state_transition",
            "profile",
            "first_run",
        ]
    )
    data: Dict[str, Any] = {}
    if kind == "custom_event":
        data = {"event_name": rng.choice(NAMES), "custom_event_type": rng.choice(EVENT_TYPES)}
        if rng.random() < 0.1:
            del data["custom_event_type"]
    elif kind == "screen_view":
        data = {"screen_name": rng.choice(SCREENS)}
    elif kind == "commerce_event":
        roll = rng.random()
        if roll < 0.7:
            data = _commerce(rng)["data"]
        elif roll < 0.85:
            data = {"promotion_action": {"action": rng.choice(["view", "click"])}}
        else:
            data = {"product_impressions": []}
    elif kind == "application_state_transition":
        data = {"application_transition_type": rng.choice(["application_initialized", "application_exit"])}
    if rng.random() < 0.85:
        data["custom_attributes"] = _attributes(rng)
    elif rng.random() < 0.5:
        data["custom_attributes"] = None
    return {"event_type": kind, "data": data}


def batch(rng: random.Random, version: Dict[str, Any]) -> Dict[str, Any]:
    """A wire-form batch of 0 to 6 events (most of them planned in ``version``), often with user attributes."""
    points = [p for p in version["version_document"]["data_points"] if p["match"]["type"] != "user_attributes"]
    events = [
        _planned_event(rng, rng.choice(points)) if points and rng.random() < 0.7 else event(rng)
        for _ in range(rng.randrange(0, 7))
    ]
    out: Dict[str, Any] = {"environment": "development", "events": events}
    if rng.random() < 0.8:
        out["user_attributes"] = {
            rng.choice(["tier", "$Age", "colors", "other"]): rng.choice(
                ["gold", "Gold", 37, "37", None, ["a", None], ["a", 1]]
            )
            for _ in range(rng.randrange(0, 4))
        }
    return out


def corpus(seed: int, count: int) -> List[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """``count`` (plan, batch) pairs from ``seed``; each plan is used for a few batches."""
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        current = plan(rng)
        for _ in range(rng.randrange(1, 4)):
            pairs.append((current, batch(rng, current)))
    return pairs[:count]
