"""``mparticle send``: stream batch files through validation into the Events API.

The pipeline, per input file: :class:`~mparticle.cli_input.RecordReader` (streaming) →
:func:`mparticle.validation.validate` → a deterministic ``source_request_id`` →
:class:`mparticle.uploader.BatchUploader`, which packs, sends, retries and splits.
Invalid records go to the reject file. :class:`Upload` brings the uploader's callbacks back to
the records: a delivered batch, or one the server refused (written to the reject file), is
done in the :class:`Tracker`, whose snapshot is the checkpoint that ``--resume`` reads; 401/403
stop the run. The counts in the summary come from the uploader's stats. Memory stays bounded:
one record is parsed at a time and at most ``2 x concurrency`` requests' worth of batches are
in the uploader's hands.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import datetime
import hashlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Deque, Dict, List, NamedTuple, Optional, Sequence, TextIO, Tuple, Union

from mparticle.cli_input import RecordReader
from mparticle.configuration import Configuration
from mparticle.retry import RetryPolicy
from mparticle.serialization import encode_batch
from mparticle.uploader import BULK_PATH, HISTORICAL_PATH, REJECTED, UNAUTHORIZED, BatchUploader, UploaderStats
from mparticle.uploader.packing import QueuedBatch, request_size, take_request

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "DryRun",
    "Tracker",
    "Upload",
    "UsageError",
    "build_configuration",
    "run_send",
    "source_request_id",
]

EXIT_OK = 0  #: everything read was valid and accepted
EXIT_PARTIAL = 1  #: some records were rejected, or some batches could not be delivered
EXIT_FAILURE = 2  #: usage, input or authentication error, or no valid batch could be delivered
EXIT_INTERRUPTED = 130  #: stopped by Ctrl-C (128 + SIGINT; 143 for SIGTERM)

CHECKPOINT_VERSION = 1
#: Namespace of the derived ``source_request_id`` values (uuid5).
SOURCE_ID_NAMESPACE = uuid.UUID("6d7061f2-7469-436c-a5e2-73656e64cafe")
_HEAD_BYTES = 64 * 1024
#: Refusals that stop the run: the credentials (401/403) or the host (404/405) are wrong.
_FATAL_STATUSES = frozenset((401, 403, 404, 405))


class UsageError(Exception):
    """A problem with the command line or its inputs (exit code 2)."""


def source_request_id(key: str, line: int, index: int, text: str) -> str:
    """A stable id for the record at ``line`` (``index``-th on that line) of input ``key``.

    The record's text is part of the name, so a file regenerated at the same path with
    different content gets new ids (mParticle would otherwise drop it as a duplicate), while a
    resumed or repeated run of the same file sends the same ids and is de-duplicated.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return str(uuid.uuid5(SOURCE_ID_NAMESPACE, f"{key}\n{line}\n{index}\n{digest}"))


# -- which records are done ------------------------------------------------------------------


class DoneSet:
    """Disjoint intervals of done record ordinals, each with the position after its last record.

    An interval is ``[first, last, end_offset, end_line, in_array]``; out-of-order completions
    merge as they arrive, so the list stays short (gaps only where a batch failed or is pending).
    """

    def __init__(self, intervals: Optional[Sequence[Sequence[Any]]] = None) -> None:
        self.intervals: List[List[Any]] = sorted([list(i) for i in intervals or []], key=lambda i: i[0])
        self._starts = [i[0] for i in self.intervals]

    def add(self, ordinal: int, end_offset: int, end_line: int, in_array: bool) -> None:
        """Mark one record done."""
        ivs, starts = self.intervals, self._starts
        i = bisect.bisect_right(starts, ordinal) - 1
        if i >= 0 and ivs[i][1] >= ordinal:
            return
        merge_prev = i >= 0 and ivs[i][1] == ordinal - 1
        merge_next = i + 1 < len(ivs) and ivs[i + 1][0] == ordinal + 1
        if merge_prev and merge_next:
            ivs[i][1:] = ivs[i + 1][1:]
            del ivs[i + 1], starts[i + 1]
        elif merge_prev:
            ivs[i][1:] = [ordinal, end_offset, end_line, in_array]
        elif merge_next:
            ivs[i + 1][0] = starts[i + 1] = ordinal
        else:
            ivs.insert(i + 1, [ordinal, ordinal, end_offset, end_line, in_array])
            starts.insert(i + 1, ordinal)

    def __contains__(self, ordinal: object) -> bool:
        if not isinstance(ordinal, int):
            return False
        i = bisect.bisect_right(self._starts, ordinal) - 1
        return i >= 0 and self.intervals[i][1] >= ordinal

    def prefix(self) -> Optional[List[Any]]:
        """The interval starting at record 1 (the contiguous done prefix), if any."""
        return self.intervals[0] if self.intervals and self.intervals[0][0] == 1 else None

    def count(self) -> int:
        """Number of done records."""
        return sum(i[1] - i[0] + 1 for i in self.intervals)


