"""GDPRConsentState: a GDPR consent purpose (a value of ``ConsentState.gdpr``)."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class GDPRConsentState(Model):
    """A GDPR consent purpose (a value of ``ConsentState.gdpr``)."""

    fields = (
        Field("document"),
        Field("consented", "bool"),
        Field("timestamp_unixtime_ms", "int"),
        Field("location"),
        Field("hardware_id"),
        Field("regulation"),
    )
