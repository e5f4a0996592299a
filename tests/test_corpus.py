"""zhtok.corpus: documents with their file and line, bad records reported, long lines bounded."""
from unittest.mock import patch

import pytest
from hypothesis import given, settings, strategies as st

import zhtok.encode
from zhtok import corpus
from zhtok.corpus import CorpusReader
from zhtok.errors import InputError


def docs(reader):
    return [(line, key, text) for _, line, key, text in reader]


def test_a_line_over_the_limit_is_a_bad_record_and_its_neighbours_are_read(tmp_path):
    src = tmp_path / "long.txt"
    src.write_bytes("\ufeff第一行\r\n".encode() + "长".encode() * 2_000_000 + "\n最后一行".encode())
    reader = CorpusReader([src], max_line_bytes=5_000_000)
    assert docs(reader) == [(1, "text", "第一行"), (3, "text", "最后一行")]
    assert [(b.line, b.reason) for b in reader.stats.bad] == [(2, "line longer than the limit of 5,000,000 bytes")]
    assert reader.stats.lines == 3 and reader.stats.bytes == src.stat().st_size
    with pytest.raises(InputError, match=f"{src}:2: line longer than the limit"):
        docs(CorpusReader([src], max_line_bytes=5_000_000, on_error="fail"))
    # Under the limit the same line is one document, read in pieces and joined.
    assert docs(CorpusReader([src], max_line_bytes=6_000_000))[1] == (2, "text", "长" * 2_000_000)


def test_a_jsonl_file_without_newlines_over_the_limit(tmp_path):
    src = tmp_path / "one.jsonl"
    src.write_text('{"text": "' + "x" * 3_000_000 + '"}', encoding="utf-8")
    reader = CorpusReader([src], max_line_bytes=1 << 20)
    assert docs(reader) == [] and [(b.line, b.reason) for b in reader.stats.bad] == [
        (1, "line longer than the limit of 1 MiB")]


def test_byte_ranges_cover_the_file_once(tmp_path):
    src = tmp_path / "a.txt"
    lines = [f"第{i}行" for i in range(50)]
    data = ("\ufeff" + "\n".join(lines) + "\n").encode()
    src.write_bytes(data)
    cut = data.index(b"\n", len(data) // 2) + 1
    first = docs(CorpusReader([src], byte_range=(0, cut)))
    second = docs(CorpusReader([src], byte_range=(cut, len(data))))
    assert [t for _, _, t in first + second] == lines
    assert second[0][0] == 1  # numbered from the range's start; callers add the lines before
    with pytest.raises(InputError, match="not at a line start"):
        docs(CorpusReader([src], byte_range=(0, cut - 2)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"\r", "\u4e2d".encode(), b"\xef\xbb\xbf", b"\xff"]),
                max_size=60).map(b"".join),
       st.integers(1, 9), st.integers(1, 12))
def test_lines_across_block_boundaries(tmp_path_factory, data, block, limit):
    # Blocks of a few bytes put every line across block boundaries; the result must be that of
    # splitting the whole file: BOM at the start dropped, CR dropped before LF only, lines over
    # the limit reported, nothing else lost.
    src = tmp_path_factory.mktemp("c") / "a.txt"
    src.write_bytes(data)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    lines = body.split(b"\n")
    last = lines.pop()
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines] + ([last] if last else [])
    expected_docs, expected_bad = [], []
    for i, ln in enumerate(lines, 1):
        if len(ln) > limit:
            expected_bad.append((i, "line longer than the limit of " + f"{limit:,} bytes"))
        else:
            try:
                expected_docs.append((i, "text", ln.decode("utf-8")))
            except UnicodeDecodeError as e:
                expected_bad.append((i, f"invalid UTF-8 at byte {e.start} of the line"))
    with patch.object(corpus, "_BLOCK", block):
        reader = CorpusReader([src], max_line_bytes=limit)
        assert docs(reader) == expected_docs
    assert [(b.line, b.reason) for b in reader.stats.bad] == expected_bad
    assert reader.stats.bytes == len(data)


# -- the core's reading of raw lines (zhtok encode) against the Python path above ---------------------

