"""MediaInfo: legacy media information on a custom event."""

from __future__ import annotations

from mparticle.models.base import Field, Model

ACTIONS = ["unknown", "play", "stop", "update_playback_position", "skip", "rate"]
FORMATS = ["unknown", "audio", "video"]
QUALITYS = ["unknown", "low", "sd", "medium", "hd", "ultra_hd"]


class MediaInfo(Model):
    """Legacy media information on a custom event."""

    fields = (
        Field("action", enum=ACTIONS),
        Field("channel"),
        Field("metadata"),
        Field("timed_metadata"),
        Field("playback_position", "float"),
        Field("format", enum=FORMATS),
        Field("quality", enum=QUALITYS),
        Field("playback_rate", "float"),
    )
