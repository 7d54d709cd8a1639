"""EventBase: the event envelope on the wire: ``{"data": <event>, "event_type": <type>}``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_TYPES

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import Any, ClassVar, Dict, Optional, Tuple, Union


class EventBase(Model):
    """The event envelope on the wire: ``{"data": <event>, "event_type": <type>}``."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field(
            "data",
            "EventData",
            hint="Union[Model, Dict[str, Any]]",
            doc="any event model, or a dict sent as given",
        ),
        Field("event_type", enum=EVENT_TYPES),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            data: Optional[Union[Model, Dict[str, Any]]] = None,
            event_type: Optional[str] = None,
        ) -> None: ...

        data: Optional[Union[Model, Dict[str, Any]]]
        """Any event model, or a dict sent as given."""
        event_type: Optional[str]
        """One of: "unknown", "session_start", "session_end", "screen_view", "custom_event", "crash_report",
        "opt_out", "first_run", "pre_attribution", "push_registration", "application_state_transition",
        "push_message", "network_performance", "breadcrumb", "profile", "push_reaction", "commerce_event",
        "user_attribute_change", "user_identity_change", "uninstall".
        """
