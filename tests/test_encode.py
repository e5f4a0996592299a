"""zhtok.encode: corpus -> Megatron .bin/.idx or .npy, in order, resumable, nothing lost."""
import gzip
import json

import numpy as np
import pytest

from zhtok import encode as enc
from zhtok.bpe import Tokenizer
from zhtok.errors import InputError
from zhtok.encode import encode_corpus
from zhtok.megatron import IndexedDataset

DOCS = [f"第{i}篇文档：南京市长江大桥, doc {i} in English." for i in range(300)]


@pytest.fixture(scope="module")
def tok_path(tmp_path_factory):
    from zhtok.bpe import train_tokenizer

    path = tmp_path_factory.mktemp("tok") / "t.ztok"
    corpus = path.parent / "c.txt"
    corpus.write_text("\n".join(DOCS), encoding="utf-8")
    train_tokenizer([corpus], 600, path, min_frequency=1)
    return path


@pytest.fixture()
def jsonl(tmp_path):
    path = tmp_path / "docs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i, d in enumerate(DOCS):
            f.write(json.dumps({"text": d, "title": f"标题{i}"}, ensure_ascii=False) + "\n")
    return path


def read(prefix):
    ds = IndexedDataset(prefix)
    return [ds[i].tolist() for i in range(len(ds))]


def test_jsonl_two_keys_in_order_with_eod(tmp_path, jsonl, tok_path):
    tok = Tokenizer.from_file(tok_path)
    s = encode_corpus([jsonl], tok_path, tmp_path / "out" / "c", json_keys=["text", "title"], append_eod=True)
    assert s.documents == 600 and not s.bad
    texts = read(tmp_path / "out" / "c_text_document")
    titles = read(tmp_path / "out" / "c_title_document")
    assert texts == [tok.encode(d) + [tok.eod_id] for d in DOCS]
    assert titles == [tok.encode(f"标题{i}") + [tok.eod_id] for i in range(300)]
    assert s.tokens == sum(map(len, texts)) + sum(map(len, titles))
    assert IndexedDataset(tmp_path / "out" / "c_text_document").dtype == np.uint16


def test_txt_a_document_a_line_and_threads_agree(tmp_path, tok_path):
    src = tmp_path / "a.txt"
    src.write_text("\n".join(DOCS) + "\n", encoding="utf-8")
    encode_corpus([src], tok_path, tmp_path / "one", workers=1, batch_bytes=500)
    encode_corpus([src], tok_path, tmp_path / "two", workers=2)
    for suffix in (".bin", ".idx"):
        assert (tmp_path / f"one_text_document{suffix}").read_bytes() == (tmp_path / f"two_text_document{suffix}").read_bytes()


def test_npy_format(tmp_path, tok_path):
    src = tmp_path / "a.txt"
    src.write_text("\n".join(DOCS[:10]), encoding="utf-8")
    encode_corpus([src], tok_path, tmp_path / "n", fmt="npy", append_eod=True)
    tok = Tokenizer.from_file(tok_path)
    arr = np.load(tmp_path / "n_text.npy")
    assert arr.dtype == np.uint16
    assert arr.tolist() == [i for d in DOCS[:10] for i in tok.encode(d) + [tok.eod_id]]


def test_bad_records_reported_not_dropped_silently(tmp_path, tok_path):
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b'{"text": "ok"}\nnot json\n{"title": "no text"}\n{"text": "\xfe"}\n{"text": "ok2"}\n')
    s = encode_corpus([src], tok_path, tmp_path / "b")
    assert s.documents == 2 and [b.line for b in s.bad] == [2, 3, 4]
    assert "3 records skipped" in str(s)
    with pytest.raises(Exception, match=f"{src}:2"):
        encode_corpus([src], tok_path, tmp_path / "c", on_error="fail")
    assert not (tmp_path / "c_text_document.bin").exists()


def kill_at_call(monkeypatch, n: int) -> None:
    """The n-th add_documents call raises KeyboardInterrupt: a kill in the middle of a run
    (monkeypatch.undo() ends it)."""
    real = enc.IndexedDatasetWriter.add_documents
    calls = {"n": 0}

    def crashing(self, tokens, lengths):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt("killed")
        return real(self, tokens, lengths)

    monkeypatch.setattr(enc.IndexedDatasetWriter, "add_documents", crashing)


def test_resume_after_a_crash_is_byte_identical(tmp_path, jsonl, tok_path, monkeypatch):
    encode_corpus([jsonl], tok_path, tmp_path / "full", append_eod=True, batch_bytes=800, checkpoint_bytes=800)
    kill_at_call(monkeypatch, 8)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus([jsonl], tok_path, tmp_path / "part", append_eod=True, batch_bytes=800, checkpoint_bytes=800)
    assert not (tmp_path / "part_text_document.bin").exists()
    assert (tmp_path / "part.progress.json").exists()
    monkeypatch.undo()
    s = encode_corpus([jsonl], tok_path, tmp_path / "part", append_eod=True, batch_bytes=800, checkpoint_bytes=800, resume=True)
    assert s.documents == 300 and 0 < s.resumed_documents < 300
    assert f"resumed: {s.resumed_documents:,} of the documents" in str(s)
    for suffix in (".bin", ".idx"):
        assert (tmp_path / f"full_text_document{suffix}").read_bytes() == (tmp_path / f"part_text_document{suffix}").read_bytes()
    assert not list(tmp_path.glob("part*.tmp")) and not (tmp_path / "part.progress.json").exists()


