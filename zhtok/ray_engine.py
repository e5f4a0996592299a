"""The Ray engine: ``zhtok encode`` and ``zhtok train-vocab`` spread over a Ray cluster
(``--engine ray``), with the local engine's output.

encode: the inputs are cut into shards (:mod:`zhtok.shards`: files, and byte ranges of whole
lines of large plain files). Each shard is a Ray task that encodes it with the tokenizer (loaded
once per worker process) into part files, one Megatron ``.bin``/``.idx`` per key under
``PREFIX.ray-parts/``, named for the attempt; once they are complete it publishes a manifest
(written under a temporary name and renamed). A task whose worker dies is retried as a new
attempt, and only parts that a manifest names are merged, so no document is lost or written
twice. The driver merges the parts in input order into the local engine's outputs, byte for
byte. Bad records are reported with the file's line numbers: each shard counts its lines, and
the driver adds the lines of the shards before it. ``resume=True`` keeps the parts of an
interrupted run.

train-vocab: each task counts its shard's regex pieces (map) and returns the counts as bytes;
the driver sums them (reduce), then segments the distinct Chinese pieces once and learns the
merges, as the local trainer does: the same counts, so the same vocabulary.

Every node must see the inputs, the tokenizer and the output folder at the same paths (a
shared filesystem) and have the same zhtok installed."""
from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import shutil
import socket
import time
import uuid
from types import SimpleNamespace
from typing import Callable, Iterable, Sequence

from . import _core
from .bpe import (Tokenizer, check_special_tokens, count_pretokens, new_counter, progress_printer,
                  train_from_counts, train_tokenizer)
from .corpus import CorpusReader, ReadStats
from .encode import (EncodeSummary, _fingerprint, check_format, check_keys, encode_corpus, encoded_batches,
                     open_writer, output_path, write_docs, written_files)
from .errors import FormatError, InputError, ZhtokError
from .megatron import IndexedDataset, dtype_for_vocab
from .shards import Shard, default_shard_bytes, file_record, lines_before, plan_shards

RAY_MISSING = ('the Ray engine needs Ray, which is not installed: pip install "zhtok[ray]" '
               '(in a source checkout: pip install ".[ray]")')
MAX_RETRIES = 3  # attempts of a shard after the first, when its worker dies
PARTS_SUFFIX = ".ray-parts"


def import_ray():
    """The ray module, or a ZhtokError that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ZhtokError(RAY_MISSING) from None
    return ray


class _Cluster:
    """Connects to the Ray cluster at address ("auto", "HOST:PORT"; None: start one on this
    machine) unless already connected, and disconnects on leaving if it connected."""

    def __init__(self, address: str | None):
        self.address = address

    def __enter__(self):
        self.ray = ray = import_ray()
        self.connected = False
        if not ray.is_initialized():
            self._check_reachable()
            options = {"logging_level": logging.WARNING}
            if self.address is None:
                options["include_dashboard"] = False
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, RuntimeError, ValueError) as e:
                if self.address is None:
                    raise ZhtokError(f"cannot start Ray on this machine: {e}") from None
                raise ZhtokError(f"cannot connect to the Ray cluster at {self.address}: {e} "
                                 "(start one with `ray start --head`)") from None
            self.connected = True
        return ray

    def _check_reachable(self) -> None:
        """A HOST:PORT that does not answer is an error now (Ray itself retries for minutes)."""
        host, _, port = (self.address or "").rpartition(":")
        if not host or "://" in self.address or not port.isdigit():
            return
        try:
            socket.create_connection((host, int(port)), timeout=10).close()
        except OSError as e:
            raise ZhtokError(f"cannot connect to the Ray cluster at {self.address}: {e} "
                             "(is `ray start --head` running there?)") from None

    def __exit__(self, *exc) -> None:
        if self.connected:
            self.ray.shutdown()


def _cluster_cpus(ray) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _shard_size(ray, paths: list[str], shard_bytes: int | None) -> int:
    if shard_bytes is not None:
        return shard_bytes
    return default_shard_bytes(sum(os.path.getsize(p) for p in paths), _cluster_cpus(ray))


# -- in the workers ------------------------------------------------------------------------

def _read_shard(shard: Shard, json_keys: Sequence[str], on_error: str, consume: Callable[[CorpusReader], None]) -> dict:
    """Runs consume over the shard's reader; returns what was read, with lines of the shard.
    A bad record that stops the run (on_error="fail") comes back as "failed", for the driver
    to report with the file's line number."""
    reader = shard.reader(json_keys, on_error)
    failed = None
    try:
        consume(reader)
    except InputError as e:
        record = getattr(e, "record", None)
        if record is None:
            raise
        failed = [record.line, record.reason]
    st = reader.stats
    return {"index": shard.index, "lines": st.lines, "bytes": st.bytes, "records": st.records,
            "bad": [[b.line, b.reason] for b in st.bad], "failed": failed}


