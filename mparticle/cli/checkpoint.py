"""The checkpoint: which records are done (:class:`DoneSet` of :class:`Interval`), and the file
that records it (written atomically, checked before a resume trusts it)."""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import os
import stat
import tempfile
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence

from mparticle.cli.errors import UsageError
from mparticle.cli.paths import PRIVATE_MODE

__all__ = [
    "CHECKPOINT_TOOL",
    "CHECKPOINT_VERSION",
    "PREFIX_FIELDS",
    "DoneSet",
    "Interval",
    "checkpoint_checksum",
    "load_checkpoint",
    "write_json_atomic",
    "write_text_atomic",
]

#: Version 2: record start offsets in the ids, array positions, the content hash, a checksum.
CHECKPOINT_VERSION = 2
CHECKPOINT_TOOL = "mparticle send"


# -- which records are done ------------------------------------------------------------------


class Interval(NamedTuple):
    """Done records ``first..last`` and the input position right after ``last``: where a
    resumed reader starts. A checkpoint lists it as
    ``[first, last, end_offset, end_line, in_array, array_index]``."""

    first: int  #: ordinal of the first record (1-based)
    last: int  #: ordinal of the last record
    end_offset: int  #: byte offset just after ``last``
    end_line: int  #: line number at ``end_offset``
    in_array: bool  #: whether ``end_offset`` is inside a top-level array
    array_index: int  #: the array position of the element after ``last`` (0 outside arrays)


#: The checkpoint entry's summary of the done prefix: its keys, in the file's order, and the
#: :class:`Interval` fields they hold (0 without a prefix).
PREFIX_FIELDS = (("records_done", "last"), ("done_through_line", "end_line"), ("offset", "end_offset"))


class DoneSet:
    """Disjoint :class:`Interval` s of done records, in order. Out-of-order completions merge as
    they arrive, so the list stays short (gaps only where a batch failed or is pending)."""

    def __init__(self, intervals: Iterable[Sequence[Any]] = ()) -> None:
        """``intervals``: Interval objects, or a checkpoint's lists of six values."""
        self.intervals: List[Interval] = sorted((Interval(*i) for i in intervals), key=lambda i: i.first)
        self._starts = [i.first for i in self.intervals]

    def add(self, ordinal: int, end_offset: int, end_line: int, in_array: bool, array_index: int = 0) -> bool:
        """Mark one record done (with the position after it); False (and nothing changes) for a
        record done already."""
        ivs, starts = self.intervals, self._starts
        i = bisect.bisect_right(starts, ordinal) - 1
        if i >= 0 and ivs[i].last >= ordinal:
            return False
        merge_prev = i >= 0 and ivs[i].last == ordinal - 1
        merge_next = i + 1 < len(ivs) and ivs[i + 1].first == ordinal + 1
        if merge_prev and merge_next:  # the gap closes: one interval
            ivs[i] = ivs[i + 1]._replace(first=ivs[i].first)
            del ivs[i + 1], starts[i + 1]
        elif merge_prev:
            ivs[i] = Interval(ivs[i].first, ordinal, end_offset, end_line, in_array, array_index)
        elif merge_next:
            ivs[i + 1] = ivs[i + 1]._replace(first=ordinal)
            starts[i + 1] = ordinal
        else:
            ivs.insert(i + 1, Interval(ordinal, ordinal, end_offset, end_line, in_array, array_index))
            starts.insert(i + 1, ordinal)
        return True

    def __contains__(self, ordinal: object) -> bool:
        if not isinstance(ordinal, int):
            return False
        i = bisect.bisect_right(self._starts, ordinal) - 1
        return i >= 0 and self.intervals[i].last >= ordinal

    def prefix(self) -> Optional[Interval]:
        """The interval starting at record 1 (the contiguous done prefix), if any."""
        return self.intervals[0] if self.intervals and self.intervals[0].first == 1 else None

    def prefix_fields(self) -> Dict[str, int]:
        """The checkpoint entry's ``records_done``, ``done_through_line`` and ``offset``."""
        prefix = self.prefix()
        return {key: getattr(prefix, field) if prefix else 0 for key, field in PREFIX_FIELDS}

    def count(self) -> int:
        """Number of done records."""
        return sum(i.last - i.first + 1 for i in self.intervals)

    def as_lists(self) -> List[List[Any]]:
        """The intervals as a checkpoint lists them."""
        return [list(i) for i in self.intervals]


# -- the checkpoint file ----------------------------------------------------------------------


