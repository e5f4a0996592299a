"""PNG plots of the benchmark figures, drawn from the JSON files the benchmarks write.

- ``seg.png``: F1 against segmentation speed (MB/s on one core, log scale), a colour per tool
  and a marker per corpus;
- ``vocab.png``: training wall time and peak RSS per tool (bars; the spread of the runs as
  error bars);
- ``encode.png``: throughput against threads per tool (the batch modes; line by line as an
  open marker at one thread), and the end-to-end pipelines against their workers.

matplotlib (the ``bench`` extra) is drawn with its Agg backend; without it the plots are
skipped with a one-line message.  Regenerate the plots of a saved run with

    python -m benchmarks.plots OUTDIR [seg|vocab|encode ...]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._util import log

BENCHMARKS = ("seg", "vocab", "encode")
_THREADS = re.compile(r"(?:\bthreads|num_threads|RAYON_NUM_THREADS)=(\d+)")
_PIPELINE = re.compile(r"^(.*?)\s*(?:--workers |RAYON_NUM_THREADS=)(\d+)$")
_MARKERS = "osD^v<>ph*"


def load_results(out_dir: str | Path, which: str) -> dict[str, Any] | None:
    """The figures of ``OUT/which.json``, or None when the file is missing."""
    path = Path(out_dir) / f"{which}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def make_plots(out_dir: str | Path, which: Sequence[str] = BENCHMARKS) -> list[Path]:
    """Draw the plots of the benchmarks in ``which`` whose JSON is in ``out_dir``; return the
    PNG files written.  Never raises: a missing matplotlib or a failing plot is one log line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        log("plots skipped: matplotlib is not installed (pip install matplotlib, or '.[bench]')")
        return []
    written = []
    for name in which:
        results = load_results(out_dir, name)
        if results is None:
            continue
        target = Path(out_dir) / f"{name}.png"
        try:
            if _PLOTTERS[name](results, target):
                written.append(target)
                log(f"wrote {target}")
        except Exception as error:  # noqa: BLE001 - a plot must never fail the benchmark
            log(f"plot {target} failed: {type(error).__name__}: {error}")
    return written


# --------------------------------------------------------------------------------------
# the three plots


def plot_seg(results: dict[str, Any], target: Path) -> bool:
    """F1 against MB/s (one core, line by line), per tool and corpus."""
    points: dict[str, list[tuple[str, float, float]]] = {}
    for corpus, per_tool in results.get("corpora", {}).items():
        for label, figures in per_tool.items():
            if figures.get("f1") is not None and figures.get("mb_per_s"):
                points.setdefault(seg_kind(label, figures), []).append(
                    (corpus, figures["mb_per_s"], 100 * figures["f1"]))
    if not points:
        return False
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    corpora = list(results["corpora"])
    markers = {corpus: _MARKERS[i % len(_MARKERS)] for i, corpus in enumerate(corpora)}
    fig, ax = plt.subplots(figsize=(9, 5))
    tool_handles = []
    for index, (kind, rows) in enumerate(points.items()):
        colour = f"C{index % 10}"
        for corpus, speed, f1 in rows:
            ax.scatter(speed, f1, color=colour, marker=markers[corpus], s=55, zorder=3)
        tool_handles.append(Line2D([], [], color=colour, marker="o", ls="", label=kind))
    corpus_handles = [Line2D([], [], color="grey", marker=markers[c], ls="", label=c) for c in corpora]
    ax.set_xscale("log")
    ax.set_xlabel("MB/s, one core, line by line (log scale)")
    ax.set_ylabel("F1 (%)")
    ax.set_title("Word segmentation: F1 against speed" + _quick_note(results))
    ax.grid(True, which="both", alpha=0.3)
    first = ax.legend(handles=tool_handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, title="tool")
    ax.add_artist(first)
    ax.legend(handles=corpus_handles, loc="lower left", bbox_to_anchor=(1.02, 0), fontsize=8, title="corpus")
    return _save(fig, target)


def seg_kind(label: str, figures: dict[str, Any]) -> str:
    """The series a seg row belongs to: its label, or for a model trained on the corpus
    ("zhtok (trained on msr train.txt)") the same name for every corpus."""
    if "training" in figures:
        return f"{label.split(' ', 1)[0]} (trained on each corpus)"
    return label


