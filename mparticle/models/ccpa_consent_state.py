"""CCPAConsentState: a CCPA consent purpose (the ``data_sale_opt_out`` value of ``ConsentState.ccpa``)."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class CCPAConsentState(Model):
    """A CCPA consent purpose (the ``data_sale_opt_out`` value of ``ConsentState.ccpa``)."""

    fields = (
        Field("document"),
        Field("consented", "bool"),
        Field("timestamp_unixtime_ms", "int"),
        Field("location"),
        Field("hardware_id"),
        Field("regulation"),
    )
