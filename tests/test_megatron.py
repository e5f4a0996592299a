"""zhtok.megatron: Megatron-LM indexed dataset (.bin/.idx, "MMIDIDX" v1) writer and reader."""
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

# zhtok.megatron needs numpy, which is not (yet) among the package's dependencies.
np = pytest.importorskip("numpy", reason="numpy not installed (zhtok.megatron needs it)")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from zhtok.errors import FormatError  # noqa: E402
from zhtok.megatron import IndexedDataset, IndexedDatasetWriter, dtype_for_vocab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "megatron"


def _le(width, *values):
    return b"".join(int(v).to_bytes(width, "little", signed=True) for v in values)


# The golden pairs, laid out by hand from Megatron-LM's writer
# (megatron/core/datasets/indexed_dataset.py, _IndexWriter.__enter__ / write /
# _sequence_pointers; IndexedDatasetBuilder.add_item + end_document per document):
#   .idx = magic b"MMIDIDX\0\0" | version <Q 1 | dtype code <B | sequence count <Q |
#          document count <Q | lengths int32[N] | pointers int64[N] (bytes into .bin) |
#          document indices int64[D] (0, then the sequence count at each document's end)
#   .bin = the tokens of every sequence back to back, little-endian.
# The files in tests/golden/megatron/ were written once by Megatron-Core 0.16.1's own
# IndexedDatasetBuilder (torch CPU), their hexdumps checked against these bytes; the test below
# holds all three (hand layout, golden files, our writer) equal.
GOLDEN_CASES = {
    # docs [1, 2, 3], [], [258, 65535] as uint16 (code 8, 2 bytes a token)
    "uint16": (
        np.uint16,
        [[1, 2, 3], [], [258, 65535]],
        bytes.fromhex("0100 0200 0300" "0201 ffff"),
        b"MMIDIDX\x00\x00"
        + _le(8, 1)  # version
        + bytes([8])  # dtype code: uint16
        + _le(8, 3)  # 3 sequences
        + _le(8, 4)  # 4 document indices
        + _le(4, 3, 0, 2)  # sequence lengths (tokens)
        + _le(8, 0, 6, 6)  # pointers: 0, 3*2, 3*2 + 0*2
        + _le(8, 0, 1, 2, 3),  # document indices: one sequence per document
    ),
    # docs [70000], [], [2**31 - 1, 0] as int32 (code 4, 4 bytes a token)
    "int32": (
        np.int32,
        [[70000], [], [2**31 - 1, 0]],
        bytes.fromhex("70110100" "ffffff7f 00000000"),
        b"MMIDIDX\x00\x00"
        + _le(8, 1)
        + bytes([4])  # dtype code: int32
        + _le(8, 3)
        + _le(8, 4)
        + _le(4, 1, 0, 2)
        + _le(8, 0, 4, 4)  # pointers: 0, 1*4, 1*4 + 0*4
        + _le(8, 0, 1, 2, 3),
    ),
}


def write(prefix, docs, dtype):
    with IndexedDatasetWriter(prefix, dtype) as w:
        for doc in docs:
            w.add_document(doc)
    return IndexedDataset(prefix)


def as_lists(ds):
    return [ds[i].tolist() for i in range(len(ds))]


# -- dtype --------------------------------------------------------------------------------------


def test_dtype_for_vocab_follows_megatron():
    assert dtype_for_vocab(0) == np.uint16
    assert dtype_for_vocab(32000) == np.uint16
    assert dtype_for_vocab(65499) == np.uint16
    assert dtype_for_vocab(65500) == np.int32  # fits uint16, but Megatron switches here
    assert dtype_for_vocab(151_643) == np.int32
    with pytest.raises(ValueError):
        dtype_for_vocab(-1)
    with pytest.raises(TypeError):
        dtype_for_vocab(None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, "bool", np.uint32, np.uint64])
