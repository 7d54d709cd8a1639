"""AttributionInfo: attribution of a batch: service provider, publisher and campaign."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class AttributionInfo(Model):
    """Attribution of a batch: service provider, publisher and campaign."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("service_provider"),
        Field("publisher"),
        Field("campaign"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            service_provider: Optional[str] = None,
            publisher: Optional[str] = None,
            campaign: Optional[str] = None,
        ) -> None: ...

        service_provider: Optional[str]
        publisher: Optional[str]
        campaign: Optional[str]
