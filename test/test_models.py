"""Model behaviour: constructors, generated-style surface, validation, Batch wrapping.

The original SDK's facts (constructor order, swagger types, enum lists) are written out below as
data copied from the reference spec (original-api.md section 9), not derived from our declarations,
so a wrong order or type in a model declaration fails here.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import pprint
import uuid
from decimal import Decimal
from typing import Any, Dict, List, Tuple

import pytest

import mparticle.models as models
from mparticle.models import (
    AppEvent,
    ApplicationStateTransitionEvent,
    Batch,
    CCPAConsentState,
    CommerceEvent,
    ConsentState,
    CrashReportEvent,
    DeviceInformation,
    EventBase,
    EventData,
    FirstRunEvent,
    GDPRConsentState,
    GeoLocation,
    Product,
    ProductAction,
    PromotionAction,
    ScreenViewEvent,
    SessionStartEvent,
    UserIdentities,
)
from mparticle.models.base import Field, registry
from mparticle.serialization import dumps, to_jsonable

# --------------------------------------------------------------------------------------------
# Reference data from the spec
# --------------------------------------------------------------------------------------------

# fmt: off
#: The eight shared event fields (spec 3.2), in constructor and serialization order.
EVENT_FIELDS = (
    "timestamp_unixtime_ms",
    "event_id",
    "source_message_id",
    "session_id",
    "session_uuid",
    "custom_attributes",
    "location",
    "device_current_state",
)
EVENT_SWAGGER = {
    "timestamp_unixtime_ms": "int",
    "event_id": "int",
    "source_message_id": "str",
    "session_id": "int",
    "session_uuid": "str",
    "custom_attributes": "dict(str, str)",
    "location": "GeoLocation",
    "device_current_state": "DeviceCurrentState",
}

ORIGINAL_POSITIONAL = {
    "ApiResponse": (
        "errors",
    ),
    "ApiResponseErrors": (
        "code", "message",
    ),
    "AppEvent": (
        "event_name", "custom_event_type", *EVENT_FIELDS, "media_info", "custom_flags",
    ),
    "ApplicationInformation": (
        "application_name", "application_version", "install_referrer", "package",
    ),
    "ApplicationStateTransitionEvent": (
        *EVENT_FIELDS, "successfully_closed", "is_first_run", "is_upgrade",
        "push_notification_payload", "application_transition_type",
    ),
    "AttributionInfo": (
        "service_provider", "publisher", "campaign",
    ),
    "Batch": (
        "events", "source_request_id", "environment", "ip", "schema_version", "device_info",
        "application_info", "user_attributes", "deleted_user_attributes", "user_identities",
        "api_key", "mpid", "mp_deviceid", "consent_state", "context", "integration_attributes",
    ),
    "BatchContext": (
        "data_plan",
    ),
    "BreadcrumbEvent": (
        *EVENT_FIELDS, "session_number", "label",
    ),
    "CCPAConsentState": (
        "document", "consented", "timestamp_unixtime_ms", "location", "hardware_id",
    ),
    "CommerceEvent": (
        "product_action", *EVENT_FIELDS, "promotion_action", "product_impressions",
        "shopping_cart", "currency_code", "screen_name", "is_non_interactive", "custom_flags",
    ),
    "ConsentState": (),
    "CrashReportEvent": (
        *EVENT_FIELDS, "breadcrumbs", "class_name", "severity", "message", "stack_trace",
        "exception_handled", "topmost_context", "pl_crash_report_file_base64",
        "ios_image_base_address", "ios_image_size", "session_number",
    ),
    "DataPlanContext": (
        "plan_id", "plan_version",
    ),
    "DeviceCurrentState": (
        "time_since_start_ms", "battery_level", "data_connection_type",
        "data_connection_type_detail", "gps_state", "total_system_memory_usage_bytes",
        "disk_space_free_bytes", "cpu", "system_memory_available_bytes", "system_memory_low",
        "system_memory_threshold_bytes", "application_memory_available_bytes",
        "application_memory_max_bytes", "application_memory_total_bytes", "device_orientation",
        "status_bar_orientation",
    ),
    "DeviceInformation": (
        "brand", "product", "device", "android_uuid", "device_manufacturer", "platform",
        "os_version", "device_model", "screen_height", "screen_width", "screen_dpi",
        "device_country", "locale_language", "locale_country", "network_country",
        "network_carrier", "network_code", "network_mobile_country_code", "timezone_offset",
        "build_identifier", "http_header_user_agent", "ios_advertising_id", "push_token",
        "cpu_architecture", "is_tablet", "push_notification_sound_enabled",
        "push_notification_vibrate_enabled", "radio_access_technology", "supports_telephony",
        "has_nfc", "bluetooth_enabled", "bluetooth_version", "att_timestamp_unixtime_ms",
        "att_authorization_status", "ios_idfv", "android_advertising_id", "amp_id",
        "roku_advertising_id", "roku_publisher_id", "microsoft_advertising_id",
        "microsoft_publisher_id", "fire_advertising_id",
    ),
    "EventBase": (
        "data", "event_type",
    ),
    "EventData": (
        *EVENT_FIELDS,
    ),
    "FirstRunEvent": (
        *EVENT_FIELDS,
    ),
    "GDPRConsentState": (
        "document", "consented", "timestamp_unixtime_ms", "location", "hardware_id",
    ),
    "GeoLocation": (
        "latitude", "longitude", "accuracy",
    ),
    "MediaInfo": (
        "action", "channel", "metadata", "timed_metadata", "playback_position", "format",
        "quality", "playback_rate",
    ),
    "NetworkPerformanceEvent": (
        *EVENT_FIELDS, "http_verb", "url", "time_elapsed", "bytes_in", "bytes_out",
        "response_code", "data",
    ),
    "OptOutEvent": (
        *EVENT_FIELDS, "is_opted_out",
    ),
    "Product": (
        "id", "name", "brand", "category", "variant", "position", "price", "quantity",
        "coupon_code", "added_to_cart_time_ms", "total_product_amount", "custom_attributes",
    ),
    "ProductAction": (
        "action", "checkout_step", "checkout_options", "product_action_list",
        "product_list_source", "transaction_id", "affiliation", "total_amount", "tax_amount",
        "shipping_amount", "coupon_code", "products",
    ),
    "ProductImpression": (
        "product_impression_list", "products",
    ),
    "ProfileEvent": (
        *EVENT_FIELDS, "profile_name", "previous_profile_name", "profile_event_type",
    ),
    "Promotion": (
        "id", "name", "creative", "position",
    ),
    "PromotionAction": (
        "action", "promotions",
    ),
    "PushMessageEvent": (
        *EVENT_FIELDS, "push_message_token", "push_message_type", "message", "network",
        "push_notification_payload", "application_state", "action_identifier",
    ),
    "PushRegistrationEvent": (
        *EVENT_FIELDS, "register", "registration_token",
    ),
    "ScreenViewEvent": (
        *EVENT_FIELDS, "screen_name", "activity_type", "custom_flags",
    ),
    "SessionEndEvent": (
        *EVENT_FIELDS, "session_duration_ms",
    ),
    "SessionStartEvent": (
        *EVENT_FIELDS,
    ),
    "ShoppingCart": (
        "products",
    ),
    "SourceInformation": (
        "channel", "partner", "replay_request_id", "replay_job_id",
    ),
    "UserAttributeChangeEvent": (
        *EVENT_FIELDS, "user_attribute_name", "new", "old", "deleted", "is_new_attribute",
    ),
    "UserIdentities": (
        "other", "customerid", "facebook", "twitter", "google", "microsoft", "yahoo", "email",
        "alias", "facebook_custom_audience_id", "other_id_2", "other_id_3", "other_id_4",
        "other_id_5", "other_id_6", "other_id_7", "other_id_8", "other_id_9", "other_id_10",
        "mobile_number", "phone_number_2", "phone_number_3",
    ),
}

ORIGINAL_SWAGGER = {
    "ApiResponse": {
        "errors": "list[ApiResponseErrors]",
    },
    "ApiResponseErrors": {
        "code": "str", "message": "str",
    },
    "AppEvent": {
        **EVENT_SWAGGER, "custom_event_type": "str", "event_name": "str",
        "media_info": "MediaInfo", "custom_flags": "dict(str, str)",
    },
    "ApplicationInformation": {
        "application_name": "str", "application_version": "str", "install_referrer": "str",
        "package": "str",
    },
    "ApplicationStateTransitionEvent": {
        **EVENT_SWAGGER, "successfully_closed": "bool", "is_first_run": "bool",
        "is_upgrade": "bool", "push_notification_payload": "str",
        "application_transition_type": "str",
    },
    "AttributionInfo": {
        "service_provider": "str", "publisher": "str", "campaign": "str",
    },
    "Batch": {
        "events": "list[EventBase]", "source_request_id": "str", "environment": "str",
        "ip": "str", "schema_version": "int", "device_info": "DeviceInformation",
        "application_info": "ApplicationInformation", "user_attributes": "object",
        "deleted_user_attributes": "list[str]", "user_identities": "UserIdentities",
        "consent_state": "ConsentState", "integration_attributes": "dict(str, dict(str, str))",
        "api_key": "str", "mpid": "int", "mp_deviceid": "str", "context": "BatchContext",
    },
    "BatchContext": {
        "data_plan": "DataPlanContext",
    },
    "BreadcrumbEvent": {
        **EVENT_SWAGGER, "session_number": "int", "label": "str",
    },
    "CCPAConsentState": {
        "document": "str", "consented": "bool", "timestamp_unixtime_ms": "int",
        "location": "str", "hardware_id": "str",
    },
    "CommerceEvent": {
        **EVENT_SWAGGER, "product_action": "ProductAction",
        "promotion_action": "PromotionAction", "product_impressions": "list[ProductImpression]",
        "shopping_cart": "ShoppingCart", "currency_code": "str", "screen_name": "str",
        "is_non_interactive": "bool", "custom_flags": "dict(str, str)",
    },
    "ConsentState": {
        "ccpa": "dict", "gdpr": "dict",
    },
    "CrashReportEvent": {
        **EVENT_SWAGGER, "breadcrumbs": "list[BreadcrumbEvent]", "class_name": "str",
        "severity": "str", "message": "str", "stack_trace": "str", "exception_handled": "bool",
        "topmost_context": "str", "pl_crash_report_file_base64": "str",
        "ios_image_base_address": "int", "ios_image_size": "int", "session_number": "int",
    },
    "DataPlanContext": {
        "plan_id": "str", "plan_version": "int",
    },
    "DeviceCurrentState": {
        "time_since_start_ms": "int", "battery_level": "float", "data_connection_type": "str",
        "data_connection_type_detail": "str", "gps_state": "bool",
        "total_system_memory_usage_bytes": "int", "disk_space_free_bytes": "int", "cpu": "str",
        "system_memory_available_bytes": "float", "system_memory_low": "bool",
        "system_memory_threshold_bytes": "float", "application_memory_available_bytes": "float",
        "application_memory_max_bytes": "float", "application_memory_total_bytes": "float",
        "device_orientation": "str", "status_bar_orientation": "str",
    },
    "DeviceInformation": {
        "brand": "str", "product": "str", "device": "str", "android_uuid": "str",
        "device_manufacturer": "str", "platform": "str", "os_version": "str",
        "device_model": "str", "screen_height": "int", "screen_width": "int",
        "screen_dpi": "int", "device_country": "str", "locale_language": "str",
        "locale_country": "str", "network_country": "str", "network_carrier": "str",
        "network_code": "str", "network_mobile_country_code": "str", "timezone_offset": "int",
        "build_identifier": "str", "http_header_user_agent": "str", "ios_advertising_id": "str",
        "push_token": "str", "cpu_architecture": "str", "is_tablet": "bool",
        "push_notification_sound_enabled": "bool", "push_notification_vibrate_enabled": "bool",
        "radio_access_technology": "str", "supports_telephony": "bool", "has_nfc": "bool",
        "bluetooth_enabled": "bool", "bluetooth_version": "str", "amp_id": "str",
        "roku_advertising_id": "str", "roku_publisher_id": "str",
        "microsoft_advertising_id": "str", "microsoft_publisher_id": "str",
        "fire_advertising_id": "str", "att_timestamp_unixtime_ms": "int",
        "att_authorization_status": "str", "ios_idfv": "str", "android_advertising_id": "str",
    },
    "EventBase": {
        "data": "EventData", "event_type": "str",
    },
    "EventData": {
        **EVENT_SWAGGER,
    },
    "FirstRunEvent": {
        **EVENT_SWAGGER,
    },
    "GDPRConsentState": {
        "document": "str", "consented": "bool", "timestamp_unixtime_ms": "int",
        "location": "str", "hardware_id": "str",
    },
    "GeoLocation": {
        "latitude": "float", "longitude": "float", "accuracy": "float",
    },
    "MediaInfo": {
        "action": "str", "channel": "str", "metadata": "str", "timed_metadata": "str",
        "playback_position": "float", "format": "str", "quality": "str",
        "playback_rate": "float",
    },
    "NetworkPerformanceEvent": {
        **EVENT_SWAGGER, "http_verb": "str", "url": "str", "time_elapsed": "int",
        "bytes_in": "int", "bytes_out": "int", "response_code": "int", "data": "str",
    },
    "OptOutEvent": {
        **EVENT_SWAGGER, "is_opted_out": "bool",
    },
    "Product": {
        "id": "str", "name": "str", "brand": "str", "category": "str", "variant": "str",
        "position": "int", "price": "float", "quantity": "float", "coupon_code": "str",
        "added_to_cart_time_ms": "int", "total_product_amount": "float",
        "custom_attributes": "dict(str, str)",
    },
    "ProductAction": {
        "action": "str", "checkout_step": "int", "checkout_options": "str",
        "product_action_list": "str", "product_list_source": "str", "transaction_id": "str",
        "affiliation": "str", "total_amount": "float", "tax_amount": "float",
        "shipping_amount": "float", "coupon_code": "str", "products": "list[Product]",
    },
    "ProductImpression": {
        "product_impression_list": "str", "products": "list[Product]",
    },
    "ProfileEvent": {
        **EVENT_SWAGGER, "profile_name": "str", "previous_profile_name": "str",
        "profile_event_type": "str",
    },
    "Promotion": {
        "id": "str", "name": "str", "creative": "str", "position": "str",
    },
    "PromotionAction": {
        "action": "str", "promotions": "list[Promotion]",
    },
    "PushMessageEvent": {
        **EVENT_SWAGGER, "push_message_token": "str", "push_message_type": "str",
        "message": "str", "network": "str", "push_notification_payload": "str",
        "application_state": "str", "action_identifier": "str",
    },
    "PushRegistrationEvent": {
        **EVENT_SWAGGER, "register": "bool", "registration_token": "str",
    },
    "ScreenViewEvent": {
        **EVENT_SWAGGER, "screen_name": "str", "activity_type": "str",
        "custom_flags": "dict(str, str)",
    },
    "SessionEndEvent": {
        **EVENT_SWAGGER, "session_duration_ms": "int",
    },
    "SessionStartEvent": {
        **EVENT_SWAGGER,
    },
    "ShoppingCart": {
        "products": "list[Product]",
    },
    "SourceInformation": {
        "channel": "str", "partner": "str", "replay_request_id": "str", "replay_job_id": "str",
    },
    "UserAttributeChangeEvent": {
        **EVENT_SWAGGER, "user_attribute_name": "str", "new": "object", "old": "object",
        "deleted": "bool", "is_new_attribute": "bool",
    },
    "UserIdentities": {
        "other": "str", "customerid": "str", "facebook": "str", "twitter": "str",
        "google": "str", "microsoft": "str", "yahoo": "str", "email": "str", "alias": "str",
        "facebook_custom_audience_id": "str", "other_id_2": "str", "other_id_3": "str",
        "other_id_4": "str", "other_id_5": "str", "other_id_6": "str", "other_id_7": "str",
        "other_id_8": "str", "other_id_9": "str", "other_id_10": "str", "mobile_number": "str",
        "phone_number_2": "str", "phone_number_3": "str",
    },
}

ORIGINAL_ENUMS = {
    ("AppEvent", "custom_event_type"): [
        "unknown", "navigation", "location", "search", "transaction", "user_content",
        "user_preference", "social", "other", "attribution",
    ],
    ("ApplicationStateTransitionEvent", "application_transition_type"): [
        "unknown", "application_initialized", "application_exit", "application_background",
        "application_foreground",
    ],
    ("Batch", "environment"): [
        "production", "development",
    ],
    ("DeviceCurrentState", "device_orientation"): [
        "unknown", "portrait", "portrait_upside_down", "landscape", "LandscapeLeft",
        "LandscapeRight", "FaceUp", "FaceDown", "Square",
    ],
    ("DeviceCurrentState", "status_bar_orientation"): [
        "unknown", "portrait", "portrait_upside_down", "landscape", "LandscapeLeft",
        "LandscapeRight", "FaceUp", "FaceDown", "Square",
    ],
    ("DeviceInformation", "platform"): [
        "Unknown", "iOS", "Android", "web", "tvOS", "roku", "out_of_band", "alexa", "smart_tv",
        "fire_tv", "xbox",
    ],
    ("DeviceInformation", "att_authorization_status"): [
        "authorized", "denied", "not_determined", "restricted",
    ],
    ("EventBase", "event_type"): [
        "unknown", "session_start", "session_end", "screen_view", "custom_event",
        "crash_report", "opt_out", "first_run", "pre_attribution", "push_registration",
        "application_state_transition", "push_message", "network_performance", "breadcrumb",
        "profile", "push_reaction", "commerce_event", "user_attribute_change",
    ],
    ("MediaInfo", "action"): [
        "unknown", "play", "stop", "update_playback_position", "skip", "rate",
    ],
    ("MediaInfo", "format"): [
        "unknown", "audio", "video",
    ],
    ("MediaInfo", "quality"): [
        "unknown", "low", "sd", "medium", "hd", "ultra_hd",
    ],
    ("ProductAction", "action"): [
        "unknown", "add_to_cart", "remove_from_cart", "checkout", "checkout_option", "click",
        "view_detail", "purchase", "refund", "add_to_wishlist", "remove_from_wish_list",
    ],
    ("ProfileEvent", "profile_event_type"): [
        "unknown", "signup", "login", "logout", "update", "delete",
    ],
    ("PromotionAction", "action"): [
        "unknown", "view", "click",
    ],
    ("PushMessageEvent", "push_message_type"): [
        "unknown", "sent", "received", "action",
    ],
    ("PushMessageEvent", "application_state"): [
        "unknown", "not_running", "background", "foreground",
    ],
    ("SourceInformation", "channel"): [
        "unknown", "native", "javascript", "pixel", "desktop", "partner", "server_to_server",
        "All",
    ],
}
# fmt: on

#: Models the original lacks (schema.md section 7), with their leading constructor order.
NEW_MODEL_POSITIONAL = {
    "UninstallEvent": (*EVENT_FIELDS,),
    "UserIdentity": ("identity_type", "identity", "timestamp_unixtime_ms", "created_this_batch"),
    "UserIdentityChangeEvent": (*EVENT_FIELDS, "new", "old"),
}
NEW_MODEL_SWAGGER = {
    "UninstallEvent": dict(EVENT_SWAGGER),
    "UserIdentity": {
        "identity_type": "str",
        "identity": "str",
        "timestamp_unixtime_ms": "int",
        "created_this_batch": "bool",
    },
    "UserIdentityChangeEvent": {**EVENT_SWAGGER, "new": "UserIdentity", "old": "UserIdentity"},
}

#: Common event fields of the Events API that the original lacked (schema.md 7).
EXTRA_EVENT_FIELDS = {
    "session_start_unixtime_ms",
    "event_start_unixtime_ms",
    "is_goal_defined",
    "lifetime_value_change",
    "lifetime_value_attribute_name",
    "data_connection_type",
    "event_num",
    "view_controller",
    "is_main_thread",
    "canonical_name",
    "event_system_notification_info",
}

#: Event class -> wrapper event_type (spec 4.1, CrashReportEvent fixed, plus the two new events).
EVENT_TYPE_BY_CLASS = {
    "AppEvent": "custom_event",
    "FirstRunEvent": "first_run",
    "SessionStartEvent": "session_start",
    "SessionEndEvent": "session_end",
    "ApplicationStateTransitionEvent": "application_state_transition",
    "ScreenViewEvent": "screen_view",
    "PushRegistrationEvent": "push_registration",
    "ProfileEvent": "profile",
    "OptOutEvent": "opt_out",
    "BreadcrumbEvent": "breadcrumb",
    "CommerceEvent": "commerce_event",
    "PushMessageEvent": "push_message",
    "NetworkPerformanceEvent": "network_performance",
    "CrashReportEvent": "crash_report",
    "UserAttributeChangeEvent": "user_attribute_change",
    "UserIdentityChangeEvent": "user_identity_change",
    "UninstallEvent": "uninstall",
}
EVENT_CLASSES = sorted(EVENT_TYPE_BY_CLASS)

#: Fields each model has beyond the original's (schema.md section 7), declared after them.
NEW_FIELDS: Dict[str, set] = {name: set() for name in ORIGINAL_POSITIONAL}
for _name in [*EVENT_TYPE_BY_CLASS, "EventData"]:
    NEW_FIELDS[_name] = set(EXTRA_EVENT_FIELDS)
NEW_FIELDS["CommerceEvent"] |= {"event_name", "custom_event_type"}
NEW_FIELDS["ApplicationStateTransitionEvent"] |= {"launch_referral"}
NEW_FIELDS["PushMessageEvent"] |= {"push_message_behavior"}
NEW_FIELDS["ProfileEvent"] |= {"previous_mpid", "current_mpid"}
NEW_FIELDS["ApplicationInformation"] = {
    "application_build_number",
    "os",
    "apple_search_ads_attributes",
}
NEW_FIELDS["DeviceInformation"] = {"build_version_release", "limit_ad_tracking", "is_dst"}
NEW_FIELDS["DeviceCurrentState"] = {"external_disk_space_free_bytes"}
NEW_FIELDS["SourceInformation"] = {"is_historical"}
NEW_FIELDS["GeoLocation"] = {
    "country_code",
    "region_code",
    "city_name",
    "postal_code",
    "dma_code",
    "location_source",
}
NEW_FIELDS["GDPRConsentState"] = {"regulation"}
NEW_FIELDS["CCPAConsentState"] = {"regulation"}
NEW_FIELDS["BatchContext"] = {"location"}
NEW_FIELDS["Batch"] = {
    "partner_identity",
    "partner_identities",
    "attribution_info",
    "api_keys",
    "sdk_version",
    "job_id",
}
for _name in NEW_MODEL_POSITIONAL:
    NEW_FIELDS[_name] = set(EXTRA_EVENT_FIELDS) if _name != "UserIdentity" else set()

IDENTITY_TYPES = [
    "other", "customer_id", "facebook", "twitter", "google", "microsoft", "yahoo", "email",
    "alias", "facebook_custom_audience_id", "other_id_2", "other_id_3", "other_id_4",
    "other_id_5", "other_id_6", "other_id_7", "other_id_8", "other_id_9", "other_id_10",
    "mobile_number", "phone_number_2", "phone_number_3",
]  # fmt: skip

#: Every enum as we accept it: the original's list plus the schema additions, in message order.
ENUMS: Dict[Tuple[str, str], List[str]] = dict(ORIGINAL_ENUMS)
ENUMS[("AppEvent", "custom_event_type")] = [
    *ORIGINAL_ENUMS[("AppEvent", "custom_event_type")],
    "media",
]
ENUMS[("EventBase", "event_type")] = [
    *ORIGINAL_ENUMS[("EventBase", "event_type")],
    "user_identity_change",
    "uninstall",
]
ENUMS[("DeviceInformation", "platform")] = [
    "Unknown", "iOS", "Android", "web", "desktop", "tvOS", "roku", "out_of_band", "alexa",
    "smart_tv", "fire_tv", "xbox",
]  # fmt: skip
ENUMS[("ApplicationInformation", "os")] = [
    "Unknown", "IOS", "Android", "WindowsPhone", "MobileWeb", "UnityIOS", "UnityAndroid",
    "Desktop", "TVOS", "Roku", "OutOfBand", "Alexa", "SmartTV", "FireTV", "Xbox",
]  # fmt: skip
ENUMS[("PushMessageEvent", "push_message_behavior")] = [
    "Received", "DirectOpen", "Read", "InfluencedOpen", "Displayed",
]  # fmt: skip
ENUMS[("UserIdentity", "identity_type")] = IDENTITY_TYPES
ENUMS[("CommerceEvent", "custom_event_type")] = [
    "add_to_cart", "remove_from_cart", "checkout", "checkout_option", "click", "view_detail",
    "purchase", "refund", "promotion_view", "promotion_click", "add_to_wishlist",
    "remove_from_wishlist", "impression",
    # schema.md 3.3: the schema also accepts the custom event types and consent types here
    "navigation", "location", "search", "transaction", "user_content", "user_preference",
    "social", "other", "attribution", "media", "consent_granted", "consent_denied",
]  # fmt: skip
ENUMS[("GeoLocation", "location_source")] = ["unknown", "ip_lookup", "lat_long"]

UUID_FIELDS = [
    "ios_advertising_id",
    "android_advertising_id",
    "ios_idfv",
    "roku_advertising_id",
    "fire_advertising_id",
]
UUID_VALUES = {name: str(uuid.UUID(int=i + 1)) for i, name in enumerate(UUID_FIELDS)}

ALL_NAMES = list(models.__all__)
ALL_CLASSES = [getattr(models, name) for name in ALL_NAMES]
POSITIONAL = {**ORIGINAL_POSITIONAL, **NEW_MODEL_POSITIONAL}
SWAGGER = {**ORIGINAL_SWAGGER, **NEW_MODEL_SWAGGER}

#: The minimum each class needs to construct.
REQUIRED: Dict[str, Dict[str, Any]] = {
    "AppEvent": {"event_name": "required name"},
    "CommerceEvent": {"product_action": ProductAction("purchase")},
}


def model_class(name: str) -> type:
    return getattr(models, name)


def make(name: str, /, **kwargs: Any) -> Any:
    """An instance of the named class with its required arguments filled in."""
    return model_class(name)(**{**REQUIRED.get(name, {}), **kwargs})


def field_type(name: str, attr: str) -> str:
    """The spec's type for original fields, our declared type for the fields we added."""
    spec = SWAGGER.get(name, {})
    return spec[attr] if attr in spec else model_class(name).swagger_types[attr]


