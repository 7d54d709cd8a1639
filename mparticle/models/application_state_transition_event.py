"""ApplicationStateTransitionEvent: an app install, upgrade, foreground, background or exit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import Any, ClassVar, Dict, Optional, Tuple

    from mparticle.models.device_current_state import DeviceCurrentState
    from mparticle.models.geo_location import GeoLocation

APPLICATION_TRANSITION_TYPES = [
    "unknown",
    "application_initialized",
    "application_exit",
    "application_background",
    "application_foreground",
]


class ApplicationStateTransitionEvent(Model):
    """An app install, upgrade, foreground, background or exit."""

    event_type: Optional[str] = "application_state_transition"
    fields: ClassVar[Tuple[Field, ...]] = (
        *EVENT_FIELDS,
        Field("successfully_closed", "bool"),
        Field("is_first_run", "bool"),
        Field("is_upgrade", "bool"),
        Field("push_notification_payload"),
        Field("application_transition_type", enum=APPLICATION_TRANSITION_TYPES),
        Field("launch_referral"),
        *EXTRA_EVENT_FIELDS,
    )

    @classmethod
    def create_install_event(cls) -> "ApplicationStateTransitionEvent":
        """A first-run ``application_initialized`` transition."""
        return cls(
            application_transition_type="application_initialized",
            is_first_run=True,
            is_upgrade=False,
        )

    @classmethod
    def create_upgrade_event(cls) -> "ApplicationStateTransitionEvent":
        """An upgrade ``application_initialized`` transition."""
        return cls(
            application_transition_type="application_initialized",
            is_first_run=False,
            is_upgrade=True,
        )

    @classmethod
    def create_foreground_event(cls) -> "ApplicationStateTransitionEvent":
        """The application coming to the foreground."""
        return cls(application_transition_type="application_foreground")

    @classmethod
    def create_background_event(cls) -> "ApplicationStateTransitionEvent":
        """The application going to the background."""
        return cls(application_transition_type="application_background")

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
            successfully_closed: Optional[bool] = None,
            is_first_run: Optional[bool] = None,
            is_upgrade: Optional[bool] = None,
            push_notification_payload: Optional[str] = None,
            application_transition_type: Optional[str] = None,
            launch_referral: Optional[str] = None,
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
        successfully_closed: Optional[bool]
        is_first_run: Optional[bool]
        is_upgrade: Optional[bool]
        push_notification_payload: Optional[str]
        application_transition_type: Optional[str]
        """One of: "unknown", "application_initialized", "application_exit", "application_background",
        "application_foreground".
        """
        launch_referral: Optional[str]
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
