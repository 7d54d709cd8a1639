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

The inputs are never written to: every output path (reject file, checkpoint, its lock file)
is compared with every input by real path and by inode before anything is opened for writing.
A real run holds an exclusive lock on the checkpoint for its whole life; the checkpoint is
checked (structure, checksum, and a SHA-256 of the input bytes it covers) before a resume
trusts it. Reject and checkpoint files are created ``0600``.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import datetime
import errno
import hashlib
import hmac
import json
import os
import signal
import stat
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    Callable,
    Deque,
    Dict,
    List,
    NamedTuple,
    Optional,
    Sequence,
    TextIO,
    Tuple,
    Union,
)

from mparticle.cli_input import ContentHash, HashingStream, InputChanged, Record, RecordReader
from mparticle.configuration import Configuration
from mparticle.retry import RetryPolicy
from mparticle.serialization import encode_batch
from mparticle.uploader import BULK_PATH, HISTORICAL_PATH, REJECTED, UNAUTHORIZED, BatchUploader, UploaderStats
from mparticle.uploader.packing import QueuedBatch, request_size, take_request

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from mparticle.validation import Problem

__all__ = [
    "CHECKPOINT_VERSION",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "CheckpointLock",
    "DryRun",
    "OutputError",
    "RejectWriter",
    "Tracker",
    "Upload",
    "UsageError",
    "build_configuration",
    "check_batch",
    "checkpoint_checksum",
    "dry_run_path",
    "load_checkpoint",
    "run_send",
    "source_request_id",
    "write_json_atomic",
]

EXIT_OK = 0  #: everything read was valid and accepted
EXIT_PARTIAL = 1  #: some records were rejected, or some batches could not be delivered
EXIT_FAILURE = 2  #: usage, input or authentication error, or no valid batch could be delivered
EXIT_INTERRUPTED = 130  #: stopped by Ctrl-C (128 + SIGINT; 143 for SIGTERM)

#: Version 2: record start offsets in the ids, array positions, the content hash, a checksum.
CHECKPOINT_VERSION = 2
CHECKPOINT_TOOL = "mparticle send"
#: Namespace of the derived ``source_request_id`` values (uuid5).
SOURCE_ID_NAMESPACE = uuid.UUID("6d7061f2-7469-436c-a5e2-73656e64cafe")
#: Files that hold personal data (rejects, checkpoints) are created with this mode.
PRIVATE_MODE = 0o600
_HASH_CHUNK = 1024 * 1024
#: Refusals that stop the run: the credentials (401/403) or the host (404/405) are wrong.
_FATAL_STATUSES = frozenset((401, 403, 404, 405))


class UsageError(Exception):
    """A problem with the command line or its inputs (exit code 2)."""


class OutputError(Exception):
    """An output file (the reject file) cannot be written: the run stops (exit code 2)."""


