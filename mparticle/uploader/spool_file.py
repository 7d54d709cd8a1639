"""The spool on disk: its directory, the SQLite (WAL) file format, lock files, row reads and writes.

Files: ``mparticle-spool-<id>.sqlite3`` (with SQLite's ``-wal``/``-shm``) and
``mparticle-spool-<id>.lock``, on which the owning process holds an exclusive ``flock`` for as
long as it lives. A file that is not a readable spool of this format is renamed to
``<name>.corrupt`` (quarantined).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import sqlite3
import threading
import uuid
from typing import List, Optional, Sequence, Tuple
from urllib.parse import quote

logger: logging.Logger = logging.getLogger("mparticle.uploader")

PREFIX = "mparticle-spool-"
SUFFIX = ".sqlite3"
#: ``PRAGMA application_id`` of spool files ("mpSp"): tells them from other SQLite files.
APPLICATION_ID = 0x6D705370
#: The schema version (``PRAGMA user_version``); a file of another version is not touched.
FORMAT_VERSION = 1

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


class Unborn(Exception):
    """A spool file whose creator died before it held anything."""


def spool_fingerprint(host: str, api_key: str, path: str) -> str:
    """Which destination a spool's batches belong to: a hash of host, API key and path (the key
    itself is never written). Only files with the same fingerprint are adopted."""
    text = f"{host.rstrip('/')}\n{api_key}\n{path}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class SpoolFile:
    """One spool file, open and exclusively locked by this process."""

    def __init__(self, path: str, lock_fd: int, conn: sqlite3.Connection, adopted: bool) -> None:
        self.path: str = path
        self.lock_fd: int = lock_fd
        self.conn: sqlite3.Connection = conn
        self.adopted: bool = adopted
        self.lock: threading.Lock = threading.Lock()  # one connection, used by the writer and by loading senders
        self.cursor: int = 0  # adopted files: the highest row id loaded so far
        self.outstanding: int = 0  # adopted files: rows loaded and not yet deleted
        self.exhausted: bool = False  # adopted files: every row has been loaded
        self.deletes: List[int] = []  # row ids to delete at the next commit (guarded by Spool._lock)

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: str, fingerprint: str, fsync: bool) -> "SpoolFile":
        """A new, empty spool file of this process in ``directory``."""
        for _ in range(10):  # a scan elsewhere may hold a fresh lock file for a moment: new name
            name = PREFIX + uuid.uuid4().hex[:16]
            lock_path = os.path.join(directory, name + ".lock")
            lock_fd = lock_file(lock_path, create=True)
            if lock_fd is not None:
                break
        else:
            raise SpoolError(f"cannot lock a new spool file in {directory!r}")
        path = os.path.join(directory, name + SUFFIX)
        try:
            conn = connect(path, create=True, fsync=fsync)
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
                remove_files(self.path)
                removed = True
            os.close(self.lock_fd)
            self.lock_fd = -1
        return removed


def check_directory(directory: str) -> str:
    """``directory`` as an absolute path, created (0700) if missing; SpoolError unless writable."""
    path = os.path.abspath(os.fspath(directory))
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as error:
        raise SpoolError(f"Invalid value for `spool_dir` ({directory!r}): cannot create it ({error})") from error
    if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
        raise SpoolError(f"Invalid value for `spool_dir` ({directory!r}): expected a writable directory")
    return path


def _chunks(items: Sequence, size: int) -> List[Sequence]:  # type: ignore[type-arg]
    return [items[i : i + size] for i in range(0, len(items), size)]


def lock_file(path: str, create: bool) -> Optional[int]:
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


def connect(path: str, create: bool, fsync: bool) -> sqlite3.Connection:
    """A connection to the spool file ``path`` in WAL mode (``create``: a new file, 0600)."""
    mode = "rwc" if create else "rw"
    uri = f"file:{quote(path)}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level="DEFERRED", check_same_thread=False, timeout=5.0)
    if create:
        os.chmod(path, 0o600)  # batches hold personal data
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
    return conn


def check_format(conn: sqlite3.Connection) -> None:
    """Raise SpoolError unless ``conn`` is a spool of this format (Unborn: an empty file)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        raise Unborn()  # its creator died before writing the schema: empty, just remove it
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


def is_corrupt(error: sqlite3.Error) -> bool:
    """SQLITE_NOTADB or SQLITE_CORRUPT: the file itself is bad (not a passing condition)."""
    name = getattr(error, "sqlite_errorname", "")
    if name:
        return name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))
    text = str(error)
    return "not a database" in text or "malformed" in text


def close_quietly(conn: Optional[sqlite3.Connection]) -> None:
    """Close ``conn`` (if any), ignoring SQLite errors."""
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error:
            pass


def remove_files(path: str) -> None:
    """Delete a spool file, its WAL and shm files and its lock file."""
    for suffix in ("", "-wal", "-shm"):
        unlink(path + suffix)
    unlink(path[: -len(SUFFIX)] + ".lock")


def quarantine(path: str, error: BaseException) -> None:
    """Rename a bad spool file out of the way (kept for inspection) and say so once."""
    target = path + ".corrupt"
    logger.error("spool file %s is unusable (%s); moved to %s", path, error, target)
    for suffix in ("", "-wal", "-shm"):
        try:
            os.replace(path + suffix, target + suffix)
        except OSError:
            pass
    unlink(path[: -len(SUFFIX)] + ".lock")


def unlink(path: str) -> None:
    """Delete the file ``path`` if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
