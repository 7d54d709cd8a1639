"""Where the valid batches go: the uploader (:class:`Upload`), or nowhere (:class:`DryRun`)."""

from __future__ import annotations

import argparse
import collections
import functools
import json
import threading
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from mparticle.cli.errors import OutputError
from mparticle.cli.rejects import RejectWriter, reject_entry
from mparticle.cli.tracker import Item, Tracker
from mparticle.configuration import Configuration
from mparticle.retry import RetryPolicy
from mparticle.uploader import BULK_PATH, HISTORICAL_PATH, REJECTED, UNAUTHORIZED, BatchUploader, UploaderStats
from mparticle.uploader.packing import Packer, QueuedBatch, RequestIds, batch_limit, encode

__all__ = ["DryRun", "Upload", "error_summary"]

#: Refusals that stop the run: the credentials (401/403) or the host (404/405) are wrong.
_FATAL_STATUSES = frozenset((401, 403, 404, 405))


class Upload:
    """Hands the valid batches to a :class:`~mparticle.uploader.BatchUploader` and brings its
    callbacks back to the records they came from:

    * ``on_delivered``: the records are done;
    * ``on_drop`` with reason ``rejected`` (the server refused the batch on its own, once the
      uploader split its request): the batch goes to the reject file and its record is done;
    * ``on_drop`` with reason ``unauthorized``, or a 404/405 (wrong host): :attr:`fatal` is set
      and the run stops;
    * any other drop (retries exhausted, shutdown): the record stays to do, for ``--resume``.

    Batches are matched to their records by ``source_request_id``. At most ``2 x concurrency``
    requests' worth of batches (by count, and by size of their text) are handed over and not
    settled yet: :meth:`put` waits for room, so the uploader's queue never overflows.
    """

    def __init__(
        self, config: Configuration, args: argparse.Namespace, tracker: Tracker, rejects: RejectWriter
    ) -> None:
        self.tracker = tracker
        self.rejects = rejects
        self.fatal: Optional[BaseException] = None
        self._max_open = 2 * args.concurrency * config.max_batches_per_request
        self._max_open_size = 2 * args.concurrency * config.max_request_bytes
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # notified when records are settled
        self._open: Dict[str, Deque[Item]] = {}  # by source_request_id, in the order handed over
        self._open_count = self._open_size = 0
        self._failure = threading.local()  # .error: from on_error, for the on_drop that follows it
        self.uploader: BatchUploader = BatchUploader(
            config,
            path=HISTORICAL_PATH if args.historical else BULK_PATH,
            threads=args.concurrency,
            max_queue_batches=self._max_open,
            max_queue_bytes=self._max_open * config.max_batch_bytes,
            retries=RetryPolicy(max_retries=args.max_retries, total_timeout=args.retry_timeout),
            on_delivered=self._delivered,
            on_error=self._error,
            on_drop=self._dropped,
            exit_timeout=0.0,  # finish() does the (bounded) shutdown
            requeue_failed=False,  # give up and report: the record stays to do for --resume
            pacing=not args.no_pacing,
            max_batches_per_second=args.max_batches_per_second,
        )

    def put(self, item: Item, batch: Dict[str, Any], stop: threading.Event) -> bool:
        """Hand ``batch`` over once there is room; False if ``stop`` is set (or the run fails)
        first. Raises TypeError/ValueError when the uploader refuses the batch (too large)."""
        key = str(batch["source_request_id"])
        with self._lock:
            while self._open_count and (
                self._open_count >= self._max_open or self._open_size + item.size > self._max_open_size
            ):
                if stop.is_set() or self.fatal is not None:
                    return False
                self._room.wait(0.1)
            waiting = self._open.get(key)
            if waiting is None:
                self._open[key] = waiting = collections.deque()
            waiting.append(item)
            self._open_count += 1
            self._open_size += item.size
        try:
            self.uploader.enqueue(batch)
        except (TypeError, ValueError):
            with self._lock:
                self._pop(key, newest=True)
            raise
        return True

    def finish(self, bounded: Callable[[], Optional[float]]) -> UploaderStats:
        """Deliver everything handed over and stop the uploader; once ``bounded()`` gives a
        number of seconds (after Ctrl-C), stop within that time. Returns the final stats."""
        while not self.uploader.flush(0.1):
            limit = bounded()
            if limit is not None:
                return self.uploader.shutdown(limit)
        return self.uploader.shutdown()

    def stats(self) -> UploaderStats:
        """The uploader's stats so far."""
        return self.uploader.stats()

    # -- the uploader's callbacks (sender threads) -------------------------------------------

    def _pop(self, key: str, newest: bool = False) -> Optional[Item]:
        """Close the open record of batch ``key`` (the caller holds the lock)."""
        waiting = self._open.get(key)
        if not waiting:
            return None
        item = waiting.pop() if newest else waiting.popleft()
        if not waiting:
            del self._open[key]
        self._open_count -= 1
        self._open_size -= item.size
        return item

    def _settle(self, batches: List[QueuedBatch]) -> List[Tuple[Item, QueuedBatch]]:
        """The records of ``batches``, paired with them; they are no longer open."""
        settled = []
        with self._lock:
            for b in batches:
                item = self._pop(b.source_request_id)
                if item is not None:
                    settled.append((item, b))
            self._room.notify()
        return settled

    def _delivered(self, batches: List[QueuedBatch]) -> None:
        self.tracker.mark([item for item, _ in self._settle(batches)])

    def _error(self, error: BaseException, batches: List[QueuedBatch]) -> None:
        self._failure.error = error  # the uploader calls on_drop next, on this thread

    def _dropped(self, reason: str, batches: List[QueuedBatch]) -> None:
        error = getattr(self._failure, "error", None) or RuntimeError(reason)
        self._failure.error = None
        settled = self._settle(batches)
        if reason == UNAUTHORIZED or getattr(error, "status", None) in _FATAL_STATUSES:
            self.fatal = self.fatal or error
        elif reason == REJECTED:
            message = f"rejected by the server: {error_summary(error)}"
            problems = [{"path": "", "rule": "server", "message": message}]
            for item, b in settled:
                entry = reject_entry(item.file, item.line, None, message, problems, b.data.decode())
                done = functools.partial(self.tracker.mark, [item], server_rejected=True)  # once in the file
                try:
                    self.rejects.write(entry, done)
                except OutputError as exc:  # the record stays to do; the run stops
                    self.fatal = self.fatal or exc
                    break


