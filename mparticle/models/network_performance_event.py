"""NetworkPerformanceEvent: a measured network request."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class NetworkPerformanceEvent(Model):
    """A measured network request."""

    event_type = "network_performance"
    fields = (
        *EVENT_FIELDS,
        Field("http_verb"),
        Field("url"),
        Field("time_elapsed", "int"),
        Field("bytes_in", "int"),
        Field("bytes_out", "int"),
        Field("response_code", "int"),
        Field("data"),
        *EXTRA_EVENT_FIELDS,
    )
