"""ApiResponseErrors: one entry of an error response: ``code`` and ``message``."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class ApiResponseErrors(Model):
    """One entry of an error response: ``code`` and ``message``."""

    fields = (
        Field("code"),
        Field("message"),
    )
