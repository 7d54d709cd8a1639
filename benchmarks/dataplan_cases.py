"""Realistic batches for a data plan, derived from the plan's own schemas (seeded, deterministic).

Used by ``benchmark_dataplan.py``. Every event is built from a point of the plan with the SDK's
models (``AppEvent``, ``ScreenViewEvent``, ``CommerceEvent``/``ProductAction``/``Product``,
``Batch``): the values come from the point's JSON Schema (``enum``, ``const``, ``pattern``,
``format``, ranges, lengths, ``required``). Two sets:

* ``valid``: every event matches a planned point and passes its schema; the user attributes
  pass the ``user_attributes`` point (checked with the validator when the set is built).
* ``mixed``: the same kind of batches where about 30% of the events carry one violation each:
  an unplanned event, an unplanned attribute, a wrong type, an out-of-range or off-enum value,
  a pattern or length miss, or a missing required attribute; some batches also break the user
  attributes.

The plan is ``test/dataplan_fixtures/plans/retail_120.json`` (the realistic 120+ point retail
plan); :func:`fallback_plan` (Example A grown to 119 points) stands in where it is missing.
"""

from __future__ import annotations

import copy
import json
import math
import random
import string
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

try:  # the regular expression parser: re._parser since Python 3.11, sre_parse before
    import re._constants as sre_constants  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

import mparticle as m
from mparticle.serialization import dumps

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "test" / "dataplan_fixtures"
RETAIL_PLAN = FIXTURES / "plans" / "retail_120.json"
TS = 1700000000000
#: The share of events that carry a violation in the mixed set.
VIOLATION_SHARE = 0.3
#: Violation kinds, in the order they are tried when a kind does not apply to an event.
VIOLATIONS = ("unplanned_event", "unplanned_attribute", "wrong_type", "out_of_range", "missing_required")


# -- the plan ---------------------------------------------------------------------------------------
def fallback_plan() -> Dict[str, Any]:
    """Example A grown to 119 points: 100 custom events, 10 screen views, 5 product actions, its own 4."""
    example = json.loads((FIXTURES / "example_a.json").read_text())
    order, screen, purchase, ua, ui = example["version_document"]["data_points"]
    points = []
    for i in range(100):
        point = copy.deepcopy(order)
        point["match"]["criteria"]["event_name"] = "Event %03d" % i
        points.append(point)
    for i in range(10):
        point = copy.deepcopy(screen)
        point["match"]["criteria"]["screen_name"] = "Screen %d" % i
        points.append(point)
    for action in ["purchase", "add_to_cart", "remove_from_cart", "checkout", "refund"]:
        point = copy.deepcopy(purchase)
        point["match"]["criteria"]["action"] = action
        points.append(point)
    points += [order, screen, ua, ui]
    return {"data_plan_id": "bench_fallback", "version": 1, "version_document": {"data_points": points}}


def load_plan(path: Optional[str] = None) -> Tuple[Dict[str, Any], str]:
    """``(plan version, where it came from)``: ``path``, else retail_120.json, else the fallback."""
    chosen = Path(path) if path else RETAIL_PLAN
    if chosen.is_file():
        document = json.loads(chosen.read_text())
        versions = document.get("data_plan_versions")
        if "version_document" not in document and versions:  # a whole plan: its newest version
            document = max(versions, key=lambda v: v.get("version") or 0)
        try:
            shown = str(chosen.relative_to(REPO))
        except ValueError:
            shown = str(chosen)
        return document, shown
    if path:
        raise FileNotFoundError(path)
    return fallback_plan(), "fallback: Example A grown to 119 points (%s not found)" % RETAIL_PLAN.relative_to(REPO)


def data_points(plan: Dict[str, Any]) -> List[Dict[str, Any]]:
    document = plan.get("version_document", plan)
    return list(document.get("data_points") or [])


# -- values from JSON Schema ------------------------------------------------------------------------
_ALNUM = string.ascii_letters + string.digits
_WORDS = ("alpha", "blue", "cart", "delta", "echo", "fresh", "gift", "home", "item", "juno", "kilo", "lime")


