"""Check a batch against the Events API rules before it costs a request.

:func:`validate` checks one batch (a :class:`~mparticle.models.Batch` or its JSON dict) and
:func:`validate_request` checks a bulk request (a list of batches). Both return a list of
:class:`Problem` (``path``, ``rule``, ``message``), empty when everything is valid.

The rules are *data*: each table below (``BATCH``, ``EVENT_DATA``, ``DEVICE_INFO``, ...) is an
object's model (its declared keys, types and enums, read by :func:`_spec_from_model`) plus what
the schema adds: required keys, UUID and IP formats, length and count limits, closed or open
objects, enum values that differ, keys the model lacks. A handful of spec classes
(:class:`Obj`, :class:`ListOf`, :class:`MapOf`, ...) interpret them. The reference is
``shared/spec/schema.md`` (sections 2-6 for fields, 8 for limits and the historical rules),
itself based on the live Events API JSON Schema ("SCHEMA-2026").

Conventions:

* Models and dicts are checked identically: both are serialized with
  :func:`mparticle.serialization.dumps` (the bytes that would be sent, also measured for the
  byte limits) and read back as plain JSON before the tables are applied.
* ``null`` counts as absent: an optional key set to ``null`` is accepted, a required one is
  reported as ``required``.
* Enum lists come from the models where the model's list is the schema's; the models'
  legacy ``unknown`` placeholder (from the old Swagger spec) is not a schema value and is
  removed (:func:`_schema_values`).
* Paths use JSON keys: ``events[3].data.event_name``, ``user_attributes["$age"]``; a problem
  about a whole batch has the path ``""`` (in a request, ``[i]``).

Rule ids (stable, see :data:`RULES`): ``required``, ``required_any``, ``type``, ``enum``,
``event_type``, ``environment``, ``identity_key``, ``unknown_key``, ``uuid``, ``format``,
``max_length``, ``max_items``, ``max_bytes``, ``json``, ``historical_no_events``,
``historical_timestamp``, ``historical_too_recent``.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Type

from mparticle.limits import LIMITS
from mparticle.models import (
    ApplicationInformation,
    AttributionInfo,
    Batch,
    BatchContext,
    ConsentState,
    DataPlanContext,
    DeviceCurrentState,
    DeviceInformation,
    EventBase,
    EventData,
    GDPRConsentState,
    GeoLocation,
    MediaInfo,
    Product,
    ProductAction,
    ProductImpression,
    Promotion,
    PromotionAction,
    ShoppingCart,
    SourceInformation,
    UserIdentities,
    UserIdentity,
)
from mparticle.models.base import Model
from mparticle.models.base import registry as model_registry
from mparticle.models.batch import ENVIRONMENTS
from mparticle.models.push_message_event import PUSH_MESSAGE_BEHAVIORS
from mparticle.models.shared import EVENT_TYPES
from mparticle.serialization import dumps, join_batches

__all__ = [
    "MAX_ACTION_IDENTIFIER_LENGTH",
    "MAX_ATTRIBUTE_LIST_ENTRY_LENGTH",
    "MAX_ATTRIBUTE_LIST_ITEMS",
    "MAX_ATTRIBUTE_NAME_LENGTH",
    "MAX_ATTRIBUTE_VALUE_LENGTH",
    "MAX_BATCHES_PER_REQUEST",
    "MAX_BATCH_BYTES",
    "MAX_EVENT_NAME_LENGTH",
    "MAX_REQUEST_BYTES",
    "MAX_USER_ATTRIBUTES",
    "HISTORICAL_MIN_AGE_MS",
    "RULES",
    "Problem",
    "historical_problems",
    "validate",
    "validate_request",
]

# -- limits (schema.md section 8; KB = 1024 bytes, lengths are characters) ---------------------

MAX_BATCH_BYTES = LIMITS.max_batch_bytes
MAX_REQUEST_BYTES = LIMITS.max_request_bytes
MAX_BATCHES_PER_REQUEST = LIMITS.max_batches_per_request
MAX_USER_ATTRIBUTES = 100
MAX_ATTRIBUTE_NAME_LENGTH = 256  # user and event attribute names
MAX_ATTRIBUTE_VALUE_LENGTH = 4096  # user and event attribute values
MAX_ATTRIBUTE_LIST_ITEMS = 1000  # entries of a user attribute list
MAX_ATTRIBUTE_LIST_ENTRY_LENGTH = 512  # characters of one entry of a user attribute list
MAX_EVENT_NAME_LENGTH = 256  # event_name and screen_name
MAX_ACTION_IDENTIFIER_LENGTH = 100  # push_message action_identifier (JSONREF prose)
HISTORICAL_MIN_AGE_MS = 72 * 3600 * 1000  # /bulkevents/historical drops younger events

#: Every rule id a :class:`Problem` can carry, with what it means.
RULES: Dict[str, str] = {
    "required": "a required key is missing or null",
    "required_any": "none of a set of alternative keys is present",
    "type": "a value has the wrong JSON type (custom attribute values must be flat)",
    "enum": "a value is not one of the allowed strings",
    "event_type": "an event's event_type is not an Events API event type",
    "environment": "environment is not development or production",
    "identity_key": "a user_identities key is not an identity type",
    "unknown_key": "a key the object does not allow",
    "uuid": "an id is not UUID-shaped (8-4-4-4-12 hex digits)",
    "format": "a string is not in the required format (ip: IPv4 or IPv6)",
    "max_length": "a name or value is longer than the limit (characters)",
    "max_items": "too many entries (user attributes, list entries, batches per request)",
    "max_bytes": "the serialized batch or request is larger than the limit",
    "json": "the value cannot be serialized as JSON (NaN, Infinity, unknown objects)",
    "historical_no_events": "historical batches must contain events",
    "historical_timestamp": "historical events must have data.timestamp_unixtime_ms",
    "historical_too_recent": "historical events must be at least 72 hours old",
}


@dataclass(frozen=True)
class Problem:
    """One rule violation: where (``path``), which rule (``rule``) and a human ``message``."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return "{0}: {1} [{2}]".format(self.path or "<batch>", self.message, self.rule)