def sample(name: str, attr: str, index: int) -> Any:
    """A value for ``attr`` that passes validation and differs from every other field's value."""
    if (name, attr) in ENUMS:
        allowed = ENUMS[(name, attr)]
        return allowed[index % len(allowed)]
    if attr in UUID_FIELDS:
        return UUID_VALUES[attr]
    if attr == "custom_attributes":
        return {"attr": attr}
    type_name = field_type(name, attr)
    if type_name.startswith("list["):
        return [{"marker": attr}]
    if type_name.startswith("dict"):
        return {"marker": attr}
    if type_name[:1].isupper():  # a sub-model: a plain dict stands in
        return {"marker": attr}
    return "{0}-value".format(attr)


def distinct_samples(name: str, attrs: Any) -> Dict[str, Any]:
    """Sample values for ``attrs``, pairwise different (enum fields pick an unused value)."""
    values: Dict[str, Any] = {}
    for index, attr in enumerate(attrs):
        value = sample(name, attr, index)
        if (name, attr) in ENUMS:
            allowed = ENUMS[(name, attr)]
            used = [repr(v) for v in values.values()]
            for step in range(len(allowed)):
                value = allowed[(index + step) % len(allowed)]
                if repr(value) not in used:
                    break
        values[attr] = value
    return values


