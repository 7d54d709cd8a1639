"""The HTTP transport: one urllib3 pool per client, TLS via certifi, retries, errors.

:meth:`RESTClientObject.request` is the whole send pipeline read top to bottom: encode the
body, wait for (or refuse at) the 429 gate, send one attempt, map the outcome, and ask the
:class:`~mparticle.retry.RetryPolicy` whether and when to try again.
"""

from __future__ import annotations

import io
import json
import logging
import math
import random
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode

from mparticle.retry import RateLimitGate, RetryPolicy, parse_retry_after

if TYPE_CHECKING:  # urllib3, ssl and certifi load with the first client, not at import
    import urllib3

__all__ = ["ApiException", "RESTClientObject", "RESTResponse"]

logger = logging.getLogger(__name__)

_METHODS = ("GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS")
Timeout = Union[None, float, Tuple[float, float]]


class RESTResponse(io.IOBase):
    """A received response: ``status``, ``reason``, ``data`` (str) and headers."""

    def __init__(self, resp: Any) -> None:
        self.urllib3_response = resp
        self.status: int = resp.status
        self.reason: str = resp.reason or ""
        raw = resp.data or b""
        self.data: str = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        self.retry_after_header_value: Optional[str] = None

    def getheaders(self) -> Any:
        """The response headers (a case-insensitive mapping)."""
        return self.urllib3_response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, case-insensitively."""
        return self.urllib3_response.headers.get(name, default)  # type: ignore[no-any-return]


class ApiException(Exception):
    """An Events API request that failed: HTTP status (0 for network/TLS failures), reason,
    response body (str) and headers. ``retry_after`` is the server's requested wait in seconds."""

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Optional[RESTResponse] = None,
        *,
        body: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        if http_resp is not None:
            status, reason = http_resp.status, http_resp.reason
            body, headers = http_resp.data, http_resp.getheaders()
        super().__init__(status, reason)
        self.status = status
        self.reason = reason
        self.body = body
        self.headers = headers
        self.retry_after = parse_retry_after(headers.get("Retry-After")) if headers else None

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.headers:
            text += f"HTTP response headers: {self.headers}\n"
        if self.body:
            text += f"HTTP response body: {self.body}\n"
        return text

    def __repr__(self) -> str:
        return f"ApiException(status={self.status!r}, reason={self.reason!r})"

    def __reduce__(self) -> Any:
        return (
            _rebuild_exception,
            (self.status, self.reason, self.body, dict(self.headers or {}) or None),
        )


def _rebuild_exception(status: Any, reason: Any, body: Any, headers: Any) -> ApiException:
    return ApiException(status, reason, body=body, headers=headers)