def test_resume_refuses_changed_options(tmp_path, jsonl, tok_path, monkeypatch):
    kill_at_call(monkeypatch, 6)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus([jsonl], tok_path, tmp_path / "p", batch_bytes=800, checkpoint_bytes=800)
    monkeypatch.undo()
    assert (tmp_path / "p.progress.json").exists()
    with pytest.raises(Exception, match="changed"):
        encode_corpus([jsonl], tok_path, tmp_path / "p", append_eod=True, resume=True)


def test_fast_segmentation_encodes_as_the_fast_tokenizer(tmp_path, jsonl, tok_path, monkeypatch):
    s = encode_corpus([jsonl], tok_path, tmp_path / "f", fast_segmentation=True, workers=2)
    fast = Tokenizer.from_file(tok_path, fast_segmentation=True)
    assert s.documents == 300 and read(tmp_path / "f_text_document") == fast.encode_batch(DOCS)
    # a run resumed with the other segmentation would mix two encodings: refused
    kill_at_call(monkeypatch, 6)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus([jsonl], tok_path, tmp_path / "p", batch_bytes=800, checkpoint_bytes=800)
    monkeypatch.undo()
    with pytest.raises(InputError, match="changed"):
        encode_corpus([jsonl], tok_path, tmp_path / "p", fast_segmentation=True, resume=True)


# -- the core path (lines parsed and encoded in C++) against the Python path it replaced ---------------

def python_path_encode(paths, tok_path, prefix, keys, append_eod):
    """zhtok encode as it was before the lines were read in the core: CorpusReader's documents,
    encode_to_numpy, one writer per key. Returns the bad records."""
    from zhtok.corpus import CorpusReader
    from zhtok.megatron import IndexedDatasetWriter

    tok = Tokenizer.from_file(tok_path)
    reader = CorpusReader(paths, keys)
    writers = {k: IndexedDatasetWriter(f"{prefix}_{k}_document", np.uint16) for k in keys}
    for _, _, key, text in reader:
        ids, _ = tok.encode_to_numpy([text], threads=1)
        if append_eod:
            ids = np.append(ids, np.uint32(tok.eod_id))
        writers[key].add_documents(ids, [len(ids)])
    for w in writers.values():
        w.finalize()
    return reader.stats.bad


MESSY = ("\ufeff" + '{"text": "第一篇", "title": "标题"}\r\n'
         "\r\n"  # empty: skipped silently
         '   \t\r\n'
         "\u3000\u2028\n"  # Python whitespace: skipped silently, as line.strip() did
         '{"text": "a\\ud800b", "title": "\\ud83d\\ude00"}\n'
         "not json\n"
         '{"text": "tab\there"}\n'
         '[1, 2]\n'
         '{"title": "no text"}\n'
         '{"text": 3, "title": "x"}\n'
         '{"text": "dup", "text": "last one"}\n'
         '{"text": "trailing"} junk\n'
         '\ufeff{"text": "a BOM inside the file"}\n'
         '{"text": NaN, "title": "nan"}\n'
         '{"text": "南京市长江大桥' + "长" * 500 + '", "title": ""}\r\n').encode("utf-8") + (
         b'{"text": "\xe4\xb8"}\n'
         b'{"text": "\xed\xa0\x80"}\n'
         b'{"text": "last line, no LF"}\r')


@pytest.mark.parametrize("workers, batch_bytes", [(1, 4 << 20), (2, 64), (2, 4 << 20)])
def test_core_path_output_is_byte_identical_to_the_python_path(tmp_path, tok_path, workers, batch_bytes):
    src = tmp_path / "messy.jsonl"
    src.write_bytes(MESSY)
    gz = tmp_path / "more.jsonl.gz"
    with gzip.open(gz, "wb") as f:
        f.write(MESSY * 3)
    txt = tmp_path / "plain.txt"
    txt.write_bytes(b"\xef\xbb\xbfline one\r\n\r\n\xff bad\nlast\r")
    paths, keys = [src, gz, txt], ["text", "title"]
    expected_bad = python_path_encode(paths, tok_path, tmp_path / "old", keys, append_eod=True)
    s = encode_corpus(paths, tok_path, tmp_path / "new", json_keys=keys, append_eod=True, workers=workers,
                      batch_bytes=batch_bytes)
    for name in ("text_document.bin", "text_document.idx", "title_document.bin", "title_document.idx"):
        assert (tmp_path / f"new_{name}").read_bytes() == (tmp_path / f"old_{name}").read_bytes(), name
    assert s.bad == expected_bad
    assert [(b.line, b.reason) for b in s.bad[:8]] == [
        (6, "invalid JSON: Expecting value at column 1"),
        (7, "invalid JSON: Invalid control character at at column 14"),
        (8, "JSON line is not an object"),
        (9, "key 'text' is missing or not a string"),
        (10, "key 'text' is missing or not a string"),
        (11, "key 'title' is missing or not a string"),
        (12, "invalid JSON: Extra data at column 22"),
        (13, "invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) at column 1")]
    assert s.documents == len(read(tmp_path / "new_text_document")) + len(read(tmp_path / "new_title_document"))


