"""ScreenViewEvent: a screen or page view."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS_CHECKED, EXTRA_EVENT_FIELDS


class ScreenViewEvent(Model):
    """A screen or page view."""

    event_type = "screen_view"
    fields = (
        *EVENT_FIELDS_CHECKED,
        Field("screen_name"),
        Field("activity_type"),
        Field("custom_flags", "dict(str, str)"),
        *EXTRA_EVENT_FIELDS,
    )