# -- the engine: specs that check a JSON value and append problems --------------------------

Out = List[Problem]
#: A lazy path: ``None`` (the batch) or ``(parent, key)``; rendered only for a problem.
Path = Optional[Tuple[Any, Any]]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def render(path: Path) -> str:
    """``events[3].data.event_name``: ``.key`` for identifier keys, ``["key"]`` for others."""
    keys: List[Any] = []
    while path is not None:
        path, key = path
        keys.append(key)
    text = ""
    for key in reversed(keys):
        if isinstance(key, int):  # list index (object keys are strings after the JSON round trip)
            text += f"[{key}]"
        elif _IDENTIFIER.match(key):
            text = f"{text}.{key}" if text else key
        else:
            text += f"[{json.dumps(key)}]"
    return text


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _fail(out: Out, path: Path, rule: str, tail: str) -> None:
    """Append a problem whose message is the quoted path (or "the batch") followed by ``tail``."""
    text = render(path)
    out.append(Problem(text, rule, f"`{text}` {tail}" if text else f"the batch {tail}"))


class Spec:
    """A rule for one JSON value; ``check`` appends a :class:`Problem` per violation."""

    def check(self, value: Any, path: Path, out: Out) -> None:
        raise NotImplementedError


class Kind(Spec):
    """A JSON type test, e.g. integer, or flat scalar (string, number, boolean or null)."""

    def __init__(self, description: str, test: Callable[[Any], bool]) -> None:
        self.description = description
        self.test = test

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not self.test(value):
            _fail(out, path, "type", f"must be {self.description}, got {_json_type(value)}")


def _is_int(value: Any) -> bool:  # JSON Schema "integer": 3 and 3.0, never true/false
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


STRING = Kind("a string", lambda v: isinstance(v, str))
#: SCHEMA's ``String``: any flat JSON value (string, number, boolean, null).
SCALAR = Kind(
    "a flat value (string, number, boolean or null)",
    lambda v: v is None or isinstance(v, (str, int, float, bool)),
)
class Integer(Kind):
    """JSON Schema "integer" within the Events API's 64-bit range (ids, timestamps)."""

    def __init__(self) -> None:
        super().__init__("an integer", _is_int)

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not _is_int(value):
            super().check(value, path, out)
        elif not INT64_MIN <= value <= INT64_MAX:
            bits = int(value).bit_length()  # (str() of a huge int can itself raise)
            _fail(out, path, "range", f"must be a 64-bit integer ({INT64_MIN} to {INT64_MAX}), got a {bits}-bit one")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INTEGER = Integer()