def all_samples(name: str) -> Dict[str, Any]:
    return distinct_samples(name, model_class(name).swagger_types)


# --------------------------------------------------------------------------------------------
# Inventory and construction
# --------------------------------------------------------------------------------------------


def test_all_models_are_exported_and_covered() -> None:
    assert set(ALL_NAMES) == set(ORIGINAL_POSITIONAL) | set(NEW_MODEL_POSITIONAL)
    assert len(ORIGINAL_POSITIONAL) == 39
    for name in ALL_NAMES:
        cls = getattr(models, name)
        module = __import__(cls.__module__, fromlist=[name])
        assert getattr(module, name) is cls


@pytest.mark.parametrize(
    "cls", [c for c in ALL_CLASSES if c.__name__ not in REQUIRED], ids=lambda c: c.__name__
)
def test_constructs_with_no_arguments(cls: type) -> None:
    obj = cls()
    expected = {attr: None for attr in cls.swagger_types}
    if cls is ConsentState:
        expected.update(ccpa={}, gdpr={})
    assert obj.to_dict() == expected
    assert dumps(obj) == (b'{"ccpa":{},"gdpr":{}}' if cls is ConsentState else b"{}")


def test_app_event_requires_event_name() -> None:
    with pytest.raises(ValueError) as info:
        AppEvent()
    assert str(info.value) == "Event Name is required."
    with pytest.raises(ValueError, match=r"^Event Name is required\.$"):
        AppEvent(custom_event_type="navigation", event_id=5)


