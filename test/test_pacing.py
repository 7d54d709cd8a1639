"""The uploader's pacing controller: the algorithm on a fake clock, then over real HTTP."""

from __future__ import annotations

import math
import time
from typing import Dict, List, Optional

import pytest
from conftest import KEY, SECRET, FakeClock

from mparticle import Configuration
from mparticle.testing import LocalEventsServer
from mparticle.uploader import BatchUploader
from mparticle.uploader.pacing import DEFAULT_PACING, Pacer, Pacing, PacingStats


class Response:
    """What the pacer reads of a response: its status and headers."""

    def __init__(self, status: int, **headers: str) -> None:
        self.status = status
        self.headers = {name.replace("_", "-").lower(): value for name, value in headers.items()}

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name.lower(), default)


def used(percent: object) -> Response:
    return Response(202, X_mp_rate_limit_percentage_used=str(percent))


def limited(exceeded: str = "account") -> Response:
    return Response(429, Retry_After="1", X_mp_rate_limit_exceeded=exceeded)


def send(pacer: Pacer, batches: int, response: Response) -> None:
    """One request as the uploader makes it: taken, answered, delivered when 2xx."""
    pacer.took(batches)
    pacer.observe(response)
    if 200 <= response.status < 300:
        pacer.delivered(batches)


def answer(pacer: Pacer, response: Response) -> None:
    """A 2xx for a request of no batches: its percentage applies, nothing is counted as accepted."""
    pacer.observe(response)
    pacer.delivered(0)


