"""Encoding speed benchmark: zhtok's tokenizers against tiktoken, HF tokenizers and sentencepiece,
and ``zhtok encode`` end to end against an HF tokenizers + numpy pipeline.

Input: the lines of DATA/text/mixed_leetcode_zh.txt and mixed_javaguide.txt (Chinese prose with
English terms and code), each line a document; ``--quick`` takes about the first 2 MB (the
same share of each file).  Every tokenizer has 32,000 ids:

- ``zhtok-segment``: ``zhtok.bpe.Tokenizer.default()`` (segment pre-tokenizer);
- ``zhtok-segment-fast``: the same with ``fast_segmentation=True`` (words scored by frequency
  alone); the report says how often its ids and words agree with zhtok-segment's;
- ``zhtok-regex``: a tokenizer trained with ``pretokenizer="regex"`` on DATA/text (cached
  under ``OUT/encode_models/``; ``--quick`` trains it on about the first 10 MB);
- ``tiktoken``: ``zhtok-regex.tiktoken_encoding()`` (its ranks and pattern: the same ids);
- ``hf``: HF tokenizers loaded from ``zhtok-regex.export_hf(dir)`` (the same ids), in one
  process with RAYON_NUM_THREADS=1 and in another with 2;
- ``sentencepiece``: the 32k BPE model of bench_vocab (``OUT/models/sentencepiece.model``)
  when present, else one trained on about 10 MB of DATA/text.

Each tokenizer runs in a process of its own; one timed sample encodes every line once with a
tokenizer freshly loaded for it (zhtok keeps a per-thread cache of pre-tokens between ``encode``
calls and HF one of words: passes repeated over the same lines, or a warm instance, would time
cache hits), the samples of all tools are interleaved run by run and the median is reported in
MB/s of UTF-8 text, with the CPU seconds of the pass.  Every output is hashed: the report says which
encodings agree (zhtok-regex, tiktoken and hf must; each tokenizer's modes must).

End to end: ``zhtok encode IN.jsonl --workers N`` (N = 1, 2; ``zhtok.cli.main`` in a fresh
interpreter) writing Megatron
``.bin/.idx``, against a pipeline of ``json.loads`` + HF ``encode_batch`` + numpy +
``zhtok.megatron.IndexedDatasetWriter`` (RAYON_NUM_THREADS = 1, 2); wall time and peak RSS of
the whole process, from start to exit. Its input is every line of DATA/text/*.txt (the
benchmark's lines with ``--quick``), so that start-up weighs as little as in a real job.

Memory against input size: peak RSS of ``zhtok encode --workers 2`` (each zhtok tokenizer) on the
first 100 MB of that jsonl and on those bytes written over and over to 1 GB (1 and 10 MB with
``--quick``), interleaved, medians; the target is no more for 1 GB than for 100 MB.

    python -m benchmarks.bench_encode --out bench-results [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks import bench_vocab
from benchmarks._rss import rss_mb
from benchmarks._util import DEFAULT_DATA_DIR, REPO_ROOT, Worker, base_environment, environment_text, check_tools, comma_list, load_average, log
from benchmarks.plots import make_plots

INPUT_FILES = ("mixed_leetcode_zh.txt", "mixed_javaguide.txt")
TOOLS = ("zhtok-segment", "zhtok-segment-fast", "zhtok-regex", "tiktoken", "hf", "sentencepiece")
# The one-thread baseline of the targets: the faster of tiktoken's one-thread modes (its
# encode_ordinary_batch pays a thread-pool future per document, slow on short lines).
REFERENCE_MODES = ("encode_ordinary (line by line)", "encode_ordinary_batch num_threads=1")
ONE_THREAD_MODES = {
    "zhtok-segment": ("encode (line by line)", "encode_batch threads=1"),
    "zhtok-segment-fast": ("encode (line by line)", "encode_batch threads=1"),
    "zhtok-regex": ("encode (line by line)", "encode_batch threads=1"),
}
VOCAB_SIZE = 32_000
QUICK_BYTES = 2_000_000  # --quick: input lines
TRAIN_QUICK_BYTES = 10_000_000  # training text for the regex tokenizer (quick) or sentencepiece (when not reused)
E2E_WORKERS = (1, 2)
# The end-to-end input is every line of DATA/text/*.txt (116 MB: Chinese, mixed and English), a
# corpus-sized job: on the 16 MB of the encoding benchmark, interpreter start-up and tokenizer
# loading (0.3 s) were a fifth of a run. (The same lines written several times would not do:
# piece caches would time repeats.)
E2E_GLOB = "*.txt"
# Memory against input size: peak RSS of ``zhtok encode --workers 2`` on the first 100 MB of the
# end-to-end jsonl and on those bytes written over and over to 1 GB (the target: no more). The same
# text repeated, so that only the size differs: the whole jsonl repeated would add its tail's
# longer documents to the large input only.
MEMORY_SIZES = (100_000_000, 1_000_000_000)
QUICK_MEMORY_SIZES = (1_000_000, 10_000_000)
SEGMENT_VS_TIKTOKEN_TARGET = 1.5
REGEX_VS_TIKTOKEN_TARGET = 3.0
E2E_VS_HF_TARGET = 3.0
E2E_SPEEDUP_TARGET = 1.8
_WARM_UP_LINES = 200

# (tool, RAYON_NUM_THREADS or None) -> the modes timed in that process
WORKERS: dict[tuple[str, int | None], tuple[str, ...]] = {
    ("zhtok-segment", None): ("encode (line by line)", "encode_batch threads=1", "encode_batch threads=2"),
    ("zhtok-segment-fast", None): ("encode (line by line)", "encode_batch threads=1", "encode_batch threads=2"),
    ("zhtok-regex", None): ("encode (line by line)", "encode_batch threads=1", "encode_batch threads=2"),
    ("tiktoken", None): ("encode_ordinary (line by line)", "encode_ordinary_batch num_threads=1",
                         "encode_ordinary_batch num_threads=2"),
    ("hf", 1): ("encode (line by line)", "encode_batch RAYON_NUM_THREADS=1"),
    ("hf", 2): ("encode_batch RAYON_NUM_THREADS=2",),
    ("sentencepiece", None): ("encode (line by line)", "encode num_threads=1", "encode num_threads=2"),
}


def run(
    data_dir: str | Path,
    out_dir: str | Path,
    quick: bool = False,
    runs: int = 5,
    tools: Sequence[str] | None = None,
    end_to_end: bool = True,
    spm_model: str | Path | None = None,
    vocab_size: int = VOCAB_SIZE,
    input_bytes: int | None = None,
    train_bytes: int | None = None,
    memory_sizes: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Time every tool's encoders and the end-to-end pipelines; write encode.json and
    encode.md into ``out_dir`` and return the figures.

    ``runs`` interleaved samples per mode (``quick``: 3, on about 2 MB of input).  The
    regex tokenizer is trained once and cached under ``out_dir/encode_models/``; the
    sentencepiece model is ``spm_model``, else bench_vocab's under ``out_dir``, else trained
    on a subset.  ``input_bytes`` / ``train_bytes`` cut the input / training text to about
    that many bytes (tests).  ``memory_sizes``: the (small, large) jsonl bytes of the memory
    comparison (default MEMORY_SIZES, QUICK_MEMORY_SIZES with ``quick``; it runs with the end
    to end).  Tools that cannot be loaded are skipped (see "skipped").
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    tools = check_tools(tools, TOOLS, TOOLS, runs)
    if quick:
        runs = min(runs, 3)
    if input_bytes is None and quick:
        input_bytes = QUICK_BYTES
    if train_bytes is None and quick:
        train_bytes = TRAIN_QUICK_BYTES
    inputs = [data_dir / "text" / name for name in INPUT_FILES]
    missing = [str(p) for p in inputs if not p.is_file()]
    if missing:
        raise ValueError(f"input files not found: {missing}")
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    build_at_start = bench_vocab.zhtok_build()

    lines = load_lines(inputs, input_bytes)
    text_bytes = sum(len(line.encode("utf-8")) for line in lines)
    results: dict[str, Any] = {
        "input": {"files": [str(p) for p in inputs], "lines": len(lines), "bytes": text_bytes,
                  "characters": sum(map(len, lines)), "cut_to_bytes": input_bytes},
        "models": {}, "encode": {}, "agreement": {}, "end_to_end": {}, "skipped": {},
    }
    log(f"input: {len(lines):,} lines, {text_bytes / 1e6:.2f} MB; {runs} run(s)")

    models = _prepare_models(data_dir, out_dir, tools, quick, spm_model, vocab_size, train_bytes, results)

    # ---- encoders, each tool in its own process, samples interleaved
    workers: dict[tuple[str, int | None], Worker] = {}
    versions: dict[str, str] = {}
    for (tool, rayon), modes in WORKERS.items():
        if tool not in tools or tool not in models:
            continue
        try:
            workers[(tool, rayon)] = Worker(_serve, tool, models[tool], rayon, [str(p) for p in inputs], input_bytes)
        except RuntimeError as error:
            results["skipped"][tool] = str(error)
            log(f"skipping {tool}: {error}")
            continue
        versions.setdefault(_package(tool), workers[(tool, rayon)].version)
    samples: dict[tuple[str, str], list[float]] = {}
    cpu_samples: dict[tuple[str, str], list[float]] = {}
    outputs: dict[tuple[str, str], dict[str, Any]] = {}
    keys = [(key, mode) for key, worker in workers.items() for mode in WORKERS[key]]
    results["load_average_before"] = load_average()
    for run_index in range(runs):
        shift = run_index % max(len(keys), 1)
        for (key, mode) in keys[shift:] + keys[:shift]:
            elapsed, cpu, info = workers[key].call("time", mode, run_index == 0)
            samples.setdefault((key[0], mode), []).append(elapsed)
            cpu_samples.setdefault((key[0], mode), []).append(cpu)
            if info is not None:
                outputs[(key[0], mode)] = info
        log(f"run {run_index + 1}/{runs} done, load {load_average()}")
    results["load_average_after"] = load_average()
    peaks: dict[str, float] = {}
    for key, worker in workers.items():
        peaks[f"{key[0]}" + (f" (RAYON_NUM_THREADS={key[1]})" if key[1] else "")] = worker.close()
    for (tool, mode), seconds in samples.items():
        median = statistics.median(seconds)
        figures = {
            "mb_per_s": text_bytes / 1e6 / median,
            "seconds": median,
            "seconds_all": seconds,
            "cpu_seconds": statistics.median(cpu_samples[(tool, mode)]),
            "mb_per_cpu_second": text_bytes / 1e6 / max(statistics.median(cpu_samples[(tool, mode)]), 1e-9),
            "tokens": outputs[(tool, mode)]["tokens"],
            "sha256": outputs[(tool, mode)]["sha256"],
        }
        results["encode"].setdefault(tool, {})[mode] = figures
        log(f"{tool} / {mode}: {figures['mb_per_s']:.2f} MB/s, {figures['tokens']:,} tokens")
    results["peak_rss_mb"] = peaks
    results["agreement"] = _agreement(results["encode"])
    if {"zhtok-segment", "zhtok-segment-fast"} <= set(results["encode"]):
        results["fast_segmentation"] = fast_segmentation_agreement(lines, models["zhtok-segment"])

    # ---- end to end
    if end_to_end:
        e2e_lines = lines if quick else load_lines(sorted((data_dir / "text").glob(E2E_GLOB)), input_bytes)
        results["end_to_end"] = _end_to_end(out_dir, e2e_lines, models, tools, runs, results["skipped"])
        sizes = memory_sizes or (QUICK_MEMORY_SIZES if quick else MEMORY_SIZES)
        results["memory"] = _memory_vs_input_size(out_dir, Path(results["end_to_end"]["input"]), models, tools,
                                                  runs, sizes, results["skipped"])

    results["comparison"] = _compare(results)
    results["environment"] = _environment(versions, runs, quick)
    results["environment"]["benchmark_seconds"] = time.perf_counter() - started
    results["environment"]["zhtok_build_at_start"] = build_at_start
    (out_dir / "encode.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "encode.md").write_text(_markdown(results), encoding="utf-8")
    log(f"wrote {out_dir / 'encode.json'} and {out_dir / 'encode.md'}")
    return results


# --------------------------------------------------------------------------------------
# input and models


def load_lines(paths: Sequence[Path], max_bytes: int | None = None) -> list[str]:
    """Every line of the files (line ends, CR included, dropped); with ``max_bytes``, the same
    leading share of each file's lines, about ``max_bytes`` in all."""
    total = sum(p.stat().st_size for p in paths)
    share = 1.0 if max_bytes is None or max_bytes >= total else max_bytes / total
    lines: list[str] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        mine = text.split("\n")
        if mine and mine[-1] == "":
            mine.pop()
        if share < 1.0:
            mine = mine[: max(1, math.ceil(len(mine) * share))]
        lines += [line.removesuffix("\r") for line in mine]
    return lines


