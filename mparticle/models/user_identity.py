"""UserIdentity: one identity, as carried by a user identity change event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model
from mparticle.models.shared import IDENTITY_TYPES

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple


class UserIdentity(Model):
    """One identity of a user: its type, value and when it was set."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("identity_type", enum=IDENTITY_TYPES),
        Field("identity"),
        Field("timestamp_unixtime_ms", "int"),
        Field("created_this_batch", "bool"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            identity_type: Optional[str] = None,
            identity: Optional[str] = None,
            timestamp_unixtime_ms: Optional[int] = None,
            created_this_batch: Optional[bool] = None,
        ) -> None: ...

        identity_type: Optional[str]
        """One of: "other", "customer_id", "facebook", "twitter", "google", "microsoft", "yahoo", "email", "alias",
        "facebook_custom_audience_id", "other_id_2", "other_id_3", "other_id_4", "other_id_5", "other_id_6",
        "other_id_7", "other_id_8", "other_id_9", "other_id_10", "mobile_number", "phone_number_2",
        "phone_number_3".
        """
        identity: Optional[str]
        timestamp_unixtime_ms: Optional[int]
        created_this_batch: Optional[bool]
