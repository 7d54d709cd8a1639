"""Sending one packed request: POST it to the bulk path (``/bulkevents`` or
``/bulkevents/historical``) through the core's pipeline and retries, split a refused
multi-batch request to isolate the bad batches, and say what happened."""

from __future__ import annotations

from typing import Callable, List, Optional

from mparticle.apis.events_api import EventsApi
from mparticle.limits import BULK_PATH, HISTORICAL_PATH
from mparticle.transport.errors import ApiException
from mparticle.uploader.packing import QueuedBatch, body
from mparticle.uploader.stats import (
    REJECTED,
    RETRIES_EXHAUSTED,
    SHUTDOWN_TIMEOUT,
    UNAUTHORIZED,
    DropReason,
    Outcome,
)

__all__ = ["BULK_PATH", "HISTORICAL_PATH", "Abandoned", "Sender", "drop_reason"]

#: Statuses that may be caused by one batch of a request: split it and send the halves.
SPLIT_STATUSES = frozenset({400, 413})


class Abandoned(Exception):
    """Raised out of a retry wait once the uploader has given up (shutdown deadline passed)."""


def drop_reason(error: ApiException) -> DropReason:
    """The drop reason for a request that failed for good with ``error``."""
    if error.status in (401, 403):
        return UNAUTHORIZED
    if not error.status or error.status == 429 or error.status >= 500:
        return RETRIES_EXHAUSTED
    return REJECTED


class Sender:
    """Posts batches to ``path`` through ``api`` (whose transport retries 429, 5xx and network
    failures).

    ``abandoned()`` tells when to stop trying: remaining batches are then reported as
    ``shutdown_timeout`` without another attempt. ``posting(part, active)`` is told when a part
    goes on the wire (retries and their waits included) and when it is done; ``delivered(n)``
    of every request the server accepted (``n`` batches).
    """

    def __init__(
        self,
        api: EventsApi,
        path: str,
        gzip: bool,
        abandoned: Callable[[], bool],
        posting: Optional[Callable[[List[QueuedBatch], bool], None]] = None,
        delivered: Optional[Callable[[int], None]] = None,
    ) -> None:
        self.api = api
        self.path = path
        self.gzip = gzip
        self.abandoned = abandoned
        self.posting = posting
        self.delivered = delivered

    def send(self, batches: List[QueuedBatch]) -> List[Outcome]:
        """Deliver ``batches`` (one request's worth) and return what happened to each of them."""
        if self.abandoned():
            return [Outcome(batches, SHUTDOWN_TIMEOUT)]
        try:
            if self.posting is None:
                self._post(batches)
            else:
                self.posting(batches, True)
                try:
                    self._post(batches)
                finally:
                    self.posting(batches, False)
        except Abandoned:
            return [Outcome(batches, SHUTDOWN_TIMEOUT)]
        except ApiException as error:
            if error.status in SPLIT_STATUSES and len(batches) > 1:
                middle = len(batches) // 2
                return self.send(batches[:middle]) + self.send(batches[middle:])
            return [Outcome(batches, drop_reason(error), error)]
        if self.delivered is not None:
            self.delivered(len(batches))
        return [Outcome(batches)]

    def _post(self, batches: List[QueuedBatch]) -> None:
        self.api.bulk_upload_encoded(body(batches), path=self.path, gzip=self.gzip, _return_http_data_only=True)
