"""An embedded local mParticle Events API endpoint for tests, demos and benchmarks.

:class:`LocalEventsServer` is a real HTTP/1.1 server bound to ``127.0.0.1`` on an
ephemeral port. It accepts ``POST /v2/events``, ``/v2/bulkevents`` and
``/v2/bulkevents/historical`` with HTTP Basic auth, validates the payloads the way
the Events API does (in outline), records what it accepted, and can be scripted to
answer with faults (throttling, outages, dropped connections, slow answers)::

    with LocalEventsServer() as server:
        configuration.host = server.url
        ...
        assert server.wait_for(1)
        assert server.batches[0]["events"][0]["event_type"] == "custom_event"

Only the standard library is used.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hmac
import json
import random
import selectors
import socket
import socketserver
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Deque, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

__all__ = ["Fault", "Headers", "LocalEventsServer", "RecordedRequest", "error_body"]

_HOST = "127.0.0.1"
_EVENTS = "/v2/events"
_BULK = "/v2/bulkevents"
_HISTORICAL = "/v2/bulkevents/historical"
_ENDPOINTS = frozenset((_EVENTS, _BULK, _HISTORICAL))
#: Oversized bodies up to this size are read and discarded to keep the connection usable.
_MAX_DISCARD = 64 * 1024 * 1024
_CHUNK = 64 * 1024

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


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive view of request headers (the first value wins)."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        self._items: List[Tuple[str, str]] = list(items)
        index: Dict[str, Tuple[str, str]] = {}
        for name, value in self._items:
            index.setdefault(name.lower(), (name, value))
        self._index = index

    def __getitem__(self, key: str) -> str:
        return self._index[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._index.values())

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> List[str]:
        """All values of header ``name``, in order."""
        lowered = name.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """A record of one request the server received.

    ``body`` is the payload after content decoding (gunzipped), empty when the
    server runs with ``record=False`` or the body was discarded (413).
    ``status`` is what was answered (0: dropped). ``batches`` holds the parsed
    batches of accepted requests. ``error`` is the message of an error answer.
    ``faulted`` tells whether a scripted or random fault decided the answer.
    """

    method: str
    path: str
    headers: Headers
    raw_headers: List[Tuple[str, str]]
    body: bytes
    status: int
    batches: List[Dict[str, Any]]
    received_at: float
    error: Optional[str] = None
    faulted: bool = False
    wire_size: int = 0

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class _ClientGone(Exception):
    """The client closed the connection in the middle of a request."""


class _Reject(Exception):
    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress (possibly multi-member) gzip ``data``; 413 past ``limit`` bytes."""
    out: List[bytes] = []
    total = 0
    while True:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(data, limit + 1 - total)
        except zlib.error as exc:
            raise _Reject(400, f"invalid gzip body: {exc}") from None
        total += len(chunk)
        if total > limit:
            raise _Reject(413, f"decompressed request body exceeds {limit} bytes")
        out.append(chunk)
        if not d.eof:
            raise _Reject(400, "invalid gzip body: truncated")
        data = d.unused_data
        if not data.strip(b"\x00"):
            return b"".join(out)


