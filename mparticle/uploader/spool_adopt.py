"""Adoption: taking over the spool files that dead processes left in the spool directory.

A file is adoptable when its lock can be taken (the OS released it when its owner died,
however it died) and it holds batches for this uploader's destination (its fingerprint). Files
of another destination are remembered and looked at again only once they change; files that
are not spools of this format are quarantined; lock files left without a database are removed.
"""

from __future__ import annotations

import glob
import logging
import os
import sqlite3
from typing import Callable, Collection, Dict, Iterator, Optional, Tuple

from mparticle.uploader.spool_file import (
    PREFIX,
    SUFFIX,
    SpoolBusy,
    SpoolError,
    SpoolFile,
    Unborn,
    check_format,
    close_quietly,
    connect,
    is_corrupt,
    lock_file,
    quarantine,
    remove_files,
    unlink,
)

logger: logging.Logger = logging.getLogger("mparticle.uploader")

#: ``adopt_file`` result for a spool of another destination.
FOREIGN = "foreign"


def adopt_file(path: str, fingerprint: str, fsync: bool) -> "Optional[SpoolFile] | str":
    """Take over ``path`` if its owner is gone and it holds batches for ``fingerprint``.

    Returns the file; None when its owner is alive or it is gone; ``FOREIGN`` when it holds
    batches for another destination. A file that is definitely not a usable spool is
    quarantined (renamed while still locked) and SpoolError raised; any other error (too
    many open files, a locked or full disk) raises ``SpoolBusy``: try again later."""
    lock_path = path[: -len(SUFFIX)] + ".lock"  # created if missing (files restored by hand)
    lock_fd = lock_file(lock_path, create=True)
    if lock_fd is None:
        return None  # its owner is alive
    if not os.path.exists(path):  # removed by its owner or another adopter meanwhile
        unlink(lock_path)  # (we may have re-created it: it is ours, and locked)
        os.close(lock_fd)
        return None
    conn: Optional[sqlite3.Connection] = None
    try:
        conn = connect(path, create=False, fsync=fsync)
        check_format(conn)
        owner = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
    except Unborn:
        close_quietly(conn)
        remove_files(path)
        os.close(lock_fd)
        return None
    except (sqlite3.Error, SpoolError) as error:
        close_quietly(conn)
        if isinstance(error, SpoolError) or is_corrupt(error):
            quarantine(path, error)
            os.close(lock_fd)
            raise SpoolError(f"{path}: not a usable spool file ({error}); moved to {path}.corrupt") from error
        os.close(lock_fd)
        raise SpoolBusy(f"{path}: {error}") from error
    if owner is None or owner[0] != fingerprint:
        conn.close()
        os.close(lock_fd)
        return FOREIGN
    return SpoolFile(path, lock_fd, conn, adopted=True)


class Adopter:
    """Scans one spool directory for the files of dead processes with batches for one
    destination. ``on_error(exc)`` reports a file that had to be quarantined."""

    def __init__(
        self, directory: str, fingerprint: str, fsync: bool, on_error: Callable[[BaseException], None]
    ) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.fsync = fsync
        self._on_error = on_error
        self._foreign: Dict[str, float] = {}  # spools of other destinations: path -> mtime seen

    def scan(self, taken: Collection[str]) -> Iterator[Tuple[SpoolFile, int, int]]:
        """Adopt, one at a time, every file not in ``taken`` whose owner is gone and that holds
        batches: (file, rows, data bytes). Empty ones are removed, and so are orphan lock files
        once every file was looked at."""
        pattern = os.path.join(glob.escape(self.directory), PREFIX + "*")
        for path in sorted(glob.glob(pattern + SUFFIX)):
            if path in taken or self._foreign.get(path) == _mtime(path):
                continue
            adopted = self._adopt(path)
            if adopted is not None:
                yield adopted
        for lock_path in glob.glob(pattern + ".lock"):
            remove_orphan_lock(lock_path)

    def _adopt(self, path: str) -> Optional[Tuple[SpoolFile, int, int]]:
        """``path`` adopted, with its rows and data bytes; None when it is not adopted now (its
        owner is alive, it is gone, foreign, unusable or empty, or cannot be read right now)."""
        try:
            spool = adopt_file(path, self.fingerprint, self.fsync)
        except SpoolError as error:
            self._on_error(error)
            return None
        except (SpoolBusy, OSError) as error:  # try again at the next scan
            logger.warning("cannot adopt spool file %s now: %s", path, error)
            return None
        if spool is None:
            return None
        if spool == FOREIGN:
            self._foreign[path] = _mtime(path)
            return None
        assert isinstance(spool, SpoolFile)
        try:
            with spool.lock:
                count, size = spool.totals()
        except sqlite3.Error as error:
            logger.warning("cannot read spool file %s now: %s", path, error)
            spool.close(remove_if_empty=False)
            return None
        if count == 0:
            spool.close(remove_if_empty=True)
            return None
        logger.info("adopted spool file %s with %d batches left by a previous process", path, count)
        return spool, count, size


def remove_orphan_lock(lock_path: str) -> None:
    """A lock file without its database, left by a creator that died in between. A live
    creator holds its lock while it creates the database; one that has not locked it yet
    loses it here and simply picks another name (``SpoolFile.create``)."""
    db_path = lock_path[: -len(".lock")] + SUFFIX
    try:
        if os.path.exists(db_path):
            return
        fd = lock_file(lock_path, create=False)
    except OSError:  # removed meanwhile
        return
    if fd is not None:
        if not os.path.exists(db_path):
            unlink(lock_path)
        os.close(fd)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0
