"""A wall-clock deadline for each attempt, enforced below urllib3.

Per-read socket timeouts bound each read, but a status line, headers or body trickled byte by
byte would still keep a caller busy. So the connection classes the pool uses register their
socket, while the response is awaited and read, with one shared watchdog thread that shuts the
socket down at the attempt's deadline.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import socket
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from mparticle.retry import bounded_wait

__all__ = ["Attempt", "deadline_pool_classes"]


class _Watch:
    """One socket the watchdog shuts down at ``deadline`` unless cancelled first."""

    __slots__ = ("deadline", "sock", "fired")

    def __init__(self, deadline: float, sock: socket.socket) -> None:
        self.deadline: float = deadline
        self.sock: Optional[socket.socket] = sock
        self.fired: bool = False


class _Watchdog:
    """A daemon thread that shuts down the sockets of attempts past their deadline.

    Watches wait in a heap ordered by deadline; a cancelled watch is dropped lazily. The
    thread sleeps until the earliest deadline and is woken only when a new watch is due
    earlier than that, so a request normally costs a heap push and a flag, no wake-up.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # taken directly on the request path (no Python-level enter/exit)
        self._cond = threading.Condition(self._lock)
        self._heap: List[Tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._wake_at = math.inf
        self._thread: Optional[threading.Thread] = None

    def watch(self, sock: socket.socket, deadline: float) -> _Watch:
        entry = _Watch(deadline, sock)
        with self._lock:
            heapq.heappush(self._heap, (deadline, next(self._order), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mparticle-deadline", daemon=True)
                self._thread.start()
            if deadline < self._wake_at:
                self._cond.notify()
        return entry

    def cancel(self, entry: _Watch) -> None:
        """After this returns, ``entry``'s socket is never touched."""
        with self._lock:
            entry.sock = None
            heap = self._heap
            while heap and heap[0][2].sock is None:
                heapq.heappop(heap)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                heap = self._heap
                while heap and (heap[0][2].sock is None or heap[0][0] <= now):
                    entry = heapq.heappop(heap)[2]
                    if entry.sock is not None:
                        entry.fired = True
                        _shutdown(entry.sock)
                        entry.sock = None
                self._wake_at = heap[0][0] if heap else math.inf
                self._cond.wait(bounded_wait(self._wake_at - now) if heap else None)


def _shutdown(sock: socket.socket) -> None:
    """Make a blocked read on ``sock`` return at once (the socket is not closed)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket call, also for TLS sockets
    except OSError:  # already closed or not connected
        pass


_watchdog_lock = threading.Lock()
_watchdog: Optional[_Watchdog] = None


def _the_watchdog() -> _Watchdog:
    global _watchdog
    watchdog = _watchdog
    if watchdog is None:
        with _watchdog_lock:
            if _watchdog is None:
                _watchdog = _Watchdog()
            watchdog = _watchdog
    return watchdog


def _forget_watchdog_in_child() -> None:
    global _watchdog, _watchdog_lock
    _watchdog, _watchdog_lock = None, threading.Lock()  # the parent's thread does not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_watchdog_in_child)


class Attempt:
    """The deadline of the attempt running on this thread, and the watch enforcing it."""

    __slots__ = ("deadline", "watch")

    def __init__(self, deadline: float) -> None:
        self.deadline: float = deadline
        self.watch: Optional[_Watch] = None

    def guard(self, conn: Any) -> None:
        """Watch ``conn``'s socket until the deadline (called as the response is awaited)."""
        sock = getattr(conn, "sock", None)
        if self.deadline == math.inf or not isinstance(sock, socket.socket):
            return
        self.cancel()
        self.watch = conn._mparticle_watch = _the_watchdog().watch(sock, self.deadline)

    def cancel(self) -> None:
        """Stop watching the socket (the deadline no longer applies to it)."""
        if self.watch is not None:
            _the_watchdog().cancel(self.watch)

    @property
    def fired(self) -> bool:
        """True if the watchdog shut the socket down at the deadline."""
        return self.watch is not None and self.watch.fired


current: threading.local = threading.local()  #: ``.attempt``: the Attempt running on this thread


#: Largest request (head and body) sent with one ``sendall``: longer bodies follow their head
#: (copying them would cost more than the system call it saves).
COALESCE_MAX = 64 * 1024


class _DeadlineConnection:
    """Mixed into urllib3's connection classes: the response wait and body read of the
    current attempt are watched (see :class:`Attempt`), and a request's head and bytes body
    leave in one ``sendall`` (the same bytes in one segment instead of two: one system call
    and one wake-up of the server fewer)."""

    _mparticle_watch: Optional[_Watch] = None
    _mparticle_head: Optional[bytes] = None  # the request head, held until its body is sent
    _mparticle_hold = False  # True from request() until the head has gone out

    def request(self, *args: Any, **kwargs: Any) -> Any:
        stale = self._mparticle_watch
        if stale is not None:  # an earlier attempt's watch must not outlive its use of the socket
            self._mparticle_watch = None
            if stale.sock is not None:
                _the_watchdog().cancel(stale)
        self._mparticle_hold = True
        try:
            result = super().request(*args, **kwargs)  # type: ignore[misc]
        finally:
            self._mparticle_hold = False
            head, self._mparticle_head = self._mparticle_head, None
        if head is not None:  # no body followed: the head goes alone
            super().send(head)  # type: ignore[misc]
        return result

    def send(self, data: Any) -> None:
        if not self._mparticle_hold:
            return super().send(data)  # type: ignore[misc,no-any-return]
        head = self._mparticle_head
        if head is None and type(data) is bytes:  # http.client's first send: the head
            self._mparticle_head = data
            return None
        self._mparticle_hold = False  # anything sent while connecting (a proxy CONNECT) goes straight out
        self._mparticle_head = None
        if head is not None:
            if type(data) is bytes and len(head) + len(data) <= COALESCE_MAX:
                return super().send(head + data)  # type: ignore[misc,no-any-return]
            super().send(head)  # type: ignore[misc]
        return super().send(data)  # type: ignore[misc,no-any-return]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        attempt = getattr(current, "attempt", None)
        if attempt is not None:
            attempt.guard(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


_POOL_CLASSES: Optional[Dict[str, Any]] = None


def deadline_pool_classes() -> Dict[str, Any]:
    """urllib3's pool classes, with connections that honour the attempt deadline."""
    global _POOL_CLASSES
    if _POOL_CLASSES is None:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        class _HTTPConnection(_DeadlineConnection, HTTPConnection):
            pass

        class _HTTPSConnection(_DeadlineConnection, HTTPSConnection):
            pass

        class _HTTPConnectionPool(HTTPConnectionPool):
            ConnectionCls = _HTTPConnection

        class _HTTPSConnectionPool(HTTPSConnectionPool):
            ConnectionCls = _HTTPSConnection

        _POOL_CLASSES = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
    return _POOL_CLASSES
