"""ApiResponseErrors: one entry of an error response: ``code`` and ``message``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class ApiResponseErrors(Model):
    """One entry of an error response: ``code`` and ``message``."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("code"),
        Field("message"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            code: Optional[str] = None,
            message: Optional[str] = None,
        ) -> None: ...

        code: Optional[str]
        message: Optional[str]
