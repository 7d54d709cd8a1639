"""Product: a product inside a product action, impression or shopping cart."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class Product(Model):
    """A product inside a product action, impression or shopping cart."""

    fields = (
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
        Field("custom_attributes", "dict(str, str)"),
    )