def engaged(clock: FakeClock, percent: int = 95, accepted: int = 100) -> Pacer:
    """A pacer that saw ``accepted`` batches/s accepted for a second, then ``percent`` used."""
    pacer = Pacer(DEFAULT_PACING, clock=clock)
    for _ in range(10):
        send(pacer, accepted // 10, used(10))
        clock.sleep(0.1)
    assert pacer.rate() is None  # 10% used: no reason to pace
    send(pacer, accepted // 10, used(percent))
    return pacer


def test_without_word_of_a_limit_nothing_is_paced() -> None:
    clock = FakeClock()
    pacer = Pacer(DEFAULT_PACING, clock=clock)
    for status in (202, 202, 503, 200):
        send(pacer, 100, Response(status))
    assert pacer.rate() is None and pacer.delay() == 0.0 and pacer.request_limit(100) == 100
    assert pacer.stats() == PacingStats(rate=None, percentage_used=None, rate_limited=0, last_exceeded=None)


def test_it_engages_from_the_accepted_rate_scaled_to_the_target() -> None:
    clock = FakeClock()
    pacer = engaged(clock, percent=97, accepted=100)  # 97% used: at the target
    # 100-110 batches accepted over the last second, the target already reached: that rate
    rate = pacer.rate()
    assert rate is not None and 100 <= rate <= 110
    assert pacer.request_limit(100) == int(rate * DEFAULT_PACING.quantum)  # a quarter second's worth
    pacer.took(25)
    assert pacer.delay() == pytest.approx(25 / rate)  # the next request waits its turn
    clock.sleep(pacer.delay())
    assert pacer.delay() == 0.0
    assert pacer.stats().percentage_used == 97


def test_below_the_target_it_grows_only_while_pacing_holds_requests_back() -> None:
    clock = FakeClock()
    pacer = engaged(clock, percent=97)
    start = pacer.rate()
    assert start is not None
    clock.sleep(0.5)
    send(pacer, 1, used(50))  # nothing was held back: an application sending less claims no more
    assert pacer.rate() == start
    pacer.took(50)
    assert pacer.delay() > 0  # now pacing holds the next request
    clock.sleep(0.5)
    answer(pacer, used(50))
    growth = (97 / 50) ** (DEFAULT_PACING.gain * 0.5)
    assert pacer.rate() == pytest.approx(start * growth + DEFAULT_PACING.additive * 0.5)


def test_above_the_target_it_shrinks_gently_near_it_and_halves_per_second_at_100() -> None:
    clock = FakeClock()
    pacer = engaged(clock, percent=97)
    start = pacer.rate()
    assert start is not None
    clock.sleep(1.0)
    answer(pacer, used(98))  # a third of the way to 100
    assert pacer.rate() == pytest.approx(start * 0.5 ** (1 / 9))
    clock.sleep(1.0)
    answer(pacer, used(100))
    assert pacer.rate() == pytest.approx(start * 0.5 ** (1 / 9) * 0.5)
    clock.sleep(30.0)  # a long silence counts as one second, not thirty
    answer(pacer, used(100))
    assert pacer.rate() == pytest.approx(start * 0.5 ** (1 / 9) * 0.25)


def test_a_percentage_alone_never_cuts_below_what_the_server_just_accepted() -> None:
    clock = FakeClock()
    pacer = engaged(clock, percent=97)
    start = pacer.rate()
    assert start is not None and start >= 100
    for _ in range(10):  # the server takes 80 batches/s from us while it says 100% used
        clock.sleep(0.1)
        send(pacer, 8, used(100))
    rate = pacer.rate()  # halving per second alone would leave start / 2, about 50
    assert rate is not None and 0.97 * 72 <= rate <= 0.97 * 88, rate
    pacer.observe(limited())  # a 429 still cuts below it: to half what the server took (80)
    assert pacer.rate() == pytest.approx(80 * DEFAULT_PACING.decrease)


def test_hostile_header_values_neither_crash_nor_pace_nor_bloat_the_stats() -> None:
    clock = FakeClock()
    pacer = Pacer(DEFAULT_PACING, clock=clock)
    for value in ("nan", "inf", "-inf", "1e999", "", "fifty"):
        send(pacer, 10, used(value))
        assert pacer.rate() is None and pacer.stats().percentage_used is None, value
    send(pacer, 10, used("\u0665\u0660"))  # Arabic-Indic digits: float() reads 50, which engages
    assert pacer.rate() is not None and pacer.stats().percentage_used == 50
    pacer.observe(Response(429, X_mp_rate_limit_exceeded=" account" + "x" * 10_000))
    assert len(pacer.stats().last_exceeded or "") == 64


def test_a_first_429_before_any_success_engages_from_what_was_sent() -> None:
    clock = FakeClock()
    pacer = Pacer(DEFAULT_PACING, clock=clock)
    for _ in range(3):  # a burst at start: three full requests leave at once
        pacer.took(100)
    pacer.observe(limited())  # and the first answer is a 429: half of what was tried
    assert pacer.rate() == pytest.approx(150)
    answer(pacer, used(100))
    assert pacer.rate() == pytest.approx(150)  # the same instant: no time to scale by


def test_a_429_halves_the_rate_once_per_second_and_acceleration_slows_the_ramp() -> None:
    clock = FakeClock()
    pacer = engaged(clock, percent=97)
    start = pacer.rate()
    assert start is not None
    for _ in range(4):  # four requests in flight come back refused together: one cut
        pacer.observe(limited())
    assert pacer.rate() == pytest.approx(start * 0.5)
    clock.sleep(1.0)
    pacer.observe(limited("acceleration"))
    assert pacer.rate() == pytest.approx(start * 0.5 * 0.8)
    stats = pacer.stats()
    assert stats.rate_limited == 5 and stats.last_exceeded == "acceleration"
    rate = pacer.rate()
    assert rate is not None
    pacer.took(100)
    assert pacer.delay() > 0
    clock.sleep(1.0)
    answer(pacer, used(50))  # growth a quarter as fast for 30 s
    slow = DEFAULT_PACING.slow_ramp
    assert pacer.rate() == pytest.approx(rate * (97 / 50) ** slow + DEFAULT_PACING.additive * slow)


def test_never_below_min_rate_and_debt_is_rescaled_when_the_rate_changes() -> None:
    clock = FakeClock()
    pacer = engaged(clock, percent=97, accepted=100)
    rate = pacer.rate()
    assert rate is not None
    pacer.took(int(rate))  # a second's worth owed
    assert pacer.delay() == pytest.approx(1.0)
    clock.sleep(1.0)
    pacer.took(int(rate))
    pacer.observe(limited())  # the rate halves: what is owed now takes twice as long
    assert pacer.delay() == pytest.approx(2.0, rel=0.02)
    for _ in range(20):
        clock.sleep(1.0)
        pacer.observe(limited())
    assert pacer.rate() == DEFAULT_PACING.min_rate


def test_a_server_without_the_percentage_is_not_paced_by_its_429s() -> None:
    clock = FakeClock()
    pacer = Pacer(DEFAULT_PACING, clock=clock)
    send(pacer, 100, Response(202))
    pacer.observe(Response(429, Retry_After="1"))  # no word of which limit: left to Retry-After
    assert pacer.rate() is None
    pacer.observe(limited("app"))  # names a limit: pacing starts (100 accepted in the last second, halved)
    assert pacer.rate() == pytest.approx(100 * DEFAULT_PACING.decrease)
    send(pacer, 100, Response(202))  # ... but the server never says how much is used: stop
    assert pacer.rate() is None and pacer.delay() == 0.0
    assert pacer.stats().rate_limited == 2


def test_the_hard_cap_applies_with_pacing_off_and_bounds_pacing() -> None:
    clock = FakeClock()
    capped = Pacer(None, cap=40.0, clock=clock)
    assert capped.rate() == 40.0 and capped.request_limit(100) == 10
    capped.took(10)
    assert capped.delay() == pytest.approx(0.25)
    capped.observe(limited())
    assert capped.rate() == 40.0  # pacing off: a 429 changes nothing here (the gate holds)
    pacer = Pacer(DEFAULT_PACING, cap=30.0, clock=clock)
    for _ in range(10):
        send(pacer, 50, used(60))
        clock.sleep(0.1)
    assert pacer.rate() == 30.0


@pytest.mark.parametrize(
    "field, value, message",
    [("target", 0, "Pacing.target must be a percentage above 0, at most 100, not 0"),
     ("decrease", 1.0, "Pacing.decrease must be between 0 and 1, not 1.0"),
     ("max_growth", 1.0, "Pacing.max_growth"), ("min_rate", 0, "Pacing.min_rate"),
     ("quantum", 0, "Pacing.quantum"), ("gain", -1, "Pacing.gain"),
     ("min_rate", math.inf, "Pacing.min_rate must be 0.01 to 1e6 batches/s, not inf"),
     ("additive", math.inf, "Pacing.additive"), ("target", math.nan, "Pacing.target"),
     ("slow_ramp_seconds", 1e9, "Pacing.slow_ramp_seconds")],
)
def test_bad_parameters_are_named(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.").replace("(", r"\(")):
        Pacing(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["97", True, None])
def test_parameters_that_are_not_numbers_are_named(value: object) -> None:
    with pytest.raises(TypeError, match=r"^Pacing\.target must be a number, not "):
        Pacing(target=value)  # type: ignore[arg-type]


def test_uploader_options_are_checked() -> None:
    config = Configuration(api_key=KEY, api_secret=SECRET)
    with pytest.raises(TypeError, match="pacing must be True, False or a mparticle.uploader.Pacing"):
        BatchUploader(config, pacing="on")  # type: ignore[arg-type]
    for bad in (0, -5, 0.001, math.inf, math.nan, "10", True):
        with pytest.raises(ValueError, match="max_batches_per_second"):
            BatchUploader(config, max_batches_per_second=bad)  # type: ignore[arg-type]
    assert BatchUploader(config, send=False, pacing=False).pacing is None
    assert BatchUploader(config, send=False).pacing == DEFAULT_PACING


def batch(n: int) -> Dict[str, object]:
    return {"environment": "development", "user_identities": {"customer_id": "c%d" % n},
            "events": [{"event_type": "custom_event", "data": {"event_name": "e", "custom_event_type": "other"}}]}


def test_over_http_the_uploader_settles_under_the_limit_and_reports_its_rate() -> None:
    with LocalEventsServer(KEY, SECRET, rate_limit=200) as server:
        config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
        uploader = BatchUploader(config, overflow="block", block_timeout=None, max_queue_batches=50,
                                 upload_interval=0.05)
        try:
            end = time.monotonic() + 4.0
            n = 0
            while time.monotonic() < end:
                uploader.enqueue(batch(n))
                n += 1
            assert uploader.flush(timeout=30)
            stats = uploader.stats()
        finally:
            uploader.shutdown(timeout=5)
        pace = stats.pacing
        assert pace is not None and pace.rate is not None and pace.percentage_used is not None
        assert stats.delivered == n and not stats.dropped
        customers = sorted(b["user_identities"]["customer_id"] for b in server.batches)
        assert customers == sorted("c%d" % i for i in range(n))
        statuses = [r.status for r in server.requests]
        assert statuses.count(429) <= 2, statuses  # the start, at most: it spends the full bucket


def test_over_http_a_process_sending_below_its_rate_does_not_raise_it() -> None:
    """15 batches/s against a limit of 20: paced once the server says 75% is in use, but the
    upload interval, not pacing, is what holds its batches, so the rate must not grow."""
    with LocalEventsServer(KEY, SECRET, rate_limit=20) as server:
        config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
        uploader = BatchUploader(config, upload_interval=0.2)
        try:
            rates = []
            for n in range(60):  # 4 s
                uploader.enqueue(batch(n))
                time.sleep(1 / 15)
                if n % 15 == 14:
                    pace = uploader.stats().pacing
                    assert pace is not None
                    rates.append(pace.rate)
        finally:
            stats = uploader.shutdown(timeout=10)
        assert stats.delivered == 60 and [r.status for r in server.requests].count(429) == 0
        assert rates[0] is not None and rates[-1] is not None and rates[-1] <= 1.5 * rates[0], rates  # it grew 2.4x


def test_over_http_max_batches_per_second_spaces_the_requests() -> None:
    with LocalEventsServer(KEY, SECRET) as server:
        config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
        uploader = BatchUploader(config, max_batches_per_second=40, upload_interval=0.05)
        try:
            uploader.enqueue_many(batch(n) for n in range(60))
            assert uploader.flush(timeout=30)
        finally:
            stats = uploader.shutdown(timeout=5)
        times: List[float] = []
        for request in server.requests:
            times.extend([request.received_at] * len(request.batches))
        assert stats.delivered == 60 and len(times) == 60
        assert max(len(r.batches) for r in server.requests) <= 10  # a quarter second's worth each
        # 60 batches at 40/s: the last leaves at least 50 batches' time (1.25 s) after the first
        assert times[-1] - times[0] >= 50 / 40 - 0.05
        assert stats.pacing is not None and stats.pacing.rate == 40.0


def test_sync_mode_is_paced_on_the_callers_thread() -> None:
    with LocalEventsServer(KEY, SECRET) as server:
        config = Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
        uploader = BatchUploader(config, sync_mode=True, max_batches_per_second=8)
        assert uploader.enqueue_many(batch(n) for n in range(6)) == 6
        requests = server.requests
        assert [len(r.batches) for r in requests] == [2, 2, 2]
        assert requests[2].received_at - requests[0].received_at >= 2 * 2 / 8 - 0.02
