#!/usr/bin/env python
"""The benchmark's loopback endpoint, in a process of its own (it must not be the bottleneck).

Two kinds, the same for both sides of a run:

* ``counting`` (default): a minimal HTTP/1.1 keep-alive sink (blocking sockets, a thread
  per connection): it reads each request's headers and ``Content-Length`` body, counts
  requests and bytes, and answers ``202`` with an empty body. No JSON parsing, no auth
  check, no validation.
* ``local``: this checkout's ``mparticle.testing.LocalEventsServer(record=False,
  validate=False)``: checks auth and framing and parses every body as JSON.

Started as ``python sink.py KIND``: prints its URL, then answers ``stats`` on stdin with a
JSON line ``{"requests": N, "bytes": N, "cpu_s": S}`` (the sink's CPU seconds so far) and
exits when stdin closes.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from typing import Any, Dict, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import API_KEY, API_SECRET, MAX_BATCHES, REPO, SERVER_MAX_BYTES, ChildEndpoint  # noqa: E402

KINDS = {
    "counting": "counting-only sink (reads the body, counts, answers 202; own process)",
    "local": "LocalEventsServer(validate=False, record=False) (parses every body; own process)",
}
_ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
_LENGTH_REQUIRED = b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
STATS = {"requests": 0, "bytes": 0}


class _Counting:
    """One connection: split the byte stream into requests by ``Content-Length``."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""
        self.need: Optional[int] = None  # body bytes still expected, None while in headers

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self._step():
            pass

    def _step(self) -> bool:
        """Consume one complete head or body from the buffer; False when more data is needed."""
        if self.need is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            self.need = _content_length(head)
            if self.need < 0:
                self.transport.write(_LENGTH_REQUIRED)
                self.transport.close()
                return False
            return True
        if len(self.buffer) < self.need:
            return False
        STATS["requests"] += 1
        STATS["bytes"] += self.need
        self.buffer = self.buffer[self.need:]
        self.need = None
        self.transport.write(_ACCEPTED)
        return True


def _content_length(head: bytes) -> int:
    """The Content-Length of a request head (0 without a body; -1 for a chunked body)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            return int(value)
        if name == b"transfer-encoding":
            return -1
    return 0


class _Conn:
    """The transport of one blocking connection (what :class:`_Counting` writes to)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.write = sock.sendall

    def close(self) -> None:
        self.sock.close()


def _connection(sock: socket.socket) -> None:
    """Serve one connection: blocking reads, fed to the same request splitter."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    protocol = _Counting()
    protocol.connection_made(_Conn(sock))
    with sock:
        while True:
            try:
                data = sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            protocol.data_received(data)


def _serve_counting() -> str:
    """Listen on 127.0.0.1; one thread per connection (the SDKs keep one connection alive)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=_connection, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v2"


def sink_main(kind: str) -> int:
    """Serve ``kind`` until stdin closes."""
    if kind == "counting":
        url = _serve_counting()

        def stats() -> Dict[str, float]:
            return {**STATS, "cpu_s": time.process_time()}
    else:
        sys.path.insert(0, REPO)
        from mparticle.testing import LocalEventsServer

        server = LocalEventsServer(API_KEY, API_SECRET, record=False, validate=False,
                                   max_request_bytes=SERVER_MAX_BYTES, max_batches=MAX_BATCHES).start()
        url = server.url

        def stats() -> Dict[str, float]:
            return {"requests": server.request_count, "bytes": -1, "cpu_s": time.process_time()}
    print(url, flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            print(json.dumps(stats()), flush=True)
    return 0


class SinkProcess(ChildEndpoint):
    """Driver side: start the sink of ``kind`` in a process of its own."""

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown sink {kind!r}; choose from {', '.join(KINDS)}")
        self.kind = kind
        self.description = KINDS[kind]
        super().__init__([sys.executable, os.path.abspath(__file__), kind], f"the {kind} sink")

    def stats(self) -> Dict[str, float]:
        return self.ask("stats")


if __name__ == "__main__":
    sys.exit(sink_main(sys.argv[1] if len(sys.argv) > 1 else "counting"))