NUMBER = Kind("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
BOOLEAN = Kind("a boolean", lambda v: isinstance(v, bool))
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
ARRAY = Kind("an array", lambda v: isinstance(v, list))


class Format(Spec):
    """A string in a given format (``uuid``, ``ip``); other types are a ``type`` problem."""

    def __init__(self, rule: str, description: str, test: Callable[[str], bool]) -> None:
        self.rule = rule
        self.description = description
        self.test = test

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, str):
            STRING.check(value, path, out)
        elif not self.test(value):
            _fail(out, path, self.rule, f"must be {self.description}, got {_show(value)}")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


#: SCHEMA ``Uuid`` pattern (stricter than ``uuid.UUID``: no braces, no ``urn:``, hyphens required).
_UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
UUID = Format(
    "uuid", "a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)", lambda s: bool(_UUID_PATTERN.match(s))
)
IP = Format("format", "an IPv4 or IPv6 address", _is_ip)


@dataclass(frozen=True)
class Text(Spec):
    """A value of ``kind`` whose string form may have at most ``max_length`` characters."""

    max_length: int
    kind: Spec = SCALAR

    def check(self, value: Any, path: Path, out: Out) -> None:
        before = len(out)
        self.kind.check(value, path, out)
        if len(out) == before and isinstance(value, str) and len(value) > self.max_length:
            _fail(out, path, "max_length", f"is {len(value)} characters; the limit is {self.max_length}")


@dataclass(frozen=True)
class Enum(Spec):
    """A string out of ``values``; ``other`` admits non-string values too (e.g. an integer)."""

    values: Tuple[str, ...]
    rule: str = "enum"
    other: Optional[Kind] = None

    def check(self, value: Any, path: Path, out: Out) -> None:
        if isinstance(value, str):
            if value not in self.values:
                _fail(out, path, self.rule, f"is {_show(value)}; allowed values: {', '.join(self.values)}")
        elif self.other is None or not self.other.test(value):
            extra = f" or {self.other.description}" if self.other is not None else ""
            _fail(out, path, "type", f"must be one of {', '.join(self.values)}{extra}, got {_json_type(value)}")


@dataclass(frozen=True)
class ListOf(Spec):
    """A JSON array of ``item`` values, at most ``max_items`` long."""

    item: Spec
    max_items: Optional[int] = None

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, list):
            ARRAY.check(value, path, out)
            return
        if self.max_items is not None and len(value) > self.max_items:
            _fail(out, path, "max_items", f"has {len(value)} entries; the limit is {self.max_items}")
        check = self.item.check
        for index, item in enumerate(value):
            if item is not None:
                check(item, (path, index), out)


@dataclass(frozen=True)
class MapOf(Spec):
    """A JSON object with free keys (at most ``key_max`` characters) and ``value`` values."""

    value: Spec
    max_items: Optional[int] = None
    key_max: Optional[int] = None

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, dict):
            OBJECT.check(value, path, out)
            return
        if self.max_items is not None and len(value) > self.max_items:
            _fail(out, path, "max_items", f"has {len(value)} entries; the limit is {self.max_items}")
        key_max = self.key_max
        check = self.value.check
        for key, item in value.items():
            if key_max is not None and len(key) > key_max:
                _fail(out, (path, key), "max_length", f"has a name of {len(key)} characters; the limit is {key_max}")
            if item is not None:
                check(item, (path, key), out)


@dataclass(frozen=True)
class ScalarOrList(Spec):
    """SCHEMA ``StringOrArray``: a flat value, or an array of flat values."""

    scalar: Spec
    items: ListOf

    def check(self, value: Any, path: Path, out: Out) -> None:
        (self.items if isinstance(value, list) else self.scalar).check(value, path, out)


