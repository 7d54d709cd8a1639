"""The retry policy: a small immutable value object the transport consults.

Retried: 429 (honouring Retry-After), the listed 5xx statuses and connection failures, with
exponential backoff and full jitter, bounded by a number of retries and a total time budget
that includes the attempts themselves. 4xx other than 429 are never retried.

Nothing a server sends can make a wait unbounded: :func:`parse_retry_after` never returns
more than :data:`RETRY_AFTER_LIMIT`, and the transport clamps every Retry-After it honours
to :meth:`RetryPolicy.retry_after_cap` (the time budget unless ``max_retry_after`` says
otherwise).
"""

from __future__ import annotations

import math
import numbers
import random
import threading
import time
from dataclasses import dataclass, fields
from typing import Any, Callable, Dict, FrozenSet, Iterable, Optional, Union

__all__ = ["RETRY_AFTER_LIMIT", "RateLimitGate", "RetryPolicy", "parse_retry_after", "seconds_setting"]

#: The longest wait any Retry-After value is read as (one day), whatever the server sent.
RETRY_AFTER_LIMIT = 86400.0
#: Longest wait handed to ``time.sleep``/``Event.wait``/sockets (they overflow beyond it).
WAIT_MAX = min(threading.TIMEOUT_MAX, 1e9)


def seconds_setting(name: str, value: Any, *, none_is_infinite: bool = True) -> float:
    """``value`` as a number of seconds >= 0 (``inf`` allowed; None means ``inf`` when
    ``none_is_infinite``), or ValueError naming the setting ``name``."""
    if value is None and none_is_infinite:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        no_limit = "float('inf') or None" if none_is_infinite else "float('inf')"
        raise ValueError(f"Invalid value for `{name}` ({value!r}): expected a number of seconds >= 0 or {no_limit}")
    seconds = float(value)
    if not seconds >= 0:  # also NaN
        raise ValueError(f"Invalid value for `{name}` ({value!r}): expected a number of seconds >= 0")
    return seconds


def bounded_wait(seconds: float) -> float:
    """``seconds`` clamped to what sleep/wait/socket calls accept (0..WAIT_MAX)."""
    return min(max(seconds, 0.0), WAIT_MAX)


_DEFAULT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, init=False)
class RetryPolicy:
    """How many times, and how long, to retry a failed request. Immutable and hashable.

    Defaults suit a web request thread: at most 3 retries, waits of 0.25 s doubling up to 2 s
    (each drawn uniformly from ``[0, cap]``), and never more than ``total_timeout`` seconds
    for the whole call (``float('inf')``: no time budget). A Retry-After is honoured up to
    ``max_retry_after`` seconds (None: up to ``total_timeout``); a longer one is clamped to
    that, and a wait that does not fit in the remaining budget is not waited for.

    ``retry_statuses`` is exact: a response is retried when its status is in the set and
    never otherwise (``500`` means 500 only, not "any 5xx"; ``{429}`` retries nothing but
    429; a 4xx listed there is retried too). Connection failures (status 0) are governed by
    ``retry_connection_errors`` alone; TLS verification failures are never retried.

    Fields are checked on creation (ValueError naming the field); any iterable of statuses
    is stored as a frozenset.
    """

    __slots__ = (
        "max_retries",
        "backoff_base",
        "backoff_max",
        "total_timeout",
        "retry_statuses",
        "retry_connection_errors",
        "max_retry_after",
    )
    max_retries: int
    backoff_base: float
    backoff_max: float
    total_timeout: float
    retry_statuses: FrozenSet[int]
    retry_connection_errors: bool
    max_retry_after: Optional[float]

    def __init__(
        self,
        max_retries: int = 3,
        backoff_base: float = 0.25,
        backoff_max: float = 2.0,
        total_timeout: float = 10.0,
        retry_statuses: Iterable[int] = _DEFAULT_STATUSES,
        retry_connection_errors: bool = True,
        max_retry_after: Optional[float] = None,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"Invalid value for `max_retries` ({max_retries!r}): expected an int >= 0")
        for name, value in (("backoff_base", backoff_base), ("backoff_max", backoff_max)):
            if not math.isfinite(seconds_setting(name, value, none_is_infinite=False)):
                raise ValueError(f"Invalid value for `{name}` ({value!r}): expected a finite number of seconds >= 0")
        seconds_setting("total_timeout", total_timeout, none_is_infinite=False)
        if max_retry_after is not None:
            seconds_setting("max_retry_after", max_retry_after, none_is_infinite=False)
        set_ = object.__setattr__
        set_(self, "max_retries", max_retries)
        set_(self, "backoff_base", backoff_base)
        set_(self, "backoff_max", backoff_max)
        set_(self, "total_timeout", total_timeout)
        set_(self, "retry_statuses", _statuses(retry_statuses))
        set_(self, "retry_connection_errors", retry_connection_errors)
        set_(self, "max_retry_after", max_retry_after)

    def __reduce__(self) -> Any:  # frozen and slotted: pickle through the constructor
        return (type(self), tuple(getattr(self, f.name) for f in fields(self)))

    def _asdict(self) -> Dict[str, Any]:
        """The settings as a dict (field name to value)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

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
        """A copy with some settings changed (checked like a new policy)."""
        return type(self)(**{**self._asdict(), **changes})

    _replace = with_  # the name it had as a NamedTuple

    def should_retry_status(self, status: int) -> bool:
        """True when a response with this status is worth another attempt: exactly the
        statuses in ``retry_statuses``."""
        return status in self.retry_statuses

    def backoff(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """Full-jitter wait before retry ``retry_number`` (1-based): uniform in [0, cap]."""
        doublings = min(max(retry_number - 1, 0), 64)  # 2**64 dwarfs any backoff_max
        cap = min(self.backoff_max, self.backoff_base * (2.0**doublings))
        return cap * rng()

    def retry_after_cap(self) -> float:
        """The longest Retry-After this policy honours (finite, at most RETRY_AFTER_LIMIT)."""
        cap = self.total_timeout if self.max_retry_after is None else self.max_retry_after
        return min(cap, RETRY_AFTER_LIMIT)

    def clamp_retry_after(self, seconds: float) -> float:
        """``seconds`` (from :func:`parse_retry_after`) clamped to :meth:`retry_after_cap`."""
        return min(max(seconds, 0.0), self.retry_after_cap())


def _statuses(value: Any) -> FrozenSet[int]:
    """``value`` (an iterable of HTTP statuses) as a frozenset, or ValueError."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"Invalid value for `retry_statuses` ({value!r}): expected a set of HTTP statuses")
    statuses = frozenset(value)
    if any(isinstance(s, bool) or not isinstance(s, int) for s in statuses):
        raise ValueError(f"Invalid value for `retry_statuses` ({value!r}): expected a set of HTTP statuses")
    return statuses


