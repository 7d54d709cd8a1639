"""Fault injection: scripted answers, random fault rates, Fault and FaultPlan, error bodies."""

import http.client
import json
import time

import pytest
from http_helpers import batch, error_of, request

from mparticle.testing import Fault, LocalEventsServer, error_body
from mparticle.testing.faults import FaultPlan


def test_scripted_sequence(server):
    server.script(Fault(status=429, retry_after="3"), 503, 202)
    assert server.scripted_remaining == 3
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    status, headers, data = request(server, "/v2/events", batch(), conn=conn)
    assert status == 429
    assert headers["Retry-After"] == "3"
    assert headers["X-mp-rate-limit-exceeded"] == "app"
    assert error_of(data)[0] == "TOO_MANY_REQUESTS"
    status, headers, data = request(server, "/v2/events", batch(), conn=conn)
    assert status == 503 and headers.get("Retry-After") is None
    assert error_of(data)[0] == "SERVICE_UNAVAILABLE"
    assert server.accepted_count == 0
    status, _, _ = request(server, "/v2/events", batch(), conn=conn)
    assert status == 202
    assert server.accepted_count == 1
    # Scripted faults ignore auth; once the queue is empty normal processing resumes.
    assert request(server, "/v2/events", batch(), headers={"Authorization": None}, conn=conn)[0] == 401
    conn.close()
    assert [r.status for r in server.requests] == [429, 503, 202, 401]
    assert [r.faulted for r in server.requests] == [True, True, True, False]


def test_scripted_custom_body_headers_and_delay(server):
    server.script(Fault(status=500, body=b"oops", headers={"Content-Type": "text/plain", "X-A": "1"}))
    server.script(Fault(delay=0.05))
    status, headers, data = request(server, "/v2/events", batch())
    assert (status, data, headers["Content-Type"], headers["X-A"]) == (500, b"oops", "text/plain", "1")
    t0 = time.monotonic()
    assert request(server, "/v2/events", batch())[0] == 202
    assert time.monotonic() - t0 >= 0.05
    assert server.accepted_count == 1


def test_dropped_connection_raises(server):
    server.script(Fault(drop=True))
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        request(server, "/v2/events", batch())
    assert server.requests[0].status == 0
    assert server.status_counts == {0: 1}
    assert request(server, "/v2/events", batch())[0] == 202


def test_fault_rates_with_seed(server):
    server.set_fault_rates(throttle=0.35, unavailable=0.35, seed=7, throttle_retry_after="1")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    seen = {}
    for _ in range(40):
        status, headers, _ = request(server, "/v2/events", batch(), conn=conn)
        seen.setdefault(status, []).append(headers.get("Retry-After"))
    conn.close()
    assert {429, 503, 202} <= set(seen)
    assert set(seen[429]) == {"1"}
    assert server.accepted_count == len(seen[202])

    server.set_fault_rates(throttle=1.0, throttle_retry_after="mixed", seed=3)
    values = [request(server, "/v2/events", batch())[1].get("Retry-After") for _ in range(20)]
    assert set(values) == {"0", None}

    server.set_fault_rates(drop=1.0, seed=1)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        request(server, "/v2/events", batch())
    server.set_fault_rates()
    assert request(server, "/v2/events", batch())[0] == 202
    with pytest.raises(ValueError):
        server.set_fault_rates(throttle=0.8, unavailable=0.8)


def test_same_seed_same_faults():
    def run():
        with LocalEventsServer() as srv:
            srv.set_fault_rates(throttle=0.3, unavailable=0.3, seed=42)
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
            out = [request(srv, "/v2/events", batch(), conn=conn)[0] for _ in range(15)]
            conn.close()
            return out

    assert run() == run()


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"status": 99}, "status"),
        ({"status": 600}, "status"),
        ({"delay": -1.0}, "delay"),
        ({"retry_after": "1\r\nX: y"}, "CR or LF"),
        ({"headers": {"X-A": "1\n"}}, "CR or LF"),
    ],
)
def test_fault_refuses_bad_settings(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        Fault(**kwargs)


def test_fault_passthrough_and_headers():
    assert Fault().passthrough and Fault(delay=1.0).passthrough
    assert not Fault(status=202, body=b"").passthrough
    assert not Fault(drop=True).passthrough
    assert not Fault(status=500).passthrough
    assert Fault(status=429).response_headers() == {"X-mp-rate-limit-exceeded": "app"}
    assert Fault(status=429, retry_after="2", headers={"X-A": "1"}).response_headers() == {
        "X-mp-rate-limit-exceeded": "app", "Retry-After": "2", "X-A": "1"
    }
    assert Fault(retry_after="1").response_headers() == {"Retry-After": "1"}  # a pass-through


def test_error_body():
    assert json.loads(error_body(429)) == {"errors": [{"code": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded."}]}
    assert json.loads(error_body(418)) == {"errors": [{"code": "BAD_REQUEST", "message": "I'm a Teapot"}]}
    assert json.loads(error_body(599))["errors"][0]["code"] == "ERROR"
    assert json.loads(error_body(400, "a", "b")) == {
        "errors": [{"code": "BAD_REQUEST", "message": "a"}, {"code": "BAD_REQUEST", "message": "b"}]
    }


def test_fault_plan_order_rates_and_clear():
    plan = FaultPlan()
    assert plan.next() is None and plan.remaining == 0
    plan.script([Fault(status=503), Fault(drop=True)])
    plan.script([Fault(status=429)])
    assert plan.remaining == 3
    assert [plan.next() for _ in range(4)] == [Fault(status=503), Fault(drop=True), Fault(status=429), None]
    plan.set_rates(1.0, "7", 0.0, 0.0, seed=1)
    assert plan.next() == Fault(status=429, retry_after="7")
    plan.set_rates(0.0, None, 1.0, 0.0, seed=1)
    assert plan.next() == Fault(status=503)
    plan.set_rates(0.0, None, 0.0, 1.0, seed=1)
    assert plan.next() == Fault(drop=True)
    plan.set_hang(2)
    plan.script([Fault()])
    assert plan.hang == 2.0
    plan.clear()
    assert (plan.next(), plan.remaining, plan.hang) == (None, 0, 0.0)
    for bad in ((-0.1, 0.0, 0.0), (0.6, 0.3, 0.2), (1.5, 0.0, 0.0)):
        with pytest.raises(ValueError, match="fault rates"):
            plan.set_rates(bad[0], None, bad[1], bad[2], seed=None)
    with pytest.raises(ValueError):
        plan.set_hang(-1)
