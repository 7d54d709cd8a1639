"""The durable spool: every queued batch in a SQLite (WAL) file until the server accepts it.

Each uploader process owns one spool file in ``spool_dir`` and holds an exclusive ``flock``
on its lock file for as long as it lives; the OS releases that lock when the process dies,
however it dies. A live uploader *adopts* the files whose lock it can take (their owner is
gone) and delivers what they hold, so two uploaders never send the same file.

Writes are group commits on the spool's writer thread: ``append`` only buffers (the caller
never waits for the disk unless ``commit_interval`` is 0), and the writer commits every
buffered insert and delete at most ``commit_interval`` seconds after the first of them.
Rows are deleted once their batch was delivered or dropped and reported.

Files: ``mparticle-spool-<id>.sqlite3`` (with SQLite's ``-wal``/``-shm``) and
``mparticle-spool-<id>.lock``. A file that is not a readable spool of this format is renamed
to ``<name>.corrupt`` (quarantined) and reported, never retried in a loop.

This module is the Spool object (the writer thread and the interface the queue and the
uploader use); the file format is in :mod:`~mparticle.uploader.spool_file`, adoption in
:mod:`~mparticle.uploader.spool_adopt`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mparticle.uploader.packing import QueuedBatch
from mparticle.uploader.spool_adopt import FOREIGN, Adopter  # noqa: F401 - FOREIGN: re-exported
from mparticle.uploader.spool_file import (  # noqa: F401 - the constants: re-exported
    APPLICATION_ID,
    DELETE_ROWS,
    FORMAT_VERSION,
    INSERT_ROWS,
    PREFIX,
    SUFFIX,
    Row,
    SpoolBusy,
    SpoolError,
    SpoolFile,
    check_directory,
    spool_fingerprint,
)

__all__ = ["SpoolBusy", "SpoolError", "Spool", "SpoolFile", "spool_fingerprint"]

logger: logging.Logger = logging.getLogger("mparticle.uploader")

#: How often a live uploader looks for spool files left by dead processes (seconds).
ADOPT_INTERVAL = 30.0
#: Uncommitted bytes after which ``enqueue`` waits for the writer (it has fallen behind).
MAX_BUFFER_BYTES = 8 * 1024 * 1024
#: Seconds beyond ``commit_interval`` a batch may wait uncommitted before ``enqueue`` waits for
#: the writer: a producer faster than the disk (or starving the writer of the GIL) is slowed
#: down to it instead of leaving batches unwritten for longer than the interval promises.
MAX_COMMIT_LAG = 0.25

class Spool:
    """This process's spool file plus the files it adopted, and the writer thread.

    The queue calls ``append`` for every admitted batch (under its own lock: appends arrive in
    sequence order), ``forget`` for every settled one, and ``load`` to read spilled or adopted
    rows back. ``on_adopted(count, size)`` tells the queue about rows found in adopted files;
    ``on_error(exc)`` reports a failed write (it is retried).
    """

    def __init__(
        self,
        directory: str,
        fingerprint: str,
        *,
        commit_interval: float,
        fsync: bool,
        on_adopted: Callable[[int, int], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.directory: str = check_directory(directory)
        self.fingerprint = fingerprint
        self.commit_interval = commit_interval
        self.fsync = fsync
        self._on_adopted = on_adopted
        self._on_error = on_error
        self.own: SpoolFile = SpoolFile.create(self.directory, fingerprint, fsync)
        self._adopted: List[SpoolFile] = []
        self._lock = threading.Lock()
        self._commit_lock = threading.Lock()  # one write at a time, in the order of their snapshots
        self._adopter = Adopter(self.directory, fingerprint, fsync, on_error)
        self._wake = threading.Condition(self._lock)  # the writer: work arrived, or close
        self._committed = threading.Condition(self._lock)  # synchronous appends: a commit finished
        self._inserts: Dict[int, Row] = {}  # row id -> row, in append order
        self._first_pending = 0.0  # monotonic time of the oldest uncommitted change
        self._uncommitted_since: Optional[float] = None  # oldest append not committed yet
        self._appended_through = 0  # the highest row id appended
        self._committed_through = 0  # every row id up to this one is committed (or was forgotten)
        self._dirty = False  # something is buffered for the next commit
        self._buffered = 0  # bytes of the buffered inserts
        self._urgent = False
        self._closed = False
        self._healthy = True
        self._failures = 0  # failed write attempts so far
        self._last_scan = 0.0
        self._writer = threading.Thread(target=self._run, name="mparticle-spool-writer", daemon=True)

    def start(self) -> None:
        """Adopt what dead processes left (before returning, so that a shutdown right away
        already knows of it), then start the writer thread."""
        self._scan()
        self._writer.start()

    @property
    def path(self) -> str:
        """This process's spool file."""
        return self.own.path

    @property
    def behind(self) -> bool:
        """True when the writer has fallen behind: ``MAX_BUFFER_BYTES`` uncommitted, or an
        append waiting ``MAX_COMMIT_LAG`` longer than the commit interval (not while writes
        fail: then nothing waits for the disk)."""
        if self._buffered > MAX_BUFFER_BYTES:
            return True
        since = self._uncommitted_since
        return since is not None and self._healthy and time.monotonic() - since > self.commit_interval + MAX_COMMIT_LAG

    @property
    def healthy(self) -> bool:
        """False while writes fail (disk full, I/O errors): the queue then spills nothing."""
        return self._healthy

    # -- the queue's side ----------------------------------------------------------------------
    def append(self, item: QueuedBatch) -> None:
        """Buffer ``item`` (row id = its sequence number) for the next group commit."""
        with self._lock:
            if self._closed:
                return
            self._note_work()
            self._inserts[item.seq] = (item.seq, item.source_request_id, item.data, time.time())
            self._buffered += len(item.data)
            self._appended_through = item.seq
            item.row, item.spool = item.seq, self.own

    def wait_committed(self, seq: int, timeout: Optional[float]) -> bool:
        """Commit now and wait until row ``seq`` is on disk (``commit_interval`` 0). False when
        the write failed (the batch stays in memory and the write is retried) or on timeout."""
        with self._lock:
            if seq > self._appended_through or self._committed_through >= seq:
                return self._committed_through >= seq  # never appended, or committed already
            failures = self._failures
            self._urgent = True
            self._wake.notify()
            self._committed.wait_for(
                lambda: self._committed_through >= seq or self._failures > failures or self._closed, timeout
            )
            return self._committed_through >= seq

    def forget(self, items: Sequence[QueuedBatch]) -> None:
        """Settled batches leave the spool (at the next commit; at once if never written)."""
        finished: List[SpoolFile] = []
        with self._lock:
            for item in items:
                spool = item.spool
                if spool is None:
                    continue
                item.spool = None
                row = self._inserts.pop(item.seq, None) if spool is self.own else None
                if row is not None:
                    self._buffered -= len(row[2])
                    continue  # never reached the disk
                self._note_work()
                spool.deletes.append(item.row)
                if spool.adopted:
                    spool.outstanding -= 1
                    if spool.exhausted and spool.outstanding == 0:
                        finished.append(spool)
        if finished:
            with self._lock:
                self._urgent = True
                self._wake.notify()

    def load_adopted(self, count: int, max_bytes: int) -> Optional[List[QueuedBatch]]:
        """Up to ``count`` batches (``max_bytes`` of data, at least one) from the adopted files,
        oldest file first, with ``seq`` 0 (the queue numbers them); None once every adopted
        file has been read to its end."""
        for spool in list(self._adopted):
            if spool.exhausted:
                continue
            with spool.lock:
                rows, more = spool.read(spool.cursor, None, count, max_bytes)
            with self._lock:
                if not more:
                    spool.exhausted = True  # read to its end
                    self._urgent = True  # it may be finished already: let the writer retire it
                    self._wake.notify()
                if not rows:
                    continue
                spool.cursor = rows[-1][0]
                spool.outstanding += len(rows)
            return [_queued(row, spool, adopted=True) for row in rows]
        return None

    def load_own(self, after: int, through: int, count: int, max_bytes: int) -> List[QueuedBatch]:
        """Up to ``count`` of this process's spilled batches with ``after < seq <= through``
        (``max_bytes`` of data, at least one)."""
        self.commit()  # spilled rows may still be in the buffer
        own = self.own
        with own.lock:
            rows, more = own.read(after, through, count, max_bytes)
        if not more and len(rows) < count:  # a failing disk: what could not be written is buffered
            last = rows[-1][0] if rows else after
            with self._lock:
                buffered = sorted(r for i, r in self._inserts.items() if last < i <= through)
            rows.extend(buffered[: count - len(rows)])
            rows = _fit(rows, max_bytes)
        return [_queued(row, own, adopted=False) for row in rows]

    def commit(self) -> None:
        """Write everything buffered now, on the calling thread."""
        self._write_pending()

    def _note_work(self) -> None:
        """(Under the lock) something was buffered: the writer commits within the interval."""
        if not self._dirty:
            self._dirty = True
            self._first_pending = time.monotonic()
            if self._uncommitted_since is None:
                self._uncommitted_since = self._first_pending
            self._wake.notify()

    # -- the writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while self._wait_for_work():
            try:
                self._write_pending()
                self._retire_finished()
                if time.monotonic() - self._last_scan >= ADOPT_INTERVAL:
                    self._scan()
            except Exception as error:  # noqa: BLE001 - the writer must never die
                logger.exception("unexpected error in the spool writer; it keeps running")
                self._on_error(error)
                with self._lock:
                    self._wake.wait(1.0)

    def _wait_for_work(self) -> bool:
        """Wait until a commit or a scan is due or an adopted file can be retired. False once
        the spool is closed."""
        with self._lock:
            while not self._closed:
                now = time.monotonic()
                if now - self._last_scan >= ADOPT_INTERVAL:
                    break
                if self._urgent or self._has_finished_files():
                    break
                if self._dirty:
                    due = self._first_pending + self.commit_interval - now
                    if due <= 0:
                        break
                    self._wake.wait(due)
                else:
                    self._wake.wait(max(0.01, self._last_scan + ADOPT_INTERVAL - now))
            return not self._closed

    def _has_finished_files(self) -> bool:
        return any(map(_finished, self._adopted))

    def _write_pending(self) -> None:
        with self._commit_lock:
            self._write_snapshot()

    def _write_snapshot(self) -> None:
        inserts, through, jobs = self._take_snapshot()
        failed: Optional[BaseException] = None
        for spool, deletes in jobs:
            try:
                with spool.lock:
                    spool.write(inserts if spool is self.own else (), deletes)
            except sqlite3.Error as error:
                self._keep_for_retry(spool, inserts, deletes)
                if spool is not self.own:  # an adopted file's deletes: retried, ours still fine
                    logger.warning("deleting delivered batches from %s failed: %s (retrying)", spool.path, error)
                    continue
                failed = error
        self._settle(through, failed)

    def _take_snapshot(self) -> Tuple[List[Row], int, List[Tuple[SpoolFile, List[int]]]]:
        """Hand everything buffered over to one write: the inserts, the highest row id
        appended, and each file with its deletes."""
        with self._lock:
            inserts = list(self._inserts.values())
            through = self._appended_through
            jobs = [(s, s.deletes) for s in [self.own, *self._adopted] if s.deletes or (s is self.own and inserts)]
            for spool, _ in jobs:
                spool.deletes = []
            self._inserts = {}
            self._buffered = 0
            self._dirty = self._urgent = False
        return inserts, through, jobs

    def _keep_for_retry(self, spool: SpoolFile, inserts: List[Row], deletes: List[int]) -> None:
        """A write to ``spool`` failed: what it held goes back into the buffer for the next one."""
        with self._lock:
            spool.deletes[:0] = deletes
            self._dirty = True
            if spool is self.own:
                for row in inserts:
                    if row[0] not in self._inserts:
                        self._inserts[row[0]] = row
                        self._buffered += len(row[2])

    def _settle(self, through: int, failed: Optional[BaseException]) -> None:
        """After a write: rows up to ``through`` are committed, or the write is retried after a
        pause (``failed`` is reported); synchronous appends waiting for it are woken."""
        with self._lock:
            if failed is None:
                self._committed_through = max(self._committed_through, through)
                self._healthy = True
                # what was appended during this write waits since the buffer became dirty
                self._uncommitted_since = self._first_pending if self._dirty else None
            else:
                self._healthy = False
                self._failures += 1
                self._first_pending = time.monotonic() + 1.0  # retry after a pause
                self._dirty = True
                self._wake.notify()  # the writer may be waiting with nothing to do
            self._committed.notify_all()
        if failed is not None:
            logger.warning("spool write to %s failed: %s (retrying)", self.own.path, failed)
            self._on_error(failed)

    def _retire_finished(self) -> None:
        with self._lock:
            done = [s for s in self._adopted if _finished(s)]
            self._adopted = [s for s in self._adopted if s not in done]
        for spool in done:
            spool.close(remove_if_empty=True)

    def _scan(self) -> None:
        """Adopt the spool files of dead processes in the directory."""
        self._last_scan = time.monotonic()
        with self._lock:
            taken = {self.own.path, *(s.path for s in self._adopted)}
        for spool, count, size in self._adopter.scan(taken):
            with self._lock:
                self._adopted.append(spool)
            self._on_adopted(count, size)

    # -- closing ---------------------------------------------------------------------------------
    def close(self) -> List[QueuedBatch]:
        """Commit what is buffered, stop the writer, close every file (deleting empty ones).
        Returns the batches that could not be written (a failing disk): they are not on disk."""
        with self._lock:
            if self._closed:
                return []
        self._write_pending()
        with self._lock:
            self._closed = True
            unwritten = [_queued(row, self.own, adopted=False) for row in self._inserts.values()]
            self._inserts = {}
            self._wake.notify_all()
            self._committed.notify_all()
        if self._writer.is_alive() and self._writer is not threading.current_thread():
            self._writer.join(5.0)
        for spool in [self.own, *self._adopted]:
            spool.close(remove_if_empty=True)
        for item in unwritten:
            item.spool = None
        return unwritten

    def abandon_in_child(self) -> None:
        """After ``fork``: the parent owns these files. Close our copies of the lock descriptors
        (closing, unlike unlocking, leaves the parent's lock in place) and never touch the
        inherited SQLite connections (kept referenced so they are never closed here)."""
        for spool in [self.own, *self._adopted]:
            _INHERITED.append(spool.conn)
            if spool.lock_fd >= 0:
                os.close(spool.lock_fd)
                spool.lock_fd = -1


#: SQLite connections inherited across fork: never used or closed in the child.
_INHERITED: List[sqlite3.Connection] = []


def _finished(spool: SpoolFile) -> bool:
    """An adopted file read to its end whose batches have all been settled and deleted."""
    return spool.exhausted and spool.outstanding == 0 and not spool.deletes


def _fit(rows: List[Row], max_bytes: int) -> List[Row]:
    """The leading rows whose data fits in ``max_bytes`` (at least one)."""
    total = 0
    for index, row in enumerate(rows):
        total += len(row[2])
        if total > max_bytes and index:
            return rows[:index]
    return rows


def _queued(row: Row, spool: SpoolFile, adopted: bool) -> QueuedBatch:
    row_id, request_id, data, _ = row
    item = QueuedBatch(bytes(data), request_id)
    item.row = row_id
    item.spool = spool
    if not adopted:
        item.seq = row_id
    return item

