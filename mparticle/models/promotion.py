"""Promotion: an internal promotion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class Promotion(Model):
    """An internal promotion."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("id"),
        Field("name"),
        Field("creative"),
        Field("position"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            id: Optional[str] = None,
            name: Optional[str] = None,
            creative: Optional[str] = None,
            position: Optional[str] = None,
        ) -> None: ...

        id: Optional[str]
        name: Optional[str]
        creative: Optional[str]
        position: Optional[str]
