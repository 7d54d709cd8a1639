"""The local endpoint's HTTP request handler, and :class:`Endpoint`: all it uses of its owner."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from mparticle.limits import API_PREFIX, BULK_PATH, EVENTS_PATH, HISTORICAL_PATH
from mparticle.testing.checks import batch_errors
from mparticle.testing.faults import Fault, FaultPlan, error_body, error_headers
from mparticle.testing.framing import CHUNK, ClientGone, Reject, gunzip, read_body
from mparticle.testing.ratelimit import EXCEEDED_HEADER, AccountLimit
from mparticle.testing.records import Headers, RecordedRequest, Recorder

if TYPE_CHECKING:
    from mparticle.testing.listener import _Server

__all__ = ["Endpoint", "Settings", "check_auth"]

_EVENTS = API_PREFIX + EVENTS_PATH
_HISTORICAL = API_PREFIX + HISTORICAL_PATH
_ENDPOINTS = frozenset((_EVENTS, API_PREFIX + BULK_PATH, _HISTORICAL))
#: At most this many errors are listed in an error body (``RecordedRequest.error`` has all).
_MAX_LISTED = 100


@dataclass(frozen=True)
class Settings:
    """How the endpoint judges requests: the credentials it accepts, its limits, its batch checks.

    ``strict``: refuse a batch with any validation problem; ``validate=False``: do not check
    batches at all (see :mod:`mparticle.testing.checks`).
    """

    api_key: str
    api_secret: str
    max_request_bytes: int
    max_batches: int
    strict: bool = False
    validate: bool = True
    expected_auth: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.strict and not self.validate:
            raise ValueError("strict=True needs validate=True")
        token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode("ascii")
        object.__setattr__(self, "expected_auth", f"Basic {token}")


@dataclass(frozen=True)
class Endpoint:
    """Everything the handler uses of the server that owns it."""

    settings: Settings
    faults: FaultPlan
    recorder: Recorder
    limit: Optional[AccountLimit] = None  #: the emulated account rate limit, if any


def check_auth(auth: Optional[str], settings: Settings) -> None:
    """Raise :class:`Reject` (401 missing or malformed, 403 wrong) unless ``auth`` is valid Basic auth."""
    if auth == settings.expected_auth:
        return
    if not auth:
        raise Reject(401, "missing Authorization header")
    scheme, _, credentials = auth.strip().partition(" ")
    if scheme.lower() != "basic" or not credentials.strip():
        raise Reject(401, "malformed Authorization header (expected HTTP Basic)")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Reject(401, "malformed Authorization header (bad base64)") from None
    key, sep, secret = decoded.partition(":")
    if not sep:
        raise Reject(401, "malformed Authorization header (expected key:secret)")
    key_ok = hmac.compare_digest(key.encode(), settings.api_key.encode())
    secret_ok = hmac.compare_digest(secret.encode(), settings.api_secret.encode())
    if not (key_ok and secret_ok):
        raise Reject(403, "invalid API key or secret")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mparticle-local"
    sys_version = ""
    rbufsize = CHUNK
    disable_nagle_algorithm = True
    server: _Server
    # Set per request by _dispatch, for _record.
    _received_at: float
    _raw_headers: List[Tuple[str, str]]
    _wire_size: int

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

    def _record(
        self, status: int, batches: List[Dict[str, Any]], error: Optional[str], faulted: bool, payload: bytes
    ) -> None:
        recorder = self.server.endpoint.recorder
        keep = recorder.keep_payloads
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers=Headers(self._raw_headers),
            raw_headers=self._raw_headers,
            body=payload if keep else b"",
            status=status,
            batches=batches if keep else [],
            received_at=self._received_at,
            error=error,
            faulted=faulted,
            wire_size=self._wire_size,
        )
        recorder.add(request, batches)

    # -- request handling -----------------------------------------------------

    def _dispatch(self) -> None:
        endpoint = self.server.endpoint
        self._received_at = time.monotonic()
        self._raw_headers = [(str(k), str(v)) for k, v in self.headers.items()]
        try:
            body, self._wire_size, framing = read_body(
                self.rfile,
                self.headers.get("Transfer-Encoding"),
                self.headers.get("Content-Length"),
                endpoint.settings.max_request_bytes,
            )
        except (ClientGone, OSError):
            self.close_connection = True
            return
        fault = endpoint.faults.next() if self.command == "POST" else None
        delay = endpoint.faults.hang + (fault.delay if fault is not None else 0.0)
        if delay > 0 and self.server.stopping.wait(delay):
            self.close_connection = True
            return
        if fault is not None and not fault.passthrough:
            self._answer_fault(fault, body)
        else:
            self._answer(body, framing, fault)

    def _answer_fault(self, fault: Fault, body: bytes, error: Callable[[int], bytes] = error_body) -> None:
        """Answer as ``fault`` says, without looking at the request (``error``: the body of an
        error status the fault gives none for, in the shape of the endpoint asked)."""
        if fault.drop:
            self.close_connection = True
            self._record(0, [], None, True, body)
            return
        answer = fault.body
        if answer is None and fault.status >= 400:
            answer = error(fault.status)
        self._record(fault.status, [], None, True, body)
        self._respond(fault.status, answer or b"", fault.response_headers())

    def _answer(self, body: bytes, framing: Optional[Reject], fault: Optional[Fault]) -> None:
        """Process the request and answer 202 or the error it deserves (``fault``: a pass-through)."""
        extra = fault.response_headers() if fault is not None else {}
        try:
            batches, payload = self._process(body, framing)
        except Reject as rej:
            if rej.close:
                self.close_connection = True
            headers = dict(error_headers(rej.status))
            if rej.status == 405:
                headers["Allow"] = "POST"
            headers.update(extra)
            self._record(rej.status, [], rej.message, fault is not None, body)
            self._respond(rej.status, error_body(rej.status, *rej.errors[:_MAX_LISTED]), headers)
            return
        limit = self.server.endpoint.limit
        if limit is not None:  # the account's budget is spent only by requests it would accept
            admitted, headers = limit.admit(len(batches))
            if not admitted:
                headers.update(extra)
                self._record(429, [], "rate limit exceeded: " + headers[EXCEEDED_HEADER], fault is not None, payload)
                self._respond(429, error_body(429), {**error_headers(429), **headers})
                return
            extra = {**headers, **extra}
        self._record(202, batches, None, fault is not None, payload)
        self._respond(202, b"", extra)

    def _process(self, body: bytes, framing: Optional[Reject]) -> Tuple[List[Dict[str, Any]], bytes]:
        """The accepted batches and the decoded body; raises :class:`Reject` for an error answer."""
        settings = self.server.endpoint.settings
        check_auth(self.headers.get("Authorization"), settings)
        path = self.path.split("?", 1)[0]
        if len(path) > 1:
            path = path.rstrip("/")
        if path not in _ENDPOINTS:
            raise Reject(404, f"no such endpoint: {path}")
        if self.command != "POST":
            raise Reject(405, f"method {self.command} not allowed; use POST")
        if framing is not None:
            raise framing
        body = self._decode(body, settings.max_request_bytes)
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise Reject(400, f"invalid JSON: {exc}") from None
        return _batches_of(doc, path, settings), body

    def _decode(self, body: bytes, limit: int) -> bytes:
        ctype = self.headers.get("Content-Type") or ""
        if "application/json" not in ctype.lower():
            raise Reject(400, f"Content-Type must be application/json, got {ctype!r}")
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            return gunzip(body, limit)
        if encoding != "identity":
            raise Reject(400, f"unsupported Content-Encoding {encoding!r}")
        return body

    def _route(self) -> None:
        """Every method goes to :meth:`_dispatch` (which a subclass may override)."""
        self._dispatch()

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _route  # noqa: N815


def _batches_of(doc: Any, path: str, settings: Settings) -> List[Dict[str, Any]]:
    """The batches of a request body (one for /events, an array otherwise), checked."""
    single = path == _EVENTS
    if single:
        if not isinstance(doc, dict):
            raise Reject(400, "request body must be a JSON object (one batch)")
        batches = [doc]
    else:
        if not isinstance(doc, list):
            raise Reject(400, "request body must be a JSON array of batches")
        if len(doc) > settings.max_batches:
            raise Reject(400, f"too many batches: {len(doc)} > {settings.max_batches}")
        batches = doc
    if settings.validate:
        errors = batch_errors(batches, historical=path == _HISTORICAL, single=single, strict=settings.strict)
        if errors:
            raise Reject(400, "; ".join(errors), errors=errors)
    return batches
