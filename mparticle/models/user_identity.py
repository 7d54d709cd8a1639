"""UserIdentity: one identity, as carried by a user identity change event."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import IDENTITY_TYPES


class UserIdentity(Model):
    """One identity of a user: its type, value and when it was set."""

    fields = (
        Field("identity_type", enum=IDENTITY_TYPES),
        Field("identity"),
        Field("timestamp_unixtime_ms", "int"),
        Field("created_this_batch", "bool"),
    )
