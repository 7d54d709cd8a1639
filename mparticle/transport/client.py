"""RESTClientObject: the generated client's transport, composed of the pool, one attempt and
the retry loop.

:meth:`RESTClientObject.request` is the whole send pipeline read top to bottom: encode the
body, then :func:`~mparticle.transport.retry_loop.send_with_retries` sends attempts
(:func:`~mparticle.transport.send.send_once`) through the :class:`~mparticle.transport.pool.Pool`
until the :class:`~mparticle.retry.RetryPolicy` says stop.

No server can hold a caller longer than its limits, or make it hold much memory:

* every attempt has a wall-clock deadline (``connect_timeout + read_timeout`` after it
  started, or the end of the retry budget if sooner). Per-read socket timeouts bound each
  read; a shared watchdog thread shuts the socket down at the deadline, so a status line,
  headers or body trickled byte by byte cannot keep it busy longer;
* a response body is read in chunks up to :data:`MAX_RESPONSE_BYTES`, on the wire and
  after decompression (gzip/deflate is decoded here, with a bounded output size); the rest
  is not read, the connection is closed and ``RESTResponse.truncated`` is set;
* ``ApiException.body`` and ``str(error)`` keep at most :data:`MAX_ERROR_BODY_CHARS`.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlencode

from mparticle.configuration import Configuration
from mparticle.retry import RateLimitGate, RetryPolicy
from mparticle.transport.errors import MAX_RESPONSE_BYTES, ApiException, RESTResponse
from mparticle.transport.pool import Pool
from mparticle.transport.retry_loop import OnRetry, send_with_retries, status_text
from mparticle.transport.send import Timeout, attempt_timeout, send_once, timeouts
from mparticle.transport.traffic import Redact, TrafficLog

if TYPE_CHECKING:
    import urllib3

__all__ = ["RESTClientObject"]

_METHODS = ("GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS")


class RESTClientObject:
    """Sends requests for one ApiClient over its own keep-alive urllib3 pool.

    TLS, pool and proxy settings are read from the Configuration; a change to them is picked
    up at the next request (the pool is rebuilt). Optional hooks for owners such as the
    BatchUploader: ``retries`` overrides ``config.retries``; ``sleep`` performs every wait
    (backoff and Retry-After, each at most the policy's budget; it may raise to give up);
    ``on_retry(error, retry_number, delay)`` is told about each retry before its wait;
    ``on_response(response)`` hears of every response (any status, retried ones too: the
    uploader's pacing reads its rate-limit headers there);
    ``clock`` (seconds, monotonic) measures the retry budget and the 429 gate; ``redact``
    returns further values its traffic log must hide (an OAuth secret or token, say).
    ``max_response_bytes`` (default :data:`MAX_RESPONSE_BYTES`) caps each response body.
    The traffic is logged at DEBUG by :attr:`log` (:mod:`~mparticle.transport.traffic`:
    ``config.debug`` shows this client's only).
    """

    def __init__(
        self,
        pools_size: int = 4,
        config: Optional[Configuration] = None,
        maxsize: Optional[int] = None,
        *,
        retries: Optional[RetryPolicy] = None,
        sleep: Optional[Callable[[float], Any]] = None,
        on_retry: Optional[OnRetry] = None,
        on_response: Optional[Callable[[RESTResponse], Any]] = None,
        clock: Callable[[], float] = time.monotonic,
        redact: Optional[Redact] = None,
    ) -> None:
        self.config: Configuration = config if config is not None else Configuration()
        self.pools_size = pools_size
        self.maxsize = maxsize
        self.clock = clock
        self.gate: RateLimitGate = RateLimitGate(clock)
        self.retries = retries
        self.sleep = sleep
        self.on_retry = on_retry
        self.on_response = on_response
        self.max_response_bytes = MAX_RESPONSE_BYTES
        self.log: TrafficLog = TrafficLog(self.config) if redact is None else TrafficLog(self.config, redact)
        self._pool = Pool(self.config, pools_size, maxsize)

    @property
    def pool_manager(self) -> urllib3.PoolManager:
        """The urllib3 PoolManager in use (replaced when pool settings change)."""
        return self._pool.manager

    def close(self) -> None:
        """Close the pool's connections (new ones open on the next request)."""
        self._pool.close()

    def request(
        self,
        method: str,
        url: str,
        query_params: Optional[Any] = None,
        headers: Optional[Dict[str, str]] = None,
        body: Any = None,
        post_params: Optional[Any] = None,
        _preload_content: bool = True,
        _request_timeout: Timeout = None,
    ) -> RESTResponse:
        """Send a request with retries; return the 2xx response or raise ApiException.

        ``_request_timeout``: seconds, or a ``(connect, read)`` tuple, for each attempt
        (None: the Configuration's; ``float('inf')``/None inside a tuple: no limit)."""
        method = method.upper()
        if method not in _METHODS:
            raise ValueError("http method must be `GET`, `HEAD`, `POST`, `PATCH`, `PUT` or `DELETE`.")
        if post_params and body:
            raise ValueError("body parameter cannot be used with post_params parameter.")
        connect, read = timeouts(_request_timeout, self.config)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        if query_params:
            url += "?" + urlencode(query_params)
        payload, fields = _encode_body(method, body, post_params, headers)
        pool, limit, log, observe = self._pool, self.max_response_bytes, self.log, self.on_response
        logged = log.enabled()
        if logged:
            log.request(method, url, headers, payload)

        def attempt(budget_left: float) -> RESTResponse:
            started = time.monotonic()
            left = min(budget_left, connect + read)
            timeout = attempt_timeout(connect, read, left)
            try:
                response = send_once(pool, method, url, headers, payload, fields, timeout, started + left, limit)
            except ApiException as error:
                if logged:
                    log.failure(method, url, error.reason)
                raise
            if logged:
                elapsed = (time.monotonic() - started) * 1000
                log.response(method, url, response.status, elapsed, response.data, response.truncated)
            if observe is not None:
                observe(response)
            return response

        return send_with_retries(
            attempt,
            self.retries if self.retries is not None else self.config.retries,
            self.gate,
            clock=self.clock,
            sleep=self.sleep or time.sleep,
            on_retry=_logging_retries(log, method, url, self.on_retry) if logged else self.on_retry,
        )

    # -- the generated client's per-method names: GET, HEAD, OPTIONS, DELETE, POST, PUT, PATCH --
    GET: "_Verb"
    HEAD: "_Verb"
    OPTIONS: "_Verb"
    DELETE: "_Verb"
    POST: "_Verb"
    PUT: "_Verb"
    PATCH: "_Verb"


_Verb = Callable[..., RESTResponse]


def _logging_retries(log: TrafficLog, method: str, url: str, hook: Optional[OnRetry]) -> OnRetry:
    """An ``on_retry`` that logs each retry, then calls the owner's ``hook``."""

    def on_retry(error: ApiException, number: int, delay: float) -> None:
        log.retry(method, url, status_text(error), number, delay)
        if hook is not None:
            hook(error, number, delay)

    return on_retry


def _verb(method: str) -> Callable[..., RESTResponse]:
    def call(
        self: RESTClientObject,
        url: str,
        headers: Any = None,
        query_params: Any = None,
        post_params: Any = None,
        body: Any = None,
        _preload_content: bool = True,
        _request_timeout: Timeout = None,
    ) -> RESTResponse:
        return self.request(method, url, query_params, headers, body, post_params, _request_timeout=_request_timeout)

    call.__name__ = call.__qualname__ = method
    call.__doc__ = f"Send a {method} request (see :meth:`RESTClientObject.request`)."
    return call


for _method in _METHODS:
    setattr(RESTClientObject, _method, _verb(_method))


def _encode_body(method: str, body: Any, post_params: Any, headers: Dict[str, str]) -> Tuple[Optional[bytes], Any]:
    """Request bytes (or form fields) for ``body``: bytes and str pass through (the ApiClient
    always sends bytes it serialized); plain data handed to the transport directly is
    encoded with the standard ``json`` module (compact, NaN/Infinity refused)."""
    if method in ("GET", "HEAD"):
        return None, None
    if post_params:
        if "multipart/form-data" in headers["Content-Type"].lower():
            del headers["Content-Type"]
        return None, post_params
    if body is None or body == b"":
        return None, None
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), None
    if isinstance(body, str):
        return body.encode("utf-8"), None
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8"), None