def _category_chars(category: int) -> str:
    if category == sre_constants.CATEGORY_DIGIT:
        return string.digits
    if category == sre_constants.CATEGORY_SPACE:
        return " "
    if category == sre_constants.CATEGORY_WORD:
        return _ALNUM + "_"
    return "x-"  # the negated categories: a letter, or a hyphen, is neither a digit nor a space


def _in_chars(items: List[Any]) -> str:
    negate = any(op == sre_constants.NEGATE for op, _ in items)
    chars: List[str] = []
    for op, arg in items:
        if op == sre_constants.LITERAL:
            chars.append(chr(arg))
        elif op == sre_constants.RANGE:
            low, high = arg
            chars.extend(chr(c) for c in range(low, min(high, low + 40) + 1))
        elif op == sre_constants.CATEGORY:
            chars.extend(_category_chars(arg))
    if negate:
        banned = set(chars)
        return "".join(c for c in _ALNUM if c not in banned) or "~"
    return "".join(chars) or "a"


def _from_regex(parsed: Any, rng: random.Random) -> str:
    out: List[str] = []
    for op, arg in parsed:
        if op == sre_constants.LITERAL:
            out.append(chr(arg))
        elif op == sre_constants.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op == sre_constants.ANY:
            out.append(rng.choice(string.ascii_lowercase))
        elif op == sre_constants.IN:
            out.append(rng.choice(_in_chars(arg)))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, sub = arg
            high = low + 3 if high == sre_constants.MAXREPEAT else high
            count = rng.randint(low, max(low, min(high, low + 3)))
            out.extend(_from_regex(sub, rng) for _ in range(count))
        elif op == sre_constants.SUBPATTERN:
            out.append(_from_regex(arg[-1], rng))
        elif op == sre_constants.BRANCH:
            out.append(_from_regex(rng.choice(arg[1]), rng))
        elif op == sre_constants.CATEGORY:
            out.append(rng.choice(_category_chars(arg)))
        # AT (anchors, boundaries), lookarounds and the rest add nothing
    return "".join(out)


def string_for_pattern(pattern: str, rng: random.Random) -> Optional[str]:
    """A string that ``pattern`` matches (``re.search``), or None when the generator cannot make one."""
    import re

    try:
        parsed = sre_parse.parse(pattern)
        compiled = re.compile(pattern)
    except Exception:
        return None
    for _ in range(20):
        text = _from_regex(parsed, rng)
        if compiled.search(text):
            return text
    return None


_FORMATS: Dict[str, Callable[[random.Random], str]] = {
    "date-time": lambda r: "2026-%02d-%02dT%02d:%02d:%02dZ"
    % (r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)),
    "date": lambda r: "2026-%02d-%02d" % (r.randint(1, 12), r.randint(1, 28)),
    "time": lambda r: "%02d:%02d:%02dZ" % (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)),
    "email": lambda r: "%s.%d@example.com" % (r.choice(_WORDS), r.randint(1, 9999)),
    "uri": lambda r: "https://shop.example.com/%s/%d" % (r.choice(_WORDS), r.randint(1, 9999)),
    "url": lambda r: "https://shop.example.com/%s/%d" % (r.choice(_WORDS), r.randint(1, 9999)),
    "uri-reference": lambda r: "/%s/%d" % (r.choice(_WORDS), r.randint(1, 9999)),
    "hostname": lambda r: "%s.example.com" % r.choice(_WORDS),
    "ipv4": lambda r: "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)),
    "ipv6": lambda r: "2001:db8::%x" % r.randint(1, 65535),
    "uuid": lambda r: "%08x-%04x-4%03x-a%03x-%012x"
    % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12), r.getrandbits(12), r.getrandbits(48)),
}


