"""The input files of a send: opened and checked, matched against a checkpoint, read from
where the checkpoint left off, and the stable ids of their records."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import uuid
from dataclasses import dataclass, field
from typing import IO, Any, Dict, List, Optional, Tuple

from mparticle.cli.checkpoint import DoneSet
from mparticle.cli.errors import UsageError
from mparticle.cli.input import ContentHash, HashingStream, RecordReader
from mparticle.cli.signals import Interrupt, InterruptibleStream

__all__ = ["InputFile", "apply_checkpoint", "open_inputs", "reader_for", "source_request_id"]

_HASH_CHUNK = 1024 * 1024
#: Namespace of the derived ``source_request_id`` values (uuid5).
SOURCE_ID_NAMESPACE = uuid.UUID("6d7061f2-7469-436c-a5e2-73656e64cafe")


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
    return _uuid5(f"{key}\n@{offset}\n{digest}")


_NAMESPACE_BYTES = SOURCE_ID_NAMESPACE.bytes


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(SOURCE_ID_NAMESPACE, name))`` without the UUID object (a third of the time)."""
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


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
    rejected: int = 0  #: done records that were rejected, earlier runs included (guarded as ``done``)
    rejected_before: int = 0  #: of those, the ones an earlier run rejected (the checkpoint's count)

    @property
    def display(self) -> str:
        return "<stdin>" if self.name == "-" else self.name


def open_inputs(names: List[str]) -> List[InputFile]:
    """The inputs named on the command line (``-``: stdin), each checked to be readable;
    UsageError otherwise, or when one is given twice."""
    if names.count("-") > 1:
        raise UsageError("stdin (-) can be given only once")
    files = [_input_file(name) for name in names]
    keys = [f.key for f in files]
    identities = [f.identity for f in files if f.identity is not None]
    if len(set(keys)) != len(keys) or len(set(identities)) != len(identities):
        raise UsageError("the same input file is given twice")
    return files


def _input_file(name: str) -> InputFile:
    if name == "-":
        return InputFile(name="-", key="<stdin>", size=None, content=ContentHash("<stdin>"))
    try:
        st = os.stat(name)
        if not stat.S_ISREG(st.st_mode):  # (before opening it: a FIFO would block)
            raise UsageError(f"{name} is not a regular file")
        os.close(os.open(name, os.O_RDONLY))
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    return InputFile(
        name=name,
        key=os.path.realpath(name),
        size=st.st_size,
        identity=(st.st_dev, st.st_ino),
        content=ContentHash(name),
    )


def reader_for(f: InputFile, interrupt: Interrupt, stdin: Any) -> Tuple[RecordReader, Optional[IO[bytes]]]:
    """A reader positioned after the contiguous done prefix of ``f`` (stdin: at its start)."""
    if f.name == "-":
        return RecordReader(HashingStream(InterruptibleStream(stdin, interrupt), 0, f.content)), None  # type: ignore[arg-type]
    handle = open(f.name, "rb")
    prefix = f.skip.prefix()
    if prefix is None:
        return RecordReader(HashingStream(handle, 0, f.content)), handle  # type: ignore[arg-type]
    handle.seek(prefix.end_offset)
    reader = RecordReader(
        HashingStream(handle, prefix.end_offset, f.content),  # type: ignore[arg-type]
        start_offset=prefix.end_offset,
        start_line=prefix.end_line,
        start_ordinal=prefix.last,
        in_array=prefix.in_array,
        array_index=prefix.array_index,
    )
    return reader, handle


def apply_checkpoint(files: List[InputFile], doc: Dict[str, Any], historical: bool) -> None:
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
        f.rejected = f.rejected_before = entry["rejected"]


def _verified_content(f: InputFile, hashed: int, digest: str) -> ContentHash:
    """The content hash of the first ``hashed`` bytes of ``f``, which must equal ``digest``."""
    changed = f"{f.name} changed since the checkpoint was written"
    fresh = "start over with --restart"
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
