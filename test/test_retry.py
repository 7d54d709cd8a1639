"""RetryPolicy: backoff and Retry-After parsing (mparticle/retry.py)."""

from __future__ import annotations

from mparticle.retry import RetryPolicy, parse_retry_after


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