@dataclass
class InputFile:
    """One input of a send: where it is, what the checkpoint knew, and its counters."""

    name: str  #: as given on the command line ("-" for stdin)
    key: str  #: the checkpoint key and source id name: real path, or "<stdin>"
    size: Optional[int]  #: bytes, for regular files
    head: str = ""  #: sha256 of the first 64 KiB (detects a replaced file on resume)
    done: DoneSet = field(default_factory=DoneSet)  #: live (guarded by the Tracker's lock)
    skip: DoneSet = field(default_factory=DoneSet)  #: what the checkpoint had done (read-only)
    finished: bool = False  #: read to the end
    records: int = 0  #: the highest record ordinal seen

    @property
    def display(self) -> str:
        return "<stdin>" if self.name == "-" else self.name


class Tracker:
    """Thread-safe record of what is done per input; the source of the checkpoint."""

    def __init__(self, files: List[InputFile], historical: bool, others: Optional[Dict[str, Any]] = None) -> None:
        self.files = files
        self.historical = historical
        self.others = dict(others or {})  #: checkpoint entries of inputs not in this run (kept)
        self._lock = threading.Lock()
        self._frozen = False
        self.server_rejected = 0  #: batches the server refused, written to the reject file

    def mark(self, items: Sequence["Item"], server_rejected: bool = False) -> None:
        """Mark records done (and count them as refused by the server); ignored once frozen."""
        with self._lock:
            if self._frozen:
                return
            for item in items:
                item.file.done.add(item.ordinal, item.end_offset, item.end_line, item.in_array)
            if server_rejected:
                self.server_rejected += len(items)

    def freeze(self) -> None:
        """Ignore late completions from now on (the run is over)."""
        with self._lock:
            self._frozen = True

    def snapshot(self) -> Dict[str, Any]:
        """The checkpoint document."""
        with self._lock:
            files: Dict[str, Any] = dict(self.others)
            for f in self.files:
                prefix = f.done.prefix()
                files[f.key] = {
                    "name": f.name,
                    "size": f.size,
                    "head_sha256": f.head,
                    "records_done": prefix[1] if prefix else 0,
                    "done_through_line": prefix[3] if prefix else 0,
                    "offset": prefix[2] if prefix else 0,
                    "done": [list(i) for i in f.done.intervals],
                    "complete": f.finished and f.done.count() == f.records,
                }
            return {
                "version": CHECKPOINT_VERSION,
                "tool": "mparticle send",
                "historical": self.historical,
                "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "files": files,
            }


