"""PromotionAction: a view of or click on promotions."""

from __future__ import annotations

from mparticle.models.base import Field, Model

ACTIONS = ["unknown", "view", "click"]


class PromotionAction(Model):
    """A view of or click on promotions."""

    fields = (
        Field("action", enum=ACTIONS),
        Field("promotions", "list[Promotion]"),
    )
