"""DeviceCurrentState: a snapshot of the device's state when an event happened."""

from __future__ import annotations

from mparticle.models.base import Field, Model

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

    fields = (
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
