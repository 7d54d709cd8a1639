"""``mparticle.retry``: the import path of the retry policy and Retry-After parsing.

The code lives in :mod:`mparticle.transport.policy`; this module keeps the names importable here.
"""

from mparticle.transport.policy import (
    RETRY_AFTER_LIMIT,
    WAIT_MAX,
    RateLimitGate,
    RetryPolicy,
    bounded_wait,
    parse_retry_after,
    seconds_setting,
)

__all__ = [
    "RETRY_AFTER_LIMIT",
    "WAIT_MAX",
    "RateLimitGate",
    "RetryPolicy",
    "bounded_wait",
    "parse_retry_after",
    "seconds_setting",
]
