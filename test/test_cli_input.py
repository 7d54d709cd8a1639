"""The streaming reader of batch files (every layout, broken and hostile input, resuming at any
record) and the content hash a checkpoint keeps of what was read."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mparticle.cli.input import ContentHash, HashingStream, InputChanged, RecordReader


def read(raw: bytes, chunk_size: int = 7, **options: Any) -> List[Any]:
    return list(RecordReader(io.BytesIO(raw), chunk_size=chunk_size, **options))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(st.text(max_size=6), json_values, max_size=4)


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(objects, max_size=12),
    layout=st.sampled_from(["jsonl", "array-pretty", "array-compact", "crlf"]),
    chunk=st.integers(min_value=1, max_value=64),
    cut=st.integers(min_value=0, max_value=11),
)
def test_reader_streams_every_layout_and_resumes_anywhere(
    items: List[Dict[str, Any]], layout: str, chunk: int, cut: int
) -> None:
    if layout == "jsonl":
        text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    elif layout == "crlf":
        text = "".join(json.dumps(i) + "\r\n" for i in items)
    elif layout == "array-pretty":
        text = json.dumps(items, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(items, ensure_ascii=False)
    raw = text.encode("utf-8")
    records = list(RecordReader(io.BytesIO(raw), chunk_size=chunk))
    assert [r.value for r in records] == items
    assert all(r.error is None for r in records)
    for r in records:
        assert raw[: r.end_offset].count(b"\n") + 1 == r.end_line
    if cut < len(records):  # resume right after record ``cut``
        at = records[cut]
        rest = RecordReader(
            io.BytesIO(raw[at.end_offset :]),
            start_offset=at.end_offset,
            start_line=at.end_line,
            start_ordinal=at.ordinal,
            in_array=at.in_array,
            array_index=at.next_array_index,
            chunk_size=chunk,
        )
        again = list(rest)
        same = ("value", "offset", "line", "ordinal", "array_index", "end_offset", "next_array_index")
        assert [[getattr(r, a) for a in same] for r in again] == [
            [getattr(r, a) for a in same] for r in records[cut + 1 :]
        ]


def test_reader_recovers_after_broken_lines() -> None:
    raw = b'{"a": 1}\n{"b": \n{"c": 3}\n{"d": "\xff"}\nnot json\n[{"e": 5}, {"f": 6}]\n'
    records = list(RecordReader(io.BytesIO(raw), chunk_size=4))
    assert [(r.line, r.value, r.error is not None) for r in records] == [
        (1, {"a": 1}, False),
        (2, None, True),
        (3, {"c": 3}, False),
        (4, None, True),
        (5, None, True),
        (6, {"e": 5}, False),
        (6, {"f": 6}, False),
    ]
    assert "invalid UTF-8" in (records[3].error or "")
    assert [r.array_index for r in records[-2:]] == [0, 1] and [r.next_array_index for r in records[-2:]] == [1, 2]
    assert [r.offset for r in records] == [
        raw.index(t) for t in (b'{"a"', b'{"b"', b'{"c"', b'{"d"', b"not", b'{"e"', b'{"f"')
    ]


def test_positions_are_bytes_and_lines_with_multibyte_text() -> None:
    first = json.dumps({"name": "\u00e9t\u00e9 \U0001f600"}, ensure_ascii=False)
    raw = (first + "\r\n\n  " + '{"b": 2}' + "\n").encode("utf-8")
    a, b = read(raw, chunk_size=3)
    assert (a.ordinal, a.offset, a.line, a.end_offset, a.end_line) == (1, 0, 1, len(first.encode()), 1)
    assert a.text == first and a.value == {"name": "\u00e9t\u00e9 \U0001f600"}
    assert (b.ordinal, b.offset, b.line) == (2, raw.index(b'{"b"'), 3)
    assert b.end_offset == raw.index(b"}\n", b.offset) + 1 and b.end_line == 3
    assert (a.array_index, a.in_array, a.next_array_index) == (None, False, 0)


def test_concatenated_and_pretty_objects() -> None:
    raw = b'{"a": 1}{"b": 2} {"c":\n  3\n}\n'
    assert [(r.value, r.line) for r in read(raw)] == [({"a": 1}, 1), ({"b": 2}, 1), ({"c": 3}, 1)]


def test_array_positions_and_a_resume_inside_an_array() -> None:
    raw = b'[{"a": 1},\n {"b": 2},\n {"c": 3}]\n[{"d": 4}]\n'
    records = read(raw)
    assert [(r.array_index, r.next_array_index, r.in_array) for r in records] == [
        (0, 1, True),
        (1, 2, True),
        (2, 3, True),  # (its "]" is read with what follows)
        (0, 1, True),
    ]
    at = records[0]
    rest = read(
        raw[at.end_offset :],
        start_offset=at.end_offset,
        start_line=at.end_line,
        start_ordinal=at.ordinal,
        in_array=at.in_array,
        array_index=at.next_array_index,
    )
    assert [(r.value, r.ordinal, r.array_index, r.offset, r.line) for r in rest] == [
        (r.value, r.ordinal, r.array_index, r.offset, r.line) for r in records[1:]
    ]


@pytest.mark.parametrize(
    "raw, message",
    [
        (b'{"n": ' + b"9" * 5000 + b"}\n", "a number has too many digits to be converted"),
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested too deeply"),
        (b'{"s": "\xff"}\n', "invalid UTF-8 in the input"),
        (b'{"a": tru}\n', "invalid JSON: Expecting value (line 1, column 7)"),
    ],
)
def test_hostile_records_become_errors_and_reading_goes_on(raw: bytes, message: str) -> None:
    records = read(raw + b'{"ok": 1}\n', chunk_size=4096)
    assert records[-1].value == {"ok": 1} and records[-1].error is None
    assert all(r.error is not None and r.value is None for r in records[:-1])
    assert any(message in (r.error or "") for r in records[:-1]), [r.error for r in records]


def test_a_record_over_the_size_limit_is_refused_with_its_text_cut() -> None:
    big = json.dumps({"a": "x" * 500})
    (huge, ok) = read((big + "\n" + '{"b": 1}' + "\n").encode(), chunk_size=16, max_record_chars=100)
    assert huge.error == "record is larger than 100 characters" and huge.value is None
    assert ok.value == {"b": 1} and ok.line == 2


def test_content_hash_follows_what_is_read_and_checks_an_expected_digest() -> None:
    raw = b'{"a": 1}\n{"b": 2}\n'
    content = ContentHash("in")
    assert content.state() == (0, hashlib.sha256().hexdigest())
    stream = HashingStream(io.BytesIO(raw), 0, content)
    assert [r.value for r in RecordReader(stream, chunk_size=5)] == [{"a": 1}, {"b": 2}]  # type: ignore[arg-type]
    assert content.state() == (len(raw), hashlib.sha256(raw).hexdigest()) and content.verified

    expect = (9, hashlib.sha256(raw[:9]).hexdigest())
    same = ContentHash("stdin", expect=expect)
    assert not same.verified
    HashingStream(io.BytesIO(raw), 0, same).read(100)
    assert same.verified and same.state() == (len(raw), hashlib.sha256(raw).hexdigest())

    other = ContentHash("stdin", expect=expect)
    with pytest.raises(InputChanged, match="the first 9 bytes of stdin differ"):
        HashingStream(io.BytesIO(b"X" + raw[1:]), 0, other).read(100)

    short = ContentHash("stdin", expect=expect)
    stream = HashingStream(io.BytesIO(raw[:5]), 0, short)
    assert stream.read(100) == raw[:5]
    with pytest.raises(InputChanged, match="stdin ended after 5 bytes"):
        stream.read(100)


def test_content_hash_skips_bytes_already_hashed_and_refuses_a_gap() -> None:
    content = ContentHash("f", hashlib.sha256(b"abc"), 3)
    content.update(1, b"bcdef")  # bytes 1..2 were hashed already
    assert content.state() == (6, hashlib.sha256(b"abcdef").hexdigest())
    with pytest.raises(ValueError, match="bytes 6..8 were not hashed"):
        content.update(8, b"x")


def test_a_json_lines_record_cut_short_is_placed_on_its_own_line() -> None:
    """The parser reads on to the next line before it gives up: the error points at the end of
    the record's own line (line 2), not at the start of the next record (line 3)."""
    first, cut, last = read(b'{"a": 1}\n{"environment": "development"\n{"b": 2}\n')
    assert first.value == {"a": 1} and last.value == {"b": 2}
    assert cut.line == 2 and cut.error == "invalid JSON: Expecting ',' delimiter (line 2, column 30)"


def test_a_pretty_printed_record_points_where_the_comma_is_missing() -> None:
    (record,) = read(b'{\n  "a": 1\n  "b": 2\n}\n')[:1]
    assert record.error == "invalid JSON: Expecting ',' delimiter (line 2, column 9)"
