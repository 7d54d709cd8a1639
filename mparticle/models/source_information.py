"""SourceInformation: where a batch came from (populated by mParticle)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple

CHANNELS = [
    "unknown",
    "native",
    "javascript",
    "pixel",
    "desktop",
    "partner",
    "server_to_server",
    "All",
]


class SourceInformation(Model):
    """Where a batch came from (populated by mParticle)."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("channel", enum=CHANNELS),
        Field("partner"),
        Field("replay_request_id"),
        Field("replay_job_id"),
        Field("is_historical", "bool"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            channel: Optional[str] = None,
            partner: Optional[str] = None,
            replay_request_id: Optional[str] = None,
            replay_job_id: Optional[str] = None,
            is_historical: Optional[bool] = None,
        ) -> None: ...

        channel: Optional[str]
        """One of: "unknown", "native", "javascript", "pixel", "desktop", "partner", "server_to_server", "All"."""
        partner: Optional[str]
        replay_request_id: Optional[str]
        replay_job_id: Optional[str]
        is_historical: Optional[bool]
