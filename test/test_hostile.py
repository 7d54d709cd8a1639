"""A client no server (or input) can break: hostile Retry-After values, trickled responses,
compression bombs, huge bodies, unbounded timeouts, and malformed input, each against its
documented bound. Real HTTP on 127.0.0.1: LocalEventsServer, or a raw socket server below
when the misbehaviour is at byte level."""

from __future__ import annotations

import email.utils
import logging
import math
import os
import socket
import threading
import time
import tracemalloc
import zlib
from typing import Any, Callable, Iterator, List, Optional, Set

import pytest
from conftest import FAST_RETRIES, KEY, SECRET, FakeClock
from hypothesis import given, settings
from hypothesis import strategies as st

import mparticle
from mparticle import AppEvent, Batch
from mparticle.api_client import ApiClient
from mparticle.rest import MAX_ERROR_BODY_CHARS, MAX_RESPONSE_BYTES, ApiException, RESTClientObject
from mparticle.retry import RETRY_AFTER_LIMIT, RateLimitGate, RetryPolicy, parse_retry_after
from mparticle.serialization import MAX_DEPTH, encode_batch, to_jsonable
from mparticle.testing import Fault, LocalEventsServer


def small_batch() -> Batch:
    return Batch(environment="development", events=[AppEvent("Hello", "navigation")])


# -- a byte-level misbehaving server -------------------------------------------------------------
class RawServer:
    """Accepts connections on 127.0.0.1 and lets ``respond(conn, stop)`` answer each request
    (after the request has been read). ``stop`` is set when the test ends."""

    def __init__(self, respond: Callable[[socket.socket, threading.Event], None]) -> None:
        self.respond = respond
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v2"
        self.threads: List[threading.Thread] = []
        self.connections: List[socket.socket] = []
        self.requests: List[bytes] = []  #: the head (request line and headers) of each request
        self.accepted = threading.Semaphore(0)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.requests.append(read_request(conn))
            self.accepted.release()
            self.respond(conn, self.stop)
        except OSError:  # the client gave up: what these tests provoke
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self.threads:
            thread.join(5)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("closed before the request was complete")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return head


def trickle(conn: socket.socket, data: bytes, stop: threading.Event, pause: float = 0.05) -> None:
    """Send ``data`` one byte at a time, ``pause`` seconds apart (an endless drip if long)."""
    for i in range(len(data)):
        if stop.wait(pause):
            return
        conn.sendall(data[i : i + 1])


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    made: List[RawServer] = []

    def make(respond: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        made.append(RawServer(respond))
        return made[-1]

    yield make
    for server in made:
        server.close()


def client(url: str, retries: Any = None, **settings_: Any) -> mparticle.EventsApi:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=url, retries=retries, **settings_)
    return mparticle.EventsApi(config)


# -- Retry-After ---------------------------------------------------------------------------------
NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    "value, expected",
    [
        ("7", 7.0),
        ("1000000000", RETRY_AFTER_LIMIT),
        ("inf", RETRY_AFTER_LIMIT),
        ("Infinity", RETRY_AFTER_LIMIT),
        ("1e400", RETRY_AFTER_LIMIT),
        ("9" * 5000, RETRY_AFTER_LIMIT),
        ("-inf", 0.0),
        ("-5", 0.0),
        ("nan", None),
        ("soon", None),
        ("\x00\xff garbage", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_LIMIT),
        ("Fri, 31 Dec 9999 23:59:59 -2359", RETRY_AFTER_LIMIT),  # past year 9999 in UTC
        ("Thu, 01 Jan 1900 00:00:00 GMT", 0.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW + 30), 30.0),  # "-0000": no zone given, read as GMT
        (email.utils.formatdate(NOW + 30, localtime=True), 30.0),  # an explicit offset
        (email.utils.formatdate(NOW + 30, usegmt=True).replace("GMT", "+1400"), 0.0),  # 14 h earlier: past
        ("Mon, 32 Foo 2024 25:61:61 GMT", None),
    ],
)
def test_parse_retry_after_is_finite_and_bounded(value: str, expected: Optional[float]) -> None:
    assert parse_retry_after(value, now=NOW) == expected


