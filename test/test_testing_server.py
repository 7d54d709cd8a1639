"""LocalEventsServer's lifecycle: start/stop, port=, restart, wait_for, reset, record=False."""

import http.client
import threading

import pytest
from conftest import wait_until
from http_helpers import batch, free_port, request

from mparticle.testing import Fault, LocalEventsServer


def test_url_and_settings():
    srv = LocalEventsServer("k", "s", max_request_bytes=1000, max_batches=7, record=False, strict=True)
    assert (srv.api_key, srv.api_secret, srv.max_request_bytes, srv.max_batches) == ("k", "s", 1000, 7)
    assert (srv.record, srv.strict, srv.validate) == (False, True, True)
    assert not srv.running
    with srv:
        assert srv.running
        assert srv.url == f"http://127.0.0.1:{srv.port}/v2"
        assert repr(srv) == f"<LocalEventsServer port={srv.port} accepted=0>"
    assert repr(srv) == "<LocalEventsServer stopped accepted=0>"


def test_restart_gets_new_port():
    srv = LocalEventsServer()
    with pytest.raises(RuntimeError):
        srv.url  # noqa: B018
    with srv:
        first = srv.port
        assert request(srv, "/v2/events", batch())[0] == 202
    assert not srv.running
    with srv:
        assert request(srv, "/v2/events", batch())[0] == 202
    assert srv.accepted_count == 2
    assert first > 0


def test_port_binds_the_given_port_on_loopback():
    port = free_port()
    srv = LocalEventsServer(port=port)
    with srv:
        assert srv.port == port
        assert srv.url == f"http://127.0.0.1:{port}/v2"
        assert request(srv, "/v2/events", batch())[0] == 202
    with srv:  # a restart binds the same port again
        assert srv.port == port
        assert request(srv, "/v2/events", batch())[0] == 202
    assert srv.accepted_count == 2


def test_port_in_use_raises_and_bad_port_is_refused():
    with LocalEventsServer() as first:
        taken = LocalEventsServer(port=first.port)
        with pytest.raises(OSError):
            taken.start()
        assert not taken.running
    for bad in (-1, 65536):
        with pytest.raises(ValueError, match="port"):
            LocalEventsServer(port=bad)


def test_strict_needs_validation():
    with pytest.raises(ValueError, match="strict"):
        LocalEventsServer(strict=True, validate=False)


def test_hang_and_stop_wakes_the_waiting_handler():
    srv = LocalEventsServer().start()
    srv.hang(3600)  # every request waits an hour...
    srv.script(Fault())  # ...after taking this pass-through fault, which shows it arrived
    errors = []

    def client():
        try:
            request(srv, "/v2/events", batch())
        except Exception as exc:  # noqa: BLE001 - any client-side failure is expected
            errors.append(exc)

    # An idle keep-alive connection must not hold up stop() either.
    idle = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    idle.connect()
    thread = threading.Thread(target=client)
    thread.start()
    # The handler took the scripted fault: it is now waiting out the hang.
    assert wait_until(lambda: srv.scripted_remaining == 0)
    stopper = threading.Thread(target=srv.stop)
    stopper.start()
    stopper.join(60)  # a deadlock guard only: the wait it interrupts is an hour
    thread.join(60)
    idle.close()
    assert not stopper.is_alive() and not thread.is_alive()
    assert len(errors) == 1
    assert srv.requests == []  # the interrupted request was never answered
    srv.stop()  # idempotent
    with pytest.raises(ValueError):
        srv.hang(-1)


def test_wait_for(server):
    assert server.wait_for(0, timeout=0.01)
    assert not server.wait_for(1, timeout=0.05)
    thread = threading.Thread(target=request, args=(server, "/v2/bulkevents", [batch(), batch()]))
    thread.start()
    assert server.wait_for(2, timeout=10)
    thread.join()
    assert not server.wait_for(3, timeout=0.05)


def test_reset_and_record_false():
    with LocalEventsServer(record=False) as srv:
        srv.script(503)
        assert request(srv, "/v2/events", batch())[0] == 503
        assert request(srv, "/v2/bulkevents", [batch(), batch()])[0] == 202
        assert srv.accepted_count == 2
        assert srv.request_count == 2
        assert srv.batches == []
        assert [r.body for r in srv.requests] == [b"", b""]
        assert [r.batches for r in srv.requests] == [[], []]
        assert srv.status_counts == {503: 1, 202: 1}
        srv.script(503)
        srv.hang(5)
        srv.set_fault_rates(unavailable=1.0)
        srv.reset()
        assert (srv.accepted_count, srv.requests, srv.scripted_remaining, srv.request_count) == (0, [], 0, 0)
        assert request(srv, "/v2/events", batch())[0] == 202
