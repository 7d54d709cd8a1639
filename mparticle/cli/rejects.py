"""The reject file: one JSON line per record that was not sent."""

from __future__ import annotations

import errno
import json
import os
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from mparticle.cli.errors import OutputError, UsageError
from mparticle.cli.paths import PRIVATE_MODE

if TYPE_CHECKING:
    from mparticle.cli.sources import InputFile

__all__ = ["RejectWriter", "reject_entry"]


class RejectWriter:
    """Appends one JSON line per rejected record, each with a single ``write`` (a killed run
    leaves whole lines); the file is created ``0600`` at the first reject (an existing file
    keeps its mode). A fresh run (``append=False``) empties an existing file first."""

    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self._fd: Optional[int] = None
        self._lock = threading.Lock()
        self._closed = False
        self.written = 0
        if not append:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))  # only if it exists
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise UsageError(f"cannot write the reject file {path}: {exc.strerror or exc}") from None

    def write(self, entry: Dict[str, Any]) -> None:
        """Append ``entry``; OutputError when the file cannot be written."""
        line = (json.dumps(entry) + "\n").encode("ascii")
        with self._lock:
            if self._closed:  # a late answer after the run: its record stays to do
                return
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_MODE)
                view = memoryview(line)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as exc:
                raise OutputError(f"cannot write the reject file {self.path}: {exc.strerror or exc}") from None
            self.written += 1

    def sync(self) -> None:
        """Make what was written durable (before a checkpoint claims those records done)."""
        with self._lock:
            if self._fd is None:
                return
            try:
                os.fsync(self._fd)
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):  # a pipe or a terminal
                    raise

    def close(self) -> None:
        with self._lock:
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
