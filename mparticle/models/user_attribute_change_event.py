"""UserAttributeChangeEvent: a user attribute being set, changed or removed."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class UserAttributeChangeEvent(Model):
    """A user attribute being set, changed or removed."""

    event_type = "user_attribute_change"
    fields = (
        *EVENT_FIELDS,
        Field("user_attribute_name"),
        Field("new", "object"),
        Field("old", "object"),
        Field("deleted", "bool"),
        Field("is_new_attribute", "bool"),
        *EXTRA_EVENT_FIELDS,
    )
