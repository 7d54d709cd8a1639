"""OptOutEvent: the user opting out of (or back into) tracking."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class OptOutEvent(Model):
    """The user opting out of (or back into) tracking."""

    event_type = "opt_out"
    fields = (
        *EVENT_FIELDS,
        Field("is_opted_out", "bool"),
        *EXTRA_EVENT_FIELDS,
    )
