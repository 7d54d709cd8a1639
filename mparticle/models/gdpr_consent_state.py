"""GDPRConsentState: a GDPR consent purpose (a value of ``ConsentState.gdpr``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class GDPRConsentState(Model):
    """A GDPR consent purpose (a value of ``ConsentState.gdpr``)."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("document"),
        Field("consented", "bool"),
        Field("timestamp_unixtime_ms", "int"),
        Field("location"),
        Field("hardware_id"),
        Field("regulation"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            document: Optional[str] = None,
            consented: Optional[bool] = None,
            timestamp_unixtime_ms: Optional[int] = None,
            location: Optional[str] = None,
            hardware_id: Optional[str] = None,
            regulation: Optional[str] = None,
        ) -> None: ...

        document: Optional[str]
        consented: Optional[bool]
        timestamp_unixtime_ms: Optional[int]
        location: Optional[str]
        hardware_id: Optional[str]
        regulation: Optional[str]
