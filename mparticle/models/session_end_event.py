"""SessionEndEvent: the end of a session."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class SessionEndEvent(Model):
    """The end of a session."""

    event_type = "session_end"
    fields = (
        *EVENT_FIELDS,
        Field("session_duration_ms", "int"),
        *EXTRA_EVENT_FIELDS,
    )
