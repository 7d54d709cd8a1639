"""The HTTP transport: one urllib3 pool per client, TLS via certifi, retries, errors.

:meth:`RESTClientObject.request` is the whole send pipeline read top to bottom: encode the
body, wait for (or refuse at) the 429 gate, send one attempt, map the outcome, and ask the
:class:`~mparticle.retry.RetryPolicy` whether and when to try again.

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

import heapq
import io
import itertools
import json
import logging
import math
import os
import random
import socket
import threading
import time
import zlib
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode

from mparticle.configuration import check_base_url, redact_url
from mparticle.retry import WAIT_MAX, RateLimitGate, RetryPolicy, bounded_wait, parse_retry_after, seconds_setting

if TYPE_CHECKING:  # urllib3, ssl and certifi load with the first client, not at import
    import urllib3

__all__ = ["ApiException", "MAX_ERROR_BODY_CHARS", "MAX_RESPONSE_BYTES", "RESTClientObject", "RESTResponse"]

logger = logging.getLogger(__name__)

_METHODS = ("GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS")
Timeout = Union[None, float, Tuple[Optional[float], Optional[float]]]

#: Most bytes of a response body read, both on the wire and after decompression.
MAX_RESPONSE_BYTES = 1024 * 1024
#: Most characters of a response body kept in ``ApiException.body`` and ``str(error)``.
MAX_ERROR_BODY_CHARS = 8 * 1024
_READ_CHUNK = 64 * 1024


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
        self.body = _clip(body, cut_at_read)
        self.headers = headers
        self.retry_after = parse_retry_after(headers.get("Retry-After")) if headers else None

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


class RESTClientObject:
    """Sends requests for one ApiClient over its own keep-alive urllib3 pool.

    TLS, pool and proxy settings are read from the Configuration; a change to them is picked
    up at the next request (the pool is rebuilt). Optional hooks for owners such as the
    BatchUploader: ``retries`` overrides ``config.retries``; ``sleep`` performs every wait
    (backoff and Retry-After, each at most the policy's budget; it may raise to give up);
    ``on_retry(error, retry_number, delay)`` is told about each retry before its wait.
    ``max_response_bytes`` (default :data:`MAX_RESPONSE_BYTES`) caps each response body.
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
        self.max_response_bytes = MAX_RESPONSE_BYTES
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
        manager: urllib3.PoolManager
        if c.proxy:
            manager = urllib3.ProxyManager(c.proxy, proxy_headers=_proxy_headers(c.proxy, c.proxy_headers), **kwargs)
        else:
            manager = urllib3.PoolManager(**kwargs)
        manager.pool_classes_by_scheme = _deadline_pool_classes()  # type: ignore[assignment]
        return manager

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

            check_base_url(url, "url")  # never a silent plain-HTTP default for a scheme-less URL
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
        """Send a request with retries; return the 2xx response or raise ApiException.

        ``_request_timeout``: seconds, or a ``(connect, read)`` tuple, for each attempt
        (None: the Configuration's; ``float('inf')``/None inside a tuple: no limit)."""
        method = method.upper()
        if method not in _METHODS:
            raise ValueError("http method must be `GET`, `HEAD`, `POST`, `PATCH`, `PUT` or `DELETE`.")
        if post_params and body:
            raise ValueError("body parameter cannot be used with post_params parameter.")
        connect, read = _timeouts(_request_timeout, self.config)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        if query_params:
            url += "?" + urlencode(query_params)
        payload, fields = _encode_body(method, body, post_params, headers)
        policy = self.retries if self.retries is not None else self.config.retries
        # the time budget bounds calls that may retry; a single attempt has its own deadline
        budget_end = time.monotonic() + policy.total_timeout if policy.max_retries else None
        retry = 0
        while True:
            self._pass_gate(budget_end)
            started = time.monotonic()
            attempt_end = min(math.inf if budget_end is None else budget_end, started + connect + read)
            timeout = _attempt_timeout(connect, read, attempt_end - started)
            try:
                response = self._send(method, url, headers, payload, fields, timeout, attempt_end)
                error = None if 200 <= response.status < 300 else ApiException(http_resp=response)
            except ApiException as network_error:
                response, error = None, network_error
            if error is None:
                return response  # type: ignore[return-value]
            if response is not None and response.status == 429:
                self._close_gate(response, policy)
            delay = self._retry_delay(error, policy, retry + 1, math.inf if budget_end is None else budget_end)
            if delay is None:
                raise error
            retry += 1
            logger.debug("%s %s: %s; retry %d in %.2f s", method, _loggable(url), _describe(error), retry, delay)
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
        deadline: float,
    ) -> RESTResponse:
        """One attempt, over by ``deadline`` (monotonic): the response with its capped body."""
        from urllib3.exceptions import HTTPError as Urllib3Error

        started = time.monotonic()
        attempt = _Attempt(deadline)
        _current.attempt = attempt  # seen by the connection when it waits for the response
        try:
            raw = self._open(method, url, headers, payload, fields, timeout)
        except Urllib3Error as exc:
            attempt.cancel()
            logger.debug("%s %s failed: %s", method, _loggable(url), exc.__class__.__name__)
            raise ApiException(0, _failure_reason(exc, attempt, started)) from exc
        finally:
            _current.attempt = None
        if attempt.fired:  # cut while the headers arrived: http.client took the cut for their end
            attempt.cancel()
            raw.close()
            raw.release_conn()
            raise ApiException(0, _failure_reason(None, attempt, started))
        complete = False
        try:
            data, complete = _read_body(raw, self.max_response_bytes, deadline)
        finally:
            attempt.cancel()  # before the connection can serve another request
            if not complete:
                raw.close()  # unread data: the connection cannot be reused
            raw.release_conn()
        response = RESTResponse(raw, data, truncated=not complete)
        logger.debug(
            "%s %s -> %d in %.1f ms",
            method,
            _loggable(url),
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _open(
        self,
        method: str,
        url: str,
        headers: Dict[str, str],
        payload: Optional[bytes],
        fields: Any,
        timeout: Any,
    ) -> Any:
        """Send the request and read the status line and headers (the body is left unread)."""
        manager = self._pool()
        options: Dict[str, Any] = {
            "headers": headers,
            "timeout": timeout,
            "retries": self._no_retries,
            "redirect": False,
            "preload_content": False,
            "decode_content": False,
        }
        if fields is None and not self.config.proxy:  # the common case: straight to the host's pool
            host_pool, path = self._host_pool(manager, url)
            return host_pool.urlopen(method, path, body=payload, assert_same_host=False, **options)
        check_base_url(url, "url")
        if fields is not None:  # form fields: urllib3 encodes the body itself
            return manager.request(method, url, fields=fields, **options)
        return manager.request(method, url, body=payload, **options)

    def _close_gate(self, response: RESTResponse, policy: RetryPolicy) -> None:
        """Remember a 429's Retry-After (clamped to what ``policy`` honours) for this client."""
        wait = parse_retry_after(response.getheader("Retry-After"))
        if wait:
            honoured = policy.clamp_retry_after(wait)
            self.gate.block(honoured, response, capped=honoured < wait)

    def _pass_gate(self, deadline: Optional[float]) -> None:
        """Wait out the server's Retry-After if the budget allows (and the server did not ask
        for more than this client honours), else fail without sending."""
        remaining = self.gate.remaining()
        if not remaining:
            return
        if deadline is not None and not self.gate.capped and time.monotonic() + remaining < deadline:
            self._sleep(remaining)
            return
        original = self.gate.response
        headers = _header_dict(original.getheaders() if original is not None else {})
        headers["Retry-After"] = str(max(1, math.ceil(remaining)))
        raise ApiException(
            429,
            "Too Many Requests",
            body=original.data if original is not None else None,
            headers=headers,
        )

    def _sleep(self, seconds: float) -> None:
        (self.sleep or time.sleep)(bounded_wait(seconds))

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
            if error.retry_after is not None:
                delay = policy.clamp_retry_after(error.retry_after)
            else:
                delay = policy.backoff(retry, random.random)
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


# -- timeouts and deadlines ---------------------------------------------------------------------
def _timeouts(override: Timeout, config: Any) -> Tuple[float, float]:
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


def _attempt_timeout(connect: float, read: float, left: float) -> urllib3.Timeout:
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


class _Watch:
    """One socket the watchdog shuts down at ``deadline`` unless cancelled first."""

    __slots__ = ("deadline", "sock", "fired")

    def __init__(self, deadline: float, sock: socket.socket) -> None:
        self.deadline = deadline
        self.sock: Optional[socket.socket] = sock
        self.fired = False


class _Watchdog:
    """A daemon thread that shuts down the sockets of attempts past their deadline.

    Watches wait in a heap ordered by deadline; a cancelled watch is dropped lazily. The
    thread sleeps until the earliest deadline and is woken only when a new watch is due
    earlier than that, so a request normally costs a heap push and a flag, no wake-up.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: List[Tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._wake_at = math.inf
        self._thread: Optional[threading.Thread] = None

    def watch(self, sock: socket.socket, deadline: float) -> _Watch:
        entry = _Watch(deadline, sock)
        with self._cond:
            heapq.heappush(self._heap, (deadline, next(self._order), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mparticle-deadline", daemon=True)
                self._thread.start()
            if deadline < self._wake_at:
                self._cond.notify()
        return entry

    def cancel(self, entry: _Watch) -> None:
        """After this returns, ``entry``'s socket is never touched."""
        with self._cond:
            entry.sock = None
            heap = self._heap
            while heap and heap[0][2].sock is None:
                heapq.heappop(heap)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                heap = self._heap
                while heap and (heap[0][2].sock is None or heap[0][0] <= now):
                    entry = heapq.heappop(heap)[2]
                    if entry.sock is not None:
                        entry.fired = True
                        _shutdown(entry.sock)
                        entry.sock = None
                self._wake_at = heap[0][0] if heap else math.inf
                self._cond.wait(bounded_wait(self._wake_at - now) if heap else None)


def _shutdown(sock: socket.socket) -> None:
    """Make a blocked read on ``sock`` return at once (the socket is not closed)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket call, also for TLS sockets
    except OSError:  # already closed or not connected
        pass


_watchdog_lock = threading.Lock()
_watchdog: Optional[_Watchdog] = None


def _the_watchdog() -> _Watchdog:
    global _watchdog
    watchdog = _watchdog
    if watchdog is None:
        with _watchdog_lock:
            if _watchdog is None:
                _watchdog = _Watchdog()
            watchdog = _watchdog
    return watchdog


def _forget_watchdog_in_child() -> None:
    global _watchdog, _watchdog_lock
    _watchdog, _watchdog_lock = None, threading.Lock()  # the parent's thread does not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_watchdog_in_child)


class _Attempt:
    """The deadline of the attempt running on this thread, and the watch enforcing it."""

    __slots__ = ("deadline", "watch")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.watch: Optional[_Watch] = None

    def guard(self, conn: Any) -> None:
        """Watch ``conn``'s socket until the deadline (called as the response is awaited)."""
        sock = getattr(conn, "sock", None)
        if self.deadline == math.inf or not isinstance(sock, socket.socket):
            return
        self.cancel()
        self.watch = conn._mparticle_watch = _the_watchdog().watch(sock, self.deadline)

    def cancel(self) -> None:
        if self.watch is not None:
            _the_watchdog().cancel(self.watch)

    @property
    def fired(self) -> bool:
        return self.watch is not None and self.watch.fired


_current = threading.local()


class _DeadlineConnection:
    """Mixed into urllib3's connection classes: the response wait and body read of the
    current attempt are watched (see :class:`_Attempt`)."""

    _mparticle_watch: Optional[_Watch] = None

    def request(self, *args: Any, **kwargs: Any) -> Any:
        stale = self._mparticle_watch
        if stale is not None:  # an earlier attempt's watch must not outlive its use of the socket
            self._mparticle_watch = None
            if stale.sock is not None:
                _the_watchdog().cancel(stale)
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        attempt = getattr(_current, "attempt", None)
        if attempt is not None:
            attempt.guard(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


_POOL_CLASSES: Optional[Dict[str, Any]] = None


def _deadline_pool_classes() -> Dict[str, Any]:
    """urllib3's pool classes, with connections that honour the attempt deadline."""
    global _POOL_CLASSES
    if _POOL_CLASSES is None:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        class _HTTPConnection(_DeadlineConnection, HTTPConnection):
            pass

        class _HTTPSConnection(_DeadlineConnection, HTTPSConnection):
            pass

        class _HTTPConnectionPool(HTTPConnectionPool):
            ConnectionCls = _HTTPConnection

        class _HTTPSConnectionPool(HTTPSConnectionPool):
            ConnectionCls = _HTTPSConnection

        _POOL_CLASSES = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
    return _POOL_CLASSES


def _failure_reason(exc: Optional[BaseException], attempt: _Attempt, started: float) -> str:
    if attempt.fired or exc is None:
        return f"deadline exceeded after {time.monotonic() - started:.1f} s: no complete response headers in time"
    return redact_url(f"{exc.__class__.__name__}: {exc}")


# -- response bodies ----------------------------------------------------------------------------
def _read_body(raw: Any, limit: int, deadline: float) -> Tuple[bytes, bool]:
    """At most ``limit`` bytes of the decoded body, and whether that is all of it.

    Reads raw chunks (never more than ``limit`` wire bytes) and decodes gzip/deflate here with
    a bounded output size, so a compression bomb costs no memory. A body that fails, ends
    early or is still arriving at ``deadline`` is kept as far as it came."""
    from urllib3.exceptions import HTTPError as Urllib3Error

    decoder = _decoder(raw.headers.get("Content-Encoding"))
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


# -- helpers ------------------------------------------------------------------------------------
def _header_dict(headers: Any) -> Any:
    """A mutable copy of response headers (urllib3 1.26 and 2.x)."""
    try:
        from urllib3 import HTTPHeaderDict  # type: ignore[attr-defined]
    except ImportError:  # urllib3 1.26
        from urllib3._collections import HTTPHeaderDict
    return HTTPHeaderDict(headers)


def _proxy_headers(proxy: str, headers: Optional[Dict[str, str]]) -> Optional[Dict[str, str]]:
    """``headers``, plus Basic credentials from a ``user:password@`` proxy URL (unless given)."""
    from urllib.parse import unquote

    from urllib3.util import make_headers, parse_url

    auth = parse_url(proxy).auth
    if not auth or any(k.lower() == "proxy-authorization" for k in headers or {}):
        return headers
    return {**(headers or {}), **make_headers(proxy_basic_auth=unquote(auth))}


def _loggable(url: str) -> str:
    return redact_url(url) if "@" in url else url


def _is_permanent(cause: Optional[BaseException]) -> bool:
    """Failures another attempt cannot fix (TLS verification, bad certificates)."""
    import ssl

    from urllib3.exceptions import SSLError

    return isinstance(cause, (SSLError, ssl.SSLError))


def _describe(error: ApiException) -> str:
    return f"status {error.status}" if error.status else str(error.reason)
