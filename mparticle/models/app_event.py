"""AppEvent: a custom event (wrapped with ``event_type`` ``custom_event``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from mparticle.models.base import Field, Model
from mparticle.models.shared import (
    CUSTOM_EVENT_TYPES,
    EVENT_FIELD_NAMES,
    EVENT_FIELDS_CHECKED,
    EXTRA_EVENT_FIELDS,
)

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Dict, Tuple

    from mparticle.models.device_current_state import DeviceCurrentState
    from mparticle.models.geo_location import GeoLocation
    from mparticle.models.media_info import MediaInfo


class AppEvent(Model):
    """A custom event (wrapped with ``event_type`` ``custom_event``)."""

    event_type: Optional[str] = "custom_event"
    fields: ClassVar[Tuple[Field, ...]] = (
        *EVENT_FIELDS_CHECKED,
        Field("custom_event_type", enum=CUSTOM_EVENT_TYPES, default="other"),
        Field("event_name", required="Event Name is required."),
        Field("media_info", "MediaInfo"),
        Field(
            "custom_flags",
            "dict(str, str)",
            hint="Dict[str, Any]",
            doc="integration-specific flags, e.g. Google.Category",
        ),
        *EXTRA_EVENT_FIELDS,
    )
    positional: ClassVar[Optional[Tuple[str, ...]]] = (
        "event_name",
        "custom_event_type",
        *EVENT_FIELD_NAMES,
        "media_info",
        "custom_flags",
    )

    @classmethod
    def create_attribution_event(cls, publisher: Any = None, campaign: Any = None) -> "AppEvent":
        """An install attribution event carrying ``publisher`` and ``campaign``."""
        return cls(
            "attribution",
            "attribution",
            custom_attributes={"campaign": campaign, "publisher": publisher},
        )

    @classmethod
    def create_attribution_delete_event(cls) -> "AppEvent":
        """An event deleting the user's attribution."""
        return cls("attribution", "attribution", custom_attributes={"action": "delete"})

    @property
    def ltv_amount(self) -> Optional[Any]:
        """Lifetime value increase, carried as the ``$Amount`` custom attribute."""
        return self.__dict__.get("_ltv_amount")

    @ltv_amount.setter
    def ltv_amount(self, value: Any) -> None:
        attributes = self.custom_attributes
        if value is not None:
            attributes = dict(attributes or {}, **{"$Amount": value, "MethodName": "LogLTVIncrease"})
            self.custom_attributes = attributes  # validated first: a bad value changes nothing
        elif attributes is not None:
            self.custom_attributes = {k: v for k, v in attributes.items() if k not in ("$Amount", "MethodName")}
        self.__dict__["_ltv_amount"] = value

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            event_name: str,
            custom_event_type: str = "other",
            timestamp_unixtime_ms: Optional[int] = None,
            event_id: Optional[int] = None,
            source_message_id: Optional[str] = None,
            session_id: Optional[int] = None,
            session_uuid: Optional[str] = None,
            custom_attributes: Optional[Dict[str, Any]] = None,
            location: Optional[GeoLocation] = None,
            device_current_state: Optional[DeviceCurrentState] = None,
            media_info: Optional[MediaInfo] = None,
            custom_flags: Optional[Dict[str, Any]] = None,
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
        custom_event_type: str
        """One of: "unknown", "navigation", "location", "search", "transaction", "user_content", "user_preference",
        "social", "other", "attribution", "media".
        """
        event_name: str
        media_info: Optional[MediaInfo]
        custom_flags: Optional[Dict[str, Any]]
        """Integration-specific flags, e.g. Google.Category."""
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
