"""UninstallEvent: the application being uninstalled."""

from __future__ import annotations

from mparticle.models.base import Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class UninstallEvent(Model):
    """The application being uninstalled (common event fields only)."""

    event_type = "uninstall"
    fields = (*EVENT_FIELDS, *EXTRA_EVENT_FIELDS)
