"""ConsentState: gDPR and CCPA consent, each a mapping of purpose name to consent state."""

from __future__ import annotations

from mparticle.models.base import Field, Model


class ConsentState(Model):
    """GDPR and CCPA consent, each a mapping of purpose name to consent state."""

    fields = (
        Field(
            "ccpa",
            "dict",
            factory=dict,
            doc="purpose name (data_sale_opt_out) to CCPAConsentState",
        ),
        Field("gdpr", "dict", factory=dict, doc="purpose name to GDPRConsentState"),
    )
