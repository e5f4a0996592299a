"""Megatron-LM indexed datasets: the ``{prefix}.bin`` / ``{prefix}.idx`` pair ("MMIDIDX", version 1)
that Megatron's ``GPTDataset`` trains on, written and read byte for byte as Megatron-LM does.

>>> from zhtok.megatron import IndexedDatasetWriter, IndexedDataset, dtype_for_vocab
>>> with IndexedDatasetWriter("corpus_text_document", dtype_for_vocab(64000)) as w:
...     w.add_document([17, 402, 9])
...     w.add_document([5])
>>> ds = IndexedDataset("corpus_text_document")
>>> len(ds), ds[0].tolist()
(2, [17, 402, 9])

The layout (``megatron/core/datasets/indexed_dataset.py``: ``_IndexWriter``; all numbers
little-endian):

``.bin``
    every sequence's tokens, one after another, in the token dtype; nothing else.
``.idx``
    ``b"MMIDIDX\\x00\\x00"`` (9 bytes), version ``<Q`` = 1, dtype code ``<B`` (uint8=1, int8=2,
    int16=3, int32=4, int64=5, float64=6, float32=7, uint16=8), sequence count N ``<Q``,
    document count D ``<Q``; then N sequence lengths (int32, in tokens), N sequence pointers
    (int64, byte offsets into ``.bin``), D document indices (int64: 0, then for each document
    the number of sequences written by its end).

The writer puts each document in one sequence, as Megatron's ``tools/preprocess_data.py`` does
with one JSON key and no sentence splitting, so ``document_indices`` is ``0, 1, ..., N``. An
empty document is kept as a sequence of length 0 (Megatron's own tool drops it), so document
``i`` is always ``ds[i]``; skip empty documents before writing if you do not want them.
"""
from __future__ import annotations

import operator
import os
import struct
import warnings
from typing import Any

import numpy as np

from .errors import FormatError

__all__ = ["IndexedDatasetWriter", "IndexedDataset", "dtype_for_vocab"]

_INDEX_HEADER = b"MMIDIDX\x00\x00"
_VERSION = 1
# Megatron's DType enum (megatron/core/datasets/indexed_dataset.py).
_DTYPE_OF_CODE = {
    1: np.dtype(np.uint8),
    2: np.dtype(np.int8),
    3: np.dtype(np.int16),
    4: np.dtype(np.int32),
    5: np.dtype(np.int64),
    6: np.dtype(np.float64),
    7: np.dtype(np.float32),
    8: np.dtype(np.uint16),
}
_CODE_OF_DTYPE = {dt: code for code, dt in _DTYPE_OF_CODE.items()}
# magic 9 + version 8 + dtype code 1 + sequence count 8 + document count 8
_HEADER_STRUCT = struct.Struct("<9sQBQQ")
_LENGTH_STRUCT = struct.Struct("<q")  # a document's length in the lengths file
_HEADER_SIZE = _HEADER_STRUCT.size  # 34
_MAX_SEQUENCE_LENGTH = 2**31 - 1  # lengths are stored as int32
_COPY_CHUNK = 1 << 24  # tokens per write when copying a dataset
# Document lengths read back at a time to write the index: memory stays the same whatever the
# corpus size (8.3 million documents held 66 MB of lengths, and writing their index 200 MB more).
_LENGTHS_CHUNK = 1 << 16
# The lengths file's write buffer. Lengths go straight to it: an array of them grown batch by
# batch and dropped when full was reallocated at every batch, and that churn of the heap grew
# zhtok encode's peak with the input's length.
_LENGTHS_BUFFER = 1 << 16


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    """The token dtype Megatron picks for a vocabulary (``DType.optimal_dtype``): uint16 when
    ``vocab_size < 65500``, else int32. (65500..65535 would fit uint16, but Megatron keeps a
    margin for the vocabulary padding it adds; files stay identical to Megatron's own.)"""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)):
        raise TypeError(f"vocab_size must be an int, not {type(vocab_size).__name__}")
    if vocab_size < 0:
        raise ValueError(f"vocab_size must be >= 0, not {vocab_size}")
    return np.dtype(np.uint16) if vocab_size < 65500 else np.dtype(np.int32)


