"""Check a batch against the Events API rules before it costs a request.

:func:`validate` checks one batch (a :class:`~mparticle.models.Batch` or its JSON dict) and
:func:`validate_request` checks a bulk request (a list of batches). Both return a list of
:class:`Problem` (``path``, ``rule``, ``message``), empty when everything is valid.

The rules are *data*: the tables below (``BATCH``, ``EVENT_DATA``, ``DEVICE_INFO``, ...) say
which keys an object may have, of which type, which are required and which values an enum
allows; a handful of spec classes (:class:`Obj`, :class:`ListOf`, :class:`MapOf`, ...) interpret
them. The reference is ``shared/spec/schema.md`` (sections 2-6 for fields, 8 for limits and the
historical rules), itself based on the live Events API JSON Schema ("SCHEMA-2026").

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
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from mparticle.models import application_state_transition_event as _transition
from mparticle.models import device_current_state as _device_state
from mparticle.models import media_info as _media
from mparticle.models import product_action as _product_action
from mparticle.models import profile_event as _profile
from mparticle.models import promotion_action as _promotion_action
from mparticle.models import push_message_event as _push
from mparticle.models import source_information as _source
from mparticle.models.application_information import OPERATING_SYSTEMS
from mparticle.models.base import Model
from mparticle.models.batch import ENVIRONMENTS
from mparticle.models.commerce_event import COMMERCE_EVENT_TYPES
from mparticle.models.device_information import ATT_AUTHORIZATION_STATUS, PLATFORMS
from mparticle.models.geo_location import GeoLocation
from mparticle.models.shared import CUSTOM_EVENT_TYPES, EVENT_TYPES, IDENTITY_TYPES
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
    "validate",
    "validate_request",
]

# -- limits (schema.md section 8; KB = 1024 bytes, lengths are characters) ---------------------

MAX_BATCH_BYTES = 128 * 1024
MAX_REQUEST_BYTES = 256 * 1024
MAX_BATCHES_PER_REQUEST = 100
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
INTEGER = Kind("an integer", _is_int)
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


# -- enum sets ------------------------------------------------------------------------------


def _schema_values(model_values: Sequence[str], *legacy: str) -> Tuple[str, ...]:
    """A model's enum list without its legacy non-schema entries (default: ``unknown``)."""
    drop = legacy or ("unknown",)
    return tuple(v for v in model_values if v not in drop)


def _model_enum(model: type, name: str) -> Tuple[str, ...]:
    """The enum list declared inline on one field of a model."""
    for f in model.fields:  # type: ignore[attr-defined]
        if f.name == name and f.enum is not None:
            return tuple(f.enum)
    raise LookupError(f"{model.__name__}.{name} declares no enum")


#: The 19 Events API event types (the model list minus ``unknown``).
EVENT_TYPE_VALUES = _schema_values(EVENT_TYPES)
#: development / production (schema.md 2: ``unknown`` is not accepted).
ENVIRONMENT_VALUES = tuple(ENVIRONMENTS)
#: schema.md 5 union incl. ``desktop`` (OAS) and ``alexa``/``fire_tv`` (SCHEMA); not ``Unknown``.
PLATFORM_VALUES = _schema_values(PLATFORMS, "Unknown")
#: schema.md 3.3 union incl. ``media`` (SCHEMA) and ``attribution`` (JSONREF, GO).
CUSTOM_EVENT_TYPE_VALUES = _schema_values(CUSTOM_EVENT_TYPES)
#: SCHEMA's commerce ``custom_event_type``: custom types + commerce types + consent types.
COMMERCE_CUSTOM_EVENT_TYPE_VALUES = (
    *CUSTOM_EVENT_TYPE_VALUES,
    *COMMERCE_EVENT_TYPES,
    "consent_granted",
    "consent_denied",
)
#: SCHEMA channels; the model's ``unknown`` and ``All`` are not schema values.
CHANNEL_VALUES = _schema_values(_source.CHANNELS, "unknown", "All")
#: Identity types, the keys of ``user_identities`` (the model list is the schema's).
IDENTITY_TYPE_VALUES = tuple(IDENTITY_TYPES)

# -- the rule tables --------------------------------------------------------------------------

