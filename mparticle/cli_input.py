"""Old import path of the CLI's streaming reader: :mod:`mparticle.cli.input`."""

from mparticle.cli.input import (
    CHUNK_SIZE,
    MAX_RECORD_CHARS,
    ContentHash,
    HashingStream,
    InputChanged,
    Record,
    RecordReader,
)

__all__ = ["CHUNK_SIZE", "MAX_RECORD_CHARS", "ContentHash", "HashingStream", "InputChanged", "Record", "RecordReader"]
