"""DeviceInformation: the device a batch comes from: hardware, OS, locale and advertising ids."""

from __future__ import annotations

from typing import Any, Optional

from mparticle.models.base import Field, Model, uuid_check, validate_uuid

PLATFORMS = [
    "Unknown",
    "iOS",
    "Android",
    "web",
    "desktop",
    "tvOS",
    "roku",
    "out_of_band",
    "alexa",
    "smart_tv",
    "fire_tv",
    "xbox",
]
ATT_AUTHORIZATION_STATUS = ["authorized", "denied", "not_determined", "restricted"]


class DeviceInformation(Model):
    """The device a batch comes from: hardware, OS, locale and advertising ids."""

    fields = (
        Field("brand"),
        Field("product"),
        Field("device"),
        Field("android_uuid"),
        Field("device_manufacturer"),
        Field("platform", enum=PLATFORMS),
        Field("os_version"),
        Field("device_model"),
        Field("screen_height", "int"),
        Field("screen_width", "int"),
        Field("screen_dpi", "int"),
        Field("device_country"),
        Field("locale_language"),
        Field("locale_country"),
        Field("network_country"),
        Field("network_carrier"),
        Field("network_code"),
        Field("network_mobile_country_code"),
        Field("timezone_offset", "int"),
        Field("build_identifier"),
        Field("http_header_user_agent"),
        Field("ios_advertising_id", check=uuid_check("ios_advertising_id")),
        Field("push_token"),
        Field("cpu_architecture"),
        Field("is_tablet", "bool"),
        Field("push_notification_sound_enabled", "bool"),
        Field("push_notification_vibrate_enabled", "bool"),
        Field("radio_access_technology"),
        Field("supports_telephony", "bool"),
        Field("has_nfc", "bool"),
        Field("bluetooth_enabled", "bool"),
        Field("bluetooth_version"),
        Field("amp_id"),
        Field("roku_advertising_id", check=uuid_check("roku_advertising_id")),
        Field("roku_publisher_id"),
        Field("microsoft_advertising_id"),
        Field("microsoft_publisher_id"),
        Field("fire_advertising_id", check=uuid_check("fire_advertising_id")),
        Field("att_timestamp_unixtime_ms", "int"),
        Field("att_authorization_status", enum=ATT_AUTHORIZATION_STATUS),
        Field("ios_idfv", check=uuid_check("ios_idfv")),
        Field("android_advertising_id", check=uuid_check("android_advertising_id")),
        Field("build_version_release"),
        Field("limit_ad_tracking", "bool"),
        Field("is_dst", "bool"),
    )
    positional = (
        "brand",
        "product",
        "device",
        "android_uuid",
        "device_manufacturer",
        "platform",
        "os_version",
        "device_model",
        "screen_height",
        "screen_width",
        "screen_dpi",
        "device_country",
        "locale_language",
        "locale_country",
        "network_country",
        "network_carrier",
        "network_code",
        "network_mobile_country_code",
        "timezone_offset",
        "build_identifier",
        "http_header_user_agent",
        "ios_advertising_id",
        "push_token",
        "cpu_architecture",
        "is_tablet",
        "push_notification_sound_enabled",
        "push_notification_vibrate_enabled",
        "radio_access_technology",
        "supports_telephony",
        "has_nfc",
        "bluetooth_enabled",
        "bluetooth_version",
        "att_timestamp_unixtime_ms",
        "att_authorization_status",
        "ios_idfv",
        "android_advertising_id",
        "amp_id",
        "roku_advertising_id",
        "roku_publisher_id",
        "microsoft_advertising_id",
        "microsoft_publisher_id",
        "fire_advertising_id",
    )

    def validateUUID(self, uuid_string: Any) -> Optional[ValueError]:  # noqa: N802 - original name
        """Return None when ``uuid_string`` is None or a UUID, else the ValueError (not raised)."""
        return validate_uuid(uuid_string)