class RESTClientObject:
    """Sends requests for one ApiClient over its own keep-alive urllib3 pool.

    TLS, pool and proxy settings are read from the Configuration; a change to them is picked
    up at the next request (the pool is rebuilt). Optional hooks for owners such as the
    BatchUploader: ``retries`` overrides ``config.retries``; ``sleep`` performs every wait
    (backoff and Retry-After; it may raise to give up); ``on_retry(error, retry_number, delay)``
    is told about each retry before its wait.
    """

    def __init__(
        self,
        pools_size: int = 4,
        config: Any = None,
        maxsize: Optional[int] = None,
        *,
        retries: Optional[RetryPolicy] = None,
        sleep: Optional[Callable[[float], Any]] = None,
        on_retry: Optional[Callable[["ApiException", int, float], Any]] = None,
    ) -> None:
        if config is None:
            from mparticle.configuration import Configuration

            config = Configuration()
        self.config = config
        self.pools_size = pools_size
        self.maxsize = maxsize
        self.gate = RateLimitGate()
        self.retries = retries
        self.sleep = sleep
        self.on_retry = on_retry
        self._pool_settings: Optional[Tuple[Any, ...]] = None
        self._host_pools: Dict[str, Tuple[Any, str]] = {}
        self.pool_manager = self._build_pool()
        from urllib3 import Retry

        self._no_retries = Retry.from_int(False, redirect=False)  # shared: Retry objects are immutable

    # -- the pool -------------------------------------------------------------------------------
    def _settings(self) -> Tuple[Any, ...]:
        c = self.config
        proxy_headers = tuple(sorted((c.proxy_headers or {}).items()))
        return (
            c.verify_ssl,
            c.ssl_ca_cert,
            c.cert_file,
            c.key_file,
            c.connection_pool_size,
            c.proxy,
            proxy_headers,
        )

    def _build_pool(self) -> urllib3.PoolManager:
        import ssl

        import certifi
        import urllib3

        c = self.config
        self._pool_settings = self._settings()
        self._host_pools = {}
        kwargs: Dict[str, Any] = {
            "num_pools": self.pools_size,
            "maxsize": self.maxsize or c.connection_pool_size or 1,
            "cert_reqs": ssl.CERT_REQUIRED if c.verify_ssl else ssl.CERT_NONE,
            "ca_certs": c.ssl_ca_cert or certifi.where(),
            "cert_file": c.cert_file,
            "key_file": c.key_file,
            "retries": False,
        }
        if c.proxy:
            return urllib3.ProxyManager(c.proxy, proxy_headers=c.proxy_headers, **kwargs)
        return urllib3.PoolManager(**kwargs)

    def _pool(self) -> urllib3.PoolManager:
        if self._settings() != self._pool_settings:
            old, self.pool_manager = self.pool_manager, self._build_pool()
            old.clear()
        return self.pool_manager

    def _host_pool(self, manager: urllib3.PoolManager, url: str) -> Tuple[Any, str]:
        """The connection pool and request path for ``url``, parsed once per URL."""
        cached = self._host_pools.get(url)
        if cached is None or cached[0].pool is None:  # new URL, or the pool was closed/evicted
            from urllib3.util import parse_url

            parsed = parse_url(url)
            cached = (manager.connection_from_host(parsed.host, parsed.port, parsed.scheme), parsed.request_uri)
            if len(self._host_pools) > 64:
                self._host_pools.clear()
            self._host_pools[url] = cached
        return cached

    def close(self) -> None:
        """Close the pool's connections (new ones open on the next request)."""
        self.pool_manager.clear()

    # -- the pipeline ---------------------------------------------------------------------------
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
        """Send a request with retries; return the 2xx response or raise ApiException."""
        method = method.upper()
        if method not in _METHODS:
            raise ValueError("http method must be `GET`, `HEAD`, `POST`, `PATCH`, `PUT` or `DELETE`.")
        if post_params and body:
            raise ValueError("body parameter cannot be used with post_params parameter.")
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        if query_params:
            url += "?" + urlencode(query_params)
        payload, fields = _encode_body(method, body, post_params, headers)
        policy = self.retries if self.retries is not None else self.config.retries
        deadline = time.monotonic() + policy.total_timeout
        retry = 0
        while True:
            self._pass_gate(deadline if policy.max_retries else None)
            timeout = _attempt_timeout(_request_timeout, self.config, deadline if policy.max_retries else None)
            try:
                response = self._send(method, url, headers, payload, fields, timeout)
                error = None if 200 <= response.status < 300 else ApiException(http_resp=response)
            except ApiException as network_error:
                response, error = None, network_error
            if error is None:
                return response  # type: ignore[return-value]
            delay = self._retry_delay(error, policy, retry + 1, deadline)
            if delay is None:
                raise error
            retry += 1
            logger.debug(
                "%s %s: %s; retry %d in %.2f s",
                method,
                url,
                _describe(error),
                retry,
                delay,
            )
            if self.on_retry is not None:
                self.on_retry(error, retry, delay)
            self._sleep(delay)

    def _send(
        self,
        method: str,
        url: str,
        headers: Dict[str, str],
        payload: Optional[bytes],
        fields: Any,
        timeout: Any,
    ) -> RESTResponse:
        from urllib3.exceptions import HTTPError as Urllib3Error

        started = time.monotonic()
        try:
            manager = self._pool()
            if fields is None and not self.config.proxy:  # the common case: straight to the host's pool
                host_pool, path = self._host_pool(manager, url)
                raw = host_pool.urlopen(
                    method, path, body=payload, headers=headers, timeout=timeout,
                    retries=self._no_retries, redirect=False, assert_same_host=False,
                )
            else:
                raw = manager.request(
                    method, url, body=payload, fields=fields, headers=headers, timeout=timeout,
                    retries=self._no_retries, redirect=False,
                )
        except Urllib3Error as exc:
            logger.debug("%s %s failed: %s", method, url, exc.__class__.__name__)
            raise ApiException(0, f"{exc.__class__.__name__}: {exc}") from exc
        response = RESTResponse(raw)
        logger.debug(
            "%s %s -> %d in %.1f ms",
            method,
            url,
            response.status,
            (time.monotonic() - started) * 1000,
        )
        if response.status == 429:
            wait = parse_retry_after(response.getheader("Retry-After"))
            if wait:
                self.gate.block(wait, response)
        return response

    def _pass_gate(self, deadline: Optional[float]) -> None:
        """Wait out the server's Retry-After if the budget allows, else fail without sending."""
        remaining = self.gate.remaining()
        if not remaining:
            return
        if deadline is not None and time.monotonic() + remaining < deadline:
            self._sleep(remaining)
            return
        from urllib3 import HTTPHeaderDict

        original = self.gate.response
        headers = HTTPHeaderDict(original.getheaders() if original is not None else {})
        headers["Retry-After"] = str(max(1, math.ceil(remaining)))
        raise ApiException(
            429,
            "Too Many Requests",
            body=original.data if original is not None else None,
            headers=headers,
        )

    def _sleep(self, seconds: float) -> None:
        (self.sleep or time.sleep)(seconds)

    def _retry_delay(self, error: ApiException, policy: Any, retry: int, deadline: float) -> Optional[float]:
        """Seconds to wait before retry number ``retry``, or None to give up."""
        if retry > policy.max_retries:
            return None
        if error.status == 0:
            cause = error.__cause__
            if not policy.retry_connection_errors or _is_permanent(cause):
                return None
            delay = policy.backoff(retry)
        elif policy.should_retry_status(error.status or 0):
            delay = error.retry_after if error.retry_after is not None else policy.backoff(retry, random.random)
        else:
            return None
        return delay if time.monotonic() + delay < deadline else None

    # -- the generated client's per-method names: GET, HEAD, OPTIONS, DELETE, POST, PUT, PATCH --
    GET: "_Verb"
    HEAD: "_Verb"
    OPTIONS: "_Verb"
    DELETE: "_Verb"
    POST: "_Verb"
    PUT: "_Verb"
    PATCH: "_Verb"


