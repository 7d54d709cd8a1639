"""MediaInfo: legacy media information on a custom event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mparticle.models.base import Field, Model

if TYPE_CHECKING:  # names the generated type declarations use
    from typing import ClassVar, Optional, Tuple

ACTIONS = ["unknown", "play", "stop", "update_playback_position", "skip", "rate"]
FORMATS = ["unknown", "audio", "video"]
QUALITYS = ["unknown", "low", "sd", "medium", "hd", "ultra_hd"]


class MediaInfo(Model):
    """Legacy media information on a custom event."""

    fields: ClassVar[Tuple[Field, ...]] = (
        Field("action", enum=ACTIONS),
        Field("channel"),
        Field("metadata"),
        Field("timed_metadata"),
        Field("playback_position", "float"),
        Field("format", enum=FORMATS),
        Field("quality", enum=QUALITYS),
        Field("playback_rate", "float"),
    )

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(
            self,
            action: Optional[str] = None,
            channel: Optional[str] = None,
            metadata: Optional[str] = None,
            timed_metadata: Optional[str] = None,
            playback_position: Optional[float] = None,
            format: Optional[str] = None,
            quality: Optional[str] = None,
            playback_rate: Optional[float] = None,
        ) -> None: ...

        action: Optional[str]
        """One of: "unknown", "play", "stop", "update_playback_position", "skip", "rate"."""
        channel: Optional[str]
        metadata: Optional[str]
        timed_metadata: Optional[str]
        playback_position: Optional[float]
        format: Optional[str]
        """One of: "unknown", "audio", "video"."""
        quality: Optional[str]
        """One of: "unknown", "low", "sd", "medium", "hd", "ultra_hd"."""
        playback_rate: Optional[float]