#: Event ``custom_attributes`` (and product attributes): flat values, limited names and values.
EVENT_ATTRIBUTES = MapOf(Text(MAX_ATTRIBUTE_VALUE_LENGTH), key_max=MAX_ATTRIBUTE_NAME_LENGTH)
#: ``custom_flags``, ``partner_identities``: flat values.
FLAT_MAP = MapOf(SCALAR)
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

GEO_LOCATION = Obj(
    "location",
    {
        "latitude": NUMBER,
        "longitude": NUMBER,
        "accuracy": NUMBER,
        "country_code": SCALAR,
        "region_code": SCALAR,
        "city_name": SCALAR,
        "postal_code": SCALAR,
        "dma_code": INTEGER,
        "location_source": Enum(_model_enum(GeoLocation, "location_source")),
    },
    required=("latitude", "longitude"),
)

_ORIENTATION = Enum(_schema_values(_device_state.ORIENTATIONS))
DEVICE_CURRENT_STATE = Obj(
    "device_current_state",
    {
        "time_since_start_ms": INTEGER,
        "battery_level": NUMBER,
        "data_connection_type": SCALAR,
        "data_connection_type_detail": SCALAR,
        "gps_state": BOOLEAN,
        "total_system_memory_usage_bytes": INTEGER,
        "disk_space_free_bytes": INTEGER,
        "external_disk_space_free_bytes": INTEGER,
        "cpu": SCALAR,
        "system_memory_available_bytes": NUMBER,
        "system_memory_low": BOOLEAN,
        "system_memory_threshold_bytes": NUMBER,
        "application_memory_available_bytes": NUMBER,
        "application_memory_max_bytes": NUMBER,
        "application_memory_total_bytes": NUMBER,
        "device_orientation": _ORIENTATION,
        "status_bar_orientation": _ORIENTATION,
    },
)

#: ``device_info`` (schema.md 5): closed; UUID-shaped advertising / vendor ids.
DEVICE_INFO = Obj(
    "device_info",
    {
        **{
            key: SCALAR
            for key in (
                "brand",
                "product",
                "device",
                "android_uuid",
                "device_manufacturer",
                "os_version",
                "device_model",
                "device_country",
                "locale_language",
                "locale_country",
                "network_country",
                "network_carrier",
                "network_code",
                "network_mobile_country_code",
                "build_identifier",
                "http_header_user_agent",
                "push_token",
                "cpu_architecture",
                "radio_access_technology",
                "bluetooth_version",
                "build_version_release",
                "amp_id",
                "microsoft_advertising_id",
                "microsoft_publisher_id",
            )
        },
        **{
            key: INTEGER
            for key in ("screen_height", "screen_width", "screen_dpi", "timezone_offset", "att_timestamp_unixtime_ms")
        },
        **{
            key: BOOLEAN
            for key in (
                "is_tablet",
                "push_notification_sound_enabled",
                "push_notification_vibrate_enabled",
                "supports_telephony",
                "has_nfc",
                "bluetooth_enabled",
                "limit_ad_tracking",
                "is_dst",
            )
        },
        **{
            key: UUID
            for key in (
                "ios_advertising_id",
                "ios_idfv",
                "android_advertising_id",
                "roku_advertising_id",
                "roku_publisher_id",
                "fire_advertising_id",
            )
        },
        "platform": Enum(PLATFORM_VALUES),
        "att_authorization_status": Enum(tuple(ATT_AUTHORIZATION_STATUS)),
    },
)

#: ``application_info`` (schema.md 6): closed; ``os`` as the model (``Unknown`` is the default).
APPLICATION_INFO = Obj(
    "application_info",
    {
        "application_name": SCALAR,
        "application_version": SCALAR,
        "application_build_number": SCALAR,
        "install_referrer": SCALAR,
        "package": SCALAR,
        "os": Enum(tuple(OPERATING_SYSTEMS)),
        "apple_search_ads_attributes": MapOf(MapOf(SCALAR)),
    },
)

#: ``user_identities`` (schema.md 4): only identity-type keys (note: ``customer_id``).
USER_IDENTITIES = Obj(
    "user_identities",
    {key: SCALAR for key in IDENTITY_TYPE_VALUES},
    unknown_rule="identity_key",
)

