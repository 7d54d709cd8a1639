"""The reject file: one JSON line per record that was not sent."""

from __future__ import annotations

import errno
import json
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from mparticle.cli.errors import OutputError, UsageError
from mparticle.cli.paths import PRIVATE_MODE

if TYPE_CHECKING:
    from mparticle.cli.sources import InputFile

__all__ = ["FLUSH_BYTES", "RejectWriter", "reject_entry"]

#: Rejects are written once this many bytes of them are waiting (and by ``flush``).
FLUSH_BYTES = 64 * 1024


class RejectWriter:
    """Appends one JSON line per rejected record; the file is created ``0600`` at the first
    reject (an existing file keeps its mode). A fresh run (``append=False``) empties an
    existing file first.

    Lines wait in memory until :data:`FLUSH_BYTES` of them are there, or :meth:`flush`,
    :meth:`sync` or :meth:`close`; then they go out in whole lines (a killed run leaves whole
    lines), and only then do their ``done`` callbacks run: a record is marked done after its
    reject is in the file, never before (a killed run loses waiting lines, whose records are
    still to do). One ``write`` per reject made the reading thread give up the interpreter
    lock to the sender threads for every one. A write that fails is kept in :attr:`failure`;
    every later :meth:`write` raises it.
    """

    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self._fd: Optional[int] = None
        self._lock = threading.Lock()
        self._closed = False
        self._lines: List[bytes] = []
        self._done: List[Callable[[], None]] = []
        self._size = 0
        self.failure: Optional[OutputError] = None  #: why the file could not be written
        self.written: int = 0  #: lines written to the file
        if not append:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))  # only if it exists
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise UsageError(f"cannot write the reject file {path}: {exc.strerror or exc}") from None

    def write(self, entry: Dict[str, Any], done: Optional[Callable[[], None]] = None) -> None:
        """Append ``entry``; ``done`` runs once its line is in the file. OutputError when the
        file cannot be written (now, or at an earlier flush)."""
        line = (json.dumps(entry) + "\n").encode("ascii")
        with self._lock:
            if self._closed:  # a late answer after the run: its record stays to do
                return
            if self.failure is not None:
                raise self.failure
            self._lines.append(line)
            self._size += len(line)
            if done is not None:
                self._done.append(done)
            if self._size >= FLUSH_BYTES:
                self._flush()

    def flush(self) -> None:
        """Write the waiting lines (and run their callbacks); a failure is kept in :attr:`failure`."""
        with self._lock:
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except OutputError:
            pass  # kept in self.failure: the run reports it

    def _flush(self) -> None:
        if not self._lines:
            return
        data, done, count = b"".join(self._lines), self._done, len(self._lines)
        self._lines, self._done, self._size = [], [], 0
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            self.failure = OutputError(f"cannot write the reject file {self.path}: {exc.strerror or exc}")
            raise self.failure from None
        self.written += count
        for callback in done:
            callback()

    def sync(self) -> None:
        """Write the waiting lines and make the file durable (before a checkpoint claims those
        records done)."""
        with self._lock:
            self._flush_quietly()
            if self._fd is None:
                return
            try:
                os.fsync(self._fd)
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):  # a pipe or a terminal
                    raise

    def close(self) -> None:
        """Write the waiting lines and close the file; later writes are ignored."""
        with self._lock:
            self._flush_quietly()
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def reject_entry(
    file: InputFile, line: int, array_index: Optional[int], reason: str, problems: List[Dict[str, str]], text: str
) -> Dict[str, Any]:
    """One line of the reject file: where the record was, why it was refused, and its text."""
    entry: Dict[str, Any] = {"file": file.display, "line": line}
    if array_index is not None:
        entry["index"] = array_index
    entry.update(reason=reason, problems=problems, record=text)
    return entry
