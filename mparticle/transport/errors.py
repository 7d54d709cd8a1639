"""What a request ends with: the received :class:`RESTResponse`, or an :class:`ApiException`
(HTTP status, 0 for network/TLS failures and attempts out of time)."""

from __future__ import annotations

import io
from typing import Any, Mapping, Optional, Sequence, Tuple

from mparticle.retry import parse_retry_after

__all__ = [
    "ApiException",
    "MAX_ERROR_BODY_CHARS",
    "MAX_RESPONSE_BYTES",
    "MissingCredentialsError",
    "MissingSettingsError",
    "RESTResponse",
]

#: Most bytes of a response body read, both on the wire and after decompression.
MAX_RESPONSE_BYTES = 1024 * 1024
#: Most characters of a response body kept in ``ApiException.body`` and ``str(error)``.
MAX_ERROR_BODY_CHARS = 8 * 1024


class RESTResponse(io.IOBase):
    """A received response: ``status``, ``reason``, ``data`` (str) and headers.

    ``data`` holds at most :data:`MAX_RESPONSE_BYTES` of the (decoded) body; ``truncated``
    is True when the body was longer, or could not be read or decoded completely.
    """

    def __init__(self, resp: Any, data: Optional[bytes] = None, truncated: bool = False) -> None:
        self.urllib3_response = resp
        self.status: int = resp.status
        self.reason: str = resp.reason or ""
        raw = (resp.data or b"") if data is None else data
        self.data: str = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        self.truncated = truncated
        self.retry_after_header_value: Optional[str] = None

    def getheaders(self) -> Any:
        """The response headers (a case-insensitive mapping)."""
        return self.urllib3_response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, case-insensitively."""
        return self.urllib3_response.headers.get(name, default)  # type: ignore[no-any-return]


class ApiException(Exception):
    """An Events API request that failed: HTTP status (0 for network/TLS failures and
    attempts that ran out of time), reason, response body (str, at most
    :data:`MAX_ERROR_BODY_CHARS` characters plus a note of what was cut) and headers.
    ``retry_after`` is the server's requested wait in seconds (finite, see
    :func:`~mparticle.retry.parse_retry_after`)."""

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Optional[RESTResponse] = None,
        *,
        body: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        cut_at_read = False
        if http_resp is not None:
            status, reason = http_resp.status, http_resp.reason
            body, headers = http_resp.data, http_resp.getheaders()
            cut_at_read = bool(getattr(http_resp, "truncated", False))
        super().__init__(status, reason)
        self.status = status
        self.reason = reason
        self.body: Optional[str] = _clip(body, cut_at_read)
        self.headers = headers
        self.retry_after: Optional[float] = parse_retry_after(_header(headers, "Retry-After")) if headers else None

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {_clip(self.reason)}\n"
        if self.headers:
            text += f"HTTP response headers: {_clip(str(self.headers))}\n"
        if self.body:
            text += f"HTTP response body: {self.body}\n"
        return text

    def __repr__(self) -> str:
        return f"ApiException(status={self.status!r}, reason={_clip(self.reason)!r})"

    def __reduce__(self) -> Any:
        return (
            _rebuild_exception,
            (self.status, self.reason, self.body, dict(self.headers or {}) or None),
        )


class MissingSettingsError(ApiException, ValueError):
    """Settings a request needs are empty, so nothing was sent: an :class:`ApiException` with
    ``status`` 401 and a ``ValueError``. ``missing`` names the settings, never their values."""

    def __init__(self, missing: Sequence[str], reason: str) -> None:
        self.missing: Tuple[str, ...] = tuple(missing)
        super().__init__(401, reason)

    @staticmethod
    def listed(missing: Sequence[str]) -> str:
        """```api_key``` is / ```api_key`` and ``api_secret``` are: the names for a message."""
        return " and ".join(f"`{name}`" for name in missing) + (" is" if len(missing) == 1 else " are")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(missing={self.missing!r})"

    def __reduce__(self) -> Any:
        return (type(self), (self.missing,))  # every subclass is built from ``missing`` alone


class MissingCredentialsError(MissingSettingsError):
    """The Configuration's ``api_key`` or ``api_secret`` is empty: raised before anything is
    sent (by EventsApi/ApiClient calls, and by a ``BatchUploader`` that sends when it is
    built). ``missing`` names the empty settings; their values are never shown.

    An :class:`ApiException` with ``status`` 401 (as the server answers a request without
    credentials, though none was made: ``body`` and ``headers`` are None), so code that
    handles a refused request handles it too, and a ``ValueError``, like every other setting
    that cannot work.
    """

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(
            missing,
            f"missing credentials: the Configuration's {self.listed(missing)} empty; set "
            + " and ".join(f"{name} (or MPARTICLE_{name.upper()})" for name in missing)
            + ". Nothing was sent.",
        )


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """``headers[name]`` in any letter case: urllib3's headers are case-insensitive, but a plain
    dict (a pickled exception's, or one passed in) is not."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _rebuild_exception(status: Any, reason: Any, body: Any, headers: Any) -> ApiException:
    error = ApiException(status, reason, headers=headers)
    error.body = body  # already clipped
    return error


def _clip(text: Any, cut_at_read: bool = False) -> Any:
    """``text`` cut to MAX_ERROR_BODY_CHARS, saying how much was left out."""
    if not isinstance(text, str):
        return text
    if len(text) <= MAX_ERROR_BODY_CHARS and not cut_at_read:
        return text
    kept = text[:MAX_ERROR_BODY_CHARS]
    left_out = len(text) - len(kept)
    if cut_at_read:
        return kept + f"... ({left_out} more characters, then the response was cut at {MAX_RESPONSE_BYTES} bytes)"
    return kept + f"... ({left_out} characters truncated)"