def source_request_id(key: str, offset: int, text: str) -> str:
    """A stable id for the record that starts at byte ``offset`` of input ``key``.

    The id depends only on the input's identity (its real path, or ``<stdin>``), the record's
    position in it and a SHA-256 of the record's text: every run over the same bytes — a
    resumed one that starts mid-line, or a repeated one — gives a record the same id, in
    every layout (JSON Lines, arrays on one line or many, one bulk body per line), so
    mParticle drops what it already has; a file regenerated at the same path with different
    content gets new ids.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return str(uuid.uuid5(SOURCE_ID_NAMESPACE, f"{key}\n@{offset}\n{digest}"))


def check_batch(value: Any, historical: bool, now_ms: Optional[int] = None) -> List["Problem"]:
    """The validation problems of one parsed record; a failure of the validator itself (such
    as nesting too deep for it) is one problem too, never an exception."""
    from mparticle.validation import Problem, validate

    try:
        return validate(value, historical=historical, now_ms=now_ms)
    except RecursionError:
        return [Problem("", "nesting", "the batch is nested too deeply to be validated")]
    except Exception as exc:  # noqa: BLE001 - any input must end up as a reported problem
        return [Problem("", "validator", f"the batch could not be validated ({type(exc).__name__}: {exc})"[:500])]


# -- which records are done ------------------------------------------------------------------


class DoneSet:
    """Disjoint intervals of done record ordinals, each with the position after its last record.

    An interval is ``[first, last, end_offset, end_line, in_array, array_index]`` (the last
    three: whether the position is inside a top-level array, and the array position of the
    element that follows); out-of-order completions merge as they arrive, so the list stays
    short (gaps only where a batch failed or is pending).
    """

    def __init__(self, intervals: Optional[Sequence[Sequence[Any]]] = None) -> None:
        self.intervals: List[List[Any]] = sorted([list(i) for i in intervals or []], key=lambda i: i[0])
        self._starts = [i[0] for i in self.intervals]

    def add(self, ordinal: int, end_offset: int, end_line: int, in_array: bool, array_index: int = 0) -> None:
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
            ivs[i][1:] = [ordinal, end_offset, end_line, in_array, array_index]
        elif merge_next:
            ivs[i + 1][0] = starts[i + 1] = ordinal
        else:
            ivs.insert(i + 1, [ordinal, ordinal, end_offset, end_line, in_array, array_index])
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
    identity: Optional[Tuple[int, int]] = None  #: (st_dev, st_ino), for regular files
    content: ContentHash = field(default_factory=lambda: ContentHash("input"))  #: what was read
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
                item.file.done.add(item.ordinal, item.end_offset, item.end_line, item.in_array, item.array_index)
            if server_rejected:
                self.server_rejected += len(items)

    def freeze(self) -> None:
        """Ignore late completions from now on (the run is over)."""
        with self._lock:
            self._frozen = True

    def snapshot(self) -> Dict[str, Any]:
        """The checkpoint document (its ``checksum`` included)."""
        with self._lock:
            files: Dict[str, Any] = dict(self.others)
            for f in self.files:
                prefix = f.done.prefix()
                # every done record was hashed before it was handed over: hashed >= its end
                hashed, digest = f.content.state()
                files[f.key] = {
                    "name": f.name,
                    "size": f.size,
                    "hashed_bytes": hashed,
                    "sha256": digest,
                    "records_done": prefix[1] if prefix else 0,
                    "done_through_line": prefix[3] if prefix else 0,
                    "offset": prefix[2] if prefix else 0,
                    "done": [list(i) for i in f.done.intervals],
                    "complete": f.finished and f.done.count() == f.records,
                }
            doc: Dict[str, Any] = {
                "version": CHECKPOINT_VERSION,
                "tool": CHECKPOINT_TOOL,
                "historical": self.historical,
                "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "files": files,
            }
        doc["checksum"] = checkpoint_checksum(doc)
        return doc


# -- the checkpoint file ----------------------------------------------------------------------


def checkpoint_checksum(doc: Dict[str, Any]) -> str:
    """SHA-256 of the checkpoint ``doc`` without its ``checksum`` (canonical JSON)."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")).hexdigest()


def write_json_atomic(path: str, doc: Any) -> None:
    """Write ``doc`` to ``path`` through a new temporary file, fsync and a rename (never
    half-written). A new file is ``0600``; an existing one's mode is kept, minus any group
    or other permission (never widened)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode) & PRIVATE_MODE
    except FileNotFoundError:
        mode = PRIVATE_MODE
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)  # 0600, O_EXCL
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_format_checkpoint(doc) if isinstance(doc, dict) and "files" in doc else json.dumps(doc))
            handle.write("\n")
            handle.flush()
            if mode != PRIVATE_MODE:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (where the platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _format_checkpoint(doc: Dict[str, Any]) -> str:
    """Readable JSON: one line per setting and one line per input file."""
    lines = []
    for k, v in doc.items():
        if k == "files":
            files = [f"  {json.dumps(name)}: {json.dumps(entry)}" for name, entry in v.items()]
            lines.append(' "files": {\n' + ",\n".join(files) + "\n }")
        else:
            lines.append(f" {json.dumps(k)}: {json.dumps(v)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def load_checkpoint(path: str) -> Optional[Dict[str, Any]]:
    """The checkpoint at ``path``, None when there is none; UsageError naming the problem when
    it is unreadable, of another version, modified (checksum) or malformed."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read the checkpoint {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"the checkpoint {path} is not valid JSON ({str(exc)[:200]}); {_FRESH}") from None
    if not isinstance(doc, dict) or doc.get("tool") != CHECKPOINT_TOOL:
        raise UsageError(f"{path} is not a checkpoint of mparticle send; {_FRESH}")
    if doc.get("version") != CHECKPOINT_VERSION:
        raise UsageError(
            f"the checkpoint {path} has version {json.dumps(doc.get('version'))[:20]}; this mparticle send "
            f"reads version {CHECKPOINT_VERSION} only; {_FRESH}"
        )
    checksum = doc.get("checksum")
    if not isinstance(checksum, str) or not hmac.compare_digest(checksum, checkpoint_checksum(doc)):
        raise UsageError(
            f"the checkpoint {path} was modified after mparticle send wrote it (checksum mismatch); {_FRESH}"
        )
    problem = _checkpoint_problem(doc)
    if problem is not None:
        raise UsageError(f"the checkpoint {path} is malformed: {problem}; {_FRESH}")
    return doc


