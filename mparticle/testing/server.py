"""The local endpoint's public face: :class:`LocalEventsServer` (lifecycle, results, faults)."""

from __future__ import annotations

import base64
import binascii
import collections
import hmac
import random
import threading
import time
from types import TracebackType
from typing import Any, Deque, Dict, List, Optional, Tuple

from mparticle.testing.faults import Fault
from mparticle.testing.handler import _Reject
from mparticle.testing.listener import _HOST, _Server
from mparticle.testing.records import RecordedRequest

__all__ = ["LocalEventsServer"]

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