class DryRun:
    """``--dry-run``: each valid batch is encoded as the uploader would (and refused alike) and
    packed by its :class:`~mparticle.uploader.packing.Packer`, to count the requests it would
    take. Nothing is sent."""

    fatal: Optional[BaseException] = None

    def __init__(self, config: Configuration) -> None:
        self._max_batch_bytes = batch_limit(config)
        self._ids = RequestIds()
        self._packer = Packer(config.max_batches_per_request, config.max_request_bytes)
        self._requests = 0

    def put(self, item: Item, batch: Dict[str, Any], stop: threading.Event) -> bool:
        """Encode and pack ``batch`` as the uploader would (TypeError/ValueError if refused); True."""
        self._requests += len(self._packer.add(encode(batch, self._max_batch_bytes, self._ids)))
        return True

    def finish(self, bounded: Callable[[], Optional[float]]) -> UploaderStats:
        """Count the request the packer still holds; return the final stats."""
        self._requests += len(self._packer.drain())
        return self.stats()

    def stats(self) -> UploaderStats:
        """Nothing sent; ``requests``: the requests the batches so far would take."""
        return UploaderStats(requests=self._requests)


def error_summary(error: BaseException) -> str:
    """A send error on one line, for the reject file and the summary: ``HTTP 400: <mParticle's
    message>``, ``connection failed (<reason>)``, or ``<exception type>: <message>``."""
    status = getattr(error, "status", None)
    if status is None:
        return f"{type(error).__name__}: {error}"
    if status == 0:
        return f"connection failed ({getattr(error, 'reason', '')})"
    text = f"HTTP {status}"
    body = getattr(error, "body", None)
    if body:
        try:
            text += ": " + str(json.loads(body)["errors"][0]["message"])
        except (ValueError, KeyError, IndexError, TypeError):
            text += f": {str(body)[:200]}"
    return text
