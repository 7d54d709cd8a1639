"""ShoppingCart: the products in the user's cart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, List, Optional, Tuple

    from mparticle.models.product import Product


class ShoppingCart(Model):
    """The products in the user's cart."""

    fields: ClassVar[Tuple[Field, ...]] = (Field("products", "list[Product]"),)

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            products: Optional[List[Product]] = None,
        ) -> None: ...

        products: Optional[List[Product]]