@dataclass(frozen=True)
class Obj(Spec):
    """A JSON object with known ``fields`` (key to spec).

    ``required`` keys must be present and not null; when ``any_of`` is set, at least one of
    those keys must be. A ``closed`` object reports other keys with ``unknown_rule``.
    """

    name: str
    fields: Mapping[str, Spec]
    required: Tuple[str, ...] = ()
    any_of: Tuple[str, ...] = ()
    closed: bool = True
    unknown_rule: str = "unknown_key"

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, dict):
            _fail(out, path, "type", f"({self.name}) must be an object, got {_json_type(value)}")
            return
        for key in self.required:
            if value.get(key) is None:
                _fail(out, (path, key), "required", f"is required in {self.name}")
        if self.any_of and all(value.get(key) is None for key in self.any_of):
            _fail(out, path, "required_any", f"({self.name}) needs one of: {', '.join(self.any_of)}")
        fields = self.fields
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                if self.closed:
                    self._unknown(key, (path, key), out)
            elif item is not None:
                spec.check(item, (path, key), out)

    def _unknown(self, key: str, path: Path, out: Out) -> None:
        allowed = list(self.fields)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        _fail(out, path, self.unknown_rule, f"is not allowed in {self.name}{hint}; allowed keys: {', '.join(allowed)}")


@dataclass(frozen=True)
class Tagged(Spec):
    """An envelope whose ``tag`` value selects the spec of its ``body`` (the event union)."""

    envelope: Obj
    tag: str
    body: str
    bodies: Mapping[str, Obj]
    fallback: Obj

    def check(self, value: Any, path: Path, out: Out) -> None:
        self.envelope.check(value, path, out)
        if not isinstance(value, dict) or not isinstance(value.get(self.body), dict):
            return  # the envelope check reported it
        tag = value.get(self.tag)
        spec = self.bodies.get(tag, self.fallback) if isinstance(tag, str) else self.fallback
        spec.check(value[self.body], (path, self.body), out)


# -- from the models' declarations to specs -------------------------------------------------------

#: Any JSON value (a model field declared ``object``).
ANY = Kind("any JSON value", lambda v: True)

#: The spec of each plain swagger type. A model's ``str`` is SCHEMA's lenient ``String`` (any
#: flat value); the tables say ``STRING`` where the schema wants a JSON string.
_TYPE_SPECS: Dict[str, Spec] = {
    "str": SCALAR,
    "int": INTEGER,
    "float": NUMBER,
    "bool": BOOLEAN,
    "object": ANY,
    "dict": OBJECT,
}

#: The spec derived from each model, by class name: how ``GeoLocation`` or ``list[Product]`` in a
#: later declaration resolves (so a model is derived before the models that embed it).
_MODEL_SPECS: Dict[str, Obj] = {}


def _schema_values(model_values: Sequence[str], legacy: Sequence[str] = ("unknown",)) -> Tuple[str, ...]:
    """A model's enum list without its ``legacy`` non-schema entries (default: ``unknown``)."""
    return tuple(v for v in model_values if v not in legacy)


def _type_spec(type_name: str) -> Spec:
    """The spec of a swagger type string: ``int``, ``list[Product]``, ``dict(str, str)``, ``GeoLocation``."""
    if type_name.startswith("list["):
        return ListOf(_type_spec(type_name[5:-1]))
    if type_name.startswith("dict("):  # dict(str, X): free keys, X values
        return MapOf(_type_spec(type_name[5:-1].split(", ", 1)[1]))
    spec = _TYPE_SPECS.get(type_name) or _MODEL_SPECS.get(type_name)
    if spec is None:
        raise LookupError(f"no spec for the type {type_name!r}: derive a model before the models that embed it")
    return spec


def _spec_from_model(
    model: Type[Model],
    name: str,
    *,
    required: Tuple[str, ...] = (),
    any_of: Tuple[str, ...] = (),
    closed: bool = True,
    unknown_rule: str = "unknown_key",
    legacy: Sequence[str] = ("unknown",),
    overrides: Optional[Mapping[str, Spec]] = None,
    extra: Optional[Mapping[str, Spec]] = None,
    omit: Tuple[str, ...] = (),
) -> Obj:
    """The spec of ``model``'s JSON object (``name`` in messages): the model plus the schema's rules.

    Every declared field counts under its JSON key with the spec of its type; an enum allows the
    model's values minus the ``legacy`` ones. What the schema adds: ``overrides`` replace the spec
    of declared keys, ``extra`` adds keys the model lacks, ``omit`` drops declared keys (an open
    object then passes them unchecked); ``required``, ``any_of``, ``closed`` and ``unknown_rule``
    as in :class:`Obj` (objects are closed unless ``closed=False``). The result also serves the
    later models that embed this one.
    """
    overrides = overrides or {}
    extra = extra or {}
    fields: Dict[str, Spec] = {}
    for f in model.fields:
        if f.key in omit:
            continue
        if f.key in overrides:
            fields[f.key] = overrides[f.key]
        elif f.enum is not None:
            fields[f.key] = Enum(_schema_values(f.enum, legacy))
        else:
            fields[f.key] = _type_spec(f.type)
    declared = {f.key for f in model.fields}
    stray = ({*overrides, *omit} - declared) | (set(extra) & declared) | ({*required, *any_of} - {*fields, *extra})
    if stray:  # the model changed, or a rule names a key that does not exist
        raise LookupError(f"the rules for {model.__name__} do not match its declared keys: {sorted(stray)}")
    spec = Obj(name, {**fields, **extra}, required, any_of, closed, unknown_rule)
    _MODEL_SPECS[model.__name__] = spec
    return spec


