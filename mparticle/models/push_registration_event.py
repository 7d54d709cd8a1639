"""PushRegistrationEvent: a push token registration or unregistration."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class PushRegistrationEvent(Model):
    """A push token registration or unregistration."""

    event_type = "push_registration"
    fields = (
        *EVENT_FIELDS,
        Field("register", "bool"),
        Field("registration_token"),
        *EXTRA_EVENT_FIELDS,
    )