def _prepare_models(
    data_dir: Path, out_dir: Path, tools: list[str], quick: bool, spm_model: str | Path | None,
    vocab_size: int, train_bytes: int | None, results: dict[str, Any],
) -> dict[str, str]:
    """Model path of each tool (the regex tokenizer trained and cached if needed; its HF
    export written)."""
    from zhtok._paths import DEFAULT_TOKENIZER, vocab_file

    models: dict[str, str] = {}
    info = results["models"]
    if "zhtok-segment" in tools:
        models["zhtok-segment"] = str(vocab_file(DEFAULT_TOKENIZER))
        info["zhtok-segment"] = {"path": models["zhtok-segment"], "what": "zhtok.bpe.Tokenizer.default()"}
    if "zhtok-segment-fast" in tools:
        models["zhtok-segment-fast"] = str(vocab_file(DEFAULT_TOKENIZER))
        info["zhtok-segment-fast"] = {"path": models["zhtok-segment-fast"],
                                      "what": "zhtok.bpe.Tokenizer.default(fast_segmentation=True)"}
    cache = out_dir / "encode_models" / (f"bytes_{train_bytes}" if train_bytes else "full")
    cache.mkdir(parents=True, exist_ok=True)
    text_dir = data_dir / "text"
    if {"zhtok-regex", "tiktoken", "hf"} & set(tools):
        regex = cache / "zhtok-regex.ztok"
        if regex.is_file():
            info["zhtok-regex"] = {"path": str(regex), "what": "cached", "trained_seconds": None}
        else:
            files = _training_files(text_dir, cache / "train_text", train_bytes)
            log(f"training the zhtok regex tokenizer ({vocab_size:,}) on {len(files)} files -> {regex}")
            try:
                trained = bench_vocab._train_in_child("zhtok-regex", files, cache, vocab_size, 2, {})
            except RuntimeError as error:
                for tool in ("zhtok-regex", "tiktoken", "hf"):
                    results["skipped"][tool] = f"no regex tokenizer: {error}"
                trained = None
            if trained is not None:
                info["zhtok-regex"] = {"path": str(regex), "what": "trained now", "trained_seconds": trained["seconds"]}
        if regex.is_file():
            info["zhtok-regex"]["training_text"] = "DATA/text/*.txt" + (f", first ~{train_bytes / 1e6:.0f} MB" if train_bytes else "")
            for tool in ("zhtok-regex", "tiktoken"):
                models[tool] = str(regex)
            try:
                from zhtok.bpe import Tokenizer

                models["hf"] = Tokenizer.from_file(regex).export_hf(cache / "hf_export")
                info["hf"] = {"path": models["hf"], "what": "zhtok-regex .export_hf()"}
            except Exception as error:  # noqa: BLE001
                results["skipped"]["hf"] = f"export_hf failed: {type(error).__name__}: {error}"
            info["tiktoken"] = {"path": str(regex), "what": "zhtok-regex .tiktoken_encoding()"}
    if "sentencepiece" in tools:
        candidates = [Path(spm_model)] if spm_model else [
            out_dir / ("models_quick" if quick else "models") / "sentencepiece.model",
            out_dir / "models" / "sentencepiece.model",
            cache / "sentencepiece.model",
        ]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            spm_cache = cache / "sentencepiece.model"
            files = _training_files(text_dir, cache / "train_text", train_bytes or TRAIN_QUICK_BYTES)
            log(f"training sentencepiece ({vocab_size:,}) on ~{(train_bytes or TRAIN_QUICK_BYTES) / 1e6:.0f} MB -> {spm_cache}")
            try:
                lines = sum(Path(f).read_bytes().count(b"\n") for f in files)
                bench_vocab._train_in_child("sentencepiece", files, cache, vocab_size, 2, {"input_sentence_size": lines + 1})
                found = spm_cache
                info["sentencepiece"] = {"path": str(found), "what": f"trained now on ~{(train_bytes or TRAIN_QUICK_BYTES) / 1e6:.0f} MB"}
            except RuntimeError as error:
                results["skipped"]["sentencepiece"] = str(error)
        else:
            info["sentencepiece"] = {"path": str(found), "what": "reused (bench_vocab's or given)"}
        if found is not None:
            models["sentencepiece"] = str(found)
    return models


