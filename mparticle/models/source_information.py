"""SourceInformation: where a batch came from (populated by mParticle)."""

from __future__ import annotations

from mparticle.models.base import Field, Model

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

    fields = (
        Field("channel", enum=CHANNELS),
        Field("partner"),
        Field("replay_request_id"),
        Field("replay_job_id"),
        Field("is_historical", "bool"),
    )