def test_app_event_bad_bag_is_reported_before_missing_name() -> None:
    with pytest.raises(ValueError) as info:
        AppEvent(custom_attributes={"a": [1]})
    assert str(info.value) == "Invalid custom_attributes passed to AppEvent: {'a': [1]}"


COMMERCE_REQUIRED = (
    "At least one of: product_action, product_impressions, or promotion_action is required."
)


def test_commerce_event_requires_one_of_three() -> None:
    with pytest.raises(ValueError) as info:
        CommerceEvent()
    assert str(info.value) == COMMERCE_REQUIRED
    with pytest.raises(ValueError) as info:
        CommerceEvent(currency_code="USD", custom_event_type="purchase")
    assert str(info.value) == COMMERCE_REQUIRED


@pytest.mark.parametrize(
    "kwargs",
    [
        {"product_action": ProductAction("purchase")},
        {"product_impressions": []},
        {"promotion_action": PromotionAction("view")},
        {"product_action": {}},
    ],
)
def test_commerce_event_any_of_three_is_enough(kwargs: Dict[str, Any]) -> None:
    event = CommerceEvent(**kwargs)
    for key, value in kwargs.items():
        assert getattr(event, key) == value


def test_commerce_event_bad_bag_is_reported_first() -> None:
    with pytest.raises(ValueError) as info:
        CommerceEvent(custom_attributes={"a": {"b": 1}})
    assert str(info.value) == "Invalid custom_attributes passed to CommerceEvent: {'a': {'b': 1}}"