_CONSENT_PURPOSE = Obj(
    "a consent purpose",
    {
        "regulation": SCALAR,
        "document": SCALAR,
        "consented": BOOLEAN,
        "timestamp_unixtime_ms": INTEGER,
        "location": SCALAR,
        "hardware_id": SCALAR,
    },
    required=("consented", "timestamp_unixtime_ms"),
)
CONSENT_STATE = Obj(
    "consent_state",
    {
        "gdpr": MapOf(_CONSENT_PURPOSE),  # purpose name (defined in the workspace) -> state
        "ccpa": Obj("consent_state.ccpa", {"data_sale_opt_out": _CONSENT_PURPOSE}),  # one purpose
    },
)

BATCH_CONTEXT = Obj(
    "context",
    {
        "data_plan": Obj("context.data_plan", {"plan_id": STRING, "plan_version": INTEGER}, required=("plan_id",)),
        "location": GEO_LOCATION,
    },
    closed=False,  # SCHEMA leaves it open; GO adds an undocumented ``batching`` object
)

SOURCE_INFO = Obj(
    "source_info",
    {
        "channel": Enum(CHANNEL_VALUES),
        "partner": SCALAR,
        "replay_request_id": SCALAR,
        "replay_job_id": SCALAR,
        "is_historical": BOOLEAN,
    },
    required=("channel",),
)

ATTRIBUTION_INFO = Obj(
    "attribution_info",
    {"service_provider": SCALAR, "publisher": SCALAR, "campaign": SCALAR},
    required=("service_provider", "publisher", "campaign"),
)

# Event data ------------------------------------------------------------------------------------

#: Fields every event's ``data`` may carry (schema.md 3.2).
COMMON_EVENT_FIELDS: Dict[str, Spec] = {
    "timestamp_unixtime_ms": INTEGER,
    "event_id": INTEGER,
    "source_message_id": STRING,  # UUID suggested; SCHEMA-2026 relaxed the pattern, so not enforced
    "session_id": INTEGER,
    "session_uuid": UUID,
    "session_start_unixtime_ms": INTEGER,
    "event_start_unixtime_ms": INTEGER,
    "custom_attributes": EVENT_ATTRIBUTES,
    "location": GEO_LOCATION,
    "device_current_state": DEVICE_CURRENT_STATE,
    "is_goal_defined": BOOLEAN,
    "lifetime_value_change": NUMBER,  # SCHEMA Number (OAS/GO say boolean; SCHEMA is later)
    "lifetime_value_attribute_name": SCALAR,
    "data_connection_type": SCALAR,
    "event_num": INTEGER,
    "view_controller": SCALAR,
    "is_main_thread": BOOLEAN,
    "canonical_name": SCALAR,
    "event_system_notification_info": Obj(
        "event_system_notification_info", {"type": Enum(("gdpr_change",))}, required=("type",), closed=False
    ),
}

PRODUCT = Obj(
    "product",
    {
        "id": STRING,
        "name": STRING,
        "brand": SCALAR,
        "category": SCALAR,
        "variant": SCALAR,
        "position": INTEGER,
        "price": NUMBER,
        "quantity": NUMBER,
        "coupon_code": SCALAR,
        "added_to_cart_time_ms": INTEGER,
        "total_product_amount": NUMBER,
        "custom_attributes": EVENT_ATTRIBUTES,
    },
    closed=False,
)
PRODUCTS = ListOf(PRODUCT)

_USER_IDENTITY = Obj(
    "user identity",
    {
        "identity_type": Enum(IDENTITY_TYPE_VALUES),
        "identity": SCALAR,
        "timestamp_unixtime_ms": INTEGER,
        "created_this_batch": BOOLEAN,
    },
    required=("identity_type", "identity", "timestamp_unixtime_ms"),
)

