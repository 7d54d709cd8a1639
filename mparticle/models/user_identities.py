"""UserIdentities: the user's identities by type (``Batch.user_identities``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Tuple


class UserIdentities(Model):
    """The user's identities by type (``Batch.user_identities``)."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("other"),
        Field(
            "customerid",
            key="customer_id",
            doc="sent as customer_id; also settable as customer_id",
        ),
        Field("facebook"),
        Field("twitter"),
        Field("google"),
        Field("microsoft"),
        Field("yahoo"),
        Field("email"),
        Field("alias"),
        Field("facebook_custom_audience_id"),
        Field("other_id_2"),
        Field("other_id_3"),
        Field("other_id_4"),
        Field("other_id_5"),
        Field("other_id_6"),
        Field("other_id_7"),
        Field("other_id_8"),
        Field("other_id_9"),
        Field("other_id_10"),
        Field("mobile_number"),
        Field("phone_number_2"),
        Field("phone_number_3"),
    )

    @property
    def customer_id(self) -> Optional[str]:
        """Alias of ``customerid`` under its wire name."""
        return self.customerid

    @customer_id.setter
    def customer_id(self, value: Optional[str]) -> None:
        self.customerid = value

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            other: Optional[str] = None,
            customerid: Optional[str] = None,
            facebook: Optional[str] = None,
            twitter: Optional[str] = None,
            google: Optional[str] = None,
            microsoft: Optional[str] = None,
            yahoo: Optional[str] = None,
            email: Optional[str] = None,
            alias: Optional[str] = None,
            facebook_custom_audience_id: Optional[str] = None,
            other_id_2: Optional[str] = None,
            other_id_3: Optional[str] = None,
            other_id_4: Optional[str] = None,
            other_id_5: Optional[str] = None,
            other_id_6: Optional[str] = None,
            other_id_7: Optional[str] = None,
            other_id_8: Optional[str] = None,
            other_id_9: Optional[str] = None,
            other_id_10: Optional[str] = None,
            mobile_number: Optional[str] = None,
            phone_number_2: Optional[str] = None,
            phone_number_3: Optional[str] = None,
        ) -> None: ...

        other: Optional[str]
        customerid: Optional[str]
        """Sent as customer_id; also settable as customer_id."""
        facebook: Optional[str]
        twitter: Optional[str]
        google: Optional[str]
        microsoft: Optional[str]
        yahoo: Optional[str]
        email: Optional[str]
        alias: Optional[str]
        facebook_custom_audience_id: Optional[str]
        other_id_2: Optional[str]
        other_id_3: Optional[str]
        other_id_4: Optional[str]
        other_id_5: Optional[str]
        other_id_6: Optional[str]
        other_id_7: Optional[str]
        other_id_8: Optional[str]
        other_id_9: Optional[str]
        other_id_10: Optional[str]
        mobile_number: Optional[str]
        phone_number_2: Optional[str]
        phone_number_3: Optional[str]
