"""Reading a request body off the wire: Content-Length or chunked framing, gzip, size limits."""

from __future__ import annotations

import zlib
from io import BufferedIOBase
from typing import List, Optional, Sequence, Tuple

__all__ = ["CHUNK", "ClientGone", "Reject", "gunzip", "read_body"]

#: Oversized bodies up to this size are read and discarded to keep the connection usable.
MAX_DISCARD = 64 * 1024 * 1024
#: Read size, and the longest chunk-size or trailer line accepted.
CHUNK = 64 * 1024

#: (body after framing, bytes on the wire, the problem that decides the answer or None)
Body = Tuple[bytes, int, Optional["Reject"]]


class ClientGone(Exception):
    """The client closed the connection in the middle of a request."""


class Reject(Exception):
    """An error answer: ``status`` with ``message``; ``close`` ends the connection after it.

    ``errors``: the messages of the error body, one error each (default: ``[message]``).
    """

    def __init__(self, status: int, message: str, close: bool = False, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close
        self.errors: List[str] = list(errors) or [message]


def read_body(
    rfile: BufferedIOBase, transfer_encoding: Optional[str], content_length: Optional[str], limit: int
) -> Body:
    """Read the whole body as framed by the headers; a framing problem is returned, not raised.

    Raises :class:`ClientGone` when the connection ends before the body does.
    """
    if transfer_encoding and transfer_encoding.strip().lower() != "identity":
        if transfer_encoding.strip().lower() != "chunked":
            return b"", 0, Reject(400, f"unsupported Transfer-Encoding {transfer_encoding!r}", close=True)
        return _read_chunked(rfile, limit)
    if content_length is None:
        return b"", 0, None
    return _read_sized(rfile, content_length, limit)


def _read_sized(rfile: BufferedIOBase, content_length: str, limit: int) -> Body:
    try:
        n = int(content_length)
    except ValueError:
        n = -1
    if n < 0:
        return b"", 0, Reject(400, "invalid Content-Length", close=True)
    if n > limit:
        too_large = Reject(413, f"request body exceeds {limit} bytes")
        if n > MAX_DISCARD:
            too_large.close = True
        else:
            _discard(rfile, n)
        return b"", n, too_large
    body = rfile.read(n) if n else b""
    if len(body) < n:
        raise ClientGone
    return body, n, None


def _discard(rfile: BufferedIOBase, n: int) -> None:
    while n:
        got = rfile.read(min(n, CHUNK))
        if not got:
            raise ClientGone
        n -= len(got)


def _readline(rfile: BufferedIOBase) -> bytes:
    line = rfile.readline(CHUNK + 1)
    if not line:
        raise ClientGone
    return line


def _read_chunked(rfile: BufferedIOBase, limit: int) -> Body:
    parts: List[bytes] = []
    total = 0
    while True:
        try:
            size = int(_readline(rfile).split(b";", 1)[0].strip(), 16)
        except ValueError:
            return b"", total, Reject(400, "invalid chunked body", close=True)
        if size == 0:
            while _readline(rfile) not in (b"\r\n", b"\n"):
                pass  # trailers are ignored
            return b"".join(parts), total, None
        total += size
        if total > limit:
            return b"", total, Reject(413, f"request body exceeds {limit} bytes", close=True)
        chunk = rfile.read(size)
        if len(chunk) < size:
            raise ClientGone
        parts.append(chunk)
        rfile.readline(CHUNK + 1)


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress (possibly multi-member) gzip ``data``; 413 past ``limit`` bytes."""
    out: List[bytes] = []
    total = 0
    while True:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(data, limit + 1 - total)
        except zlib.error as exc:
            raise Reject(400, f"invalid gzip body: {exc}") from None
        total += len(chunk)
        if total > limit:
            raise Reject(413, f"decompressed request body exceeds {limit} bytes")
        out.append(chunk)
        if not d.eof:
            raise Reject(400, "invalid gzip body: truncated")
        data = d.unused_data
        if not data.strip(b"\x00"):
            return b"".join(out)