def parse_retry_after(value: Any, now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    Never raises. Returns None when absent or unparseable (also NaN), else a finite number
    in ``[0, RETRY_AFTER_LIMIT]``: negative values and past dates give 0, huge values,
    ``inf`` and far-future dates give RETRY_AFTER_LIMIT. Dates without a zone are GMT.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        until = _seconds_until_date(value, time.time() if now is None else now)
        if until is None:
            return None
        seconds = until
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_LIMIT)


def _seconds_until_date(value: str, now: float) -> Optional[float]:
    import datetime
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
        if when is None:  # Python < 3.10 for some unparseable input
            return None
        if when.tzinfo is None:  # "-0000": HTTP dates are always GMT
            when = when.replace(tzinfo=datetime.timezone.utc)
        return when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None


class RateLimitGate:
    """Per-client memory of the server's "wait until" (429 with Retry-After). Thread-safe.

    While the deadline has not passed, requests either wait for it (when the caller's time
    budget allows) or fail at once without touching the network. ``block`` never closes
    the gate for more than RETRY_AFTER_LIMIT seconds, whatever it is given; the transport
    clamps further, to its policy's :meth:`RetryPolicy.retry_after_cap`, and then marks the
    closure ``capped``: the server asked for longer, so waiting it out is pointless and
    interactive callers fail at once instead.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0
        self._response: Any = None
        self._capped = False

    def block(self, seconds: float, response: Any, capped: bool = False) -> None:
        """Remember that the server asked for ``seconds`` of quiet (keeps the later deadline).
        ``capped``: ``seconds`` is shorter than what the server asked for."""
        if not seconds > 0:  # also NaN
            return
        capped = capped or seconds > RETRY_AFTER_LIMIT
        seconds = min(seconds, RETRY_AFTER_LIMIT)
        with self._lock:
            until = self._clock() + seconds
            if until > self._until:
                self._until = until
                self._response = response
                self._capped = capped

    def remaining(self) -> float:
        """Seconds left before requests may go out again (0 when open)."""
        with self._lock:
            return max(0.0, self._until - self._clock())

    @property
    def response(self) -> Any:
        """The 429 response that closed the gate most recently."""
        with self._lock:
            return self._response

    @property
    def capped(self) -> bool:
        """True when the current closure is shorter than the server asked for."""
        with self._lock:
            return self._capped
