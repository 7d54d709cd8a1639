"""ProductAction: what happened to products: purchase, add to cart, refund, ..."""

from __future__ import annotations

from mparticle.models.base import Field, Model

ACTIONS = [
    "unknown",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "checkout_option",
    "click",
    "view_detail",
    "purchase",
    "refund",
    "add_to_wishlist",
    "remove_from_wish_list",
]


class ProductAction(Model):
    """What happened to products: purchase, add to cart, refund, ..."""

    fields = (
        Field("action", enum=ACTIONS),
        Field("checkout_step", "int"),
        Field("checkout_options"),
        Field("product_action_list"),
        Field("product_list_source"),
        Field("transaction_id"),
        Field("affiliation"),
        Field("total_amount", "float"),
        Field("tax_amount", "float"),
        Field("shipping_amount", "float"),
        Field("coupon_code"),
        Field("products", "list[Product]"),
    )