#: The 19 Events API event types (the model list minus ``unknown``).
EVENT_TYPE_VALUES = _schema_values(EVENT_TYPES)
#: development / production (schema.md 2: ``unknown`` is not accepted).
ENVIRONMENT_VALUES = tuple(ENVIRONMENTS)

# -- the rule tables: each object is its model plus the schema's rules ---------------------------

#: Event ``custom_attributes`` (and product attributes): flat values, limited names and values.
EVENT_ATTRIBUTES = MapOf(Text(MAX_ATTRIBUTE_VALUE_LENGTH), key_max=MAX_ATTRIBUTE_NAME_LENGTH)
#: Batch ``user_attributes``: 100 names of 256 characters; values of 4,096 characters or lists
#: of 1,000 entries of 512 characters.
USER_ATTRIBUTES = MapOf(
    ScalarOrList(
        Text(MAX_ATTRIBUTE_VALUE_LENGTH),
        ListOf(Text(MAX_ATTRIBUTE_LIST_ENTRY_LENGTH), max_items=MAX_ATTRIBUTE_LIST_ITEMS),
    ),
    max_items=MAX_USER_ATTRIBUTES,
    key_max=MAX_ATTRIBUTE_NAME_LENGTH,
)
EVENT_NAME = Text(MAX_EVENT_NAME_LENGTH, STRING)
#: The ``device_info`` ids SCHEMA gives the UUID pattern.
_DEVICE_UUIDS = (
    "ios_advertising_id",
    "ios_idfv",
    "android_advertising_id",
    "roku_advertising_id",
    "roku_publisher_id",
    "fire_advertising_id",
)

#: ``location`` (schema.md 3.2): ``location_source`` keeps ``unknown`` (a SCHEMA-2026 value).
GEO_LOCATION = _spec_from_model(GeoLocation, "location", required=("latitude", "longitude"), legacy=())
DEVICE_CURRENT_STATE = _spec_from_model(DeviceCurrentState, "device_current_state")
#: ``device_info`` (schema.md 5): UUID-shaped advertising / vendor ids; ``platform`` without
#: the model's ``Unknown``.
DEVICE_INFO = _spec_from_model(
    DeviceInformation, "device_info", legacy=("Unknown",), overrides=dict.fromkeys(_DEVICE_UUIDS, UUID)
)
#: ``application_info`` (schema.md 6): ``os`` as the model (its ``Unknown`` is the default).
APPLICATION_INFO = _spec_from_model(ApplicationInformation, "application_info")
#: ``user_identities`` (schema.md 4): only identity-type keys (note: ``customer_id``).
USER_IDENTITIES = _spec_from_model(UserIdentities, "user_identities", unknown_rule="identity_key")
USER_IDENTITY = _spec_from_model(
    UserIdentity, "user identity", required=("identity_type", "identity", "timestamp_unixtime_ms")
)

#: A consent purpose (GDPR and CCPA declare the same fields).
CONSENT_PURPOSE = _spec_from_model(
    GDPRConsentState, "a consent purpose", required=("consented", "timestamp_unixtime_ms")
)
CONSENT_STATE = _spec_from_model(
    ConsentState,
    "consent_state",
    overrides={
        "gdpr": MapOf(CONSENT_PURPOSE),  # purpose name (defined in the workspace) -> state
        "ccpa": Obj("consent_state.ccpa", {"data_sale_opt_out": CONSENT_PURPOSE}),  # one purpose
    },
)

