"""ApiResponse: the Events API error response body: ``{"errors": [...]}``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, List, Optional, Tuple

    from mparticle.models.api_response_errors import ApiResponseErrors


class ApiResponse(Model):
    """The Events API error response body: ``{"errors": [...]}``."""

    fields: ClassVar[Tuple[Field, ...]] = (Field("errors", "list[ApiResponseErrors]"),)

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            errors: Optional[List[ApiResponseErrors]] = None,
        ) -> None: ...

        errors: Optional[List[ApiResponseErrors]]