def _token_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy integer dtype, not {dtype!r}") from None
    dt = np.dtype(dt.type)  # drop any byte order: files are always little-endian
    if dt not in _CODE_OF_DTYPE or dt.kind not in "iu":
        names = ", ".join(sorted(d.name for d in _CODE_OF_DTYPE if d.kind in "iu"))
        raise ValueError(f"unsupported token dtype {dt.name}; Megatron token dtypes: {names}")
    return dt


class IndexedDatasetWriter:
    """Writes ``{prefix}.bin`` and ``{prefix}.idx``, one document = one sequence.

    Tokens are streamed to ``{prefix}.bin.tmp`` and lengths to ``{prefix}.lengths.tmp`` as
    documents arrive (memory is bounded, whatever the number of documents); :meth:`finalize`
    writes ``{prefix}.idx.tmp`` from the lengths, syncs both and
    renames them to their final names, so the final names only ever hold a complete pair (an
    older pair at the same prefix stays until then). Leaving a ``with`` block normally
    finalizes; leaving it by an exception, or :meth:`abort`, removes the temporary files.

    ``dtype``: a numpy integer dtype of Megatron's (uint8, int8, int16, uint16, int32,
    int64); use :func:`dtype_for_vocab` to pick it as Megatron does.
    """

    def __init__(self, prefix: str | os.PathLike, dtype: Any, _resume: "dict | None" = None) -> None:
        self._state = "closed"  # until the file is open, __del__ has nothing to do
        self.prefix = os.fspath(prefix)
        self.dtype = _token_dtype(dtype)
        self._le = self.dtype.newbyteorder("<")
        self._info = np.iinfo(self.dtype)
        self.bin_path = self.prefix + ".bin"
        self.idx_path = self.prefix + ".idx"
        self._bin_tmp = self.bin_path + ".tmp"
        self._idx_tmp = self.idx_path + ".tmp"
        self._len_tmp = self.prefix + ".lengths.tmp"  # lengths made durable by checkpoint()
        self._count = 0  # documents added
        if _resume is None:
            self._bin = open(self._bin_tmp, "wb", buffering=1 << 20)
            self._len = open(self._len_tmp, "wb", buffering=_LENGTHS_BUFFER)
        else:
            self._reopen(_resume)
        self._state = "open"

    @classmethod
    def resume(cls, prefix: str | os.PathLike, dtype: Any, state: dict) -> "IndexedDatasetWriter":
        """Reopens the temporary files of an interrupted writer at the point its
        :meth:`checkpoint` returned ``state``; what was written after it is discarded, so the
        result is byte-identical to an uninterrupted run."""
        return cls(prefix, dtype, _resume=state)

    def _reopen(self, state: dict) -> None:
        docs, nbytes = int(state["documents"]), int(state["bin_bytes"])
        for path, need in ((self._bin_tmp, nbytes), (self._len_tmp, docs * 8)):
            if not os.path.exists(path) or os.path.getsize(path) < need:
                raise FormatError(f"{path}: cannot resume: the file is missing or shorter than its checkpoint")
        with open(self._len_tmp, "r+b") as f:
            f.truncate(docs * 8)  # lengths appended after the checkpoint are dropped
        if sum(int(chunk.sum()) for chunk in self._length_chunks(docs)) * self.dtype.itemsize != nbytes:
            raise FormatError(f"{self._len_tmp}: cannot resume: lengths disagree with {self._bin_tmp}")
        self._count = docs
        self._bin = open(self._bin_tmp, "r+b", buffering=1 << 20)
        self._bin.truncate(nbytes)
        self._bin.seek(nbytes)
        self._len = open(self._len_tmp, "ab", buffering=_LENGTHS_BUFFER)

    def checkpoint(self) -> dict:
        """Makes every document added so far durable and returns the state that
        :meth:`resume` continues from."""
        self._check_open()
        for f in (self._bin, self._len):
            f.flush()
            os.fsync(f.fileno())
        return {"documents": self._count, "bin_bytes": self._bin.tell()}

    def _add_lengths(self, lengths) -> None:
        """Records lengths (little-endian int64 bytes, any bytes-like) of documents already written."""
        self._len.write(lengths)
        self._count += len(lengths) // 8

    def _length_chunks(self, docs: int):
        """The first docs lengths of the lengths file, as int64 arrays of at most _LENGTHS_CHUNK."""
        with open(self._len_tmp, "rb") as f:
            for start in range(0, docs, _LENGTHS_CHUNK):
                n = min(_LENGTHS_CHUNK, docs - start)
                data = f.read(n * 8)
                if len(data) != n * 8:
                    raise FormatError(f"{self._len_tmp}: shorter than its {docs} documents")
                yield np.frombuffer(data, dtype="<i8")

    # -- writing ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """Documents added so far."""
        return self._count

    def add_document(self, tokens: Any) -> None:
        """Appends one document (a 1-D array-like of ints) as one sequence. A document that
        does not fit the dtype raises (naming the document number, 0-based, and the value)
        and is not written; the writer stays usable."""
        self._check_open()
        arr = self._validate(tokens, self._count)
        if arr.size:
            self._bin.write(memoryview(arr).cast("B"))
        self._add_lengths(_LENGTH_STRUCT.pack(arr.size))

    def add_documents(self, tokens: np.ndarray, lengths: Any) -> None:
        """Appends several documents at once: ``tokens``, all of them end to end (a 1-D integer
        array), and ``lengths``, one per document. All or nothing: a token that does not fit
        the dtype raises, naming its document, before anything is written. One validation and
        one write for the lot, where add_document costs a Python call per document."""
        self._check_open()
        first = self._count
        lengths = np.asarray(lengths, dtype=np.int64)
        # Reductions first: batch-sized temporaries cost more than the checks (and memory).
        if lengths.ndim != 1 or (lengths.size and lengths.min() < 0):
            raise ValueError("lengths must be a 1-D sequence of non-negative ints")
        arr = np.asarray(tokens)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(f"tokens must be a 1-D integer array, not {arr.dtype} of shape {arr.shape}")
        if int(lengths.sum()) != arr.size:
            raise ValueError(f"lengths add up to {int(lengths.sum())}, but there are {arr.size} tokens")
        if lengths.size and lengths.max() > _MAX_SEQUENCE_LENGTH:
            doc = int(np.argmax(lengths > _MAX_SEQUENCE_LENGTH))
            raise ValueError(
                f"document {first + doc}: {int(lengths[doc])} tokens; Megatron stores lengths as "
                f"int32 (at most {_MAX_SEQUENCE_LENGTH})"
            )
        if arr.size and not np.can_cast(arr.dtype, self.dtype, "safe"):
            lo, hi = int(self._info.min), int(self._info.max)
            if int(arr.min()) < lo or int(arr.max()) > hi:
                bad = np.flatnonzero((arr < lo) | (arr > hi))
                pos = int(bad[0])
                starts = np.concatenate(([0], np.cumsum(lengths)))
                doc = int(np.searchsorted(starts, pos, side="right")) - 1
                raise ValueError(self._range_message(first + doc, pos - int(starts[doc]), int(arr[pos]), lo, hi))
        if arr.size:
            self._bin.write(memoryview(np.ascontiguousarray(arr, dtype=self._le)).cast("B"))
        self._add_lengths(memoryview(np.ascontiguousarray(lengths, dtype="<i8")).cast("B"))

    def add_dataset(self, ds: "IndexedDataset") -> None:
        """Appends every sequence of ds (a dataset of the same dtype, e.g. a part written by
        another process), each as one document; the tokens are copied in bounded chunks."""
        self._check_open()
        if ds.dtype != self.dtype:
            raise ValueError(f"{ds.prefix}: tokens are {ds.dtype.name}, this writer's are {self.dtype.name}")
        tokens = ds.tokens
        for a in range(0, tokens.size, _COPY_CHUNK):
            self._bin.write(memoryview(np.ascontiguousarray(tokens[a:a + _COPY_CHUNK])).cast("B"))
        lengths = ds.sequence_lengths
        for a in range(0, lengths.size, _LENGTHS_CHUNK):
            self._add_lengths(memoryview(np.ascontiguousarray(lengths[a:a + _LENGTHS_CHUNK], dtype="<i8")).cast("B"))

    def _validate(self, tokens: Any, doc: int) -> np.ndarray:
        try:
            arr = tokens if isinstance(tokens, np.ndarray) else np.asarray(tokens)
        except ValueError as e:  # ragged nesting
            raise ValueError(f"document {doc}: tokens must be a flat sequence of ints ({e})") from None
        if arr.ndim == 0:
            raise TypeError(
                f"document {doc}: tokens must be a 1-D sequence or array of ints, "
                f"not {type(tokens).__name__}"
            )
        if arr.ndim != 1:
            raise ValueError(f"document {doc}: tokens must be 1-D, got shape {arr.shape}")
        if arr.size > _MAX_SEQUENCE_LENGTH:
            raise ValueError(
                f"document {doc}: {arr.size} tokens; Megatron stores lengths as int32 "
                f"(at most {_MAX_SEQUENCE_LENGTH})"
            )
        lo, hi = int(self._info.min), int(self._info.max)
        if arr.size == 0:
            return np.empty(0, self._le)
        if arr.dtype.kind in "iu":
            if np.can_cast(arr.dtype, self.dtype, "safe"):
                return np.ascontiguousarray(arr, dtype=self._le)
            bad = (arr < lo) | (arr > hi)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise ValueError(self._range_message(doc, pos, int(arr[pos]), lo, hi))
            return np.ascontiguousarray(arr, dtype=self._le)
        if isinstance(tokens, np.ndarray):
            raise TypeError(f"document {doc}: tokens must be integers, got a {arr.dtype} array")
        # A list numpy could not type as integers exactly (floats, ints beyond 64 bits, or a
        # mix numpy would turn into float64): check each element as a Python int.
        values = []
        for pos, v in enumerate(tokens):
            if isinstance(v, (bool, np.bool_)):
                raise TypeError(f"document {doc}: token at position {pos} is a bool, not an int")
            try:
                v = operator.index(v)
            except TypeError:
                raise TypeError(
                    f"document {doc}: token at position {pos} is {v!r} "
                    f"({type(v).__name__}), not an int"
                ) from None
            if not lo <= v <= hi:
                raise ValueError(self._range_message(doc, pos, v, lo, hi))
            values.append(v)
        return np.array(values, dtype=self._le)

    def _range_message(self, doc: int, pos: int, value: int, lo: int, hi: int) -> str:
        return (
            f"document {doc}: token {value} at position {pos} does not fit {self.dtype.name} "
            f"({lo}..{hi}); pick the dtype with dtype_for_vocab(vocab_size)"
        )

    def _check_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"IndexedDatasetWriter for {self.prefix!r} is already {self._state}")

    # -- finishing -------------------------------------------------------------------------

    def finalize(self) -> None:
        """Writes the index and moves both files to their final names. On any error the
        temporary files are removed and no file under the final names is touched."""
        self._check_open()
        try:
            self._bin.flush()
            os.fsync(self._bin.fileno())
            self._bin.close()
            self._len.close()
            self._write_index()
            _replace_pair(self._bin_tmp, self.bin_path, self._idx_tmp, self.idx_path)
        except BaseException:
            self.abort()
            raise
        self._state = "finalized"
        _remove(self._len_tmp)

    def _write_index(self) -> None:
        # Megatron's layout: header, every size (int32), every pointer (int64), the document
        # indices (int64); each section is written from the lengths file a chunk at a time.
        n = self._count
        header = _HEADER_STRUCT.pack(_INDEX_HEADER, _VERSION, _CODE_OF_DTYPE[self.dtype], n, n + 1)
        with open(self._idx_tmp, "wb") as f:
            f.write(header)
            for chunk in self._length_chunks(n):
                f.write(memoryview(chunk.astype("<i4")))
            offset = 0
            for chunk in self._length_chunks(n):
                pointers = np.empty(chunk.size, dtype=np.int64)  # one array, changed in place
                pointers[0] = 0
                np.cumsum(chunk[:-1], out=pointers[1:])
                pointers += offset
                offset = int(pointers[-1] + chunk[-1])
                pointers *= self.dtype.itemsize
                f.write(memoryview(pointers.astype("<i8", copy=False)))
            for start in range(0, n + 1, _LENGTHS_CHUNK):
                f.write(memoryview(np.arange(start, min(n + 1, start + _LENGTHS_CHUNK), dtype="<i8")))
            f.flush()
            os.fsync(f.fileno())

    def suspend(self) -> None:
        """Stops writing and keeps the temporary files, for :meth:`resume` from the last
        checkpoint. Does nothing once finalized or aborted."""
        if self._state != "open":
            return
        self._state = "suspended"
        self._bin.close()
        self._len.close()

    def abort(self) -> None:
        """Stops writing and removes the temporary files; final names are left as they were."""
        if self._state == "finalized":
            raise RuntimeError(f"IndexedDatasetWriter for {self.prefix!r} is already finalized")
        self._state = "aborted"
        try:
            self._bin.close()
            self._len.close()
        finally:
            for path in (self._bin_tmp, self._idx_tmp, self._len_tmp):
                _remove(path)

    def __enter__(self) -> "IndexedDatasetWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            if self._state == "open":
                self.abort()
        elif self._state == "open":
            self.finalize()

    def __del__(self) -> None:
        if getattr(self, "_state", None) == "open":
            warnings.warn(
                f"IndexedDatasetWriter for {self.prefix!r} was neither finalized nor aborted; "
                "its temporary files are removed",
                ResourceWarning,
                stacklevel=2,
            )
            try:
                self.abort()
            except Exception:
                pass

    def __repr__(self) -> str:
        return (
            f"IndexedDatasetWriter({self.prefix!r}, {self.dtype.name}, "
            f"documents={self._count}, {self._state})"
        )


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _replace_pair(bin_tmp: str, bin_path: str, idx_tmp: str, idx_path: str) -> None:
    # The old .idx goes first: should we stop between the renames, the prefix holds a .bin
    # without an .idx (an error naming the missing file), never a new .bin with an old .idx.
    try:
        os.remove(idx_path)
    except FileNotFoundError:
        pass
    os.replace(bin_tmp, bin_path)
    os.replace(idx_tmp, idx_path)
    _fsync_dir(os.path.dirname(os.path.abspath(idx_path)))


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not possible everywhere (Windows); the renames are done regardless
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _map(path: str) -> np.ndarray:
    """The file's bytes, memory-mapped read-only (an empty file cannot be mapped)."""
    if os.path.getsize(path) == 0:
        empty = np.empty(0, dtype=np.uint8)
        empty.flags.writeable = False
        return empty
    return np.asarray(np.memmap(path, dtype=np.uint8, mode="r"))


