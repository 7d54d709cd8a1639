"""UserIdentities: the user's identities by type (``Batch.user_identities``)."""

from __future__ import annotations

from typing import Optional

from mparticle.models.base import Field, Model


class UserIdentities(Model):
    """The user's identities by type (``Batch.user_identities``)."""

    fields = (
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
        return self.customerid  # type: ignore[no-any-return]

    @customer_id.setter
    def customer_id(self, value: Optional[str]) -> None:
        self.customerid = value