def test_writer_rejects_dtypes_megatron_has_no_token_code_for(tmp_path, dtype):
    with pytest.raises(ValueError, match="unsupported token dtype"):
        IndexedDatasetWriter(tmp_path / "x", dtype)
    assert os.listdir(tmp_path) == []


# -- exact bytes --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_bytes(tmp_path, name):
    dtype, docs, bin_bytes, idx_bytes = GOLDEN_CASES[name]
    assert len(idx_bytes) == 34 + 3 * 4 + 3 * 8 + 4 * 8
    assert (GOLDEN / f"{name}.bin").read_bytes() == bin_bytes
    assert (GOLDEN / f"{name}.idx").read_bytes() == idx_bytes

    ds = write(tmp_path / name, docs, dtype)
    assert (tmp_path / f"{name}.bin").read_bytes() == bin_bytes
    assert (tmp_path / f"{name}.idx").read_bytes() == idx_bytes
    assert sorted(os.listdir(tmp_path)) == [f"{name}.bin", f"{name}.idx"]  # no .tmp left

    golden = IndexedDataset(GOLDEN / name)
    for d in (ds, golden):
        assert d.dtype == dtype
        assert len(d) == 3
        assert as_lists(d) == docs
        assert d.sequence_lengths.tolist() == [len(x) for x in docs]
        assert d.document_indices.tolist() == [0, 1, 2, 3]


def test_empty_dataset(tmp_path):
    ds = write(tmp_path / "e", [], np.uint16)
    assert len(ds) == 0 and ds.document_indices.tolist() == [0]
    assert (tmp_path / "e.bin").read_bytes() == b""
    assert (tmp_path / "e.idx").read_bytes() == (
        b"MMIDIDX\x00\x00" + _le(8, 1) + bytes([8]) + _le(8, 0) + _le(8, 1) + _le(8, 0)
    )
    with pytest.raises(IndexError):
        ds[0]


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.uint8, np.int64])
def test_round_trip_random_documents(tmp_path, dtype):
    rng = np.random.default_rng(7)
    info = np.iinfo(dtype)
    docs = []
    for i in range(300):
        n = 0 if i % 7 == 0 else int(rng.integers(1, 200))  # every 7th document empty
        docs.append(rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True))
    docs[1] = np.array([info.min, info.max], dtype=dtype)
    ds = write(tmp_path / "r", docs, dtype)
    assert len(ds) == len(docs)
    assert ds.dtype == dtype
    assert ds.document_indices.tolist() == list(range(len(docs) + 1))
    assert ds.sequence_lengths.tolist() == [len(d) for d in docs]
    itemsize = np.dtype(dtype).itemsize
    assert ds.sequence_pointers.tolist() == [
        int(sum(len(d) for d in docs[:i])) * itemsize for i in range(len(docs))
    ]
    for i, doc in enumerate(docs):
        got = ds[i]
        assert got.dtype == dtype and not got.flags.writeable
        np.testing.assert_array_equal(got, doc)
    np.testing.assert_array_equal(ds[-1], docs[-1])
    assert os.path.getsize(tmp_path / "r.bin") == sum(len(d) for d in docs) * itemsize


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_lengths_spill_to_disk_in_chunks_and_give_the_same_files(tmp_path, monkeypatch, chunk):
    """Memory holds at most a chunk of lengths: the index is written from the lengths file a
    chunk at a time. Tiny chunks, documents added every way, a checkpoint and resume between:
    the same bytes as one writer with the default chunk."""
    import zhtok.megatron as megatron

    rng = np.random.default_rng(3)
    docs = [rng.integers(0, 60000, size=int(rng.integers(0, 9)), dtype=np.uint16) for _ in range(40)]
    reference = write(tmp_path / "ref", docs, np.uint16)
    part = write(tmp_path / "part", docs[30:], np.uint16)
    monkeypatch.setattr(megatron, "_LENGTHS_CHUNK", chunk)
    w = IndexedDatasetWriter(tmp_path / "c", np.uint16)
    for d in docs[:10]:
        w.add_document(d)
    w.add_documents(np.concatenate(docs[10:20]), [len(d) for d in docs[10:20]])
    state = w.checkpoint()
    w.add_documents(np.concatenate(docs[20:25]), [len(d) for d in docs[20:25]])  # lost in the "crash"
    w.suspend()
    w = IndexedDatasetWriter.resume(tmp_path / "c", np.uint16, state)
    assert len(w) == 20
    w.add_documents(np.concatenate(docs[20:30]), [len(d) for d in docs[20:30]])
    w.add_dataset(part)
    assert len(w) == 40
    w.finalize()
    for ext in (".bin", ".idx"):
        assert (tmp_path / f"c{ext}").read_bytes() == (tmp_path / f"ref{ext}").read_bytes()
    assert len(reference) == 40 and not (tmp_path / "c.lengths.tmp").exists()