_FRESH = "start a fresh run (without --resume) or give another --checkpoint"


def _is_int(value: Any, low: int = 0) -> bool:
    return type(value) is int and value >= low


def _checkpoint_problem(doc: Dict[str, Any]) -> Optional[str]:
    """What is wrong with the structure of a checkpoint document, or None."""
    if type(doc.get("historical")) is not bool:
        return "`historical` must be true or false"
    if not isinstance(doc.get("updated"), str):
        return "`updated` must be a string"
    files = doc.get("files")
    if not isinstance(files, dict):
        return "`files` must be an object"
    for key, entry in files.items():
        problem = _entry_problem(entry)
        if problem is not None:
            return f"files[{json.dumps(key)}]: {problem}"
    return None


def _entry_problem(entry: Any) -> Optional[str]:
    """What is wrong with one input's checkpoint entry, or None."""
    if not isinstance(entry, dict):
        return "must be an object"
    if not isinstance(entry.get("name"), str):
        return "`name` must be a string"
    if entry.get("size") is not None and not _is_int(entry.get("size")):
        return "`size` must be a non-negative integer or null"
    hashed = entry.get("hashed_bytes")
    if not isinstance(hashed, int) or not _is_int(hashed):
        return "`hashed_bytes` must be a non-negative integer"
    digest = entry.get("sha256")
    if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
        return "`sha256` must be 64 lowercase hex digits"
    if type(entry.get("complete")) is not bool:
        return "`complete` must be true or false"
    done = entry.get("done")
    if not isinstance(done, list):
        return "`done` must be an array"
    previous: Optional[List[Any]] = None
    for n, interval in enumerate(done):
        problem = _interval_problem(interval, previous, hashed)
        if problem is not None:
            return f"done[{n}]: {problem}"
        previous = interval
    prefix = done[0] if done and done[0][0] == 1 else None
    expected = {"records_done": 1, "offset": 2, "done_through_line": 3}
    for name, index in expected.items():
        value = entry.get(name)
        if not _is_int(value):
            return f"`{name}` must be a non-negative integer"
        if value != (prefix[index] if prefix else 0):
            return f"`{name}` ({value}) does not match `done`"
    return None


def _interval_problem(interval: Any, previous: Optional[List[Any]], hashed: int) -> Optional[str]:
    """What is wrong with one done interval (given the one before it), or None."""
    if not isinstance(interval, list) or len(interval) != 6:
        return "must be [first, last, end_offset, end_line, in_array, array_index]"
    first, last, end_offset, end_line, in_array, array_index = interval
    if not (_is_int(first, 1) and _is_int(last, 1) and first <= last):
        return "first and last must be record numbers (1, 2, ...) with first <= last"
    if not (_is_int(end_offset, 1) and _is_int(end_line, 1)):
        return "end_offset and end_line must be positive integers"
    if type(in_array) is not bool or not _is_int(array_index):
        return "in_array must be true or false and array_index a non-negative integer"
    if end_offset > hashed:
        return f"end_offset {end_offset} is past the {hashed} bytes the checkpoint covers"
    if previous is not None:
        if first <= previous[1]:
            return "overlaps or is out of order with the interval before it"
        if end_offset <= previous[2] or end_line < previous[3]:
            return "its end is not after the end of the interval before it"
    return None


