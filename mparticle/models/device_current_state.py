"""DeviceCurrentState: a snapshot of the device's state when an event happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple

ORIENTATIONS = [
    "unknown",
    "portrait",
    "portrait_upside_down",
    "landscape",
    "LandscapeLeft",
    "LandscapeRight",
    "FaceUp",
    "FaceDown",
    "Square",
]


class DeviceCurrentState(Model):
    """A snapshot of the device's state when an event happened."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("time_since_start_ms", "int"),
        Field("battery_level", "float"),
        Field("data_connection_type"),
        Field("data_connection_type_detail"),
        Field("gps_state", "bool"),
        Field("total_system_memory_usage_bytes", "int"),
        Field("disk_space_free_bytes", "int"),
        Field("cpu"),
        Field("system_memory_available_bytes", "float"),
        Field("system_memory_low", "bool"),
        Field("system_memory_threshold_bytes", "float"),
        Field("application_memory_available_bytes", "float"),
        Field("application_memory_max_bytes", "float"),
        Field("application_memory_total_bytes", "float"),
        Field("device_orientation", enum=ORIENTATIONS),
        Field("status_bar_orientation", enum=ORIENTATIONS),
        Field("external_disk_space_free_bytes", "int"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            time_since_start_ms: Optional[int] = None,
            battery_level: Optional[float] = None,
            data_connection_type: Optional[str] = None,
            data_connection_type_detail: Optional[str] = None,
            gps_state: Optional[bool] = None,
            total_system_memory_usage_bytes: Optional[int] = None,
            disk_space_free_bytes: Optional[int] = None,
            cpu: Optional[str] = None,
            system_memory_available_bytes: Optional[float] = None,
            system_memory_low: Optional[bool] = None,
            system_memory_threshold_bytes: Optional[float] = None,
            application_memory_available_bytes: Optional[float] = None,
            application_memory_max_bytes: Optional[float] = None,
            application_memory_total_bytes: Optional[float] = None,
            device_orientation: Optional[str] = None,
            status_bar_orientation: Optional[str] = None,
            external_disk_space_free_bytes: Optional[int] = None,
        ) -> None: ...

        time_since_start_ms: Optional[int]
        battery_level: Optional[float]
        data_connection_type: Optional[str]
        data_connection_type_detail: Optional[str]
        gps_state: Optional[bool]
        total_system_memory_usage_bytes: Optional[int]
        disk_space_free_bytes: Optional[int]
        cpu: Optional[str]
        system_memory_available_bytes: Optional[float]
        system_memory_low: Optional[bool]
        system_memory_threshold_bytes: Optional[float]
        application_memory_available_bytes: Optional[float]
        application_memory_max_bytes: Optional[float]
        application_memory_total_bytes: Optional[float]
        device_orientation: Optional[str]
        """One of: "unknown", "portrait", "portrait_upside_down", "landscape", "LandscapeLeft", "LandscapeRight",
        "FaceUp", "FaceDown", "Square".
        """
        status_bar_orientation: Optional[str]
        """One of: "unknown", "portrait", "portrait_upside_down", "landscape", "LandscapeLeft", "LandscapeRight",
        "FaceUp", "FaceDown", "Square".
        """
        external_disk_space_free_bytes: Optional[int]
