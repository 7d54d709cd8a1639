"""The retry policy: a small immutable value object the transport consults.

Retried: 429 (honouring Retry-After), 5xx and connection failures, with exponential
backoff and full jitter, bounded by a number of retries and a total time budget that
includes the attempts themselves. 4xx other than 429 are never retried.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Callable, FrozenSet, NamedTuple, Optional, Union

__all__ = ["RateLimitGate", "RetryPolicy", "parse_retry_after"]


class RetryPolicy(NamedTuple):
    """How many times, and how long, to retry a failed request.

    Defaults suit a web request thread: at most 3 retries, waits of 0.25 s doubling up to 2 s
    (each drawn uniformly from ``[0, cap]``), and never more than ``total_timeout`` seconds
    for the whole call. A Retry-After longer than the remaining budget is not waited for.
    """

    max_retries: int = 3
    backoff_base: float = 0.25
    backoff_max: float = 2.0
    total_timeout: float = 10.0
    retry_statuses: FrozenSet[int] = frozenset({429, 500, 502, 503, 504})
    retry_connection_errors: bool = True

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        """A policy that never retries."""
        return cls(max_retries=0)

    @classmethod
    def coerce(cls, value: Union["RetryPolicy", int, bool, None]) -> "RetryPolicy":
        """Accept a policy, a retry count, or False/None for no retries."""
        if isinstance(value, RetryPolicy):
            return value
        if value is None or value is False:
            return cls.disabled()
        if value is True:
            return cls()
        if isinstance(value, int) and value >= 0:
            return cls(max_retries=value)
        raise ValueError(f"Invalid value for `retries` ({value!r}): expected a RetryPolicy, an int >= 0 or None")

    def with_(self, **changes: Any) -> "RetryPolicy":
        """A copy with some settings changed."""
        return self._replace(**changes)

    def should_retry_status(self, status: int) -> bool:
        """True when a response with this status is worth another attempt."""
        return status in self.retry_statuses or (status >= 500 and 500 in self.retry_statuses)

    def backoff(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """Full-jitter wait before retry ``retry_number`` (1-based): uniform in [0, cap]."""
        cap = min(self.backoff_max, self.backoff_base * (2 ** (retry_number - 1)))
        return cap * rng()


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent
    or unparseable, never negative."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class RateLimitGate:
    """Per-client memory of the server's "wait until" (429 with Retry-After). Thread-safe.

    While the deadline has not passed, requests either wait for it (when the caller's time
    budget allows) or fail at once without touching the network.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0
        self._response: Any = None

    def block(self, seconds: float, response: Any) -> None:
        """Remember that the server asked for ``seconds`` of quiet (keeps the later deadline)."""
        with self._lock:
            until = self._clock() + seconds
            if until > self._until:
                self._until = until
                self._response = response

    def remaining(self) -> float:
        """Seconds left before requests may go out again (0 when open)."""
        with self._lock:
            return max(0.0, self._until - self._clock())

    @property
    def response(self) -> Any:
        """The 429 response that closed the gate most recently."""
        with self._lock:
            return self._response
