"""AppEvent: a custom event (wrapped with ``event_type`` ``custom_event``)."""

from __future__ import annotations

from typing import Any, Optional

from mparticle.models.base import Field, Model
from mparticle.models.shared import (
    CUSTOM_EVENT_TYPES,
    EVENT_FIELD_NAMES,
    EVENT_FIELDS_CHECKED,
    EXTRA_EVENT_FIELDS,
)


class AppEvent(Model):
    """A custom event (wrapped with ``event_type`` ``custom_event``)."""

    event_type = "custom_event"
    fields = (
        *EVENT_FIELDS_CHECKED,
        Field("custom_event_type", enum=CUSTOM_EVENT_TYPES, default="other"),
        Field("event_name", required="Event Name is required."),
        Field("media_info", "MediaInfo"),
        Field(
            "custom_flags",
            "dict(str, str)",
            doc="integration-specific flags, e.g. Google.Category",
        ),
        *EXTRA_EVENT_FIELDS,
    )
    positional = (
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
        attributes = self._custom_attributes
        if value is not None:
            attributes = dict(attributes or {}, **{"$Amount": value, "MethodName": "LogLTVIncrease"})
            self.custom_attributes = attributes  # validated first: a bad value changes nothing
        elif attributes is not None:
            self.custom_attributes = {k: v for k, v in attributes.items() if k not in ("$Amount", "MethodName")}
        self.__dict__["_ltv_amount"] = value
