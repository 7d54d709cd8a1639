"""The local endpoint's emulated account limit: speed and acceleration, over real HTTP."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List

import pytest
import urllib3
from conftest import KEY, SECRET, FakeClock

import mparticle
from mparticle.cli import main
from mparticle.rest import ApiException
from mparticle.testing import LocalEventsServer
from mparticle.testing.ratelimit import AccountLimit

NO_RETRIES = mparticle.RetryPolicy(max_retries=0)


def test_the_bucket_holds_one_second_and_refills() -> None:
    clock = FakeClock(10.0)
    limit = AccountLimit(10, clock=clock)
    assert limit.admit(6) == (True, {"X-mp-rate-limit-percentage-used": "60"})
    assert limit.admit(4) == (True, {"X-mp-rate-limit-percentage-used": "100"})
    assert limit.admit(1) == (False, {"Retry-After": "1", "X-mp-rate-limit-exceeded": "account"})
    clock.sleep(0.5)  # five tokens back
    assert limit.admit(6) == (False, {"Retry-After": "1", "X-mp-rate-limit-exceeded": "account"})
    assert limit.admit(5)[0]
    clock.sleep(100)  # never more than a second's worth
    assert limit.admit(10)[0] and not limit.admit(1)[0]
    assert AccountLimit(2, clock=clock).admit(7)[1]["Retry-After"] == "3"  # (7 - 2) / 2 s, rounded up


def test_acceleration_bounds_each_second_by_the_one_before() -> None:
    clock = FakeClock(100.0)
    limit = AccountLimit(1000, acceleration=10, clock=clock)
    assert limit.admit(10) == (True, {"X-mp-rate-limit-percentage-used": "100"})
    assert limit.admit(1) == (False, {"Retry-After": "1", "X-mp-rate-limit-exceeded": "acceleration"})
    clock.sleep(1.0)  # the next second may take 10 + 10
    assert limit.admit(15) == (True, {"X-mp-rate-limit-percentage-used": "75"})
    assert limit.admit(5)[0] and not limit.admit(1)[0]
    clock.sleep(5.0)  # idle seconds: the ramp starts again from nothing
    assert limit.admit(10)[0] and not limit.admit(1)[0]


def test_the_percentage_used_is_the_speed_over_the_last_second() -> None:
    clock = FakeClock(50.0)
    limit = AccountLimit(100, clock=clock)
    seen = []
    for _ in range(40):  # 5 batches every 0.1 s: half the limit, the bucket never drains
        seen.append(int(limit.admit(5)[1]["X-mp-rate-limit-percentage-used"]))
        clock.sleep(0.1)
    assert seen[:3] == [5, 10, 15]  # the window fills over the first second
    assert all(45 <= used <= 55 for used in seen[10:]), seen
    for _ in range(10):  # then 9 per 0.1 s
        used = int(limit.admit(9)[1]["X-mp-rate-limit-percentage-used"])
        clock.sleep(0.1)
    assert 85 <= used <= 95
    clock.sleep(3.0)  # idle: nothing in the window
    assert limit.admit(1)[1]["X-mp-rate-limit-percentage-used"] == "1"


@pytest.mark.parametrize(
    "rate, acceleration, message",
    [(0, None, "rate_limit must be a positive"), (float("inf"), None, "rate_limit"), (5, -1, "acceleration_limit")],
)
def test_bad_limits_are_named(rate: float, acceleration: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AccountLimit(rate, acceleration)
    with pytest.raises(ValueError, match="acceleration_limit needs rate_limit"):
        LocalEventsServer(acceleration_limit=5)


def batch(i: int) -> Dict[str, Any]:
    return {"environment": "development", "user_identities": {"customer_id": "c%d" % i}, "events": []}


def test_over_real_http_202_carries_the_percentage_and_429_says_why() -> None:
    with LocalEventsServer(KEY, SECRET, rate_limit=5) as server:
        config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url, retries=NO_RETRIES)
        api = mparticle.EventsApi(config)
        _, status, headers = api.bulk_upload_events([batch(i) for i in range(4)])
        assert status == 202 and headers["X-mp-rate-limit-percentage-used"] == "80"
        with pytest.raises(ApiException) as refused:
            api.bulk_upload_events([batch(i) for i in range(2)])
        error = refused.value
        assert error.status == 429 and error.retry_after == 1.0
        assert error.headers is not None and error.headers["X-mp-rate-limit-exceeded"] == "account"
        # a fresh client (this one's 429 gate now holds calls for the Retry-After)
        api = mparticle.EventsApi(
            mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url, retries=NO_RETRIES)
        )
        with pytest.raises(ApiException) as invalid:  # a request the endpoint refuses costs nothing
            api.upload_events({"events": "x"})
        assert invalid.value.status == 400
        assert api.upload_events(batch(9))[1] == 202
        assert [r.status for r in server.requests] == [202, 429, 400, 202]
        assert server.accepted_count == 5 and server.requests[1].batches == []
        assert server.requests[1].error == "rate limit exceeded: account"


def test_clients_on_many_threads_share_one_budget() -> None:
    rate = 40
    with LocalEventsServer(KEY, SECRET, rate_limit=rate, validate=False) as server:
        http = urllib3.PoolManager(maxsize=8)
        headers = urllib3.make_headers(basic_auth="%s:%s" % (KEY, SECRET))
        headers["Content-Type"] = "application/json"
        statuses: List[int] = []
        lock = threading.Lock()
        started = time.monotonic()

        def post() -> None:
            while time.monotonic() - started < 0.5:
                answer = http.request("POST", server.url + "/bulkevents", body=b"[{}]", headers=headers, retries=False)
                with lock:
                    statuses.append(answer.status)

        threads = [threading.Thread(target=post) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    accepted = statuses.count(202)
    assert set(statuses) == {202, 429}
    # a full bucket (one second's worth) plus the refill while the clients ran, never more
    assert rate <= accepted <= rate + rate * elapsed + 1


def test_serve_takes_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    from mparticle.cli import build_parser
    from mparticle.cli.serve import _build_server

    args = build_parser().parse_args(["serve", "--rate-limit", "270", "--acceleration-limit", "50"])
    server = _build_server(args)
    try:
        assert server.rate_limit is not None
        assert (server.rate_limit.rate, server.rate_limit.acceleration) == (270.0, 50.0)
    finally:
        server.stop()
    assert main(["serve", "--rate-limit", "0"]) == 2
    assert "--rate-limit" in capsys.readouterr().err
