"""PushMessageEvent: a push message sent, received or acted on."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS

PUSH_MESSAGE_TYPES = ["unknown", "sent", "received", "action"]
APPLICATION_STATES = ["unknown", "not_running", "background", "foreground"]

PUSH_MESSAGE_BEHAVIORS = [
    "Received",
    "DirectOpen",
    "Read",
    "InfluencedOpen",
    "Displayed",
]


class PushMessageEvent(Model):
    """A push message sent, received or acted on."""

    event_type = "push_message"
    fields = (
        *EVENT_FIELDS,
        Field("push_message_token"),
        Field("push_message_type", enum=PUSH_MESSAGE_TYPES),
        Field("message"),
        Field("network"),
        Field("push_notification_payload"),
        Field("application_state", enum=APPLICATION_STATES),
        Field("action_identifier"),
        Field("push_message_behavior", enum=PUSH_MESSAGE_BEHAVIORS),
        *EXTRA_EVENT_FIELDS,
    )
