"""Scripted answers of the local endpoint: :class:`Fault` and mParticle's JSON error body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Dict, Optional

__all__ = ["Fault", "error_body"]

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


def error_body(status: int, message: Optional[str] = None) -> bytes:
    """Return mParticle's JSON error body for ``status`` (``{"errors": [{code, message}]}``)."""
    code = _ERROR_CODES.get(status, "BAD_REQUEST" if 400 <= status < 500 else "ERROR")
    if message is None:
        message = _DEFAULT_MESSAGES.get(status) or BaseHTTPRequestHandler.responses.get(status, ("Error",))[0]
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()


def _error_headers(status: int) -> Dict[str, str]:
    return {"X-mp-rate-limit-exceeded": "app"} if status == 429 else {}


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
        headers = {} if self.passthrough else _error_headers(self.status)
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        if self.headers:
            headers.update(self.headers)
        return headers

