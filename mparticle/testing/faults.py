"""Scripted answers of the local endpoint: :class:`Fault`, :class:`FaultPlan` and mParticle's error body."""

from __future__ import annotations

import collections
import json
import random
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Deque, Dict, Iterable, Optional, Tuple

from mparticle.limits import RATE_LIMIT_EXCEEDED_HEADER

__all__ = ["Fault", "FaultPlan", "error_body", "error_headers"]

_ERROR_CODES: Dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "BAD_REQUEST",
    415: "BAD_REQUEST",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    501: "NOT_IMPLEMENTED",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
_DEFAULT_MESSAGES: Dict[int, str] = {
    429: "Rate limit exceeded.",
    503: "Service unavailable.",
}


def error_body(status: int, message: Optional[str] = None, *more: str) -> bytes:
    """Return mParticle's JSON error body for ``status`` (``{"errors": [{code, message}, ...]}``).

    One error per message: ``message`` (default: the status's usual text), then ``more``.
    """
    code = _ERROR_CODES.get(status, "BAD_REQUEST" if 400 <= status < 500 else "ERROR")
    if message is None:
        message = _DEFAULT_MESSAGES.get(status) or BaseHTTPRequestHandler.responses.get(status, ("Error",))[0]
    return json.dumps({"errors": [{"code": code, "message": m} for m in (message, *more)]}).encode()


def error_headers(status: int) -> Dict[str, str]:
    """The headers mParticle sends with an error ``status`` (429: the rate-limit header)."""
    return {RATE_LIMIT_EXCEEDED_HEADER: "app"} if status == 429 else {}


@dataclass(frozen=True)
class Fault:
    """One scripted answer.

    ``status``: the status to answer with. A ``202`` fault without ``body`` and
    without ``drop`` is a *pass-through*: the request is processed normally (so
    ``Fault(delay=2.0)`` means "answer normally, but late"); any other fault answers
    with its status without looking at the request (error statuses get mParticle's
    error body unless ``body`` is given). ``retry_after``: a ``Retry-After`` header.
    ``drop``: close the connection without any response (after reading the request).
    ``delay``: seconds to wait before answering. ``headers``: extra response headers.
    """

    status: int = 202
    retry_after: Optional[str] = None
    drop: bool = False
    delay: float = 0.0
    body: Optional[bytes] = None
    headers: Optional[Dict[str, str]] = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be within 100..599, got {self.status}")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        values = [self.retry_after or ""]
        if self.headers:
            values.extend(f"{k}{v}" for k, v in self.headers.items())
        if any("\r" in v or "\n" in v for v in values):
            raise ValueError("header names and values must not contain CR or LF")

    @property
    def passthrough(self) -> bool:
        """True when the request is processed normally (202, no body, not dropped)."""
        return self.status == 202 and self.body is None and not self.drop

    def response_headers(self) -> Dict[str, str]:
        """Headers this fault adds to its answer."""
        headers = {} if self.passthrough else error_headers(self.status)
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        if self.headers:
            headers.update(self.headers)
        return headers


class FaultPlan:
    """Which answer the next POST gets: scripted faults first, in order, then random ones.

    Also holds ``hang``, the wait before every answer. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: Deque[Fault] = collections.deque()
        self._rates: Optional[Tuple[float, float, float]] = None
        self._retry_after: Optional[str] = None
        self._rng = random.Random()
        self._hang = 0.0

    def script(self, faults: Iterable[Fault]) -> None:
        """Queue ``faults`` after those already queued."""
        queued = list(faults)
        with self._lock:
            self._script.extend(queued)

    @property
    def remaining(self) -> int:
        """Number of scripted faults not used yet."""
        with self._lock:
            return len(self._script)

    def set_rates(
        self, throttle: float, throttle_retry_after: Optional[str], unavailable: float, drop: float, seed: Optional[int]
    ) -> None:
        """Draw 429 / 503 / drop faults at these rates (all zeros: none); see ``LocalEventsServer``."""
        rates = (throttle, unavailable, drop)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be within [0, 1] and sum to at most 1")
        with self._lock:
            self._rates = rates if any(rates) else None
            self._retry_after = throttle_retry_after
            self._rng = random.Random(seed)

    @property
    def hang(self) -> float:
        """Seconds every request waits before it is answered."""
        return self._hang

    def set_hang(self, seconds: float) -> None:
        """Make every request wait ``seconds`` before it is answered (0: no wait)."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._hang = float(seconds)

    def clear(self) -> None:
        """Drop scripted faults, random rates and ``hang`` (the random generator is kept)."""
        with self._lock:
            self._script.clear()
            self._rates = None
            self._retry_after = None
            self._hang = 0.0

    def next(self) -> Optional[Fault]:
        """The fault for the next POST, or None to answer it normally."""
        with self._lock:
            if self._script:
                return self._script.popleft()
            if self._rates is None:
                return None
            return self._draw(*self._rates)

    def _draw(self, throttle: float, unavailable: float, drop: float) -> Optional[Fault]:
        r = self._rng.random()
        if r < throttle:
            retry_after = self._retry_after
            if retry_after == "mixed":
                retry_after = "0" if self._rng.random() < 0.5 else None
            return Fault(status=429, retry_after=retry_after)
        if r < throttle + unavailable:
            return Fault(status=503)
        if r < throttle + unavailable + drop:
            return Fault(drop=True)
        return None
