"""The local endpoint's socket server: accept loop, connection tracking, interruptible stop."""

from __future__ import annotations

import selectors
import socket
import socketserver
import sys
import threading
import time
from email.utils import formatdate
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar

from mparticle.testing.handler import Endpoint, _Handler

_HOST = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    """The HTTP server on ``127.0.0.1:port`` serving ``endpoint`` with ``handler`` (the Events
    API's, or a subclass answering other paths); :meth:`serve` runs the accept loop."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, endpoint: Endpoint, port: int = 0, handler: Type[_Handler] = _Handler) -> None:
        self.endpoint = endpoint
        self.stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._connections: Dict[socket.socket, threading.Thread] = {}
        self._date: Tuple[int, str] = (0, "")
        self._wake_r, self._wake_w = socket.socketpair()
        try:
            super().__init__((_HOST, port), handler)
        except BaseException:
            self._wake_r.close()
            self._wake_w.close()
            raise

    def serve(self) -> None:
        """Accept connections until :meth:`wake` is called after ``stopping`` was set."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self.stopping.is_set():
                        self._accept()

    def _accept(self) -> None:
        try:
            request, client_address = self.get_request()
        except OSError:
            return
        try:
            self.process_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
            self.shutdown_request(request)

    def wake(self) -> None:
        """Interrupt :meth:`serve` (call after setting ``stopping``)."""
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def server_bind(self) -> None:
        """Bind without the (possibly slow) reverse DNS lookup of HTTPServer."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = _HOST
        self.server_port = self.socket.getsockname()[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep handler errors off stderr; unexpected ones are kept by the endpoint's recorder."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.endpoint.recorder.add_error(exc)

    def http_date(self) -> str:
        now = int(time.time())
        cached = self._date
        if cached[0] != now:
            cached = (now, formatdate(now, usegmt=True))
            self._date = cached
        return cached[1]

    def register(self, conn: socket.socket) -> None:
        with self._conn_lock:
            if not self.stopping.is_set():
                self._connections[conn] = threading.current_thread()
                return
        _shutdown_socket(conn)

    def unregister(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.pop(conn, None)

    def close_connections(self) -> List[threading.Thread]:
        with self._conn_lock:
            items = list(self._connections.items())
        for conn, _ in items:
            _shutdown_socket(conn)
        return [t for _, t in items]


def _shutdown_socket(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_Served = TypeVar("_Served", bound="Serving")


class Serving:
    """Start, stop and ``with`` for one local server: its endpoint served by a :class:`_Server`
    on ``127.0.0.1`` in a daemon thread (LocalEventsServer, LocalPlanningServer)."""

    #: The request handler class, and the serving thread's name (``<name>:<port>``).
    _handler: Type[_Handler] = _Handler
    _thread_name = "mparticle-local"
    _endpoint: Endpoint
    _lifecycle: threading.Lock
    _server: Optional[_Server]
    _thread: Optional[threading.Thread]
    _bind_port: int
    _port: int

    def _serve(self, endpoint: Endpoint, port: int) -> None:
        """Set up serving ``endpoint`` on ``port`` (0: an ephemeral one); nothing is bound yet."""
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be within 0..65535, got {port}")
        self._endpoint = endpoint
        self._lifecycle = threading.Lock()
        self._server = None
        self._thread = None
        self._bind_port = port
        self._port = 0

    def start(self: _Served) -> _Served:
        """Bind to ``127.0.0.1`` (``port``, or a fresh ephemeral one) and serve in a daemon thread."""
        with self._lifecycle:
            if self._server is None:
                server = _Server(self._endpoint, self._bind_port, handler=self._handler)
                name = f"{self._thread_name}:{server.server_port}"
                thread = threading.Thread(target=server.serve, name=name, daemon=True)
                thread.start()
                self._server, self._thread, self._port = server, thread, server.server_port
        return self

    def stop(self, timeout: float = 1.0) -> None:
        """Stop serving, close all sockets and join the threads (idempotent).

        Hanging handlers are woken up; waits for handler threads at most ``timeout``.
        """
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        deadline = time.monotonic() + timeout
        server.stopping.set()
        server.wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        server.server_close()
        for handler in server.close_connections():
            if handler is not threading.current_thread():
                handler.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self: _Served) -> _Served:
        return self.start()

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (the last one after ``stop()``)."""
        if not self._port:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port