def _training_files(text_dir: Path, work_dir: Path, max_bytes: int | None) -> list[str]:
    """DATA/text/*.txt, or (with max_bytes) copies of the same leading share of each."""
    sources = sorted(text_dir.glob("*.txt"))
    if max_bytes is None:
        return [str(p) for p in sources]
    total = sum(p.stat().st_size for p in sources)
    share = min(1.0, max_bytes / total)
    work_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for source in sources:
        lines = source.read_bytes().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        target = work_dir / source.name
        target.write_bytes(b"".join(line + b"\n" for line in lines[: max(1, math.ceil(len(lines) * share))]))
        files.append(str(target))
    return files


# --------------------------------------------------------------------------------------
# encoder workers


def _serve(tool: str, model: str, rayon: int | None, inputs: list[str], input_bytes: int | None, conn: Connection) -> None:
    """Child process: load the tokenizer and the input lines, then time requests until "stop"."""
    if rayon is not None:
        os.environ["RAYON_NUM_THREADS"] = str(rayon)
        os.environ["TOKENIZERS_PARALLELISM"] = "true"
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    try:
        lines = load_lines([Path(p) for p in inputs], input_bytes)
        for encode in encoders(tool, model).values():  # pages the code in; this instance is dropped
            encode(lines[:_WARM_UP_LINES])
    except Exception as error:  # noqa: BLE001 - any failure means "skip this tool"
        conn.send(("error", f"cannot load {tool}: {type(error).__name__}: {error}"))
        return
    conn.send(("ready", (bench_vocab._version(_package(tool)), rss_mb())))
    while True:
        request = conn.recv()
        try:
            if request[0] == "time":
                _, mode, keep = request
                encode = encoders(tool, model)[mode]  # a fresh tokenizer: no cache from earlier samples
                cpu = bench_vocab._cpu_seconds()
                start = time.perf_counter()
                ids = encode(lines)
                elapsed = time.perf_counter() - start
                cpu = bench_vocab._cpu_seconds() - cpu
                conn.send(("ok", (elapsed, cpu, digest(ids) if keep else None)))
                ids = encode = None  # freed here, not inside the next timed pass
            elif request[0] == "stop":
                conn.send(("ok", rss_mb()))
                return
            else:
                conn.send(("error", f"unknown request {request[0]!r}"))
        except Exception as error:  # noqa: BLE001 - report it to the parent instead of hanging it
            conn.send(("error", f"{tool} failed on {request[:2]}: {type(error).__name__}: {error}"))