def test_a_line_python_could_not_parse_is_a_bad_record(tmp_path, tok_path):
    # json.loads raised RecursionError here, and the run died with a traceback. The line's
    # object is the first of the 1000 levels allowed.
    src = tmp_path / "deep.jsonl"
    src.write_text('{"text": "before"}\n{"x": ' + "[" * 5000 + "]" * 5000 + ', "text": "deep"}\n'
                   '{"n": ' + "7" * 5000 + ', "text": "a long int is valid JSON"}\n', encoding="utf-8")
    s = encode_corpus([src], tok_path, tmp_path / "d")
    assert [(b.line, b.reason) for b in s.bad] == [(2, "invalid JSON: Nested deeper than 1000 levels at column 1006")]
    tok = Tokenizer.from_file(tok_path)
    assert read(tmp_path / "d_text_document") == [tok.encode("before"), tok.encode("a long int is valid JSON")]


def test_on_error_fail_stops_at_the_first_bad_record(tmp_path, tok_path):
    src = tmp_path / "f.jsonl"
    src.write_text('{"text": "ok"}\n' * 50 + '{"text": "no end\n' + '{"text": "ok"}\n' * 50, encoding="utf-8")
    with pytest.raises(InputError, match=f"{src}:51: invalid JSON: Unterminated string starting at at column 10") as e:
        encode_corpus([src], tok_path, tmp_path / "f", on_error="fail", workers=2, batch_bytes=100)
    assert e.value.line == 51 and e.value.record.reason.startswith("invalid JSON")
    assert not (tmp_path / "f_text_document.bin").exists()


def test_resume_finds_the_same_bad_records(tmp_path, tok_path, monkeypatch):
    src = tmp_path / "r.jsonl"
    src.write_bytes(MESSY * 20)
    full = encode_corpus([src], tok_path, tmp_path / "full", batch_bytes=2000, checkpoint_bytes=2000)
    kill_at_call(monkeypatch, 5)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus([src], tok_path, tmp_path / "part", batch_bytes=2000, checkpoint_bytes=2000)
    monkeypatch.undo()
    again = encode_corpus([src], tok_path, tmp_path / "part", batch_bytes=2000, checkpoint_bytes=2000, resume=True)
    assert again.bad == full.bad and again.documents == full.documents and again.tokens == full.tokens
    for suffix in (".bin", ".idx"):
        assert (tmp_path / f"full_text_document{suffix}").read_bytes() == (tmp_path / f"part_text_document{suffix}").read_bytes()


def test_keys_every_input_can_be_written_under(tmp_path, tok_path):
    txt = tmp_path / "a.txt"
    txt.write_text("hello\n", encoding="utf-8")
    with pytest.raises(InputError, match="under the key 'text'"):
        encode_corpus([txt], tok_path, tmp_path / "k", json_keys=["title"])
    with pytest.raises(ValueError, match="distinct"):
        encode_corpus([txt], tok_path, tmp_path / "k", json_keys=["text", "text"])


# -- the core's batch reading (_core.encode_lines) -----------------------------------------------------

def test_core_batches_give_ids_in_the_writers_dtype_and_count_lines(tok_path):
    from zhtok import _core

    tok = Tokenizer.from_file(tok_path)
    text = "南京市长江大桥"
    block = f"{text}\r\nabc\n\n{text}".encode()  # CRLF, LF, an empty line, a last line without LF
    args = dict(max_line_bytes=100, too_long_reason="too long")
    runs = {}
    for dtype in ("uint16", "int32", "uint32"):
        (docs,), bad, lines = _core.encode_lines([memoryview(block)[:], None], None, tok._core, dtype=dtype, **args)
        ids, lengths = docs
        assert ids.dtype == np.dtype(dtype) and lines == 5 and bad == [(4, "too long")]
        runs[dtype] = (ids.tolist(), lengths.tolist())
    assert runs["uint16"] == runs["int32"] == runs["uint32"]
    ids, lengths = runs["uint16"]
    assert [tok.decode(ids[a - n:a]) for a, n in zip(np.cumsum(lengths), lengths)] == [text, "abc", "", text]
    with pytest.raises(ValueError, match="dtype"):
        _core.encode_lines([block], None, tok._core, dtype="int8", **args)
    with pytest.raises(ValueError, match="do not fit uint16"):
        _core.encode_lines([block], None, tok._core, dtype="uint16", eod=70000, **args)
    with pytest.raises(TypeError, match="bytes, memoryview or None"):
        _core.encode_lines([text], None, tok._core, **args)
    with pytest.raises(TypeError, match="contiguous"):
        _core.encode_lines([memoryview(block)[::2]], None, tok._core, **args)
    with pytest.raises(TypeError, match="read-only"):
        _core.encode_lines([memoryview(bytearray(block))], None, tok._core, **args)
