"""ProductImpression: a list of products shown to the user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, List, Optional, Tuple

    from mparticle.models.product import Product


class ProductImpression(Model):
    """A list of products shown to the user."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("product_impression_list"),
        Field("products", "list[Product]"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            product_impression_list: Optional[str] = None,
            products: Optional[List[Product]] = None,
        ) -> None: ...

        product_impression_list: Optional[str]
        products: Optional[List[Product]]
