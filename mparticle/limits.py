"""The Events API's service limits, endpoint paths and rate-limit headers, in one place.

Everything that needs them reads them here: ``Configuration`` (its defaults), validation, the
uploader, the CLI and the embedded endpoint. Source: mParticle's default service limits,
https://docs.mparticle.com/guides/default-service-limits/ (KB = 1024 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BULK_PATH",
    "EVENTS_PATH",
    "HISTORICAL_PATH",
    "LIMITS",
    "API_PREFIX",
    "RATE_LIMIT_EXCEEDED_HEADER",
    "RATE_LIMIT_PERCENTAGE_HEADER",
    "Limits",
]

#: Paths relative to the versioned base URL (``https://s2s.mparticle.com/v2``).
EVENTS_PATH = "/events"  #: one batch
BULK_PATH = "/bulkevents"  #: up to ``max_batches_per_request`` batches, real-time processing
HISTORICAL_PATH = "/bulkevents/historical"  #: bulk backfills of data older than 30 days
#: The version prefix of the base URL (the embedded endpoint serves the full paths).
API_PREFIX = "/v2"
#: On 2xx: how much of the account's rate limit is in use (0-100).
RATE_LIMIT_PERCENTAGE_HEADER = "X-mp-rate-limit-percentage-used"
#: On 429: which limit was exceeded (``account``, ``org``, ..., ``acceleration``).
RATE_LIMIT_EXCEEDED_HEADER = "X-mp-rate-limit-exceeded"


@dataclass(frozen=True)
class Limits:
    """Size and count limits of one Events API request."""

    max_batch_bytes: int = 128 * 1024  #: one serialized batch
    max_request_bytes: int = 256 * 1024  #: one request body
    max_batches_per_request: int = 100  #: batches in one bulk request


#: The limits mParticle enforces.
LIMITS = Limits()
