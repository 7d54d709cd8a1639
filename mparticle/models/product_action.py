"""ProductAction: what happened to products: purchase, add to cart, refund, ..."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, List, Optional, Tuple

    from mparticle.models.product import Product

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

    fields: ClassVar[Tuple[Field, ...]] = (
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

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            action: Optional[str] = None,
            checkout_step: Optional[int] = None,
            checkout_options: Optional[str] = None,
            product_action_list: Optional[str] = None,
            product_list_source: Optional[str] = None,
            transaction_id: Optional[str] = None,
            affiliation: Optional[str] = None,
            total_amount: Optional[float] = None,
            tax_amount: Optional[float] = None,
            shipping_amount: Optional[float] = None,
            coupon_code: Optional[str] = None,
            products: Optional[List[Product]] = None,
        ) -> None: ...

        action: Optional[str]
        """One of: "unknown", "add_to_cart", "remove_from_cart", "checkout", "checkout_option", "click",
        "view_detail", "purchase", "refund", "add_to_wishlist", "remove_from_wish_list".
        """
        checkout_step: Optional[int]
        checkout_options: Optional[str]
        product_action_list: Optional[str]
        product_list_source: Optional[str]
        transaction_id: Optional[str]
        affiliation: Optional[str]
        total_amount: Optional[float]
        tax_amount: Optional[float]
        shipping_amount: Optional[float]
        coupon_code: Optional[str]
        products: Optional[List[Product]]
