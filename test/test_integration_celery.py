"""The Celery recipe (mparticle.integrations.celery) against the local endpoint.

Celery's worker signals are sent by hand first (as Celery sends them: ``worker_init`` with the
WorkController, the process signals with the worker's hostname), then a real in-process worker
(``celery.contrib.testing.worker.start_worker``, solo and threads pools, in-memory broker) runs
tasks that enqueue through ``uploader()``, and a real ``celery worker --pool=prefork
--concurrency=2`` subprocess (filesystem broker and result backend) shows each forked pool child
building its own uploader at ``worker_process_init`` and flushing it at
``worker_process_shutdown``. The Celery tests skip when celery is not installed, unless
``MPARTICLE_REQUIRE_CELERY=1`` (CI's stage that installs it), where they fail instead.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import mparticle
from mparticle.integrations import celery as mp_celery
from mparticle.testing import LocalEventsServer
from mparticle.uploader import BatchUploader


@pytest.fixture
def celery() -> Any:
    """The celery package, or a skip (a failure with MPARTICLE_REQUIRE_CELERY=1)."""
    try:
        return importlib.import_module("celery")
    except ImportError as error:
        reason = f"celery is not installed ({error}); pip install celery to run the Celery recipe tests"
        if os.environ.get("MPARTICLE_REQUIRE_CELERY") == "1":
            pytest.fail(f"MPARTICLE_REQUIRE_CELERY=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def uninstalled() -> Iterator[None]:
    yield
    recipe, mp_celery._recipe = mp_celery._recipe, None
    if recipe is not None:
        recipe.connect(False)
        if recipe.current is not None:
            recipe.current[1].shutdown(5)


def batch(n: int, **attributes: Any) -> Dict[str, Any]:
    return {
        "environment": "development",
        "source_request_id": f"celery-{n}",
        "user_attributes": attributes,
        "events": [{"event_type": "custom_event", "data": {"event_name": f"task {n}", "custom_event_type": "other"}}],
    }


class Factory:
    """Counts the uploaders it builds; they wait a minute for fuller requests, so that only
    ``flush`` or ``shutdown`` sends anything."""

    def __init__(self, server: LocalEventsServer, delay: float = 0.0) -> None:
        self.server, self.delay = server, delay
        self.built: List[BatchUploader] = []

    def __call__(self) -> BatchUploader:
        time.sleep(self.delay)
        config = mparticle.Configuration(api_key=self.server.api_key, api_secret=self.server.api_secret,
                                         host=self.server.url)
        self.built.append(BatchUploader(config, threads=2, upload_interval=60.0))
        return self.built[-1]


def received_ids(server: LocalEventsServer) -> List[str]:
    return sorted(str(b["source_request_id"]) for b in server.batches)


class worker:  # noqa: N801 - stands for a WorkController
    """What ``worker_init`` and ``worker_shutdown`` are sent with: the WorkController."""

    def __init__(self, app: Any, pool: str, hostname: str = "w1@host") -> None:
        self.app, self.pool_cls, self.hostname = app, pool, hostname


# -- without a worker -------------------------------------------------------------------------------
def test_uploader_before_install_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match=r"install\(app, factory\)"):
        mp_celery.uploader()


def test_prefork_signals_build_one_uploader_per_child_and_flush_it(celery: Any, server: LocalEventsServer) -> None:
    signals = importlib.import_module("celery.signals")
    app, other = celery.Celery("recipe"), celery.Celery("other")
    factory = Factory(server)
    mp_celery.install(app, factory, shutdown_timeout=5)

    signals.worker_init.send(sender=worker(app, "prefork"))  # the main process runs no task
    signals.worker_init.send(sender=worker(other, "solo", "w2@host"))  # not this app's worker
    signals.worker_process_init.send(sender="w2@host")  # a child of the other app's worker
    assert factory.built == []

    signals.worker_process_init.send(sender="w1@host")  # what a pool child sends
    signals.worker_process_init.send(sender="w1@host")
    assert len(factory.built) == 1
    up = mp_celery.uploader()
    assert up is factory.built[0]
    for n in range(5):
        up.enqueue(batch(n))
    assert server.batches == []  # waiting for a fuller request

    signals.worker_shutdown.send(sender=worker(other, "solo", "w2@host"))
    assert not up.closed
    signals.worker_process_shutdown.send(sender="w1@host", pid=os.getpid(), exitcode=0)
    assert up.closed and received_ids(server) == [f"celery-{n}" for n in range(5)]
    assert up.stats().delivered == 5


def test_solo_signals_build_one_uploader_for_the_worker_process(celery: Any, server: LocalEventsServer) -> None:
    signals = importlib.import_module("celery.signals")
    app = celery.Celery("recipe")
    factory = Factory(server)
    mp_celery.install(app, factory)
    signals.worker_init.send(sender=worker(app, "solo"))
    signals.worker_process_init.send(sender="w1@host")  # the solo pool sends both
    assert len(factory.built) == 1
    mp_celery.uploader().enqueue(batch(0))
    signals.worker_shutdown.send(sender=worker(app, "solo"))
    assert factory.built[0].closed and received_ids(server) == ["celery-0"]
    assert mp_celery.uploader() is factory.built[1]  # after shutdown: lazily built again


def test_uploader_is_built_lazily_once_when_several_threads_ask(celery: Any, server: LocalEventsServer) -> None:
    factory = Factory(server, delay=0.05)  # a slow factory widens the race
    mp_celery.install(celery.Celery("eager"), factory)
    seen: List[BatchUploader] = []
    threads = [threading.Thread(target=lambda: seen.append(mp_celery.uploader())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(factory.built) == 1 and seen == factory.built * 16


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_child_builds_its_own_uploader(celery: Any, server: LocalEventsServer) -> None:
    factory = Factory(server)
    mp_celery.install(celery.Celery("fork"), factory)
    parent = mp_celery.uploader()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if mp_celery.uploader() is not parent and len(factory.built) == 2 else 1)
    assert os.waitpid(pid, 0)[1] == 0
    assert mp_celery.uploader() is parent


# -- Celery's in-process test worker ------------------------------------------------------------------
@pytest.mark.parametrize("pool", ["solo", "threads"])
def test_tasks_in_an_in_process_worker_share_one_uploader(celery: Any, server: LocalEventsServer, pool: str) -> None:
    start_worker = importlib.import_module("celery.contrib.testing.worker").start_worker
    app = celery.Celery(f"inproc_{pool}", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.broker_transport_options = {"polling_interval": 0.01}
    factory = Factory(server)
    mp_celery.install(app, factory)

    @app.task(name=f"track_{pool}", shared=False)
    def track(n: int) -> List[int]:
        up = mp_celery.uploader()
        assert up.enqueue(batch(n, pid=os.getpid()))
        return [os.getpid(), id(up)]

    @app.task(name=f"flush_{pool}", shared=False)
    def flush() -> bool:
        return mp_celery.uploader().flush(5)

    with start_worker(app, pool=pool, concurrency=4, perform_ping_check=False):
        assert len(factory.built) == 1  # built at worker_init, before any task
        first = [track.delay(n) for n in range(10)]
        runs = [result.get(timeout=10) for result in first]
        assert flush.delay().get(timeout=10) is True
        assert received_ids(server) == sorted(f"celery-{n}" for n in range(10))
        runs += [result.get(timeout=10) for result in [track.delay(n) for n in range(10, 25)]]
        assert len(server.batches) == 10  # the rest waits for a fuller request, or for shutdown
    up = factory.built[0]
    assert {tuple(run) for run in runs} == {(os.getpid(), id(up))} and len(factory.built) == 1
    assert up.closed  # shut down when the test worker stopped, which delivered the rest
    assert received_ids(server) == sorted(f"celery-{n}" for n in range(25))  # each exactly once
    assert up.stats().delivered == 25 and up.stats().dropped_total == 0


# -- a real prefork worker ------------------------------------------------------------------------------
WORKER_APP = '''
import os
import mparticle
from celery import Celery
from mparticle.integrations import celery as mp_celery
from mparticle.uploader import BatchUploader

base = os.environ["MP_CELERY_DIR"]
app = Celery("mp_celery_app", broker="filesystem://", backend="file://" + base + "/results")
app.conf.broker_transport_options = {
    "data_folder_in": base + "/queue", "data_folder_out": base + "/queue", "control_folder": base + "/control",
    "polling_interval": 0.05,
}
app.conf.worker_prefetch_multiplier = 1
built = []

def factory():
    built.append(os.getpid())
    config = mparticle.Configuration(
        api_key=os.environ["MP_KEY"], api_secret=os.environ["MP_SECRET"], host=os.environ["MP_HOST"]
    )
    # exit_timeout=0: only worker_process_shutdown can deliver what waits for a fuller request
    return BatchUploader(config, threads=1, upload_interval=60.0, exit_timeout=0)

mp_celery.install(app, factory, shutdown_timeout=10)

@app.task(name="track")
def track(n):
    up = mp_celery.uploader()
    up.enqueue({
        "environment": "development",
        "source_request_id": "celery-%d" % n,
        "user_attributes": {"pid": os.getpid(), "uploader": id(up)},
        "events": [{"event_type": "custom_event", "data": {"event_name": "task", "custom_event_type": "other"}}],
    })
    return [os.getpid(), id(up), list(built)]
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="prefork children are forked here")
def test_a_prefork_worker_builds_one_uploader_per_child(celery: Any, server: LocalEventsServer,
                                                         tmp_path: Path) -> None:
    (tmp_path / "queue").mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "mp_celery_app.py").write_text(textwrap.dedent(WORKER_APP))
    env = {**os.environ, "MP_CELERY_DIR": str(tmp_path), "MP_KEY": server.api_key, "MP_SECRET": server.api_secret,
           "MP_HOST": server.url, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    producer = celery.Celery("mp_celery_app", broker="filesystem://", backend=f"file://{tmp_path}/results",
                             set_as_current=False)
    producer.conf.broker_transport_options = {"data_folder_in": f"{tmp_path}/queue",
                                              "data_folder_out": f"{tmp_path}/queue",
                                              "control_folder": f"{tmp_path}/control"}
    command = [sys.executable, "-m", "celery", "-A", "mp_celery_app", "worker", "--pool=prefork", "--concurrency=2",
               "-n", "prefork@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        results = [producer.send_task("track", args=[n]) for n in range(12)]
        runs = [result.get(timeout=20, interval=0.05) for result in results]
        assert server.batches == []  # every batch still waits in a child's uploader
        proc.send_signal(signal.SIGTERM)  # warm shutdown: each child sends worker_process_shutdown
        output = proc.communicate(timeout=20)[0].decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    children = {pid for pid, _, _ in runs}
    assert proc.pid not in children and 1 <= len(children) <= 2
    for pid in children:  # one uploader per child, built before its first task
        assert len({up for p, up, _ in runs if p == pid}) == 1
        assert all(built == [pid] for p, _, built in runs if p == pid)
    assert received_ids(server) == sorted(f"celery-{n}" for n in range(12)), output
    assert {int(b["user_attributes"]["pid"]) for b in server.batches} == children  # each child flushed its own
