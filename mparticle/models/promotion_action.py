"""PromotionAction: a view of or click on promotions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, List, Optional, Tuple

    from mparticle.models.promotion import Promotion

ACTIONS = ["unknown", "view", "click"]


class PromotionAction(Model):
    """A view of or click on promotions."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("action", enum=ACTIONS),
        Field("promotions", "list[Promotion]"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            action: Optional[str] = None,
            promotions: Optional[List[Promotion]] = None,
        ) -> None: ...

        action: Optional[str]
        """One of: "unknown", "view", "click"."""
        promotions: Optional[List[Promotion]]