@pytest.mark.parametrize("name", sorted(POSITIONAL))
def test_positional_order_is_the_originals(name: str) -> None:
    cls = model_class(name)
    order = POSITIONAL[name]
    params = list(inspect.signature(cls).parameters)
    assert params[: len(order)] == list(order)
    assert set(params) == set(cls.swagger_types)
    values = list(distinct_samples(name, order).values())
    # distinct values, so a wrong order cannot pass unnoticed
    assert len({repr(v) for v in values}) == len(values)
    obj = cls(*values)
    for attr, value in zip(order, values):
        assert getattr(obj, attr) == value, attr


def test_positional_idioms() -> None:
    event = AppEvent("Hello", "navigation")
    assert (event.event_name, event.custom_event_type) == ("Hello", "navigation")
    assert AppEvent("Hello").custom_event_type == "other"
    assert AppEvent("Hello", None).custom_event_type is None
    assert CommerceEvent(ProductAction("purchase")).product_action.action == "purchase"
    consent = CCPAConsentState("doc", True, 5, "loc", "hw")
    assert (consent.document, consent.consented, consent.timestamp_unixtime_ms) == ("doc", True, 5)
    assert (consent.location, consent.hardware_id) == ("loc", "hw")
    assert GDPRConsentState("doc", False).consented is False
    assert ConsentState().gdpr == {}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_keyword_construction_of_every_field(name: str) -> None:
    cls = model_class(name)
    values = all_samples(name)
    obj = cls(**values)
    for attr, value in values.items():
        assert getattr(obj, attr) == value, attr
    wire = to_jsonable(obj)
    assert list(wire) == list(cls.attribute_map.values())  # declaration order
    assert dumps(obj) == dumps(wire)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_none_is_accepted_everywhere(name: str) -> None:
    cls = model_class(name)
    obj = make(name, **{a: None for a in cls.swagger_types if a not in REQUIRED.get(name, {})})
    full = make(name, **all_samples(name))
    for attr in cls.swagger_types:
        setattr(full, attr, None)
        assert getattr(full, attr) is None
    assert dumps(full) == b"{}"
    assert dumps(obj) in (b"{}", b'{"ccpa":{},"gdpr":{}}') or name in REQUIRED


# --------------------------------------------------------------------------------------------
# swagger_types / attribute_map
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SWAGGER))
def test_swagger_types_match_the_spec(name: str) -> None:
    cls = model_class(name)
    expected = list(SWAGGER[name].items())
    ours = list(cls.swagger_types.items())
    assert ours[: len(expected)] == expected
    added = [attr for attr, _ in ours[len(expected) :]]
    assert set(added) == NEW_FIELDS[name]
    assert len(added) == len(NEW_FIELDS[name])
    instance = make(name)
    assert instance.swagger_types == cls.swagger_types
    assert instance.attribute_map == cls.attribute_map


@pytest.mark.parametrize("name", ALL_NAMES)
def test_attribute_map_keys_equal_attribute_names(name: str) -> None:
    cls = model_class(name)
    assert list(cls.attribute_map) == list(cls.swagger_types)
    for attr, key in cls.attribute_map.items():
        if (name, attr) == ("UserIdentities", "customerid"):
            assert key == "customer_id"
        else:
            assert key == attr


def test_class_level_maps_are_readable_without_an_instance() -> None:
    assert Batch.swagger_types["events"] == "list[EventBase]"
    assert UserIdentities.attribute_map["customerid"] == "customer_id"


# --------------------------------------------------------------------------------------------
# Enums
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,attr", sorted(ENUMS))
def test_every_enum_value_accepted(name: str, attr: str) -> None:
    for value in ENUMS[(name, attr)]:
        assert getattr(make(name, **{attr: value}), attr) == value
        obj = make(name)
        setattr(obj, attr, value)
        assert getattr(obj, attr) == value
        setattr(obj, attr, None)
        assert getattr(obj, attr) is None


def enum_message(attr: str, value: Any, allowed: List[str]) -> str:
    return "Invalid value for `{0}` ({1}), must be one of {2}".format(attr, value, allowed)


@pytest.mark.parametrize("name,attr", sorted(ENUMS))
def test_enum_rejects_bogus_values(name: str, attr: str) -> None:
    allowed = ENUMS[(name, attr)]
    for bogus in ["bogus", "", 5, True, ["iOS"], {"a": 1}, allowed[0].upper() + "_", allowed[-1] + " "]:
        expected = enum_message(attr, bogus, allowed)
        with pytest.raises(ValueError) as info:
            make(name, **{attr: bogus})
        assert str(info.value) == expected
        obj = make(name, **{attr: allowed[-1]})
        with pytest.raises(ValueError) as info:
            setattr(obj, attr, bogus)
        assert str(info.value) == expected
        assert getattr(obj, attr) == allowed[-1]


def test_enum_message_example_from_the_spec() -> None:
    batch = Batch()
    with pytest.raises(ValueError) as info:
        batch.environment = "prod"
    assert str(info.value) == (
        "Invalid value for `environment` (prod), must be one of ['production', 'development']"
    )


@pytest.mark.parametrize("name,attr", sorted(ENUMS))
def test_every_declared_enum_is_listed(name: str, attr: str) -> None:
    """And conversely: no model declares an enum this test file does not know about."""
    declared = {
        (cls.__name__, f.name): f.enum
        for cls in ALL_CLASSES
        for f in cls.fields
        if f.enum is not None
    }
    assert set(declared) == set(ENUMS)
    assert declared[(name, attr)] == ENUMS[(name, attr)]


# --------------------------------------------------------------------------------------------
# UUID fields
# --------------------------------------------------------------------------------------------

VALID_UUID = "38400000-8cf0-11bd-b23e-10b96e4ef00d"
GOOD_UUIDS = [
    VALID_UUID,
    VALID_UUID.upper(),
    VALID_UUID.replace("-", ""),
    "{" + VALID_UUID + "}",
    "urn:uuid:" + VALID_UUID,
]


@pytest.mark.parametrize("attr", UUID_FIELDS)
@pytest.mark.parametrize("value", GOOD_UUIDS)
def test_uuid_fields_accept_uuids(attr: str, value: str) -> None:
    assert getattr(DeviceInformation(**{attr: value}), attr) == value
    device = DeviceInformation()
    setattr(device, attr, value)
    assert getattr(device, attr) == value
    assert device.validateUUID(value) is None


@pytest.mark.parametrize("attr", UUID_FIELDS)
@pytest.mark.parametrize(
    "value,error",
    [
        ("", "badly formed hexadecimal UUID string"),
        ("bad", "badly formed hexadecimal UUID string"),
        ("this is not valid", "badly formed hexadecimal UUID string"),
        ("z8400000-8cf0-11bd-b23e-10b96e4ef00d", "uuid"),
        (VALID_UUID + "0", "badly formed hexadecimal UUID string"),
        (123, None),
        (["x"], None),
    ],
)
def test_uuid_fields_reject_non_uuids(attr: str, value: Any, error: Any) -> None:
    if error == "uuid":  # whatever uuid.UUID says (the text varies between Python versions)
        with pytest.raises(ValueError) as parse:
            uuid.UUID(value)
        error = str(parse.value)
    device = DeviceInformation()
    for build in (
        lambda: DeviceInformation(**{attr: value}),
        lambda: setattr(device, attr, value),
    ):
        with pytest.raises(ValueError) as info:
            build()
        message = str(info.value)
        if error is not None:
            assert message == 'Error: "{0}", while setting {1} with value: {2}'.format(
                error, attr, value
            )
        else:
            assert message.startswith('Error: "')
            assert message.endswith('", while setting {0} with value: {1}'.format(attr, value))
    assert getattr(device, attr) is None


