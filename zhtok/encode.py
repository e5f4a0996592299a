"""Encoding a corpus into token streams: Megatron-LM's indexed dataset (``.bin``/``.idx``) or a
flat ``.npy`` for nanoGPT-style loaders.

Nothing is lost: outputs are written under temporary names and renamed when complete; the run
checkpoints its position so that ``resume=True`` after a kill continues and yields files
byte-identical to an uninterrupted run; bad records are reported with file and line.

Lines are parsed and encoded in the core, in the worker threads (csrc/io/json_line.cc decides
as json.loads does, with the same reasons): the reading thread only reads blocks of bytes, so
that it no longer holds the workers back."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from . import _core
from .bpe import Tokenizer
from .corpus import BadRecord, CorpusReader, expand_inputs, is_jsonl, prefetch
from .errors import InputError
from .megatron import IndexedDatasetWriter, dtype_for_vocab

# The chunks (whole lines) the core cuts a batch into, each encoded and collected apart: the
# core's default. Tests make it tiny, so that small inputs are cut into chunks too.
_CHUNK_BYTES = 64 << 10


@dataclass
class EncodeSummary:
    documents: int = 0
    tokens: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)
    resumed_documents: int = 0  # of documents, those an interrupted run had written

    def __str__(self) -> str:
        rate = self.bytes_read / 1e6 / self.seconds if self.seconds else 0.0
        lines = [f"{self.documents:,} documents, {self.tokens:,} tokens from {self.bytes_read / 1e6:,.1f} MB "
                 f"in {self.seconds:.1f}s ({rate:,.1f} MB/s); {len(self.bad)} records skipped"]
        if self.resumed_documents:
            lines.append(f"  resumed: {self.resumed_documents:,} of the documents were written by the "
                         "interrupted run (their lines were read again, for bad records, not encoded)")
        reasons: dict[str, int] = {}
        for b in self.bad:
            kind = b.reason.split(":")[0]
            reasons[kind] = reasons.get(kind, 0) + 1
        lines += [f"  skipped {n}: {r}" for r, n in sorted(reasons.items())]
        lines += [f"  wrote {p}" for p in self.outputs]
        return "\n".join(lines)


class NpyTokenWriter:
    """A flat 1-D ``.npy`` of all tokens, streamed: the header is reserved at the start and
    filled in with the final length by finalize(); written to ``.tmp`` and renamed."""

    _HEADER_BYTES = 128

    def __init__(self, path: str, dtype, _resume: dict | None = None):
        self.path, self.dtype = path, np.dtype(dtype).newbyteorder("<")
        self._tmp = path + ".tmp"
        if _resume is None:
            self._f = open(self._tmp, "wb")
            self._f.write(b"\0" * self._HEADER_BYTES)
            self.count = 0
        else:
            self.count = int(_resume["tokens"])
            self._f = open(self._tmp, "r+b")
            self._f.truncate(self._HEADER_BYTES + self.count * self.dtype.itemsize)
            self._f.seek(0, os.SEEK_END)

    @classmethod
    def resume(cls, path: str, dtype, state: dict) -> "NpyTokenWriter":
        return cls(path, dtype, _resume=state)

    def add_document(self, tokens: np.ndarray) -> None:
        self._f.write(np.ascontiguousarray(tokens, dtype=self.dtype).tobytes())
        self.count += len(tokens)

    def add_documents(self, tokens: np.ndarray, lengths) -> None:
        """Documents end to end (the file keeps no boundaries): the same as add_document of
        each."""
        self.add_document(tokens)

    def checkpoint(self) -> dict:
        self._f.flush()
        os.fsync(self._f.fileno())
        return {"tokens": self.count}

    def finalize(self) -> None:
        header = {"descr": self.dtype.str, "fortran_order": False, "shape": (self.count,)}
        text = b"\x93NUMPY\x01\x00"
        body = repr(header).encode("latin1")
        pad = self._HEADER_BYTES - len(text) - 2 - len(body) - 1
        self._f.seek(0)
        self._f.write(text + (len(body) + pad + 1).to_bytes(2, "little") + body + b" " * pad + b"\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        os.replace(self._tmp, self.path)

    def add_dataset(self, ds) -> None:
        """Appends every token of a Megatron dataset (a part another process wrote), in
        bounded chunks."""
        tokens = ds.tokens
        for a in range(0, tokens.size, 1 << 24):
            self.add_document(tokens[a:a + (1 << 24)])

    def suspend(self) -> None:
        self._f.close()


def output_path(prefix: str, key: str, fmt: str) -> str:
    """The output of one JSON key: a Megatron prefix (.bin/.idx) or an .npy file."""
    return f"{prefix}_{key}_document" if fmt == "megatron" else f"{prefix}_{key}.npy"


def open_writer(prefix: str, key: str, fmt: str, dtype) -> "IndexedDatasetWriter | NpyTokenWriter":
    cls = IndexedDatasetWriter if fmt == "megatron" else NpyTokenWriter
    return cls(output_path(prefix, key, fmt), dtype)


def written_files(writer) -> list[str]:
    return [writer.bin_path, writer.idx_path] if isinstance(writer, IndexedDatasetWriter) else [writer.path]


def check_format(fmt: str) -> None:
    if fmt not in ("megatron", "npy"):
        raise ValueError(f"format must be 'megatron' or 'npy', not {fmt!r}")


def check_keys(paths: list[str], keys: list[str]) -> None:
    """Keys that every input can be written under: distinct, and "text" among them when a .txt
    input (whose lines are documents under "text") is."""
    if len(set(keys)) != len(keys):
        raise ValueError(f"JSON keys must be distinct, not {keys}")
    plain = next((p for p in paths if not is_jsonl(p)), None)
    if plain is not None and "text" not in keys:
        raise InputError(f"{plain}: the lines of a text file are documents under the key 'text', "
                         f"which is not among the keys {keys}: add --json-key text")


def encoded_batches(reader: CorpusReader, tok: Tokenizer, keys: list[str], eod: int | None, threads: int,
                    batch_bytes: int, skip_to: tuple[int, int] = (-1, 0)) -> Iterator[tuple[dict, tuple[int, int]]]:
    """The documents of reader, a batch at a time, as {key: (ids, lengths)} (eod, if not None,
    ending each document) with the (file index, line) reached. The lines are parsed, checked
    and encoded in the core without the GIL; the reading thread only reads bytes. Bad records
    go to the reader (which raises at the first with on_error="fail"). Batches up to skip_to
    (written by an interrupted run) are only checked, for their bad records, and not yielded.

    Each of ``threads`` threads (0 = one per core) encodes whole batches, one at a time, and one
    more batch waits its turn, so the threads stay busy while the caller writes and
    checkpoints. Splitting each batch across the threads instead made every thread wait at the
    end of every batch for the others' last lines and start new threads for each batch; so
    batches had to be large (4 MB), and peak memory held several of them."""
    threads = threads or os.cpu_count() or 1
    dtype = dtype_for_vocab(tok.vocab_size).name  # the writers' ids, from the core as they are
    position = [-1, 0]  # the file and its last line that batches have reached

    def encode(batch, skip: bool):
        return _core.encode_lines(
            batch.lines, keys if batch.jsonl else None, None if skip else tok._core,
            max_line_bytes=reader.max_line_bytes, too_long_reason=reader.too_long_reason, eod=eod,
            threads=1, dtype=dtype, chunk_bytes=_CHUNK_BYTES)

    def finish(batch, skip: bool, future):
        docs, bad, count = future.result()
        if batch.file_index != position[0]:
            position[:] = [batch.file_index, 0]
        for i, reason in bad:
            reader.add_bad(batch.path, position[1] + 1 + i, reason)
        position[1] += count
        reader.stats.lines += count
        reader.stats.records += sum(d if skip else len(d[1]) for d in docs)  # skip: counts only
        return None if skip else (dict(zip(keys if batch.jsonl else ["text"], docs)), tuple(position))

    pool = ThreadPoolExecutor(threads, thread_name_prefix="zhtok-encode")
    pending: deque = deque()
    resuming = skip_to > (-1, 0)
    try:
        for batch in prefetch(reader.line_batches(batch_bytes), 2):
            skip = False
            if resuming:
                # Whether an interrupted run wrote this batch depends on the lines before it,
                # which the batches before give when done (they are only parsed: quick).
                while pending:
                    finish(*pending.popleft())
                line = position[1] if batch.file_index == position[0] else 0
                skip = resuming = (batch.file_index, line + 1) <= skip_to
            pending.append((batch, skip, pool.submit(encode, batch, skip)))
            if len(pending) > threads:
                done = finish(*pending.popleft())
                if done:
                    yield done
        while pending:
            done = finish(*pending.popleft())
            if done:
                yield done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def write_docs(writers: dict, docs: dict) -> tuple[int, int]:
    """Adds each key's documents ({key: (ids, lengths)}) to writers[key] in one add_documents
    call (per-document Python calls cost more than encoding); returns (documents, tokens)."""
    documents = tokens = 0
    for key, (ids, lengths) in docs.items():
        if len(lengths):
            writers[key].add_documents(ids, lengths)
        documents += len(lengths)
        tokens += int(ids.size)
    return documents, tokens


def _fingerprint(inputs: list[str], tokenizer_path: str, options: dict) -> str:
    h = hashlib.sha256()
    for p in inputs + [tokenizer_path]:
        st = os.stat(p)
        h.update(f"{os.path.abspath(p)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()


def encode_corpus(
    inputs: Iterable[str | os.PathLike],
    tokenizer: str | os.PathLike,
    output_prefix: str | os.PathLike,
    json_keys: Iterable[str] = ("text",),
    append_eod: bool = False,
    workers: int = 0,
    fmt: str = "megatron",
    resume: bool = False,
    on_error: str = "skip",
    progress: bool = False,
    # measured: 256 KB batches encode as fast as 1 MB ones and peak 8 MB lower, and the peak
    # grows less with the input (a run's largest batch sets it)
    batch_bytes: int = 256 << 10,
    checkpoint_bytes: int = 4 << 20,
    fast_segmentation: bool = False,
) -> EncodeSummary:
    """Encodes every document of inputs (.txt a document a line, .jsonl under json_keys; plain,
    .gz or .zst) in input order and writes ``{prefix}_{key}_document.bin/.idx`` (megatron) or
    ``{prefix}_{key}.npy`` (npy). ``workers`` threads encode (0 = all cores), ``batch_bytes`` of
    input at a time each; the outputs and the position reached are saved for ``resume`` every
    ``checkpoint_bytes`` of input. ``fast_segmentation``: see
    :meth:`zhtok.bpe.Tokenizer.with_fast_segmentation`."""
    check_format(fmt)
    t0 = time.monotonic()
    tok = Tokenizer.from_file(tokenizer, fast_segmentation)
    keys = list(json_keys)
    paths = expand_inputs(inputs)
    check_keys(paths, keys)
    prefix = os.fspath(output_prefix)
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
    dtype = dtype_for_vocab(tok.vocab_size)
    eod = tok.eod_id if append_eod else None
    # batches: how lines are cut into batches, which a resumed run must repeat exactly (3: lines
    # as read, CRs and all, split in the core); progress saved by an older zhtok is refused.
    options = {"keys": keys, "append_eod": append_eod, "format": fmt, "batches": 3,
               "fast_segmentation": fast_segmentation}
    state_path = prefix + ".progress.json"
    fp = _fingerprint(paths, os.fspath(tokenizer), options)

    summary = EncodeSummary()
    skip_to = (-1, 0)
    writers: dict[str, object] = {}
    if resume and os.path.exists(state_path):
        with open(state_path, encoding="utf-8") as f:
            state = json.load(f)
        if state["fingerprint"] != fp:
            raise InputError(f"{state_path}: the inputs, tokenizer or options changed since the interrupted run; "
                             "remove it to start over")
        skip_to = tuple(state["position"])
        summary.documents, summary.tokens = state["documents"], state["tokens"]
        summary.resumed_documents = state["documents"]
        cls = IndexedDatasetWriter if fmt == "megatron" else NpyTokenWriter
        writers = {k: cls.resume(output_path(prefix, k, fmt), dtype, s) for k, s in state["writers"].items()}
    for k in keys:
        if k not in writers:
            writers[k] = open_writer(prefix, k, fmt, dtype)

    # A resumed run reads its inputs from the start (skipping what is written), so it finds
    # the same bad records again.
    reader = CorpusReader(paths, keys, on_error)
    last_show = 0.0
    # A checkpoint (an fsync of every output) per checkpoint_bytes of input, not per batch.
    every = max(1, checkpoint_bytes // batch_bytes)
    try:
        for n, (docs, position) in enumerate(encoded_batches(reader, tok, keys, eod, workers, batch_bytes, skip_to)):
            documents, tokens = write_docs(writers, docs)
            summary.documents += documents
            summary.tokens += tokens
            if n % every == every - 1:
                state = {"fingerprint": fp, "position": list(position), "documents": summary.documents,
                         "tokens": summary.tokens,
                         "writers": {k: w.checkpoint() for k, w in writers.items()}}
                tmp = state_path + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(state, f)
                os.replace(tmp, state_path)
            now = time.monotonic()
            if progress and now - last_show > 0.5:
                last_show = now
                mb, dt = reader.stats.bytes / 1e6, now - t0
                print(f"\rencoding: {mb:,.0f} MB, {mb / dt:,.1f} MB/s, {summary.tokens / dt / 1e6:,.2f}M tokens/s, "
                      f"{summary.documents:,} documents", end="", file=sys.stderr, flush=True)
        for k, w in writers.items():
            w.finalize()
            summary.outputs += written_files(w)
    except BaseException:
        for w in writers.values():  # temporary files stay for resume
            w.suspend()
        raise
    if os.path.exists(state_path):
        os.remove(state_path)
    if progress:
        print(file=sys.stderr)
    summary.bytes_read = reader.stats.bytes
    summary.bad = reader.stats.bad
    summary.seconds = time.monotonic() - t0
    return summary