class IndexedDataset:
    """Reads a Megatron ``{prefix}.bin`` / ``{prefix}.idx`` pair through memory maps.

    ``len(ds)`` is the number of sequences (one per document for files from
    :class:`IndexedDatasetWriter`); ``ds[i]`` is sequence ``i`` as a read-only numpy array
    of ``ds.dtype``. ``ds.sequence_lengths`` (int32), ``ds.sequence_pointers`` (int64, byte
    offsets) and ``ds.document_indices`` (int64) are the index arrays as stored.

    Opening checks the header, the index size, the ends of the arrays and the ``.bin`` size
    (raising FormatError naming the file and the fault, or FileNotFoundError); each ``ds[i]``
    checks that its own sequence lies inside the ``.bin``.
    """

    def __init__(self, prefix: str | os.PathLike) -> None:
        self.prefix = os.fspath(prefix)
        self.idx_path = self.prefix + ".idx"
        self.bin_path = self.prefix + ".bin"
        for path in (self.idx_path, self.bin_path):
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    2, f"Megatron dataset {self.prefix!r}: {path} not found", path
                )
        self._read_index()
        self._bin = _map(self.bin_path)
        self._check_bin_size()

    def _error(self, path: str, message: str) -> FormatError:
        err = FormatError(f"{path}: {message}")
        err.path = path
        return err

    def _read_index(self) -> None:
        path = self.idx_path
        idx = _map(path)
        size = idx.size
        if size < 9 or bytes(idx[:9]) != _INDEX_HEADER:
            got = bytes(idx[:9])
            raise self._error(
                path, f"not a Megatron index: starts with {got!r}, expected {_INDEX_HEADER!r}"
            )
        if size < _HEADER_SIZE:
            raise self._error(
                path, f"truncated index: {size} bytes, the header alone is {_HEADER_SIZE}"
            )
        _, version, code, n, d = _HEADER_STRUCT.unpack(bytes(idx[:_HEADER_SIZE]))
        if version != _VERSION:
            raise self._error(path, f"unsupported index version {version} (only 1 is supported)")
        if code not in _DTYPE_OF_CODE:
            raise self._error(
                path, f"unknown dtype code {code} (Megatron's codes are 1..8)"
            )
        expected = _HEADER_SIZE + 4 * n + 8 * n + 8 * d
        if size < expected:
            raise self._error(
                path,
                f"truncated index: {size} bytes, but {n} sequences and {d} document indices "
                f"need {expected}",
            )
        if size > expected:
            extra = size - expected
            hint = " (sequence modes of a multimodal dataset: not supported)" if extra == n else ""
            raise self._error(
                path, f"{extra} unexpected bytes after the document indices{hint}"
            )
        self.dtype = _DTYPE_OF_CODE[code]
        self._le = self.dtype.newbyteorder("<")
        off = _HEADER_SIZE
        self.sequence_lengths = idx[off : off + 4 * n].view("<i4")
        off += 4 * n
        self.sequence_pointers = idx[off : off + 8 * n].view("<i8")
        off += 8 * n
        self.document_indices = idx[off : off + 8 * d].view("<i8")
        if d == 0:
            raise self._error(path, "no document indices (there must be at least the leading 0)")
        if self.document_indices[0] != 0 or self.document_indices[-1] != n:
            raise self._error(
                path,
                f"document indices run from {int(self.document_indices[0])} to "
                f"{int(self.document_indices[-1])}, expected 0 to the sequence count {n}",
            )
        self._n = n

    def _check_bin_size(self) -> None:
        size = self._bin.size
        if self._n == 0:
            expected = 0
        else:
            last_ptr = int(self.sequence_pointers[-1])
            last_len = int(self.sequence_lengths[-1])
            expected = last_ptr + last_len * self.dtype.itemsize
            if int(self.sequence_pointers[0]) != 0 or last_ptr < 0 or last_len < 0:
                raise self._error(
                    self.idx_path,
                    f"bad sequence pointers: first {int(self.sequence_pointers[0])}, "
                    f"last {last_ptr} with length {last_len}",
                )
        if size != expected:
            raise self._error(
                self.bin_path,
                f"{size} bytes, but the index {self.idx_path} points to {expected} "
                f"({self._n} sequences of {self.dtype.name}); the pair does not match or a "
                "file is truncated",
            )

    def __len__(self) -> int:
        return self._n

    @property
    def tokens(self) -> np.ndarray:
        """Every sequence's tokens, one after another: the whole ``.bin``, memory-mapped."""
        return self._bin.view(self._le)

    def __getitem__(self, i: int) -> np.ndarray:
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError(f"dataset indices must be integers, not {type(i).__name__}") from None
        n = self._n
        if not -n <= i < n:
            raise IndexError(f"sequence {i} out of range for {n} sequences")
        if i < 0:
            i += n
        ptr = int(self.sequence_pointers[i])
        length = int(self.sequence_lengths[i])
        itemsize = self.dtype.itemsize
        if length < 0 or ptr < 0 or ptr % itemsize or ptr + length * itemsize > self._bin.size:
            raise self._error(
                self.idx_path,
                f"sequence {i}: pointer {ptr} and length {length} fall outside "
                f"{self.bin_path} ({self._bin.size} bytes)",
            )
        return self._bin[ptr : ptr + length * itemsize].view(self._le)

    def __iter__(self):
        for i in range(self._n):
            yield self[i]

    def __repr__(self) -> str:
        return f"IndexedDataset({self.prefix!r}, {self.dtype.name}, sequences={self._n})"