@functools.lru_cache(maxsize=4)
def _tokenizer(path: str, mtime_ns: int, fast_segmentation: bool) -> Tokenizer:
    """The tokenizer, loaded once per worker process (and again if the file changes)."""
    return Tokenizer.from_file(path, fast_segmentation)


def _write_json_atomic(path: str, obj) -> None:
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _encode_shard(shard: Shard, tokenizer: str, fast_segmentation: bool, keys: list[str], append_eod: bool,
                  on_error: str, parts_dir: str, batch_bytes: int) -> dict:
    """A Ray task: encodes one shard into a part per key; returns (and publishes) its manifest."""
    manifest = os.path.join(parts_dir, f"{shard.index:06d}.json")
    if os.path.exists(manifest):  # complete already: a resumed run, or a retry after publishing
        with open(manifest, encoding="utf-8") as f:
            return json.load(f)
    tok = _tokenizer(tokenizer, os.stat(tokenizer).st_mtime_ns, fast_segmentation)
    eod = tok.eod_id if append_eod else None
    part = os.path.join(parts_dir, f"{shard.index:06d}-{uuid.uuid4().hex[:12]}")  # this attempt's
    writers = {k: open_writer(part, k, "megatron", dtype_for_vocab(tok.vocab_size)) for k in keys}
    documents, tokens = dict.fromkeys(keys, 0), [0]

    def encode(reader: CorpusReader) -> None:
        for docs, _ in encoded_batches(reader, tok, keys, eod, 1, batch_bytes):
            tokens[0] += write_docs(writers, docs)[1]
            for key, (_, lengths) in docs.items():
                documents[key] += len(lengths)

    try:
        result = _read_shard(shard, keys, on_error, encode)
        if not result["failed"]:
            for w in writers.values():
                w.finalize()
    finally:
        for w in writers.values():  # unless finalized; the files go with the parts folder
            w.suspend()
    if result["failed"]:
        return result
    result.update(part=part, documents=documents, tokens=tokens[0])
    _write_json_atomic(manifest, result)
    return result


@functools.lru_cache(maxsize=4)
def _seg_model(pretokenizer: str, seg_model: str | None):
    return new_counter(pretokenizer, seg_model)[1]  # loaded once per worker process


def _count_shard(shard: Shard, pretokenizer: str, seg_model: str | None, keys: list[str], on_error: str,
                 batch_bytes: int) -> dict:
    """A Ray task: counts the regex pieces of one shard; the counts come back as bytes."""
    counter = _core.PretokenCounter(pretokenizer, _seg_model(pretokenizer, seg_model))
    result = _read_shard(shard, keys, on_error, lambda reader: count_pretokens(counter, reader, 1, batch_bytes))
    if not result["failed"]:
        result["counts"] = counter.serialize()
    return result


# -- on the driver -------------------------------------------------------------------------

