"""zhtok.encode: corpus -> Megatron .bin/.idx or .npy, in order, resumable, nothing lost."""
import gzip
import json

import numpy as np
import pytest

from zhtok import encode as enc
from zhtok.bpe import Tokenizer
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


def test_resume_after_a_crash_is_byte_identical(tmp_path, jsonl, tok_path, monkeypatch):
    encode_corpus([jsonl], tok_path, tmp_path / "full", append_eod=True, batch_bytes=800)
    real = enc.IndexedDatasetWriter.add_documents
    calls = {"n": 0}

    def crashing(self, tokens, lengths):  # killed in the middle of the run
        calls["n"] += 1
        if calls["n"] == 8:
            raise KeyboardInterrupt("killed")
        return real(self, tokens, lengths)

    monkeypatch.setattr(enc.IndexedDatasetWriter, "add_documents", crashing)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus([jsonl], tok_path, tmp_path / "part", append_eod=True, batch_bytes=800)
    assert not (tmp_path / "part_text_document.bin").exists()
    assert (tmp_path / "part.progress.json").exists()
    monkeypatch.setattr(enc.IndexedDatasetWriter, "add_documents", real)
    s = encode_corpus([jsonl], tok_path, tmp_path / "part", append_eod=True, batch_bytes=800, resume=True)
    assert s.documents == 300
    for suffix in (".bin", ".idx"):
        assert (tmp_path / f"full_text_document{suffix}").read_bytes() == (tmp_path / f"part_text_document{suffix}").read_bytes()
    assert not list(tmp_path.glob("part*.tmp")) and not (tmp_path / "part.progress.json").exists()


def test_resume_refuses_changed_options(tmp_path, jsonl, tok_path, monkeypatch):
    real = enc.IndexedDatasetWriter.add_documents
    calls = {"n": 0}

    def boom(self, tokens, lengths):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return real(self, tokens, lengths)

    monkeypatch.setattr(enc.IndexedDatasetWriter, "add_documents", boom)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus([jsonl], tok_path, tmp_path / "p", batch_bytes=800)
    monkeypatch.undo()
    assert (tmp_path / "p.progress.json").exists()
    with pytest.raises(Exception, match="changed"):
        encode_corpus([jsonl], tok_path, tmp_path / "p", append_eod=True, resume=True)
