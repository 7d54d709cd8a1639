"""UserIdentityChangeEvent: a user identity being added, changed or removed."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class UserIdentityChangeEvent(Model):
    """A user identity being added, changed or removed (``new`` and ``old`` identities)."""

    event_type = "user_identity_change"
    fields = (
        *EVENT_FIELDS,
        Field("new", "UserIdentity"),
        Field("old", "UserIdentity"),
        *EXTRA_EVENT_FIELDS,
    )