def _apply_checkpoint(files: List[InputFile], doc: Dict[str, Any], historical: bool) -> None:
    """Load what the checkpoint ``doc`` has done into ``files``; UsageError if it does not fit."""
    if doc["historical"] != historical:
        raise UsageError(
            "the checkpoint was written by a send {0} --historical; resume with the same flag".format(
                "with" if doc["historical"] else "without"
            )
        )
    for f in files:
        entry = doc["files"].get(f.key)
        if entry is None:
            continue
        hashed, digest = entry["hashed_bytes"], entry["sha256"]
        if f.name == "-":
            f.content = ContentHash(f.display, expect=(hashed, digest))
        else:
            f.content = _verified_content(f, hashed, digest)
        f.done = DoneSet(entry["done"])
        f.skip = DoneSet(entry["done"])


def _verified_content(f: InputFile, hashed: int, digest: str) -> ContentHash:
    """The content hash of the first ``hashed`` bytes of ``f``, which must equal ``digest``."""
    changed = f"{f.name} changed since the checkpoint was written"
    fresh = "start a fresh run (without --resume)"
    if f.size is not None and f.size < hashed:
        raise UsageError(f"{changed}: it has {f.size:,} bytes, the checkpoint covers its first {hashed:,}; {fresh}")
    hasher = hashlib.sha256()
    left = hashed
    try:
        with open(f.name, "rb") as handle:
            while left:
                chunk = handle.read(min(left, _HASH_CHUNK))
                if not chunk:
                    break
                hasher.update(chunk)
                left -= len(chunk)
    except OSError as exc:
        raise UsageError(f"cannot read {f.name}: {exc.strerror or exc}") from None
    if left or not hmac.compare_digest(hasher.hexdigest(), digest):
        raise UsageError(f"{changed}: its first {hashed:,} bytes are not those the checkpoint covers; {fresh}")
    return ContentHash(f.display, hasher, hashed)


class CheckpointLock:
    """An exclusive, non-blocking ``flock`` on ``<checkpoint>.lock``, held by a real run from
    before it reads the checkpoint until it has written it for the last time. The OS drops it
    when the process ends, however it ends (also on SIGKILL). The file itself stays (removing
    a lock file races with a run that is opening it)."""

    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint
        self.path = checkpoint + ".lock"
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


# -- output paths ------------------------------------------------------------------------------


def _identity(path: str) -> Optional[Tuple[int, int]]:
    """(st_dev, st_ino) of the file ``path`` names (following links), None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def refuse_clobbering(files: List[InputFile], outputs: List[Tuple[str, str]]) -> None:
    """UsageError when an output path (``(what, path)`` pairs) is an input file or another
    output: the same real path (symlinks, ``./`` and ``../`` resolved) or the same inode (a
    hard link). Nothing has been opened for writing yet when this runs."""
    taken = [(f"the input file {f.name}", os.path.realpath(f.name), f.identity) for f in files if f.name != "-"]
    for what, path in outputs:
        real, identity = os.path.realpath(path), _identity(path)
        for other, other_real, other_identity in taken:
            if real == other_real or (identity is not None and identity == other_identity):
                raise UsageError(f"the {what} {path} is {other}; refusing to overwrite it (choose another path)")
        taken.append((f"the {what} {path}", real, identity))


def dry_run_path(reject_path: str) -> str:
    """Where ``--dry-run`` writes its rejects: the real run's reject path marked ``.dry-run``."""
    if reject_path.endswith(".jsonl"):
        return reject_path[: -len(".jsonl")] + ".dry-run.jsonl"
    return reject_path + ".dry-run"


# -- sending ---------------------------------------------------------------------------------