def _validate(batches: List[Any], historical: bool, single: bool) -> Optional[str]:
    """Return a message naming the first problem in ``batches``, or None."""
    for i, batch in enumerate(batches):
        where = "batch" if single else f"batches[{i}]"
        if not isinstance(batch, dict):
            return f"{where} must be a JSON object"
        if "events" not in batch:
            if historical:
                return f"{where}.events must contain at least one event for historical data"
            continue
        events = batch["events"]
        if not isinstance(events, list):
            return f"{where}.events must be an array"
        if historical and not events:
            return f"{where}.events must contain at least one event for historical data"
        for j, event in enumerate(events):
            if not isinstance(event, dict):
                return f"{where}.events[{j}] must be a JSON object"
            event_type = event.get("event_type")
            if not isinstance(event_type, str) or not event_type:
                return f"{where}.events[{j}].event_type must be a non-empty string"
            data = event.get("data")
            if not isinstance(data, dict):
                return f"{where}.events[{j}].data must be a JSON object"
            if historical:
                ts = data.get("timestamp_unixtime_ms")
                if isinstance(ts, bool) or not isinstance(ts, (int, float)):
                    return f"{where}.events[{j}].data.timestamp_unixtime_ms is required for historical data"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mparticle-local"
    sys_version = ""
    rbufsize = _CHUNK
    disable_nagle_algorithm = True
    server: _Server

    # -- plumbing -------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.server.register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.unregister(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging."""

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Answer protocol-level errors (bad request line, ...) with a JSON body and close."""
        self.close_connection = True
        try:
            self._respond(code, error_body(code, message))
        except OSError:
            pass

    def _respond(self, status: int, body: bytes = b"", headers: Optional[Mapping[str, str]] = None) -> None:
        reason = self.responses.get(status, ("",))[0]
        lines = [
            f"HTTP/1.1 {status} {reason}",
            "Server: mparticle-local",
            f"Date: {self.server.http_date()}",
            f"Content-Length: {len(body)}",
        ]
        if headers:
            lines.extend(f"{k}: {v}" for k, v in headers.items())
        if body and not (headers and any(k.lower() == "content-type" for k in headers)):
            lines.append("Content-Type: application/json")
        if self.close_connection:
            lines.append("Connection: close")
        elif getattr(self, "request_version", "") == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if getattr(self, "command", None) == "HEAD":
            body = b""
        self.wfile.write(head + body)

    # -- request handling -----------------------------------------------------

    def _read_body(self, limit: int) -> Tuple[bytes, int, Optional[_Reject]]:
        """Read the whole body; returns (body, wire size, framing problem)."""
        te = self.headers.get("Transfer-Encoding")
        if te and te.strip().lower() != "identity":
            if te.strip().lower() != "chunked":
                return b"", 0, _Reject(400, f"unsupported Transfer-Encoding {te!r}", close=True)
            return self._read_chunked(limit)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", 0, None
        try:
            n = int(cl)
        except ValueError:
            n = -1
        if n < 0:
            return b"", 0, _Reject(400, "invalid Content-Length", close=True)
        if n > limit:
            too_large = _Reject(413, f"request body exceeds {limit} bytes")
            if n > _MAX_DISCARD:
                too_large.close = True
                return b"", n, too_large
            left = n
            while left:
                got = self.rfile.read(min(left, _CHUNK))
                if not got:
                    raise _ClientGone
                left -= len(got)
            return b"", n, too_large
        body = self.rfile.read(n) if n else b""
        if len(body) < n:
            raise _ClientGone
        return body, n, None

    def _read_chunked(self, limit: int) -> Tuple[bytes, int, Optional[_Reject]]:
        parts: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_CHUNK + 1)
            if not line:
                raise _ClientGone
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return b"", total, _Reject(400, "invalid chunked body", close=True)
            if size == 0:
                while True:
                    trailer = self.rfile.readline(_CHUNK + 1)
                    if not trailer:
                        raise _ClientGone
                    if trailer in (b"\r\n", b"\n"):
                        return b"".join(parts), total, None
            total += size
            if total > limit:
                return b"", total, _Reject(413, f"request body exceeds {limit} bytes", close=True)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _ClientGone
            parts.append(chunk)
            self.rfile.readline(_CHUNK + 1)

    def _dispatch(self) -> None:
        server = self.server
        owner = server.owner
        received_at = time.monotonic()
        raw_headers = [(str(k), str(v)) for k, v in self.headers.items()]
        try:
            body, wire_size, framing = self._read_body(owner.max_request_bytes)
        except (_ClientGone, OSError):
            self.close_connection = True
            return

        fault = owner._next_fault() if self.command == "POST" else None
        delay = owner._hang + (fault.delay if fault is not None else 0.0)
        if delay > 0 and server.stopping.wait(delay):
            self.close_connection = True
            return

        def record(
            status: int, batches: List[Dict[str, Any]], error: Optional[str], faulted: bool, payload: bytes
        ) -> None:
            owner._record(
                RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers=Headers(raw_headers),
                    raw_headers=raw_headers,
                    body=payload if owner.record else b"",
                    status=status,
                    batches=batches if owner.record else [],
                    received_at=received_at,
                    error=error,
                    faulted=faulted,
                    wire_size=wire_size,
                ),
                batches,
            )

        if fault is not None and not fault.passthrough:
            if fault.drop:
                self.close_connection = True
                record(0, [], None, True, body)
                return
            answer = fault.body
            if answer is None and fault.status >= 400:
                answer = error_body(fault.status)
            record(fault.status, [], None, True, body)
            self._respond(fault.status, answer or b"", fault.response_headers())
            return

        extra = fault.response_headers() if fault is not None else {}
        try:
            batches, payload = self._process(body, framing)
        except _Reject as rej:
            if rej.close:
                self.close_connection = True
            headers = dict(_error_headers(rej.status))
            if rej.status == 405:
                headers["Allow"] = "POST"
            headers.update(extra)
            record(rej.status, [], rej.message, fault is not None, body)
            self._respond(rej.status, error_body(rej.status, rej.message), headers)
            return
        record(202, batches, None, fault is not None, payload)
        self._respond(202, b"", extra)

    def _process(self, body: bytes, framing: Optional[_Reject]) -> Tuple[List[Dict[str, Any]], bytes]:
        owner = self.server.owner
        auth = self.headers.get("Authorization")
        if auth != owner._expected_auth:
            owner._check_auth(auth)
        path = self.path.split("?", 1)[0]
        if len(path) > 1:
            path = path.rstrip("/")
        if path not in _ENDPOINTS:
            raise _Reject(404, f"no such endpoint: {path}")
        if self.command != "POST":
            raise _Reject(405, f"method {self.command} not allowed; use POST")
        if framing is not None:
            raise framing
        ctype = self.headers.get("Content-Type") or ""
        if "application/json" not in ctype.lower():
            raise _Reject(400, f"Content-Type must be application/json, got {ctype!r}")
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            body = _gunzip(body, owner.max_request_bytes)
        elif encoding != "identity":
            raise _Reject(400, f"unsupported Content-Encoding {encoding!r}")
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise _Reject(400, f"invalid JSON: {exc}") from None
        single = path == _EVENTS
        if single:
            if not isinstance(doc, dict):
                raise _Reject(400, "request body must be a JSON object (one batch)")
            batches = [doc]
        else:
            if not isinstance(doc, list):
                raise _Reject(400, "request body must be a JSON array of batches")
            if len(doc) > owner.max_batches:
                raise _Reject(400, f"too many batches: {len(doc)} > {owner.max_batches}")
            batches = doc
        problem = _validate(batches, path == _HISTORICAL, single)
        if problem is not None:
            raise _Reject(400, problem)
        return batches, body

    do_POST = _dispatch  # noqa: N815
    do_GET = _dispatch  # noqa: N815
    do_PUT = _dispatch  # noqa: N815
    do_PATCH = _dispatch  # noqa: N815
    do_DELETE = _dispatch  # noqa: N815
    do_HEAD = _dispatch  # noqa: N815
    do_OPTIONS = _dispatch  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, owner: LocalEventsServer, port: int = 0) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._connections: Dict[socket.socket, threading.Thread] = {}
        self._date: Tuple[int, str] = (0, "")
        self._wake_r, self._wake_w = socket.socketpair()
        try:
            super().__init__((_HOST, port), _Handler)
        except BaseException:
            self._wake_r.close()
            self._wake_w.close()
            raise

    def serve(self) -> None:
        """Accept connections until :meth:`wake` is called after ``stopping`` was set."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self.stopping.is_set():
                        self._accept()

    def _accept(self) -> None:
        try:
            request, client_address = self.get_request()
        except OSError:
            return
        try:
            self.process_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
            self.shutdown_request(request)

    def wake(self) -> None:
        """Interrupt :meth:`serve` (call after setting ``stopping``)."""
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def server_bind(self) -> None:
        """Bind without the (possibly slow) reverse DNS lookup of HTTPServer."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = _HOST
        self.server_port = self.socket.getsockname()[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep handler errors off stderr; unexpected ones are kept in ``owner.errors``."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.owner._add_error(exc)

    def http_date(self) -> str:
        now = int(time.time())
        cached = self._date
        if cached[0] != now:
            cached = (now, formatdate(now, usegmt=True))
            self._date = cached
        return cached[1]

    def register(self, conn: socket.socket) -> None:
        with self._conn_lock:
            if not self.stopping.is_set():
                self._connections[conn] = threading.current_thread()
                return
        _shutdown_socket(conn)

    def unregister(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.pop(conn, None)

    def close_connections(self) -> List[threading.Thread]:
        with self._conn_lock:
            items = list(self._connections.items())
        for conn, _ in items:
            _shutdown_socket(conn)
        return [t for _, t in items]


def _shutdown_socket(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class LocalEventsServer:
    """A local mParticle Events API endpoint on ``127.0.0.1``.

    ``port``: the port to bind on ``127.0.0.1``; ``0`` (the default) picks a free ephemeral
    port at each ``start()``.
    ``max_request_bytes`` limits the body on the wire and, for gzip bodies, also
    after decompression (413). ``max_batches`` limits bulk requests (400).
    With ``record=False`` requests are still recorded, but without bodies and
    batches (for benchmarks); counters are kept either way.
    """

    def __init__(
        self,
        api_key: str = "test-key",
        api_secret: str = "test-secret",
        *,
        max_request_bytes: int = 256 * 1024,
        max_batches: int = 100,
        record: bool = True,
        port: int = 0,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be within 0..65535, got {port}")
        self.api_key = api_key
        self.api_secret = api_secret
        self.max_request_bytes = max_request_bytes
        self.max_batches = max_batches
        self.record = record
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode("ascii")
        self._expected_auth = f"Basic {token}"
        self._lifecycle = threading.Lock()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._bind_port = port
        self._port = 0
        self._lock = threading.Lock()
        self._accepted = threading.Condition(self._lock)
        self._requests: List[RecordedRequest] = []
        self._batches: List[Dict[str, Any]] = []
        self._accepted_count = 0
        self._status_counts: Dict[int, int] = {}
        self._errors: List[BaseException] = []
        self._script: Deque[Fault] = collections.deque()
        self._rates: Optional[Tuple[float, float, float]] = None
        self._retry_after: Optional[str] = None
        self._rng = random.Random()
        self._hang = 0.0

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> LocalEventsServer:
        """Bind to ``127.0.0.1`` (``port``, or a fresh ephemeral one) and serve in a daemon thread."""
        with self._lifecycle:
            if self._server is None:
                server = _Server(self, self._bind_port)
                thread = threading.Thread(
                    target=server.serve,
                    name=f"mparticle-local:{server.server_port}",
                    daemon=True,
                )
                thread.start()
                self._server, self._thread, self._port = server, thread, server.server_port
        return self

    def stop(self, timeout: float = 1.0) -> None:
        """Stop serving, close all sockets and join the threads (idempotent).

        Hanging handlers are woken up; waits for handler threads at most ``timeout``.
        """
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        deadline = time.monotonic() + timeout
        server.stopping.set()
        server.wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        server.server_close()
        handlers = server.close_connections()
        for handler in handlers:
            if handler is not threading.current_thread():
                handler.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> LocalEventsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (the last one after ``stop()``)."""
        if not self._port:
            raise RuntimeError("LocalEventsServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """The API base URL, ``http://127.0.0.1:<port>/v2`` (the SDK's ``Configuration.host``)."""
        return f"http://{_HOST}:{self.port}/v2"

    def __repr__(self) -> str:
        state = f"port={self._port}" if self.running else "stopped"
        return f"<LocalEventsServer {state} accepted={self.accepted_count}>"

    # -- results --------------------------------------------------------------

    @property
    def requests(self) -> List[RecordedRequest]:
        """Snapshot of all received requests, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def batches(self) -> List[Dict[str, Any]]:
        """Snapshot of all batches of accepted requests, in arrival order."""
        with self._lock:
            return list(self._batches)

    @property
    def accepted_count(self) -> int:
        """Number of batches accepted (kept even with ``record=False``)."""
        return self._accepted_count

    @property
    def status_counts(self) -> Dict[int, int]:
        """How many requests were answered with each status (0: dropped)."""
        with self._lock:
            return dict(self._status_counts)

    @property
    def request_count(self) -> int:
        """Number of requests answered or dropped."""
        with self._lock:
            return sum(self._status_counts.values())

    @property
    def errors(self) -> List[BaseException]:
        """Unexpected exceptions raised in request handlers (should stay empty)."""
        with self._lock:
            return list(self._errors)

    def wait_for(self, n_batches: int, timeout: float = 5.0) -> bool:
        """Block until at least ``n_batches`` batches were accepted; False on timeout."""
        with self._accepted:
            return self._accepted.wait_for(lambda: self._accepted_count >= n_batches, timeout)

    def reset(self) -> None:
        """Clear records, counters, scripted faults, fault rates and ``hang``."""
        with self._lock:
            self._requests.clear()
            self._batches.clear()
            self._accepted_count = 0
            self._status_counts.clear()
            self._errors.clear()
            self._script.clear()
            self._rates = None
            self._retry_after = None
            self._hang = 0.0

    # -- faults ---------------------------------------------------------------

    def script(self, *faults: Fault | int) -> None:
        """Queue answers for the next POST requests, in order (an int is ``Fault(status=int)``).

        Appends to what is already queued; when the queue is empty, normal behaviour
        (or the random fault rates) resumes.
        """
        queued = [Fault(status=f) if isinstance(f, int) else f for f in faults]
        with self._lock:
            self._script.extend(queued)

    @property
    def scripted_remaining(self) -> int:
        """Number of scripted answers not used yet."""
        with self._lock:
            return len(self._script)

    def set_fault_rates(
        self,
        *,
        throttle: float = 0.0,
        throttle_retry_after: Optional[str] = None,
        unavailable: float = 0.0,
        drop: float = 0.0,
        seed: Optional[int] = None,
    ) -> None:
        """Answer a random fraction of POST requests with faults.

        ``throttle``: 429 (with ``Retry-After: throttle_retry_after`` when given;
        ``"mixed"`` sends ``"0"`` on half of them and no header on the other half),
        ``unavailable``: 503, ``drop``: connection closed without answer. All zeros
        turn random faults off. ``seed`` seeds the random generator.
        """
        rates = (throttle, unavailable, drop)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be within [0, 1] and sum to at most 1")
        with self._lock:
            self._rates = rates if any(rates) else None
            self._retry_after = throttle_retry_after
            self._rng = random.Random(seed)

    def hang(self, seconds: float) -> None:
        """Make every request wait ``seconds`` before it is answered (0 to stop).

        ``stop()`` interrupts the wait and closes the connection.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._hang = float(seconds)

    # -- internals used by the handler ----------------------------------------

    def _next_fault(self) -> Optional[Fault]:
        with self._lock:
            if self._script:
                return self._script.popleft()
            if self._rates is None:
                return None
            throttle, unavailable, drop = self._rates
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

    def _check_auth(self, auth: Optional[str]) -> None:
        if not auth:
            raise _Reject(401, "missing Authorization header")
        scheme, _, credentials = auth.strip().partition(" ")
        if scheme.lower() != "basic" or not credentials.strip():
            raise _Reject(401, "malformed Authorization header (expected HTTP Basic)")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _Reject(401, "malformed Authorization header (bad base64)") from None
        key, sep, secret = decoded.partition(":")
        if not sep:
            raise _Reject(401, "malformed Authorization header (expected key:secret)")
        key_ok = hmac.compare_digest(key.encode(), self.api_key.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.api_secret.encode())
        if not (key_ok and secret_ok):
            raise _Reject(403, "invalid API key or secret")

    def _record(self, request: RecordedRequest, batches: List[Dict[str, Any]]) -> None:
        with self._accepted:
            self._status_counts[request.status] = self._status_counts.get(request.status, 0) + 1
            self._requests.append(request)
            if request.status == 202 and batches:
                if self.record:
                    self._batches.extend(batches)
                self._accepted_count += len(batches)
                self._accepted.notify_all()

    def _add_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)
