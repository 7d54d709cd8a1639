"""Field groups and enum lists shared by several models (declared once, spliced into each)."""

from __future__ import annotations

from typing import Tuple

from mparticle.models.base import Field, attribute_bag_check
from mparticle.models.checks import attribute_keys_check, attribute_values_check

#: The eight fields every event payload of the original SDK has, in its serialization order.
EVENT_FIELDS: Tuple[Field, ...] = (
    Field("timestamp_unixtime_ms", "int", doc="event time, epoch milliseconds"),
    Field("event_id", "int"),
    Field("source_message_id", "str", doc="unique id of this event (a UUID is suggested)"),
    Field("session_id", "int"),
    Field("session_uuid", "str"),
    Field(
        "custom_attributes",
        "dict(str, str)",
        check=attribute_bag_check,
        on_set=False,
        hint="Dict[str, Any]",
        doc="flat attributes: values are str, int, float, bool or None",
    ),
    Field("location", "GeoLocation"),
    Field("device_current_state", "DeviceCurrentState"),
)

#: EVENT_FIELDS with ``custom_attributes`` checked when assigned, as the original did in the
#: events that take user-defined attributes (AppEvent, CommerceEvent, ScreenViewEvent).
#: The setter checks the values, as the original's did; the keys are checked when sent.
EVENT_FIELDS_CHECKED: Tuple[Field, ...] = tuple(
    f.replace(on_set=True, check=attribute_values_check, send_check=attribute_keys_check)
    if f.name == "custom_attributes"
    else f
    for f in EVENT_FIELDS
)

#: Common event fields of the Events API that the original SDK lacked (schema.md 3.2).
EXTRA_EVENT_FIELDS: Tuple[Field, ...] = (
    Field("session_start_unixtime_ms", "int"),
    Field("event_start_unixtime_ms", "int"),
    Field("is_goal_defined", "bool"),
    Field("lifetime_value_change", "float"),
    Field("lifetime_value_attribute_name", "str"),
    Field("data_connection_type", "str"),
    Field("event_num", "int"),
    Field("view_controller", "str"),
    Field("is_main_thread", "bool"),
    Field("canonical_name", "str"),
    Field("event_system_notification_info", "dict(str, str)"),
)

EVENT_FIELD_NAMES: Tuple[str, ...] = tuple(f.name for f in EVENT_FIELDS)
EXTRA_EVENT_FIELD_NAMES: Tuple[str, ...] = tuple(f.name for f in EXTRA_EVENT_FIELDS)

#: ``custom_event_type`` of custom events: the original list plus ``media`` (schema.md 3.3).
CUSTOM_EVENT_TYPES = [
    "unknown",
    "navigation",
    "location",
    "search",
    "transaction",
    "user_content",
    "user_preference",
    "social",
    "other",
    "attribution",
    "media",
]

#: ``event_type`` of the event wrapper: the original list plus the two it lacked.
EVENT_TYPES = [
    "unknown",
    "session_start",
    "session_end",
    "screen_view",
    "custom_event",
    "crash_report",
    "opt_out",
    "first_run",
    "pre_attribution",
    "push_registration",
    "application_state_transition",
    "push_message",
    "network_performance",
    "breadcrumb",
    "profile",
    "push_reaction",
    "commerce_event",
    "user_attribute_change",
    "user_identity_change",
    "uninstall",
]

#: Identity types (the keys of ``user_identities`` on the wire, schema.md 4).
IDENTITY_TYPES = [
    "other",
    "customer_id",
    "facebook",
    "twitter",
    "google",
    "microsoft",
    "yahoo",
    "email",
    "alias",
    "facebook_custom_audience_id",
    "other_id_2",
    "other_id_3",
    "other_id_4",
    "other_id_5",
    "other_id_6",
    "other_id_7",
    "other_id_8",
    "other_id_9",
    "other_id_10",
    "mobile_number",
    "phone_number_2",
    "phone_number_3",
]
