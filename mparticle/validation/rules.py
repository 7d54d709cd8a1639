"""The mParticle rule tables: each object is its model plus what the Events API schema adds.

The reference is mParticle's Events API JSON reference
(https://docs.mparticle.com/developers/apis/json-reference/) for the fields and the default
service limits (https://docs.mparticle.com/guides/default-service-limits/).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple, Type

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
from mparticle.validation.containers import ListOf, MapOf, Obj, ScalarOrList, Tagged
from mparticle.validation.derive import _schema_values, _spec_from_model
from mparticle.validation.engine import (
    ARRAY,
    INTEGER,
    IP,
    OBJECT,
    SCALAR,
    STRING,
    TIMESTAMP,
    UUID,
    Enum,
    Out,
    Problem,
    Spec,
    Text,
    fields_of,
    is_object,
)

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
    # warnings (Problem.severity "warning"): accepted by the server, but probably not as meant
    "no_environment": "warning: no environment; the server takes the batch as production data",
    "no_user": "warning: no user identity, mpid or device id; the data cannot be attached to a user",
    "timestamp": "warning: an *_unixtime_ms value before 2001 or after 2100 (seconds or microseconds?)",
}


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
        "timestamp_unixtime_ms": TIMESTAMP,
        "batch_id": INTEGER,
        "origin_mpid": INTEGER,
    },
)

#: ``device_info`` keys that identify a device (and so a user mParticle can attach data to).
DEVICE_ID_KEYS = (
    "android_uuid",
    "android_advertising_id",
    "ios_advertising_id",
    "ios_idfv",
    "push_token",
    "amp_id",
    "roku_advertising_id",
    "roku_publisher_id",
    "fire_advertising_id",
    "microsoft_advertising_id",
    "microsoft_publisher_id",
)
#: Batch keys that identify a user or a device on their own.
_USER_KEYS = ("mpid", "mp_deviceid", "partner_identity")


def batch_warnings(batch: Any, out: Out) -> None:
    """The warnings about a whole batch (a dict or a model, checked by :data:`BATCH`): no
    ``environment`` (the server defaults it to production) and nothing that identifies a user
    (no user identity, ``mpid``, device id or partner identity)."""
    data = fields_of(batch)
    if data.get("environment") is None:
        out.append(
            Problem(
                "environment",
                "no_environment",
                "`environment` is not set: the server takes the batch as production data; "
                "set development or production",
                "warning",
            )
        )
    if not _identifies_someone(data):
        out.append(
            Problem(
                "",
                "no_user",
                "the batch has no user identity, mpid or device id: mParticle has no user to attach it to; "
                "set user_identities (e.g. customer_id), mpid or a device_info id",
                "warning",
            )
        )


def _identifies_someone(data: Any) -> bool:
    if any(data.get(key) is not None for key in _USER_KEYS):
        return True
    for key, keys in (("user_identities", None), ("partner_identities", None), ("device_info", DEVICE_ID_KEYS)):
        value = data.get(key)
        if is_object(value):
            found = fields_of(value)
            if any(v is not None and v != "" for k, v in found.items() if keys is None or k in keys):
                return True
    return False
