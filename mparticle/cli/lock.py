"""The lock a real send holds on its checkpoint."""

from __future__ import annotations

import errno
import os
from typing import Optional

from mparticle.cli.errors import UsageError
from mparticle.cli.paths import PRIVATE_MODE

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

__all__ = ["CheckpointLock"]


class CheckpointLock:
    """An exclusive, non-blocking ``flock`` on ``<checkpoint>.lock``, held by a real run from
    before it reads the checkpoint until it has written it for the last time. The OS drops it
    when the process ends, however it ends (also on SIGKILL). The file itself stays (removing
    a lock file races with a run that is opening it)."""

    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint
        self.path: str = checkpoint + ".lock"
        self._fd: Optional[int] = None

    def acquire(self) -> None:
        """Take the lock; UsageError when another process holds it."""
        if fcntl is None:  # pragma: no cover - no advisory locks on this platform
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
        except OSError as exc:
            raise UsageError(f"cannot create the lock file {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise UsageError(
                    f"another mparticle send is using {self.checkpoint} (it holds {self.path}); wait for it "
                    "to finish, or give this run its own --checkpoint"
                ) from None
            raise UsageError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases it); idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