DATE_LIKE = st.from_regex(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{1,5} [\d:]{1,9} [+-]?\w{0,5}")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), DATE_LIKE))
def test_parse_retry_after_never_raises(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or 0.0 <= seconds <= RETRY_AFTER_LIMIT


def test_gate_never_holds_infinite_or_negative_waits() -> None:
    gate = RateLimitGate()
    for hostile in (math.inf, math.nan, -1.0, 1e300):
        gate.block(hostile, None)
    assert 0 < gate.remaining() <= RETRY_AFTER_LIMIT and gate.capped


def test_retry_policy_clamps_retry_after_and_stays_compatible() -> None:
    policy = RetryPolicy()
    assert policy.max_retry_after is None and policy.retry_after_cap() == 10.0
    assert RetryPolicy(3, 0.25, 2.0, 10.0) == policy  # positional construction as before
    uploader_like = RetryPolicy(max_retries=100, total_timeout=math.inf, max_retry_after=300.0)
    assert uploader_like.clamp_retry_after(RETRY_AFTER_LIMIT) == 300.0
    assert RetryPolicy(total_timeout=math.inf).retry_after_cap() == RETRY_AFTER_LIMIT
    assert policy.with_(max_retry_after=1.0).clamp_retry_after(-3.0) == 0.0
    assert math.isfinite(RetryPolicy(max_retries=10**6).backoff(10**6))  # no OverflowError
    for bad in (dict(total_timeout="10"), dict(max_retry_after=-1), dict(max_retries=-1), dict(backoff_max=math.nan)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            RetryPolicy(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="total_timeout"):
        policy.with_(total_timeout=-1)


def test_500_in_retry_statuses_means_500_only(server: LocalEventsServer) -> None:
    assert not RetryPolicy().should_retry_status(501) and RetryPolicy().should_retry_status(500)
    api = client(server.url, FAST_RETRIES)
    server.script(501)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 501 and len(server.requests) == 1


def test_huge_retry_after_closes_the_gate_for_the_budget_only(server: LocalEventsServer) -> None:
    clock = FakeClock()
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url)
    policy = FAST_RETRIES.with_(total_timeout=0.5)
    rest = RESTClientObject(config=config, retries=policy, clock=clock, sleep=clock.sleep)
    api = mparticle.EventsApi(api_client=ApiClient(configuration=config, rest_client=rest))
    server.script(Fault(status=429, retry_after="1000000000"))
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 429 and info.value.retry_after == RETRY_AFTER_LIMIT
    with pytest.raises(ApiException) as gated:  # refused at once, without the network
        api.upload_events(small_batch())
    assert gated.value.status == 429 and int(gated.value.headers["Retry-After"]) == 1
    assert len(server.requests) == 1 and clock.sleeps == []
    assert rest.gate.remaining() == 0.5  # closed for the budget, not for 10**9 s
    clock.now += 0.5
    assert api.upload_events(small_batch())[1] == 202  # open again after the 0.5 s budget


@pytest.mark.parametrize("value", ["inf", "1e400", "Fri, 31 Dec 9999 23:59:59 GMT", "-1", "junk"])
def test_hostile_retry_after_gives_api_exception_never_overflow(server: LocalEventsServer, value: str) -> None:
    api = client(server.url, FAST_RETRIES.with_(max_retries=1, total_timeout=1.0))
    server.script(*[Fault(status=429, retry_after=value)] * 3)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 429
    assert info.value.retry_after is None or math.isfinite(info.value.retry_after)
    assert api.api_client.rest_client.gate.remaining() <= 1.0


def test_waits_handed_to_the_sleep_hook_are_clamped(server: LocalEventsServer) -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_retries=2, total_timeout=5.0, max_retry_after=0.05)
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET)
    rest = RESTClientObject(config=config, retries=policy, clock=clock, sleep=clock.sleep)
    server.script(Fault(status=429, retry_after="1e400"), Fault(status=503, retry_after="99999999999"))
    rest.POST(server.url + "/events", headers={"Authorization": config.get_basic_auth_token()}, body=b"{}")
    assert clock.sleeps == [0.05, 0.05]  # each Retry-After clamped to max_retry_after


