"""Side-by-side word segmentation benchmark: zhtok against jieba and pkuseg.

For every SIGHAN corpus under DATA/cws each tool segments test.txt line by line;
the output is scored against gold.txt (benchmarks.cws_score) and timed.  Each
tool runs in its own process so that its peak RSS is its own (model loaded,
one corpus in memory) and so that one tool's caches cannot help another; the
timed runs are interleaved tool by tool and the median is reported.  zhtok is
also timed through ``Segmenter.cut_batch`` with one and with two threads.  The
ambiguity cases (DATA/ambiguity/public.txt) are run too.

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
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks._util import DEFAULT_DATA_DIR, split_lines
from benchmarks.ambiguity import evaluate
from benchmarks.cws_score import score

TOOLS = ("zhtok", "jieba", "pkuseg")
REFERENCE_TOOLS = ("jieba", "pkuseg")  # the Markdown report gives ratios against these
KNOWN_CORPORA = ("pku", "msr", "cityu", "as")
CORPUS_FILES = ("test.txt", "gold.txt", "train_words.txt")
QUICK_LINES = 300
_WARM_UP = "预热一下分词器。"


def run(
    data_dir: str | Path,
    out_dir: str | Path,
    quick: bool = False,
    tools: Sequence[str] | None = None,
    corpora: Sequence[str] | None = None,
    runs: int = 3,
    zhtok_model: str | Path | None = None,
) -> dict[str, Any]:
    """Benchmark the tools, write seg.json and seg.md into ``out_dir`` and return the figures.

    ``quick`` keeps about the first 300 lines of each test file and one run.
    Tools that cannot be loaded are skipped with a message (see "skipped").
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    tools = list(TOOLS if tools is None else tools)
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        raise ValueError(f"unknown tools {unknown}; choose from {list(TOOLS)}")
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    runs = 1 if quick else runs
    corpus_dirs = _find_corpora(data_dir / "cws", corpora)
    model = None if zhtok_model is None else str(zhtok_model)

    results: dict[str, Any] = {"corpora": {}, "inputs": {}, "ambiguity": {}, "skipped": {}}
    versions: dict[str, str] = {}
    for name, folder in corpus_dirs.items():
        test_lines, gold_lines = _load_corpus(folder, QUICK_LINES if quick else None)
        test_bytes = sum(len(line.encode("utf-8")) for line in test_lines)
        results["inputs"][name] = {"lines": len(test_lines), "bytes": test_bytes}
        _log(f"{name}: {len(test_lines)} lines, {test_bytes / 1e6:.2f} MB, {runs} run(s)")
        workers = _start_workers(tools, model, results["skipped"], versions)
        seconds: dict[str, list[float]] = {tool: [] for tool in workers}
        outputs: dict[str, list[str]] = {}
        for run_index in range(runs):
            for tool, worker in workers.items():
                elapsed, output = worker.call("segment", test_lines, run_index == 0)
                seconds[tool].append(elapsed)
                if output is not None:
                    outputs[tool] = output
        gold_text = "".join(line + "\n" for line in gold_lines)
        train_words = folder / "train_words.txt"
        per_tool: dict[str, Any] = {}
        for tool, worker in workers.items():
            peak = worker.close()
            median = statistics.median(seconds[tool])
            figures: dict[str, Any] = {
                "mb_per_s": test_bytes / 1e6 / median,
                "seconds": median,
                "peak_rss_mb": peak,
            }
            try:
                result = score(gold_text, "".join(line + "\n" for line in outputs[tool]), train_words)
            except ValueError as error:
                _log(f"{name}/{tool}: cannot score: {error}")
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
            per_tool[tool] = figures
            _log(f"{name}/{tool}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in figures.items()))
        results["corpora"][name] = per_tool

    cases = data_dir / "ambiguity" / "public.txt"
    if cases.is_file():
        workers = _start_workers(tools, model, results["skipped"], versions)
        for tool, worker in workers.items():
            passed, total, failures = worker.call("ambiguity", str(cases))
            worker.close()
            results["ambiguity"][tool] = {"passed": passed, "total": total, "failures": failures}
            _log(f"ambiguity/{tool}: {passed}/{total}")
    else:
        _log(f"no ambiguity cases at {cases}; skipped")

    results["environment"] = _environment(versions, runs, quick)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "seg.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "seg.md").write_text(_markdown(results), encoding="utf-8")
    _log(f"wrote {out_dir / 'seg.json'} and {out_dir / 'seg.md'}")
    return results


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
            _log(f"no corpus folders with {', '.join(CORPUS_FILES)} under {cws_dir}")
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


class _Worker:
    """A tool loaded in a child process, driven over a pipe."""

    def __init__(self, tool: str, model: str | None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_serve, args=(tool, model, child_conn), daemon=True)
        self._process.start()
        child_conn.close()
        status, detail = self._receive()
        if status != "ready":
            self._process.join()
            raise RuntimeError(detail)
        self.version: str = detail

    def call(self, *request: Any) -> Any:
        self._conn.send(request)
        status, detail = self._receive()
        if status != "ok":
            raise RuntimeError(detail)
        return detail

    def close(self) -> float:
        """Stop the process; return its peak RSS in MB."""
        peak = self.call("stop")
        self._process.join()
        return peak

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._conn.recv()
        except EOFError:
            self._process.join()
            return "error", f"worker exited with code {self._process.exitcode}"


def _start_workers(
    tools: Sequence[str], model: str | None, skipped: dict[str, str], versions: dict[str, str]
) -> dict[str, _Worker]:
    workers = {}
    for tool in tools:
        if tool in skipped:
            continue
        try:
            workers[tool] = _Worker(tool, model)
        except RuntimeError as error:
            skipped[tool] = str(error)
            _log(f"skipping {tool}: {error}")
        else:
            versions[tool] = workers[tool].version
    return workers


def _serve(tool: str, model: str | None, conn: Connection) -> None:
    """Child process: load the tool, then answer requests until "stop"."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"  # one core, before numpy can start thread pools
    try:
        cut = _load_tool(tool, model)
        cut(_WARM_UP)  # jieba builds its dictionary lazily on first use
    except Exception as error:  # noqa: BLE001 - any failure means "skip this tool"
        conn.send(("error", f"cannot load {tool}: {type(error).__name__}: {error}"))
        return
    conn.send(("ready", _version(tool)))
    while True:
        request = conn.recv()
        try:
            if request[0] == "segment":
                _, lines, keep = request
                start = time.perf_counter()
                words = [cut(line) if line else [] for line in lines]
                elapsed = time.perf_counter() - start
                conn.send(("ok", (elapsed, [" ".join(w) for w in words] if keep else None)))
            elif request[0] == "ambiguity":
                passed, total, failures = evaluate(cut, request[1])
                shown = [f"{f.line_number}: {f.line} -> {'/'.join(f.words)}" for f in failures]
                conn.send(("ok", (passed, total, shown)))
            elif request[0] == "stop":
                conn.send(("ok", _peak_rss_mb()))
                return
            else:
                conn.send(("error", f"unknown request {request[0]!r}"))
        except Exception as error:  # noqa: BLE001 - report it to the parent instead of hanging it
            conn.send(("error", f"{tool} failed on {request[0]}: {type(error).__name__}: {error}"))


def _load_tool(tool: str, model: str | None) -> Callable[[str], list[str]]:
    if tool == "zhtok":
        import zhtok

        segmenter = zhtok.Segmenter() if model is None else zhtok.Segmenter(model=model)
        return segmenter.cut
    if tool == "jieba":
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        return jieba.lcut  # HMM on, its default
    if tool == "pkuseg":
        import pkuseg

        return pkuseg.pkuseg().cut  # default model
    raise ValueError(f"unknown tool {tool!r}")


def _version(tool: str) -> str:
    try:
        return metadata.version(tool)
    except metadata.PackageNotFoundError:
        return str(getattr(sys.modules.get(tool), "__version__", "unknown"))


def _peak_rss_mb() -> float:
    """Peak RSS of this process.

    On Linux getrusage's maxrss survives exec, so a spawned worker would report
    the parent's size at fork if it is larger; VmHWM belongs to this image alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / (1 << 10)  # bytes on macOS, KiB elsewhere


def _environment(versions: dict[str, str], runs: int, quick: bool) -> dict[str, Any]:
    return {
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "runs": runs,
        "quick": quick,
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        "# Word segmentation benchmark",
        "",
        f"CPU: {env['cpu']}; Python {env['python']}; "
        + ", ".join(f"{tool} {version}" for tool, version in env["versions"].items())
        + f"; median of {env['runs']} run(s){' (quick: first lines only)' if env['quick'] else ''}.",
        "Precision, recall and F1 are over exact word character spans; MB/s is UTF-8 MB of test text per second "
        "of segmentation on one core; peak RSS is that of the tool's own process with its model and one corpus loaded.",
        "",
    ]
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
    if results["ambiguity"]:
        lines += ["## Ambiguity cases", "", "| tool | passed | total |", "|---|---:|---:|"]
        lines += [f"| {tool} | {a['passed']} | {a['total']} |" for tool, a in results["ambiguity"].items()]
        lines.append("")
    if results["skipped"]:
        lines += ["## Skipped", ""] + [f"- {tool}: {why}" for tool, why in results["skipped"].items()] + [""]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _points(value: float | None, reference: float | None) -> str:
    return "–" if value is None or reference is None else f"{100 * (value - reference):+.2f}"


def _times(value: float, reference: float | None) -> str:
    return "–" if not reference else f"{value / reference:.2f}"


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_seg", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help=f"first ~{QUICK_LINES} lines of each corpus, one run")
    parser.add_argument("--tools", type=_names, help=f"comma-separated, from {','.join(TOOLS)} (default: all)")
    parser.add_argument("--corpora", type=_names, help="comma-separated corpus folder names (default: all found)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool, median reported")
    parser.add_argument("--zhtok-model", type=Path, help="model file for zhtok.Segmenter(model=...)")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"data directory {args.data_dir} not found")
    try:
        run(args.data_dir, args.out, args.quick, args.tools, args.corpora, args.runs, args.zhtok_model)
    except ValueError as error:
        parser.error(str(error))
    return 0


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


if __name__ == "__main__":
    sys.exit(main())
