"""One attempt: send a request through the pool and read its response, over by a deadline,
with the body capped; a network or TLS failure becomes ``ApiException(status 0)``."""

from __future__ import annotations

import time
import zlib
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from mparticle.configuration import redact_url
from mparticle.retry import WAIT_MAX, seconds_setting
from mparticle.transport import deadline as _deadline
from mparticle.transport.deadline import Attempt
from mparticle.transport.errors import ApiException, RESTResponse
from mparticle.transport.pool import Pool

if TYPE_CHECKING:
    import urllib3

__all__ = ["Timeout", "attempt_timeout", "send_once", "timeouts"]

#: ``_request_timeout``: seconds, or a ``(connect, read)`` tuple (None inside: no limit).
Timeout = Union[None, float, Tuple[Optional[float], Optional[float]]]
_READ_CHUNK = 64 * 1024


def send_once(
    pool: Pool,
    method: str,
    url: str,
    headers: Dict[str, str],
    payload: Optional[bytes],
    fields: Any,
    timeout: Any,
    deadline: float,
    max_response_bytes: int,
) -> RESTResponse:
    """One attempt, over by ``deadline`` (monotonic): the response with its capped body."""
    Urllib3Error = _HTTP_ERROR or _http_error()  # noqa: N806 - a class
    started = time.monotonic()
    attempt = Attempt(deadline)
    _deadline.current.attempt = attempt  # seen by the connection when it waits for the response
    try:
        raw = pool.open(method, url, headers, payload, fields, timeout)
    except Urllib3Error as exc:
        attempt.cancel()
        raise ApiException(0, _failure_reason(exc, attempt, started)) from exc
    finally:
        _deadline.current.attempt = None
    if attempt.fired:  # cut while the headers arrived: http.client took the cut for their end
        attempt.cancel()
        raw.close()
        raw.release_conn()
        raise ApiException(0, _failure_reason(None, attempt, started))
    complete = False
    try:
        data, complete = _read_body(raw, max_response_bytes, deadline)
    finally:
        attempt.cancel()  # before the connection can serve another request
        if not complete:
            raw.close()  # unread data: the connection cannot be reused
        raw.release_conn()
    return RESTResponse(raw, data, truncated=not complete)


_HTTP_ERROR: Any = None  # urllib3.exceptions.HTTPError, once urllib3 is loaded


def _http_error() -> Any:
    global _HTTP_ERROR
    from urllib3.exceptions import HTTPError

    _HTTP_ERROR = HTTPError
    return HTTPError


# -- timeouts and deadlines ---------------------------------------------------------------------
def timeouts(override: Timeout, config: Any) -> Tuple[float, float]:
    """(connect, read) seconds for each attempt; ``inf`` means no limit."""
    if override is None:
        return config.connect_timeout, config.read_timeout
    if isinstance(override, tuple):
        if len(override) != 2:
            raise ValueError(
                f"Invalid value for `_request_timeout` ({override!r}): expected seconds or a (connect, read) tuple"
            )
        return seconds_setting("_request_timeout", override[0]), seconds_setting("_request_timeout", override[1])
    seconds = seconds_setting("_request_timeout", override)
    return seconds, seconds


def attempt_timeout(connect: float, read: float, left: float) -> urllib3.Timeout:
    """urllib3's per-operation timeouts, shortened to the ``left`` seconds of the attempt."""
    if left < connect or left < read:
        left = max(0.001, left)
        return _timeout_object(min(connect, left), min(read, left))
    key = (connect, read)
    timeout = _TIMEOUTS.get(key)
    if timeout is None:  # Timeout objects are immutable: one per setting is enough
        timeout = _TIMEOUTS[key] = _timeout_object(connect, read)
    return timeout


def _timeout_object(connect: float, read: float) -> urllib3.Timeout:
    import urllib3

    def socket_value(seconds: float) -> Optional[float]:
        return None if seconds >= WAIT_MAX else seconds  # None: no limit (sockets overflow beyond)

    return urllib3.Timeout(connect=socket_value(connect), read=socket_value(read))


_TIMEOUTS: Dict[Tuple[float, float], Any] = {}


def _failure_reason(exc: Optional[BaseException], attempt: Attempt, started: float) -> str:
    if attempt.fired or exc is None:
        return f"deadline exceeded after {time.monotonic() - started:.1f} s: no complete response headers in time"
    return redact_url(f"{exc.__class__.__name__}: {exc}")


# -- response bodies ----------------------------------------------------------------------------
def _read_body(raw: Any, limit: int, deadline: float) -> Tuple[bytes, bool]:
    """At most ``limit`` bytes of the decoded body, and whether that is all of it.

    Reads raw chunks (never more than ``limit`` wire bytes) and decodes gzip/deflate here with
    a bounded output size, so a compression bomb costs no memory. A body that fails, ends
    early or is still arriving at ``deadline`` is kept as far as it came."""
    Urllib3Error = _HTTP_ERROR or _http_error()  # noqa: N806 - a class
    encoding = raw.headers.get("Content-Encoding")
    decoder = None if encoding is None else _decoder(encoding)
    parts: List[bytes] = []
    size = wire = 0
    try:
        expected = raw.length_remaining
        if decoder is None and expected is not None and expected <= min(limit, _READ_CHUNK):
            data = raw.read(decode_content=False)  # the usual small answer: one read to its end
            if len(data) == expected:
                return data, True
            parts.append(data)
            size = wire = len(data)
        while True:
            chunk = raw.read(min(_READ_CHUNK, limit - wire + 1), decode_content=False)
            if not chunk:
                return b"".join(parts), True
            wire += len(chunk)
            if decoder is not None:
                chunk = decoder.decompress(chunk, limit - size + 1)
            parts.append(chunk)
            size += len(chunk)
            if size > limit or wire > limit or time.monotonic() >= deadline:
                break
    except (Urllib3Error, OSError, ValueError, zlib.error):  # keep what arrived
        pass
    return b"".join(parts)[:limit], False


def _decoder(encoding: Optional[str]) -> Any:
    """A zlib decompressor for a gzip or deflate body; None to keep the bytes as sent."""
    coding = (encoding or "").strip().lower()
    if coding not in ("gzip", "x-gzip", "deflate"):
        return None
    return zlib.decompressobj(16 + zlib.MAX_WBITS if coding != "deflate" else 32 + zlib.MAX_WBITS)