# -- time limits ---------------------------------------------------------------------------------
def test_trickled_status_line_ends_at_the_attempt_deadline(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda conn, stop: trickle(conn, b"HTTP/1.1 202 Accepted\r\n" * 1000, stop))
    api = client(server.url, connect_timeout=0.25, read_timeout=0.25)  # deadline: 0.5 s per attempt
    started = time.monotonic()
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    elapsed = time.monotonic() - started
    assert info.value.status == 0 and "deadline exceeded" in info.value.reason
    assert elapsed >= 0.4  # not before the deadline (ended by it: the reason above)


def test_trickled_headers_stay_within_the_retry_budget(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda conn, stop: trickle(conn, b"HTTP/1.1 202 Accepted\r\nX: " + b"y" * 10000, stop))
    api = client(server.url, FAST_RETRIES.with_(total_timeout=0.8), timeout=(math.inf, math.inf))
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 0 and "deadline exceeded" in info.value.reason


def trickled_body(status: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def respond(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 100000\r\n\r\n")
        trickle(conn, b"x" * 100000, stop)

    return respond


def test_trickled_body_of_a_success_is_cut_at_the_deadline(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(trickled_body(b"202 Accepted"))
    rest = RESTClientObject(config=mparticle.Configuration(retries=None, timeout=(0.25, 0.25)))
    response = rest.POST(server.url + "/events", body=b"{}")
    assert response.status == 202 and response.truncated  # accepted: not an error, not re-sent
    assert server.accepted.acquire(timeout=0) and not server.accepted.acquire(timeout=0)


def test_trickled_body_of_an_error_is_cut_at_the_deadline(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(trickled_body(b"503 Service Unavailable"))
    api = client(server.url, timeout=0.25)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 503 and "cut at" in info.value.body


@pytest.mark.parametrize(
    "setting", [dict(timeout=None), dict(timeout=math.inf), dict(connect_timeout=1e12, read_timeout=None)]
)
def test_unbounded_timeouts_work(server: LocalEventsServer, setting: Any) -> None:
    api = client(server.url, RetryPolicy(total_timeout=math.inf), **setting)
    assert api.upload_events(small_batch())[1] == 202
    assert api.upload_events(small_batch(), _request_timeout=math.inf)[1] == 202
    assert api.upload_events(small_batch(), _request_timeout=(None, 1e300))[1] == 202
    assert api.upload_events(small_batch(), _request_timeout=(1, 2))[1] == 202


def test_infinite_timeouts_still_end_at_the_retry_budget(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda conn, stop: stop.wait(30))  # never answers
    api = client(server.url, FAST_RETRIES.with_(total_timeout=0.5), timeout=math.inf)
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.status == 0 and "deadline exceeded" in info.value.reason


@pytest.mark.parametrize("bad", ["5", -1, math.nan, True, [1]])
def test_bad_timeouts_name_the_setting(bad: Any) -> None:
    config = mparticle.Configuration(api_key="k", api_secret="s")
    for name in ("connect_timeout", "read_timeout", "timeout"):
        with pytest.raises(ValueError, match=name):
            setattr(config, name, bad)
    with pytest.raises(ValueError, match="timeout"):
        config.timeout = (1.0, bad)
    with pytest.raises(ValueError, match="_request_timeout"):
        mparticle.EventsApi(config).upload_events(small_batch(), _request_timeout=bad)
    assert config.timeout == (3.0, 5.0)


# -- response size -------------------------------------------------------------------------------
def gzip_bomb(mebibytes: int) -> bytes:
    """A gzip stream that inflates to ``mebibytes`` MiB of zeros, about 1000 times smaller.

    Made in milliseconds: after a full flush the compressor's output for 1 MiB of zeros is
    the same each time, so one such segment is repeated. (The CRC trailer therefore covers
    only two segments: a client that respects its cap stops long before it.)"""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    segment = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + segment * (mebibytes - 1) + packer.flush()


def sending(status: bytes, headers: bytes, body: Callable[[], Iterator[bytes]]) -> Callable[..., None]:
    def respond(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 " + status + b"\r\n" + headers + b"\r\n")
        for part in body():
            if stop.is_set():
                return
            conn.sendall(part)

    return respond


def peak_traced(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_bomb_costs_no_memory(raw_server: Callable[..., RawServer]) -> None:
    bomb = gzip_bomb(1024)  # 1 GiB inflated, about 1 MB on the wire
    assert len(bomb) < 1.1e6 and zlib.decompressobj(31).decompress(bomb, 5 << 20) == bytes(5 << 20)
    headers = b"Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(bomb)
    server = raw_server(sending(b"503 Service Unavailable", headers, lambda: iter([bomb])))
    api = client(server.url)
    errors: List[ApiException] = []

    def call() -> None:
        with pytest.raises(ApiException) as info:
            api.upload_events(small_batch())
        errors.append(info.value)

    assert peak_traced(call) < 16 * MAX_RESPONSE_BYTES
    error = errors[0]
    assert error.status == 503 and error.body.startswith("\x00" * 100)
    assert len(error.body) < MAX_ERROR_BODY_CHARS + 200 and "cut at" in error.body


def test_huge_body_is_never_held_whole(raw_server: Callable[..., RawServer]) -> None:
    size = 100 << 20
    chunk = b"e" * (1 << 16)
    headers = b"Content-Length: %d\r\n" % size
    server = raw_server(sending(b"500 Internal Server Error", headers, lambda: (chunk for _ in range(size >> 16))))
    api = client(server.url)
    errors: List[ApiException] = []

    def call() -> None:
        with pytest.raises(ApiException) as info:
            api.upload_events(small_batch())
        errors.append(info.value)

    assert peak_traced(call) < 16 * MAX_RESPONSE_BYTES
    error = errors[0]
    assert error.status == 500 and error.body.startswith("e" * MAX_ERROR_BODY_CHARS)
    assert len(error.body) < MAX_ERROR_BODY_CHARS + 200 and len(str(error)) < 3 * MAX_ERROR_BODY_CHARS


def test_long_error_body_is_truncated_with_a_note(server: LocalEventsServer) -> None:
    api = client(server.url)
    server.script(Fault(status=400, body=b"b" * 50_000))
    with pytest.raises(ApiException) as info:
        api.upload_events(small_batch())
    assert info.value.body == "b" * MAX_ERROR_BODY_CHARS + f"... ({50_000 - MAX_ERROR_BODY_CHARS} characters truncated)"
    assert "b" * (MAX_ERROR_BODY_CHARS + 1) not in str(info.value)
    import pickle

    assert pickle.loads(pickle.dumps(info.value)).body == info.value.body


def test_a_cut_connection_is_not_reused(raw_server: Callable[..., RawServer]) -> None:
    rest = RESTClientObject(config=mparticle.Configuration(retries=None))
    big = raw_server(sending(b"202 Accepted", b"Content-Length: %d\r\n" % (4 << 20), lambda: iter([b"z" * (4 << 20)])))
    for _ in range(3):
        response = rest.POST(big.url + "/events", body=b"{}")
        assert response.status == 202 and response.truncated and len(response.data) == MAX_RESPONSE_BYTES
    assert len(big.requests) == 3 and len(big.connections) == 3  # a fresh connection each time


# -- callbacks -----------------------------------------------------------------------------------
def test_one_clients_stuck_callbacks_do_not_starve_another(
    raw_server: Callable[..., RawServer], server: LocalEventsServer
) -> None:
    release = threading.Event()
    stuck = raw_server(lambda conn, stop: release.wait(30))
    slow = client(stuck.url, timeout=math.inf)
    calls = [slow.upload_events(small_batch(), callback=lambda r: r) for _ in range(12)]
    fast = client(server.url)
    results: List[Any] = []
    done = fast.upload_events(small_batch(), callback=results.append)
    done.join(10)
    assert not done.is_alive() and results[0][1] == 202
    assert all(call.is_alive() for call in calls)  # still stuck on the other server
    release.set()
    stuck.close()
    for call in calls:
        call.join(10)
        assert not call.is_alive()


@pytest.mark.subprocess
def test_callback_pool_works_in_a_fork_child(server: LocalEventsServer) -> None:
    api = client(server.url)
    api.upload_events(small_batch(), callback=lambda r: r).join(5)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        results: List[Any] = []
        api.upload_events(small_batch(), callback=results.append).join(10)
        os._exit(0 if results and results[0][1] == 202 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert server.wait_for(2)


def pooled_ports(api: Any) -> Set[int]:
    """The local ports of the keep-alive connections an EventsApi holds."""
    manager = api.api_client.rest_client._pool.manager
    ports = set()
    for key in list(manager.pools.keys()):
        for connection in list(manager.pools[key].pool.queue):
            sock = getattr(connection, "sock", None)
            if sock is not None:
                ports.add(sock.getsockname()[1])
    return ports


@pytest.mark.subprocess
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_fork_child_does_not_send_on_the_parents_connections(server: LocalEventsServer) -> None:
    api = client(server.url)
    api.upload_events(small_batch())  # the parent now holds a keep-alive connection
    parents = pooled_ports(api)
    assert len(parents) == 1
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            _, status, _ = api.upload_events(small_batch())
            os._exit(0 if status == 202 and pooled_ports(api).isdisjoint(parents) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    api.upload_events(small_batch())  # the parent's connection is still its own, and works
    assert pooled_ports(api) == parents
    assert server.wait_for(3)


# -- input ---------------------------------------------------------------------------------------
class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")

    __str__ = __repr__


def test_broken_repr_gives_errors_naming_the_field(server: LocalEventsServer) -> None:
    with pytest.raises(ValueError, match="custom_attributes.*'a': <BrokenRepr object>"):
        AppEvent("x", "other", custom_attributes={"a": BrokenRepr()})
    with pytest.raises(ValueError, match="custom_event_type"):
        AppEvent("x", BrokenRepr())
    with pytest.raises(ValueError, match="device_info"):
        Batch(environment="development", device_info=BrokenRepr())
    api = client(server.url)
    with pytest.raises(TypeError, match=r"\$\['user_attributes'\]\['x'\]: object of type BrokenRepr"):
        api.upload_events({"environment": "development", "user_attributes": {"x": BrokenRepr()}})

    class Key(str):
        __repr__ = BrokenRepr.__repr__

    with pytest.raises(ValueError, match=r"\['k'\]"):
        to_jsonable({Key("k"): math.nan})
    assert not server.requests


def test_absurd_nesting_names_the_field(server: LocalEventsServer) -> None:
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = [deep]
    api = client(server.url)
    where = r"^\$\['user_attributes'\]\['deep'\](\[0\])+"
    with pytest.raises(ValueError, match=where + f": nested deeper than {MAX_DEPTH}"):
        api.upload_events({"environment": "development", "user_attributes": {"deep": deep}})
    with pytest.raises(ValueError, match="nested deeper"):
        encode_batch(Batch(user_attributes={"deep": deep}), 1 << 20)
    shallow: Any = 1
    for _ in range(MAX_DEPTH):
        shallow = [shallow]
    assert to_jsonable(shallow) == shallow
    with pytest.raises(ValueError, match=f"nested deeper than {MAX_DEPTH} levels"):
        to_jsonable([shallow])
    assert not server.requests


def test_colliding_keys_are_refused_naming_the_field(server: LocalEventsServer) -> None:
    with pytest.raises(ValueError, match="custom_attributes.*keys 1 and '1'"):
        AppEvent("x", "other", custom_attributes={1: "a", "1": "b"})
    with pytest.raises(ValueError, match="user_attributes.*keys True and 'true'"):
        Batch(user_attributes={True: 1, "true": 2})
    api = client(server.url)
    plain = {"environment": "development", "user_attributes": {"n": {None: 1, "null": 2}}}
    with pytest.raises(ValueError, match=r"^\$\['user_attributes'\]\['n'\]: keys None and 'null'"):
        api.upload_events(plain)
    with pytest.raises(ValueError, match=r"^batch 1\['user_attributes'\]\['n'\]"):
        api.bulk_upload_events([{"environment": "development"}, plain])
    with pytest.raises(ValueError, match=r"keys 1\.5 and '1\.5'"):
        to_jsonable({"a": [{1.5: 0, "1.5": 1}]})
    assert not server.requests
    assert api.upload_events({"environment": "development", "user_attributes": {1: "a", "2": "b"}})[1] == 202
    assert server.batches[0]["user_attributes"] == {"1": "a", "2": "b"}  # distinct keys are fine


@pytest.mark.parametrize("wrong", [AppEvent("x", "other"), mparticle.UserIdentities(), "a batch", 42, None])
def test_non_batch_values_are_type_errors(server: LocalEventsServer, wrong: Any) -> None:
    api = client(server.url)
    if wrong is not None:
        with pytest.raises(TypeError, match="expected a Batch or a dict"):
            api.upload_events(wrong)
    with pytest.raises(TypeError, match="batch 1: expected a Batch or a dict"):
        api.bulk_upload_events([small_batch(), wrong])
    with pytest.raises(TypeError, match="batch 0: expected a Batch or a dict"):
        api.bulk_upload_events_historical([wrong])
    with pytest.raises(TypeError, match="expected a Batch or a dict"):
        encode_batch(wrong, 1 << 20)
    assert not server.requests


# -- hosts and credentials -----------------------------------------------------------------------
SCHEMELESS = ["s2s.mparticle.com/v2", "localhost:8080", "127.0.0.1:8080/v2", "ftp://x/v2", "https://", ""]


@pytest.mark.parametrize("host", SCHEMELESS)
def test_host_without_scheme_is_refused(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="`host`.*'https://s2s.mparticle.com/v2'"):
        mparticle.Configuration(host=host)
    config = mparticle.Configuration()
    with pytest.raises(ValueError, match="`host`"):
        config.host = host
    with pytest.raises(ValueError, match="`host`"):
        ApiClient(host=host)
    with pytest.raises(ValueError, match="`host`"):
        ApiClient(configuration=config).host = host
    with pytest.raises(ValueError, match="`proxy`"):
        config.proxy = host or "proxy:3128"
    if host:
        monkeypatch.setenv("MPARTICLE_HOST", host)
        with pytest.raises(ValueError, match="`host`"):
            mparticle.Configuration()
        assert mparticle.Configuration(host="http://127.0.0.1:1/v2").host == "http://127.0.0.1:1/v2"
    with pytest.raises(ValueError, match="`url`"):
        RESTClientObject(config=config).POST(host or "nohost", body=b"{}")


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_credentials_in_urls_are_redacted(server: LocalEventsServer, caplog: pytest.LogCaptureFixture) -> None:
    host = server.url.replace("http://", "http://user:hunter2@")
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=host, retries=FAST_RETRIES)
    assert "hunter2" not in repr(config) and "***@" in repr(config)
    api = mparticle.EventsApi(config)
    with caplog.at_level(logging.DEBUG, logger="mparticle"):
        server.script(503)
        assert api.upload_events(small_batch())[1] == 202
        config.host = f"http://user:hunter2@127.0.0.1:{free_port()}/v2"  # nothing listens there
        with pytest.raises(ApiException) as info:
            api.upload_events(small_batch())
        with pytest.raises(ValueError) as refused:
            config.host = "user:hunter2@127.0.0.1/v2"  # no scheme
    assert info.value.status == 0
    texts = [str(info.value), repr(info.value), str(refused.value), caplog.text]
    assert caplog.records and not any("hunter2" in text for text in texts)


def test_proxy_credentials_are_sent_and_never_shown(raw_server: Callable[..., RawServer]) -> None:
    proxy = raw_server(sending(b"202 Accepted", b"Content-Length: 0\r\n", lambda: iter([])))
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host="http://events.invalid/v2", retries=None)
    config.proxy = f"http://puser:p%40ss@127.0.0.1:{proxy.port}"
    assert mparticle.EventsApi(config).upload_events(small_batch())[1] == 202
    head = proxy.requests[0]
    assert head.startswith(b"POST http://events.invalid/v2/events ")
    assert b"proxy-authorization: basic cHVzZXI6cEBzcw==".lower() in head.lower()  # puser:p@ss
    config.proxy = f"http://puser:p%40ss@127.0.0.1:{free_port()}"
    with pytest.raises(ApiException) as info:
        mparticle.EventsApi(config).upload_events(small_batch())
    assert "p%40ss" not in str(info.value) and "puser" not in str(info.value)