def checkpoint_checksum(doc: Dict[str, Any]) -> str:
    """SHA-256 of the checkpoint ``doc`` without its ``checksum`` (canonical JSON)."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")).hexdigest()


def write_json_atomic(path: str, doc: Any) -> None:
    """Write ``doc`` to ``path`` as :func:`write_text_atomic` does (a checkpoint in its layout,
    anything else as one line of JSON)."""
    write_text_atomic(path, _format_checkpoint(doc) if isinstance(doc, dict) and "files" in doc else json.dumps(doc))


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` and a newline to ``path`` through a new temporary file, fsync and a
    rename (never half-written). A new file is ``0600``; an existing one's mode is kept, minus
    any group or other permission (never widened)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode) & PRIVATE_MODE
    except FileNotFoundError:
        mode = PRIVATE_MODE
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)  # 0600, O_EXCL
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
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
    doc = _read_json(path)
    if doc is None:
        return None
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


def _read_json(path: str) -> Any:
    """The JSON value in the file ``path``, None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read the checkpoint {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"the checkpoint {path} is not valid JSON ({str(exc)[:200]}); {_FRESH}") from None


_FRESH = "start over with --restart (which discards it) or give another --checkpoint"


def _is_int(value: Any, low: int = 0) -> bool:
    return type(value) is int and value >= low


def _is_sha256(value: Any) -> bool:
    """64 lowercase hex digits."""
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


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
    return (
        _fields_problem(entry)
        or _done_problem(entry["done"], entry["hashed_bytes"])
        or _prefix_problem(entry)
        or _rejected_problem(entry)
    )


def _rejected_problem(entry: Dict[str, Any]) -> Optional[str]:
    """Whether the entry's count of rejected records fits its done records, or None."""
    done = DoneSet(entry["done"]).count()
    if entry["rejected"] > done:
        return f"`rejected` ({entry['rejected']}) is more than the {done} records done"
    return None


def _fields_problem(entry: Dict[str, Any]) -> Optional[str]:
    """What is wrong with the fields of an entry other than the done intervals, or None."""
    if not isinstance(entry.get("name"), str):
        return "`name` must be a string"
    if entry.get("size") is not None and not _is_int(entry.get("size")):
        return "`size` must be a non-negative integer or null"
    if not _is_int(entry.get("hashed_bytes")):
        return "`hashed_bytes` must be a non-negative integer"
    if not _is_sha256(entry.get("sha256")):
        return "`sha256` must be 64 lowercase hex digits"
    if type(entry.get("complete")) is not bool:
        return "`complete` must be true or false"
    if not isinstance(entry.get("done"), list):
        return "`done` must be an array"
    if not _is_int(entry.get("rejected")):
        return "`rejected` must be a non-negative integer"
    return None


def _done_problem(done: List[Any], hashed: int) -> Optional[str]:
    """What is wrong with an entry's done intervals, or None."""
    previous: Optional[Interval] = None
    for n, interval in enumerate(done):
        problem = _interval_problem(interval, previous, hashed)
        if problem is not None:
            return f"done[{n}]: {problem}"
        previous = Interval(*interval)
    return None


def _prefix_problem(entry: Dict[str, Any]) -> Optional[str]:
    """Whether the entry's summary of the done prefix matches its intervals, or None."""
    expected = DoneSet(entry["done"]).prefix_fields()
    for name in ("records_done", "offset", "done_through_line"):
        value = entry.get(name)
        if not _is_int(value):
            return f"`{name}` must be a non-negative integer"
        if value != expected[name]:
            return f"`{name}` ({value}) does not match `done`"
    return None


def _interval_problem(interval: Any, previous: Optional[Interval], hashed: int) -> Optional[str]:
    """What is wrong with one done interval (given the one before it), or None."""
    if not isinstance(interval, list) or len(interval) != len(Interval._fields):
        return "must be [first, last, end_offset, end_line, in_array, array_index]"
    candidate = Interval(*interval)
    problem = _values_problem(candidate)
    if problem is not None:
        return problem
    if candidate.end_offset > hashed:
        return f"end_offset {candidate.end_offset} is past the {hashed} bytes the checkpoint covers"
    return None if previous is None else _order_problem(candidate, previous)


def _values_problem(interval: Interval) -> Optional[str]:
    """Whether each of the six values has its type and range, or None."""
    first, last, end_offset, end_line, in_array, array_index = interval
    if not (_is_int(first, 1) and _is_int(last, 1) and first <= last):
        return "first and last must be record numbers (1, 2, ...) with first <= last"
    if not (_is_int(end_offset, 1) and _is_int(end_line, 1)):
        return "end_offset and end_line must be positive integers"
    if type(in_array) is not bool or not _is_int(array_index):
        return "in_array must be true or false and array_index a non-negative integer"
    return None


def _order_problem(interval: Interval, previous: Interval) -> Optional[str]:
    """Whether ``interval`` comes after ``previous`` (records and position), or None."""
    if interval.first <= previous.last:
        return "overlaps or is out of order with the interval before it"
    if interval.end_offset <= previous.end_offset or interval.end_line < previous.end_line:
        return "its end is not after the end of the interval before it"
    return None
