"""Side-by-side word segmentation benchmark: zhtok against jieba and pkuseg.

For every SIGHAN corpus under DATA/cws each tool segments test.txt line by line;
the output is scored against gold.txt (benchmarks.cws_score) and timed.  Each
tool runs in its own process so that its peak RSS is its own (model loaded,
one corpus in memory) and so that one tool's caches cannot help another; the
timed runs are interleaved tool by tool and the median is reported.  zhtok is
also timed through ``Segmenter.cut_batch`` with one and with two threads, in a
phase of its own after the corpora: rounds over every corpus, so that the
samples of each corpus are spread over the whole phase (on a shared machine a
core slowed for some seconds by another job then costs one sample of a corpus,
not all of them).  The ambiguity cases (DATA/ambiguity/public.txt) are run too.

With ``--train`` zhtok and pkuseg are also trained on each corpus's train.txt
(``zhtok.train_segmenter`` with its defaults; ``pkuseg.train`` for
PKUSEG_TRAIN_ITERATIONS iterations, on a copy in pkuseg's format) and the
trained models are scored on the same test text, as the tools
"zhtok (trained on msr train.txt)" and "pkuseg (trained on msr train.txt)".

    python -m benchmarks.bench_seg --out bench-results [--quick] [--train]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks._rss import rss_mb
from benchmarks._util import DEFAULT_DATA_DIR, split_lines, Worker, base_environment, environment_text, check_tools, comma_list, load_average, log
from benchmarks.ambiguity import evaluate
from benchmarks.cws_score import score
from benchmarks.plots import make_plots

TOOLS = ("zhtok", "jieba", "pkuseg")
REFERENCE_TOOLS = ("jieba", "pkuseg")  # the Markdown report gives ratios against these
TRAINABLE_TOOLS = ("zhtok", "pkuseg")
KNOWN_CORPORA = ("pku", "msr", "cityu", "as")
CORPUS_FILES = ("test.txt", "gold.txt", "train_words.txt")
TRAIN_FILE = "train.txt"
QUICK_LINES = 300
QUICK_RUNS = 3  # --quick: timed runs per tool (at most)
# pkuseg.train's own default.  On cityu (90% of train.txt for training, the other 10% held
# out) the held-out F1 was 93.32% after 10 iterations, 93.50% after 12 and 93.55% after 20.
PKUSEG_TRAIN_ITERATIONS = 20
# pkuseg.train scores a "test" file after every iteration; that does not change the model it
# saves (the last iteration's), so it gets the first lines of its own training text: the
# official test text is never shown to a trainer.
PKUSEG_MONITOR_LINES = 100
# --quick --train trains on a prefix of train.txt (whole lines, about this many non-space
# characters) and pkuseg for a few iterations, so that it takes a minute or two.
QUICK_TRAIN_CHARS = 60_000
QUICK_PKUSEG_TRAIN_ITERATIONS = 5
# A timed sample repeats the pass over the test text until it lasts this long, so that fast
# tools are not timed over a few milliseconds; the time of one pass is reported.
MIN_SAMPLE_SECONDS = 1.0
QUICK_MIN_SAMPLE_SECONDS = 0.2
BATCH_THREADS = (1, 2)
BATCH_RUNS = 5  # cut_batch samples per thread count (at least --runs); they are short
QUICK_BATCH_RUNS = 3
BATCH_SPEEDUP_TARGET = 1.8  # cut_batch with 2 threads against 1 thread
RSS_TARGET_MB = 200  # zhtok process with the default model loaded
_WARM_UP = "预热一下分词器。"


def run(
    data_dir: str | Path,
    out_dir: str | Path,
    quick: bool = False,
    tools: Sequence[str] | None = None,
    corpora: Sequence[str] | None = None,
    runs: int = 3,
    zhtok_model: str | Path | None = None,
    train: bool = False,
    pkuseg_iterations: int | None = None,
    train_dir: str | Path | None = None,
    min_sample_seconds: float | None = None,
) -> dict[str, Any]:
    """Benchmark the tools, write seg.json and seg.md into ``out_dir`` and return the figures.

    ``quick`` keeps about the first 300 lines of each test file and at most 3 runs
    (and, with ``train``, trains on a prefix of train.txt).  ``train`` also
    trains zhtok and pkuseg on each corpus's train.txt and scores the trained
    models; they go to ``train_dir`` (default: a temporary folder, deleted).
    A timed sample repeats its pass until ``min_sample_seconds`` have passed
    (default 1 s, 0.2 s with ``quick``).
    Tools that cannot be loaded or trained are skipped with a message (see "skipped").
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    tools = check_tools(tools, TOOLS, TOOLS, runs)
    if pkuseg_iterations is None:
        pkuseg_iterations = QUICK_PKUSEG_TRAIN_ITERATIONS if quick else PKUSEG_TRAIN_ITERATIONS
    if pkuseg_iterations < 1:
        raise ValueError(f"pkuseg iterations must be at least 1, not {pkuseg_iterations}")
    runs = min(runs, QUICK_RUNS) if quick else runs
    batch_runs = QUICK_BATCH_RUNS if quick else max(runs, BATCH_RUNS)
    if min_sample_seconds is None:
        min_sample_seconds = QUICK_MIN_SAMPLE_SECONDS if quick else MIN_SAMPLE_SECONDS
    min_seconds = min_sample_seconds
    corpus_dirs = _find_corpora(data_dir / "cws", corpora)
    model = None if zhtok_model is None else str(zhtok_model)

    results: dict[str, Any] = {"corpora": {}, "inputs": {}, "ambiguity": {}, "skipped": {}}
    versions: dict[str, str] = {}
    batch_inputs: dict[str, tuple[list[str], list[str]]] = {}  # corpus -> (lines, zhtok's cut of each)
    with tempfile.TemporaryDirectory(prefix="bench_seg_") as scratch:
        work_dir = Path(scratch) if train_dir is None else Path(train_dir)
        for name, folder in corpus_dirs.items():
            specs = {tool: (tool, model) for tool in tools}
            trained: dict[str, dict[str, Any]] = {}
            if train:
                for label, tool, model_path, info in _train_corpus(
                    name, folder, tools, work_dir / name, quick, pkuseg_iterations, results["skipped"]
                ):
                    specs[label] = (tool, model_path)
                    trained[label] = info
            results["corpora"][name] = _bench_corpus(
                name, folder, specs, trained, quick, runs, min_seconds, results, versions, batch_inputs
            )
    if batch_inputs:
        _time_cut_batch(batch_inputs, model, batch_runs, min_seconds, results, versions)

    cases = data_dir / "ambiguity" / "public.txt"
    if cases.is_file():
        workers = _start_workers({tool: (tool, model) for tool in tools}, results["skipped"], versions)
        for tool, worker in workers.items():
            passed, total, failures = worker.call("ambiguity", str(cases))
            worker.close()
            results["ambiguity"][tool] = {"passed": passed, "total": total, "failures": failures}
            log(f"ambiguity/{tool}: {passed}/{total}")
    else:
        log(f"no ambiguity cases at {cases}; skipped")

    results["speed"] = _speed_summary(results)
    results["memory"] = _memory_summary(results)
    results["environment"] = _environment(versions, runs, batch_runs, min_seconds, quick, train, pkuseg_iterations)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "seg.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "seg.md").write_text(_markdown(results), encoding="utf-8")
    log(f"wrote {out_dir / 'seg.json'} and {out_dir / 'seg.md'}")
    return results


