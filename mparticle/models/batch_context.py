"""BatchContext: batch context: the data plan it conforms to and an optional location."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple

    from mparticle.models.data_plan_context import DataPlanContext
    from mparticle.models.geo_location import GeoLocation


class BatchContext(Model):
    """Batch context: the data plan it conforms to and an optional location."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("data_plan", "DataPlanContext"),
        Field("location", "GeoLocation"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            data_plan: Optional[DataPlanContext] = None,
            location: Optional[GeoLocation] = None,
        ) -> None: ...

        data_plan: Optional[DataPlanContext]
        location: Optional[GeoLocation]
