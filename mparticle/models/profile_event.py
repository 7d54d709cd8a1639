"""ProfileEvent: a user profile change: signup, login, logout, update or delete."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS

PROFILE_EVENT_TYPES = ["unknown", "signup", "login", "logout", "update", "delete"]


class ProfileEvent(Model):
    """A user profile change: signup, login, logout, update or delete."""

    event_type = "profile"
    fields = (
        *EVENT_FIELDS,
        Field("profile_name"),
        Field("previous_profile_name"),
        Field("profile_event_type", enum=PROFILE_EVENT_TYPES),
        Field("previous_mpid", "int"),
        Field("current_mpid", "int"),
        *EXTRA_EVENT_FIELDS,
    )