JSONL_LINES = [b'{"text": "a", "title": "t"}', b'{"text": "\\ud800 \\ud83d\\ude00"}', b'{"text": 1, "title": "x"}',
               b'{"title": "only"}', b"[1]", b"nope", b'{"text": "a"} x', b"", b" ", "\u3000\u2028".encode(),
               b"\x1c", b"\xff", b'{"text": "\xe4\xb8\xad\xe6"}', b'\xef\xbb\xbf{"text": "bom"}', b'{"text": "dup", "text": "2"}',
               b'{"text": "' + "长".encode() * 3 + b'"}', b"[" * 1200, b'{"text": "tab\tinside"}', b'{"text": ""}']
SEPARATORS = [b"\n", b"\r\n", b"\r", b"\r\r\n", b"\n\n"]


def core_docs(reader, keys, batch_bytes, threads=1):
    """(key, text) per key in order, as zhtok encode's core path reads them (decoded from ids of
    the default tokenizer, which round-trip any str)."""
    from zhtok.bpe import Tokenizer
    from zhtok.encode import encoded_batches

    tok = Tokenizer.default()
    out: dict[str, list[str]] = {}
    for docs, _ in encoded_batches(reader, tok, keys, None, threads, batch_bytes):
        for key, (ids, lengths) in docs.items():
            if not len(lengths):
                continue
            ends = lengths.cumsum()
            out.setdefault(key, []).extend(tok.decode(ids[e - n:e].tolist()) for e, n in zip(ends, lengths))
    return out


def python_docs(reader):
    out: dict[str, list[str]] = {}
    for _, _, key, text in reader:
        out.setdefault(key, []).append(text)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(JSONL_LINES), st.sampled_from(SEPARATORS)), max_size=25),
       st.booleans(), st.booleans(), st.integers(2, 40), st.integers(1, 4000), st.sampled_from([1, 2]),
       st.sampled_from([["text"], ["text", "title"], ["title", "text"]]), st.integers(1, 80))
def test_core_reading_is_the_python_reading(tmp_path_factory, lines, bom, jsonl, block, batch_bytes, threads, keys,
                                            chunk):
    # Documents (per key, in order), bad records and counts: the same whether the lines are
    # parsed in Python or in the core, across block and batch boundaries, with CRLF, a BOM,
    # blank lines, long lines, and a last line with no LF.
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(line + sep for line, sep in lines)
    if lines and lines[-1][1] == b"\r\n":
        data = data[:-1]  # the last line ends in a CR with no LF: kept, as the Python path keeps it
    src = tmp_path_factory.mktemp("c") / ("a.jsonl" if jsonl else "a.txt")
    src.write_bytes(data)
    keys = keys if jsonl else ["text"]
    with patch.object(corpus, "_BLOCK", block), patch.object(zhtok.encode, "_CHUNK_BYTES", chunk):
        slow = CorpusReader([src], keys, max_line_bytes=60)
        fast = CorpusReader([src], keys, max_line_bytes=60)
        assert core_docs(fast, keys, batch_bytes, threads) == python_docs(slow)
    assert fast.stats == slow.stats


@pytest.mark.parametrize("threads", [1, 2])
def test_core_reading_cuts_big_blocks_into_chunks_at_line_ends(tmp_path, threads):
    # Blocks of 256 KiB go to the core whole and are cut into 64 KiB chunks there: lines that
    # end just before, at and after a cut, a CRLF split by one, long lines spanning several.
    lines, size = [], 0
    for i in range(4000):
        n = (i * 7919) % 300 if i % 50 else 70_000 + i
        line = (f"{i}:" + "字a" * n)[: n + 3]
        lines.append(line)
        size += len(line.encode()) + 2
    data = "\r\n".join(lines).encode() + b"\r\n"
    src = tmp_path / "big.txt"
    src.write_bytes(data)
    assert size > 4 * (1 << 18)
    slow = CorpusReader([src], ["text"], max_line_bytes=1 << 20)
    fast = CorpusReader([src], ["text"], max_line_bytes=1 << 20)
    assert core_docs(fast, ["text"], 1 << 20, threads) == python_docs(slow) == {"text": lines}
    assert fast.stats == slow.stats and fast.stats.lines == len(lines)
