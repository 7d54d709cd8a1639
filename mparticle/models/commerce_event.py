"""CommerceEvent: a product, promotion or impression event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model
from mparticle.models.shared import (
    CUSTOM_EVENT_TYPES,
    EVENT_FIELD_NAMES,
    EVENT_FIELDS_CHECKED,
    EXTRA_EVENT_FIELDS,
)

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import Any, ClassVar, Dict, List, Optional, Tuple

    from mparticle.models.device_current_state import DeviceCurrentState
    from mparticle.models.geo_location import GeoLocation
    from mparticle.models.product_action import ProductAction
    from mparticle.models.product_impression import ProductImpression
    from mparticle.models.promotion_action import PromotionAction
    from mparticle.models.shopping_cart import ShoppingCart

COMMERCE_EVENT_TYPES = [
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "checkout_option",
    "click",
    "view_detail",
    "purchase",
    "refund",
    "promotion_view",
    "promotion_click",
    "add_to_wishlist",
    "remove_from_wishlist",
    "impression",
    # The Events API schema also accepts the custom event types and these on commerce events.
    *(t for t in CUSTOM_EVENT_TYPES if t != "unknown"),
    "consent_granted",
    "consent_denied",
]


class CommerceEvent(Model):
    """A product, promotion or impression event."""

    event_type: Optional[str] = "commerce_event"
    fields: ClassVar[Tuple[Field, ...]] = (
        *EVENT_FIELDS_CHECKED,
        Field("product_action", "ProductAction"),
        Field("promotion_action", "PromotionAction"),
        Field("product_impressions", "list[ProductImpression]"),
        Field("shopping_cart", "ShoppingCart"),
        Field("currency_code"),
        Field("screen_name"),
        Field("is_non_interactive", "bool"),
        Field("custom_flags", "dict(str, str)", hint="Dict[str, Any]"),
        Field("event_name"),
        Field(
            "custom_event_type",
            enum=COMMERCE_EVENT_TYPES,
            doc="derived by mParticle when absent",
        ),
        *EXTRA_EVENT_FIELDS,
    )
    positional: ClassVar[Optional[Tuple[str, ...]]] = (
        "product_action",
        *EVENT_FIELD_NAMES,
        "promotion_action",
        "product_impressions",
        "shopping_cart",
        "currency_code",
        "screen_name",
        "is_non_interactive",
        "custom_flags",
    )

    def _validate(self) -> None:
        if self.product_action is None and self.product_impressions is None and self.promotion_action is None:
            raise ValueError("At least one of: product_action, product_impressions, or promotion_action is required.")

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            product_action: Optional[ProductAction] = None,
            timestamp_unixtime_ms: Optional[int] = None,
            event_id: Optional[int] = None,
            source_message_id: Optional[str] = None,
            session_id: Optional[int] = None,
            session_uuid: Optional[str] = None,
            custom_attributes: Optional[Dict[str, Any]] = None,
            location: Optional[GeoLocation] = None,
            device_current_state: Optional[DeviceCurrentState] = None,
            promotion_action: Optional[PromotionAction] = None,
            product_impressions: Optional[List[ProductImpression]] = None,
            shopping_cart: Optional[ShoppingCart] = None,
            currency_code: Optional[str] = None,
            screen_name: Optional[str] = None,
            is_non_interactive: Optional[bool] = None,
            custom_flags: Optional[Dict[str, Any]] = None,
            event_name: Optional[str] = None,
            custom_event_type: Optional[str] = None,
            session_start_unixtime_ms: Optional[int] = None,
            event_start_unixtime_ms: Optional[int] = None,
            is_goal_defined: Optional[bool] = None,
            lifetime_value_change: Optional[float] = None,
            lifetime_value_attribute_name: Optional[str] = None,
            data_connection_type: Optional[str] = None,
            event_num: Optional[int] = None,
            view_controller: Optional[str] = None,
            is_main_thread: Optional[bool] = None,
            canonical_name: Optional[str] = None,
            event_system_notification_info: Optional[Dict[str, str]] = None,
        ) -> None: ...

        timestamp_unixtime_ms: Optional[int]
        """Event time, epoch milliseconds."""
        event_id: Optional[int]
        source_message_id: Optional[str]
        """Unique id of this event (a UUID is suggested)."""
        session_id: Optional[int]
        session_uuid: Optional[str]
        custom_attributes: Optional[Dict[str, Any]]
        """Flat attributes: values are str, int, float, bool or None."""
        location: Optional[GeoLocation]
        device_current_state: Optional[DeviceCurrentState]
        product_action: Optional[ProductAction]
        promotion_action: Optional[PromotionAction]
        product_impressions: Optional[List[ProductImpression]]
        shopping_cart: Optional[ShoppingCart]
        currency_code: Optional[str]
        screen_name: Optional[str]
        is_non_interactive: Optional[bool]
        custom_flags: Optional[Dict[str, Any]]
        event_name: Optional[str]
        custom_event_type: Optional[str]
        """Derived by mParticle when absent; one of: "add_to_cart", "remove_from_cart", "checkout",
        "checkout_option", "click", "view_detail", "purchase", "refund", "promotion_view", "promotion_click",
        "add_to_wishlist", "remove_from_wishlist", "impression", "navigation", "location", "search",
        "transaction", "user_content", "user_preference", "social", "other", "attribution", "media",
        "consent_granted", "consent_denied".
        """
        session_start_unixtime_ms: Optional[int]
        event_start_unixtime_ms: Optional[int]
        is_goal_defined: Optional[bool]
        lifetime_value_change: Optional[float]
        lifetime_value_attribute_name: Optional[str]
        data_connection_type: Optional[str]
        event_num: Optional[int]
        view_controller: Optional[str]
        is_main_thread: Optional[bool]
        canonical_name: Optional[str]
        event_system_notification_info: Optional[Dict[str, str]]
