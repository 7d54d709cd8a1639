"""Celery workers: one :class:`~mparticle.uploader.BatchUploader` per worker process.

``install(app, factory)`` connects Celery's worker signals so that every process that runs
tasks builds its own uploader from ``factory()`` when it starts and shuts it down (delivering
what is pending, within ``shutdown_timeout`` seconds) when it stops; tasks get it with
:func:`uploader`. Which signals do the work:

* prefork pool: ``worker_process_init`` / ``worker_process_shutdown`` in each pool child (the
  main process, which runs no task, builds none);
* solo and threads pools: ``worker_init`` / ``worker_shutdown`` in the worker's process (solo
  also sends ``worker_process_init`` there: one uploader all the same);
* ``celery.contrib.testing.worker.start_worker`` sends ``worker_init`` but stops the worker
  cold, without ``worker_shutdown``: its ``test_worker_stopped`` shuts the uploader down.

A cold shutdown of a real worker (a second Ctrl-C, SIGQUIT) sends no shutdown signal either:
only the uploader's exit hook is left (``exit_timeout``; a prefork child ends with ``os._exit``
and may skip it), so use a ``spool_dir`` where batches must survive that.

``worker_init`` and ``worker_shutdown`` are handled only for ``app``'s workers; the process
signals name no app, only the worker's hostname, which is matched when this process saw the
worker start. Celery is imported only inside the handlers: this package does not depend on it.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from typing import Any, Callable, Optional, Set, Tuple

from mparticle.uploader.batch_uploader import BatchUploader

__all__ = ["install", "uploader"]

logger: logging.Logger = logging.getLogger("mparticle.integrations.celery")
_TESTING = "celery.contrib.testing.worker"


class _Recipe:
    """The ``install`` state of this process: the app, the factory and this process's uploader."""

    def __init__(self, app: Any, factory: Callable[[], BatchUploader], shutdown_timeout: float) -> None:
        self.app = app
        self.factory = factory
        self.shutdown_timeout = shutdown_timeout
        self.hostnames: Set[str] = set()  # of app's workers started in this process (fork children inherit it)
        self.lock = threading.Lock()
        self.current: Optional[Tuple[int, BatchUploader]] = None  # (pid, uploader): a fork child's is stale

    def get(self) -> BatchUploader:
        with self.lock:
            if self.current is None or self.current[0] != os.getpid():
                self.current = (os.getpid(), self.factory())
            return self.current[1]

    def close(self) -> None:
        with self.lock:
            current, self.current = self.current, None
        if current is None or current[0] != os.getpid():
            return
        stats = current[1].shutdown(self.shutdown_timeout)
        if stats.pending or stats.dropped_total:
            logger.warning("uploader at worker shutdown: %d delivered, %d dropped (%s), %d still pending",
                           stats.delivered, stats.dropped_total, dict(stats.dropped), stats.pending)

    # -- signal handlers (celery calls them with keyword arguments) ---------------------------------
    def worker_init(self, sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not self.app:
            return
        self.hostnames.add(str(sender.hostname))
        if type(sender).__module__ == _TESTING:  # start_worker stops it cold: no worker_shutdown
            importlib.import_module(_TESTING).test_worker_stopped.connect(self.test_worker_stopped, weak=False)
        pool = importlib.import_module("celery.concurrency").get_implementation(sender.pool_cls)
        if not issubclass(pool, importlib.import_module("celery.concurrency.prefork").TaskPool):
            self.get()  # tasks run in this process; prefork children build theirs at worker_process_init

    def worker_shutdown(self, sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is self.app:
            self.close()

    def test_worker_stopped(self, sender: Any = None, **_: Any) -> None:
        if sender is self.app:
            self.close()

    def process_init(self, sender: Any = None, **_: Any) -> None:
        if not self.hostnames or sender in self.hostnames:  # none seen: a spawned child of this app
            self.get()

    def process_shutdown(self, sender: Any = None, **_: Any) -> None:
        if not self.hostnames or sender in self.hostnames:
            self.close()

    def connect(self, connected: bool = True) -> None:
        signals = importlib.import_module("celery.signals")
        for signal, handler in ((signals.worker_init, self.worker_init),
                                (signals.worker_shutdown, self.worker_shutdown),
                                (signals.worker_process_init, self.process_init),
                                (signals.worker_process_shutdown, self.process_shutdown)):
            if connected:
                signal.connect(handler, weak=False)
            else:
                signal.disconnect(handler)
        if not connected and _TESTING in sys.modules:
            sys.modules[_TESTING].test_worker_stopped.disconnect(self.test_worker_stopped)


_recipe: Optional[_Recipe] = None


def install(app: Any, factory: Callable[[], BatchUploader], *, shutdown_timeout: float = 10.0) -> None:
    """Give every worker process of ``app`` (a ``celery.Celery``) its own ``factory()`` uploader.

    Call it where the app is defined (the module the worker imports). ``factory`` takes no
    arguments and returns a new BatchUploader; it runs in the process that will use it. At
    worker (process) shutdown the uploader's ``shutdown(shutdown_timeout)`` delivers what is
    pending; what it could not deliver is logged (and kept, with a ``spool_dir``). Calling
    ``install`` again replaces the previous app and factory (one recipe per process).
    """
    global _recipe
    if _recipe is not None:
        _recipe.connect(False)
    _recipe = _Recipe(app, factory, float(shutdown_timeout))
    _recipe.connect()


def uploader() -> BatchUploader:
    """This process's uploader, for use inside tasks.

    Built at worker (process) start by ``install``'s handlers; called before that (a task run
    with ``task_always_eager``, a script, a test) it is built here from the factory, once per
    process even with several threads, and then only its exit hook (``exit_timeout``) flushes
    it, no worker shutdown. Raises RuntimeError if :func:`install` was never called.
    """
    if _recipe is None:
        raise RuntimeError("mparticle.integrations.celery.uploader() needs install(app, factory) first")
    return _recipe.get()
