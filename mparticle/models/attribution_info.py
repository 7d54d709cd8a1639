"""AttributionInfo: attribution of a batch: service provider, publisher and campaign."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class AttributionInfo(Model):
    """Attribution of a batch: service provider, publisher and campaign."""

    fields = (
        Field("service_provider"),
        Field("publisher"),
        Field("campaign"),
    )
