"""ApplicationStateTransitionEvent: an app install, upgrade, foreground, background or exit."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS

APPLICATION_TRANSITION_TYPES = [
    "unknown",
    "application_initialized",
    "application_exit",
    "application_background",
    "application_foreground",
]


class ApplicationStateTransitionEvent(Model):
    """An app install, upgrade, foreground, background or exit."""

    event_type = "application_state_transition"
    fields = (
        *EVENT_FIELDS,
        Field("successfully_closed", "bool"),
        Field("is_first_run", "bool"),
        Field("is_upgrade", "bool"),
        Field("push_notification_payload"),
        Field("application_transition_type", enum=APPLICATION_TRANSITION_TYPES),
        Field("launch_referral"),
        *EXTRA_EVENT_FIELDS,
    )

    @classmethod
    def create_install_event(cls) -> "ApplicationStateTransitionEvent":
        """A first-run ``application_initialized`` transition."""
        return cls(
            application_transition_type="application_initialized",
            is_first_run=True,
            is_upgrade=False,
        )

    @classmethod
    def create_upgrade_event(cls) -> "ApplicationStateTransitionEvent":
        """An upgrade ``application_initialized`` transition."""
        return cls(
            application_transition_type="application_initialized",
            is_first_run=False,
            is_upgrade=True,
        )

    @classmethod
    def create_foreground_event(cls) -> "ApplicationStateTransitionEvent":
        """The application coming to the foreground."""
        return cls(application_transition_type="application_foreground")

    @classmethod
    def create_background_event(cls) -> "ApplicationStateTransitionEvent":
        """The application going to the background."""
        return cls(application_transition_type="application_background")