def test_accepts_lists_arrays_and_wider_integer_arrays(tmp_path):
    with IndexedDatasetWriter(tmp_path / "a", np.uint16) as w:
        w.add_document([1, 2])
        w.add_document((3,))
        w.add_document(np.array([4, 5], dtype=np.int64))
        w.add_document(np.array([6], dtype=np.uint64))
        w.add_document(np.array([], dtype=np.float32))  # empty: its dtype does not matter
        w.add_document(range(7, 9))
        assert len(w) == 6
    assert as_lists(IndexedDataset(tmp_path / "a")) == [[1, 2], [3], [4, 5], [6], [], [7, 8]]


@st.composite
def corpora(draw):
    dtype = np.dtype(draw(st.sampled_from([np.uint8, np.int8, np.int16, np.uint16, np.int32, np.int64])))
    info = np.iinfo(dtype)
    token = st.integers(int(info.min), int(info.max))
    return dtype, draw(st.lists(st.lists(token, max_size=40), max_size=25))


@given(corpora())
def test_property_lists_of_lists_round_trip(corpus):
    dtype, docs = corpus
    with tempfile.TemporaryDirectory() as d:
        prefix = os.path.join(d, "p")
        ds = write(prefix, docs, dtype)
        assert ds.dtype == dtype
        assert as_lists(ds) == docs
        assert ds.document_indices.tolist() == list(range(len(docs) + 1))
        assert sorted(os.listdir(d)) == ["p.bin", "p.idx"]
        del ds


# -- writer validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, doc, value, pos",
    [
        (np.uint16, [1, 65536], 65536, 1),
        (np.uint16, [-1], -1, 0),
        (np.uint16, np.array([5, 6, 70000], dtype=np.int64), 70000, 2),
        (np.int32, [2**31], 2**31, 0),
        (np.int32, np.array([0, 2**63 + 1], dtype=np.uint64), 2**63 + 1, 1),
        (np.int64, [0, 2**64], 2**64, 1),  # beyond what numpy can type: checked one by one
        (np.uint16, [-1, 2**63], -1, 0),  # numpy would make this float64
    ],
)
def test_token_out_of_range_names_document_and_value(tmp_path, dtype, doc, value, pos):
    with IndexedDatasetWriter(tmp_path / "v", dtype) as w:
        w.add_document([1])
        w.add_document([2])
        with pytest.raises(ValueError) as e:
            w.add_document(doc)
        msg = str(e.value)
        assert "document 2" in msg and f"token {value} " in msg and f"position {pos}" in msg
        assert np.dtype(dtype).name in msg
        w.add_document([3])  # the rejected document left nothing behind
    assert as_lists(IndexedDataset(tmp_path / "v")) == [[1], [2], [3]]