@pytest.mark.parametrize("value", ["", "bad", "this is not valid", 123, 1.5, ["x"], b"x"])
def test_validate_uuid_returns_the_error(value: Any) -> None:
    result = DeviceInformation().validateUUID(value)
    assert isinstance(result, ValueError)


@pytest.mark.parametrize("value", [None, *GOOD_UUIDS])
def test_validate_uuid_returns_none_when_valid(value: Any) -> None:
    assert DeviceInformation().validateUUID(value) is None


def test_uuid_errors_are_reported_in_constructor_order() -> None:
    with pytest.raises(ValueError, match="ios_advertising_id"):
        DeviceInformation(android_advertising_id="bad", ios_advertising_id="bad")
    with pytest.raises(ValueError, match="roku_advertising_id"):
        DeviceInformation(ios_idfv="bad", roku_advertising_id="bad")


def test_unvalidated_device_ids() -> None:
    device = DeviceInformation(
        amp_id="x", roku_publisher_id="x", microsoft_advertising_id="x", push_token="x"
    )
    assert device.amp_id == "x"


# --------------------------------------------------------------------------------------------
# custom_attributes bags and sub-model / list / dict structure checks
# --------------------------------------------------------------------------------------------

BAG_CLASSES = [*EVENT_CLASSES, "EventData"]


#: The events whose ``custom_attributes`` setter the original checked (ours checks there too).
BAG_CHECKED_ON_SET = {"AppEvent", "CommerceEvent", "ScreenViewEvent"}


@pytest.mark.parametrize("name", BAG_CLASSES)
def test_custom_attributes_bag_rejected(name: str) -> None:
    """Refused by the constructor; by the setter where the original checked, else when sent."""
    bags = [{"a": [1]}, {"a": {"b": 1}}, {"ok": 1, "a": Decimal("1")}, {"a": b"x"}, ["a"], "text", 5]
    for bag in bags:
        expected = "Invalid custom_attributes passed to {0}: {1}".format(name, bag)
        with pytest.raises(ValueError) as info:
            make(name, custom_attributes=bag)
        assert str(info.value) == expected
        obj = make(name, custom_attributes={"ok": 1})
        if name in BAG_CHECKED_ON_SET:
            with pytest.raises(ValueError) as info:
                obj.custom_attributes = bag
            assert str(info.value) == expected
            assert obj.custom_attributes == {"ok": 1}
        else:
            obj.custom_attributes = bag  # stored as the original stored it
            assert obj.custom_attributes is bag
            with pytest.raises(ValueError) as info:
                dumps(obj)
            assert str(info.value) == f"{name}: {expected}"


@pytest.mark.parametrize("name", BAG_CLASSES)
def test_custom_attributes_flat_values_accepted(name: str) -> None:
    bag = {"s": "x", "u": "é", "i": 5, "f": 3.14, "b": True, "n": None}
    assert make(name, custom_attributes=bag).custom_attributes == bag
    assert make(name, custom_attributes={}).custom_attributes == {}


def test_product_custom_attributes_are_not_bag_checked() -> None:
    assert Product(custom_attributes={"a": [1]}).custom_attributes == {"a": [1]}


def test_custom_flags_are_not_bag_checked() -> None:
    flags = {"answer": 42, "arrays": ["a", "b"], "nested": {"x": 1}}
    assert AppEvent("x", custom_flags=flags).custom_flags == flags


STRUCTURED_FIELDS = [
    (name, attr, type_name)
    for name in ALL_NAMES
    for attr, type_name in model_class(name).swagger_types.items()
    if type_name.startswith(("list[", "dict")) or type_name[:1].isupper()
]


@pytest.mark.parametrize("name,attr,type_name", STRUCTURED_FIELDS)
def test_structured_fields(name: str, attr: str, type_name: str) -> None:
    """Sub-model fields take a model or a dict, list fields a list or tuple, dict fields a dict."""
    if type_name.startswith("list["):
        good: List[Any] = [[], ()]
    elif type_name.startswith("dict"):
        good = [{}]
    else:
        good = [{}, {"plain": "dict"}, model_class(type_name)()]
    for value in good:
        assert getattr(make(name, **{attr: value}), attr) is not None
    bad_values: List[Any] = [5, "text"]
    if type_name.startswith("list["):
        bad_values.append({"a": 1})
    else:
        bad_values.append(["a"])
    for bad in bad_values:
        with pytest.raises(ValueError) as info:
            make(name, **{attr: bad})
        assert attr in str(info.value)
        obj = make(name)
        if {f.name: f for f in model_class(name).fields}[attr].on_set:  # checked where the original did
            with pytest.raises(ValueError) as info:
                setattr(obj, attr, bad)
            assert attr in str(info.value)
            continue
        setattr(obj, attr, bad)  # a plain slot, as in the original: checked when serialized
        assert getattr(obj, attr) is bad
        with pytest.raises(ValueError) as info:
            dumps(obj)
        assert str(info.value).startswith(f"{name}: ") and attr in str(info.value)


def test_sub_model_dict_is_sent_as_given() -> None:
    event = ScreenViewEvent(location={"latitude": 1.5, "anything": [1]})
    assert dumps(event) == b'{"location":{"latitude":1.5,"anything":[1]}}'


# --------------------------------------------------------------------------------------------
# to_dict / to_str / repr / equality / hashing
# --------------------------------------------------------------------------------------------


def test_to_dict_includes_none_and_uses_attribute_names() -> None:
    identities = UserIdentities(customerid="1", email="e@x")
    as_dict = identities.to_dict()
    assert list(as_dict) == list(UserIdentities.swagger_types)
    assert as_dict["customerid"] == "1"
    assert "customer_id" not in as_dict
    assert as_dict["email"] == "e@x"
    assert as_dict["other"] is None


def test_to_dict_converts_sub_models_lists_and_dict_values() -> None:
    consent = ConsentState()
    consent.ccpa = {"data_sale_opt_out": CCPAConsentState("doc", True)}
    action = ProductAction("purchase", products=[Product(id="p"), "raw"])
    event = CommerceEvent(action, location=GeoLocation(1.0, 2.0))
    assert consent.to_dict()["ccpa"]["data_sale_opt_out"]["document"] == "doc"
    assert consent.to_dict()["ccpa"]["data_sale_opt_out"]["hardware_id"] is None
    as_dict = event.to_dict()
    assert as_dict["location"]["latitude"] == 1.0
    assert as_dict["location"]["accuracy"] is None
    assert as_dict["product_action"]["products"][0]["id"] == "p"
    assert as_dict["product_action"]["products"][1] == "raw"


def test_batch_to_dict_has_every_key() -> None:
    assert set(Batch().to_dict()) == set(Batch.swagger_types)
    assert all(v is None for v in Batch().to_dict().values())
    assert ConsentState().to_dict() == {"ccpa": {}, "gdpr": {}}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_to_str_and_repr_are_pprint_of_to_dict(name: str) -> None:
    obj = make(name, **all_samples(name))
    assert obj.to_str() == pprint.pformat(obj.to_dict())
    assert repr(obj) == obj.to_str()
    assert str(obj) == obj.to_str()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_equality(name: str) -> None:
    values = all_samples(name)
    a = make(name, **values)
    b = make(name, **copy.deepcopy(values))
    assert a == b
    assert not (a != b)
    first = next(iter(values))
    setattr(b, first, None)
    assert a != b
    assert not (a == b)
    assert (a == None) is False  # noqa: E711 - the comparison itself is under test
    assert (a != None) is True  # noqa: E711
    assert a != 1
    assert a != "text"
    assert a != values


