"""Side-by-side BPE vocabulary training benchmark: zhtok against HF tokenizers and sentencepiece.

Every tool learns a 32,000-token vocabulary on the same training text with 2 threads, each
training in a process of its own: the wall time of the training call and the peak RSS of that
process (VmHWM, read by the child at its end) are its own.  Tools:

- ``zhtok-segment``: ``zhtok.bpe.train_tokenizer(..., pretokenizer="segment")`` (word
  segmentation of Chinese before BPE; the default);
- ``zhtok-regex``: the same with ``pretokenizer="regex"`` (the cl100k pattern alone);
- ``hf``: HF tokenizers ``BPE`` behind ``Split(cl100k pattern) + ByteLevel`` (GPT-4 style,
  the same pattern as zhtok's regex pre-tokenizer), ``BpeTrainer`` with the 256-byte initial
  alphabet; ``hf-gpt2`` (not run unless asked) uses the plain ``ByteLevel`` pre-tokenizer;
- ``sentencepiece``: ``SentencePieceTrainer`` BPE with byte fallback, character coverage
  0.9995, every training line loaded (its other options its defaults, NFKC normalization
  and whitespace collapsing included: lossy); ``sentencepiece-lossless`` (not run unless
  asked) the same with ``normalization_rule_name="identity"`` and
  ``remove_extra_whitespaces=False``;
- ``zhtok-segment-x2``: zhtok-segment on the training files listed twice, to see whether its
  memory stays flat when the corpus doubles.

Training text: every DATA/text/*.txt minus the last 5% of each file's lines, which are held
out, and minus the lines that also occur in the PKU test text.  The trained vocabularies are
compared on the held-out lines and on the PKU test text (UTF-8 bytes and characters per token,
each line encoded as a document), and on the PKU gold segmentation: the share of tokens whose
byte span holds a gold word boundary strictly inside (each gold line's words joined with no
space are encoded; sentencepiece's pieces, ▁ and byte-fallback pieces included, are mapped
back to byte spans of the original text through its normalizer's offsets).

Every tool trains 3 times, interleaved (the median is reported).  ``--quick`` trains on about
the first 10 MB (the same share of every file).

    python -m benchmarks.bench_vocab --out bench-results [--quick] [--runs N] [--tools ...]
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import multiprocessing
import os
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks._rss import rss_mb
from benchmarks._util import DEFAULT_DATA_DIR, split_lines, base_environment, environment_text, check_tools, comma_list, load_average, log
from benchmarks.plots import make_plots

TOOLS = ("zhtok-segment", "zhtok-regex", "hf", "hf-gpt2", "sentencepiece", "sentencepiece-lossless", "zhtok-segment-x2")
DEFAULT_TOOLS = ("zhtok-segment", "zhtok-regex", "hf", "sentencepiece", "zhtok-segment-x2")
REFERENCE_TOOLS = ("hf", "sentencepiece")  # ratios in the report are against these
VOCAB_SIZE = 32_000
THREADS = 2
EOD = "<|endoftext|>"
HOLDOUT_FRACTION = 0.05  # last share of each file's lines, never trained on
QUICK_BYTES = 10_000_000  # --quick: about this much text, the same share of every file
RUNS = 3  # trainings per tool, interleaved; the median is reported
SPM_MAX_SENTENCE_LENGTH = 1 << 20  # bytes; sentencepiece's default (4192) drops long lines
# sentencepiece-lossless: no NFKC and no whitespace collapsing (its defaults drop runs of spaces,
# about 5% of the characters of code-heavy text, which flatters its bytes per token there).
SPM_LOSSLESS = {"normalization_rule_name": "identity", "remove_extra_whitespaces": False}
# Targets, zhtok-segment against the others.
WALL_VS_SPM_TARGET = 0.5
WALL_VS_HF_TARGET = 0.1
RSS_VS_SPM_TARGET = 0.5
RSS_FLAT_TOLERANCE = 0.10  # corpus ×2: peak RSS within 10% of the single corpus
BYTES_PER_TOKEN_TOLERANCE = 0.02  # within 2% of the better of HF and sentencepiece
CROSSING_TARGET = 0.01
HELD_OUT_GROUPS = ("zh", "mixed", "en")  # by file name prefix


# --------------------------------------------------------------------------------------
# the benchmark


def run(
    data_dir: str | Path,
    out_dir: str | Path,
    quick: bool = False,
    runs: int = RUNS,
    tools: Sequence[str] | None = None,
    vocab_size: int = VOCAB_SIZE,
    threads: int = THREADS,
    holdout_fraction: float = HOLDOUT_FRACTION,
    sentencepiece_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train every tool, evaluate the vocabularies, write vocab.json and vocab.md into
    ``out_dir`` and return the figures.

    The training split goes to ``out_dir/vocab_corpus/`` and the models to
    ``out_dir/models/`` (``sentencepiece.model`` there is what bench_encode reuses), or with
    ``quick`` to ``vocab_corpus_quick/`` and ``models_quick/``.
    ``runs`` trainings per tool, interleaved tool by tool (median reported; ``quick`` makes
    it at most 3).  ``sentencepiece_options`` are extra ``SentencePieceTrainer.train`` options (the
    tests use ``hard_vocab_limit=False`` on tiny text).  A tool that fails to train or to
    load is skipped with its error (see "skipped").
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    tools = check_tools(tools, TOOLS, DEFAULT_TOOLS, runs)
    if not 0 < holdout_fraction < 1:
        raise ValueError(f"holdout fraction must be between 0 and 1, not {holdout_fraction}")
    runs = min(runs, RUNS) if quick else runs
    text_dir = data_dir / "text"
    if not sorted(text_dir.glob("*.txt")):
        raise ValueError(f"no training text: {text_dir}/*.txt not found")
    out_dir.mkdir(parents=True, exist_ok=True)
    models_dir = out_dir / ("models_quick" if quick else "models")
    models_dir.mkdir(exist_ok=True)
    pku = data_dir / "cws" / "pku"

    started = time.perf_counter()
    build_at_start = zhtok_build()
    pku_test = _read_lines(pku / "test.txt") if (pku / "test.txt").is_file() else []
    corpus = prepare_corpus(
        text_dir, out_dir / ("vocab_corpus_quick" if quick else "vocab_corpus"), QUICK_BYTES if quick else None, holdout_fraction,
        exclude={line.strip() for line in pku_test if line.strip()},
    )
    train_files = corpus["train_files"]
    log(
        f"training text: {len(train_files)} files, {corpus['train_bytes'] / 1e6:.1f} MB, {corpus['train_lines']:,} lines "
        f"({corpus['excluded_lines']} lines of the PKU test left out); held out: {corpus['heldout_bytes'] / 1e6:.1f} MB"
    )

    results: dict[str, Any] = {"corpus": _public_corpus(corpus), "training": {}, "evaluation": {}, "skipped": {}}
    versions: dict[str, str] = {}
    trainings: dict[str, list[dict[str, Any]]] = {tool: [] for tool in tools}
    for run_index in range(runs):
        order = tools[run_index % len(tools):] + tools[: run_index % len(tools)]  # rotate: no tool always first
        for tool in order:
            if tool in results["skipped"]:
                continue
            files = train_files * 2 if tool == "zhtok-segment-x2" else train_files
            options = dict(sentencepiece_options or {})
            options.setdefault("input_sentence_size", corpus["train_lines"] * (2 if tool.endswith("x2") else 1) + 1)
            log(f"run {run_index + 1}/{runs}: training {tool} ...")
            try:
                info = _train_in_child(tool, files, models_dir, vocab_size, threads, options)
            except RuntimeError as error:
                results["skipped"][tool] = str(error)
                log(f"skipping {tool}: {error}")
                continue
            trainings[tool].append(info)
            versions.setdefault(_package(tool), info["version"])
            log(
                f"  {tool}: {info['seconds']:.1f} s, peak RSS {info['peak_rss_mb']:.0f} MB, "
                f"CPU {info['cpu_seconds']:.1f} s, load {info['load_average_before']} -> {info['load_average_after']}"
            )
    for tool, infos in trainings.items():
        if not infos:
            continue
        seconds = [i["seconds"] for i in infos]
        rss = [i["peak_rss_mb"] for i in infos]
        results["training"][tool] = {
            "seconds": statistics.median(seconds),
            "seconds_all": seconds,
            "peak_rss_mb": statistics.median(rss),
            "peak_rss_mb_all": rss,
            "cpu_seconds": statistics.median(i["cpu_seconds"] for i in infos),
            "vocab_size": infos[-1]["vocab_size"],
            "model": infos[-1]["model"],
            "details": {k: v for k, v in infos[-1].items() if k not in ("seconds", "peak_rss_mb", "cpu_seconds", "model", "vocab_size")},
        }

    evaluated = [t for t in tools if t in results["training"] and t != "zhtok-segment-x2"]
    gold = _read_gold(pku / "gold.txt") if (pku / "gold.txt").is_file() else []
    heldout = {Path(p).stem: _read_lines(Path(p)) for p in corpus["heldout_files"]}
    for tool in evaluated:
        try:
            encoder = load_encoder(tool, results["training"][tool]["model"])
            results["evaluation"][tool] = evaluate(encoder, heldout, pku_test, gold)
        except Exception as error:  # noqa: BLE001 - report it, go on with the others
            results["skipped"][f"{tool} (evaluation)"] = f"{type(error).__name__}: {error}"
            log(f"cannot evaluate {tool}: {type(error).__name__}: {error}")
            continue
        e = results["evaluation"][tool]
        log(
            f"  {tool}: held-out {e['heldout']['all']['bytes_per_token']:.3f} B/token, "
            f"PKU test {e['pku_test']['bytes_per_token']:.3f} B/token, "
            f"gold crossing {_pct(e.get('gold_crossing', {}).get('share'))}%"
        )

    results["comparison"] = _compare(results)
    results["environment"] = _environment(versions, runs, quick, vocab_size, threads, holdout_fraction)
    results["environment"]["benchmark_seconds"] = time.perf_counter() - started
    results["environment"]["zhtok_build_at_start"] = build_at_start
    (out_dir / "vocab.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "vocab.md").write_text(_markdown(results), encoding="utf-8")
    log(f"wrote {out_dir / 'vocab.json'} and {out_dir / 'vocab.md'}")
    return results


# --------------------------------------------------------------------------------------
# the training split


def prepare_corpus(
    text_dir: Path, work_dir: Path, max_bytes: int | None, holdout_fraction: float, exclude: set[str] = frozenset()
) -> dict[str, Any]:
    """Write the training and held-out split of every ``text_dir/*.txt`` under ``work_dir``.

    Each file's lines (cut, with ``max_bytes``, to the same leading share of every file so
    that the whole is about ``max_bytes``) are split: the last ``holdout_fraction`` of them
    (at least one line) are held out, the rest train, less any line whose stripped text is in
    ``exclude`` (the PKU test text: it is an evaluation text).  Lines are copied as bytes.
    """
    sources = sorted(text_dir.glob("*.txt"))
    total = sum(p.stat().st_size for p in sources)
    share = 1.0 if max_bytes is None or max_bytes >= total else max_bytes / total
    train_dir, held_dir = work_dir / "train", work_dir / "heldout"
    for folder in (train_dir, held_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.txt"):
            old.unlink()
    info: dict[str, Any] = {
        "share_of_each_file": share, "holdout_fraction": holdout_fraction, "files": {},
        "train_files": [], "heldout_files": [], "train_bytes": 0, "train_lines": 0,
        "heldout_bytes": 0, "heldout_lines": 0, "excluded_lines": 0,
    }
    for source in sources:
        raw = source.read_bytes()
        lines = raw.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if share < 1.0:
            lines = lines[: max(2, math.ceil(len(lines) * share))]
        held_count = min(len(lines) - 1, max(1, round(len(lines) * holdout_fraction))) if len(lines) > 1 else 0
        train, held = lines[: len(lines) - held_count], lines[len(lines) - held_count:]
        kept = [line for line in train if line.decode("utf-8", "replace").strip() not in exclude]
        excluded = len(train) - len(kept)
        train_path, held_path = train_dir / source.name, held_dir / source.name
        train_path.write_bytes(b"".join(line + b"\n" for line in kept))
        held_path.write_bytes(b"".join(line + b"\n" for line in held))
        train_bytes = sum(len(line) + 1 for line in kept)
        held_bytes = sum(len(line) + 1 for line in held)
        info["files"][source.name] = {
            "train_lines": len(kept), "train_bytes": train_bytes, "heldout_lines": len(held),
            "heldout_bytes": held_bytes, "excluded_lines": excluded,
        }
        info["train_files"].append(str(train_path))
        if held:
            info["heldout_files"].append(str(held_path))
        info["train_bytes"] += train_bytes
        info["train_lines"] += len(kept)
        info["heldout_bytes"] += held_bytes
        info["heldout_lines"] += len(held)
        info["excluded_lines"] += excluded
    return info


def _public_corpus(corpus: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in corpus.items() if k not in ("train_files", "heldout_files")} | {
        "train_dir": str(Path(corpus["train_files"][0]).parent) if corpus["train_files"] else None
    }


# --------------------------------------------------------------------------------------
# training, each tool in a child process


def _package(tool: str) -> str:
    return "zhtok" if tool.startswith("zhtok") else "tokenizers" if tool.startswith("hf") else "sentencepiece"


def _model_path(models_dir: Path, tool: str) -> Path:
    if tool.startswith("zhtok"):
        return models_dir / f"{tool}.ztok"
    if tool.startswith("hf"):
        return models_dir / f"{tool}.json"
    return models_dir / f"{tool}.model"


def _train_in_child(
    tool: str, files: list[str], models_dir: Path, vocab_size: int, threads: int, spm_options: dict[str, Any]
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    log_path = models_dir / f"{tool}.log"
    result_path = models_dir / f"{tool}.result.json"
    result_path.unlink(missing_ok=True)
    model = _model_path(models_dir, tool)
    before = load_average()
    process = context.Process(
        target=_train_child,
        args=(tool, files, str(model), vocab_size, threads, spm_options, str(log_path), str(result_path)),
        daemon=True,
    )
    start = time.perf_counter()
    process.start()
    process.join()
    process_seconds = time.perf_counter() - start
    if process.exitcode != 0 or not result_path.is_file():
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
        tail = [line for line in log.strip().splitlines() if line.strip()][-3:]
        raise RuntimeError(f"training {tool} failed (exit code {process.exitcode}): {' | '.join(tail)}")
    info = json.loads(result_path.read_text(encoding="utf-8"))
    result_path.unlink()
    info |= {"process_seconds": process_seconds, "load_average_before": before, "load_average_after": load_average()}
    return info


def _train_child(
    tool: str, files: list[str], model: str, vocab_size: int, threads: int, spm_options: dict[str, Any],
    log_path: str, result_path: str,
) -> None:
    # Thread counts before any library starts a pool (rayon reads RAYON_NUM_THREADS once).
    os.environ["RAYON_NUM_THREADS"] = str(threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "true"
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    info: dict[str, Any] = {"threads": threads, "files": len(files)}
    if tool.startswith("zhtok"):
        from zhtok.bpe import train_tokenizer

        pretokenizer = "regex" if tool == "zhtok-regex" else "segment"
        info["settings"] = f"train_tokenizer(vocab_size={vocab_size}, pretokenizer={pretokenizer!r}, threads={threads}), other options its defaults"
        rss_before = rss_mb("VmRSS")
        start, cpu = time.perf_counter(), _cpu_seconds()
        tok, stats = train_tokenizer(files, vocab_size, model, pretokenizer=pretokenizer, threads=threads)
        info["vocab_size"] = tok.vocab_size
        info["zhtok_extension_mtime"] = zhtok_build().get("extension_mtime")
        info["bad_records"] = len(stats.bad)
    elif tool.startswith("hf"):
        from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

        tok = Tokenizer(models.BPE())
        if tool == "hf":
            from zhtok._core import REGEX_PATTERN

            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(REGEX_PATTERN), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ])
            info["settings"] = "BPE, Split(cl100k pattern, isolated) + ByteLevel(use_regex=False)"
        else:
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            info["settings"] = "BPE, ByteLevel(add_prefix_space=False) (GPT-2 pattern)"
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            special_tokens=[EOD], show_progress=False,
        )
        info["settings"] += f"; BpeTrainer(vocab_size={vocab_size}, 256-byte alphabet, [{EOD}]), RAYON_NUM_THREADS={threads}"
        rss_before = rss_mb("VmRSS")
        start, cpu = time.perf_counter(), _cpu_seconds()
        tok.train(files, trainer)
        tok.save(model)
        info["vocab_size"] = tok.get_vocab_size()
    elif tool.startswith("sentencepiece"):
        import sentencepiece as spm

        options = {
            "input": ",".join(files),
            "model_prefix": model.removesuffix(".model"),
            "model_type": "bpe",
            "vocab_size": vocab_size,
            "byte_fallback": True,
            "num_threads": threads,
            "character_coverage": 0.9995,
            "max_sentence_length": SPM_MAX_SENTENCE_LENGTH,
            "user_defined_symbols": [EOD],
        } | (SPM_LOSSLESS if tool == "sentencepiece-lossless" else {}) | spm_options
        info["settings"] = {k: v for k, v in options.items() if k != "input"}
        rss_before = rss_mb("VmRSS")
        start, cpu = time.perf_counter(), _cpu_seconds()
        spm.SentencePieceTrainer.train(**options)
        info["vocab_size"] = spm.SentencePieceProcessor(model_file=model).get_piece_size()
    else:
        raise ValueError(f"unknown tool {tool!r}")
    info["seconds"] = time.perf_counter() - start
    info["cpu_seconds"] = _cpu_seconds() - cpu
    info["rss_before_training_mb"] = rss_before
    info["peak_rss_mb"] = rss_mb("VmHWM")
    info["model"] = model
    info["version"] = _version(_package(tool))
    sys.stdout.flush()
    sys.stderr.flush()
    Path(result_path).write_text(json.dumps(info), encoding="utf-8")


# --------------------------------------------------------------------------------------
# evaluation


class Encoder:
    """A trained vocabulary behind one interface: token counts of many lines, and the byte
    spans (in the UTF-8 of the original line) of one line's tokens."""

    name = ""

    def count(self, lines: list[str]) -> int:
        raise NotImplementedError

    def spans(self, line: str) -> list[tuple[int, int]]:
        raise NotImplementedError


class ZhtokEncoder(Encoder):
    def __init__(self, path: str) -> None:
        from zhtok.bpe import Tokenizer

        self.tok = Tokenizer.from_file(path)
        self.lengths = [len(self.tok.id_to_token(i)) for i in range(self.tok.vocab_size)]

    def count(self, lines: list[str]) -> int:
        return sum(len(ids) for ids in self.tok.encode_batch(lines, threads=THREADS))

    def spans(self, line: str) -> list[tuple[int, int]]:
        return _spans_from_lengths([self.lengths[i] for i in self.tok.encode(line)])


class HfEncoder(Encoder):
    def __init__(self, path: str) -> None:
        from tokenizers import Tokenizer

        from zhtok.bpe import _bytes_to_unicode

        self.tok = Tokenizer.from_file(path)
        byte_of = {c: b for b, c in enumerate(_bytes_to_unicode())}
        vocab = self.tok.get_vocab(with_added_tokens=True)
        self.lengths = [0] * (max(vocab.values()) + 1)
        specials = {t.content for t in self.tok.get_added_tokens_decoder().values()}
        for token, i in vocab.items():
            self.lengths[i] = len(token.encode()) if token in specials else sum(1 for c in token if c in byte_of)

    def count(self, lines: list[str]) -> int:
        return sum(len(e.ids) for e in self.tok.encode_batch(lines, add_special_tokens=False))

    def spans(self, line: str) -> list[tuple[int, int]]:
        return _spans_from_lengths([self.lengths[i] for i in self.tok.encode(line, add_special_tokens=False).ids])


class SentencePieceEncoder(Encoder):
    def __init__(self, path: str) -> None:
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=path)

    def count(self, lines: list[str]) -> int:
        return sum(len(ids) for ids in self.sp.encode(lines, num_threads=THREADS))

    def spans(self, line: str) -> list[tuple[int, int]]:
        return sentencepiece_spans(self.sp, line)


def load_encoder(tool: str, model: str) -> Encoder:
    if tool.startswith("zhtok"):
        return ZhtokEncoder(model)
    if tool.startswith("hf"):
        return HfEncoder(model)
    if tool.startswith("sentencepiece"):
        return SentencePieceEncoder(model)
    raise ValueError(f"unknown tool {tool!r}")


def _spans_from_lengths(lengths: list[int]) -> list[tuple[int, int]]:
    spans, at = [], 0
    for n in lengths:
        spans.append((at, at + n))
        at += n
    return spans


def sentencepiece_spans(sp: Any, line: str) -> list[tuple[int, int]]:
    """Byte spans in ``line``'s UTF-8 of sentencepiece's tokens of ``line``.

    sentencepiece encodes its normalized text (NFKC, spaces as ▁, a ▁ put in front); its
    normalizer gives each normalized character's offset in the original.  A piece covers
    ``len(piece)`` normalized characters (▁ is one); byte-fallback pieces together make one
    character, and each of them is given that whole character (it cannot hold a boundary
    strictly inside: boundaries fall between characters).  The leading ▁ covers no original
    text when the line does not start with a space.
    """
    ids = sp.encode(line)
    normalized, offsets = sp.normalize(line, with_offsets=True)
    char_bytes = [0]
    for ch in line:
        char_bytes.append(char_bytes[-1] + len(ch.encode("utf-8", "surrogatepass")))

    def original(i: int) -> int:  # byte offset in line of normalized character i
        return char_bytes[offsets[min(i, len(offsets) - 1)]]

    spans: list[tuple[int, int]] = []
    pos = 0
    pending: list[int] = []
    for token in ids:
        if sp.is_byte(token):
            pending.append(int(sp.id_to_piece(token)[3:5], 16))
            try:
                bytes(pending).decode("utf-8")
            except UnicodeDecodeError:
                if len(pending) < 4:
                    continue
            spans += [(original(pos), original(pos + 1))] * len(pending)
            pending = []
            pos += 1
            continue
        if pending:  # an incomplete byte sequence: give it one character
            spans += [(original(pos), original(pos + 1))] * len(pending)
            pending = []
            pos += 1
        width = 0 if sp.is_control(token) else len(sp.id_to_piece(token))
        spans.append((original(pos), original(pos + width)))
        pos += width
    if pending:
        spans += [(original(pos), original(pos + 1))] * len(pending)
        pos += 1
    if pos != len(normalized):
        raise ValueError(f"sentencepiece pieces cover {pos} normalized characters, not {len(normalized)}: {line[:40]!r}")
    return spans


def crossing_tokens(spans: list[tuple[int, int]], boundaries: list[int]) -> int:
    """How many spans hold one of the sorted ``boundaries`` strictly inside."""
    crossing = 0
    for start, end in spans:
        i = bisect.bisect_right(boundaries, start)
        if i < len(boundaries) and boundaries[i] < end:
            crossing += 1
    return crossing


def gold_boundaries(words: list[str]) -> list[int]:
    """Byte offsets of the word boundaries inside the words joined with no space."""
    bounds, at = [], 0
    for word in words[:-1]:
        at += len(word.encode("utf-8"))
        bounds.append(at)
    return bounds


def evaluate(encoder: Encoder, heldout: dict[str, list[str]], pku_test: list[str], gold: list[list[str]]) -> dict[str, Any]:
    """Bytes and characters per token on the held-out files (each, by group, all) and the
    PKU test text; the share of tokens crossing a gold word boundary."""
    result: dict[str, Any] = {"heldout": {}}
    groups: dict[str, list[int]] = {}
    for name, lines in heldout.items():
        figures = _rate(encoder, lines)
        result["heldout"][name] = figures
        group = name.split("_", 1)[0]
        for key in (group, "all"):
            acc = groups.setdefault(key, [0, 0, 0])
            acc[0] += figures["bytes"]
            acc[1] += figures["characters"]
            acc[2] += figures["tokens"]
    for key, (nbytes, chars, tokens) in sorted(groups.items(), key=lambda kv: _group_order(kv[0])):
        result["heldout"][key] = _ratios(nbytes, chars, tokens)
    if pku_test:
        result["pku_test"] = _rate(encoder, [line for line in pku_test if line])
    if gold:
        tokens = crossing = 0
        for words in gold:
            spans = encoder.spans("".join(words))
            tokens += len(spans)
            crossing += crossing_tokens(spans, gold_boundaries(words))
        result["gold_crossing"] = {"tokens": tokens, "crossing": crossing, "share": crossing / max(tokens, 1), "lines": len(gold)}
    return result


def _group_order(key: str) -> tuple[int, str]:
    order = (*HELD_OUT_GROUPS, "all")
    return (order.index(key) if key in order else len(order), key)


def _rate(encoder: Encoder, lines: list[str]) -> dict[str, Any]:
    nbytes = sum(len(line.encode("utf-8", "surrogatepass")) for line in lines)
    chars = sum(len(line) for line in lines)
    return _ratios(nbytes, chars, encoder.count(lines)) | {"lines": len(lines)}


def _ratios(nbytes: int, chars: int, tokens: int) -> dict[str, Any]:
    return {
        "bytes": nbytes, "characters": chars, "tokens": tokens,
        "bytes_per_token": nbytes / max(tokens, 1), "characters_per_token": chars / max(tokens, 1),
    }


def _read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 file without their line ends (a BOM and CR dropped)."""
    return [line.removesuffix("\r") for line in split_lines(path.read_text(encoding="utf-8-sig"))]


def _read_gold(path: Path) -> list[list[str]]:
    return [words for words in (line.split() for line in _read_lines(path)) if words]


# --------------------------------------------------------------------------------------
# summary and report


def _compare(results: dict[str, Any]) -> dict[str, Any]:
    """zhtok's figures against HF and sentencepiece, and the targets."""
    training, evaluation = results["training"], results["evaluation"]
    comparison: dict[str, Any] = {"ratios": {}, "targets": []}
    for tool, figures in training.items():
        ratios = {}
        for ref in REFERENCE_TOOLS:
            if ref in training and ref != tool:
                ratios[f"seconds_vs_{ref}"] = figures["seconds"] / training[ref]["seconds"]
                ratios[f"peak_rss_vs_{ref}"] = figures["peak_rss_mb"] / training[ref]["peak_rss_mb"]
                ratios[f"cpu_seconds_vs_{ref}"] = figures["cpu_seconds"] / max(training[ref]["cpu_seconds"], 1e-9)
            if ref in evaluation and tool in evaluation and ref != tool:
                for text in ("heldout", "pku_test"):
                    mine, theirs = _bpt(evaluation[tool], text), _bpt(evaluation[ref], text)
                    if mine and theirs:
                        ratios[f"bytes_per_token_{text}_vs_{ref}"] = mine / theirs
        comparison["ratios"][tool] = ratios
    targets = comparison["targets"]
    z = "zhtok-segment"
    if z in training:
        seconds, rss = training[z]["seconds"], training[z]["peak_rss_mb"]
        if "sentencepiece" in training:
            spm = training["sentencepiece"]
            targets.append(_target("wall ≤ 0.5× sentencepiece", seconds / spm["seconds"], WALL_VS_SPM_TARGET, "≤", "×"))
            targets.append(_target("peak RSS ≤ 0.5× sentencepiece", rss / spm["peak_rss_mb"], RSS_VS_SPM_TARGET, "≤", "×"))
        if "hf" in training:
            targets.append(_target("wall ≤ 0.1× HF", seconds / training["hf"]["seconds"], WALL_VS_HF_TARGET, "≤", "×"))
        if "zhtok-segment-x2" in training:
            double = training["zhtok-segment-x2"]["peak_rss_mb"] / rss
            targets.append(_target("peak RSS flat when the corpus doubles (×2 ÷ ×1)", double, 1 + RSS_FLAT_TOLERANCE, "≤", "×"))
    if z in evaluation:
        for text, label in (("heldout", "held-out slice"), ("pku_test", "PKU test")):
            refs = [_bpt(evaluation[r], text) for r in REFERENCE_TOOLS if r in evaluation]
            refs = [r for r in refs if r]
            mine = _bpt(evaluation[z], text)
            if refs and mine:
                best = max(refs)
                targets.append(_target(f"bytes/token within 2% of the better of HF and sentencepiece ({label})",
                                       mine / best, 1 - BYTES_PER_TOKEN_TOLERANCE, "≥", "×"))
        crossing = evaluation[z].get("gold_crossing")
        if crossing:
            targets.append(_target("tokens crossing a gold word boundary ≤ 1%", crossing["share"], CROSSING_TARGET, "≤", "%"))
    return comparison


def _bpt(figures: dict[str, Any], text: str) -> float | None:
    if text == "heldout":
        return figures.get("heldout", {}).get("all", {}).get("bytes_per_token")
    return figures.get(text, {}).get("bytes_per_token")


def targets_table(targets: list[dict[str, Any]]) -> list[str]:
    """The targets (results["comparison"]["targets"]) as a Markdown table, for vocab.md and the
    README block."""
    lines = ["| target | value | limit | met |", "|---|---:|---:|---|"]
    for t in targets:
        value = _pct(t["value"]) + "%" if t["unit"] == "%" else f"{t['value']:.3f}×"
        limit = _pct(t["limit"]) + "%" if t["unit"] == "%" else f"{t['limit']:.2f}×"
        lines.append(f"| {t['target']} | {value} | {t['sense']} {limit} | {'yes' if t['met'] else 'no'} |")
    return lines


def _target(name: str, value: float, limit: float, sense: str, unit: str) -> dict[str, Any]:
    met = value <= limit if sense == "≤" else value >= limit
    return {"target": name, "value": value, "limit": limit, "sense": sense, "unit": unit, "met": met}


def _environment(versions: dict[str, str], runs: int, quick: bool, vocab_size: int, threads: int, holdout: float) -> dict[str, Any]:
    return {
        **base_environment(versions),
        "runs": runs,
        "quick": quick,
        "vocab_size": vocab_size,
        "threads": threads,
        "holdout_fraction": holdout,
        "zhtok_build": zhtok_build(),
        "sched_autogroup": sched_autogroup(),
        "load_average_end": load_average(),
    }


def _markdown(results: dict[str, Any]) -> str:
    env, corpus = results["environment"], results["corpus"]
    training, evaluation = results["training"], results["evaluation"]
    lines = [
        "# BPE vocabulary training benchmark",
        "",
        environment_text(env)
        + f"; vocabulary {env['vocab_size']:,}, {env['threads']} threads; median of {env['runs']} training run(s)"
        + (" (quick: about the first 10 MB)" if env["quick"] else "")
        + f"; load average at the end {env['load_average_end']}; zhtok build {env.get('zhtok_build')}.",
        "",
        *_build_warning(env),
        f"Training text: DATA/text/*.txt, {corpus['share_of_each_file']:.0%} of each file's lines, less the last "
        f"{env['holdout_fraction']:.0%} of each file's lines (held out) and the {corpus['excluded_lines']} lines that also occur "
        f"in the PKU test text: {corpus['train_bytes'] / 1e6:.1f} MB, {corpus['train_lines']:,} lines. Held out: "
        f"{corpus['heldout_bytes'] / 1e6:.2f} MB, {corpus['heldout_lines']:,} lines. Each tool trains in a process of its own; "
        "wall is the training call, CPU s its user + system time (all threads: less sensitive to other load on the machine "
        "than wall, but it adds the threads up), peak RSS the process's VmHWM at its end (interpreter and libraries included).",
        "",
        "## Training",
        "",
        "| tool | wall s | × HF | × sentencepiece | CPU s | × HF | × sentencepiece | peak RSS MB | × HF | × sentencepiece | vocab |",
        "|---|" + "---:|" * 10,
    ]
    for tool, f in training.items():
        r = results["comparison"]["ratios"].get(tool, {})
        lines.append(
            f"| {tool} | {f['seconds']:.1f} | {_x(r.get('seconds_vs_hf'))} | {_x(r.get('seconds_vs_sentencepiece'))} "
            f"| {f['cpu_seconds']:.1f} | {_x(r.get('cpu_seconds_vs_hf'))} | {_x(r.get('cpu_seconds_vs_sentencepiece'))} "
            f"| {f['peak_rss_mb']:.0f} | {_x(r.get('peak_rss_vs_hf'))} "
            f"| {_x(r.get('peak_rss_vs_sentencepiece'))} | {f['vocab_size']:,} |"
        )
    lines.append("")
    if evaluation:
        groups = [g for g in (*HELD_OUT_GROUPS, "all") if any(g in e["heldout"] for e in evaluation.values())]
        lines += [
            "## Compression and word boundaries",
            "",
            "Bytes (UTF-8) and characters per token, each line encoded as a document; crossing: share of tokens of "
            "the PKU gold text (words joined) whose byte span holds a gold word boundary strictly inside.",
            "",
            "| tool | " + " | ".join(f"held-out {g} B/tok" for g in groups)
            + " | held-out chars/tok | × HF | × spm | PKU test B/tok | PKU chars/tok | × HF | × spm | crossing % |",
            "|---|" + "---:|" * (len(groups) + 8),
        ]
        for tool, e in evaluation.items():
            r = results["comparison"]["ratios"].get(tool, {})
            pku = e.get("pku_test", {})
            cells = [tool] + [f"{e['heldout'][g]['bytes_per_token']:.3f}" if g in e["heldout"] else "–" for g in groups]
            cells += [
                f"{e['heldout']['all']['characters_per_token']:.3f}",
                _x(r.get("bytes_per_token_heldout_vs_hf")), _x(r.get("bytes_per_token_heldout_vs_sentencepiece")),
                f"{pku['bytes_per_token']:.3f}" if pku else "–",
                f"{pku['characters_per_token']:.3f}" if pku else "–",
                _x(r.get("bytes_per_token_pku_test_vs_hf")), _x(r.get("bytes_per_token_pku_test_vs_sentencepiece")),
                _pct(e.get("gold_crossing", {}).get("share")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "(× columns: bytes per token of the row ÷ that of HF / sentencepiece; higher is better compression.)", ""]
    targets = results["comparison"]["targets"]
    if targets:
        lines += ["## Targets (zhtok-segment)", "", *targets_table(targets), ""]
    lines += ["## Each training run", "", "| tool | wall s | peak RSS MB | load average before → after |", "|---|---|---|---|"]
    for tool, f in training.items():
        lines.append(
            f"| {tool} | {', '.join(f'{s:.1f}' for s in f['seconds_all'])} | {', '.join(f'{m:.0f}' for m in f['peak_rss_mb_all'])} "
            f"| {f['details'].get('load_average_before')} → {f['details'].get('load_average_after')} (last run) |"
        )
    lines.append("")
    if results["skipped"]:
        lines += ["## Skipped", ""] + [f"- {tool}: {why}" for tool, why in results["skipped"].items()] + [""]
    return "\n".join(lines)


def _build_warning(env: dict[str, Any]) -> list[str]:
    start, end = env.get("zhtok_build_at_start"), env.get("zhtok_build")
    if start is None or start == end:
        return []
    return [f"**The zhtok build changed during the benchmark** (at the start: {start}); each zhtok training "
            "records the extension's modification time it ran with (vocab.json, details.zhtok_extension_mtime).", ""]


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


# --------------------------------------------------------------------------------------
# small helpers


def sched_autogroup() -> bool | None:
    """Whether Linux groups CPU time by session: then a process shares the cores with the other
    sessions' processes as one group, and its extra threads gain nothing while others run."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return None


def zhtok_build() -> dict[str, Any]:
    """Which zhtok was measured: the repository's commit, its uncommitted changes under
    csrc/ and zhtok/, and the extension module's modification time (others may rebuild it)."""
    import subprocess

    from benchmarks._util import REPO_ROOT

    info: dict[str, Any] = {}
    try:
        git = ["git", "-C", str(REPO_ROOT)]
        info["commit"] = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        status = subprocess.run(git + ["status", "--porcelain", "--", "csrc", "zhtok", "vocab"], capture_output=True, text=True, check=True)
        info["uncommitted"] = [line.strip() for line in status.stdout.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        import zhtok._core as core

        info["extension_mtime"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(core.__file__)))
    except (ImportError, OSError):
        pass
    return info


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return str(getattr(sys.modules.get(package), "__version__", "unknown"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_vocab", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help=f"about the first {QUICK_BYTES / 1e6:.0f} MB of the text, at most {RUNS} runs")
    parser.add_argument("--runs", type=int, default=RUNS, help="trainings per tool, median reported (default %(default)s)")
    parser.add_argument("--tools", type=comma_list, help=f"comma-separated, from {','.join(TOOLS)} (default: {','.join(DEFAULT_TOOLS)})")
    parser.add_argument("--vocab-size", type=int, default=VOCAB_SIZE, help="default: %(default)s")
    parser.add_argument("--threads", type=int, default=THREADS, help="training threads of every tool (default: %(default)s)")
    parser.add_argument("--holdout", type=float, default=HOLDOUT_FRACTION, help="share of each file's last lines held out")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"data directory {args.data_dir} not found")
    try:
        run(args.data_dir, args.out, quick=args.quick, runs=args.runs, tools=args.tools, vocab_size=args.vocab_size,
            threads=args.threads, holdout_fraction=args.holdout)
    except ValueError as error:
        parser.error(str(error))
    make_plots(args.out, ["vocab"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
