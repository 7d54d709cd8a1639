"""DataPlanContext: the data plan (id and version) a batch conforms to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class DataPlanContext(Model):
    """The data plan (id and version) a batch conforms to."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("plan_id"),
        Field("plan_version", "int"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            plan_id: Optional[str] = None,
            plan_version: Optional[int] = None,
        ) -> None: ...

        plan_id: Optional[str]
        plan_version: Optional[int]
