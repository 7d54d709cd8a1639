"""Promotion: an internal promotion."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class Promotion(Model):
    """An internal promotion."""

    fields = (
        Field("id"),
        Field("name"),
        Field("creative"),
        Field("position"),
    )