DATA_PLAN = _spec_from_model(DataPlanContext, "context.data_plan", required=("plan_id",), overrides={"plan_id": STRING})
#: SCHEMA leaves ``context`` open; GO adds an undocumented ``batching`` object.
BATCH_CONTEXT = _spec_from_model(BatchContext, "context", closed=False)
#: SCHEMA channels: not the model's ``unknown`` and ``All``.
SOURCE_INFO = _spec_from_model(SourceInformation, "source_info", required=("channel",), legacy=("unknown", "All"))
ATTRIBUTION_INFO = _spec_from_model(
    AttributionInfo, "attribution_info", required=("service_provider", "publisher", "campaign")
)

# Commerce -----------------------------------------------------------------------------------------

PRODUCT = _spec_from_model(
    Product,
    "product",
    closed=False,
    overrides={"id": STRING, "name": STRING, "custom_attributes": EVENT_ATTRIBUTES},
)
PRODUCT_ACTION = _spec_from_model(
    ProductAction, "product_action", required=("action",), overrides={"transaction_id": STRING}
)
PROMOTION = _spec_from_model(Promotion, "promotion", overrides={"id": STRING, "name": STRING})
PROMOTION_ACTION = _spec_from_model(PromotionAction, "promotion_action", required=("action",))
PRODUCT_IMPRESSION = _spec_from_model(
    ProductImpression,
    "product impression",
    required=("product_impression_list", "products"),
    overrides={"product_impression_list": STRING},
)
SHOPPING_CART = _spec_from_model(ShoppingCart, "shopping_cart", required=("products",))
#: Custom events' legacy ``media_info`` (SWAGGER2 / the original SDK only): its enums keep ``unknown``.
MEDIA_INFO = _spec_from_model(MediaInfo, "media_info", closed=False, legacy=())

# Event data ---------------------------------------------------------------------------------------

#: The schema's rules for fields every event's ``data`` may carry (schema.md 3.2); the others are
#: as the event models declare them (e.g. ``lifetime_value_change``: a number, as SCHEMA says;
#: OAS/GO say boolean, SCHEMA is later).
COMMON_EVENT_RULES: Dict[str, Spec] = {
    "source_message_id": STRING,  # UUID suggested; SCHEMA-2026 relaxed the pattern, so not enforced
    "session_uuid": UUID,
    "custom_attributes": EVENT_ATTRIBUTES,
    "event_system_notification_info": Obj(
        "event_system_notification_info", {"type": Enum(("gdpr_change",))}, required=("type",), closed=False
    ),
}


class EventRules(NamedTuple):
    """What the schema adds to an event model for its ``data``, beyond :data:`COMMON_EVENT_RULES`."""

    required: Tuple[str, ...] = ()
    overrides: Optional[Mapping[str, Spec]] = None
    any_of: Tuple[str, ...] = ()
    omit: Tuple[str, ...] = ()


#: SCHEMA ``StringOrArray``: a user attribute value (``new``, ``old``) that the models declare ``object``.
_USER_ATTRIBUTE_VALUE = ScalarOrList(SCALAR, ListOf(SCALAR))

