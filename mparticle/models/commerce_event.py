"""CommerceEvent: a product, promotion or impression event."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import (
    CUSTOM_EVENT_TYPES,
    EVENT_FIELD_NAMES,
    EVENT_FIELDS_CHECKED,
    EXTRA_EVENT_FIELDS,
)

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

    event_type = "commerce_event"
    fields = (
        *EVENT_FIELDS_CHECKED,
        Field("product_action", "ProductAction"),
        Field("promotion_action", "PromotionAction"),
        Field("product_impressions", "list[ProductImpression]"),
        Field("shopping_cart", "ShoppingCart"),
        Field("currency_code"),
        Field("screen_name"),
        Field("is_non_interactive", "bool"),
        Field("custom_flags", "dict(str, str)"),
        Field("event_name"),
        Field(
            "custom_event_type",
            enum=COMMERCE_EVENT_TYPES,
            doc="derived by mParticle when absent",
        ),
        *EXTRA_EVENT_FIELDS,
    )
    positional = (
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
