"""Streaming reader for batch files: JSON Lines, one JSON batch, or a JSON array of batches.

:class:`RecordReader` turns a binary stream into :class:`Record` objects, one per batch,
without ever holding more than one batch (plus a 64 KiB read-ahead) in memory:

* a JSON object at the top level is one record (JSON Lines, a pretty-printed single batch,
  or several concatenated objects);
* a JSON array at the top level is descended into, and each element is one record (a whole
  file ``[ {...}, {...} ]`` spanning many lines, or JSON Lines whose lines are arrays);
* a syntax error produces a record with ``error`` set and the reader carries on at the next
  line that starts with ``{`` or ``[`` (a ``[`` line after a broken array element starts a new
  top-level array: the layout of one bulk body per line), so one broken line never stops a
  file nor hides the lines after it.

Every record knows where it starts (``offset`` in bytes, ``line`` 1-based) and where it ends
(``end_offset`` and ``end_line``), so a checkpoint can later resume right after it with
``RecordReader(stream, start_offset=..., start_line=..., in_array=..., array_index=...)``; a
resumed reader yields exactly the records (same offsets, lines and array positions) that an
uninterrupted one yields after that point.

:class:`ContentHash` (fed by :class:`HashingStream`) keeps a SHA-256 of the bytes read so far,
which a checkpoint records so that a resume can tell whether the input is still the same.

No input makes the reader raise (apart from the stream's own OSError): numbers Python will not
convert (more than 4,300 digits), invalid UTF-8, nesting too deep, a value over
:data:`MAX_RECORD_CHARS` all become records with ``error`` set.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass
from typing import IO, Any, Iterator, Optional, Tuple

__all__ = ["CHUNK_SIZE", "MAX_RECORD_CHARS", "ContentHash", "HashingStream", "InputChanged", "Record", "RecordReader"]

#: Bytes read from the stream at a time.
CHUNK_SIZE = 64 * 1024
#: A single JSON value larger than this (characters) is refused and skipped (a batch is at most
#: 128 KB; this leaves room for pretty-printing).
MAX_RECORD_CHARS = 8 * 1024 * 1024
#: Original text kept for a broken record (for the reject file).
MAX_ERROR_TEXT = 64 * 1024

_WS = re.compile(r"[ \t\r\n\ufeff]*")
_BLANK = re.compile(r"[ \t\r]*")
_SURROGATE = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()


@dataclass
class Record:
    """One batch read from an input (``value``), or a syntax error (``error``)."""

    ordinal: int  #: 1-based number of the record in its input
    offset: int  #: byte offset where the record starts
    line: int  #: line where the record starts
    array_index: Optional[int]  #: position in the enclosing top-level array, if any
    text: str  #: the record's original text (for a broken record: the rest of its line)
    value: Any  #: the parsed JSON value (None when ``error`` is set)
    error: Optional[str]  #: why the record could not be parsed
    end_offset: int  #: byte offset just after the record
    end_line: int  #: line number at ``end_offset``
    in_array: bool  #: whether the reader is inside a top-level array at ``end_offset``
    next_array_index: int  #: the array position the next element would get (0 outside arrays)


class RecordReader:
    """Iterate the records of one binary stream (see the module docstring).

    ``start_offset``/``start_line``/``start_ordinal``/``in_array``/``array_index`` describe
    where the stream is positioned (the caller seeks), e.g. after a checkpoint's last done
    record (``array_index``: that record's ``next_array_index``).
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        start_offset: int = 0,
        start_line: int = 1,
        start_ordinal: int = 0,
        in_array: bool = False,
        array_index: int = 0,
        chunk_size: int = CHUNK_SIZE,
        max_record_chars: int = MAX_RECORD_CHARS,
    ) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._chunk_size = chunk_size
        self._max = max_record_chars
        self._buf = ""
        self._pos = 0  # next character to look at
        self._eof = False
        # cursor: a position in the buffer whose byte offset and line number are known
        self._cur = 0
        self._cur_offset = start_offset
        self._cur_line = start_line
        self._ordinal = start_ordinal
        self._in_array = in_array
        self._array_index = array_index if in_array else 0

    @property
    def offset(self) -> int:
        """Bytes of the stream consumed so far (approximately: up to the last record)."""
        return self._cur_offset

    # -- buffer management ------------------------------------------------------------------

    def _fill(self, at_least: int = 0) -> bool:
        """Read at least ``at_least`` more characters (one chunk if 0); False at end of input."""
        if self._eof:
            return False
        if self._pos > self._chunk_size:
            self._advance(self._pos)
            self._buf = self._buf[self._pos :]
            self._cur -= self._pos
            self._pos = 0
        wanted = len(self._buf) + max(1, at_least)
        while len(self._buf) < wanted:
            chunk = self._stream.read(self._chunk_size)
            if not chunk:
                self._buf += self._decoder.decode(b"", final=True)
                self._eof = True
                break
            self._buf += self._decoder.decode(chunk)
        return True

    def _advance(self, index: int) -> None:
        """Move the cursor to ``index``, counting bytes and newlines on the way."""
        if index <= self._cur:
            return
        segment = self._buf[self._cur : index]
        self._cur_offset += len(segment) if segment.isascii() else len(segment.encode("utf-8", "surrogateescape"))
        self._cur_line += segment.count("\n")
        self._cur = index

    def _skip_ws(self) -> bool:
        """Skip whitespace; False at end of input."""
        while True:
            self._pos = _WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return True
            if not self._fill():
                return False

    def _next_line_starting_with(self, starters: str) -> None:
        """Move to the start of the next line whose first non-blank character is in ``starters``
        (with that character in the buffer), or to the end of the input."""
        while True:
            newline = self._buf.find("\n", self._pos)
            while newline < 0:
                self._pos = len(self._buf)
                if not self._fill():
                    return
                newline = self._buf.find("\n", self._pos)
            self._pos = newline + 1
            while True:
                first = _BLANK.match(self._buf, self._pos).end()  # type: ignore[union-attr]
                if first < len(self._buf) or not self._fill():
                    break
            if first >= len(self._buf) or self._buf[first] in starters:
                return

    # -- records ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Record]:
        while self._skip_ws():
            char = self._buf[self._pos]
            if self._in_array:
                if char == ",":
                    self._pos += 1
                    continue
                if char == "]":
                    self._pos += 1
                    self._in_array = False
                    self._advance(self._pos)
                    continue
            elif char == "[":
                self._pos += 1
                self._in_array = True
                self._array_index = 0
                continue
            yield self._read_value()

    def _read_value(self) -> Record:
        self._advance(self._pos)
        offset, line = self._cur_offset, self._cur_line
        self._ordinal += 1
        array_index: Optional[int] = None
        if self._in_array:
            array_index = self._array_index
            self._array_index += 1
        value, end, error = self._decode(line)
        if error is None:
            value, error, text = self._take(value, end)
        else:
            text, end = self._skip_broken()
        self._advance(end)
        return Record(
            ordinal=self._ordinal,
            offset=offset,
            line=line,
            array_index=array_index,
            text=text,
            value=value,
            error=error,
            end_offset=self._cur_offset,
            end_line=self._cur_line,
            in_array=self._in_array,
            next_array_index=self._array_index if self._in_array else 0,
        )

    def _decode(self, line: int) -> Tuple[Any, int, Optional[str]]:
        """Parse the value at the current position (``line``), reading on while it may continue:
        ``(value, end, None)``, or ``(None, position, why)`` when it cannot be parsed."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._maybe_incomplete(exc) and self._grow():
                    continue
                return None, self._pos, self._syntax_error(exc, line)
            except RecursionError:
                return None, self._pos, "invalid JSON: nested too deeply"
            except ValueError as exc:  # a number Python refuses to convert (over 4,300 digits)
                return None, self._pos, "invalid JSON: " + _number_error(exc)
            if end >= len(self._buf) and self._grow():  # a number may continue in the next chunk
                continue
            return value, end, None

    def _syntax_error(self, exc: json.JSONDecodeError, line: int) -> str:
        if len(self._buf) - self._pos > self._max:
            return "record is larger than {0:,} characters".format(self._max)
        pos = exc.pos
        end = self._pos + len(self._buf[self._pos : pos].rstrip())  # where the record's text stops
        if "\n" in self._buf[end:pos]:  # the parser went on to a later line (a JSON Lines record cut
            pos = end  # short): point at the end of the record's own last line, where it breaks
        return "invalid JSON: {0} (line {1}, column {2})".format(
            exc.msg, line + self._buf.count("\n", self._pos, pos), _column(self._buf, pos)
        )

    def _take(self, value: Any, end: int) -> Tuple[Any, Optional[str], str]:
        """Move past the value parsed up to ``end``: ``(value, None, text)``, or ``(None, why,
        text)`` when it is too large or holds invalid UTF-8."""
        text = self._buf[self._pos : end]
        self._pos = end
        if len(text) > self._max:
            return None, "record is larger than {0:,} characters".format(self._max), text[:MAX_ERROR_TEXT]
        if not text.isascii() and _SURROGATE.search(text):
            return None, "invalid UTF-8 in the input", text
        return value, None, text

    def _skip_broken(self) -> Tuple[str, int]:
        """Move from a value that cannot be parsed to the next line that starts one: (the rest
        of the broken value's line, for the reject file; where the record ends)."""
        start = self._pos
        newline = self._buf.find("\n", start)
        text = self._buf[start : newline if newline >= 0 else len(self._buf)][:MAX_ERROR_TEXT]
        self._next_line_starting_with("{[")
        end = self._pos
        first = _BLANK.match(self._buf, end).end()  # type: ignore[union-attr]
        if self._in_array and first < len(self._buf) and self._buf[first] == "[":
            self._in_array = False  # the broken line held the rest of its array
        return text, end

    def _maybe_incomplete(self, exc: json.JSONDecodeError) -> bool:
        """Whether a decode error may only mean that the value continues in unread input."""
        if self._eof:
            return False
        tail = len(self._buf.rstrip())
        if exc.pos >= tail - 8:
            return True
        return exc.msg.startswith("Unterminated string") and "\n" not in self._buf[exc.pos :]

    def _grow(self) -> bool:
        """Read more of the current value (doubling, so re-parsing stays linear); False if no more."""
        size = len(self._buf) - self._pos
        if self._eof or size > self._max:
            return False
        return self._fill(max(self._chunk_size, size))


def _number_error(exc: ValueError) -> str:
    """A reader's account of a ValueError from the JSON scanner (not a syntax error)."""
    text = str(exc)
    if "digits" in text:
        return "a number has too many digits to be converted"
    return text.split(";")[0][:200]


def _column(text: str, pos: int) -> int:
    return pos - text.rfind("\n", 0, pos)


# -- what was read: a content hash for checkpoints ------------------------------------------------


class InputChanged(Exception):
    """The input is not the one a checkpoint was written for."""


class ContentHash:
    """SHA-256 of the first :attr:`length` bytes of one input, extended as it is read.

    A checkpoint records :meth:`state`; a resumed run recomputes the digest of that many bytes
    of a file before it reads on (see ``mparticle.cli.sources``). Standard input cannot be read
    twice, so for it ``expect=(length, hexdigest)`` is checked on the way: once the stream has
    reached ``length`` bytes their digest must match, or :meth:`update` raises InputChanged.
    Thread-safe (the reader updates it while a checkpoint takes its state).
    """

    def __init__(
        self, name: str, hasher: Optional[Any] = None, length: int = 0, expect: Optional[Tuple[int, str]] = None
    ) -> None:
        self._name = name
        self._hash = hasher if hasher is not None else hashlib.sha256()
        self._lock = threading.Lock()
        self._expect = expect if expect is not None and expect[0] > length else None
        self.length: int = length

    @property
    def verified(self) -> bool:
        """False while an expected digest is still to be checked."""
        return self._expect is None

    def state(self) -> Tuple[int, str]:
        """(bytes hashed, their SHA-256 in hex)."""
        with self._lock:
            return self.length, self._hash.hexdigest()

    def update(self, offset: int, data: bytes) -> None:
        """Hash ``data``, read at byte ``offset`` of the input (bytes already hashed are skipped)."""
        with self._lock:
            done = self.length - offset
            if done < 0:
                raise ValueError(f"{self._name}: bytes {self.length}..{offset} were not hashed")
            view = memoryview(data)[done:]
            if self._expect is not None and len(view) >= self._expect[0] - self.length:
                head = self._expect[0] - self.length
                self._hash.update(view[:head])
                self.length += head
                self._check()
                view = view[head:]
            self._hash.update(view)
            self.length += len(view)

    def end(self, offset: int) -> None:
        """The input ended at ``offset``: InputChanged if an expected digest was not reached."""
        with self._lock:
            if self._expect is not None:
                raise InputChanged(
                    f"{self._name} ended after {offset:,} bytes, but the checkpoint was written for "
                    f"a stream of at least {self._expect[0]:,} bytes"
                )

    def _check(self) -> None:
        assert self._expect is not None
        length, digest = self._expect
        if not hmac.compare_digest(self._hash.hexdigest(), digest):
            raise InputChanged(
                f"the first {length:,} bytes of {self._name} differ from those the checkpoint was written for"
            )
        self._expect = None


class HashingStream:
    """A binary stream that feeds what is read from it (from ``offset`` on) to a ContentHash."""

    def __init__(self, raw: Any, offset: int, content: ContentHash) -> None:
        self._raw = raw
        self._offset = offset
        self._content = content

    def read(self, size: int) -> bytes:
        """Read up to ``size`` bytes from the underlying stream, hashing them."""
        data = self._raw.read(size)
        if data:
            self._content.update(self._offset, data)
            self._offset += len(data)
        else:
            self._content.end(self._offset)
        return bytes(data)
