"""GeoLocation: a geographic location attached to an event or a batch context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class GeoLocation(Model):
    """A geographic location attached to an event or a batch context."""

    fields: ClassVar[Tuple[Field, ...]] = (
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

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            latitude: Optional[float] = None,
            longitude: Optional[float] = None,
            accuracy: Optional[float] = None,
            country_code: Optional[str] = None,
            region_code: Optional[str] = None,
            city_name: Optional[str] = None,
            postal_code: Optional[str] = None,
            dma_code: Optional[int] = None,
            location_source: Optional[str] = None,
        ) -> None: ...

        latitude: Optional[float]
        longitude: Optional[float]
        accuracy: Optional[float]
        country_code: Optional[str]
        region_code: Optional[str]
        city_name: Optional[str]
        postal_code: Optional[str]
        dma_code: Optional[int]
        location_source: Optional[str]
        """One of: "unknown", "ip_lookup", "lat_long"."""
