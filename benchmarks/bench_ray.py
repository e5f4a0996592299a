"""Ray engine benchmark: ``zhtok encode`` with the local engine against ``--engine ray`` on the
same input, the same tokenizer and options, on this machine.

Input: every DATA/text/*.txt (each line a document; ``--quick``: the smallest files, about
20 MB); tokenizer: the shipped vocab/zh_en_32k.ztok (segment pre-tokenizer); ``--append-eod``.
Each sample is a fresh interpreter running the command, timed from start to exit: for
``--engine ray`` that includes starting a Ray instance on this machine (all its CPUs) and
stopping it. Samples are interleaved (local, ray, then ray, local, ...); medians are reported,
and the outputs are compared byte for byte. The target: the Ray engine takes at most 15% more
wall time than the local one. The engine "ray-cluster" is the Ray engine on a cluster already
running (``ray start --head`` on this machine before the sample, ``ray stop`` after, neither
timed): what a run costs where the cluster outlives it.

The Ray engine's throughput per CPU (input MB ÷ median wall ÷ CPUs, startup included, so on the
low side) sizes a cluster: how many nodes encode Yuan 1.0's 5 TB in one hour.

    python -m benchmarks.bench_ray [--data-dir DIR] [--out DIR] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zhtok
from benchmarks import bench_vocab
from benchmarks._util import DEFAULT_DATA_DIR, REPO_ROOT, base_environment, environment_text, load_average, log
from benchmarks.bench_encode import _file_sha256, _timed_process

TOKENIZER = REPO_ROOT / "vocab" / "zh_en_32k.ztok"
RAY_PORT = 6390  # of the cluster that "ray-cluster" samples run on (found by --ray-address auto)
ENGINES = {"local": [], "ray": ["--engine", "ray"],
           "ray-cluster": ["--engine", "ray", "--ray-address", "auto"]}
TARGET_RATIO = 1.15
QUICK_BYTES = 20_000_000
CORPUS_BYTES = 5e12  # Yuan 1.0's corpus
HOURS = 1.0
NODE_CORES = (32, 64)


def input_files(data_dir: Path, quick: bool) -> list[Path]:
    files = sorted((data_dir / "text").glob("*.txt"))
    if not files:
        raise ValueError(f"no .txt files in {data_dir / 'text'}")
    if not quick:
        return files
    chosen, size = [], 0
    for f in sorted(files, key=lambda p: p.stat().st_size):
        if size >= QUICK_BYTES:
            break
        chosen.append(f)
        size += f.stat().st_size
    return sorted(chosen)


def sizing(mb_per_s_per_core: float, corpus_bytes: float = CORPUS_BYTES, hours: float = HOURS) -> dict[str, Any]:
    """Cores, and nodes of each size in NODE_CORES, that encode corpus_bytes in hours."""
    cores = math.ceil(corpus_bytes / 1e6 / (hours * 3600) / mb_per_s_per_core)
    return {"mb_per_s_per_core": mb_per_s_per_core, "cores": cores,
            "nodes": {str(n): math.ceil(cores / n) for n in NODE_CORES}}


def run(data_dir: str | Path, out_dir: str | Path, runs: int = 3, quick: bool = False,
        tokenizer: str | Path = TOKENIZER, repeat: int = 1) -> dict[str, Any]:
    """Times both engines, interleaved; writes ray.json and ray.md into out_dir. ``repeat``:
    the inputs listed that many times (a bigger input, over which starting Ray is amortized)."""
    if runs < 1 or repeat < 1:
        raise ValueError(f"runs and repeat must be at least 1, not {runs} and {repeat}")
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    files = input_files(data_dir, quick) * repeat
    input_bytes = sum(f.stat().st_size for f in files)
    work = out_dir / "ray_bench"
    work.mkdir(parents=True, exist_ok=True)
    cpus = os.cpu_count() or 1
    sources = ([str(data_dir / "text" / "*.txt")] * repeat if not quick  # zhtok expands the glob
               else [str(f) for f in files])
    commands = {name: ["zhtok", "encode", *sources, "--tokenizer", str(tokenizer),
                       "--output-prefix", str(work / name), "--append-eod", *extra]
                for name, extra in ENGINES.items()}
    log(f"input: {len(files)} files, {input_bytes / 1e6:.1f} MB; {runs} run(s) per engine")
    seconds: dict[str, list[float]] = {name: [] for name in ENGINES}
    cpu: dict[str, list[float]] = {name: [] for name in ENGINES}
    peak: dict[str, list[float]] = {name: [] for name in ENGINES}
    started, load_before = time.perf_counter(), load_average()
    for i in range(runs):
        order = list(ENGINES) if i % 2 == 0 else list(reversed(ENGINES))
        for name in order:
            with _ray_cluster(cpus, work / "log.txt") if name == "ray-cluster" else contextlib.nullcontext():
                elapsed, cpu_s, rss = _timed_process(commands[name], {}, work / "log.txt")
            seconds[name].append(elapsed)
            cpu[name].append(cpu_s)
            peak[name].append(rss)
            log(f"run {i + 1}/{runs} {name}: {elapsed:.2f} s, load {load_average()}")
    engines: dict[str, Any] = {}
    for name in ENGINES:
        prefix = str(work / name) + "_text_document"
        median = statistics.median(seconds[name])
        engines[name] = {
            "command": " ".join(commands[name]), "seconds_all": seconds[name], "seconds": median,
            "mb_per_s": input_bytes / 1e6 / median, "process_cpu_seconds": statistics.median(cpu[name]),
            "peak_rss_mb": max(peak[name]),
            "bin_sha256": _file_sha256(prefix + ".bin"), "idx_sha256": _file_sha256(prefix + ".idx"),
        }
    local, ray = engines["local"], engines["ray"]
    ratio = ray["seconds"] / local["seconds"]
    identical = all((e["bin_sha256"], e["idx_sha256"]) == (local["bin_sha256"], local["idx_sha256"])
                    for e in engines.values())
    per_core_ray = input_bytes / 1e6 / ray["seconds"] / cpus
    per_core_local_cpu = input_bytes / 1e6 / local["process_cpu_seconds"]
    results = {
        "input": {"files": [str(f) for f in files], "bytes": input_bytes, "tokenizer": str(tokenizer)},
        "engines": engines,
        "ray_over_local": ratio,
        "ray_cluster_over_local": engines["ray-cluster"]["seconds"] / local["seconds"],
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
        "outputs_identical": identical,
        "sizing": {
            "corpus_bytes": CORPUS_BYTES, "hours": HOURS,
            "ray_wall_per_cpu": sizing(per_core_ray),
            "local_per_cpu_second": sizing(per_core_local_cpu),
        },
        "load_average_before": load_before,
        "environment": {**base_environment({"zhtok": zhtok.__version__, "ray": bench_vocab._version("ray")}),
                        "runs": runs, "quick": quick, "load_average_end": load_average(),
                        "benchmark_seconds": time.perf_counter() - started},
    }
    (out_dir / "ray.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "ray.md").write_text(markdown(results), encoding="utf-8")
    log(f"wrote {out_dir / 'ray.json'} and {out_dir / 'ray.md'}")
    return results


@contextlib.contextmanager
def _ray_cluster(cpus: int, log_path: Path):
    """A Ray cluster on this machine (``ray start --head``) for the duration, stopped after."""
    ray_cli = [sys.executable, "-c", "import sys; from ray.scripts.scripts import main; sys.exit(main())"]
    with log_path.open("ab") as log:
        subprocess.run([*ray_cli, "start", "--head", f"--port={RAY_PORT}", f"--num-cpus={cpus}",
                        "--include-dashboard=false", "--disable-usage-stats"],
                       stdout=log, stderr=log, check=True)
        try:
            yield
        finally:
            subprocess.run([*ray_cli, "stop"], stdout=log, stderr=log, check=False)


def markdown(results: dict[str, Any]) -> str:
    env, inp, eng = results["environment"], results["input"], results["engines"]
    lines = [
        "# Ray engine benchmark",
        "",
        environment_text(env)
        + f"; median of {env['runs']} interleaved run(s) per engine{' (quick)' if env['quick'] else ''}; "
        f"load average {results['load_average_before']} before, {env['load_average_end']} at the end.",
        "",
        f"Input: {len(inp['files'])} files, {inp['bytes'] / 1e6:.1f} MB; tokenizer {Path(inp['tokenizer']).name}; "
        "wall time of the whole command, start to exit (the ray run starts and stops Ray on this machine; "
        "the ray-cluster run uses a cluster started on this machine before it).",
        "",
        "| engine | runs (s) | median (s) | MB/s | × local |",
        "|---|---|---:|---:|---:|",
    ]
    for name, e in eng.items():
        runs = ", ".join(f"{s:.1f}" for s in e["seconds_all"])
        lines.append(f"| {name} | {runs} | {e['seconds']:.1f} | {e['mb_per_s']:.2f} | "
                     f"{e['seconds'] / eng['local']['seconds']:.2f} |")
    lines += [
        "",
        f"Ray over local: **{results['ray_over_local']:.2f}×** (target ≤ {results['target_ratio']:.2f}×: "
        f"{'met' if results['meets_target'] else 'NOT met'}); on a running cluster "
        f"**{results['ray_cluster_over_local']:.2f}×**; outputs byte-identical: {results['outputs_identical']}.",
        "",
        "Commands:",
        "",
        *[f"    {e['command']}" for e in eng.values()],
        "",
        f"## Sizing: {results['sizing']['corpus_bytes'] / 1e12:.0f} TB in {results['sizing']['hours']:g} hour",
        "",
        "| throughput per core | MB/s per core | cores | " + " | ".join(f"nodes of {n} cores" for n in NODE_CORES) + " |",
        "|---|---:|---:|" + "---:|" * len(NODE_CORES),
    ]
    for label, key in (("Ray engine, wall per CPU on this machine", "ray_wall_per_cpu"),
                       ("local engine, per CPU-second", "local_per_cpu_second")):
        s = results["sizing"][key]
        lines.append(f"| {label} | {s['mb_per_s_per_core']:.2f} | {s['cores']:,} | "
                     + " | ".join(f"{s['nodes'][str(n)]:,}" for n in NODE_CORES) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ray", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="default: %(default)s")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per engine, median reported (default 3)")
    parser.add_argument("--quick", action="store_true", help=f"the smallest files, about {QUICK_BYTES / 1e6:.0f} MB")
    parser.add_argument("--tokenizer", type=Path, default=TOKENIZER, help="default: the shipped zh_en_32k.ztok")
    parser.add_argument("--repeat", type=int, default=1,
                        help="list the inputs this many times: Ray's start-up (~5 s) amortized over more text")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"data directory {args.data_dir} not found")
    try:
        results = run(args.data_dir, args.out, runs=args.runs, quick=args.quick, tokenizer=args.tokenizer,
                      repeat=args.repeat)
    except ValueError as error:
        parser.error(str(error))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
