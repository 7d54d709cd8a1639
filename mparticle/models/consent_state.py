"""ConsentState: gDPR and CCPA consent, each a mapping of purpose name to consent state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Dict, Optional, Tuple

    from mparticle.models.ccpa_consent_state import CCPAConsentState
    from mparticle.models.gdpr_consent_state import GDPRConsentState


class ConsentState(Model):
    """GDPR and CCPA consent, each a mapping of purpose name to consent state."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field(
            "ccpa",
            "dict",
            factory=dict,
            hint="Dict[str, CCPAConsentState]",
            doc="purpose name (data_sale_opt_out) to CCPAConsentState",
        ),
        Field("gdpr", "dict", factory=dict, hint="Dict[str, GDPRConsentState]", doc="purpose name to GDPRConsentState"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            ccpa: Optional[Dict[str, CCPAConsentState]] = None,
            gdpr: Optional[Dict[str, GDPRConsentState]] = None,
        ) -> None: ...

        ccpa: Dict[str, CCPAConsentState]
        """Purpose name (data_sale_opt_out) to CCPAConsentState."""
        gdpr: Dict[str, GDPRConsentState]
        """Purpose name to GDPRConsentState."""