def test_different_classes_with_equal_state_are_not_equal() -> None:
    assert FirstRunEvent() != SessionStartEvent()
    assert SessionStartEvent() != EventData()
    assert CCPAConsentState() != GDPRConsentState()
    assert CCPAConsentState("d") != GDPRConsentState("d")


def test_equality_ignores_assignment_order() -> None:
    a = GeoLocation()
    a.longitude = 2.0
    a.latitude = 1.0
    assert a == GeoLocation(1.0, 2.0)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_models_are_unhashable(cls: type) -> None:
    obj = make(cls.__name__)
    with pytest.raises(TypeError, match="unhashable"):
        hash(obj)
    with pytest.raises(TypeError):
        {obj}  # noqa: B018


# --------------------------------------------------------------------------------------------
# AppEvent extras
# --------------------------------------------------------------------------------------------


def test_create_attribution_event() -> None:
    event = AppEvent.create_attribution_event("the publisher", "the campaign")
    assert type(event) is AppEvent
    assert event.event_name == "attribution"
    assert event.custom_event_type == "attribution"
    assert event.custom_attributes == {"campaign": "the campaign", "publisher": "the publisher"}
    assert AppEvent.create_attribution_event(campaign="c").custom_attributes == {
        "campaign": "c",
        "publisher": None,
    }
    assert dumps(AppEvent.create_attribution_event()) == (
        b'{"custom_attributes":{"campaign":null,"publisher":null},'
        b'"custom_event_type":"attribution","event_name":"attribution"}'
    )


def test_create_attribution_delete_event() -> None:
    event = AppEvent.create_attribution_delete_event()
    assert (event.event_name, event.custom_event_type) == ("attribution", "attribution")
    assert event.custom_attributes == {"action": "delete"}


def test_attribution_factories_build_the_subclass() -> None:
    class MyEvent(AppEvent):
        pass

    assert type(MyEvent.create_attribution_event("p", "c")) is MyEvent
    assert type(MyEvent.create_attribution_delete_event()) is MyEvent


def test_ltv_amount() -> None:
    event = AppEvent("purchase")
    assert event.ltv_amount is None
    event.ltv_amount = 10.5
    assert event.ltv_amount == 10.5
    assert event.custom_attributes == {"$Amount": 10.5, "MethodName": "LogLTVIncrease"}
    assert "ltv_amount" not in event.to_dict()
    event.ltv_amount = None
    assert event.ltv_amount is None
    assert event.custom_attributes == {}


def test_ltv_amount_keeps_other_attributes_and_does_not_mutate_the_callers_dict() -> None:
    attributes = {"a": "b"}
    event = AppEvent("purchase", custom_attributes=attributes)
    event.ltv_amount = 3
    assert event.custom_attributes == {"a": "b", "$Amount": 3, "MethodName": "LogLTVIncrease"}
    assert attributes == {"a": "b"}
    event.ltv_amount = None
    assert event.custom_attributes == {"a": "b"}


def test_ltv_amount_none_without_attributes_changes_nothing() -> None:
    event = AppEvent("x")
    event.ltv_amount = None
    assert event.custom_attributes is None
    assert event.ltv_amount is None


def test_invalid_ltv_amount_is_rejected_without_side_effects() -> None:
    event = AppEvent("x", custom_attributes={"a": "b"})
    event.ltv_amount = 1
    with pytest.raises(ValueError, match="Invalid custom_attributes passed to AppEvent"):
        event.ltv_amount = [1, 2]
    assert event.ltv_amount == 1
    assert event.custom_attributes == {"a": "b", "$Amount": 1, "MethodName": "LogLTVIncrease"}


# --------------------------------------------------------------------------------------------
# ApplicationStateTransitionEvent factories
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory,expected",
    [
        (
            "create_install_event",
            b'{"is_first_run":true,"is_upgrade":false,'
            b'"application_transition_type":"application_initialized"}',
        ),
        (
            "create_upgrade_event",
            b'{"is_first_run":false,"is_upgrade":true,'
            b'"application_transition_type":"application_initialized"}',
        ),
        (
            "create_foreground_event",
            b'{"application_transition_type":"application_foreground"}',
        ),
        (
            "create_background_event",
            b'{"application_transition_type":"application_background"}',
        ),
    ],
)
def test_application_state_transition_factories(factory: str, expected: bytes) -> None:
    event = getattr(ApplicationStateTransitionEvent, factory)()
    assert type(event) is ApplicationStateTransitionEvent
    assert dumps(event) == expected


# --------------------------------------------------------------------------------------------
# ConsentState
# --------------------------------------------------------------------------------------------


def test_consent_state_defaults_are_fresh_dicts() -> None:
    a, b = ConsentState(), ConsentState()
    assert a.to_dict() == {"ccpa": {}, "gdpr": {}}
    assert a.ccpa is not b.ccpa
    assert a.gdpr is not b.gdpr
    a.gdpr["purpose"] = GDPRConsentState("doc")
    assert b.gdpr == {}
    assert ConsentState().gdpr == {}


def test_consent_state_serializes_inner_models() -> None:
    consent = ConsentState()
    consent.ccpa = {"data_sale_opt_out": CCPAConsentState("doc", True, 5)}
    assert dumps(consent) == (
        b'{"ccpa":{"data_sale_opt_out":{"document":"doc","consented":true,'
        b'"timestamp_unixtime_ms":5}},"gdpr":{}}'
    )


# --------------------------------------------------------------------------------------------
# Batch.events wrapping
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVENT_CLASSES)
def test_batch_wraps_every_event_class(name: str) -> None:
    event = make(name)
    for batch in (Batch(events=[event]), Batch()):
        if batch.events is None:
            batch.events = [event]
        (wrapper,) = batch.events
        assert type(wrapper) is EventBase
        assert wrapper.event_type == EVENT_TYPE_BY_CLASS[name]
        assert wrapper.data is event
    assert model_class(name).event_type == EVENT_TYPE_BY_CLASS[name]


def test_allowed_types_map() -> None:
    allowed = Batch()._allowed_types
    assert {cls.__name__: t for cls, t in allowed.items()} == EVENT_TYPE_BY_CLASS
    assert allowed[CrashReportEvent] == "crash_report"


def test_batch_events_accept_tuples_and_generators() -> None:
    events = (SessionStartEvent(), AppEvent("x"))
    batch = Batch()
    batch.events = events
    assert isinstance(batch.events, list)
    assert [w.data for w in batch.events] == list(events)
    batch.events = (e for e in events)
    assert [w.event_type for w in batch.events] == ["session_start", "custom_event"]
    assert Batch(events=iter(events)).events[1].data is events[1]


def test_batch_events_pass_event_base_and_dicts_through() -> None:
    wrapper = EventBase(data=FirstRunEvent(), event_type="crash_report")
    raw = {"data": {}, "event_type": "session_start"}
    batch = Batch(events=[wrapper, raw])
    assert batch.events[0] is wrapper
    assert batch.events[1] is raw
    assert dumps(batch) == (
        b'{"events":[{"data":{},"event_type":"crash_report"},'
        b'{"data":{},"event_type":"session_start"}]}'
    )


@pytest.mark.parametrize(
    "bad", [EventData(), 5, "text", None, GeoLocation(), ["nested"], object()]
)
def test_batch_events_reject_invalid_elements(bad: Any) -> None:
    good = [AppEvent("kept")]
    batch = Batch(events=good)
    before = batch.events
    with pytest.raises(ValueError) as info:
        batch.events = [SessionStartEvent(), bad]
    message = str(info.value)
    assert message.startswith("Invalid event type: {0} added to batch, must be one of ".format(type(bad)))
    assert "AppEvent" in message
    assert batch.events is before
    assert batch.events[0].data.event_name == "kept"
    with pytest.raises(ValueError, match="^Invalid event type: "):
        Batch(events=[bad])