class Item(NamedTuple):
    """Where a valid batch on its way came from: enough to mark it done or to reject it."""

    file: InputFile
    ordinal: int
    line: int
    end_offset: int
    end_line: int
    in_array: bool
    array_index: int  #: the array position of the record after this one
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
            requeue_failed=False,  # give up and report: the record stays to do for --resume
        )

    def put(self, item: Item, batch: Dict[str, Any], stop: threading.Event) -> bool:
        """Hand ``batch`` over once there is room; False if ``stop`` is set (or the run fails)
        first. Raises TypeError/ValueError when the uploader refuses the batch (too large)."""
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
        except (TypeError, ValueError):
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
            written = []
            for item, b in settled:
                try:
                    self.rejects.write(_reject_entry(item.file, item.line, None, message, problems, b.data.decode()))
                except OutputError as exc:  # the record stays to do; the run stops
                    self.fatal = self.fatal or exc
                    break
                written.append(item)
            self.tracker.mark(written, server_rejected=True)


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
            files.append(InputFile(name="-", key="<stdin>", size=None, content=ContentHash("<stdin>")))
            continue
        try:
            st = os.stat(name)
            if not stat.S_ISREG(st.st_mode):  # (before opening it: a FIFO would block)
                raise UsageError(f"{name} is not a regular file")
            os.close(os.open(name, os.O_RDONLY))
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        files.append(
            InputFile(
                name=name,
                key=os.path.realpath(name),
                size=st.st_size,
                identity=(st.st_dev, st.st_ino),
                content=ContentHash(name),
            )
        )
    keys = [f.key for f in files]
    identities = [f.identity for f in files if f.identity is not None]
    if len(set(keys)) != len(keys) or len(set(identities)) != len(identities):
        raise UsageError("the same input file is given twice")
    return files


