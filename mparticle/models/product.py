"""Product: a product inside a product action, impression or shopping cart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import Any, ClassVar, Dict, Optional, Tuple


class Product(Model):
    """A product inside a product action, impression or shopping cart."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("id"),
        Field("name"),
        Field("brand"),
        Field("category"),
        Field("variant"),
        Field("position", "int"),
        Field("price", "float"),
        Field("quantity", "float"),
        Field("coupon_code"),
        Field("added_to_cart_time_ms", "int"),
        Field("total_product_amount", "float"),
        Field("custom_attributes", "dict(str, str)", hint="Dict[str, Any]"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            id: Optional[str] = None,
            name: Optional[str] = None,
            brand: Optional[str] = None,
            category: Optional[str] = None,
            variant: Optional[str] = None,
            position: Optional[int] = None,
            price: Optional[float] = None,
            quantity: Optional[float] = None,
            coupon_code: Optional[str] = None,
            added_to_cart_time_ms: Optional[int] = None,
            total_product_amount: Optional[float] = None,
            custom_attributes: Optional[Dict[str, Any]] = None,
        ) -> None: ...

        id: Optional[str]
        name: Optional[str]
        brand: Optional[str]
        category: Optional[str]
        variant: Optional[str]
        position: Optional[int]
        price: Optional[float]
        quantity: Optional[float]
        coupon_code: Optional[str]
        added_to_cart_time_ms: Optional[int]
        total_product_amount: Optional[float]
        custom_attributes: Optional[Dict[str, Any]]
