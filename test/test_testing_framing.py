"""Reading request bodies off the wire: Content-Length, chunked, gzip, limits (no sockets needed)."""

import gzip
import io

import pytest

from mparticle.testing.framing import MAX_DISCARD, ClientGone, Reject, gunzip, read_body


def read(raw, te=None, cl=None, limit=100):
    return read_body(io.BufferedReader(io.BytesIO(raw)), te, cl, limit)


def test_content_length():
    assert read(b"hello", cl="5") == (b"hello", 5, None)
    assert read(b"", cl=None) == (b"", 0, None)
    assert read(b"abc", cl="0") == (b"", 0, None)
    with pytest.raises(ClientGone):
        read(b"hel", cl="5")


@pytest.mark.parametrize("cl", ["-1", "x", "1.5"])
def test_bad_content_length_closes(cl):
    body, size, problem = read(b"", cl=cl)
    assert (body, size, problem.status, problem.close) == (b"", 0, 400, True)


def test_too_large_is_discarded_to_keep_the_connection():
    stream = io.BufferedReader(io.BytesIO(b"x" * 150 + b"NEXT"))
    body, size, problem = read_body(stream, None, "150", 100)
    assert (body, size, problem.status, problem.close) == (b"", 150, 413, False)
    assert stream.read() == b"NEXT"  # the next request starts where it should
    body, size, problem = read(b"", cl=str(MAX_DISCARD + 1))
    assert (size, problem.status, problem.close) == (MAX_DISCARD + 1, 413, True)


def test_chunked():
    raw = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
    assert read(raw, te="chunked") == (b"abcde", 5, None)
    assert read(raw, te=" Chunked ") == (b"abcde", 5, None)
    with pytest.raises(ClientGone):
        read(b"5\r\nab", te="chunked")
    with pytest.raises(ClientGone):
        read(b"0\r\n", te="chunked")  # the trailer's blank line never comes
    assert read(b"zz\r\n", te="chunked")[2].status == 400
    _, total, problem = read(b"65\r\n", te="chunked", limit=100)
    assert (total, problem.status, problem.close) == (101, 413, True)


def test_transfer_encodings():
    assert read(b"hi", te="identity", cl="2") == (b"hi", 2, None)
    problem = read(b"", te="gzip")[2]
    assert (problem.status, problem.close) == (400, True) and "gzip" in problem.message


def test_gunzip():
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd") + b"\x00\x00", 10) == b"abcd"
    with pytest.raises(Reject) as info:
        gunzip(gzip.compress(b"x" * 11), 10)
    assert info.value.status == 413
    for bad in (b"not gzip", gzip.compress(b"abc")[:-4]):
        with pytest.raises(Reject) as info:
            gunzip(bad, 10)
        assert info.value.status == 400


def test_reject_lists_its_errors():
    assert Reject(400, "m").errors == ["m"]
    assert Reject(400, "a; b", errors=["a", "b"]).errors == ["a", "b"]
