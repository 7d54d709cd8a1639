"""ProductImpression: a list of products shown to the user."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class ProductImpression(Model):
    """A list of products shown to the user."""

    fields = (
        Field("product_impression_list"),
        Field("products", "list[Product]"),
    )