#: Per event type: its own ``data`` fields and which of them are required.
#:
#: Required sets are those of the live Events API JSON Schema (SCHEMA-2026, the most recent
#: published definition of what the server validates), which drops SCHEMA-2021/OAS extras such
#: as session_start's read-only ``session_id`` and OAS's ``is_first_run``/``is_upgrade``. One
#: addition: a commerce event needs a product action, a promotion action or impressions
#: (JSONREF's three kinds of commerce event; the model enforces the same). Event types with no
#: schema definition (``pre_attribution``, ``push_reaction``) get the common fields only.
EVENT_TYPE_RULES: Dict[str, Tuple[Dict[str, Spec], Tuple[str, ...]]] = {
    "custom_event": (
        {
            "event_name": EVENT_NAME,
            "custom_event_type": Enum(CUSTOM_EVENT_TYPE_VALUES),
            "custom_flags": FLAT_MAP,
            "media_info": Obj(  # legacy (SWAGGER2 / the original SDK only)
                "media_info",
                {
                    "action": Enum(tuple(_media.ACTIONS)),
                    "format": Enum(tuple(_media.FORMATS)),
                    "quality": Enum(tuple(_media.QUALITYS)),
                    "playback_position": NUMBER,
                    "playback_rate": NUMBER,
                },
                closed=False,
            ),
        },
        ("event_name", "custom_event_type"),
    ),
    "commerce_event": (
        {
            "product_action": Obj(
                "product_action",
                {
                    "action": Enum(_schema_values(_product_action.ACTIONS)),
                    "checkout_step": INTEGER,
                    "checkout_options": SCALAR,
                    "product_action_list": SCALAR,
                    "product_list_source": SCALAR,
                    "transaction_id": STRING,
                    "affiliation": SCALAR,
                    "total_amount": NUMBER,
                    "tax_amount": NUMBER,
                    "shipping_amount": NUMBER,
                    "coupon_code": SCALAR,
                    "products": PRODUCTS,
                },
                required=("action",),
            ),
            "promotion_action": Obj(
                "promotion_action",
                {
                    "action": Enum(_schema_values(_promotion_action.ACTIONS)),
                    "promotions": ListOf(
                        Obj("promotion", {"id": STRING, "name": STRING, "creative": SCALAR, "position": SCALAR})
                    ),
                },
                required=("action",),
            ),
            "product_impressions": ListOf(
                Obj(
                    "product impression",
                    {"product_impression_list": STRING, "products": PRODUCTS},
                    required=("product_impression_list", "products"),
                )
            ),
            "shopping_cart": Obj("shopping_cart", {"products": PRODUCTS}, required=("products",)),
            "currency_code": SCALAR,
            "screen_name": STRING,
            "is_non_interactive": BOOLEAN,
            "event_name": EVENT_NAME,
            "custom_event_type": Enum(COMMERCE_CUSTOM_EVENT_TYPE_VALUES),
            "custom_flags": FLAT_MAP,
        },
        (),
    ),
    "screen_view": (
        {"screen_name": EVENT_NAME, "activity_type": SCALAR, "custom_flags": FLAT_MAP},
        ("screen_name",),
    ),
    "session_start": ({}, ()),
    "session_end": ({"session_duration_ms": INTEGER}, ("session_duration_ms",)),
    "application_state_transition": (
        {
            "application_transition_type": Enum(_schema_values(_transition.APPLICATION_TRANSITION_TYPES)),
            "successfully_closed": BOOLEAN,
            "is_first_run": BOOLEAN,
            "is_upgrade": BOOLEAN,
            "push_notification_payload": SCALAR,
            "launch_referral": SCALAR,
        },
        ("application_transition_type",),
    ),
    "breadcrumb": ({"label": STRING, "session_number": INTEGER}, ("label",)),
    "crash_report": (
        {
            # SCHEMA: breadcrumb envelopes; OAS: strings; the model: breadcrumb data objects.
            "breadcrumbs": ARRAY,
            "class_name": SCALAR,
            "severity": SCALAR,
            "message": SCALAR,
            "stack_trace": SCALAR,
            "exception_handled": BOOLEAN,
            "topmost_context": SCALAR,
            "pl_crash_report_file_base64": SCALAR,
            "ios_image_base_address": INTEGER,
            "ios_image_size": INTEGER,
            "session_number": INTEGER,
        },
        ("severity", "message"),
    ),
    "first_run": ({}, ()),
    "uninstall": ({}, ()),
    "network_performance": (
        {
            "http_verb": STRING,
            "url": STRING,
            "time_elapsed": INTEGER,
            "bytes_in": INTEGER,
            "bytes_out": INTEGER,
            "response_code": INTEGER,
            "data": SCALAR,
        },
        ("url", "response_code"),
    ),
    "opt_out": ({"is_opted_out": BOOLEAN}, ("is_opted_out",)),
    "profile": (
        {
            "previous_mpid": INTEGER,
            "current_mpid": INTEGER,
            "profile_event_type": Enum(_schema_values(_profile.PROFILE_EVENT_TYPES)),
        },
        ("previous_mpid", "current_mpid", "profile_event_type"),
    ),
    "push_message": (
        {
            "push_message_token": SCALAR,
            "push_message_type": Enum(_schema_values(_push.PUSH_MESSAGE_TYPES)),
            "message": SCALAR,
            "network": SCALAR,
            "push_notification_payload": SCALAR,
            "application_state": Enum(_schema_values(_push.APPLICATION_STATES)),
            "action_identifier": Text(MAX_ACTION_IDENTIFIER_LENGTH),
            # SCHEMA enum of names; JSONREF documents an integer bitmask: accept both.
            "push_message_behavior": Enum(tuple(_push.PUSH_MESSAGE_BEHAVIORS), other=INTEGER),
        },
        ("push_message_token", "push_message_type", "push_notification_payload"),
    ),
    "push_registration": (
        {"register": BOOLEAN, "registration_token": STRING},
        ("register", "registration_token"),
    ),
    "user_attribute_change": (
        {
            "user_attribute_name": Text(MAX_ATTRIBUTE_NAME_LENGTH, STRING),
            "new": ScalarOrList(SCALAR, ListOf(SCALAR)),
            "old": ScalarOrList(SCALAR, ListOf(SCALAR)),
            "deleted": BOOLEAN,
            "is_new_attribute": BOOLEAN,
        },
        ("user_attribute_name",),
    ),
    "user_identity_change": ({"new": _USER_IDENTITY, "old": _USER_IDENTITY}, ("new", "old")),
}

