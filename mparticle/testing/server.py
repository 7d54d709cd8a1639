"""The local endpoint's public face: :class:`LocalEventsServer` (lifecycle, results, faults)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from mparticle.limits import LIMITS
from mparticle.testing.faults import Fault, FaultPlan
from mparticle.testing.handler import Endpoint, Settings
from mparticle.testing.listener import _HOST, Serving
from mparticle.testing.ratelimit import AccountLimit
from mparticle.testing.records import RecordedRequest, Recorder

__all__ = ["LocalEventsServer"]


class LocalEventsServer(Serving):
    """A local mParticle Events API endpoint on ``127.0.0.1``.

    ``port``: the port to bind on ``127.0.0.1``; ``0`` (the default) picks a free ephemeral
    port at each ``start()``.
    ``max_request_bytes`` limits the body on the wire and, for gzip bodies, also
    after decompression (413). ``max_batches`` limits bulk requests (400). Both default
    to the service's limits (:data:`mparticle.limits.LIMITS`).
    With ``record=False`` requests are still recorded, but without bodies and
    batches (for benchmarks); counters are kept either way.

    Batches are checked with :func:`mparticle.validation.validate`. By default (lenient) a
    request is answered 400 only for the problems the real Events API refuses: a batch that
    is not an object, ``events`` not an array, an event that is not an object, without a
    ``data`` object or without a known ``event_type``; on the historical endpoint also a batch
    without events or an event without an integer ``data.timestamp_unixtime_ms``. Anything
    else is accepted (202), as the service does. ``strict=True`` answers 400 to a batch with
    any validation problem. Either way the error body lists one error per problem
    (``"batches[1]: <message> [rule]"``). ``validate=False`` skips the batch checks (for
    benchmarks: the endpoint then costs little more than parsing the JSON).

    ``rate_limit`` (batches per second) emulates the account limit, shared by every client:
    valid requests are answered 202 with ``X-mp-rate-limit-percentage-used``, or 429 with
    ``Retry-After`` and ``X-mp-rate-limit-exceeded: account`` when the token bucket (one
    second of batches) cannot take them; ``acceleration_limit`` (batches per second, per
    second) also refuses, with ``acceleration``, a second that accepts more than the one before
    plus that much. See :mod:`mparticle.testing.ratelimit`.
    """

    def __init__(
        self,
        api_key: str = "test-key",
        api_secret: str = "test-secret",
        *,
        max_request_bytes: int = LIMITS.max_request_bytes,
        max_batches: int = LIMITS.max_batches_per_request,
        record: bool = True,
        port: int = 0,
        strict: bool = False,
        validate: bool = True,
        rate_limit: Optional[float] = None,
        acceleration_limit: Optional[float] = None,
    ) -> None:
        self._settings = Settings(api_key, api_secret, max_request_bytes, max_batches, strict, validate)
        self._faults = FaultPlan()
        self._recorder = Recorder(keep_payloads=record)
        if acceleration_limit is not None and rate_limit is None:
            raise ValueError("acceleration_limit needs rate_limit")
        #: The emulated account limit (``rate_limit=``), or None.
        self.rate_limit: Optional[AccountLimit] = (
            None if rate_limit is None else AccountLimit(rate_limit, acceleration_limit)
        )
        self._serve(Endpoint(self._settings, self._faults, self._recorder, self.rate_limit), port)

    @property
    def api_key(self) -> str:
        """The API key accepted."""
        return self._settings.api_key

    @property
    def api_secret(self) -> str:
        """The API secret accepted."""
        return self._settings.api_secret

    @property
    def max_request_bytes(self) -> int:
        """The body size limit (413 past it)."""
        return self._settings.max_request_bytes

    @property
    def max_batches(self) -> int:
        """The most batches a bulk request may hold (400 past it)."""
        return self._settings.max_batches

    @property
    def strict(self) -> bool:
        """Whether any validation problem is refused (False: only what the service refuses)."""
        return self._settings.strict

    @property
    def validate(self) -> bool:
        """Whether batches are checked at all."""
        return self._settings.validate

    @property
    def record(self) -> bool:
        """Whether request bodies and accepted batches are kept."""
        return self._recorder.keep_payloads

    # -- where it serves (start, stop and ``with``: :class:`Serving`) ---------

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
        return self._recorder.requests

    @property
    def batches(self) -> List[Dict[str, Any]]:
        """Snapshot of all batches of accepted requests, in arrival order."""
        return self._recorder.batches

    @property
    def accepted_count(self) -> int:
        """Number of batches accepted (kept even with ``record=False``)."""
        return self._recorder.accepted_count

    @property
    def status_counts(self) -> Dict[int, int]:
        """How many requests were answered with each status (0: dropped)."""
        return self._recorder.status_counts

    @property
    def request_count(self) -> int:
        """Number of requests answered or dropped."""
        return self._recorder.request_count

    @property
    def errors(self) -> List[BaseException]:
        """Unexpected exceptions raised in request handlers (should stay empty)."""
        return self._recorder.errors

    def wait_for(self, n_batches: int, timeout: float = 5.0) -> bool:
        """Block until at least ``n_batches`` batches were accepted; False on timeout."""
        return self._recorder.wait_for(n_batches, timeout)

    def reset(self) -> None:
        """Clear records, counters, scripted faults, fault rates and ``hang``."""
        self._recorder.clear()
        self._faults.clear()

    # -- faults ---------------------------------------------------------------

    def script(self, *faults: Fault | int) -> None:
        """Queue answers for the next POST requests, in order (an int is ``Fault(status=int)``).

        Appends to what is already queued; when the queue is empty, normal behaviour
        (or the random fault rates) resumes.
        """
        self._faults.script(Fault(status=f) if isinstance(f, int) else f for f in faults)

    @property
    def scripted_remaining(self) -> int:
        """Number of scripted answers not used yet."""
        return self._faults.remaining

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
        self._faults.set_rates(throttle, throttle_retry_after, unavailable, drop, seed)

    def hang(self, seconds: float) -> None:
        """Make every request wait ``seconds`` before it is answered (0 to stop).

        ``stop()`` interrupts the wait and closes the connection.
        """
        self._faults.set_hang(seconds)
