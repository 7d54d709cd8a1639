"""ApiResponse: the Events API error response body: ``{"errors": [...]}``."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class ApiResponse(Model):
    """The Events API error response body: ``{"errors": [...]}``."""

    fields = (Field("errors", "list[ApiResponseErrors]"),)