_ANY_OF: Dict[str, Tuple[str, ...]] = {
    "commerce_event": ("product_action", "promotion_action", "product_impressions"),
}

#: The ``data`` spec per event type (event data objects are open: unknown keys pass).
EVENT_DATA: Dict[str, Obj] = {
    event_type: Obj(
        f"{event_type} data",
        {**COMMON_EVENT_FIELDS, **own},
        required=required,
        any_of=_ANY_OF.get(event_type, ()),
        closed=False,
    )
    for event_type, (own, required) in EVENT_TYPE_RULES.items()
}
COMMON_EVENT_DATA = Obj("event data", COMMON_EVENT_FIELDS, closed=False)
EVENT_DATA.setdefault("pre_attribution", COMMON_EVENT_DATA)
EVENT_DATA.setdefault("push_reaction", COMMON_EVENT_DATA)

EVENT = Tagged(
    envelope=Obj(
        "an event",
        {"event_type": Enum(EVENT_TYPE_VALUES, rule="event_type"), "data": OBJECT},
        required=("event_type", "data"),
    ),
    tag="event_type",
    body="data",
    bodies=EVENT_DATA,
    fallback=COMMON_EVENT_DATA,
)

#: The batch (schema.md 2): closed. ``environment`` is optional (the server defaults it to
#: production) but must be development or production. ``schema_version`` is accepted although
#: SCHEMA lacks it: the HTTP docs' examples and the SDKs send it.
BATCH = Obj(
    "a batch",
    {
        "events": ListOf(EVENT),
        "source_request_id": SCALAR,
        "environment": Enum(ENVIRONMENT_VALUES, rule="environment"),
        "device_info": DEVICE_INFO,
        "application_info": APPLICATION_INFO,
        "user_attributes": USER_ATTRIBUTES,
        "deleted_user_attributes": ListOf(STRING),
        "user_identities": USER_IDENTITIES,
        "api_key": SCALAR,
        "api_keys": ListOf(STRING),
        "ip": IP,
        "integration_attributes": MapOf(MapOf(SCALAR)),
        "context": BATCH_CONTEXT,
        "partner_identity": SCALAR,
        "partner_identities": FLAT_MAP,
        "source_info": SOURCE_INFO,
        "mp_deviceid": UUID,
        "attribution_info": ATTRIBUTION_INFO,
        "timestamp_unixtime_ms": INTEGER,
        "batch_id": INTEGER,
        "mpid": INTEGER,
        "origin_mpid": INTEGER,
        "sdk_version": SCALAR,
        "consent_state": CONSENT_STATE,
        "job_id": SCALAR,
        "schema_version": INTEGER,
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
