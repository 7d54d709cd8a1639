"""The retry loop: send attempts until one succeeds or the policy says stop.

Every wait (backoff, Retry-After, a closed 429 gate) goes through one ``sleep`` and every time
reading through one ``clock``, both injectable, so tests run the loop on a fake clock. Each
attempt is handed the seconds left in the call's budget and must be over by then.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any, Callable, Optional

from mparticle.retry import RateLimitGate, RetryPolicy, bounded_wait, parse_retry_after
from mparticle.transport.errors import ApiException, RESTResponse

__all__ = ["MIN_ATTEMPT", "Attempt", "OnRetry", "send_with_retries", "status_text"]

#: One attempt: given the seconds left in the budget, the response (any status), or
#: ApiException(status 0) for a network failure.
Attempt = Callable[[float], RESTResponse]
#: Told ``(error, retry_number, delay)`` before each retry's wait.
OnRetry = Callable[[ApiException, int, float], Any]


#: The least time a retry is given (seconds; a tenth of a smaller total budget).
MIN_ATTEMPT = 0.1


def send_with_retries(
    attempt: Attempt,
    policy: RetryPolicy,
    gate: RateLimitGate,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
    on_retry: Optional[OnRetry] = None,
) -> RESTResponse:
    """The 2xx response of the first attempt that gets one, or the last failure raised.

    Before each attempt the 429 ``gate`` is passed (waited out within the budget, or the call
    fails at once without sending); a 429 with Retry-After closes it for everyone using it.
    ``on_retry`` hears of each retry (the client logs it there).
    """

    def wait(seconds: float) -> None:
        sleep(bounded_wait(seconds))

    # the time budget bounds calls that may retry; a single attempt has its own deadline
    budget_end = clock() + policy.total_timeout if policy.max_retries else math.inf
    retry = 0
    while True:
        _pass_gate(gate, clock, wait, budget_end if policy.max_retries else None)
        try:
            response: Optional[RESTResponse] = attempt(budget_end - clock())
            error = None if 200 <= response.status < 300 else ApiException(http_resp=response)  # type: ignore[union-attr]
        except ApiException as network_error:
            response, error = None, network_error
        if error is None:
            return response  # type: ignore[return-value]
        if response is not None and response.status == 429:
            _close_gate(gate, response, policy)
        delay = _retry_delay(error, policy, retry + 1)
        # a retry must have time to run: one left with (almost) no budget could only end in a
        # deadline error, and would hide this error, the server's own answer
        if delay is None or not clock() + delay + min(MIN_ATTEMPT, policy.total_timeout / 10) < budget_end:
            raise error
        retry += 1
        if on_retry is not None:
            on_retry(error, retry, delay)
        wait(delay)


def _close_gate(gate: RateLimitGate, response: RESTResponse, policy: RetryPolicy) -> None:
    """Remember a 429's Retry-After (clamped to what ``policy`` honours)."""
    wait = parse_retry_after(response.getheader("Retry-After"))
    if wait:
        honoured = policy.clamp_retry_after(wait)
        gate.block(honoured, response, capped=honoured < wait)


def _pass_gate(
    gate: RateLimitGate,
    clock: Callable[[], float],
    wait: Callable[[float], None],
    deadline: Optional[float],
) -> None:
    """Wait out the server's Retry-After if the budget allows (and the server did not ask
    for more than this client honours), else fail without sending."""
    remaining = gate.remaining()
    if not remaining:
        return
    if deadline is not None and not gate.capped and clock() + remaining < deadline:
        wait(remaining)
        return
    original = gate.response
    headers = _header_dict(original.getheaders() if original is not None else {})
    headers["Retry-After"] = str(max(1, math.ceil(remaining)))
    raise ApiException(
        429,
        "Too Many Requests",
        body=original.data if original is not None else None,
        headers=headers,
    )


def _retry_delay(error: ApiException, policy: RetryPolicy, retry: int) -> Optional[float]:
    """Seconds to wait before retry number ``retry``, or None to give up."""
    if retry > policy.max_retries:
        return None
    if error.status == 0:
        if not policy.retry_connection_errors or _is_permanent(error.__cause__):
            return None
        return policy.backoff(retry)
    if policy.should_retry_status(error.status or 0):
        if error.retry_after is not None:
            return policy.clamp_retry_after(error.retry_after)
        return policy.backoff(retry, random.random)
    return None


def _header_dict(headers: Any) -> Any:
    """A mutable copy of response headers (urllib3 1.26 and 2.x)."""
    try:
        from urllib3 import HTTPHeaderDict  # type: ignore[attr-defined,unused-ignore]  # not exported by urllib3 1.26
    except ImportError:  # urllib3 1.26
        from urllib3._collections import HTTPHeaderDict
    return HTTPHeaderDict(headers)


def _is_permanent(cause: Optional[BaseException]) -> bool:
    """Failures another attempt cannot fix (TLS verification, bad certificates)."""
    import ssl

    from urllib3.exceptions import SSLError

    return isinstance(cause, (SSLError, ssl.SSLError))


def status_text(error: ApiException) -> str:
    """``status 503``, or the reason of a network failure."""
    return f"status {error.status}" if error.status else str(error.reason)
