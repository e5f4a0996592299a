"""Reading lines in bounded pieces (zhtok/textio.py): pieces join back to the exact lines, with
their line numbers, offsets and sizes, whatever the bytes."""
import io

import pytest
from hypothesis import given, settings, strategies as st

from zhtok.errors import InputError
from zhtok.textio import BOM, line_pieces, read_lines, read_pieces, safe_cut


def lines_of(data: bytes, piece_bytes: int):
    """Joins the pieces back into lines, checking the pieces' bookkeeping on the way."""
    lines, parts, consumed = [], [], 0
    for p in line_pieces(io.BufferedReader(io.BytesIO(data), 64), piece_bytes):
        assert p.line == len(lines) + 1
        assert p.offset == sum(map(len, parts))
        assert p.last or len(p.data) <= 2 * piece_bytes
        consumed += p.size
        parts.append(p.data)
        if p.last:
            lines.append(b"".join(parts))
            parts = []
    assert not parts and (consumed == len(data) or data == BOM)  # a lone BOM is no line
    return lines


def expected_lines(data: bytes):
    body = data[3:] if data.startswith(BOM) else data
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in body.split(b"\n")]
    last = body.split(b"\n")[-1]  # not followed by a line end: a CR there is text
    return lines[:-1] + ([last] if last else [])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.lists(st.sampled_from([b"a", b" ", b"\n", b"\r\n", "中".encode(), "。".encode(),
                                                       b"\xff", BOM, b"9", b"\r"]), max_size=120).map(b"".join),
       st.integers(min_value=4, max_value=40))
def test_pieces_join_to_the_lines(data, piece_bytes):
    assert lines_of(data, piece_bytes) == expected_lines(data)


def test_pieces_cut_at_character_boundaries_preferring_whitespace():
    text = ("中文" * 5 + " ") * 30
    data = text.encode()
    pieces = list(line_pieces(io.BytesIO(data), 100))
    assert len(pieces) >= 10
    for p in pieces[:-1]:
        assert p.data.decode().endswith(" ")  # every cut right after a space
    assert safe_cut("abcdefgh。ij".encode()) == len("abcdefgh。".encode())
    assert 11 < safe_cut(b"x" * 22) <= 22  # no better place: cut anyway, in the second half
    cut = safe_cut("字母字母字母ABCDEFGHIJKL".encode())
    assert cut == len("字母字母字母".encode())  # not inside a run of letters, which is one word


def test_read_pieces_reports_bad_utf8_with_the_offset_in_the_line(tmp_path):
    f = tmp_path / "long.txt"
    f.write_bytes(b"ok\n" + b"a " * 100 + b"\xff" + b" b" * 100 + b"\n")
    with pytest.raises(InputError, match=r"long.txt:2: invalid UTF-8 at byte 200 of the line"):
        list(read_pieces([str(f)], piece_bytes=64))
    joined = list(read_lines([str(f)], errors="replace"))
    assert joined[1] == "a " * 100 + "\ufffd" + " b" * 100