_Verb = Callable[..., RESTResponse]


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
    """Request bytes (or form fields) for ``body``; bytes pass through, data is JSON-encoded."""
    if method in ("GET", "HEAD"):
        return None, None
    content_type = headers["Content-Type"].lower()
    if post_params:
        if "multipart/form-data" in content_type:
            del headers["Content-Type"]
        return None, post_params
    if body is None or body == b"":
        return None, None
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), None
    if isinstance(body, str):
        return body.encode("utf-8"), None
    from mparticle.serialization import dumps

    return (dumps(body) if "json" in content_type else json.dumps(body).encode("utf-8")), None


def _attempt_timeout(override: Timeout, config: Any, deadline: Optional[float]) -> urllib3.Timeout:
    import urllib3

    if override is None:
        connect, read = config.connect_timeout, config.read_timeout
    elif isinstance(override, tuple):
        connect, read = override
    else:
        connect = read = float(override)
    if deadline is not None:
        left = deadline - time.monotonic()
        if left < read or left < connect:
            left = max(0.001, left)
            return urllib3.Timeout(connect=min(connect, left), read=min(read, left))
    key = (connect, read)
    timeout = _TIMEOUTS.get(key)
    if timeout is None:  # Timeout objects are immutable: one per setting is enough
        timeout = _TIMEOUTS[key] = urllib3.Timeout(connect=connect, read=read)
    return timeout


_TIMEOUTS: Dict[Tuple[float, float], Any] = {}


def _is_permanent(cause: Optional[BaseException]) -> bool:
    """Failures another attempt cannot fix (TLS verification, bad certificates)."""
    import ssl

    from urllib3.exceptions import SSLError

    return isinstance(cause, (SSLError, ssl.SSLError))


def _describe(error: ApiException) -> str:
    return f"status {error.status}" if error.status else str(error.reason)
