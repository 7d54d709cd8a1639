"""ShoppingCart: the products in the user's cart."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class ShoppingCart(Model):
    """The products in the user's cart."""

    fields = (Field("products", "list[Product]"),)