def write_json_atomic(path: str, doc: Any) -> None:
    """Write ``doc`` to ``path`` through a temporary file and a rename (never half-written)."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(_format_checkpoint(doc) if isinstance(doc, dict) and "files" in doc else json.dumps(doc))
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _format_checkpoint(doc: Dict[str, Any]) -> str:
    """Readable JSON: one line per setting and one line per input file."""
    lines = [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in doc.items() if k != "files"]
    files = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc["files"].items()]
    return "{\n" + "\n".join(lines) + '\n "files": {\n' + ",\n".join(files) + "\n }\n}"


def load_checkpoint(path: str) -> Optional[Dict[str, Any]]:
    """The checkpoint at ``path``, None when there is none; UsageError when unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read checkpoint {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != CHECKPOINT_VERSION or not isinstance(doc.get("files"), dict):
        raise UsageError(f"{path} is not a checkpoint of this version of mparticle send")
    return doc


# -- sending ---------------------------------------------------------------------------------


class Item(NamedTuple):
    """Where a valid batch on its way came from: enough to mark it done or to reject it."""

    file: InputFile
    ordinal: int
    line: int
    end_offset: int
    end_line: int
    in_array: bool
    size: int  #: length of the record's text, for the memory bound


class Upload:
    """Hands the valid batches to a :class:`~mparticle.uploader.BatchUploader` and brings its
    callbacks back to the records they came from:

    * ``on_delivered``: the records are done;
    * ``on_drop`` with reason ``rejected`` (the server refused the batch on its own, once the
      uploader split its request): the batch goes to the reject file and its record is done;
    * ``on_drop`` with reason ``unauthorized``, or a 404/405 (wrong host): :attr:`fatal` is set
      and the run stops;
    * any other drop (retries exhausted, shutdown): the record stays to do, for ``--resume``.

    Batches are matched to their records by ``source_request_id``. At most ``2 x concurrency``
    requests' worth of batches (by count, and by size of their text) are handed over and not
    settled yet: :meth:`put` waits for room, so the uploader's queue never overflows.
    """

    def __init__(
        self, config: Configuration, args: argparse.Namespace, tracker: Tracker, rejects: RejectWriter
    ) -> None:
        self.tracker = tracker
        self.rejects = rejects
        self.fatal: Optional[BaseException] = None
        self._max_open = 2 * args.concurrency * config.max_batches_per_request
        self._max_open_size = 2 * args.concurrency * config.max_request_bytes
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # notified when records are settled
        self._open: Dict[str, Deque[Item]] = {}  # by source_request_id, in the order handed over
        self._open_count = self._open_size = 0
        self._failure = threading.local()  # .error: from on_error, for the on_drop that follows it
        self.uploader = BatchUploader(
            config,
            path=HISTORICAL_PATH if args.historical else BULK_PATH,
            threads=args.concurrency,
            max_queue_batches=self._max_open,
            max_queue_bytes=self._max_open * config.max_batch_bytes,
            retries=RetryPolicy(max_retries=args.max_retries, total_timeout=args.retry_timeout),
            on_delivered=self._delivered,
            on_error=self._error,
            on_drop=self._dropped,
            exit_timeout=0.0,  # finish() does the (bounded) shutdown
        )

    def put(self, item: Item, batch: Dict[str, Any], stop: threading.Event) -> bool:
        """Hand ``batch`` over once there is room; False if ``stop`` is set (or the run fails)
        first. Raises ValueError when the uploader refuses the batch (too large)."""
        key = str(batch["source_request_id"])
        with self._lock:
            while self._open_count and (
                self._open_count >= self._max_open or self._open_size + item.size > self._max_open_size
            ):
                if stop.is_set() or self.fatal is not None:
                    return False
                self._room.wait(0.1)
            self._open.setdefault(key, collections.deque()).append(item)
            self._open_count += 1
            self._open_size += item.size
        try:
            self.uploader.enqueue(batch)
        except ValueError:
            with self._lock:
                self._pop(key, newest=True)
            raise
        return True

    def finish(self, bounded: Callable[[], Optional[float]]) -> UploaderStats:
        """Deliver everything handed over and stop the uploader; once ``bounded()`` gives a
        number of seconds (after Ctrl-C), stop within that time. Returns the final stats."""
        while not self.uploader.flush(0.1):
            limit = bounded()
            if limit is not None:
                return self.uploader.shutdown(limit)
        return self.uploader.shutdown()

    def stats(self) -> UploaderStats:
        return self.uploader.stats()

    # -- the uploader's callbacks (sender threads) -------------------------------------------

    def _pop(self, key: str, newest: bool = False) -> Optional[Item]:
        """Close the open record of batch ``key`` (the caller holds the lock)."""
        waiting = self._open.get(key)
        if not waiting:
            return None
        item = waiting.pop() if newest else waiting.popleft()
        if not waiting:
            del self._open[key]
        self._open_count -= 1
        self._open_size -= item.size
        return item

    def _settle(self, batches: List[QueuedBatch]) -> List[Tuple[Item, QueuedBatch]]:
        """The records of ``batches``, paired with them; they are no longer open."""
        settled = []
        with self._lock:
            for b in batches:
                item = self._pop(b.source_request_id)
                if item is not None:
                    settled.append((item, b))
            self._room.notify()
        return settled

    def _delivered(self, batches: List[QueuedBatch]) -> None:
        self.tracker.mark([item for item, _ in self._settle(batches)])

    def _error(self, error: BaseException, batches: List[QueuedBatch]) -> None:
        self._failure.error = error  # the uploader calls on_drop next, on this thread

    def _dropped(self, reason: str, batches: List[QueuedBatch]) -> None:
        error = getattr(self._failure, "error", None) or RuntimeError(reason)
        self._failure.error = None
        settled = self._settle(batches)
        if reason == UNAUTHORIZED or getattr(error, "status", None) in _FATAL_STATUSES:
            self.fatal = self.fatal or error
        elif reason == REJECTED:
            message = f"rejected by the server: {_describe(error)}"
            problems = [{"path": "", "rule": "server", "message": message}]
            for item, b in settled:
                self.rejects.write(_reject_entry(item.file, item.line, None, message, problems, b.data.decode()))
            self.tracker.mark([item for item, _ in settled], server_rejected=True)


class DryRun:
    """``--dry-run``: each valid batch is encoded as the uploader would (and refused alike) and
    packed by its rules, to count the requests it would take. Nothing is sent."""

    fatal: Optional[BaseException] = None

    def __init__(self, config: Configuration) -> None:
        self._limits = (config.max_batches_per_request, config.max_request_bytes)
        self._max_batch_bytes = config.max_batch_bytes
        self._packing: Deque[QueuedBatch] = collections.deque()
        self._packing_bytes = 0
        self._requests = 0

    def put(self, item: Item, batch: Dict[str, Any], stop: threading.Event) -> bool:
        data = encode_batch(batch, self._max_batch_bytes)
        self._packing.append(QueuedBatch(data, ""))
        self._packing_bytes += len(data)
        count, size = len(self._packing), request_size(len(self._packing), self._packing_bytes)
        if count > self._limits[0] or size > self._limits[1]:  # the first request is complete
            self._pack()
        return True

    def _pack(self) -> None:
        request = take_request(self._packing, *self._limits)
        self._packing_bytes -= sum(len(b) for b in request)
        self._requests += 1

    def finish(self, bounded: Callable[[], Optional[float]]) -> UploaderStats:
        while self._packing:
            self._pack()
        return self.stats()

    def stats(self) -> UploaderStats:
        """Nothing sent; ``requests``: the requests the batches so far would take."""
        return UploaderStats(requests=self._requests)


# -- progress ---------------------------------------------------------------------------------


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class Counters:
    """What the main loop has seen (what became of the batches is in the uploader's stats)."""

    read: int = 0
    skipped: int = 0
    rejected: int = 0
    valid: int = 0
    input_errors: int = 0
    bytes_skipped: int = 0  #: input bytes passed over by --resume (seek)
    bytes_finished: int = 0  #: input bytes of the files finished in this run
    bytes_current: int = 0  #: input bytes read so far from the current file
    started: float = field(default_factory=time.monotonic)

    @property
    def bytes_read(self) -> int:
        """Input bytes read in this run."""
        return self.bytes_finished + self.bytes_current


class Progress:
    """A one-line progress bar on a terminal, redrawn a few times a second."""

    def __init__(
        self,
        out: TextIO,
        counters: Counters,
        tracker: Tracker,
        stats: Callable[[], UploaderStats],
        total_bytes: Optional[int],
    ) -> None:
        self._out = out
        self._counters = counters
        self._tracker = tracker
        self._stats = stats
        self._total = total_bytes
        self._width = 0

    def line(self) -> str:
        """The current status line."""
        c, s = self._counters, self._stats()
        elapsed = max(1e-6, time.monotonic() - c.started)
        rate = c.read / elapsed
        parts = [
            f"{c.read:,} batches",
            f"{s.delivered:,} sent",
            f"{c.rejected + self._tracker.server_rejected:,} rejected",
        ]
        failed = _failed(s)
        if failed:
            parts.append(f"{failed:,} failed")
        done_bytes = c.bytes_skipped + c.bytes_read
        if self._total:
            fraction = min(1.0, done_bytes / self._total)
            bar = "#" * int(fraction * 20)
            parts.insert(0, f"[{bar:<20}] {fraction:4.0%}")
            parts.append(f"{_size(done_bytes)}/{_size(self._total)}")
        else:
            parts.append(_size(done_bytes))
        parts.append(f"{rate:,.0f}/s")
        byte_rate = c.bytes_read / elapsed
        if self._total and byte_rate > 0:
            parts.append("ETA " + _duration(max(0, self._total - done_bytes) / byte_rate))
        return "  ".join(parts)

    def draw(self) -> None:
        text = self.line()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self._out.write("\r" + text + " " * pad)
        self._out.flush()

    def clear(self) -> None:
        if self._width:
            self._out.write("\r" + " " * self._width + "\r")
            self._out.flush()
            self._width = 0


# -- rejects ------------------------------------------------------------------------------------


class RejectWriter:
    """Appends one JSON line per rejected record; opened at the first reject."""

    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self._mode = "a" if append else "w"
        self._handle: Optional[IO[str]] = None
        self._lock = threading.Lock()
        self._closed = False
        self.written = 0
        if not append and os.path.exists(path):
            open(path, "w").close()  # a fresh run starts with an empty reject file

    def write(self, entry: Dict[str, Any]) -> None:
        line = json.dumps(entry) + "\n"
        with self._lock:
            if self._closed:  # a late answer after the run: its record stays to do
                return
            handle = self._handle
            if handle is None:
                handle = self._handle = open(self.path, self._mode, encoding="utf-8")
            handle.write(line)
            self.written += 1

    def sync(self) -> None:
        """Make what was written durable (before a checkpoint claims those records done)."""
        with self._lock:
            if self._handle is not None:
                self._handle.flush()
                os.fsync(self._handle.fileno())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def _reject_entry(
    file: InputFile, line: int, array_index: Optional[int], reason: str, problems: List[Dict[str, str]], text: str
) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"file": file.display, "line": line}
    if array_index is not None:
        entry["index"] = array_index
    entry.update(reason=reason, problems=problems, record=text)
    return entry


