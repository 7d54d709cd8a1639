"""RetryPolicy, Retry-After parsing and the retry loop (mparticle/transport/policy.py, retry.py),
the loop on a fake clock: no test here waits real time."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, List, Optional, Tuple

import pytest
from conftest import FakeClock

from mparticle.rest import ApiException, RESTResponse
from mparticle.retry import RateLimitGate, RetryPolicy, parse_retry_after
from mparticle.transport.retry_loop import send_with_retries


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.backoff(3, lambda: 0.0) == 0.0
    import random

    rng = random.Random(7)
    samples = [policy.backoff(2, rng.random) for _ in range(2000)]
    assert 0 <= min(samples) < 0.05 and 0.95 < max(samples) <= 1.0
    assert 0.45 < sum(samples) / len(samples) < 0.55


def test_parse_retry_after() -> None:
    from email.utils import formatdate

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("") is None
    assert parse_retry_after("soon") is None and parse_retry_after("nan") is None
    assert 9 <= parse_retry_after(formatdate(1000.0 + 10, usegmt=True), now=1000.0) <= 10  # type: ignore[operator]
    assert parse_retry_after(formatdate(0, usegmt=True)) == 0.0


# -- RetryPolicy is a value ----------------------------------------------------------------------
def test_policy_is_a_frozen_hashable_value_not_a_tuple() -> None:
    import dataclasses
    import pickle

    policy = RetryPolicy(max_retries=2, retry_statuses=[429, 503])
    assert policy.retry_statuses == frozenset({429, 503})  # any iterable, kept as a frozenset
    assert policy == RetryPolicy(max_retries=2, retry_statuses={503, 429})
    assert hash(policy) == hash(RetryPolicy(max_retries=2, retry_statuses={503, 429}))
    assert policy != tuple(policy._asdict().values()) and not hasattr(policy, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_retries = 5  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert policy.with_(max_retries=0) == dataclasses.replace(policy, max_retries=0) == policy._replace(max_retries=0)
    with pytest.raises(ValueError, match="max_retries"):
        policy.with_(max_retries=-1)  # copies are checked like new policies


@pytest.mark.parametrize(
    "field, value",
    [("max_retries", 1.5), ("max_retries", True), ("backoff_base", float("inf")), ("backoff_max", -1),
     ("total_timeout", "10"), ("max_retry_after", float("nan")), ("retry_statuses", "429"),
     ("retry_statuses", {429, "503"})],
)
def test_policy_refuses_bad_fields_naming_them(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"`{field}`"):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]


def test_retry_statuses_are_exact() -> None:
    policy = RetryPolicy(retry_statuses={429, 500})
    assert [s for s in (400, 429, 500, 501, 502, 503, 504) if policy.should_retry_status(s)] == [429, 500]
    assert RetryPolicy(retry_statuses={409}).should_retry_status(409)  # a listed 4xx is retried too


# -- the loop on a fake clock --------------------------------------------------------------------
def _response(status: int, retry_after: Optional[str] = None) -> RESTResponse:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return RESTResponse(SimpleNamespace(status=status, reason="", data=b"", headers=headers))


def _attempts(*outcomes: Any) -> Tuple[Callable[[float], RESTResponse], List[float]]:
    """An attempt function playing ``outcomes`` (a status, or an exception to raise), and the
    budget each attempt was given."""
    budgets: List[float] = []
    queue = list(outcomes)

    def attempt(budget_left: float) -> RESTResponse:
        budgets.append(budget_left)
        outcome = queue.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return _response(*outcome) if isinstance(outcome, tuple) else _response(outcome)

    return attempt, budgets


def test_backoff_waits_go_through_the_injected_sleep(clock: FakeClock) -> None:
    policy = RetryPolicy(max_retries=3, backoff_base=1.0, backoff_max=8.0, total_timeout=60.0)
    attempt, budgets = _attempts(ApiException(0, "refused"), 503, (429, "4"), 202)
    response = send_with_retries(attempt, policy, RateLimitGate(clock), clock=clock, sleep=clock.sleep)
    assert response.status == 202
    assert len(clock.sleeps) == 3 and 0 <= clock.sleeps[0] <= 1.0 and 0 <= clock.sleeps[1] <= 2.0
    assert clock.sleeps[2] == 4.0  # Retry-After, not backoff
    assert budgets[0] == 60.0 and budgets[-1] == pytest.approx(60.0 - sum(clock.sleeps))  # what is left


def test_the_budget_ends_the_loop_before_a_wait_that_would_overrun_it(clock: FakeClock) -> None:
    policy = RetryPolicy(max_retries=10, total_timeout=10.0)
    attempt, _ = _attempts((503, "6"), (503, "6"))
    with pytest.raises(ApiException) as info:
        send_with_retries(attempt, policy, RateLimitGate(clock), clock=clock, sleep=clock.sleep)
    assert info.value.status == 503 and clock.sleeps == [6.0]  # 6 + 6 > 10: the second wait is not taken


def test_on_retry_hears_each_retry_before_its_wait(clock: FakeClock) -> None:
    heard: List[Tuple[Optional[int], int, float, float]] = []
    attempt, _ = _attempts((429, "1"), (429, "2"), 202)
    send_with_retries(
        attempt, RetryPolicy(), RateLimitGate(clock), clock=clock, sleep=clock.sleep,
        on_retry=lambda error, n, delay: heard.append((error.status, n, delay, clock.now)),
    )
    assert heard == [(429, 1, 1.0, 1000.0), (429, 2, 2.0, 1001.0)]


def test_a_gate_closed_longer_than_the_policy_honours_fails_at_once(clock: FakeClock) -> None:
    gate = RateLimitGate(clock)
    attempt, budgets = _attempts((429, "3600"))
    with pytest.raises(ApiException):
        send_with_retries(attempt, RetryPolicy(), gate, clock=clock, sleep=clock.sleep)
    assert gate.capped and gate.remaining() == 10.0  # clamped to the 10 s budget
    with pytest.raises(ApiException) as gated:
        send_with_retries(attempt, RetryPolicy(), gate, clock=clock, sleep=clock.sleep)
    assert gated.value.status == 429 and gated.value.headers["Retry-After"] == "10"
    assert len(budgets) == 1 and clock.sleeps == []  # refused without an attempt, without waiting
    clock.now += 10
    assert gate.remaining() == 0
