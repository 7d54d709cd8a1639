"""BatchUploader: enqueue batches in microseconds; sender threads deliver them in bulk requests.

The pieces, each in its own module: :mod:`~mparticle.uploader.intake` (the enqueue path),
:mod:`~mparticle.uploader.batch_queue` (the bounded queue and its ledger),
:mod:`~mparticle.uploader.delivery` (the sender threads), :mod:`~mparticle.uploader.sender`
(POST with the core's retries, split refused requests), :mod:`~mparticle.uploader.reporting`
(callbacks and warnings) and :mod:`~mparticle.uploader.lifecycle` (exit and fork hooks).
This module holds the options and wires the pieces together, once per process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Type, Union

from mparticle.api_client import ApiClient
from mparticle.apis.events_api import EventsApi, plan_enforcer
from mparticle.configuration import Configuration
from mparticle.retry import RetryPolicy
from mparticle.transport.client import RESTClientObject
from mparticle.transport.errors import ApiException, MissingCredentialsError
from mparticle.uploader import lifecycle
from mparticle.uploader.aio import off_loop
from mparticle.uploader.batch_queue import DROP_NEWEST, OVERFLOW_POLICIES, BatchQueue, OverflowPolicy
from mparticle.uploader.delivery import MAX_WAIT, Delivery
from mparticle.uploader.intake import Intake
from mparticle.uploader.pacing import MIN_RATE, Pacer, Pacing, pacing_policy
from mparticle.uploader.packing import QueuedBatch, batch_limit
from mparticle.uploader.reporting import DeliveredCallback, DropCallback, ErrorCallback, Reporter
from mparticle.uploader.sender import BULK_PATH, Sender
from mparticle.uploader.spool import Spool, SpoolError, spool_fingerprint
from mparticle.uploader.stats import SHUTDOWN_TIMEOUT, UploaderStats

if TYPE_CHECKING:
    from mparticle.dataplan import DataPlan
    from mparticle.dataplan.enforce import Enforcer, Mode, Policy, ViolationCallback

__all__ = ["BACKGROUND_RETRIES", "BatchUploader"]

logger: logging.Logger = logging.getLogger("mparticle.uploader")

#: The uploader's default retry policy: patient, since nobody waits on these requests. A
#: request it gives up on is not dropped but requeued (see REQUEUE_MAX_DELAY).
BACKGROUND_RETRIES = RetryPolicy(max_retries=10, backoff_base=0.5, backoff_max=30.0, total_timeout=120.0)
#: Longest pause before a requeued request is tried again (seconds).
REQUEUE_MAX_DELAY = 30.0


class BatchUploader:
    """Queue batches for upload to ``/bulkevents`` (or another ``path``) by background sender threads.

    ``enqueue(batch)`` validates and serializes the batch on the caller's thread (raising there,
    with the field named, for bad input), stamps a ``source_request_id`` when it has none, and
    returns without touching the network. Sender threads pack queued batches into requests of
    at most ``max_batches_per_request`` batches and ``max_request_bytes`` bytes and send one
    when it is full, when the oldest batch has waited ``upload_interval`` seconds, or on
    ``flush()``. Every batch ends delivered, or dropped with a reason that is counted in
    ``stats()`` and passed to ``on_drop`` (failures also to ``on_error``); nothing is lost
    silently. ``on_delivered`` hears of every delivered batch.

    Args:
        config: the Configuration (credentials, host, TLS, proxy, timeouts, limits); default
            ``Configuration()`` from the environment. Or pass ``api``, an EventsApi whose
            configuration and default headers are used. Unless ``send=False``, its ``api_key``
            and ``api_secret`` must be set: ``MissingCredentialsError`` (a ValueError and an
            ApiException) otherwise, naming the empty one.
        threads: sender threads; they share one keep-alive pool of at least this size.
        upload_interval: seconds a batch may wait for a fuller request.
        max_queue_bytes, max_queue_batches: the memory bound (serialized bytes; an optional
            count); in-flight requests add at most ``threads`` requests on top.
        overflow: when there is no room (memory full without a spool, or the spool at
            ``max_spool_bytes``): ``"drop_newest"`` (default), ``"drop_oldest"``, ``"block"``
            (wait up to ``block_timeout`` seconds, None for no limit; never on an event loop's
            thread) or ``"raise"`` (QueueFullError).
        retries: the RetryPolicy for each upload request (default ``BACKGROUND_RETRIES``;
            ``config.retries`` keeps governing direct EventsApi calls).
        data_plan: a :class:`mparticle.dataplan.DataPlan` every batch is checked against in
            ``enqueue`` (and tagged with, when it has no ``context.data_plan``); default: the
            ``api``'s. ``data_plan_policy``: ``"report"`` (queue it; violations go to
            ``on_data_plan_violation(verdict)``, on the enqueuing thread, and to
            ``stats().data_plan``), ``"block"`` (remove unplanned events, event attributes and
            user attributes first, as mParticle's blocking does; never invalid values) or
            ``"raise"`` (DataPlanViolation, a ValueError: refused like an invalid batch).
            ``data_plan_mode``: ``"strict"`` or ``"server"``. See docs/DataPlans.md.
        pacing: True (default): pace requests by the account's rate limit, from the server's
            ``X-mp-rate-limit-percentage-used`` and 429s (it stays out of the way until they
            show the limit matters; see :mod:`mparticle.uploader.pacing` and docs/Scaling.md);
            a :class:`~mparticle.uploader.pacing.Pacing` to tune it; False: off (429s are still
            honoured). The current rate is in ``stats().pacing``.
        max_batches_per_second: a hard cap on this process's sending rate (batches per
            second, pacing on or off), for users who know their share of the account.
        requeue_failed: True (default): batches of a request the retry policy gave up on (429,
            5xx, network) are requeued and tried again after a pause; False: dropped as
            ``retries_exhausted``.
        on_delivered: ``on_delivered(batches)`` with the batches of each request (or part of a
            split request) the server accepted, before ``flush()`` can count them as settled.
        on_error: ``on_error(exc, batches)`` when a request fails for good (then ``on_drop``
            with the same batches, on the same thread).
        on_drop: ``on_drop(reason, batches)`` for every dropped batch; reasons are in
            :mod:`mparticle.uploader.stats`. Callbacks run on a sender thread (on the
            enqueuing thread for overflow drops, in ``sync_mode`` and for ``shutdown_timeout``
            drops); an exception they raise is logged and ignored.
        path: where requests go: ``"/bulkevents"`` (default) or ``"/bulkevents/historical"``
            (backfills of data older than 30 days).
        send: False validates and serializes but sends nothing (tests, dry runs).
        sync_mode: send on the caller's thread inside ``enqueue`` (no threads; for serverless).
        gzip: gzip request bodies (off by default: mParticle's support is unconfirmed).
        exit_timeout: seconds granted at interpreter exit to deliver what is pending; batches
            still queued then are reported as ``shutdown_timeout`` (kept, with a spool).
        spool_dir: a directory for the durable spool (SQLite, one file per process): every
            accepted batch is on disk until delivered or dropped, and survives the process.
        max_spool_bytes: the disk bound (serialized bytes of undelivered batches).
        spool_commit_interval: seconds between ``enqueue`` returning and the batch's commit,
            at most; 0 makes ``enqueue`` return after the commit.
        spool_fsync: fsync every commit (survives power loss, not only process death).
    """

    def __init__(
        self,
        config: Optional[Configuration] = None,
        *,
        api: Optional[EventsApi] = None,
        threads: int = 4,
        upload_interval: float = 1.0,
        max_queue_batches: Optional[int] = None,
        max_queue_bytes: int = 64 * 1024 * 1024,
        overflow: OverflowPolicy = DROP_NEWEST,
        block_timeout: Optional[float] = 5.0,
        retries: Optional[RetryPolicy] = None,
        on_delivered: Optional[DeliveredCallback] = None,
        on_error: Optional[ErrorCallback] = None,
        on_drop: Optional[DropCallback] = None,
        path: str = BULK_PATH,
        send: bool = True,
        sync_mode: bool = False,
        gzip: bool = False,
        exit_timeout: float = 5.0,
        spool_dir: Optional[str] = None,
        max_spool_bytes: int = 1024 * 1024 * 1024,
        spool_commit_interval: float = 0.1,
        spool_fsync: bool = False,
        requeue_failed: bool = True,
        data_plan: Optional["DataPlan"] = None,
        data_plan_policy: "Policy" = "report",
        data_plan_mode: "Mode" = "strict",
        on_data_plan_violation: Optional["ViolationCallback"] = None,
        pacing: Union[bool, Pacing] = True,
        max_batches_per_second: Optional[float] = None,
    ) -> None:
        _check(threads >= 1, "threads", threads, "at least 1")
        _check(upload_interval >= 0, "upload_interval", upload_interval, "0 or more")
        _check(max_queue_batches is None or max_queue_batches >= 1, "max_queue_batches", max_queue_batches,
               "None or at least 1")
        _check(max_queue_bytes >= 1, "max_queue_bytes", max_queue_bytes, "at least 1")
        _check(overflow in OVERFLOW_POLICIES, "overflow", overflow, f"one of {list(OVERFLOW_POLICIES)}")
        block_timeout = _timeout_arg("block_timeout", block_timeout)
        exit_timeout = _timeout_arg("exit_timeout", exit_timeout) or 0.0
        _check(isinstance(path, str) and path.startswith("/"), "path", path, 'a path such as "/bulkevents"')
        _check(max_spool_bytes >= 1, "max_spool_bytes", max_spool_bytes, "at least 1")
        _check(0 <= spool_commit_interval <= 60, "spool_commit_interval", spool_commit_interval,
               "0 (enqueue returns after the commit) to 60 seconds")
        self.pacing: Optional[Pacing] = pacing_policy(pacing)
        _check(max_batches_per_second is None or (
            isinstance(max_batches_per_second, (int, float)) and not isinstance(max_batches_per_second, bool)
            and MIN_RATE <= max_batches_per_second < float("inf")), "max_batches_per_second", max_batches_per_second,
            f"None or a number of batches per second, at least {MIN_RATE}")
        self.max_batches_per_second: Optional[float] = (
            None if max_batches_per_second is None else float(max_batches_per_second)
        )
        if spool_dir is not None and (sync_mode or not send):
            raise ValueError("spool_dir needs the background mode: not with sync_mode=True or send=False")
        source = api.api_client if api is not None else None
        if source is not None and config is not None and config is not source.config:
            raise ValueError("pass either config or api, not both")
        self.config: Configuration = source.config if source is not None else config or Configuration()
        missing = self.config.missing_credentials()
        if send and missing:  # fail here, not in a sender thread (a request would only earn a 401/403)
            raise MissingCredentialsError(missing)
        self._source = source
        self.threads = threads
        self.upload_interval = upload_interval
        self.max_queue_batches = max_queue_batches
        self.max_queue_bytes = max_queue_bytes
        self.overflow = overflow
        self.block_timeout = block_timeout
        self.retries: RetryPolicy = retries if retries is not None else BACKGROUND_RETRIES
        self.on_delivered = on_delivered
        self.on_error = on_error
        self.on_drop = on_drop
        self.path = path
        self.send = send
        self.sync_mode = sync_mode
        self.gzip = gzip
        self.exit_timeout = exit_timeout
        self.spool_dir: Optional[str] = None if spool_dir is None else os.fspath(spool_dir)
        self.max_spool_bytes = max_spool_bytes
        self.spool_commit_interval = spool_commit_interval
        self.spool_fsync = spool_fsync
        self.requeue_failed = requeue_failed
        #: The ``data_plan=`` Enforcer (else the ``api``'s, shared with it), or None.
        self.plan_enforcer: Optional[Enforcer] = plan_enforcer(
            data_plan, data_plan_policy, data_plan_mode, on_data_plan_violation
        ) or (api.plan_enforcer if api is not None else None)
        self._reporter = Reporter(self)
        self._fresh_state()
        lifecycle.track(self)

    def _fresh_state(self, spool: bool = True) -> None:
        """Queue, transport, spool, ids and (lazily started) threads of this process; run again
        in a fork child, which starts empty while the parent keeps its pending batches (and
        gets no spool file of its own if the uploader was shut down already)."""
        config = self.config
        self._abort = threading.Event()
        self._pacer = Pacer(self.pacing, self.max_batches_per_second)
        self._rest = RESTClientObject(
            pools_size=1,
            config=config,
            maxsize=max(self.threads, config.connection_pool_size or 1),
            retries=self.retries,
            sleep=self._wait_or_abandon,
            on_retry=self._note_retry,
            on_response=self._pacer.observe,
        )
        client = ApiClient(configuration=config, rest_client=self._rest)  # its own pool, sized for its threads
        if self._source is not None:
            client.default_headers.update(self._source.default_headers)
            client.cookie = self._source.cookie
            if self._source.host != config.host.rstrip("/"):
                client.host = self._source.host
        self._sender = Sender(
            EventsApi(api_client=client), self.path, self.gzip, self._abort.is_set, self._posting, self._pacer.delivered
        )
        self._queue = BatchQueue(
            max_batches=self.max_queue_batches,
            max_bytes=self.max_queue_bytes,
            overflow=self.overflow,
            block_timeout=self.block_timeout,
            request_count=config.max_batches_per_request,
            request_bytes=config.max_request_bytes,
            interval=self.upload_interval,
            pause=self._rest.gate.remaining,
            max_spool_bytes=self.max_spool_bytes,
            pacer=self._pacer,
        )
        self._spool: Optional[Spool] = None
        if self.spool_dir is not None and spool:
            self._spool = Spool(
                self.spool_dir,
                spool_fingerprint(client.host, config.api_key or "", self.path),
                commit_interval=self.spool_commit_interval,
                fsync=self.spool_fsync,
                on_adopted=self._adopted,
                on_error=self._spool_failed,
            )
            self._queue.spool = self._spool
        self._delivery = Delivery(
            self._queue,
            self._sender,
            self._reporter,
            self._abort,
            self._spool,
            threads=self.threads,
            requeue=self.requeue_failed and not self.sync_mode,
            requeue_max_delay=REQUEUE_MAX_DELAY,  # read here: a test scales it before construction
        )
        self._intake = Intake(
            self._queue,
            self._reporter,
            self._spool,
            max_batch_bytes=batch_limit(config),
            commit_interval=self.spool_commit_interval,
            start=self._delivery.start,
            enforcer=self.plan_enforcer,
        )
        if self._spool is not None:
            self._spool.start()  # may report adopted files at once: the senders are ready

    def __repr__(self) -> str:
        s = self.stats()
        state = "closed" if self.closed else "open"
        return (
            f"<BatchUploader {state} queued={s.queued} in_flight={s.in_flight} "
            f"delivered={s.delivered} dropped={s.dropped_total}>"
        )

    # -- enqueue ------------------------------------------------------------------------------------
    def enqueue(self, batch: Any) -> bool:
        """Validate, serialize and queue one batch (a Batch or its dict form).

        Never waits for the network (nor, with ``overflow="block"``, on an event loop's thread).
        Returns True when the batch was accepted (in ``sync_mode``: delivered), False when it
        was dropped (reported to ``on_drop`` and counted). Raises TypeError/ValueError for an
        invalid or oversized batch, naming the field; QueueFullError with ``overflow="raise"``.
        """
        item = self._intake.encode(batch)
        if not self.send:
            self._queue.note_skipped()
            return True
        if self.sync_mode:
            return self._delivery.send_inline([item]) == 1
        return self._intake.admit(item)

    def enqueue_many(self, batches: Iterable[Any]) -> int:
        """Enqueue several batches; all are validated first, so none is queued if one is
        invalid (the error names its index). In ``sync_mode`` they are packed into as few
        requests as the limits allow. Returns how many were accepted (sync: delivered)."""
        items = self._intake.encode_many(batches)
        if not items:
            return 0
        if not self.send:
            for _ in items:
                self._queue.note_skipped()
            return len(items)
        if self.sync_mode:
            return self._delivery.send_inline(items)
        return self._intake.admit_many(items)

    async def enqueue_async(self, batch: Any) -> bool:
        """Awaitable ``enqueue``: serializes on the loop (microseconds) and runs anything that
        would wait (a full queue with ``overflow="block"``, a ``sync_mode`` send) off the loop."""
        item = self._intake.encode(batch)
        if not self.send:
            self._queue.note_skipped()
            return True
        if self.sync_mode:
            return await off_loop(self._delivery.send_inline, [item]) == 1
        return await self._intake.admit_async(item)

    # -- hooks: the transport's and the spool's -----------------------------------------------------
    def _posting(self, part: List[QueuedBatch], active: bool) -> None:
        self._delivery.posting(part, active)

    def _wait_or_abandon(self, seconds: float) -> None:
        self._delivery.wait_or_abandon(seconds)

    def _note_retry(self, error: ApiException, retry: int, delay: float) -> None:
        self._queue.note_retry(error, error.status or 0)

    def _adopted(self, count: int, size: int) -> None:
        self._queue.note_adopted(count, size)
        self._delivery.start()

    def _spool_failed(self, error: BaseException) -> None:
        self._queue.note_error(error)
        self._reporter.error(error, [])

    @property
    def spool_path(self) -> Optional[str]:
        """This process's spool file (None without ``spool_dir``)."""
        return self._spool.path if self._spool is not None else None

    # -- lifecycle ------------------------------------------------------------------------------------
    def flush(self, timeout: Optional[float] = None) -> bool:
        """Send everything queued now (partial requests too) and wait until every batch
        enqueued before this call is delivered or reported. Returns False on timeout.

        From a callback it only starts the sending (it cannot wait for the request that is
        running the callback)."""
        timeout = _timeout_arg("timeout", timeout)
        if self._reporter.calling_back():
            return self._queue.flush(0)
        return self._queue.flush(timeout)

    def shutdown(self, timeout: Optional[float] = 10.0) -> UploaderStats:
        """Stop accepting batches, deliver what is pending within ``timeout`` seconds (None or
        ``inf``: no limit), stop the threads, and return the final stats.

        At the deadline nothing new is attempted. Without a spool, batches still queued or
        waiting between retries are dropped as ``shutdown_timeout`` (``on_drop`` has run when
        this returns); with a spool they stay on disk for the next process (``kept``). A
        request still on the wire finishes in the background and counts as ``in_flight``.
        Idempotent: later calls wait again and return fresh stats."""
        timeout = _timeout_arg("timeout", timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        queue = self._queue
        queue.close()
        if self._reporter.calling_back():  # cannot wait for the request that runs this callback
            return self.stats()
        if self._delivery.stop(deadline):  # every sender thread has ended
            self._rest.close()
        return self.stats()

    @property
    def closed(self) -> bool:
        """True once ``shutdown()`` was called: new batches are dropped as ``closed``."""
        return self._queue.closed

    def stats(self) -> UploaderStats:
        """Counters and queue state now (see UploaderStats)."""
        stats = dataclasses.replace(self._queue.stats(), pacing=self._pacer.stats())
        if self.plan_enforcer is not None:
            stats = dataclasses.replace(stats, data_plan=self.plan_enforcer.stats())
        return stats

    async def flush_async(self, timeout: Optional[float] = None) -> bool:
        """Awaitable ``flush``: waits off the event loop."""
        return await off_loop(self.flush, timeout)

    async def shutdown_async(self, timeout: Optional[float] = 10.0) -> UploaderStats:
        """Awaitable ``shutdown``: waits off the event loop."""
        return await off_loop(self.shutdown, timeout)

    def __enter__(self) -> "BatchUploader":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.shutdown()

    async def __aenter__(self) -> "BatchUploader":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.shutdown_async()

    def _shutdown_at_exit(self, exit_started: float) -> None:
        if self.closed and not self.stats().pending:
            return
        remaining = max(0.0, exit_started + self.exit_timeout - time.monotonic())
        summary = self.shutdown(remaining)
        if summary.pending or summary.dropped.get(SHUTDOWN_TIMEOUT):
            logger.warning(
                "BatchUploader at exit: %d delivered, %d dropped (%s), %d still in flight",
                summary.delivered,
                summary.dropped_total,
                dict(summary.dropped),
                summary.pending,
            )

    def _reset_after_fork(self) -> None:
        closed = self._queue.closed
        if self._spool is not None:
            self._spool.abandon_in_child()  # the parent's files: never touched here
        try:
            self._fresh_state(spool=not closed)
        except SpoolError as error:  # the child goes on without a spool, and says so
            logger.error("BatchUploader in a fork child: no spool (%s); batches are held in memory only", error)
            self._fresh_state(spool=False)
        if closed:
            self._queue.close()


def _check(ok: bool, name: str, value: Any, expected: str) -> None:
    if not ok:
        raise ValueError(f"Invalid value for `{name}` ({value!r}): expected {expected}")


def _timeout_arg(name: str, value: Optional[float]) -> Optional[float]:
    """A timeout argument: None or ``inf`` for no limit, else seconds (0 or more)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for `{name}` ({value!r}): expected seconds (0 or more) or None") from None
    if seconds != seconds or seconds < 0:
        raise ValueError(f"Invalid value for `{name}` ({value!r}): expected seconds (0 or more) or None")
    return None if seconds > MAX_WAIT else seconds
