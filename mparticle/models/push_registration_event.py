"""PushRegistrationEvent: a push token registration or unregistration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import Any, ClassVar, Dict, Optional, Tuple

    from mparticle.models.device_current_state import DeviceCurrentState
    from mparticle.models.geo_location import GeoLocation


class PushRegistrationEvent(Model):
    """A push token registration or unregistration."""

    event_type: Optional[str] = "push_registration"
    fields: ClassVar[Tuple[Field, ...]] = (
        *EVENT_FIELDS,
        Field("register", "bool"),
        Field("registration_token"),
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
            register: Optional[bool] = None,
            registration_token: Optional[str] = None,
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
        register: Optional[bool]
        registration_token: Optional[str]
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
