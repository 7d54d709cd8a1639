"""BreadcrumbEvent: a breadcrumb recorded before a crash."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class BreadcrumbEvent(Model):
    """A breadcrumb recorded before a crash."""

    event_type = "breadcrumb"
    fields = (
        *EVENT_FIELDS,
        Field("session_number", "int"),
        Field("label"),
        *EXTRA_EVENT_FIELDS,
    )
