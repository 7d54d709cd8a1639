"""EventData: the common event fields on their own (the envelope's declared data type)."""

from __future__ import annotations

from mparticle.models.base import Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class EventData(Model):
    """The common event fields on their own (the envelope's declared data type)."""

    fields = (
        *EVENT_FIELDS,
        *EXTRA_EVENT_FIELDS,
    )
