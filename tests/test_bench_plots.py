"""benchmarks.plots on small synthetic results in the schema the benchmarks write (seg.json,
vocab.json, encode.json); skipped without matplotlib."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _env(**extra: Any) -> dict[str, Any]:
    return {"cpu": "Test CPU", "cpu_count": 2, "platform": "Linux", "python": "3.11.7",
            "versions": {"zhtok": "0.1.0"}, "date": "2025-01-02 03:04:05 +0000",
            "command": "zhtok bench all --out bench_out", "runs": 3, "quick": False,
            "load_average_end": [1.5, 1.0, 0.5], **extra}


def _seg_figures(f1: float, mb_per_s: float, rss: float) -> dict[str, Any]:
    return {"mb_per_s": mb_per_s, "seconds": 0.1 / mb_per_s, "cpu_per_wall": 0.99, "loaded_rss_mb": rss - 5,
            "peak_rss_mb": rss, "precision": f1, "recall": f1, "f1": f1, "oov_recall": f1 - 0.2,
            "iv_recall": f1 + 0.01, "official_f": round(f1, 3)}


def synthetic_results() -> dict[str, dict[str, Any]]:
    """seg, vocab and encode figures as the benchmarks write them (the keys the plots and the
    README read, with plausible values)."""
    corpora = {}
    for corpus, shift in (("pku", 0.0), ("msr", 0.01)):
        corpora[corpus] = {
            "zhtok": _seg_figures(0.95 - shift, 6.0, 70) | {"cut_batch": {"threads_1_mb_per_s": 7.0, "threads_2_mb_per_s": 12.0}},
            "jieba": _seg_figures(0.82 - shift, 1.2, 110),
            "pkuseg": _seg_figures(0.93 - shift, 0.2, 830),
            f"zhtok (trained on {corpus} train.txt)": _seg_figures(0.96 - shift, 5.5, 75) | {"training": {"seconds": 7.0}},
        }
    seg = {
        "corpora": corpora,
        "inputs": {c: {"lines": 100, "bytes": 100_000, "load_average_before": [1.2, 1.0, 0.9],
                       "load_average_after": [1.8, 1.1, 0.9], "oov_rate": 0.05} for c in corpora},
        "ambiguity": {"zhtok": {"passed": 29, "total": 36, "failures": []},
                      "jieba": {"passed": 28, "total": 36, "failures": []}},
        "skipped": {},
        "speed": {"one_core_mb_per_s": {"zhtok": 6.0, "jieba": 1.2, "pkuseg": 0.2},
                  "zhtok_cut_batch": {"corpora": list(corpora), "threads_1_mb_per_s": 7.0,
                                      "threads_2_mb_per_s": 12.0, "speedup_2_vs_1": 12 / 7, "target": 1.8}},
        "memory": {},
        "environment": _env(versions={"zhtok": "0.1.0", "jieba": "0.42.1", "pkuseg": "0.0.25"}, batch_runs=5),
    }
    training = {
        tool: {"seconds": s, "seconds_all": [s * 0.9, s, s * 1.2], "peak_rss_mb": m, "peak_rss_mb_all": [m, m, m + 1],
               "cpu_seconds": s * 1.5, "vocab_size": 32_000, "model": f"{tool}.model",
               "details": {"load_average_before": [1.0, 1.0, 1.0], "load_average_after": [2.5, 1.0, 1.0]}}
        for tool, s, m in (("zhtok-segment", 15.0, 350.0), ("hf", 320.0, 5100.0), ("sentencepiece", 28.0, 1700.0))
    }
    evaluation = {
        tool: {"heldout": {"all": {"bytes_per_token": b}}, "pku_test": {"bytes_per_token": b - 0.2},
               "gold_crossing": {"share": c}}
        for tool, b, c in (("zhtok-segment", 4.4, 0.0047), ("hf", 4.6, 0.151), ("sentencepiece", 4.5, 0.098))
    }
    vocab = {
        "corpus": {"train_bytes": 110_000_000, "train_lines": 1_000_000},
        "training": training,
        "evaluation": evaluation,
        "skipped": {},
        "comparison": {"ratios": {"zhtok-segment": {"seconds_vs_hf": 15 / 320, "seconds_vs_sentencepiece": 15 / 28,
                                                    "peak_rss_vs_hf": 350 / 5100, "peak_rss_vs_sentencepiece": 350 / 1700}},
                       "targets": []},
        "environment": _env(versions={"zhtok": "0.1.0", "tokenizers": "0.23.3", "sentencepiece": "0.2.3"},
                            vocab_size=32_000, threads=2),
    }
    modes = {
        "zhtok-segment": {"encode (line by line)": 6.5, "encode_batch threads=1": 6.8, "encode_batch threads=2": 12.5},
        "tiktoken": {"encode_ordinary (line by line)": 12.0, "encode_ordinary_batch num_threads=1": 3.0,
                     "encode_ordinary_batch num_threads=2": 3.5},
        "hf": {"encode (line by line)": 3.6, "encode_batch RAYON_NUM_THREADS=1": 3.1,
               "encode_batch RAYON_NUM_THREADS=2": 5.0},
    }
    pipelines = {"zhtok encode zhtok-segment --workers 1": 2.5, "zhtok encode zhtok-segment --workers 2": 4.5,
                 "HF encode_batch + numpy RAYON_NUM_THREADS=1": 1.9, "HF encode_batch + numpy RAYON_NUM_THREADS=2": 2.9}
    encode = {
        "input": {"files": ["/data/text/mixed_leetcode_zh.txt"], "lines": 1000, "bytes": 2_000_000},
        "models": {},
        "encode": {tool: {mode: {"mb_per_s": v, "seconds": 2 / v, "tokens": 1000, "sha256": "x"} for mode, v in m.items()}
                   for tool, m in modes.items()},
        "agreement": {"zhtok-segment: all modes give the same ids": True, "tiktoken, hf give the same ids": True},
        "end_to_end": {"jsonl_bytes": 2_300_000,
                       "pipelines": {name: {"mb_per_s": v, "seconds": 2 / v, "peak_rss_mb": 100.0} for name, v in pipelines.items()}},
        "memory": {"workers": 2, "inputs": {"small": {"bytes": 100_000_000}, "large": {"bytes": 1_027_000_000}},
                   "tools": {"zhtok-segment": {"small": {"peak_rss_mb": 84.5, "peak_rss_mb_all": [84.5, 84.1, 85.0]},
                                               "large": {"peak_rss_mb": 86.0, "peak_rss_mb_all": [86.0, 85.5, 86.2]},
                                               "large_vs_small": 86.0 / 84.5}}},
        "skipped": {},
        "load_average_before": [0.5, 0.4, 0.3],
        "comparison": {"tiktoken_reference": "encode_ordinary (line by line)", "vs_tiktoken": {}, "targets": []},
        "environment": _env(versions={"zhtok": "0.1.0", "tiktoken": "0.14.0"}, runs=5),
    }
    return {"seg": seg, "vocab": vocab, "encode": encode}


def write_results(folder: Path, which: tuple[str, ...] = plots.BENCHMARKS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, results in synthetic_results().items():
        if name in which:
            (folder / f"{name}.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    return folder


def test_plots_from_json(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = write_results(tmp_path / "out")
    written = plots.make_plots(out)
    assert sorted(p.name for p in written) == ["encode.png", "seg.png", "vocab.png"]
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, path


def test_plots_main_regenerates_from_a_saved_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = write_results(tmp_path / "out", ("vocab",))
    assert plots.main([str(out)]) == 0
    assert (out / "vocab.png").read_bytes().startswith(PNG_SIGNATURE)
    assert not (out / "seg.png").exists() and "wrote" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        plots.main([str(out), "nope"])
    with pytest.raises(SystemExit):
        plots.main([str(tmp_path / "empty")])


def test_without_matplotlib_plots_are_skipped_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = write_results(tmp_path / "out")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    assert plots.make_plots(out) == []
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err and err.count("\n") == 1
    assert not list(out.glob("*.png"))


def test_a_failing_plot_does_not_raise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    out.mkdir()
    (out / "vocab.json").write_text(json.dumps({"training": {"x": {"seconds": "not a number"}}}), encoding="utf-8")
    assert plots.make_plots(out) == []
    err = capsys.readouterr().err
    assert "vocab.png failed" in err and err.count("\n") == 1


def test_thread_counts_read_from_mode_names() -> None:
    results = synthetic_results()["encode"]
    assert plots.encode_series(results) == {
        "zhtok-segment": {1: 6.8, 2: 12.5}, "tiktoken": {1: 3.0, 2: 3.5}, "hf": {1: 3.1, 2: 5.0}}
    assert plots.pipeline_series(results) == {
        "zhtok encode zhtok-segment": {1: 2.5, 2: 4.5}, "HF encode_batch + numpy": {1: 1.9, 2: 2.9}}
    seg = synthetic_results()["seg"]["corpora"]["msr"]
    assert plots.seg_kind("zhtok (trained on msr train.txt)", seg["zhtok (trained on msr train.txt)"]) == \
        "zhtok (trained on each corpus)"
