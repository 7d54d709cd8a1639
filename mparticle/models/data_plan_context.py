"""DataPlanContext: the data plan (id and version) a batch conforms to."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class DataPlanContext(Model):
    """The data plan (id and version) a batch conforms to."""

    fields = (
        Field("plan_id"),
        Field("plan_version", "int"),
    )
