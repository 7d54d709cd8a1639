"""BatchContext: batch context: the data plan it conforms to and an optional location."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class BatchContext(Model):
    """Batch context: the data plan it conforms to and an optional location."""

    fields = (
        Field("data_plan", "DataPlanContext"),
        Field("location", "GeoLocation"),
    )
