"""The local endpoint's HTTP request handler: framing, auth, decoding and batch checks."""

from __future__ import annotations

import json
import time
import zlib
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from mparticle.testing.faults import _error_headers, error_body
from mparticle.testing.records import Headers, RecordedRequest

if TYPE_CHECKING:
    from mparticle.testing.listener import _Server

_EVENTS = "/v2/events"
_BULK = "/v2/bulkevents"
_HISTORICAL = "/v2/bulkevents/historical"
_ENDPOINTS = frozenset((_EVENTS, _BULK, _HISTORICAL))
#: Oversized bodies up to this size are read and discarded to keep the connection usable.
_MAX_DISCARD = 64 * 1024 * 1024
_CHUNK = 64 * 1024


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