def _package(tool: str) -> str:
    return {"hf": "tokenizers"}.get(tool, "zhtok" if tool.startswith("zhtok") else tool)


def encoders(tool: str, model: str) -> dict[str, Callable[[list[str]], list[list[int]]]]:
    """The timed modes of a tool: each maps lines to their ids (lists of ints)."""
    if tool in ("zhtok-segment", "zhtok-segment-fast", "zhtok-regex"):
        from zhtok.bpe import Tokenizer

        tok = Tokenizer.from_file(model, fast_segmentation=tool == "zhtok-segment-fast")
        expected = "regex" if tool == "zhtok-regex" else "segment"
        if tok.pretokenizer != expected:
            raise ValueError(f"{model} has the {tok.pretokenizer} pre-tokenizer, not {expected}")
        return {
            "encode (line by line)": lambda lines: [tok.encode(line) for line in lines],
            "encode_batch threads=1": lambda lines: tok.encode_batch(lines, threads=1),
            "encode_batch threads=2": lambda lines: tok.encode_batch(lines, threads=2),
        }
    if tool == "tiktoken":
        from zhtok.bpe import Tokenizer

        enc = Tokenizer.from_file(model).tiktoken_encoding()
        return {
            "encode_ordinary (line by line)": lambda lines: [enc.encode_ordinary(line) for line in lines],
            "encode_ordinary_batch num_threads=1": lambda lines: enc.encode_ordinary_batch(lines, num_threads=1),
            "encode_ordinary_batch num_threads=2": lambda lines: enc.encode_ordinary_batch(lines, num_threads=2),
        }
    if tool == "hf":
        from tokenizers import Tokenizer as HfTokenizer

        tok = HfTokenizer.from_file(model)
        threads = os.environ.get("RAYON_NUM_THREADS", "?")

        def batch(lines: list[str]) -> list[list[int]]:
            return [e.ids for e in tok.encode_batch(lines, add_special_tokens=False)]

        return {
            "encode (line by line)": lambda lines: [tok.encode(line, add_special_tokens=False).ids for line in lines],
            f"encode_batch RAYON_NUM_THREADS={threads}": batch,
        }
    if tool == "sentencepiece":
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=model)
        return {
            "encode (line by line)": lambda lines: [sp.encode(line) for line in lines],
            "encode num_threads=1": lambda lines: sp.encode(lines, num_threads=1),
            "encode num_threads=2": lambda lines: sp.encode(lines, num_threads=2),
        }
    raise ValueError(f"unknown tool {tool!r}")


def digest(ids: list[list[int]]) -> dict[str, Any]:
    """Token count and a SHA-256 of all documents' ids (each document's length, then its ids)."""
    import numpy as np

    h = hashlib.sha256()
    tokens = 0
    lengths = np.fromiter((len(doc) for doc in ids), dtype=np.int64, count=len(ids))
    h.update(lengths.tobytes())
    for doc in ids:
        tokens += len(doc)
        h.update(np.asarray(doc, dtype=np.uint32).tobytes())
    return {"tokens": tokens, "sha256": h.hexdigest()}