def _reader_for(f: InputFile, interrupt: Interrupt, stdin: Any) -> Tuple[RecordReader, Optional[IO[bytes]]]:
    """A reader positioned after the contiguous done prefix of ``f`` (stdin: at its start)."""
    if f.name == "-":
        return RecordReader(HashingStream(_InterruptibleStream(stdin, interrupt), 0, f.content)), None  # type: ignore[arg-type]
    handle = open(f.name, "rb")
    prefix = f.skip.prefix()
    if prefix is None:
        return RecordReader(HashingStream(handle, 0, f.content)), handle  # type: ignore[arg-type]
    _, last, offset, line, in_array, array_index = prefix
    handle.seek(offset)
    reader = RecordReader(
        HashingStream(handle, offset, f.content),  # type: ignore[arg-type]
        start_offset=offset,
        start_line=line,
        start_ordinal=last,
        in_array=in_array,
        array_index=array_index,
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
    """One ``send``: the inputs, the reject file, the tracker, the upload and the counters.

    Construction checks everything that can be checked before anything is written (the
    arguments, the output paths against the inputs, the lock, the checkpoint); UsageError
    otherwise, with the lock released.
    """

    def __init__(self, args: argparse.Namespace, stdin: Any, err: TextIO) -> None:
        self.args = args
        self.stdin = stdin
        self.err = err
        self.error: Optional[str] = None  #: why the run stopped early (exit 2), if it did
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
        self.checkpoint_path = args.checkpoint or _default_path(args.files, ".checkpoint.json")
        reject_path = args.reject_file or _default_path(args.files, ".rejects.jsonl")
        self.reject_path = dry_run_path(reject_path) if args.dry_run else reject_path
        self.lock = CheckpointLock(self.checkpoint_path)
        # the real run's reject path is checked in a dry run too: it is what the user named
        outputs = [("reject file", reject_path), ("checkpoint", self.checkpoint_path)]
        if args.dry_run:
            outputs.append(("dry-run reject file", self.reject_path))
        else:
            outputs.append(("checkpoint lock file", self.lock.path))
        refuse_clobbering(self.files, outputs)
        if not args.dry_run:
            self.lock.acquire()
        try:
            self._prepare(config)
        except BaseException:
            self.lock.release()
            raise

    def _prepare(self, config: Configuration) -> None:
        """Read the checkpoint (under the lock) and set up rejects, upload and progress."""
        args, err = self.args, self.err
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
        self.rejects = RejectWriter(self.reject_path, append=resumed and not args.dry_run)
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
        try:
            return self._run()
        finally:
            self.lock.release()

    def _run(self) -> int:
        args, stop = self.args, self.interrupt.event
        ticker_stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(ticker_stop,), name="mparticle-send-progress", daemon=True)
        ticker.start()
        self.interrupt.install()
        hard_stop = False
        try:
            try:
                for f in self.files:
                    if self._stopping():
                        break
                    self._send_file(f)
            except KeyboardInterrupt:  # the first Ctrl-C while waiting on stdin
                stop.set()
            stats = self.upload.finish(lambda: args.shutdown_timeout if stop.is_set() or self.error else None)
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
        self._save_checkpoint()
        self.rejects.close()
        interrupted = stop.is_set() or hard_stop
        c, t, fatal = self.counters, self.tracker, self.upload.fatal
        failed = _failed(stats)
        pending = 0 if args.dry_run else max(0, c.valid - stats.delivered - t.server_rejected - failed)
        if not args.quiet:
            print(self._summary(stats, pending, interrupted), file=self.err)
        if self.error is not None:
            print(f"send: stopped: {self.error}", file=self.err)
            return EXIT_FAILURE
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

    def _stopping(self) -> bool:
        return self.interrupt.event.is_set() or self.upload.fatal is not None or self.error is not None

    def _save_checkpoint(self) -> None:
        """Write the checkpoint (rejects first made durable); not in a dry run, and not while a
        resumed stdin has not been checked against the checkpoint yet (the old one stays)."""
        if self.args.dry_run or not all(f.content.verified for f in self.files):
            return
        try:
            self.rejects.sync()
            write_json_atomic(self.checkpoint_path, self.tracker.snapshot())
        except OSError as exc:
            print(f"\nsend: cannot write the checkpoint {self.checkpoint_path}: {exc}", file=self.err)

    def _tick(self, stop: threading.Event) -> None:
        """Redraw the progress bar and save the checkpoint every ``--checkpoint-interval`` s."""
        last_save = time.monotonic()
        while not stop.wait(0.2):
            if self.progress is not None:
                self.progress.draw()
            if time.monotonic() - last_save >= self.args.checkpoint_interval:
                self._save_checkpoint()
                last_save = time.monotonic()

    def _send_file(self, f: InputFile) -> None:
        c = self.counters
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
                if not self._send_record(f, record):
                    break
            else:
                f.finished = True
        except (InputChanged, OutputError) as exc:
            self.error = f"{exc}" + ("; the checkpoint was left as it was" if isinstance(exc, InputChanged) else "")
        except OSError as exc:
            print(f"send: error reading {f.display}: {exc}", file=self.err)
            c.input_errors += 1
        finally:
            if handle is not None:
                handle.close()
            c.bytes_finished += reader.offset - start
            c.bytes_current = 0

    def _send_record(self, f: InputFile, record: Record) -> bool:
        """Reject or hand over one record; False when the run must stop reading."""
        c = self.counters
        if record.error is not None:
            self._reject(f, record, record.error, [{"path": "", "rule": "json", "message": record.error}])
            return True
        found = check_batch(record.value, self.args.historical, self.now_ms)
        if found:
            shown = "; ".join(str(p) for p in found[:3])
            more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
            problems = [{"path": p.path, "rule": p.rule, "message": p.message} for p in found]
            self._reject(f, record, f"invalid: {shown}{more}", problems)
            return True
        batch = record.value
        if not batch.get("source_request_id"):
            batch["source_request_id"] = source_request_id(f.key, record.offset, record.text)
        try:
            handed_over = self.upload.put(_item(f, record), batch, self.interrupt.event)
        except (TypeError, ValueError) as exc:  # over the size limit once its source_request_id is added
            self._reject(f, record, f"invalid: {exc}", [{"path": "", "rule": "max_bytes", "message": str(exc)}])
            return True
        c.valid += 1
        return handed_over and not self._stopping()

    def _reject(self, f: InputFile, record: Record, reason: str, problems: List[Dict[str, str]]) -> None:
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


def _item(f: InputFile, record: Record) -> Item:
    return Item(
        f,
        record.ordinal,
        record.line,
        record.end_offset,
        record.end_line,
        record.in_array,
        record.next_array_index,
        len(record.text),
    )


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
