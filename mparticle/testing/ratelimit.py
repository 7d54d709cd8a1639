"""The account rate limit, as the local endpoint emulates it for every client together.

mParticle limits an account to a number of batches per second (a *speed* limit, about 270 by
default) and bounds how fast the accepted rate may rise (an *acceleration* limit). It answers
2xx with ``X-mp-rate-limit-percentage-used`` (how much of the limit is in use) and 429 with
``Retry-After`` and ``X-mp-rate-limit-exceeded`` (``account`` or ``acceleration``)
(``shared/spec/schema.md`` section 8). :class:`AccountLimit` decides that for each request:

* speed: a token bucket of ``rate`` batches per second holding at most one second of them;
  a request takes one token per batch, or is refused whole;
* acceleration: in each whole second the accepted batches may exceed those of the second
  before by at most ``acceleration`` (when given).

``X-mp-rate-limit-percentage-used`` is the higher of the speed in use (batches accepted over
the last second, a sliding window, against ``rate``; or how far the bucket is drained, after a
burst) and of the acceleration in use (this second's batches against what it may accept).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable, Dict, Optional, Tuple

from mparticle.limits import RATE_LIMIT_EXCEEDED_HEADER, RATE_LIMIT_PERCENTAGE_HEADER

__all__ = ["AccountLimit", "PERCENTAGE_HEADER", "EXCEEDED_HEADER"]

PERCENTAGE_HEADER = RATE_LIMIT_PERCENTAGE_HEADER
EXCEEDED_HEADER = RATE_LIMIT_EXCEEDED_HEADER


class AccountLimit:
    """One account's limits, shared by every request to the server (thread-safe)."""

    def __init__(
        self,
        rate: float,
        acceleration: Optional[float] = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (isinstance(rate, (int, float)) and rate > 0 and math.isfinite(rate)):
            raise ValueError("rate_limit must be a positive number of batches per second, not %r" % (rate,))
        if acceleration is not None and not (
            isinstance(acceleration, (int, float)) and acceleration > 0 and math.isfinite(acceleration)
        ):
            raise ValueError("acceleration_limit must be None or a positive number, not %r" % (acceleration,))
        self.rate: float = float(rate)  #: batches per second
        self.acceleration: Optional[float] = None if acceleration is None else float(acceleration)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.rate  # a full second's worth to start with
        self._refilled = clock()
        self._second = math.floor(self._refilled)
        self._this_second = 0  # batches accepted in the current whole second
        self._last_second = 0  # ... and in the one before

    def __repr__(self) -> str:
        return "<AccountLimit %g batches/s, acceleration %s>" % (self.rate, self.acceleration)

    def admit(self, batches: int) -> Tuple[bool, Dict[str, str]]:
        """Whether a request of ``batches`` batches is accepted, and the headers to answer with
        (``X-mp-rate-limit-percentage-used``; or ``Retry-After`` and ``X-mp-rate-limit-exceeded``)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._refilled) * self.rate)
            self._refilled = now
            second = math.floor(now)
            if second != self._second:
                self._last_second = self._this_second if second == self._second + 1 else 0
                self._this_second, self._second = 0, second
            if batches > self._tokens:
                wait = (batches - self._tokens) / self.rate
                return False, _refused("account", wait)
            allowed = self._allowed_this_second()
            if allowed is not None and self._this_second + batches > allowed:
                return False, _refused("acceleration", second + 1 - now)
            self._tokens -= batches
            self._this_second += batches
            into = now - second  # how far into this second; the window holds the rest of the last
            recent = self._this_second + self._last_second * (1.0 - into)
            used = 100.0 * max(recent / self.rate, 1.0 - self._tokens / self.rate)
            if allowed is not None:
                used = max(used, 100.0 * self._this_second / allowed)
            return True, {PERCENTAGE_HEADER: str(min(100, max(0, round(used))))}

    def _allowed_this_second(self) -> Optional[float]:
        if self.acceleration is None:
            return None
        return min(self.rate, self._last_second + self.acceleration)


def _refused(reason: str, wait: float) -> Dict[str, str]:
    """A 429's headers: Retry-After in whole seconds (at least 1), and which limit was hit."""
    return {"Retry-After": str(max(1, math.ceil(wait))), EXCEEDED_HEADER: reason}
