"""GeoLocation: a geographic location attached to an event or a batch context."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class GeoLocation(Model):
    """A geographic location attached to an event or a batch context."""

    fields = (
        Field("latitude", "float"),
        Field("longitude", "float"),
        Field("accuracy", "float"),
        Field("country_code"),
        Field("region_code"),
        Field("city_name"),
        Field("postal_code"),
        Field("dma_code", "int"),
        Field("location_source", enum=["unknown", "ip_lookup", "lat_long"]),
    )