def _get(ray, ref, shard: Shard) -> dict:
    """A task's result; its error as a zhtok error naming the shard."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, (ZhtokError, OSError)):
            raise cause from None
        raise ZhtokError(f"{shard}: the Ray task failed: {e}") from None
    except ray.exceptions.RayError as e:
        raise ZhtokError(f"{shard}: failed on Ray ({MAX_RETRIES} retries): {type(e).__name__}: {e}") from None


def _run(ray, task: Callable[..., dict], shards: list[Shard], args: tuple, what: str,
         show: Callable[..., None], on_result: Callable[[Shard, dict], None] | None = None) -> list[dict]:
    """Runs task(shard, *args) for every shard on the cluster (largest first, for balance) and
    returns the results in shard order. The first fatal bad record in input order raises, with
    the file's line number, once the shards before it are done."""
    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)(task)
    refs = {remote.remote(s, *args): s for s in sorted(shards, key=lambda s: -s.nbytes)}
    results: list[dict | None] = [None] * len(shards)
    pending = list(refs)
    ok = 0  # shards [0, ok) are done and were not stopped by a bad record
    total = sum(s.nbytes for s in shards)
    done_bytes, done, t0 = 0, 0, time.monotonic()
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            shard = refs.pop(ready[0])
            result = results[shard.index] = _get(ray, ready[0], shard)
            if on_result is not None and not result["failed"]:
                on_result(shard, result)
            done, done_bytes = done + 1, done_bytes + shard.nbytes
            dt = time.monotonic() - t0
            show(f"{what} on Ray: {done}/{len(shards)} shards, {done_bytes / 1e6:,.0f} of {total / 1e6:,.0f} MB, "
                 f"{done_bytes / 1e6 / max(dt, 1e-9):,.1f} MB/s", final=not pending)
            while ok < len(shards) and results[ok] is not None:
                if results[ok]["failed"]:
                    before = lines_before(shards[:ok + 1], [r["lines"] for r in results[:ok + 1]])[-1]
                    raise file_record(shards[ok], before, *results[ok]["failed"]).error()
                ok += 1
    finally:
        for ref in pending:
            ray.cancel(ref)
    return results  # type: ignore[return-value]


def _read_stats(shards: list[Shard], results: list[dict]) -> ReadStats:
    """What the shards read, bad records with the file's line numbers, in input order."""
    before = lines_before(shards, [r["lines"] for r in results])
    bad = [file_record(s, b, line, reason) for s, r, b in zip(shards, results, before) for line, reason in r["bad"]]
    return ReadStats(bytes=sum(r["bytes"] for r in results), records=sum(r["records"] for r in results),
                     lines=sum(r["lines"] for r in results), bad=bad)


def _plan(parts_dir: str, paths: list[str], fingerprint: str, shard_bytes: Callable[[], int],
          resume: bool) -> list[Shard]:
    """The shards: those of the interrupted run when resuming (its complete parts are kept),
    else a new plan in an emptied parts folder."""
    plan_path = os.path.join(parts_dir, "plan.json")
    if resume and os.path.exists(plan_path):
        with open(plan_path, encoding="utf-8") as f:
            plan = json.load(f)
        if plan["fingerprint"] != fingerprint:
            raise InputError(f"{plan_path}: the inputs, tokenizer or options changed since the interrupted run; "
                             f"remove {parts_dir} to start over")
        return [Shard(**d) for d in plan["shards"]]
    shutil.rmtree(parts_dir, ignore_errors=True)
    os.makedirs(parts_dir)
    shards = plan_shards(paths, shard_bytes())
    _write_json_atomic(plan_path, {"fingerprint": fingerprint, "shards": [s.to_dict() for s in shards]})
    return shards


def _local_arguments(local: Callable, args: tuple, options: dict) -> SimpleNamespace:
    """The arguments of the local engine's function, its defaults filled in: both engines take
    the same options (an unknown one is a TypeError, as it would be locally)."""
    bound = inspect.signature(local).bind(*args, **options)
    bound.apply_defaults()
    return SimpleNamespace(**bound.arguments)