def _bench_corpus(
    name: str,
    folder: Path,
    specs: dict[str, tuple[str, str | None]],
    trained: dict[str, dict[str, Any]],
    quick: bool,
    runs: int,
    min_seconds: float,
    results: dict[str, Any],
    versions: dict[str, str],
    batch_inputs: dict[str, tuple[list[str], list[str]]],
) -> dict[str, Any]:
    """Time and score every tool of ``specs`` (label -> (tool, model)) on one corpus; the test
    lines and the default zhtok's cut of them go to ``batch_inputs`` for _time_cut_batch."""
    test_lines, gold_lines = _load_corpus(folder, QUICK_LINES if quick else None)
    test_bytes = sum(len(line.encode("utf-8")) for line in test_lines)
    results["inputs"][name] = {"lines": len(test_lines), "bytes": test_bytes}
    log(f"{name}: {len(test_lines)} lines, {test_bytes / 1e6:.2f} MB, {runs} run(s)")
    workers = _start_workers(specs, results["skipped"], versions)
    results["inputs"][name]["load_average_before"] = load_average()
    seconds: dict[str, list[float]] = {label: [] for label in workers}
    # CPU time of the tool's process over wall time: below 1 (below n for n threads) means
    # the process did not get its cores, e.g. another job was running.
    cpu_share: dict[str, list[float]] = {label: [] for label in workers}
    outputs: dict[str, list[str]] = {}
    for run_index in range(runs):
        for label, worker in workers.items():
            elapsed, cpu, output = worker.call("segment", test_lines, run_index == 0, min_seconds)
            seconds[label].append(elapsed)
            cpu_share[label].append(cpu / elapsed)
            if output is not None:
                outputs[label] = output
    results["inputs"][name]["load_average_after"] = load_average()
    if "zhtok" in outputs and specs["zhtok"][0] == "zhtok":  # cut_batch: the default model only
        batch_inputs[name] = (test_lines, outputs["zhtok"])

    gold_text = "".join(line + "\n" for line in gold_lines)
    train_words = folder / "train_words.txt"
    per_tool: dict[str, Any] = {}
    for label, worker in workers.items():
        peak = worker.close()
        median = statistics.median(seconds[label])
        figures: dict[str, Any] = {
            "mb_per_s": test_bytes / 1e6 / median,
            "seconds": median,
            "cpu_per_wall": statistics.median(cpu_share[label]),
            "loaded_rss_mb": worker.loaded_rss_mb,
            "peak_rss_mb": peak,
        }
        if label in trained:
            figures["training"] = trained[label]
        try:
            result = score(gold_text, "".join(line + "\n" for line in outputs[label]), train_words)
        except ValueError as error:
            log(f"{name}/{label}: cannot score: {error}")
            figures["error"] = str(error)
        else:
            figures |= {
                "precision": result.precision,
                "recall": result.recall,
                "f1": result.f1,
                "oov_recall": result.oov_recall,
                "iv_recall": result.iv_recall,
                "official_f": result.official_f,
            }
            results["inputs"][name]["oov_rate"] = result.oov_rate
        per_tool[label] = figures
        shown = {k: v for k, v in figures.items() if k != "training"}
        log(f"{name}/{label}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in shown.items()))
    return per_tool


def _time_cut_batch(
    batch_inputs: dict[str, tuple[list[str], list[str]]],
    model: str | None,
    batch_runs: int,
    min_seconds: float,
    results: dict[str, Any],
    versions: dict[str, str],
) -> None:
    """Times the default zhtok's ``cut_batch`` with 1 and 2 threads on each corpus of
    batch_inputs (corpus -> (lines, their cut line by line)) in one process, in batch_runs
    rounds over all the corpora (the thread counts interleaved, their order alternating), and
    adds the medians to results["corpora"][corpus]["zhtok"]["cut_batch"]."""
    try:
        worker = Worker(_serve, "zhtok", model)
    except RuntimeError as error:
        log(f"cut_batch not timed: {error}")
        return
    versions.setdefault("zhtok", worker.version)
    # As many calls per sample as make a one-thread sample last min_seconds.
    repeats = {
        name: max(1, math.ceil(min_seconds / max(worker.call("batch", lines, 1, 1, False)[0], 1e-6)))
        for name, (lines, _) in batch_inputs.items()
    }
    matches = dict.fromkeys(batch_inputs, True)
    seconds = {name: {threads: [] for threads in BATCH_THREADS} for name in batch_inputs}
    cpu_share = {name: {threads: [] for threads in BATCH_THREADS} for name in batch_inputs}
    for run_index in range(batch_runs):
        for k, (name, (lines, cut)) in enumerate(batch_inputs.items()):
            order = BATCH_THREADS if (run_index + k) % 2 == 0 else BATCH_THREADS[::-1]
            for threads in order:
                elapsed, cpu, output = worker.call("batch", lines, threads, repeats[name], run_index == 0)
                seconds[name][threads].append(elapsed)
                cpu_share[name][threads].append(cpu / elapsed)
                if output is not None and output != cut:
                    matches[name] = False
                    log(f"{name}: zhtok cut_batch (threads={threads}) output differs from cut line by line")
    results["cut_batch_peak_rss_mb"] = worker.close()
    for name in batch_inputs:
        test_bytes = results["inputs"][name]["bytes"]
        batch: dict[str, Any] = {"runs": batch_runs, "calls_per_sample": repeats[name]}
        for threads in BATCH_THREADS:
            batch[f"threads_{threads}_seconds"] = statistics.median(seconds[name][threads])
            batch[f"threads_{threads}_mb_per_s"] = test_bytes / 1e6 / batch[f"threads_{threads}_seconds"]
            batch[f"threads_{threads}_cpu_per_wall"] = statistics.median(cpu_share[name][threads])
        batch["speedup_2_vs_1"] = batch["threads_2_mb_per_s"] / batch["threads_1_mb_per_s"]
        batch["output_matches_cut"] = matches[name]
        results["corpora"][name]["zhtok"]["cut_batch"] = batch
        log(
            f"{name}/zhtok: cut_batch threads=1 {batch['threads_1_mb_per_s']:.2f} MB/s, "
            f"threads=2 {batch['threads_2_mb_per_s']:.2f} MB/s, ×{batch['speedup_2_vs_1']:.2f}"
        )


def _trained_label(tool: str, corpus: str, lines: int | None) -> str:
    prefix = "" if lines is None else f", first {lines} lines"
    return f"{tool} (trained on {corpus} {TRAIN_FILE}{prefix})"


def _train_corpus(
    name: str,
    folder: Path,
    tools: Sequence[str],
    work_dir: Path,
    quick: bool,
    pkuseg_iterations: int,
    skipped: dict[str, str],
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Train zhtok and pkuseg (those of ``tools``) on the corpus's train.txt.

    Returns (label, tool, model path, training figures) per trained model; a
    tool that fails to train is recorded in ``skipped``.
    """
    source = folder / TRAIN_FILE
    wanted = [tool for tool in TRAINABLE_TOOLS if tool in tools]
    if not wanted:
        return []
    if not source.is_file():
        log(f"{name}: no {TRAIN_FILE}; nothing trained")
        return []
    work_dir.mkdir(parents=True, exist_ok=True)
    # pkuseg's format: one sentence a line, words separated by single spaces, UTF-8, LF.
    # (train.txt separates words by two spaces in pku and msr, by U+3000 in as.)
    converted = work_dir / "train.pkuseg.txt"
    lines, chars = _write_pkuseg_format(source, converted, QUICK_TRAIN_CHARS if quick else None)
    monitor = work_dir / "monitor.pkuseg.txt"
    with converted.open(encoding="utf-8") as reader, monitor.open("w", encoding="utf-8", newline="\n") as writer:
        for _, line in zip(range(PKUSEG_MONITOR_LINES), reader):
            writer.write(line)
    shown_lines = lines if quick else None
    trained = []
    # The slow trainer first, so that zhtok's model is written just before it is loaded
    # (a rebuild of zhtok in between could change its model format).
    for tool in sorted(wanted, key=lambda tool: tool != "pkuseg"):
        label = _trained_label(tool, name, shown_lines)
        model_path = work_dir / ("zhtok.zseg" if tool == "zhtok" else "pkuseg_model")
        # zhtok reads train.txt as it is (CRLF, BOM and any spaces are fine); on a prefix it
        # gets the same lines as pkuseg.
        train_file = converted if (tool == "pkuseg" or quick) else source
        iterations = pkuseg_iterations if tool == "pkuseg" else None
        what = f"{iterations} iterations" if iterations else "defaults"
        log(f"{name}: training {tool} on {lines} lines ({chars} characters) of {source}, {what}")
        try:
            info = _train_in_child(tool, train_file, model_path, work_dir / f"{tool}.log", iterations, monitor)
        except RuntimeError as error:
            skipped[label] = str(error)
            log(f"skipping {label}: {error}")
            continue
        info |= {"file": str(source), "lines": lines, "characters": chars}
        log(f"{name}: trained {tool} in {info['seconds']:.1f} s")
        trained.append((label, tool, str(model_path), info))
    return sorted(trained, key=lambda entry: TRAINABLE_TOOLS.index(entry[1]))


def _write_pkuseg_format(source: Path, target: Path, max_chars: int | None = None) -> tuple[int, int]:
    """Copy segmented text as words separated by single spaces, one non-empty line each.

    Any whitespace (runs of spaces, U+3000, tabs) separates words; a BOM and CRLF
    line ends are dropped.  With ``max_chars``, stops after the first line that
    reaches that many non-space characters.  Returns (lines, characters) written.
    """
    lines = chars = 0
    with target.open("w", encoding="utf-8", newline="\n") as writer:
        for line in split_lines(_read(source)):
            words = line.split()
            if not words:
                continue
            writer.write(" ".join(words) + "\n")
            lines += 1
            chars += sum(map(len, words))
            if max_chars is not None and chars >= max_chars:
                break
    if not lines:
        raise ValueError(f"{source} holds no words")
    return lines, chars


def _train_in_child(
    tool: str, train_file: Path, model_path: Path, log_path: Path, iterations: int | None, monitor: Path
) -> dict[str, Any]:
    """Train in a child process (pkuseg keeps global state and prints a lot); return its figures."""
    context = multiprocessing.get_context("spawn")
    result_path = log_path.with_suffix(".json")
    result_path.unlink(missing_ok=True)
    process = context.Process(
        target=_train_child,
        args=(tool, str(train_file), str(model_path), str(log_path), str(result_path), iterations, str(monitor)),
        daemon=True,
    )
    process.start()
    process.join()
    if process.exitcode != 0 or not result_path.is_file():
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
        tail = log.strip().splitlines()[-3:]
        raise RuntimeError(f"training {tool} failed (exit code {process.exitcode}): {' | '.join(tail)}")
    info = json.loads(result_path.read_text(encoding="utf-8"))
    if tool == "pkuseg":
        log = log_path.read_text(encoding="utf-8", errors="replace")
        info["iteration_seconds"] = [float(x) for x in re.findall(r"^iter\d+ .*train-time\(sec\)=([\d.]+)", log, re.M)]
    return info


def _train_child(
    tool: str, train_file: str, model_path: str, log_path: str, result_path: str, iterations: int | None, monitor: str
) -> None:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    info: dict[str, Any] = {}
    if tool == "zhtok":
        import zhtok

        start = time.perf_counter()
        report = zhtok.train_segmenter([train_file], model_path)
        info["seconds"] = time.perf_counter() - start
        info["settings"] = "zhtok.train_segmenter defaults"
        info["report"] = {  # bad lines as a count
            key: len(value) if isinstance(value, (list, tuple)) else value for key, value in report.items()
        }
    elif tool == "pkuseg":
        import pkuseg

        start = time.perf_counter()
        pkuseg.train(train_file, monitor, model_path, train_iter=iterations)
        info["seconds"] = time.perf_counter() - start
        info["settings"] = f"pkuseg.train(train_iter={iterations}), other settings pkuseg's defaults"
        info["iterations"] = iterations
    else:
        raise ValueError(f"cannot train {tool!r}")
    sys.stdout.flush()
    Path(result_path).write_text(json.dumps(info), encoding="utf-8")


def _find_corpora(cws_dir: Path, wanted: Sequence[str] | None) -> dict[str, Path]:
    """Corpus folders holding the three files, the bakeoff's four first."""
    found = {}
    if cws_dir.is_dir():
        folders = sorted(
            (p for p in cws_dir.iterdir() if all((p / f).is_file() for f in CORPUS_FILES)),
            key=lambda p: (KNOWN_CORPORA.index(p.name) if p.name in KNOWN_CORPORA else len(KNOWN_CORPORA), p.name),
        )
        found = {p.name: p for p in folders}
    if wanted is None:
        if not found:
            log(f"no corpus folders with {', '.join(CORPUS_FILES)} under {cws_dir}")
        return found
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValueError(f"corpora {missing} not found under {cws_dir}; found {list(found)}")
    return {name: found[name] for name in wanted}


def _load_corpus(folder: Path, min_lines: int | None) -> tuple[list[str], list[str]]:
    """Test lines (line ends stripped) and gold lines, cut to at least ``min_lines`` test lines.

    The cut falls where both files have a line end after the same number of
    characters, since the gold may wrap lines differently from the test text.
    """
    test_lines = split_lines(_read(folder / "test.txt"))
    gold_lines = split_lines(_read(folder / "gold.txt"))
    if min_lines is None or min_lines >= len(test_lines):
        return test_lines, gold_lines
    gold_ends = {}
    chars = 0
    for count, line in enumerate(gold_lines, 1):
        chars += _non_space_chars(line)
        gold_ends.setdefault(chars, count)
    chars = 0
    for count, line in enumerate(test_lines, 1):
        chars += _non_space_chars(line)
        if count >= min_lines and chars in gold_ends:
            return test_lines[:count], gold_lines[: gold_ends[chars]]
    return test_lines, gold_lines


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")


def _non_space_chars(line: str) -> int:
    return sum(len(word) for word in line.split())


def _start_workers(
    specs: dict[str, tuple[str, str | None]], skipped: dict[str, str], versions: dict[str, str]
) -> dict[str, Worker]:
    """Start a worker per label of ``specs`` (label -> (tool, model)), skipping failures."""
    workers = {}
    for label, (tool, model) in specs.items():
        if label in skipped:
            continue
        try:
            workers[label] = Worker(_serve, tool, model)
        except RuntimeError as error:
            skipped[label] = str(error)
            log(f"skipping {label}: {error}")
        else:
            versions.setdefault(tool, workers[label].version)
    return workers


def _serve(tool: str, model: str | None, conn: Connection) -> None:
    """Child process: load the tool, then answer requests until "stop"."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"  # one core, before numpy can start thread pools
    try:
        cut, batch = _load_tool(tool, model)
        cut(_WARM_UP)  # jieba builds its dictionary lazily on first use
    except Exception as error:  # noqa: BLE001 - any failure means "skip this tool"
        conn.send(("error", f"cannot load {tool}: {type(error).__name__}: {error}"))
        return
    conn.send(("ready", (_version(tool), rss_mb())))
    while True:
        request = conn.recv()
        try:
            if request[0] == "segment":
                # One pass over the lines, repeated until min_seconds have passed; time per pass.
                _, lines, keep, min_seconds = request
                passes = 0
                cpu = time.process_time()
                start = time.perf_counter()
                while True:
                    words = [cut(line) if line else [] for line in lines]
                    passes += 1
                    elapsed = time.perf_counter() - start
                    if elapsed >= min_seconds:
                        break
                cpu = time.process_time() - cpu
                conn.send(("ok", (elapsed / passes, cpu / passes, [" ".join(w) for w in words] if keep else None)))
            elif request[0] == "batch":
                _, lines, threads, calls, keep = request
                if batch is None:
                    raise ValueError(f"{tool} has no cut_batch")
                cpu = time.process_time()
                start = time.perf_counter()
                for _ in range(calls):
                    words = batch(lines, threads)
                elapsed = time.perf_counter() - start
                cpu = time.process_time() - cpu
                conn.send(("ok", (elapsed / calls, cpu / calls, [" ".join(w) for w in words] if keep else None)))
            elif request[0] == "ambiguity":
                passed, total, failures = evaluate(cut, request[1])
                shown = [f"{f.line_number}: {f.line} -> {'/'.join(f.words)}" for f in failures]
                conn.send(("ok", (passed, total, shown)))
            elif request[0] == "stop":
                conn.send(("ok", rss_mb()))
                return
            else:
                conn.send(("error", f"unknown request {request[0]!r}"))
        except Exception as error:  # noqa: BLE001 - report it to the parent instead of hanging it
            conn.send(("error", f"{tool} failed on {request[0]}: {type(error).__name__}: {error}"))


def _load_tool(
    tool: str, model: str | None
) -> tuple[Callable[[str], list[str]], Callable[[list[str], int], list[list[str]]] | None]:
    """The tool's cut function for one line, and its batch function (zhtok only)."""
    if tool == "zhtok":
        import zhtok

        segmenter = zhtok.Segmenter() if model is None else zhtok.Segmenter(model=model)
        return segmenter.cut, lambda lines, threads: segmenter.cut_batch(lines, threads=threads)
    if tool == "jieba":
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        return jieba.lcut, None  # HMM on, its default
    if tool == "pkuseg":
        import pkuseg

        if model is None:
            return pkuseg.pkuseg().cut, None  # default model (and its default dictionary)
        # A model of our training: no user dictionary, so that pkuseg's default dictionary
        # (which postprocessing would otherwise use to merge words) does not add knowledge
        # beyond the training text.
        return pkuseg.pkuseg(model_name=model, user_dict=None).cut, None
    raise ValueError(f"unknown tool {tool!r}")


def _version(tool: str) -> str:
    try:
        return metadata.version(tool)
    except metadata.PackageNotFoundError:
        return str(getattr(sys.modules.get(tool), "__version__", "unknown"))


def _environment(
    versions: dict[str, str],
    runs: int,
    batch_runs: int,
    min_seconds: float,
    quick: bool,
    train: bool,
    pkuseg_iterations: int,
) -> dict[str, Any]:
    env = {
        **base_environment(versions),
        "runs": runs,
        "batch_runs": batch_runs,
        "min_sample_seconds": min_seconds,
        "quick": quick,
        "train": train,
        "load_average_end": load_average(),
    }
    if train:
        env["pkuseg_train_iterations"] = pkuseg_iterations
        if quick:
            env["quick_train_characters"] = QUICK_TRAIN_CHARS
    return env


def _speed_summary(results: dict[str, Any]) -> dict[str, Any]:
    """One-core MB/s of each untrained tool over all corpora (total bytes / total time) and
    zhtok's cut_batch with 1 and 2 threads, over the corpora where all of them ran."""
    corpora = results["corpora"]
    summary: dict[str, Any] = {}
    tools = [tool for tool in TOOLS if any(tool in per_tool for per_tool in corpora.values())]
    common = [name for name, per_tool in corpora.items() if all(tool in per_tool for tool in tools)]
    if tools and common:
        total = sum(results["inputs"][name]["bytes"] for name in common) / 1e6
        one_core = {tool: total / sum(corpora[name][tool]["seconds"] for name in common) for tool in tools}
        summary["corpora"] = common
        summary["one_core_mb_per_s"] = one_core
        summary["one_core_cpu_per_wall"] = {
            tool: statistics.median(corpora[name][tool]["cpu_per_wall"] for name in common) for tool in tools
        }
        if "zhtok" in one_core:
            summary["zhtok_times"] = {
                ref: one_core["zhtok"] / one_core[ref] for ref in REFERENCE_TOOLS if ref in one_core
            }
    batched = [name for name, per_tool in corpora.items() if "cut_batch" in per_tool.get("zhtok", {})]
    if batched:
        total = sum(results["inputs"][name]["bytes"] for name in batched) / 1e6
        batch: dict[str, Any] = {"corpora": batched}
        for threads in BATCH_THREADS:
            key = f"threads_{threads}_seconds"
            batch[f"threads_{threads}_mb_per_s"] = total / sum(corpora[n]["zhtok"]["cut_batch"][key] for n in batched)
        batch["speedup_2_vs_1"] = batch["threads_2_mb_per_s"] / batch["threads_1_mb_per_s"]
        batch["target"] = BATCH_SPEEDUP_TARGET
        summary["zhtok_cut_batch"] = batch
    return summary


def _memory_summary(results: dict[str, Any]) -> dict[str, Any]:
    """Largest RSS figures of each tool's processes over the corpora."""
    memory: dict[str, Any] = {}
    for per_tool in results["corpora"].values():
        for label, figures in per_tool.items():
            entry = memory.setdefault(label, {"loaded_rss_mb": 0.0, "peak_rss_mb": 0.0})
            entry["loaded_rss_mb"] = max(entry["loaded_rss_mb"], figures["loaded_rss_mb"])
            entry["peak_rss_mb"] = max(entry["peak_rss_mb"], figures["peak_rss_mb"])
    if "zhtok" in memory:
        if "cut_batch_peak_rss_mb" in results:  # the process that ran cut_batch on every corpus
            memory["zhtok"]["peak_rss_mb"] = max(memory["zhtok"]["peak_rss_mb"], results["cut_batch_peak_rss_mb"])
        memory["zhtok"]["target_mb"] = RSS_TARGET_MB
    return memory


def _markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        "# Word segmentation benchmark",
        "",
        environment_text(env)
        + f"; median of {env['runs']} run(s){' (quick: first lines only)' if env['quick'] else ''}"
        + f"; load average at the end {env['load_average_end']}.",
        "Precision, recall and F1 are over exact word character spans; MB/s is UTF-8 MB of test text per second "
        "of segmentation, line by line on one core (a sample repeats the pass until it lasts "
        f"{env['min_sample_seconds']} s); peak RSS is that of the tool's own process with its model and one corpus "
        "loaded. jieba runs with HMM on (its default), pkuseg and zhtok with their default models.",
    ]
    if env.get("train"):
        prefix = f" (quick: the first ~{env['quick_train_characters']} characters)" if env["quick"] else ""
        lines.append(
            f"Rows \"… (trained on X train.txt)\" are models trained on that corpus's train.txt{prefix}: "
            f"zhtok.train_segmenter with its defaults, pkuseg.train with train_iter={env['pkuseg_train_iterations']} "
            "(loaded without pkuseg's default dictionary)."
        )
    lines.append("")
    for corpus, per_tool in results["corpora"].items():
        inputs = results["inputs"][corpus]
        lines += [
            f"## {corpus} ({inputs['lines']} lines, {inputs['bytes'] / 1e6:.2f} MB)",
            "",
            "| tool | P | R | F1 | F1 − jieba | F1 − pkuseg | OOV R | IV R | MB/s | × jieba | × pkuseg "
            "| peak RSS MiB | × jieba | × pkuseg |",
            "|---|" + "---:|" * 13,
        ]
        for tool, figures in per_tool.items():
            refs = [per_tool.get(ref, {}) for ref in REFERENCE_TOOLS]
            cells = [tool]
            cells += [_pct(figures.get(key)) for key in ("precision", "recall", "f1")]
            cells += [_points(figures.get("f1"), ref.get("f1")) for ref in refs]
            cells += [_pct(figures.get(key)) for key in ("oov_recall", "iv_recall")]
            cells.append(f"{figures['mb_per_s']:.2f}")
            cells += [_times(figures["mb_per_s"], ref.get("mb_per_s")) for ref in refs]
            cells.append(f"{figures['peak_rss_mb']:.0f}")
            cells += [_times(figures["peak_rss_mb"], ref.get("peak_rss_mb")) for ref in refs]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += _markdown_training(results)
    lines += _markdown_speed(results)
    if results.get("memory"):
        lines += [
            "## Memory",
            "",
            "RSS of each tool's own process: after loading its model (before any corpus), and its peak "
            "(largest over the corpora; zhtok's includes the process that ran cut_batch).",
            "",
            "| tool | RSS with model loaded MiB | peak RSS MiB | target |",
            "|---|---:|---:|---|",
        ]
        for tool, entry in results["memory"].items():
            target = f"≤ {entry['target_mb']}" if "target_mb" in entry else ""
            lines.append(f"| {tool} | {entry['loaded_rss_mb']:.0f} | {entry['peak_rss_mb']:.0f} | {target} |")
        lines.append("")
    if results["ambiguity"]:
        lines += ["## Ambiguity cases", "", "| tool | passed | total |", "|---|---:|---:|"]
        lines += [f"| {tool} | {a['passed']} | {a['total']} |" for tool, a in results["ambiguity"].items()]
        lines.append("")
    if results["skipped"]:
        lines += ["## Skipped", ""] + [f"- {tool}: {why}" for tool, why in results["skipped"].items()] + [""]
    return "\n".join(lines)


def _markdown_training(results: dict[str, Any]) -> list[str]:
    rows = []
    for corpus, per_tool in results["corpora"].items():
        for label, figures in per_tool.items():
            info = figures.get("training")
            if info is None:
                continue
            tool = label.split(" ", 1)[0]
            default = per_tool.get(tool, {})
            iterations = info.get("iterations", "–")
            rows.append(
                f"| {corpus} | {label} | {info['lines']} | {info['characters']} | {iterations} | {info['seconds']:.1f} "
                f"| {_pct(figures.get('f1'))} | {_points(figures.get('f1'), default.get('f1'))} "
                f"| {_pct(figures.get('oov_recall'))} | {_pct(figures.get('iv_recall'))} |"
            )
    if not rows:
        return []
    return [
        "## Trained on each corpus",
        "",
        "| corpus | model | train lines | train characters | iterations | train s | F1 | F1 − default model "
        "| OOV R | IV R |",
        "|---|---|" + "---:|" * 8,
        *rows,
        "",
    ]


def _markdown_speed(results: dict[str, Any]) -> list[str]:
    speed = results.get("speed", {})
    lines = []
    one_core = speed.get("one_core_mb_per_s")
    if one_core:
        lines += [
            f"## Speed on one core ({', '.join(speed['corpora'])} together)",
            "",
            "| tool | MB/s | zhtok ÷ tool | CPU ÷ wall |",
            "|---|---:|---:|---:|",
        ]
        for tool, value in one_core.items():
            ratio = _times(one_core["zhtok"], value) if "zhtok" in one_core else "–"
            lines.append(f"| {tool} | {value:.2f} | {ratio} | {speed['one_core_cpu_per_wall'][tool]:.2f} |")
        lines.append("")
        ratios = speed.get("zhtok_times", {})
        if ratios:
            lines += [", ".join(f"zhtok is {ratio:.2f}× {ref}" for ref, ratio in ratios.items()) + " on one core.", ""]
    batch = speed.get("zhtok_cut_batch")
    if batch:
        env = results["environment"]
        lines += [
            "## zhtok cut_batch",
            "",
            f"`Segmenter.cut_batch(lines, threads=n)` over each whole test text, in one process after the "
            f"line-by-line runs; median of {env['batch_runs']} samples per thread count, taken in rounds over "
            "every corpus (the thread counts interleaved), so that each corpus's samples are spread over "
            "the whole phase.",
            "",
            "CPU ÷ wall is the zhtok process's CPU time over wall time (at most the thread count); lower "
            "means its threads waited, for a core (another job running on the machine) or for a serial part.",
            "",
            "| corpus | cut line by line MB/s | threads=1 MB/s | threads=2 MB/s | 2 ÷ 1 | CPU ÷ wall, 1 thread "
            "| CPU ÷ wall, 2 threads |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for corpus in batch["corpora"]:
            figures = results["corpora"][corpus]["zhtok"]
            b = figures["cut_batch"]
            lines.append(
                f"| {corpus} | {figures['mb_per_s']:.2f} | {b['threads_1_mb_per_s']:.2f} "
                f"| {b['threads_2_mb_per_s']:.2f} "
                f"| {b['speedup_2_vs_1']:.2f} | {b['threads_1_cpu_per_wall']:.2f} | {b['threads_2_cpu_per_wall']:.2f} |"
            )
        met = "met" if batch["speedup_2_vs_1"] >= batch["target"] else "not met"
        lines += [
            f"| all | – | {batch['threads_1_mb_per_s']:.2f} | {batch['threads_2_mb_per_s']:.2f} "
            f"| {batch['speedup_2_vs_1']:.2f} | | |",
            "",
            f"Target: 2 threads ≥ {batch['target']}× one thread ({met}).",
            "",
        ]
    return lines


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _points(value: float | None, reference: float | None) -> str:
    return "–" if value is None or reference is None else f"{100 * (value - reference):+.2f}"


def _times(value: float, reference: float | None) -> str:
    return "–" if not reference else f"{value / reference:.2f}"


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_seg", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help=f"first ~{QUICK_LINES} lines of each corpus, {QUICK_RUNS} runs")
    parser.add_argument("--tools", type=comma_list, help=f"comma-separated, from {','.join(TOOLS)} (default: all)")
    parser.add_argument("--corpora", type=comma_list, help="comma-separated corpus folder names (default: all found)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool, median reported")
    parser.add_argument("--zhtok-model", type=Path, help="model file for zhtok.Segmenter(model=...)")
    parser.add_argument(
        "--train",
        action="store_true",
        help=f"also train zhtok and pkuseg on each corpus's {TRAIN_FILE} and score the trained models "
        f"(with --quick: on the first ~{QUICK_TRAIN_CHARS} characters)",
    )
    parser.add_argument(
        "--pkuseg-iterations",
        type=int,
        help=f"pkuseg.train iterations (default: {PKUSEG_TRAIN_ITERATIONS}, "
        f"with --quick {QUICK_PKUSEG_TRAIN_ITERATIONS})",
    )
    parser.add_argument(
        "--train-dir", type=Path, help="keep trained models and logs here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"data directory {args.data_dir} not found")
    try:
        run(
            args.data_dir,
            args.out,
            quick=args.quick,
            tools=args.tools,
            corpora=args.corpora,
            runs=args.runs,
            zhtok_model=args.zhtok_model,
            train=args.train,
            pkuseg_iterations=args.pkuseg_iterations,
            train_dir=args.train_dir,
        )
    except ValueError as error:
        parser.error(str(error))
    make_plots(args.out, ["seg"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