#: Per event type: the required ``data`` keys and the schema's specs where they differ from the model.
#:
#: Required sets are those of the live Events API JSON Schema (SCHEMA-2026, the most recent
#: published definition of what the server validates), which drops SCHEMA-2021/OAS extras such
#: as session_start's read-only ``session_id`` and OAS's ``is_first_run``/``is_upgrade``. One
#: addition: a commerce event needs a product action, a promotion action or impressions
#: (JSONREF's three kinds of commerce event; the model enforces the same). Event types with no
#: schema definition (``pre_attribution``, ``push_reaction``) get the common fields only.
EVENT_TYPE_RULES: Dict[str, EventRules] = {
    "custom_event": EventRules(("event_name", "custom_event_type"), {"event_name": EVENT_NAME}),
    "commerce_event": EventRules(
        overrides={"event_name": EVENT_NAME, "screen_name": STRING},
        any_of=("product_action", "promotion_action", "product_impressions"),
    ),
    "screen_view": EventRules(("screen_name",), {"screen_name": EVENT_NAME}),
    "session_start": EventRules(),
    "session_end": EventRules(("session_duration_ms",)),
    "application_state_transition": EventRules(("application_transition_type",)),
    "breadcrumb": EventRules(("label",), {"label": STRING}),
    # breadcrumbs - SCHEMA: breadcrumb envelopes; OAS: strings; the model: breadcrumb data objects.
    "crash_report": EventRules(("severity", "message"), {"breadcrumbs": ARRAY}),
    "first_run": EventRules(),
    "uninstall": EventRules(),
    "network_performance": EventRules(("url", "response_code"), {"http_verb": STRING, "url": STRING}),
    "opt_out": EventRules(("is_opted_out",)),
    # profile_name / previous_profile_name: obsolete (SWAGGER2), not schema fields: unchecked.
    "profile": EventRules(
        ("previous_mpid", "current_mpid", "profile_event_type"), omit=("profile_name", "previous_profile_name")
    ),
    "push_message": EventRules(
        ("push_message_token", "push_message_type", "push_notification_payload"),
        {
            "action_identifier": Text(MAX_ACTION_IDENTIFIER_LENGTH),
            # SCHEMA enum of names; JSONREF documents an integer bitmask: accept both.
            "push_message_behavior": Enum(tuple(PUSH_MESSAGE_BEHAVIORS), other=INTEGER),
        },
    ),
    "push_registration": EventRules(("register", "registration_token"), {"registration_token": STRING}),
    "user_attribute_change": EventRules(
        ("user_attribute_name",),
        {
            "user_attribute_name": Text(MAX_ATTRIBUTE_NAME_LENGTH, STRING),
            "new": _USER_ATTRIBUTE_VALUE,
            "old": _USER_ATTRIBUTE_VALUE,
        },
    ),
    "user_identity_change": EventRules(("new", "old")),
}

#: The event model of each event type (each declares its wrapper's ``event_type``).
_EVENT_MODELS: Dict[str, Type[Model]] = {
    cls.event_type: cls for cls in model_registry.values() if isinstance(cls.event_type, str)
}

#: The ``data`` spec per event type (event data objects are open: unknown keys pass).
EVENT_DATA: Dict[str, Obj] = {
    event_type: _spec_from_model(
        _EVENT_MODELS[event_type],
        f"{event_type} data",
        required=rules.required,
        any_of=rules.any_of,
        closed=False,
        overrides={**COMMON_EVENT_RULES, **(rules.overrides or {})},
        omit=rules.omit,
    )
    for event_type, rules in EVENT_TYPE_RULES.items()
}
COMMON_EVENT_DATA = _spec_from_model(EventData, "event data", closed=False, overrides=COMMON_EVENT_RULES)
EVENT_DATA.setdefault("pre_attribution", COMMON_EVENT_DATA)
EVENT_DATA.setdefault("push_reaction", COMMON_EVENT_DATA)

EVENT = Tagged(
    envelope=_spec_from_model(
        EventBase,
        "an event",
        required=("event_type", "data"),
        overrides={"event_type": Enum(EVENT_TYPE_VALUES, rule="event_type"), "data": OBJECT},
    ),
    tag="event_type",
    body="data",
    bodies=EVENT_DATA,
    fallback=COMMON_EVENT_DATA,
)

#: The batch (schema.md 2): closed. ``environment`` is optional (the server defaults it to
#: production) but must be development or production. ``schema_version`` (a model field) is
#: accepted although SCHEMA lacks it: the HTTP docs' examples and the SDKs send it.
BATCH = _spec_from_model(
    Batch,
    "a batch",
    overrides={
        "events": ListOf(EVENT),
        "environment": Enum(ENVIRONMENT_VALUES, rule="environment"),
        "user_attributes": USER_ATTRIBUTES,
        "deleted_user_attributes": ListOf(STRING),
        "api_keys": ListOf(STRING),
        "ip": IP,
        "mp_deviceid": UUID,
    },
    extra={  # keys the model lacks: set by mParticle (source_info, timestamp, batch_id) or SCHEMA only
        "source_info": SOURCE_INFO,
        "timestamp_unixtime_ms": INTEGER,
        "batch_id": INTEGER,
        "origin_mpid": INTEGER,
    },
)


# -- entry points -------------------------------------------------------------------------------


@dataclass
class _Checked:
    problems: List[Problem] = field(default_factory=list)
    data: Optional[bytes] = None  # the serialized batch, when it serializes