# -- signals ------------------------------------------------------------------------------------


class Interrupt:
    """SIGINT/SIGTERM set :attr:`event` (graceful stop); a second one raises KeyboardInterrupt.

    While ``blocking`` is set (waiting on stdin) the first signal raises at once as well.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum = 0
        self.blocking = False
        self._previous: Dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        again = self.event.is_set()
        self.signum = self.signum or signum
        self.event.set()
        if again or self.blocking:
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


class _InterruptibleStream:
    """A pipe (stdin) read with ``read1`` so records flow as they arrive; Ctrl-C while
    waiting on it stops at once."""

    def __init__(self, stream: Any, interrupt: Interrupt) -> None:
        self._stream = stream
        self._interrupt = interrupt

    def read(self, size: int) -> bytes:
        self._interrupt.blocking = True
        try:
            read1 = getattr(self._stream, "read1", None)
            return bytes(read1(size) if read1 is not None else self._stream.read(size))
        finally:
            self._interrupt.blocking = False


# -- the command ------------------------------------------------------------------------------


def build_configuration(args: argparse.Namespace) -> Configuration:
    """A Configuration from the connection flags (``MPARTICLE_*`` environment as fallback)."""
    config = Configuration()
    if getattr(args, "api_key", None):
        config.api_key = args.api_key
    if getattr(args, "api_secret", None):
        config.api_secret = args.api_secret
    if getattr(args, "pod", None):
        config.pod = args.pod
    if getattr(args, "host", None):
        if not args.host.startswith(("http://", "https://")):
            raise UsageError(f"--host must be a URL such as https://s2s.mparticle.com/v2, got {args.host!r}")
        config.host = args.host
    return config


def _default_path(inputs: List[str], suffix: str) -> str:
    first = inputs[0]
    return ("mparticle-stdin" if first == "-" else first) + suffix


def _open_inputs(names: List[str]) -> List[InputFile]:
    if names.count("-") > 1:
        raise UsageError("stdin (-) can be given only once")
    files: List[InputFile] = []
    for name in names:
        if name == "-":
            files.append(InputFile(name="-", key="<stdin>", size=None))
            continue
        try:
            st = os.stat(name)
            with open(name, "rb") as handle:
                head = hashlib.sha256(handle.read(_HEAD_BYTES)).hexdigest()
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        if not os.path.isfile(name):
            raise UsageError(f"{name} is not a regular file")
        files.append(InputFile(name=name, key=os.path.realpath(name), size=st.st_size, head=head))
    keys = [f.key for f in files]
    if len(set(keys)) != len(keys):
        raise UsageError("the same input file is given twice")
    return files


def _apply_checkpoint(files: List[InputFile], doc: Dict[str, Any], historical: bool) -> None:
    """Load what the checkpoint ``doc`` has done into ``files``; UsageError if it does not fit."""
    if bool(doc.get("historical")) != historical:
        raise UsageError(
            "the checkpoint was written by a send {0} --historical; resume with the same flag".format(
                "with" if doc.get("historical") else "without"
            )
        )
    for f in files:
        entry = doc["files"].get(f.key)
        if not isinstance(entry, dict):
            continue
        if f.name != "-" and entry.get("head_sha256") and entry.get("head_sha256") != f.head:
            raise UsageError(f"{f.name} changed since the checkpoint was written; start a fresh run (without --resume)")
        done = DoneSet(entry.get("done") or [])
        prefix = done.prefix()
        if f.size is not None and prefix is not None and prefix[2] > f.size:
            raise UsageError(f"{f.name} is shorter than when the checkpoint was written")
        f.done = done
        f.skip = DoneSet(done.intervals)


def _reader_for(f: InputFile, interrupt: Interrupt, stdin: Any) -> Tuple[RecordReader, Optional[IO[bytes]]]:
    if f.name == "-":
        return RecordReader(_InterruptibleStream(stdin, interrupt)), None  # type: ignore[arg-type]
    handle = open(f.name, "rb")
    prefix = f.skip.prefix()
    if prefix is None:
        return RecordReader(handle), handle
    handle.seek(prefix[2])
    reader = RecordReader(
        handle, start_offset=prefix[2], start_line=prefix[3], start_ordinal=prefix[1], in_array=bool(prefix[4])
    )
    return reader, handle


def run_send(
    args: argparse.Namespace,
    stdin: Optional[Any] = None,
    err: Optional[TextIO] = None,
) -> int:
    """Run ``mparticle send`` with parsed ``args``; returns the exit code."""
    err = err or sys.stderr
    try:
        run = _SendRun(args, stdin if stdin is not None else sys.stdin.buffer, err)
    except UsageError as exc:
        print(f"mparticle send: error: {exc}", file=err)
        return EXIT_FAILURE
    return run.run()


class _SendRun:
    """One ``send``: the inputs, the reject file, the tracker, the upload and the counters."""

    def __init__(self, args: argparse.Namespace, stdin: Any, err: TextIO) -> None:
        self.args = args
        self.stdin = stdin
        self.err = err
        self.files = _open_inputs(args.files)
        if args.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if args.shutdown_timeout < 0:
            raise UsageError("--shutdown-timeout must not be negative")
        config = Configuration()
        if not args.dry_run:
            config = build_configuration(args)
            if not (config.api_key and config.api_secret):
                raise UsageError(
                    "no credentials: give --api-key and --api-secret or set MPARTICLE_API_KEY and "
                    "MPARTICLE_API_SECRET (or use --dry-run)"
                )
            config.connection_pool_size = args.concurrency
        self.reject_path = args.reject_file or _default_path(args.files, ".rejects.jsonl")
        self.checkpoint_path = args.checkpoint or _default_path(args.files, ".checkpoint.json")
        resumed = False
        others: Dict[str, Any] = {}
        if args.resume:
            doc = load_checkpoint(self.checkpoint_path)
            if doc is None:
                print(f"send: no checkpoint at {self.checkpoint_path}; starting from the beginning", file=err)
            else:
                _apply_checkpoint(self.files, doc, args.historical)
                keys = {f.key for f in self.files}
                others = {k: v for k, v in doc["files"].items() if k not in keys}
                resumed = True
        self.tracker = Tracker(self.files, args.historical, others)
        self.counters = Counters()
        self.rejects = RejectWriter(self.reject_path, append=resumed)
        self.interrupt = Interrupt()
        self.now_ms = int(time.time() * 1000)
        self.upload: Union[Upload, DryRun] = (
            DryRun(config) if args.dry_run else Upload(config, args, self.tracker, self.rejects)
        )
        sizes = [f.size for f in self.files]
        total = sum(s for s in sizes if s is not None) if None not in sizes else None
        show = args.progress == "on" or (args.progress == "auto" and _isatty(err))
        self.progress = (
            Progress(err, self.counters, self.tracker, self.upload.stats, total) if show and not args.quiet else None
        )

    def run(self) -> int:
        """Read, validate and send every input; write the checkpoint; report; exit code."""
        args, stop = self.args, self.interrupt.event
        ticker_stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(ticker_stop,), name="mparticle-send-progress", daemon=True)
        ticker.start()
        self.interrupt.install()
        hard_stop = False
        try:
            try:
                for f in self.files:
                    if stop.is_set() or self.upload.fatal is not None:
                        break
                    self._send_file(f)
            except KeyboardInterrupt:  # the first Ctrl-C while waiting on stdin
                stop.set()
            stats = self.upload.finish(lambda: args.shutdown_timeout if stop.is_set() else None)
        except KeyboardInterrupt:  # a second Ctrl-C: stop now
            hard_stop = True
            stats = self.upload.finish(lambda: 0.0)
        finally:
            self.interrupt.restore()
            ticker_stop.set()
        self.tracker.freeze()
        ticker.join(1.0)
        if self.progress is not None:
            self.progress.clear()
        self.rejects.close()
        if not args.dry_run:
            try:
                write_json_atomic(self.checkpoint_path, self.tracker.snapshot())
            except OSError as exc:
                print(f"send: cannot write the checkpoint {self.checkpoint_path}: {exc}", file=self.err)
        interrupted = stop.is_set() or hard_stop
        c, t, fatal = self.counters, self.tracker, self.upload.fatal
        failed = _failed(stats)
        pending = 0 if args.dry_run else max(0, c.valid - stats.delivered - t.server_rejected - failed)
        if not args.quiet:
            print(self._summary(stats, pending, interrupted), file=self.err)
        if fatal is not None:
            print(f"send: stopped: {_describe(fatal)}", file=self.err)
            return EXIT_FAILURE
        if failed and stats.last_error is not None and not args.quiet:
            print(f"send: last error: {_describe(stats.last_error)}", file=self.err)
        if interrupted:
            return self.interrupt.exit_code
        if not args.dry_run and c.valid and not stats.delivered:
            return EXIT_FAILURE
        if c.rejected or c.input_errors or t.server_rejected or failed or pending:
            return EXIT_PARTIAL
        return EXIT_OK

    def _tick(self, stop: threading.Event) -> None:
        """Redraw the progress bar and save the checkpoint every ``--checkpoint-interval`` s."""
        last_save = time.monotonic()
        while not stop.wait(0.2):
            if self.progress is not None:
                self.progress.draw()
            if not self.args.dry_run and time.monotonic() - last_save >= self.args.checkpoint_interval:
                try:
                    self.rejects.sync()
                    write_json_atomic(self.checkpoint_path, self.tracker.snapshot())
                except OSError as exc:
                    print(f"\nsend: cannot write the checkpoint {self.checkpoint_path}: {exc}", file=self.err)
                last_save = time.monotonic()

    def _send_file(self, f: InputFile) -> None:
        from mparticle.validation import validate

        args, c, stop = self.args, self.counters, self.interrupt.event
        try:
            reader, handle = _reader_for(f, self.interrupt, self.stdin)
        except OSError as exc:
            print(f"send: cannot read {f.display}: {exc}", file=self.err)
            c.input_errors += 1
            return
        start = reader.offset
        c.bytes_skipped += start
        prefix = f.skip.prefix()
        if prefix is not None and start:
            f.records = prefix[1]
            c.skipped += prefix[1]
        try:
            for record in reader:
                c.bytes_current = reader.offset - start
                f.records = record.ordinal
                if record.ordinal in f.skip:
                    c.skipped += 1
                    continue
                c.read += 1
                if record.error is not None:
                    problems = [{"path": "", "rule": "json", "message": record.error}]
                    self._reject(f, record, record.error, problems)
                    continue
                found = validate(record.value, historical=args.historical, now_ms=self.now_ms)
                if found:
                    shown = "; ".join(str(p) for p in found[:3])
                    more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
                    problems = [{"path": p.path, "rule": p.rule, "message": p.message} for p in found]
                    self._reject(f, record, f"invalid: {shown}{more}", problems)
                    continue
                batch = record.value
                if not batch.get("source_request_id"):
                    batch["source_request_id"] = source_request_id(f.key, record.line, record.index, record.text)
                try:
                    handed_over = self.upload.put(_item(f, record), batch, stop)
                except ValueError as exc:  # over the size limit once its source_request_id is added
                    self._reject(f, record, f"invalid: {exc}", [{"path": "", "rule": "max_bytes", "message": str(exc)}])
                    continue
                c.valid += 1
                if not handed_over or stop.is_set() or self.upload.fatal is not None:
                    break
            else:
                f.finished = True
        except OSError as exc:
            print(f"send: error reading {f.display}: {exc}", file=self.err)
            c.input_errors += 1
        finally:
            if handle is not None:
                handle.close()
            c.bytes_finished += reader.offset - start
            c.bytes_current = 0

    def _reject(self, f: InputFile, record: Any, reason: str, problems: List[Dict[str, str]]) -> None:
        self.rejects.write(_reject_entry(f, record.line, record.array_index, reason, problems, record.text))
        self.counters.rejected += 1
        if not self.args.dry_run:
            self.tracker.mark([_item(f, record)])

    def _summary(self, stats: UploaderStats, pending: int, interrupted: bool) -> str:
        args, c, t = self.args, self.counters, self.tracker
        elapsed = max(1e-6, time.monotonic() - c.started)
        parts = [f"{c.read:,} batches read ({_size(c.bytes_read)})"]
        if args.dry_run:
            parts.append(f"{c.valid:,} valid (would be sent in {stats.requests:,} requests)")
        else:
            parts.append(f"{stats.delivered:,} sent in {stats.requests:,} requests")
        rejected = c.rejected + t.server_rejected
        parts.append(f"{rejected:,} rejected" + (f" (see {self.rejects.path})" if self.rejects.written else ""))
        failed = _failed(stats)
        if failed:
            parts.append(f"{failed:,} failed")
        if pending:
            parts.append(f"{pending:,} not sent")
        if c.skipped:
            parts.append(f"{c.skipped:,} skipped (done in an earlier run)")
        if c.input_errors:
            parts.append(f"{c.input_errors} input error(s)")
        head = "send --dry-run" if args.dry_run else "send"
        text = f"{head}: " + ", ".join(parts) + f" in {elapsed:.1f} s ({c.read / elapsed:,.0f} batches/s)"
        if interrupted:
            text += "; interrupted"
        if not args.dry_run and (failed or pending or interrupted):
            text += f"; continue with --resume (checkpoint {self.checkpoint_path})"
        return text


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _item(f: InputFile, record: Any) -> Item:
    return Item(f, record.ordinal, record.line, record.end_offset, record.end_line, record.in_array, len(record.text))


def _failed(stats: UploaderStats) -> int:
    """Batches the uploader gave up on (those the server refused are in the reject file)."""
    return stats.dropped_total - stats.dropped.get(REJECTED, 0)


def _describe(error: BaseException) -> str:
    """A short description of a send error: ``HTTP 400: <mParticle's message>``."""
    status = getattr(error, "status", None)
    if status is None:
        return f"{type(error).__name__}: {error}"
    if status == 0:
        return f"connection failed ({getattr(error, 'reason', '')})"
    text = f"HTTP {status}"
    body = getattr(error, "body", None)
    if body:
        try:
            text += ": " + str(json.loads(body)["errors"][0]["message"])
        except (ValueError, KeyError, IndexError, TypeError):
            text += f": {str(body)[:200]}"
    return text
