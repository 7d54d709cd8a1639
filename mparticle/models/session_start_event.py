"""SessionStartEvent: the start of a session."""

from __future__ import annotations

from mparticle.models.base import Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class SessionStartEvent(Model):
    """The start of a session."""

    event_type = "session_start"
    fields = (
        *EVENT_FIELDS,
        *EXTRA_EVENT_FIELDS,
    )
