"""Shared fixtures: a real local Events API endpoint on 127.0.0.1 and clients pointed at it."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable, Iterator, List

import pytest

import mparticle
from mparticle.retry import RetryPolicy
from mparticle.testing import LocalEventsServer

KEY, SECRET = "test-key", "test-secret"


def run_in_threads(target: Callable[..., Any], arguments: Iterable[Any]) -> None:
    """Run ``target(argument)`` on one thread per argument, wait for all, and re-raise the first
    exception any of them raised (a failed assert on a thread must fail the test)."""
    errors: List[BaseException] = []

    def guarded(argument: Any) -> None:
        try:
            target(argument)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` every 10 ms until it holds (True) or ``timeout`` passes (False): for
    state that has no event to wait on, such as another process's files."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.01)
    return True
#: Retries fast enough for tests: waits of at most a few milliseconds.
FAST_RETRIES = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.004, total_timeout=5.0)


@pytest.fixture
def server() -> Iterator[LocalEventsServer]:
    with LocalEventsServer(KEY, SECRET) as local:
        yield local
    assert not local.errors


@pytest.fixture
def config(server: LocalEventsServer) -> mparticle.Configuration:
    return mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url, retries=FAST_RETRIES)


@pytest.fixture
def api(config: mparticle.Configuration) -> mparticle.EventsApi:
    return mparticle.EventsApi(config)


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it: hand ``clock`` and
    ``sleep`` to a RESTClientObject and its retry waits take no real time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_time_api(config: mparticle.Configuration, clock: FakeClock) -> mparticle.EventsApi:
    """An EventsApi whose retry loop and 429 gate run on ``clock``."""
    from mparticle.api_client import ApiClient
    from mparticle.rest import RESTClientObject

    rest = RESTClientObject(config=config, clock=clock, sleep=clock.sleep)
    return mparticle.EventsApi(api_client=ApiClient(configuration=config, rest_client=rest))
