"""All mParticle models, one module per model (``mparticle.models.<snake_case>.<Model>``)."""

from mparticle.models.api_response import ApiResponse
from mparticle.models.api_response_errors import ApiResponseErrors
from mparticle.models.app_event import AppEvent
from mparticle.models.application_information import ApplicationInformation
from mparticle.models.application_state_transition_event import (
    ApplicationStateTransitionEvent,
)
from mparticle.models.attribution_info import AttributionInfo
from mparticle.models.batch import Batch
from mparticle.models.batch_context import BatchContext
from mparticle.models.breadcrumb_event import BreadcrumbEvent
from mparticle.models.ccpa_consent_state import CCPAConsentState
from mparticle.models.commerce_event import CommerceEvent
from mparticle.models.consent_state import ConsentState
from mparticle.models.crash_report_event import CrashReportEvent
from mparticle.models.data_plan_context import DataPlanContext
from mparticle.models.device_current_state import DeviceCurrentState
from mparticle.models.device_information import DeviceInformation
from mparticle.models.event_base import EventBase
from mparticle.models.event_data import EventData
from mparticle.models.first_run_event import FirstRunEvent
from mparticle.models.gdpr_consent_state import GDPRConsentState
from mparticle.models.geo_location import GeoLocation
from mparticle.models.media_info import MediaInfo
from mparticle.models.network_performance_event import NetworkPerformanceEvent
from mparticle.models.opt_out_event import OptOutEvent
from mparticle.models.product import Product
from mparticle.models.product_action import ProductAction
from mparticle.models.product_impression import ProductImpression
from mparticle.models.profile_event import ProfileEvent
from mparticle.models.promotion import Promotion
from mparticle.models.promotion_action import PromotionAction
from mparticle.models.push_message_event import PushMessageEvent
from mparticle.models.push_registration_event import PushRegistrationEvent
from mparticle.models.screen_view_event import ScreenViewEvent
from mparticle.models.session_end_event import SessionEndEvent
from mparticle.models.session_start_event import SessionStartEvent
from mparticle.models.shopping_cart import ShoppingCart
from mparticle.models.source_information import SourceInformation
from mparticle.models.uninstall_event import UninstallEvent
from mparticle.models.user_attribute_change_event import UserAttributeChangeEvent
from mparticle.models.user_identities import UserIdentities
from mparticle.models.user_identity import UserIdentity
from mparticle.models.user_identity_change_event import UserIdentityChangeEvent

__all__ = [
    "ApiResponse",
    "ApiResponseErrors",
    "AppEvent",
    "ApplicationInformation",
    "ApplicationStateTransitionEvent",
    "AttributionInfo",
    "Batch",
    "BatchContext",
    "BreadcrumbEvent",
    "CCPAConsentState",
    "CommerceEvent",
    "ConsentState",
    "CrashReportEvent",
    "DataPlanContext",
    "DeviceCurrentState",
    "DeviceInformation",
    "EventBase",
    "EventData",
    "FirstRunEvent",
    "GDPRConsentState",
    "GeoLocation",
    "MediaInfo",
    "NetworkPerformanceEvent",
    "OptOutEvent",
    "Product",
    "ProductAction",
    "ProductImpression",
    "ProfileEvent",
    "Promotion",
    "PromotionAction",
    "PushMessageEvent",
    "PushRegistrationEvent",
    "ScreenViewEvent",
    "SessionEndEvent",
    "SessionStartEvent",
    "ShoppingCart",
    "SourceInformation",
    "UninstallEvent",
    "UserAttributeChangeEvent",
    "UserIdentities",
    "UserIdentity",
    "UserIdentityChangeEvent",
]
