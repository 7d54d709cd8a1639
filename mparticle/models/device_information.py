"""DeviceInformation: the device a batch comes from: hardware, OS, locale and advertising ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from mparticle.models.base import Field, Model, uuid_check, validate_uuid

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Tuple

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

    fields: ClassVar[Tuple[Field, ...]] = (
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
    positional: ClassVar[Optional[Tuple[str, ...]]] = (
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

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            brand: Optional[str] = None,
            product: Optional[str] = None,
            device: Optional[str] = None,
            android_uuid: Optional[str] = None,
            device_manufacturer: Optional[str] = None,
            platform: Optional[str] = None,
            os_version: Optional[str] = None,
            device_model: Optional[str] = None,
            screen_height: Optional[int] = None,
            screen_width: Optional[int] = None,
            screen_dpi: Optional[int] = None,
            device_country: Optional[str] = None,
            locale_language: Optional[str] = None,
            locale_country: Optional[str] = None,
            network_country: Optional[str] = None,
            network_carrier: Optional[str] = None,
            network_code: Optional[str] = None,
            network_mobile_country_code: Optional[str] = None,
            timezone_offset: Optional[int] = None,
            build_identifier: Optional[str] = None,
            http_header_user_agent: Optional[str] = None,
            ios_advertising_id: Optional[str] = None,
            push_token: Optional[str] = None,
            cpu_architecture: Optional[str] = None,
            is_tablet: Optional[bool] = None,
            push_notification_sound_enabled: Optional[bool] = None,
            push_notification_vibrate_enabled: Optional[bool] = None,
            radio_access_technology: Optional[str] = None,
            supports_telephony: Optional[bool] = None,
            has_nfc: Optional[bool] = None,
            bluetooth_enabled: Optional[bool] = None,
            bluetooth_version: Optional[str] = None,
            att_timestamp_unixtime_ms: Optional[int] = None,
            att_authorization_status: Optional[str] = None,
            ios_idfv: Optional[str] = None,
            android_advertising_id: Optional[str] = None,
            amp_id: Optional[str] = None,
            roku_advertising_id: Optional[str] = None,
            roku_publisher_id: Optional[str] = None,
            microsoft_advertising_id: Optional[str] = None,
            microsoft_publisher_id: Optional[str] = None,
            fire_advertising_id: Optional[str] = None,
            build_version_release: Optional[str] = None,
            limit_ad_tracking: Optional[bool] = None,
            is_dst: Optional[bool] = None,
        ) -> None: ...

        brand: Optional[str]
        product: Optional[str]
        device: Optional[str]
        android_uuid: Optional[str]
        device_manufacturer: Optional[str]
        platform: Optional[str]
        """One of: "Unknown", "iOS", "Android", "web", "desktop", "tvOS", "roku", "out_of_band", "alexa",
        "smart_tv", "fire_tv", "xbox".
        """
        os_version: Optional[str]
        device_model: Optional[str]
        screen_height: Optional[int]
        screen_width: Optional[int]
        screen_dpi: Optional[int]
        device_country: Optional[str]
        locale_language: Optional[str]
        locale_country: Optional[str]
        network_country: Optional[str]
        network_carrier: Optional[str]
        network_code: Optional[str]
        network_mobile_country_code: Optional[str]
        timezone_offset: Optional[int]
        build_identifier: Optional[str]
        http_header_user_agent: Optional[str]
        ios_advertising_id: Optional[str]
        push_token: Optional[str]
        cpu_architecture: Optional[str]
        is_tablet: Optional[bool]
        push_notification_sound_enabled: Optional[bool]
        push_notification_vibrate_enabled: Optional[bool]
        radio_access_technology: Optional[str]
        supports_telephony: Optional[bool]
        has_nfc: Optional[bool]
        bluetooth_enabled: Optional[bool]
        bluetooth_version: Optional[str]
        amp_id: Optional[str]
        roku_advertising_id: Optional[str]
        roku_publisher_id: Optional[str]
        microsoft_advertising_id: Optional[str]
        microsoft_publisher_id: Optional[str]
        fire_advertising_id: Optional[str]
        att_timestamp_unixtime_ms: Optional[int]
        att_authorization_status: Optional[str]
        """One of: "authorized", "denied", "not_determined", "restricted"."""
        ios_idfv: Optional[str]
        android_advertising_id: Optional[str]
        build_version_release: Optional[str]
        limit_ad_tracking: Optional[bool]
        is_dst: Optional[bool]
