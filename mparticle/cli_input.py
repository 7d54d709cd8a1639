"""Streaming reader for batch files: JSON Lines, one JSON batch, or a JSON array of batches.

:class:`RecordReader` turns a binary stream into :class:`Record` objects, one per batch,
without ever holding more than one batch (plus a 64 KiB read-ahead) in memory:

* a JSON object at the top level is one record (JSON Lines, a pretty-printed single batch,
  or several concatenated objects);
* a JSON array at the top level is descended into, and each element is one record (a whole
  file ``[ {...}, {...} ]`` spanning many lines, or JSON Lines whose lines are arrays);
* a syntax error produces a record with ``error`` set and the reader carries on at the next
  line that starts with ``{`` (or ``[`` outside an array), so one broken line never stops a file.

Every record knows where it starts (``line``, 1-based) and where it ends (``end_offset`` in
bytes and ``end_line``), so a checkpoint can later resume right after it with
``RecordReader(stream, start_offset=..., start_line=..., in_array=...)``.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import IO, Any, Iterator, Optional

__all__ = ["Record", "RecordReader", "CHUNK_SIZE", "MAX_RECORD_CHARS"]

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
    line: int  #: line where the record starts
    index: int  #: how many records started earlier on the same line
    array_index: Optional[int]  #: position in the enclosing top-level array, if any
    text: str  #: the record's original text (for a broken record: the rest of its line)
    value: Any  #: the parsed JSON value (None when ``error`` is set)
    error: Optional[str]  #: why the record could not be parsed
    end_offset: int  #: byte offset just after the record
    end_line: int  #: line number at ``end_offset``
    in_array: bool  #: whether the reader is inside a top-level array at ``end_offset``


class RecordReader:
    """Iterate the records of one binary stream (see the module docstring).

    ``start_offset``/``start_line``/``start_ordinal``/``in_array`` describe where the stream
    is positioned (the caller seeks), e.g. after a checkpoint's last done record.
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        start_offset: int = 0,
        start_line: int = 1,
        start_ordinal: int = 0,
        in_array: bool = False,
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
        self._array_index = 0 if in_array else -1
        self._last_line = -1
        self._same_line = 0

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
        """Move to the start of the next line whose first non-blank character is in ``starters``."""
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
        start = self._pos
        self._advance(start)
        line = self._cur_line
        if line == self._last_line:
            self._same_line += 1
        else:
            self._last_line, self._same_line = line, 0
        self._ordinal += 1
        array_index: Optional[int] = None
        if self._in_array:
            array_index = self._array_index
            self._array_index += 1
        value: Any = None
        error: Optional[str] = None
        end = self._pos
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._maybe_incomplete(exc) and self._grow():
                    continue
                if len(self._buf) - self._pos > self._max:
                    error = "record is larger than {0:,} characters".format(self._max)
                    break
                error = "invalid JSON: {0} (line {1}, column {2})".format(
                    exc.msg, line + self._buf.count("\n", self._pos, exc.pos), _column(self._buf, exc.pos)
                )
                break
            except RecursionError:
                error = "invalid JSON: nested too deeply"
                break
            if end >= len(self._buf) and self._grow():  # a number may continue in the next chunk
                continue
            break
        start = self._pos
        if error is None:
            text = self._buf[start:end]
            if end - start > self._max:
                value, error, text = (
                    None,
                    "record is larger than {0:,} characters".format(self._max),
                    text[:MAX_ERROR_TEXT],
                )
            elif not text.isascii() and _SURROGATE.search(text):
                value, error = None, "invalid UTF-8 in the input"
            self._pos = end
        else:
            value = None
            newline = self._buf.find("\n", start)
            text = self._buf[start : newline if newline >= 0 else len(self._buf)][:MAX_ERROR_TEXT]
            self._pos = start
            self._next_line_starting_with("{" if self._in_array else "{[")
            end = self._pos
        self._advance(end)
        return Record(
            ordinal=self._ordinal,
            line=line,
            index=self._same_line,
            array_index=array_index,
            text=text,
            value=value,
            error=error,
            end_offset=self._cur_offset,
            end_line=self._cur_line,
            in_array=self._in_array,
        )

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


def _column(text: str, pos: int) -> int:
    return pos - text.rfind("\n", 0, pos)
