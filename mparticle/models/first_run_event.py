"""FirstRunEvent: the first run of an application."""

from __future__ import annotations

from mparticle.models.base import Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class FirstRunEvent(Model):
    """The first run of an application."""

    event_type = "first_run"
    fields = (
        *EVENT_FIELDS,
        *EXTRA_EVENT_FIELDS,
    )