def _agreement(encode: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Whether a tool's modes give the same ids, and zhtok-regex, tiktoken and hf the same."""
    agreement: dict[str, Any] = {}
    for tool, modes in encode.items():
        agreement[f"{tool}: all modes give the same ids"] = len({m["sha256"] for m in modes.values()}) == 1
    same = [tool for tool in ("zhtok-regex", "tiktoken", "hf") if tool in encode]
    if len(same) > 1:
        hashes = {next(iter(encode[tool].values()))["sha256"] for tool in same}
        agreement[f"{', '.join(same)} give the same ids"] = len(hashes) == 1
    return agreement


def fast_segmentation_agreement(lines: list[str], model: str) -> dict[str, Any]:
    """How often fast segmentation agrees with the trained segmenter on lines: documents whose
    ids are identical, tokens of each, and the words (not whitespace) of the two segmenters'
    cuts that are the same span, among all words and among words holding Han characters."""
    import re

    from zhtok import _core
    from zhtok.bpe import Tokenizer
    from zhtok.lexicon import HAN_CHARS

    han = re.compile(f"[{HAN_CHARS}]")
    exact = Tokenizer.from_file(model)
    fast = exact.with_fast_segmentation()
    a, b = exact.encode_batch(lines), fast.encode_batch(lines)
    result: dict[str, Any] = {
        "documents": len(lines), "documents_identical": sum(x == y for x, y in zip(a, b)) / max(len(lines), 1),
        "tokens": sum(map(len, a)), "tokens_fast": sum(map(len, b)),
    }
    cuts = [_core.Segmenter(t._core.seg_model).cut_batch(lines, 0) for t in (exact, fast)]
    counts = {"all": [0, 0, 0], "han": [0, 0, 0]}  # words of exact, of fast, in both
    for words_exact, words_fast in zip(*cuts):
        spans = [_word_spans(words) for words in (words_exact, words_fast)]
        common = spans[0].keys() & spans[1].keys()
        for kind, keep in (("all", lambda w: True), ("han", lambda w: han.search(w) is not None)):
            counts[kind][0] += sum(map(keep, spans[0].values()))
            counts[kind][1] += sum(map(keep, spans[1].values()))
            counts[kind][2] += sum(keep(spans[0][k]) for k in common)
    for kind, (n_exact, n_fast, both) in counts.items():
        result[f"words_{kind}"] = {"exact": n_exact, "fast": n_fast, "same": both,
                                   "agreement": 2 * both / max(n_exact + n_fast, 1)}
    return result


def _word_spans(words: list[str]) -> dict[tuple[int, int], str]:
    spans, at = {}, 0
    for w in words:
        if not w.isspace():
            spans[(at, at + len(w))] = w
        at += len(w)
    return spans


# --------------------------------------------------------------------------------------
# end to end


def _end_to_end(
    out_dir: Path, lines: list[str], models: dict[str, str], tools: list[str], runs: int,
    skipped: dict[str, str],
) -> dict[str, Any]:
    e2e_dir = out_dir / "e2e"
    e2e_dir.mkdir(parents=True, exist_ok=True)
    jsonl = out_dir / "encode_input.jsonl"
    with jsonl.open("w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(json.dumps({"text": line}, ensure_ascii=False) + "\n")
    text_bytes = sum(len(line.encode("utf-8")) for line in lines)
    pipelines: dict[str, tuple[list[str], dict[str, str], str]] = {}
    for tool in ("zhtok-segment", "zhtok-segment-fast", "zhtok-regex"):
        if tool in tools and tool in models:
            for workers in E2E_WORKERS:
                prefix = e2e_dir / f"{tool}_w{workers}"
                command = ["zhtok", "encode", str(jsonl), "--tokenizer", models[tool],
                           "--output-prefix", str(prefix), "--workers", str(workers)]
                if tool == "zhtok-segment-fast":
                    command.append("--fast-segmentation")
                pipelines[f"zhtok encode {tool} --workers {workers}"] = (command, {}, str(prefix) + "_text_document")
    if "hf" in tools and "hf" in models and "hf" not in skipped:
        for threads in E2E_WORKERS:
            prefix = e2e_dir / f"hf_pipeline_t{threads}"
            command = ["hf-pipeline", str(jsonl), models["hf"], str(prefix)]
            env = {"RAYON_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "true"}
            pipelines[f"HF encode_batch + numpy RAYON_NUM_THREADS={threads}"] = (command, env, str(prefix))
    seconds: dict[str, list[float]] = {name: [] for name in pipelines}
    peaks: dict[str, list[float]] = {name: [] for name in pipelines}
    cpus: dict[str, list[float]] = {name: [] for name in pipelines}
    failed: set[str] = set()
    names = list(pipelines)
    for run_index in range(runs):
        shift = run_index % max(len(names), 1)
        for name in names[shift:] + names[:shift]:
            if name in failed:
                continue
            command, env, _ = pipelines[name]
            try:
                elapsed, cpu, peak = _timed_process(command, env, e2e_dir / "log.txt")
            except RuntimeError as error:
                failed.add(name)
                skipped[name] = str(error)
                log(f"{name} failed: {error}")
                continue
            seconds[name].append(elapsed)
            cpus[name].append(cpu)
            peaks[name].append(peak)
        log(f"end to end: run {run_index + 1}/{runs} done, load {load_average()}")
    result: dict[str, Any] = {"input": str(jsonl), "jsonl_bytes": jsonl.stat().st_size, "lines": len(lines),
                              "text_bytes": text_bytes, "pipelines": {}, "outputs_identical": {}}
    for name in names:
        if not seconds[name]:
            continue
        median = statistics.median(seconds[name])
        prefix = pipelines[name][2]
        result["pipelines"][name] = {
            "seconds": median, "seconds_all": seconds[name], "mb_per_s": text_bytes / 1e6 / median,
            "cpu_seconds": statistics.median(cpus[name]), "peak_rss_mb": max(peaks[name]), "output": prefix,
            "bin_sha256": _file_sha256(prefix + ".bin"), "idx_sha256": _file_sha256(prefix + ".idx"),
        }
        log(f"{name}: {result['pipelines'][name]['mb_per_s']:.2f} MB/s ({median:.2f} s)")
    done = result["pipelines"]
    for a, b in (("zhtok encode zhtok-segment --workers 1", "zhtok encode zhtok-segment --workers 2"),
                 ("zhtok encode zhtok-segment-fast --workers 1", "zhtok encode zhtok-segment-fast --workers 2"),
                 ("zhtok encode zhtok-regex --workers 1", "zhtok encode zhtok-regex --workers 2"),
                 ("zhtok encode zhtok-regex --workers 2", "HF encode_batch + numpy RAYON_NUM_THREADS=2"),
                 ("HF encode_batch + numpy RAYON_NUM_THREADS=1", "HF encode_batch + numpy RAYON_NUM_THREADS=2")):
        if a in done and b in done:
            result["outputs_identical"][f"{a} = {b}"] = (
                done[a]["bin_sha256"] == done[b]["bin_sha256"] and done[a]["idx_sha256"] == done[b]["idx_sha256"]
            )
    return result


def _memory_vs_input_size(
    out_dir: Path, jsonl: Path, models: dict[str, str], tools: list[str], runs: int,
    sizes: tuple[int, int], skipped: dict[str, str],
) -> dict[str, Any]:
    """Peak RSS of ``zhtok encode --workers 2`` (each zhtok tokenizer) on the first ``small``
    bytes of jsonl (whole lines) and on those bytes written over and over until ``large``
    bytes; runs interleaved, medians. Also the large input with ``--workers 1``: how the
    workers scale on a job where start-up weighs nothing. The inputs are removed afterwards."""
    small_size, large_size = sizes
    work = out_dir / "memory"
    work.mkdir(parents=True, exist_ok=True)
    small, large = work / "small.jsonl", work / "large.jsonl"
    inputs = {"small": small, "large": large}
    try:
        with jsonl.open("rb") as f:
            head = f.read(small_size)
        head = head[: head.rfind(b"\n") + 1]
        small.write_bytes(head)
        with large.open("wb") as out:
            for _ in range(max(1, math.ceil(large_size / max(len(head), 1)))):
                out.write(head)
        result: dict[str, Any] = {"workers": 2, "tools": {},
                                  "inputs": {k: {"bytes": p.stat().st_size} for k, p in inputs.items()}}
        for tool in ("zhtok-segment", "zhtok-regex"):
            if tool not in tools or tool not in models or tool in skipped:
                continue
            # (input, workers) of each timed run
            runs_of = {"small": ("small", 2), "large": ("large", 2), "large_workers_1": ("large", 1)}
            peaks: dict[str, list[float]] = {k: [] for k in runs_of}
            seconds: dict[str, list[float]] = {k: [] for k in runs_of}
            names = list(runs_of)
            for run_index in range(runs):
                shift = run_index % len(names)
                for name in names[shift:] + names[:shift]:
                    which, workers = runs_of[name]
                    command = ["zhtok", "encode", str(inputs[which]), "--tokenizer", models[tool],
                               "--output-prefix", str(work / f"{tool}_{name}"), "--workers", str(workers)]
                    elapsed, _, peak = _timed_process(command, {}, work / "log.txt")
                    peaks[name].append(peak)
                    seconds[name].append(elapsed)
            figures = {name: {"peak_rss_mb": statistics.median(peaks[name]), "peak_rss_mb_all": peaks[name],
                              "seconds": statistics.median(seconds[name]), "seconds_all": seconds[name]}
                       for name in runs_of}
            figures["large_vs_small"] = figures["large"]["peak_rss_mb"] / figures["small"]["peak_rss_mb"]
            figures["large_workers_2_vs_1"] = figures["large_workers_1"]["seconds"] / figures["large"]["seconds"]
            result["tools"][tool] = figures
            log(f"memory, {tool}: {figures['small']['peak_rss_mb']:.1f} MB for {small.stat().st_size / 1e6:,.0f} MB, "
                f"{figures['large']['peak_rss_mb']:.1f} MB for {large.stat().st_size / 1e6:,.0f} MB; "
                f"--workers 2 {figures['large_workers_2_vs_1']:.2f}x --workers 1 on it")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


# The timed child: ``RSS_FILE zhtok ARGS...`` runs ``zhtok ARGS`` (``zhtok.cli.main``, what the
# ``zhtok`` command runs), ``RSS_FILE hf-pipeline ARGS...`` benchmarks.hf_pipeline; then it writes
# its peak RSS (MB) to RSS_FILE. It imports nothing else of the benchmarks: importing this module
# (and bench_vocab) took 56 ms, timed as if the pipeline's own start-up.
_CHILD = """
import sys
from benchmarks._rss import rss_mb
rss_file, what, *args = sys.argv[1:]
if what == "zhtok":
    from zhtok.cli import main
elif what == "hf-pipeline":
    from benchmarks.hf_pipeline import main
else:
    raise SystemExit(f"unknown command {what!r}")
code = main(args)
if code == 0:
    with open(rss_file, "w") as f:
        f.write(str(rss_mb()))
sys.exit(code)
"""


def _timed_process(command: list[str], env: dict[str, str], log_path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of a fresh interpreter running ``command``
    through ``_CHILD``, start to exit. (The child reads its own VmHWM at its end: a forked
    child's ru_maxrss starts from the parent's size.)"""
    full_env = os.environ.copy() | env
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), full_env.get("PYTHONPATH")]))
    rss_path = log_path.with_name("rss.txt")
    rss_path.unlink(missing_ok=True)
    argv = [sys.executable, "-c", _CHILD, str(rss_path), *command]
    with log_path.open("ab") as log:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=full_env, cwd=REPO_ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not rss_path.is_file():
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"exit code {process.returncode}: {' | '.join(tail)}")
    return elapsed, usage.ru_utime + usage.ru_stime, float(rss_path.read_text())


def _file_sha256(path: str) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


# --------------------------------------------------------------------------------------
# summary and report


def _compare(results: dict[str, Any]) -> dict[str, Any]:
    encode, e2e = results["encode"], results.get("end_to_end", {}).get("pipelines", {})
    comparison: dict[str, Any] = {"vs_tiktoken": {}, "targets": []}
    tiktoken = encode.get("tiktoken", {})
    refs = {mode: tiktoken[mode]["mb_per_s"] for mode in REFERENCE_MODES if mode in tiktoken}
    ref_mode = max(refs, key=refs.get) if refs else None
    comparison["tiktoken_reference"] = ref_mode
    if ref_mode:
        ref = refs[ref_mode]
        for tool, modes in encode.items():
            for mode, figures in modes.items():
                comparison["vs_tiktoken"][f"{tool} / {mode}"] = figures["mb_per_s"] / ref
    targets = comparison["targets"]
    fast = results.get("fast_segmentation")
    for tool, limit in (("zhtok-segment", SEGMENT_VS_TIKTOKEN_TARGET), ("zhtok-segment-fast", SEGMENT_VS_TIKTOKEN_TARGET),
                        ("zhtok-regex", REGEX_VS_TIKTOKEN_TARGET)):
        mine = {mode: encode.get(tool, {}).get(mode, {}).get("mb_per_s") for mode in ONE_THREAD_MODES[tool]}
        mine = {mode: v for mode, v in mine.items() if v}
        if mine and ref_mode:
            best = max(mine, key=mine.get)
            note = ""
            if tool == "zhtok-segment-fast" and fast:
                note = (f" (agrees with zhtok-segment on {fast['documents_identical']:.1%} of documents' ids, "
                        f"{fast['words_han']['agreement']:.1%} of Chinese words)")
            targets.append(_target(f"{tool} one thread ({best}) ≥ {limit}× tiktoken one thread ({ref_mode}){note}",
                                   mine[best] / refs[ref_mode], limit))
    hf2 = e2e.get("HF encode_batch + numpy RAYON_NUM_THREADS=2", {}).get("mb_per_s")
    for tool in ("zhtok-segment", "zhtok-segment-fast", "zhtok-regex"):
        w1 = e2e.get(f"zhtok encode {tool} --workers 1", {}).get("mb_per_s")
        w2 = e2e.get(f"zhtok encode {tool} --workers 2", {}).get("mb_per_s")
        if w2 and hf2:
            targets.append(_target(f"end to end: zhtok encode ({tool}) --workers 2 ≥ {E2E_VS_HF_TARGET}× the HF pipeline (2 threads)", w2 / hf2, E2E_VS_HF_TARGET))
        if w1 and w2:
            targets.append(_target(f"end to end: zhtok encode ({tool}) --workers 2 ≥ {E2E_SPEEDUP_TARGET}× --workers 1", w2 / w1, E2E_SPEEDUP_TARGET))
    memory = results.get("memory", {})
    sizes = {k: v["bytes"] / 1e6 for k, v in memory.get("inputs", {}).items()}
    for tool, figures in memory.get("tools", {}).items():
        targets.append(_target(f"memory: zhtok encode ({tool}) peak RSS for {sizes['large']:,.0f} MB ≤ for "
                               f"{sizes['small']:,.0f} MB", figures["large_vs_small"], 1.0, at_most=True))
        if "large_workers_2_vs_1" in figures:
            targets.append(_target(f"zhtok encode ({tool}) on {sizes['large']:,.0f} MB: --workers 2 ≥ "
                                   f"{E2E_SPEEDUP_TARGET}× --workers 1", figures["large_workers_2_vs_1"], E2E_SPEEDUP_TARGET))
    return comparison


def targets_table(targets: list[dict[str, Any]]) -> list[str]:
    """The targets (results["comparison"]["targets"]) as a Markdown table, for encode.md and the
    README block."""
    return ["| target | value | met |", "|---|---:|---|",
            *(f"| {t['target']} | {t['value']:.3f}× | {'yes' if t['met'] else 'no'} |" for t in targets)]


def _target(name: str, value: float, limit: float, at_most: bool = False) -> dict[str, Any]:
    return {"target": name, "value": value, "limit": limit, "met": value <= limit if at_most else value >= limit}


def _environment(versions: dict[str, str], runs: int, quick: bool) -> dict[str, Any]:
    return {
        **base_environment(versions),
        "runs": runs,
        "quick": quick,
        "zhtok_build": bench_vocab.zhtok_build(),
        "sched_autogroup": bench_vocab.sched_autogroup(),
        "load_average_end": load_average(),
    }


def memory_table(memory: dict[str, Any]) -> list[str]:
    """The memory comparison (results["memory"]) as a sentence and a table, for encode.md and
    the README."""
    small, large = (memory["inputs"][k]["bytes"] / 1e6 for k in ("small", "large"))
    lines = [
        f"Peak RSS of the whole process, zhtok encode --workers {memory['workers']}, on the first {small:,.0f} MB "
        f"of the end-to-end jsonl and on those bytes written over and over to {large:,.0f} MB (the target: no "
        "more); median (all runs).",
        "",
        f"| tokenizer | {small:,.0f} MB: peak RSS MB | {large:,.0f} MB: peak RSS MB | × | "
        f"{large:,.0f} MB: wall s, 1 worker → 2 |",
        "|---|---:|---:|---:|---:|",
    ]
    for tool, f in memory["tools"].items():
        cells = [f"{f[k]['peak_rss_mb']:.1f} ({', '.join(f'{v:.1f}' for v in f[k]['peak_rss_mb_all'])})"
                 for k in ("small", "large")]
        scaling = "–"
        if "large_workers_1" in f:
            scaling = (f"{f['large_workers_1']['seconds']:.1f} → {f['large']['seconds']:.1f} "
                       f"(×{f['large_workers_2_vs_1']:.2f})")
        lines.append(f"| {tool} | {cells[0]} | {cells[1]} | {f['large_vs_small']:.4f} | {scaling} |")
    return lines


def fast_segmentation_lines(fast: dict[str, Any]) -> list[str]:
    """How zhtok-segment-fast agrees with zhtok-segment, for encode.md and the README."""
    words = fast["words_han"]
    return [
        f"zhtok-segment-fast (`fast_segmentation=True`: the model's dictionary and corpus counts, words scored "
        f"by frequency alone) against zhtok-segment (the trained segmenter, as in training) on the input lines: "
        f"{fast['documents_identical']:.1%} of {fast['documents']:,} documents get identical ids; "
        f"{fast['tokens_fast']:,} tokens against {fast['tokens']:,} ({fast['tokens_fast'] / max(fast['tokens'], 1) - 1:+.2%}); "
        f"of the words holding Chinese characters, {words['same']:,} are the same span in both cuts "
        f"({words['exact']:,} words of the trained segmenter, {words['fast']:,} of the fast one: "
        f"agreement F = {words['agreement']:.1%}; all words {fast['words_all']['agreement']:.1%}).",
    ]


def _markdown(results: dict[str, Any]) -> str:
    env, inp = results["environment"], results["input"]
    lines = [
        "# Encoding benchmark",
        "",
        environment_text(env)
        + f"; median of {env['runs']} interleaved sample(s){' (quick)' if env['quick'] else ''}; load average "
        f"{results.get('load_average_before')} before, {env['load_average_end']} at the end; zhtok build {env.get('zhtok_build')}.",
        "",
        *bench_vocab._build_warning(env),
        f"Input: {', '.join(Path(f).name for f in inp['files'])}: {inp['lines']:,} lines (each a document), "
        f"{inp['bytes'] / 1e6:.2f} MB of UTF-8. MB/s = input MB ÷ seconds to get every line's ids as Python lists. "
        "Each tokenizer runs in a process of its own; a sample is one pass over the lines with a tokenizer "
        "loaded afresh for it (no cache carried over from an earlier pass). CPU s: the process's user + system "
        "time for the pass (all threads): "
        "MB per CPU s is robust to other load on the machine, MB/s (wall) is not.",
        "",
        "Models: " + "; ".join(f"{tool}: {m.get('what')} ({Path(m['path']).name})" for tool, m in results["models"].items()) + ".",
        "",
        "## Encoding",
        "",
        "| tool | mode | MB/s | × tiktoken 1 thread | CPU s | MB per CPU s | tokens | bytes/token |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for tool, modes in results["encode"].items():
        for mode, f in modes.items():
            ratio = results["comparison"]["vs_tiktoken"].get(f"{tool} / {mode}")
            lines.append(
                f"| {tool} | {mode} | {f['mb_per_s']:.2f} | {'–' if ratio is None else f'{ratio:.2f}'} "
                f"| {f['cpu_seconds']:.2f} | {f['mb_per_cpu_second']:.2f} "
                f"| {f['tokens']:,} | {inp['bytes'] / max(f['tokens'], 1):.3f} |"
            )
    reference = results["comparison"].get("tiktoken_reference")
    if reference:
        lines += ["", f"(× tiktoken 1 thread: against tiktoken {reference}, the faster of its one-thread modes.)"]
    lines.append("")
    if results.get("peak_rss_mb"):
        lines += ["Peak RSS of each process (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in results["peak_rss_mb"].items()) + ".", ""]
    if results["agreement"]:
        lines += ["## Agreement", ""] + [f"- {k}: {'yes' if v else 'NO'}" for k, v in results["agreement"].items()]
        lines += [
            "- zhtok-segment encodes with the segmenter stored in the tokenizer file, the one its training "
            "pre-tokenized with: encoding agrees with training by construction.",
            "",
        ]
    fast = results.get("fast_segmentation")
    if fast:
        lines += ["## Fast segmentation against the trained segmenter", "", *fast_segmentation_lines(fast), ""]
    e2e = results.get("end_to_end", {})
    if e2e.get("pipelines"):
        lines += [
            "## End to end (jsonl in, Megatron .bin/.idx out)",
            "",
            f"Input: {e2e['input']} ({e2e.get('lines', 0):,} lines, {e2e['jsonl_bytes'] / 1e6:.2f} MB of JSON); "
            "wall and peak RSS of the whole process "
            "(interpreter start, imports and tokenizer load included); MB/s of text.",
            "",
            "| pipeline | wall s | MB/s | CPU s | peak RSS MB |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, p in e2e["pipelines"].items():
            lines.append(f"| {name} | {p['seconds']:.2f} | {p['mb_per_s']:.2f} | {p['cpu_seconds']:.2f} | {p['peak_rss_mb']:.0f} |")
        lines.append("")
        lines += [f"- {k}: {'identical' if v else 'DIFFERENT'}" for k, v in e2e.get("outputs_identical", {}).items()] + [""]
    memory = results.get("memory", {})
    if memory.get("tools"):
        lines += ["## Memory against input size", "", *memory_table(memory), ""]
    targets = results["comparison"]["targets"]
    if targets:
        lines += ["## Targets", "", *targets_table(targets), ""]
    if results["skipped"]:
        lines += ["## Skipped", ""] + [f"- {tool}: {why}" for tool, why in results["skipped"].items()] + [""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_encode", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help=f"about {QUICK_BYTES / 1e6:.0f} MB of input, 3 runs")
    parser.add_argument("--runs", type=int, default=5, help="interleaved samples per mode, median reported (default 5)")
    parser.add_argument("--tools", type=comma_list, help=f"comma-separated, from {','.join(TOOLS)} (default: all)")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the zhtok encode / HF pipeline comparison")
    parser.add_argument("--spm-model", type=Path, help="sentencepiece model (default: bench_vocab's under --out, else trained)")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"data directory {args.data_dir} not found")
    try:
        run(args.data_dir, args.out, quick=args.quick, runs=args.runs, tools=args.tools,
            end_to_end=not args.no_end_to_end, spm_model=args.spm_model)
    except ValueError as error:
        parser.error(str(error))
    make_plots(args.out, ["encode"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
