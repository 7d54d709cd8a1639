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
"""

from __future__ import annotations

import errno
import glob
import hashlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from typing import Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import quote

from mparticle.uploader.packing import QueuedBatch

__all__ = ["SpoolBusy", "SpoolError", "Spool", "SpoolFile", "spool_fingerprint"]

logger = logging.getLogger("mparticle.uploader")

PREFIX = "mparticle-spool-"
SUFFIX = ".sqlite3"
#: ``PRAGMA application_id`` of spool files ("mpSp"): tells them from other SQLite files.
APPLICATION_ID = 0x6D705370
#: The schema version (``PRAGMA user_version``); a file of another version is not touched.
FORMAT_VERSION = 1
#: How often a live uploader looks for spool files left by dead processes (seconds).
ADOPT_INTERVAL = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    source_request_id TEXT NOT NULL,
    data BLOB NOT NULL,
    enqueued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

Row = Tuple[int, str, bytes, float]

#: Rows per INSERT / ids per DELETE statement (within SQLite's 999 parameters of old versions).
INSERT_ROWS = 200
DELETE_ROWS = 900
#: Uncommitted bytes after which ``enqueue`` waits for the writer (it has fallen behind).
MAX_BUFFER_BYTES = 8 * 1024 * 1024
_MAX_ID = 2**63 - 1
_SELECT = "SELECT id, source_request_id, data, enqueued_at FROM batches WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
_PLAN = (
    "SELECT group_concat(id), group_concat(size) FROM "
    "(SELECT id, length(data) AS size FROM batches WHERE id > ? AND id <= ? ORDER BY id LIMIT ?)"
)
_READ_JOINED = (
    "SELECT count(*), group_concat(id), CAST(group_concat(source_request_id, char(31)) AS BLOB), "
    f"CAST(group_concat(data, char(30)) AS BLOB) FROM ({_SELECT})"
)


class SpoolError(Exception):
    """A spool directory or file that cannot be used (the message says which and why)."""


class SpoolBusy(Exception):
    """A spool file that could not be opened right now (it is tried again at the next scan)."""


class _Unborn(Exception):
    """A spool file whose creator died before it held anything."""


#: ``SpoolFile.adopt`` result for a spool of another destination.
FOREIGN = "foreign"


def spool_fingerprint(host: str, api_key: str, path: str) -> str:
    """Which destination a spool's batches belong to: a hash of host, API key and path (the key
    itself is never written). Only files with the same fingerprint are adopted."""
    text = f"{host.rstrip('/')}\n{api_key}\n{path}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class SpoolFile:
    """One spool file, open and exclusively locked by this process."""

    def __init__(self, path: str, lock_fd: int, conn: sqlite3.Connection, adopted: bool) -> None:
        self.path = path
        self.lock_fd = lock_fd
        self.conn = conn
        self.adopted = adopted
        self.lock = threading.Lock()  # one connection, used by the writer and by loading senders
        self.cursor = 0  # adopted files: the highest row id loaded so far
        self.outstanding = 0  # adopted files: rows loaded and not yet deleted
        self.exhausted = False  # adopted files: every row has been loaded
        self.deletes: List[int] = []  # row ids to delete at the next commit (guarded by Spool._lock)

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: str, fingerprint: str, fsync: bool) -> "SpoolFile":
        """A new, empty spool file of this process in ``directory``."""
        for _ in range(10):  # a scan elsewhere may hold a fresh lock file for a moment: new name
            name = PREFIX + uuid.uuid4().hex[:16]
            lock_path = os.path.join(directory, name + ".lock")
            lock_fd = _lock(lock_path, create=True)
            if lock_fd is not None:
                break
        else:
            raise SpoolError(f"cannot lock a new spool file in {directory!r}")
        path = os.path.join(directory, name + SUFFIX)
        try:
            conn = _connect(path, create=True, fsync=fsync)
            # one transaction: a file whose creator died half-way is empty, and removed as such
            conn.executescript(
                f"BEGIN; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
                f"PRAGMA user_version = {FORMAT_VERSION}; "
                f"INSERT INTO meta VALUES ('fingerprint', '{fingerprint}'), ('pid', '{os.getpid()}'); COMMIT;"
            )
        except (sqlite3.Error, OSError) as error:
            os.close(lock_fd)
            raise SpoolError(f"cannot create a spool file in {directory!r}: {error}") from error
        return cls(path, lock_fd, conn, adopted=False)

    @classmethod
    def adopt(cls, path: str, fingerprint: str, fsync: bool) -> "Optional[SpoolFile] | str":
        """Take over ``path`` if its owner is gone and it holds batches for ``fingerprint``.

        Returns the file; None when its owner is alive or it is gone; ``FOREIGN`` when it holds
        batches for another destination. A file that is definitely not a usable spool is
        quarantined (renamed while still locked) and SpoolError raised; any other error (too
        many open files, a locked or full disk) raises ``SpoolBusy``: try again later."""
        lock_path = path[: -len(SUFFIX)] + ".lock"  # created if missing (files restored by hand)
        lock_fd = _lock(lock_path, create=True)
        if lock_fd is None:
            return None  # its owner is alive
        if not os.path.exists(path):  # removed by its owner or another adopter meanwhile
            _unlink(lock_path)  # (we may have re-created it: it is ours, and locked)
            os.close(lock_fd)
            return None
        conn: Optional[sqlite3.Connection] = None
        try:
            conn = _connect(path, create=False, fsync=fsync)
            _check_format(conn)
            owner = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except _Unborn:
            _close_quietly(conn)
            _remove_files(path)
            os.close(lock_fd)
            return None
        except (sqlite3.Error, SpoolError) as error:
            _close_quietly(conn)
            if isinstance(error, SpoolError) or _is_corrupt(error):
                _quarantine(path, error)
                os.close(lock_fd)
                raise SpoolError(f"{path}: not a usable spool file ({error}); moved to {path}.corrupt") from error
            os.close(lock_fd)
            raise SpoolBusy(f"{path}: {error}") from error
        if owner is None or owner[0] != fingerprint:
            conn.close()
            os.close(lock_fd)
            return FOREIGN
        return cls(path, lock_fd, conn, adopted=True)

    # -- reading and writing (callers hold self.lock) ----------------------------------------
    def totals(self) -> Tuple[int, int]:
        """(rows, data bytes) in the file."""
        count, size = self.conn.execute("SELECT count(*), coalesce(sum(length(data)), 0) FROM batches").fetchone()
        return int(count), int(size)

    def write(self, inserts: Sequence[Row], deletes: Sequence[int]) -> None:
        """Insert and delete rows in one transaction.

        Many rows per statement: the sqlite3 module releases the GIL around every step, and a
        step per row would let any CPU-bound thread of the process stall the writer for a
        switch interval (5 ms) per row."""
        conn = self.conn
        with conn:
            for chunk in _chunks(inserts, INSERT_ROWS):
                values = ",".join(("(?,?,?,?)",) * len(chunk))
                conn.execute(f"INSERT OR REPLACE INTO batches VALUES {values}", [v for row in chunk for v in row])
            for ids in _chunks(deletes, DELETE_ROWS):
                conn.execute(f"DELETE FROM batches WHERE id IN ({','.join('?' * len(ids))})", ids)

    def read(self, after: int, through: Optional[int], count: int, max_bytes: int) -> Tuple[List[Row], bool]:
        """Rows with ``after < id <= through`` (no upper bound for None), in order: at most
        ``count`` and ``max_bytes`` of data (at least one row). Also says whether more rows are
        left in that range. The sizes are looked at first, so no blob is read in vain."""
        plan = (after, _MAX_ID if through is None else through, count + 1)
        ids, sizes = self.conn.execute(_PLAN, plan).fetchone()
        if not ids:
            return [], False
        planned = sorted(zip(map(int, ids.split(",")), map(int, sizes.split(","))))  # (id, size)
        take, total = 0, 0
        for _, size in planned[:count]:
            total += size
            if take and total > max_bytes:
                break
            take += 1
        rows = self._read_rows(after, planned[take - 1][0], take)
        return rows, len(planned) > take

    def _read_rows(self, after: int, through: int, count: int) -> List[Row]:
        """Up to ``count`` rows with ``after < id <= through``, in order, in one result row for
        all of them (for the GIL, as in ``write``): serialized batches are JSON, which never
        holds a raw ASCII record separator, so it can join them."""
        bounds = (after, through, count)
        total, ids, request_ids, data = self.conn.execute(_READ_JOINED, bounds).fetchone()
        if not total:
            return []
        id_list = [int(i) for i in ids.split(",")]
        id_parts = bytes(request_ids).split(b"\x1f")
        data_parts = bytes(data).split(b"\x1e")
        if not len(id_list) == len(id_parts) == len(data_parts) == total:  # a separator inside a value
            return [(r[0], r[1], bytes(r[2]), r[3]) for r in self.conn.execute(_SELECT, bounds).fetchall()]
        rows = [(i, rid.decode("utf-8"), part, 0.0) for i, rid, part in zip(id_list, id_parts, data_parts)]
        rows.sort(key=lambda row: row[0])  # the aggregates see the rows in one order, not necessarily by id
        return rows

    def close(self, remove_if_empty: bool) -> bool:
        """Close the file and release its lock; delete it when empty (and asked to). Returns
        True if it was deleted."""
        removed = False
        with self.lock:
            try:
                empty = remove_if_empty and self.totals()[0] == 0
            except sqlite3.Error:
                empty = False
            try:
                self.conn.close()
            except sqlite3.Error:  # pragma: no cover - close only fails on a broken file
                pass
            if empty:
                _remove_files(self.path)
                removed = True
            os.close(self.lock_fd)
            self.lock_fd = -1
        return removed


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
        self.directory = _check_directory(directory)
        self.fingerprint = fingerprint
        self.commit_interval = commit_interval
        self.fsync = fsync
        self._on_adopted = on_adopted
        self._on_error = on_error
        self.own = SpoolFile.create(self.directory, fingerprint, fsync)
        self._adopted: List[SpoolFile] = []
        self._lock = threading.Lock()
        self._commit_lock = threading.Lock()  # one write at a time, in the order of their snapshots
        self._foreign: Dict[str, float] = {}  # spools of other destinations: path -> mtime seen
        self._wake = threading.Condition(self._lock)  # the writer: work arrived, or close
        self._committed = threading.Condition(self._lock)  # synchronous appends: a commit finished
        self._inserts: Dict[int, Row] = {}  # row id -> row, in append order
        self._first_pending = 0.0  # monotonic time of the oldest uncommitted change
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
        """True when the writer has fallen behind (``MAX_BUFFER_BYTES`` uncommitted)."""
        return self._buffered > MAX_BUFFER_BYTES

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
            self._wake.notify()

    # -- the writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while True:
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
                closed = self._closed
            if closed:
                return
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

    def _has_finished_files(self) -> bool:
        return any(map(_finished, self._adopted))

    def _write_pending(self) -> None:
        with self._commit_lock:
            self._write_snapshot()

    def _write_snapshot(self) -> None:
        with self._lock:
            inserts = list(self._inserts.values())
            through = self._appended_through
            jobs = [(s, s.deletes) for s in [self.own, *self._adopted] if s.deletes or (s is self.own and inserts)]
            for spool, _ in jobs:
                spool.deletes = []
            self._inserts = {}
            self._buffered = 0
            self._dirty = self._urgent = False
        failed: Optional[BaseException] = None
        for spool, deletes in jobs:
            try:
                with spool.lock:
                    spool.write(inserts if spool is self.own else (), deletes)
            except sqlite3.Error as error:
                with self._lock:  # keep what failed for the next attempt
                    spool.deletes[:0] = deletes
                    self._dirty = True
                    if spool is self.own:
                        for row in inserts:
                            if row[0] not in self._inserts:
                                self._inserts[row[0]] = row
                                self._buffered += len(row[2])
                if spool is not self.own:  # an adopted file's deletes: retried, ours still fine
                    logger.warning("deleting delivered batches from %s failed: %s (retrying)", spool.path, error)
                    continue
                failed = error
        with self._lock:
            if failed is None:
                self._committed_through = max(self._committed_through, through)
                self._healthy = True
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
        pattern = os.path.join(glob.escape(self.directory), PREFIX + "*")
        for path in sorted(glob.glob(pattern + SUFFIX)):
            if path in taken or self._foreign.get(path) == _mtime(path):
                continue
            try:
                spool = SpoolFile.adopt(path, self.fingerprint, self.fsync)
            except SpoolError as error:
                self._on_error(error)
                continue
            except (SpoolBusy, OSError) as error:  # try again at the next scan
                logger.warning("cannot adopt spool file %s now: %s", path, error)
                continue
            if spool is None:
                continue
            if spool == FOREIGN:
                self._foreign[path] = _mtime(path)
                continue
            assert isinstance(spool, SpoolFile)
            try:
                with spool.lock:
                    count, size = spool.totals()
            except sqlite3.Error as error:
                logger.warning("cannot read spool file %s now: %s", path, error)
                spool.close(remove_if_empty=False)
                continue
            if count == 0:
                spool.close(remove_if_empty=True)
                continue
            logger.info("adopted spool file %s with %d batches left by a previous process", path, count)
            with self._lock:
                self._adopted.append(spool)
            self._on_adopted(count, size)
        for lock_path in glob.glob(pattern + ".lock"):
            self._remove_orphan_lock(lock_path)

    @staticmethod
    def _remove_orphan_lock(lock_path: str) -> None:
        """A lock file without its database, left by a creator that died in between. A live
        creator holds its lock while it creates the database; one that has not locked it yet
        loses it here and simply picks another name (``SpoolFile.create``)."""
        db_path = lock_path[: -len(".lock")] + SUFFIX
        try:
            if os.path.exists(db_path):
                return
            fd = _lock(lock_path, create=False)
        except OSError:  # removed meanwhile
            return
        if fd is not None:
            if not os.path.exists(db_path):
                _unlink(lock_path)
            os.close(fd)

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


def _chunks(items: Sequence, size: int) -> List[Sequence]:  # type: ignore[type-arg]
    return [items[i : i + size] for i in range(0, len(items), size)]


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


def _check_directory(directory: str) -> str:
    path = os.path.abspath(os.fspath(directory))
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as error:
        raise SpoolError(f"Invalid value for `spool_dir` ({directory!r}): cannot create it ({error})") from error
    if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
        raise SpoolError(f"Invalid value for `spool_dir` ({directory!r}): expected a writable directory")
    return path


def _lock(path: str, create: bool) -> Optional[int]:
    """An exclusive, non-blocking flock on ``path`` (fd), or None if another process holds it
    or the file was replaced meanwhile."""
    import fcntl

    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        same = False
    if not same:  # unlinked (and maybe recreated) by its owner after we opened it
        os.close(fd)
        return None
    return fd


def _connect(path: str, create: bool, fsync: bool) -> sqlite3.Connection:
    mode = "rwc" if create else "rw"
    uri = f"file:{quote(path)}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level="DEFERRED", check_same_thread=False, timeout=5.0)
    if create:
        os.chmod(path, 0o600)  # batches hold personal data
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
    return conn


def _check_format(conn: sqlite3.Connection) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        raise _Unborn()  # its creator died before writing the schema: empty, just remove it
    if app_id != APPLICATION_ID:
        raise SpoolError(f"not an mparticle spool (application_id {app_id:#x})")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != FORMAT_VERSION:
        raise SpoolError(f"spool format {version}, this version reads {FORMAT_VERSION}")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(batches)")]
    if columns != ["id", "source_request_id", "data", "enqueued_at"]:
        raise SpoolError(f"unexpected batches table: columns {columns}")
    if not conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
        raise SpoolError("no meta table")


def _is_corrupt(error: sqlite3.Error) -> bool:
    """SQLITE_NOTADB or SQLITE_CORRUPT: the file itself is bad (not a passing condition)."""
    name = getattr(error, "sqlite_errorname", "")
    if name:
        return name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))
    text = str(error)
    return "not a database" in text or "malformed" in text


def _close_quietly(conn: Optional[sqlite3.Connection]) -> None:
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error:
            pass


def _remove_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        _unlink(path + suffix)
    _unlink(path[: -len(SUFFIX)] + ".lock")


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


def _quarantine(path: str, error: BaseException) -> None:
    """Rename a bad spool file out of the way (kept for inspection) and say so once."""
    target = path + ".corrupt"
    logger.error("spool file %s is unusable (%s); moved to %s", path, error, target)
    for suffix in ("", "-wal", "-shm"):
        try:
            os.replace(path + suffix, target + suffix)
        except OSError:
            pass
    _unlink(path[: -len(SUFFIX)] + ".lock")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