def encode_corpus_ray(inputs: Iterable[str | os.PathLike], tokenizer: str | os.PathLike,
                      output_prefix: str | os.PathLike, *, shard_bytes: int | None = None,
                      ray_address: str | None = None, **options) -> EncodeSummary:
    """:func:`zhtok.encode.encode_corpus` (the same options; ``workers`` aside: a task uses
    one CPU) on a Ray cluster: the same outputs, byte for byte. ``shard_bytes``: the size of
    byte-range shards (default: about 4 shards per CPU of the cluster, 1 MiB to 1 GiB);
    ``ray_address``: "auto", "HOST:PORT", or None to start Ray on this machine (when not
    connected already)."""
    a = _local_arguments(encode_corpus, (inputs, tokenizer, output_prefix), options)
    json_keys, append_eod, fmt, resume = a.json_keys, a.append_eod, a.fmt, a.resume
    on_error, progress, batch_bytes, fast = a.on_error, a.progress, a.batch_bytes, a.fast_segmentation
    check_format(fmt)
    t0 = time.monotonic()
    keys = list(json_keys)
    paths = CorpusReader(inputs, keys, on_error).paths  # checks the inputs and on_error
    check_keys(paths, keys)
    tokenizer = os.path.abspath(os.fspath(tokenizer))
    tok = Tokenizer.from_file(tokenizer, fast)
    if append_eod:
        tok.eod_id  # raises now, not in every task, if there is no end-of-document token
    prefix = os.fspath(output_prefix)
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
    parts_dir = prefix + PARTS_SUFFIX
    fingerprint = _fingerprint(paths, tokenizer, {"keys": keys, "append_eod": append_eod, "engine": "ray",
                                                 "fast_segmentation": fast})
    show = progress_printer(progress)
    with _Cluster(ray_address) as ray:
        shards = _plan(parts_dir, paths, fingerprint, lambda: _shard_size(ray, paths, shard_bytes), resume)
        args = (tokenizer, fast, keys, append_eod, on_error, os.path.abspath(parts_dir), batch_bytes)
        results = _run(ray, _encode_shard, shards, args, "encoding", show)

    stats = _read_stats(shards, results)
    summary = EncodeSummary(documents=stats.records, tokens=sum(r["tokens"] for r in results),
                            bytes_read=stats.bytes, bad=stats.bad)
    writers = {k: open_writer(prefix, k, fmt, dtype_for_vocab(tok.vocab_size)) for k in keys}
    try:
        for shard, r in zip(shards, results):
            for k in keys:
                ds = IndexedDataset(output_path(r["part"], k, "megatron"))
                if len(ds) != r["documents"][k]:
                    raise FormatError(f"{ds.prefix}: {len(ds)} documents, but the manifest of {shard} says "
                                      f"{r['documents'][k]}")
                writers[k].add_dataset(ds)
        for w in writers.values():
            w.finalize()
            summary.outputs += written_files(w)
    except BaseException:
        for w in writers.values():
            w.suspend()
        raise
    shutil.rmtree(parts_dir, ignore_errors=True)
    summary.seconds = time.monotonic() - t0
    return summary


def train_tokenizer_ray(inputs: Iterable[str | os.PathLike], vocab_size: int, output: str | os.PathLike | None = None,
                        *, shard_bytes: int | None = None, ray_address: str | None = None,
                        **options) -> tuple[Tokenizer, ReadStats]:
    """:func:`zhtok.bpe.train_tokenizer` (the same options) with the counting spread over a
    Ray cluster: the same vocabulary. Segmenting the distinct pieces and merging run here on
    ``threads``. ``shard_bytes``, ``ray_address``: as for :func:`encode_corpus_ray`."""
    a = _local_arguments(train_tokenizer, (inputs, vocab_size, output), options)
    pretokenizer, special_tokens, min_frequency, threads = a.pretokenizer, a.special_tokens, a.min_frequency, a.threads
    json_keys, seg_model, on_error, progress, batch_bytes = a.json_keys, a.seg_model, a.on_error, a.progress, a.batch_bytes
    check_special_tokens(special_tokens)
    keys = list(json_keys)
    seg_path = os.path.abspath(os.fspath(seg_model)) if seg_model else None
    counter, seg = new_counter(pretokenizer, seg_path)
    paths = CorpusReader(inputs, keys, on_error).paths
    show = progress_printer(progress)
    t0 = time.monotonic()

    def reduce(shard: Shard, result: dict) -> None:
        counter.merge(result.pop("counts"), f"pre-token counts of {shard}")

    with _Cluster(ray_address) as ray:
        shards = plan_shards(paths, _shard_size(ray, paths, shard_bytes))
        args = (pretokenizer, seg_path, keys, on_error, batch_bytes)
        results = _run(ray, _count_shard, shards, args, "counting", show, on_result=reduce)
    stats = _read_stats(shards, results)
    tok = train_from_counts(counter, seg, vocab_size, output, pretokenizer, special_tokens, min_frequency,
                            threads, stats, show, t0)
    return tok, stats