def _first_type(schema: Dict[str, Any]) -> Optional[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        return kinds[0] if kinds else None
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")):
            return "number"
        return "string"
    return str(kind)


def _number(schema: Dict[str, Any], rng: random.Random, integer: bool) -> Any:
    low = schema.get("minimum")
    high = schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_low, (int, float)) and not isinstance(ex_low, bool):
        low = ex_low + (1 if integer else 0.01)
    elif ex_low is True and low is not None:
        low = low + (1 if integer else 0.01)
    if isinstance(ex_high, (int, float)) and not isinstance(ex_high, bool):
        high = ex_high - (1 if integer else 0.01)
    elif ex_high is True and high is not None:
        high = high - (1 if integer else 0.01)
    low = 0 if low is None else low
    high = low + 100 if high is None else high
    step = schema.get("multipleOf")
    if step:
        first, last = int(-(-low // step)), int(high // step)
        value = rng.randint(first, max(first, last)) * step
        return int(value) if integer or float(value).is_integer() and isinstance(step, int) else round(value, 6)
    if integer or rng.random() < 0.4:  # a "number" is often a whole one
        first, last = math.ceil(low), math.floor(high)
        if first <= last:
            return rng.randint(first, last)
    return round(rng.uniform(low, high), 2)


def valid_value(schema: Any, rng: random.Random, optional_share: float = 0.7) -> Any:
    """A value that ``schema`` accepts (for the keywords plans use)."""
    if not isinstance(schema, dict):
        return rng.choice(_WORDS)
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    if schema.get("enum"):
        return copy.deepcopy(rng.choice(schema["enum"]))
    for combinator in ("anyOf", "oneOf"):
        if schema.get(combinator):
            return valid_value(schema[combinator][0], rng, optional_share)
    if schema.get("allOf"):
        merged: Dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return valid_value(merged, rng, optional_share)
    kind = _first_type(schema)
    if kind == "null":
        return None
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("number", "integer"):
        return _number(schema, rng, kind == "integer")
    if kind == "array":
        low = schema.get("minItems", 1)
        high = schema.get("maxItems", max(low, 3))
        count = rng.randint(low, max(low, min(high, low + 2)))
        items: List[Any] = []
        for _ in range(count * 5):
            if len(items) == count:
                break
            item = valid_value(schema.get("items", {"type": "string"}), rng, optional_share)
            if not schema.get("uniqueItems") or item not in items:
                items.append(item)
        return items
    if kind == "object":
        return valid_object(schema, rng, optional_share)
    text: Optional[str] = None
    if schema.get("pattern"):
        text = string_for_pattern(schema["pattern"], rng)
    if text is None and schema.get("format") in _FORMATS:
        text = _FORMATS[schema["format"]](rng)
    if text is None:
        text = "%s_%d" % (rng.choice(_WORDS), rng.randint(1, 999))
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


def valid_object(schema: Dict[str, Any], rng: random.Random, optional_share: float = 0.7) -> Dict[str, Any]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out: Dict[str, Any] = {}
    for name, sub in properties.items():
        if name in required or rng.random() < optional_share:
            out[name] = valid_value(sub, rng, optional_share)
    for name in required - set(out):  # required but not described
        out[name] = rng.choice(_WORDS)
    return out


# -- violations -------------------------------------------------------------------------------------
def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 12345
    return "not-a-" + type(value).__name__


def _out_of_range(schema: Dict[str, Any], rng: random.Random) -> Any:
    """A value of the right type that a range, enum, pattern, length or format keyword refuses."""
    if isinstance(schema.get("maximum"), (int, float)):
        return schema["maximum"] + rng.randint(1, 50)
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(schema["exclusiveMaximum"], bool):
        return schema["exclusiveMaximum"] + rng.randint(0, 50)
    if isinstance(schema.get("minimum"), (int, float)):
        return schema["minimum"] - rng.randint(1, 50)
    if schema.get("enum") and all(isinstance(v, str) for v in schema["enum"]):
        return str(schema["enum"][0]).upper() + "_X"
    if schema.get("pattern"):
        return "!! " + rng.choice(_WORDS)
    if schema.get("maxLength") is not None:
        return "y" * (schema["maxLength"] + 5)
    if schema.get("format") in _FORMATS:
        return "not a " + str(schema["format"])
    return None


def violate_object(
    schema: Dict[str, Any], value: Dict[str, Any], kind: str, rng: random.Random
) -> Optional[Dict[str, Any]]:
    """``value`` with one violation of ``kind`` (None when the kind does not apply to ``schema``)."""
    properties = schema.get("properties") or {}
    out = dict(value)
    if kind == "unplanned_attribute":
        if schema.get("additionalProperties") is not False:
            return None
        out["unplanned_%s" % rng.choice(_WORDS)] = rng.choice(_WORDS)
        return out
    if kind == "missing_required":
        required = [name for name in schema.get("required") or [] if name in out]
        if not required:
            return None
        del out[rng.choice(required)]
        return out
    names = [name for name in properties if isinstance(properties[name], dict)]
    rng.shuffle(names)
    for name in names:
        sub = properties[name]
        if kind == "wrong_type" and _first_type(sub) in ("string", "number", "integer", "boolean"):
            current = out.get(name, valid_value(sub, rng))
            out[name] = _wrong_type(current)
            return out
        if kind == "out_of_range":
            bad = _out_of_range(sub, rng)
            if bad is not None:
                out[name] = bad
                return out
    return None


# -- events built with the SDK ----------------------------------------------------------------------
def _path_schema(schema: Any, *names: str) -> Dict[str, Any]:
    for name in names:
        if not isinstance(schema, dict):
            return {}
        schema = (schema.get("properties") or {}).get(name) or {}
    return schema if isinstance(schema, dict) else {}


def _flat(attributes: Dict[str, Any]) -> Dict[str, Any]:
    """Custom attributes as the SDK takes them (flat values; a list or object as JSON text)."""
    return {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in attributes.items()}


class Planned:
    """One data point and how to build (valid or broken) SDK events for it."""

    def __init__(self, point: Dict[str, Any]) -> None:
        self.point = point
        self.match = point.get("match") or {}
        self.type = self.match.get("type")
        self.criteria = self.match.get("criteria") or {}
        self.schema = (point.get("validator") or {}).get("definition") or {}
        self.data = _path_schema(self.schema, "data")
        self.attributes = _path_schema(self.data, "custom_attributes")

    def build(self, rng: random.Random, ts: int, violation: Optional[str] = None) -> Tuple[Any, Optional[str]]:
        """``(event model, violation applied or None)``."""
        if violation == "unplanned_event":
            return self._unplanned(rng, ts), violation
        if self.type in ("product_action", "promotion_action", "product_impression"):
            return self._commerce(rng, ts, violation)
        values = valid_object(self.attributes, rng) if self.attributes else {}
        keep = bool(values) or "custom_attributes" in (self.data.get("required") or [])
        applied = None
        if violation is not None and self.attributes:
            broken = violate_object(self.attributes, values, violation, rng)
            if broken is not None:
                values, applied = broken, violation
        if self.type == "screen_view":
            event = m.ScreenViewEvent(screen_name=self.criteria.get("screen_name"), timestamp_unixtime_ms=ts,
                                      custom_attributes=_flat(values) if keep else None)
        else:
            event = m.AppEvent(event_name=self.criteria.get("event_name"),
                               custom_event_type=self.criteria.get("custom_event_type", "other"),
                               timestamp_unixtime_ms=ts, custom_attributes=_flat(values) if keep else None)
        return event, applied

    def _commerce(self, rng: random.Random, ts: int, violation: Optional[str]) -> Tuple[Any, Optional[str]]:
        data = valid_object(self.data, rng) if self.data.get("properties") else {}
        action_schema = _path_schema(self.data, "product_action")
        items = _path_schema(action_schema, "products").get("items")
        items = items if isinstance(items, dict) else {}
        action = {k: v for k, v in (data.pop("product_action", None) or {}).items() if k != "products"}
        products = [valid_object(items, rng) if items else _product(rng) for _ in range(rng.randint(1, 3))]
        applied = None
        if violation is not None:
            # the event's custom attributes, the product action's own fields (never the matched
            # "action") or the first product's fields; never a key the SDK's models cannot carry
            own = {k: v for k, v in (action_schema.get("properties") or {}).items() if k not in ("action", "products")}
            trimmed = dict(action_schema, properties=own,
                           required=[r for r in action_schema.get("required") or [] if r in own])
            targets = [("attributes", self.attributes), ("action", trimmed if own else {}), ("product", items)]
            rng.shuffle(targets)
            for where, target in targets:
                if not target or (where != "attributes" and violation == "unplanned_attribute"):
                    continue
                if where == "attributes":
                    current = data.get("custom_attributes") or {}
                elif where == "action":
                    current = action
                else:
                    current = products[0]
                broken = violate_object(target, current, violation, rng)
                if broken is None:
                    continue
                if where == "attributes":
                    data["custom_attributes"] = broken
                elif where == "action":
                    action = broken
                else:
                    products[0] = broken
                applied = violation
                break
        fields: Dict[str, Any] = {"timestamp_unixtime_ms": ts}
        if "custom_attributes" in data:
            fields["custom_attributes"] = _flat(data.pop("custom_attributes"))
        fields.update((k, v) for k, v in data.items() if k in m.CommerceEvent.attribute_map and not isinstance(v, dict))
        fields.setdefault("currency_code", "USD")
        models = [_model(m.Product, p) for p in products]
        if self.type == "product_action":
            action["action"] = self.criteria.get("action", "purchase")
            fields["product_action"] = _model(m.ProductAction, action, products=models)
        elif self.type == "promotion_action":
            promotions = [m.Promotion(id="PROMO-%d" % rng.randint(10, 99), name=rng.choice(_WORDS).title() + " Sale",
                                      creative="banner_%d" % rng.randint(1, 5), position=str(rng.randint(1, 4)))]
            fields["promotion_action"] = m.PromotionAction(self.criteria.get("action", "view"), promotions=promotions)
        else:
            fields["product_impressions"] = [
                m.ProductImpression(product_impression_list=rng.choice(("Recommended", "Search Results", "Related")),
                                    products=models)
            ]
        return m.CommerceEvent(**fields), applied

    def _unplanned(self, rng: random.Random, ts: int) -> Any:
        if self.type == "screen_view":
            name = "%s (old)" % self.criteria.get("screen_name")
            return m.ScreenViewEvent(screen_name=name, timestamp_unixtime_ms=ts)
        if self.type != "custom_event":  # a commerce point: a tracking call nobody planned instead
            return m.AppEvent(event_name="Legacy %s" % self.type, custom_event_type="other", timestamp_unixtime_ms=ts,
                              custom_attributes={"source": "legacy_app"})
        name = "%s (v2)" % (self.criteria.get("event_name") or "unplanned")
        return m.AppEvent(event_name=name, custom_event_type=self.criteria.get("custom_event_type", "other"),
                          timestamp_unixtime_ms=ts, custom_attributes={"source": "legacy_app"})


def _product(rng: random.Random) -> Dict[str, Any]:
    return {"id": "SKU-%06d" % rng.randint(0, 999999), "name": rng.choice(_WORDS).title(),
            "price": round(rng.uniform(3, 200), 2), "quantity": rng.randint(1, 3)}


def _model(cls: Any, fields: Dict[str, Any], **extra: Any) -> Any:
    """``cls(**fields)`` by wire names; a field the model lacks goes into its custom attributes."""
    by_wire = {wire: attr for attr, wire in cls.attribute_map.items()}
    kwargs: Dict[str, Any] = dict(extra)
    spill: Dict[str, Any] = {}
    for key, value in fields.items():
        attr = by_wire.get(key)
        if attr is None or attr in kwargs:
            spill[key] = value
        else:
            kwargs[attr] = value
    if spill and "custom_attributes" in cls.attribute_map:
        kwargs["custom_attributes"] = {**(kwargs.get("custom_attributes") or {}), **_flat(spill)}
    return cls(**kwargs)


class BatchFactory:
    """Builds realistic batches (SDK models) for ``plan``: 20-50 events drawn from its points."""

    EVENT_TYPES = ("custom_event", "screen_view", "product_action", "promotion_action", "product_impression")
    #: The shares of custom events, screen views, product actions, promotions and impressions.
    WEIGHTS = (0.6, 0.2, 0.14, 0.03, 0.03)

    def __init__(self, plan: Dict[str, Any]) -> None:
        points = [Planned(p) for p in data_points(plan)]
        self.by_type: Dict[str, List[Planned]] = {t: [p for p in points if p.type == t] for t in self.EVENT_TYPES}
        users = [p for p in points if p.type == "user_attributes"]
        identities = [p for p in points if p.type == "user_identities"]
        self.user = users[-1].schema if users else None
        self.identities = identities[-1].schema if identities else None
        self.kinds = [t for t in self.EVENT_TYPES if self.by_type[t]]
        self.weights = [w for t, w in zip(self.EVENT_TYPES, self.WEIGHTS) if self.by_type[t]]
        self.violations: Dict[str, int] = {}

    def batch(self, rng: random.Random, mixed: bool, events: Optional[int] = None) -> Any:
        count = events if events is not None else rng.randint(20, 50)
        built = []
        for i in range(count):
            planned = rng.choice(self.by_type[rng.choices(self.kinds, self.weights)[0]])
            violation = None
            if mixed and rng.random() < VIOLATION_SHARE:
                first = rng.randrange(len(VIOLATIONS))
                for kind in VIOLATIONS[first:] + VIOLATIONS[:first]:
                    event, applied = planned.build(rng, TS + i * 1000, kind)
                    if applied is not None:
                        violation = applied
                        break
            if violation is None:
                event, _ = planned.build(rng, TS + i * 1000)
            else:
                self.violations[violation] = self.violations.get(violation, 0) + 1
            built.append(event)
        user_attributes = valid_object(self.user, rng) if self.user else {"tier": "gold"}
        if mixed and self.user and rng.random() < 0.3:
            broken = None
            for kind in ("wrong_type", "unplanned_attribute", "out_of_range"):
                broken = violate_object(self.user, user_attributes, kind, rng)
                if broken is not None:
                    self.violations["user_" + kind] = self.violations.get("user_" + kind, 0) + 1
                    user_attributes = broken
                    break
        identities = _identities(self.identities, rng)
        return m.Batch(
            environment="development",
            mpid=rng.randint(10**14, 2**53 - 1),  # above 2**53 DPN (JS numbers) echoes it rounded
            user_identities=identities,
            device_info=m.DeviceInformation(platform="iOS", os_version="17.4.1", brand="Apple"),
            user_attributes=user_attributes,
            events=built,
        )


def _identities(schema: Optional[Dict[str, Any]], rng: random.Random) -> Any:
    values = valid_object(schema, rng, optional_share=1.0) if schema else {}
    known = {k: v for k, v in values.items() if k in m.UserIdentities.attribute_map and isinstance(v, str)}
    known.setdefault("customerid", "cust-%06d" % rng.randint(0, 999999))
    return m.UserIdentities(**known)


def wire(batch: Any) -> Dict[str, Any]:
    """The batch as the Events API receives it (what DPN validates)."""
    result: Dict[str, Any] = json.loads(dumps(batch))
    return result


def build_sets(
    plan: Dict[str, Any], loaded: Any, batches: int = 8, seed: int = 11
) -> Tuple[Dict[str, List[Any]], Dict[str, int]]:
    """``({"valid": [Batch, ...], "mixed": [...]}, violation counts)``; ``loaded`` (a DataPlan)
    checks that the valid set is valid and regenerates any batch that is not."""
    factory = BatchFactory(plan)
    rng = random.Random(seed)
    valid: List[Any] = []
    for _ in range(batches * 20):
        if len(valid) == batches:
            break
        batch = factory.batch(rng, mixed=False)
        if loaded.validate_batch(wire(batch)).ok:
            valid.append(batch)
    if len(valid) < batches:
        raise RuntimeError("could not build %d valid batches from the plan's schemas" % batches)
    factory.violations = {}
    mixed = [factory.batch(rng, mixed=True) for _ in range(batches)]
    return {"valid": valid, "mixed": mixed}, dict(factory.violations)