@pytest.mark.parametrize(
    "doc, exc, text",
    [
        ([1.0, 2.0], TypeError, "position 0"),
        ([1, 2.5], TypeError, "position 1"),
        (np.array([1.0]), TypeError, "float64 array"),
        ([1, "2"], TypeError, "position 1 is '2'"),  # numpy types this list as strings
        ([True], TypeError, "bool"),
        (np.array([[1, 2]]), ValueError, "1-D"),
        ([1, [2]], ValueError, "flat sequence"),
        (5, TypeError, "1-D"),
        ((x for x in [1]), TypeError, "generator"),
    ],
)
def test_writer_rejects_non_integer_tokens(tmp_path, doc, exc, text):
    with IndexedDatasetWriter(tmp_path / "t", np.int32) as w:
        w.add_document([1])
        with pytest.raises(exc, match=text) as e:
            w.add_document(doc)
        assert "document 1" in str(e.value)


def test_writer_state_errors(tmp_path):
    w = IndexedDatasetWriter(tmp_path / "s", np.uint16)
    w.add_document([1])
    w.finalize()
    with pytest.raises(RuntimeError, match="finalized"):
        w.add_document([2])
    with pytest.raises(RuntimeError, match="finalized"):
        w.finalize()
    w2 = IndexedDatasetWriter(tmp_path / "s2", np.uint16)
    w2.abort()
    with pytest.raises(RuntimeError, match="aborted"):
        w2.add_document([1])
    assert sorted(os.listdir(tmp_path)) == ["s.bin", "s.idx"]


# -- atomicity ----------------------------------------------------------------------------------


def test_exception_mid_write_leaves_no_files(tmp_path):
    prefix = tmp_path / "c"
    with pytest.raises(KeyError):
        with IndexedDatasetWriter(prefix, np.uint16) as w:
            w.add_document([1, 2, 3])
            assert (tmp_path / "c.bin.tmp").exists()
            assert not (tmp_path / "c.bin").exists()
            raise KeyError("boom")
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_previous_pair(tmp_path):
    prefix = tmp_path / "c"
    write(prefix, [[1], [2]], np.uint16)
    before = {p: (tmp_path / p).read_bytes() for p in ("c.bin", "c.idx")}
    with pytest.raises(ValueError):
        with IndexedDatasetWriter(prefix, np.uint16) as w:
            w.add_document([7, 8, 9])
            w.add_document([70000])  # does not fit: the with block aborts
    assert {p: (tmp_path / p).read_bytes() for p in sorted(os.listdir(tmp_path))} == before
    write(prefix, [[7, 8, 9]], np.uint16)  # a completed write replaces it
    assert as_lists(IndexedDataset(prefix)) == [[7, 8, 9]]


def test_finalize_failure_removes_temporary_files(tmp_path, monkeypatch):
    def fail(*args):
        raise OSError(28, "No space left on device")

    w = IndexedDatasetWriter(tmp_path / "f", np.uint16)
    w.add_document([1, 2])
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        w.finalize()
    assert os.listdir(tmp_path) == []


