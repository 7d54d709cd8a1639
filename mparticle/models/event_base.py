"""EventBase: the event envelope on the wire: ``{"data": <event>, "event_type": <type>}``."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_TYPES


class EventBase(Model):
    """The event envelope on the wire: ``{"data": <event>, "event_type": <type>}``."""

    fields = (
        Field("data", "EventData", doc="any event model, or a dict sent as given"),
        Field("event_type", enum=EVENT_TYPES),
    )
