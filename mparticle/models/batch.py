"""Batch: all data for one user in one request: events, identities, attributes, context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

from mparticle.models.base import Field, Model, registry
from mparticle.models.event_base import EventBase

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Iterable, Optional, Tuple, Union

    from mparticle.models.application_information import ApplicationInformation
    from mparticle.models.attribution_info import AttributionInfo
    from mparticle.models.batch_context import BatchContext
    from mparticle.models.consent_state import ConsentState
    from mparticle.models.device_information import DeviceInformation
    from mparticle.models.user_identities import UserIdentities

ENVIRONMENTS = ["production", "development"]


def event_classes() -> Dict[type, str]:
    """Every event payload class (all models declaring an ``event_type``) and its type string.

    ``EventBase`` is excluded: its ``event_type`` is a field (the wrapper's), not a class constant.
    """
    return {
        cls: cls.event_type
        for cls in registry.values()
        if isinstance(cls.event_type, str) and not issubclass(cls, EventBase)
    }


def wrap_events(batch: Any, events: Any) -> List[Any]:
    """Wrap each event model as ``EventBase(data=event, event_type=...)``.

    ``EventBase`` instances and plain dicts (already in wire form) are kept as given.
    """
    if isinstance(events, (str, bytes, dict)) or not hasattr(events, "__iter__"):
        raise ValueError(f"Invalid value for `events` ({events!r}): expected a list of events")
    wrapped = []
    for event in events:
        event_type = _EVENT_TYPES.get(type(event))
        if event_type is None:
            event_type = _event_type_of(event)
        if event_type:
            envelope: Any = _new_envelope(EventBase)  # our own event_type: no need to re-validate it
            envelope.data = event
            envelope._event_type = event_type
            wrapped.append(envelope)
        else:  # already an envelope, or a plain dict in wire form
            wrapped.append(event)
    return wrapped


_EVENT_TYPES: Dict[type, str] = {}
_new_envelope = object.__new__


def _event_type_of(event: Any) -> str:
    """The wrapper type for ``event``; "" for values sent as given; ValueError for others."""
    if isinstance(event, EventBase) or (isinstance(event, dict) and not isinstance(event, Model)):
        return ""
    event_type = getattr(type(event), "event_type", None)
    if not isinstance(event_type, str) or not isinstance(event, Model):
        raise ValueError(f"Invalid event type: {type(event)} added to batch, must be one of {event_classes().keys()}")
    _EVENT_TYPES[type(event)] = event_type
    return event_type


class Batch(Model):
    """All data for one user in one request: events, identities, attributes, context."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field(
            "events",
            "list[EventBase]",
            check=wrap_events,
            hint="List[Union[EventBase, Dict[str, Any]]]",
            set_hint="Iterable[Union[Model, Dict[str, Any]]]",
            doc="event models, wrapped on assignment",
        ),
        Field("source_request_id"),
        Field("environment", enum=ENVIRONMENTS),
        Field("ip"),
        Field("schema_version", "int"),
        Field("device_info", "DeviceInformation"),
        Field("application_info", "ApplicationInformation"),
        Field("user_attributes", "object", hint="Dict[str, Any]"),
        Field("deleted_user_attributes", "list[str]"),
        Field("user_identities", "UserIdentities"),
        Field("consent_state", "ConsentState"),
        Field("integration_attributes", "dict(str, dict(str, str))"),
        Field("api_key"),
        Field("mpid", "int"),
        Field("mp_deviceid"),
        Field("context", "BatchContext"),
        Field("partner_identity"),
        Field("partner_identities", "dict(str, str)"),
        Field("attribution_info", "AttributionInfo"),
        Field("api_keys", "list[str]"),
        Field("sdk_version"),
        Field("job_id"),
    )
    positional: ClassVar[Optional[Tuple[str, ...]]] = (
        "events",
        "source_request_id",
        "environment",
        "ip",
        "schema_version",
        "device_info",
        "application_info",
        "user_attributes",
        "deleted_user_attributes",
        "user_identities",
        "api_key",
        "mpid",
        "mp_deviceid",
        "consent_state",
        "context",
        "integration_attributes",
    )

    @property
    def _allowed_types(self) -> Dict[type, str]:
        """Event class to wrapper ``event_type`` (kept for code that read the original's map)."""
        return event_classes()

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            events: Optional[Iterable[Union[Model, Dict[str, Any]]]] = None,
            source_request_id: Optional[str] = None,
            environment: Optional[str] = None,
            ip: Optional[str] = None,
            schema_version: Optional[int] = None,
            device_info: Optional[DeviceInformation] = None,
            application_info: Optional[ApplicationInformation] = None,
            user_attributes: Optional[Dict[str, Any]] = None,
            deleted_user_attributes: Optional[List[str]] = None,
            user_identities: Optional[UserIdentities] = None,
            api_key: Optional[str] = None,
            mpid: Optional[int] = None,
            mp_deviceid: Optional[str] = None,
            consent_state: Optional[ConsentState] = None,
            context: Optional[BatchContext] = None,
            integration_attributes: Optional[Dict[str, Dict[str, str]]] = None,
            partner_identity: Optional[str] = None,
            partner_identities: Optional[Dict[str, str]] = None,
            attribution_info: Optional[AttributionInfo] = None,
            api_keys: Optional[List[str]] = None,
            sdk_version: Optional[str] = None,
            job_id: Optional[str] = None,
        ) -> None: ...

        @property
        def events(self) -> Optional[List[Union[EventBase, Dict[str, Any]]]]: ...
        @events.setter
        def events(self, value: Optional[Iterable[Union[Model, Dict[str, Any]]]]) -> None: ...
        source_request_id: Optional[str]
        environment: Optional[str]
        """One of: "production", "development"."""
        ip: Optional[str]
        schema_version: Optional[int]
        device_info: Optional[DeviceInformation]
        application_info: Optional[ApplicationInformation]
        user_attributes: Optional[Dict[str, Any]]
        deleted_user_attributes: Optional[List[str]]
        user_identities: Optional[UserIdentities]
        consent_state: Optional[ConsentState]
        integration_attributes: Optional[Dict[str, Dict[str, str]]]
        api_key: Optional[str]
        mpid: Optional[int]
        mp_deviceid: Optional[str]
        context: Optional[BatchContext]
        partner_identity: Optional[str]
        partner_identities: Optional[Dict[str, str]]
        attribution_info: Optional[AttributionInfo]
        api_keys: Optional[List[str]]
        sdk_version: Optional[str]
        job_id: Optional[str]