def test_process_killed_mid_write_leaves_no_final_files(tmp_path):
    code = (
        "import os, sys\n"
        "from zhtok.megatron import IndexedDatasetWriter\n"
        "w = IndexedDatasetWriter(sys.argv[1], 'uint16')\n"
        "for i in range(1000):\n"
        "    w.add_document(list(range(i % 50)))\n"
        "w._bin.flush()\n"
        "os._exit(3)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "k")], env=env, cwd=tmp_path)
    assert r.returncode == 3
    assert sorted(os.listdir(tmp_path)) == ["k.bin.tmp", "k.lengths.tmp"]  # temporary names only
    with pytest.raises(FileNotFoundError):
        IndexedDataset(tmp_path / "k")


def test_writer_dropped_without_finalize_warns_and_cleans_up(tmp_path):
    w = IndexedDatasetWriter(tmp_path / "d", np.uint16)
    w.add_document([1])
    with pytest.warns(ResourceWarning, match="neither finalized nor aborted"):
        del w
    assert os.listdir(tmp_path) == []


# -- reader errors ------------------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path):
    """A copy of the uint16 golden pair: (prefix, .idx path, .bin path)."""
    for ext in (".bin", ".idx"):
        shutil.copy(GOLDEN / f"uint16{ext}", tmp_path / f"g{ext}")
    return tmp_path / "g", tmp_path / "g.idx", tmp_path / "g.bin"


def patch(path, offset, data):
    b = bytearray(path.read_bytes())
    b[offset : offset + len(data)] = data
    path.write_bytes(bytes(b))


def reader_error(prefix):
    with pytest.raises(FormatError) as e:
        IndexedDataset(prefix)
    return e.value


@pytest.mark.parametrize("missing", [".idx", ".bin"])
def test_missing_file(pair, missing):
    prefix = pair[0]
    os.remove(f"{prefix}{missing}")
    with pytest.raises(FileNotFoundError) as e:
        IndexedDataset(prefix)
    assert e.value.filename == f"{prefix}{missing}"
    assert f"g{missing} not found" in str(e.value)


def test_wrong_magic(pair):
    prefix, idx, _ = pair
    patch(idx, 0, b"TNTIDX\x00\x00")  # Megatron's older non-mmap index format
    err = reader_error(prefix)
    assert str(idx) in str(err) and "not a Megatron index" in str(err) and err.path == str(idx)


def test_empty_index_file(pair):
    prefix, idx, _ = pair
    idx.write_bytes(b"")
    assert "not a Megatron index" in str(reader_error(prefix))


def test_unsupported_version(pair):
    prefix, idx, _ = pair
    patch(idx, 9, _le(8, 2))
    err = reader_error(prefix)
    assert str(idx) in str(err) and "unsupported index version 2" in str(err)


@pytest.mark.parametrize("code", [0, 9, 255])
def test_unknown_dtype_code(pair, code):
    prefix, idx, _ = pair
    patch(idx, 17, bytes([code]))
    err = reader_error(prefix)
    assert str(idx) in str(err) and f"unknown dtype code {code}" in str(err)


@pytest.mark.parametrize("keep", [20, 34, 60, 101])
def test_truncated_index(pair, keep):
    prefix, idx, _ = pair
    idx.write_bytes(idx.read_bytes()[:keep])
    err = reader_error(prefix)
    assert str(idx) in str(err) and "truncated index" in str(err)


def test_index_with_trailing_bytes(pair):
    prefix, idx, _ = pair
    idx.write_bytes(idx.read_bytes() + b"\x00\x00\x00")  # 3 = one int8 mode per sequence
    err = reader_error(prefix)
    assert "3 unexpected bytes" in str(err) and "multimodal" in str(err)


def test_document_indices_must_span_the_sequences(pair):
    prefix, idx, _ = pair
    patch(idx, 34 + 12 + 24 + 3 * 8, _le(8, 2))  # last document index 3 -> 2
    err = reader_error(prefix)
    assert str(idx) in str(err) and "document indices run from 0 to 2" in str(err)


@pytest.mark.parametrize("change", ["append", "truncate"])
def test_bin_size_must_match_pointers(pair, change):
    prefix, _, bin_ = pair
    data = bin_.read_bytes()
    bin_.write_bytes(data + b"\x00\x00" if change == "append" else data[:-2])
    err = reader_error(prefix)
    assert str(bin_) in str(err) and err.path == str(bin_)
    assert f"{len(data) + (2 if change == 'append' else -2)} bytes" in str(err)
    assert "points to 10" in str(err)


def test_bad_pointer_inside_index_is_reported_on_access(pair):
    prefix, idx, _ = pair
    patch(idx, 34 + 12, _le(8, 0, 600))  # sequence 1's pointer far past the end of the .bin
    patch(idx, 34 + 4, _le(4, 1))  # and give it a token to read
    ds = IndexedDataset(prefix)
    assert ds[0].tolist() == [1, 2, 3]
    with pytest.raises(FormatError, match="sequence 1: pointer 600 and length 1 fall outside"):
        ds[1]


def test_index_type_errors(pair):
    ds = IndexedDataset(pair[0])
    with pytest.raises(IndexError):
        ds[3]
    with pytest.raises(IndexError):
        ds[-4]
    with pytest.raises(TypeError):
        ds[0:2]
    assert ds[np.int64(2)].tolist() == [258, 65535]


# -- Megatron-LM's own code (megatron-core + torch; skipped when not installed) -------------------


def _megatron():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Transformer Engine and Apex are not installed" etc.
        return pytest.importorskip(
            "megatron.core.datasets.indexed_dataset", reason="megatron-core (and torch) not installed"
        )


def _random_docs(seed, hi, n=200):
    rng = np.random.default_rng(seed)
    docs = [rng.integers(0, hi, size=int(rng.integers(0, 100))).tolist() for _ in range(n)]
    docs[0] = [1, 2, 3]  # Megatron's mmap reader cannot open a .bin with no tokens at all
    docs[5] = []
    return docs


@pytest.mark.parametrize("dtype, hi", [(np.uint16, 65536), (np.int32, 2**31 - 1)])
def test_megatron_reads_our_files(tmp_path, dtype, hi):
    mi = _megatron()
    docs = _random_docs(1, hi)
    write(tmp_path / "z", docs, dtype)
    m = mi.IndexedDataset(str(tmp_path / "z"))  # asserts lengths/document indices agree
    assert len(m) == len(docs)
    assert m.index.dtype == dtype
    assert m.document_indices.tolist() == list(range(len(docs) + 1))
    for i, doc in enumerate(docs):
        assert m[i].tolist() == doc
    del m


@pytest.mark.parametrize("dtype, hi", [(np.uint16, 65536), (np.int32, 2**31 - 1), (np.uint8, 256)])
def test_megatron_builder_writes_the_same_bytes(tmp_path, dtype, hi):
    mi = _megatron()
    import torch

    docs = _random_docs(2, hi)
    b = mi.IndexedDatasetBuilder(str(tmp_path / "m.bin"), dtype=dtype)
    for doc in docs:
        b.add_item(torch.tensor(doc, dtype=torch.int64))
        b.end_document()
    b.finalize(str(tmp_path / "m.idx"))
    write(tmp_path / "z", docs, dtype)
    for ext in (".bin", ".idx"):
        assert (tmp_path / f"z{ext}").read_bytes() == (tmp_path / f"m{ext}").read_bytes()
    assert as_lists(IndexedDataset(tmp_path / "m")) == docs


def test_megatron_dtype_rule_matches():
    mi = _megatron()
    for vocab in (0, 50257, 65499, 65500, 65535, 100_000):
        assert dtype_for_vocab(vocab) == mi.DType.optimal_dtype(vocab)


@given(st.lists(st.lists(st.integers(0, 65535), max_size=20), max_size=20))
def test_add_documents_writes_what_add_document_does(docs):
    with tempfile.TemporaryDirectory() as d:
        with IndexedDatasetWriter(Path(d) / "many", np.uint16) as w:
            w.add_document([7])
            w.add_documents(np.array([t for doc in docs for t in doc], dtype=np.uint32), [len(x) for x in docs])
        many = IndexedDataset(Path(d) / "many")
        assert [many[i].tolist() for i in range(len(many))] == [[7]] + docs


def test_add_documents_is_all_or_nothing_and_names_the_document(tmp_path):
    with IndexedDatasetWriter(tmp_path / "x", np.uint16) as w:
        w.add_document([1])
        with pytest.raises(ValueError, match=r"document 3: token 70000 at position 1 does not fit uint16"):
            w.add_documents(np.array([1, 2, 3, 4, 70000], dtype=np.uint32), [2, 1, 2])
        with pytest.raises(ValueError, match="lengths add up to 4, but there are 5 tokens"):
            w.add_documents(np.array([1, 2, 3, 4, 5], dtype=np.uint32), [2, 2])
        with pytest.raises(TypeError, match="1-D integer array"):
            w.add_documents(np.array([1.5]), [1])
    ds = IndexedDataset(tmp_path / "x")
    assert len(ds) == 1 and ds[0].tolist() == [1]