@pytest.mark.parametrize("bad", [5, "text", {"data": {}}, b"x", AppEvent("x")])
def test_batch_events_must_be_an_iterable_of_events(bad: Any) -> None:
    with pytest.raises(ValueError, match="events"):
        Batch(events=bad)
    batch = Batch()
    with pytest.raises(ValueError, match="events"):
        batch.events = bad


def test_batch_events_none_unsets() -> None:
    batch = Batch(events=[AppEvent("x")])
    batch.events = None
    assert batch.events is None
    assert dumps(batch) == b"{}"


def test_batch_environment_is_validated_in_the_constructor_too() -> None:
    with pytest.raises(ValueError, match="environment"):
        Batch(environment="bogus")
    assert Batch(environment="development").environment == "development"


def test_batch_events_list_is_stored_and_returned() -> None:
    batch = Batch(events=[AppEvent("x")])
    assert batch.events is batch.events
    batch.events.append(SessionStartEvent())  # mutating bypasses wrapping, as in the original
    assert len(batch.events) == 2


# --------------------------------------------------------------------------------------------
# Assigning onto the class (the original tests do it)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def restore_consent_classes() -> Any:
    classes = (CCPAConsentState, GDPRConsentState)
    saved = {cls: {attr: cls.__dict__[attr] for attr in cls.swagger_types} for cls in classes}
    yield
    for cls, props in saved.items():
        for attr, prop in props.items():
            if getattr(cls, attr) is not prop:  # a value was assigned onto the class
                delattr(cls, attr)
            assert getattr(cls, attr) is prop


@pytest.mark.usefixtures("restore_consent_classes")
@pytest.mark.parametrize("cls", [CCPAConsentState, GDPRConsentState], ids=lambda c: c.__name__)
def test_assigning_onto_the_class(cls: type) -> None:
    cls.document = "document_agreement.v2"
    cls.consented = True
    cls.timestamp_unixtime_ms = 1
    cls.location = "dtmgbank.com/signup"
    cls.hardware_id = "IDFA: x"
    assert cls.document == "document_agreement.v2"
    assert cls.consented is True
    assert cls.hardware_id == "IDFA: x"

    later = cls("doc", False, 5, "loc", "hw")
    assert (later.document, later.consented, later.timestamp_unixtime_ms) == ("doc", False, 5)
    assert later.to_dict()["location"] == "loc"
    assert dumps(later) == (
        b'{"document":"doc","consented":false,"timestamp_unixtime_ms":5,'
        b'"location":"loc","hardware_id":"hw"}'
    )
    later.document = "changed"
    assert later.document == "changed"
    assert dumps(later).startswith(b'{"document":"changed"')
    assert cls().document is None
    assert dumps(cls()) == b"{}"
    assert cls.swagger_types["document"] == "str"


@pytest.mark.usefixtures("restore_consent_classes")
def test_class_assignment_is_undone_by_del() -> None:
    CCPAConsentState.document = "x"
    del CCPAConsentState.document
    assert not isinstance(CCPAConsentState.document, str)
    assert CCPAConsentState("y").document == "y"


def test_non_field_class_attributes_still_settable() -> None:
    class Custom(GeoLocation):
        pass

    Custom.extra = 5
    assert Custom.extra == 5
    obj = GeoLocation(1.0)
    obj.extra = "instance attribute"
    assert obj.extra == "instance attribute"
    assert dumps(obj) == b'{"latitude":1.0}'


# --------------------------------------------------------------------------------------------
# Pickle and copy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_pickle_and_deepcopy_round_trip(name: str) -> None:
    obj = make(name, **all_samples(name))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):  # 0 and 1 too, as for the original's objects
        restored = pickle.loads(pickle.dumps(obj, protocol=protocol))
        assert type(restored) is type(obj)
        assert restored == obj
        assert dumps(restored) == dumps(obj)
    clone = copy.deepcopy(obj)
    assert clone == obj
    assert dumps(clone) == dumps(obj)
    shallow = copy.copy(obj)
    assert type(shallow) is type(obj)
    assert shallow == obj
    setattr(shallow, next(iter(obj.swagger_types)), None)
    assert shallow != obj  # a shallow copy has its own field storage
    first = next(iter(obj.swagger_types))
    setattr(clone, first, None)
    assert clone != obj
    assert getattr(obj, first) is not None


def test_pickle_batch_graph() -> None:
    batch = Batch(
        events=[AppEvent("x", custom_attributes={"a": 1}), CommerceEvent(ProductAction("purchase"))],
        environment="development",
        consent_state=ConsentState(),
        user_identities=UserIdentities(customerid="c"),
    )
    batch.consent_state.gdpr = {"p": GDPRConsentState("doc", True)}
    restored = pickle.loads(pickle.dumps(batch))
    assert restored == batch
    assert dumps(restored) == dumps(batch)
    assert dumps(copy.deepcopy(batch)) == dumps(batch)
    event = AppEvent("x")
    event.ltv_amount = 5
    assert pickle.loads(pickle.dumps(event)).ltv_amount == 5
    assert copy.copy(event).ltv_amount == 5
    assert copy.deepcopy(event).ltv_amount == 5


def test_shallow_copy_shares_values_but_not_storage() -> None:
    location = GeoLocation(1.0)
    event = ScreenViewEvent(screen_name="a", location=location)
    clone = copy.copy(event)
    assert clone.location is location
    clone.screen_name = "b"
    assert event.screen_name == "a"
    assert dumps(event) == b'{"location":{"latitude":1.0},"screen_name":"a"}'


def test_equality_does_not_run_the_serialization_checks() -> None:
    a, b = GeoLocation(1.0), GeoLocation(1.0)
    a.accuracy = b.accuracy = "not a number"  # unchecked field: compared as stored
    assert a == b
    event_a, event_b = AppEvent("x"), AppEvent("x")
    event_a.location = event_b.location = "London"  # refused only when serialized
    assert event_a == event_b and event_a != AppEvent("x")


@pytest.mark.usefixtures("restore_consent_classes")
def test_class_assignment_before_first_use_survives_code_generation() -> None:
    class Fresh(CCPAConsentState):
        fields = (*CCPAConsentState.fields, Field("mode", enum=["a", "b"]))

    try:
        Fresh.mode = "class value"  # before any instance: the checking setter is not made yet
        obj = Fresh(mode="a")
        obj.mode = "b"
        assert Fresh.mode == "class value" and obj.mode == "b"
        with pytest.raises(ValueError, match="must be one of"):
            obj.mode = "c"
        assert dumps(obj) == b'{"mode":"b"}'
    finally:
        del registry["Fresh"]  # other tests walk every declared model


def test_checked_attribute_setters_check_values_and_leave_keys_to_serialization() -> None:
    """AppEvent's setter checks values (as 0.16.1's did); colliding keys are refused when sent."""
    event = AppEvent("x")
    with pytest.raises(ValueError, match="Invalid custom_attributes passed to AppEvent"):
        event.custom_attributes = {"a": [1]}
    event.custom_attributes = {1: "a", "1": "b"}
    with pytest.raises(ValueError) as info:
        dumps(event)
    assert str(info.value) == (
        "AppEvent: Invalid custom_attributes passed to AppEvent: keys 1 and '1' would both be sent as '1' "
        "(use distinct string keys)"
    )
    with pytest.raises(ValueError, match="keys 1 and '1'"):
        AppEvent("x", custom_attributes={1: "a", "1": "b"})