def _historical(batch: Dict[str, Any], now_ms: int, out: Out) -> None:
    """The /bulkevents/historical rules (schema.md 8): events, each timestamped, >= 72 h old."""
    events = batch.get("events")
    if events is None or events == []:
        out.append(Problem("events", "historical_no_events", "a historical batch must contain at least one event"))
        return
    if not isinstance(events, list):
        return  # reported as a type problem
    newest_allowed = now_ms - HISTORICAL_MIN_AGE_MS
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            continue  # reported by the event rules
        path = f"events[{index}].data.timestamp_unixtime_ms"
        timestamp = event["data"].get("timestamp_unixtime_ms")
        if timestamp is None:
            out.append(Problem(path, "historical_timestamp", f"`{path}` is required for the historical endpoint"))
        elif _is_int(timestamp) and timestamp > newest_allowed:
            age_hours = (now_ms - timestamp) / 3_600_000
            out.append(
                Problem(
                    path,
                    "historical_too_recent",
                    f"`{path}` is {age_hours:.1f} hours old; historical events must be at least 72 hours "
                    f"old (at most {newest_allowed})",
                )
            )


def historical_problems(batch: Dict[str, Any], now_ms: int) -> List[Problem]:
    """Only the historical endpoint's rules, for one batch in wire (dict) form."""
    out: Out = []
    _historical(batch, now_ms, out)
    return out


def _check_batch(batch: Any, historical: bool, now_ms: Optional[int]) -> _Checked:
    """Serialize (the wire bytes, as sent), read back as plain JSON, then apply the tables.

    Going through the bytes makes models and dicts identical and is faster than a Python walk.
    """
    result = _Checked()
    try:
        raw = dumps(batch)
    except (TypeError, ValueError, RecursionError) as error:
        result.problems.append(Problem("", "json", f"the batch is not valid JSON: {error}"))
        return result
    data = json.loads(raw)
    if not isinstance(data, dict):
        result.problems.append(Problem("", "type", f"a batch must be a JSON object, got {_json_type(data)}"))
        return result
    result.data = raw
    BATCH.check(data, None, result.problems)
    if historical:
        _historical(data, now_ms if now_ms is not None else int(time.time() * 1000), result.problems)
    if len(raw) > MAX_BATCH_BYTES:
        result.problems.append(
            Problem(
                "",
                "max_bytes",
                f"the batch is {len(raw):,} bytes serialized; the limit is {MAX_BATCH_BYTES:,} (128 KB)",
            )
        )
    return result


def validate(batch_or_dict: Any, *, historical: bool = False, now_ms: Optional[int] = None) -> List[Problem]:
    """Check one batch (a ``Batch`` model or its JSON dict) against the Events API rules.

    ``historical=True`` adds the ``/bulkevents/historical`` rules, judged against ``now_ms``
    (epoch milliseconds, default: now). Returns the problems found, ``[]`` when valid.
    """
    return _check_batch(batch_or_dict, historical, now_ms).problems


def validate_request(batches: Any, *, historical: bool = False, now_ms: Optional[int] = None) -> List[Problem]:
    """Check a bulk request: at most 100 batches, at most 256 KB serialized, each batch valid.

    Batch problems are prefixed with the batch index: ``[2].events[0].data.event_name``.
    """
    if isinstance(batches, tuple):
        batches = list(batches)
    if not isinstance(batches, list):
        kind = "a model" if isinstance(batches, Model) else _json_type(batches)
        return [Problem("", "type", f"a bulk request must be an array of batches, got {kind}")]
    problems: List[Problem] = []
    if len(batches) > MAX_BATCHES_PER_REQUEST:
        problems.append(
            Problem(
                "",
                "max_items",
                f"the request has {len(batches)} batches; the limit is {MAX_BATCHES_PER_REQUEST}",
            )
        )
    parts: List[bytes] = []
    for index, batch in enumerate(batches):
        checked = _check_batch(batch, historical, now_ms)
        prefix = f"[{index}]"
        for p in checked.problems:
            path = prefix + ("" if not p.path else p.path if p.path.startswith("[") else "." + p.path)
            problems.append(Problem(path, p.rule, p.message))
        if checked.data is not None:
            parts.append(checked.data)
    size = len(join_batches(parts))
    if size > MAX_REQUEST_BYTES:
        problems.append(
            Problem(
                "",
                "max_bytes",
                f"the request is {size:,} bytes serialized; the limit is {MAX_REQUEST_BYTES:,} (256 KB)",
            )
        )
    return problems
