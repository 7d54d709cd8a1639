"""PushMessageEvent: a push message sent, received or acted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import Any, ClassVar, Dict, Optional, Tuple

    from mparticle.models.device_current_state import DeviceCurrentState
    from mparticle.models.geo_location import GeoLocation

PUSH_MESSAGE_TYPES = ["unknown", "sent", "received", "action"]
APPLICATION_STATES = ["unknown", "not_running", "background", "foreground"]

PUSH_MESSAGE_BEHAVIORS = [
    "Received",
    "DirectOpen",
    "Read",
    "InfluencedOpen",
    "Displayed",
]


class PushMessageEvent(Model):
    """A push message sent, received or acted on."""

    event_type: Optional[str] = "push_message"
    fields: ClassVar[Tuple[Field, ...]] = (
        *EVENT_FIELDS,
        Field("push_message_token"),
        Field("push_message_type", enum=PUSH_MESSAGE_TYPES),
        Field("message"),
        Field("network"),
        Field("push_notification_payload"),
        Field("application_state", enum=APPLICATION_STATES),
        Field("action_identifier"),
        Field("push_message_behavior", enum=PUSH_MESSAGE_BEHAVIORS),
        *EXTRA_EVENT_FIELDS,
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            timestamp_unixtime_ms: Optional[int] = None,
            event_id: Optional[int] = None,
            source_message_id: Optional[str] = None,
            session_id: Optional[int] = None,
            session_uuid: Optional[str] = None,
            custom_attributes: Optional[Dict[str, Any]] = None,
            location: Optional[GeoLocation] = None,
            device_current_state: Optional[DeviceCurrentState] = None,
            push_message_token: Optional[str] = None,
            push_message_type: Optional[str] = None,
            message: Optional[str] = None,
            network: Optional[str] = None,
            push_notification_payload: Optional[str] = None,
            application_state: Optional[str] = None,
            action_identifier: Optional[str] = None,
            push_message_behavior: Optional[str] = None,
            session_start_unixtime_ms: Optional[int] = None,
            event_start_unixtime_ms: Optional[int] = None,
            is_goal_defined: Optional[bool] = None,
            lifetime_value_change: Optional[float] = None,
            lifetime_value_attribute_name: Optional[str] = None,
            data_connection_type: Optional[str] = None,
            event_num: Optional[int] = None,
            view_controller: Optional[str] = None,
            is_main_thread: Optional[bool] = None,
            canonical_name: Optional[str] = None,
            event_system_notification_info: Optional[Dict[str, str]] = None,
        ) -> None: ...

        timestamp_unixtime_ms: Optional[int]
        """Event time, epoch milliseconds."""
        event_id: Optional[int]
        source_message_id: Optional[str]
        """Unique id of this event (a UUID is suggested)."""
        session_id: Optional[int]
        session_uuid: Optional[str]
        custom_attributes: Optional[Dict[str, Any]]
        """Flat attributes: values are str, int, float, bool or None."""
        location: Optional[GeoLocation]
        device_current_state: Optional[DeviceCurrentState]
        push_message_token: Optional[str]
        push_message_type: Optional[str]
        """One of: "unknown", "sent", "received", "action"."""
        message: Optional[str]
        network: Optional[str]
        push_notification_payload: Optional[str]
        application_state: Optional[str]
        """One of: "unknown", "not_running", "background", "foreground"."""
        action_identifier: Optional[str]
        push_message_behavior: Optional[str]
        """One of: "Received", "DirectOpen", "Read", "InfluencedOpen", "Displayed"."""
        session_start_unixtime_ms: Optional[int]
        event_start_unixtime_ms: Optional[int]
        is_goal_defined: Optional[bool]
        lifetime_value_change: Optional[float]
        lifetime_value_attribute_name: Optional[str]
        data_connection_type: Optional[str]
        event_num: Optional[int]
        view_controller: Optional[str]
        is_main_thread: Optional[bool]
        canonical_name: Optional[str]
        event_system_notification_info: Optional[Dict[str, str]]