def plot_vocab(results: dict[str, Any], target: Path) -> bool:
    """Training wall time and peak RSS per tool, bars with the runs' spread."""
    training = results.get("training", {})
    if not training:
        return False
    import matplotlib.pyplot as plt

    tools = list(training)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, key, label in ((axes[0], "seconds", "training wall time (s)"),
                           (axes[1], "peak_rss_mb", "peak RSS (MB)")):
        values = [training[t][key] for t in tools]
        runs = [training[t].get(f"{key}_all") or [training[t][key]] for t in tools]
        errors = [[v - min(r) for v, r in zip(values, runs)], [max(r) - v for v, r in zip(values, runs)]]
        bars = ax.bar(range(len(tools)), values, yerr=errors, capsize=3,
                      color=[f"C{i % 10}" for i in range(len(tools))])
        ax.bar_label(bars, labels=[f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in values], fontsize=8, padding=2)
        ax.set_xticks(range(len(tools)), tools, rotation=25, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
    env = results.get("environment", {})
    fig.suptitle(f"BPE vocabulary training, {env.get('vocab_size', '?'):,} tokens, {env.get('threads', '?')} threads"
                 + _quick_note(results))
    return _save(fig, target)


def encode_series(results: dict[str, Any]) -> dict[str, dict[int, float]]:
    """MB/s per tool and thread count of the batch (threaded) encode modes."""
    series: dict[str, dict[int, float]] = {}
    for tool, modes in results.get("encode", {}).items():
        for mode, figures in modes.items():
            match = _THREADS.search(mode)
            if match:
                series.setdefault(tool, {})[int(match.group(1))] = figures["mb_per_s"]
    return series


def pipeline_series(results: dict[str, Any]) -> dict[str, dict[int, float]]:
    """MB/s per end-to-end pipeline and worker (thread) count."""
    series: dict[str, dict[int, float]] = {}
    for name, figures in results.get("end_to_end", {}).get("pipelines", {}).items():
        match = _PIPELINE.match(name)
        if match:
            series.setdefault(match.group(1), {})[int(match.group(2))] = figures["mb_per_s"]
    return series


def plot_encode(results: dict[str, Any], target: Path) -> bool:
    """Throughput against threads per tool; end-to-end pipelines against workers."""
    series, pipelines = encode_series(results), pipeline_series(results)
    if not series and not pipelines:
        return False
    import matplotlib.pyplot as plt

    panels = [p for p in ((series, "encoding API (batch calls)"), (pipelines, "end to end: jsonl to .bin/.idx")) if p[0]]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for ax, (data, title) in zip(axes[0], panels):
        for index, (name, points) in enumerate(data.items()):
            threads = sorted(points)
            colour = f"C{index % 10}"
            ax.plot(threads, [points[t] for t in threads], marker="o", color=colour, label=name)
            single = _line_by_line(results, name) if data is series else None
            if single is not None:
                ax.scatter([1], [single], facecolors="none", edgecolors=colour, s=60, zorder=3)
        counts = sorted({t for points in data.values() for t in points})
        ax.set_xticks(counts)
        ax.set_xlabel("threads" if data is series else "workers / threads")
        ax.set_ylabel("MB/s")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    note = " (open marker: line by line)" if series else ""
    fig.suptitle("Encoding throughput against threads" + note + _quick_note(results))
    return _save(fig, target)


def _line_by_line(results: dict[str, Any], tool: str) -> float | None:
    speeds = [f["mb_per_s"] for mode, f in results["encode"].get(tool, {}).items() if "line by line" in mode]
    return statistics.median(speeds) if speeds else None


_PLOTTERS = {"seg": plot_seg, "vocab": plot_vocab, "encode": plot_encode}


def _quick_note(results: dict[str, Any]) -> str:
    return " (--quick)" if results.get("environment", {}).get("quick") else ""


def _save(fig: Any, target: Path) -> bool:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return True


def chosen(parser: argparse.ArgumentParser, names: Sequence[str]) -> list[str]:
    """The benchmarks named on a command line (all when none); a usage error for others."""
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {list(BENCHMARKS)}")
    return list(names) or list(BENCHMARKS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plots", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder holding seg.json, vocab.json and/or encode.json")
    parser.add_argument("which", nargs="*", help=f"from {', '.join(BENCHMARKS)} (default: every JSON found)")
    args = parser.parse_args(argv)
    args.which = chosen(parser, args.which)
    if not args.out.is_dir():
        parser.error(f"{args.out} is not a folder")
    found = [name for name in args.which if (args.out / f"{name}.json").is_file()]
    if not found:
        parser.error(f"no {', '.join(f'{n}.json' for n in args.which)} in {args.out}")
    make_plots(args.out, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
