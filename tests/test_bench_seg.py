"""Smoke tests of benchmarks.bench_seg on tiny corpora written to tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_seg
from benchmarks.bench_seg import _load_corpus, _write_pkuseg_format, main, run

TRAIN_TEXT = (
    "\ufeff我  爱  北京  天安门  。\r\n"
    "南京市  长江  大桥\r\n"
    "\r\n"
    "我  爱  南京\r\n"
    "北京  的  长江  大桥\r\n"
)


def _tiny_data(root: Path, train: bool = False) -> Path:
    data = root / "data"
    corpus = data / "cws" / "tiny"
    corpus.mkdir(parents=True)
    (corpus / "test.txt").write_text("我爱北京天安门。\r\n\r\n南京市长江大桥\r\n", encoding="utf-8")
    (corpus / "gold.txt").write_text("我 爱 北京 天安门 。\r\n\r\n南京市 长江 大桥\r\n", encoding="utf-8")
    (corpus / "train_words.txt").write_text("我\n爱\n北京\n", encoding="utf-8")
    if train:
        (corpus / "train.txt").write_text(TRAIN_TEXT, encoding="utf-8")
    cases = data / "ambiguity"
    cases.mkdir()
    (cases / "public.txt").write_text("南京市|长+江大桥\n", encoding="utf-8")
    return data


def test_bench_seg_on_tiny_corpus(tmp_path: Path) -> None:
    pytest.importorskip("jieba")
    data = _tiny_data(tmp_path)
    results = run(data, tmp_path / "out", tools=["jieba"], runs=1, min_sample_seconds=0)
    figures = results["corpora"]["tiny"]["jieba"]
    assert 0.5 < figures["f1"] <= 1.0
    assert figures["mb_per_s"] > 0 and figures["peak_rss_mb"] >= figures["loaded_rss_mb"] > 0
    assert "cut_batch" not in figures
    assert results["inputs"]["tiny"]["lines"] == 3
    assert results["inputs"]["tiny"]["bytes"] == 45
    assert results["inputs"]["tiny"]["oov_rate"] == pytest.approx(5 / 8)
    assert results["ambiguity"]["jieba"]["total"] == 1
    assert "jieba" in results["environment"]["versions"]
    assert results["speed"]["one_core_mb_per_s"]["jieba"] == pytest.approx(figures["mb_per_s"])
    assert (tmp_path / "out" / "seg.json").is_file()
    assert "## tiny" in (tmp_path / "out" / "seg.md").read_text(encoding="utf-8")


def test_bench_seg_zhtok_cut_batch_and_memory(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    data = _tiny_data(tmp_path)
    other = data / "cws" / "tiny2"  # cut_batch is timed in rounds over every corpus
    other.mkdir()
    for f in (data / "cws" / "tiny").iterdir():
        (other / f.name).write_bytes(f.read_bytes().replace("天安门".encode(), "长江".encode()))
    results = run(data, tmp_path / "out", tools=["zhtok"], runs=2, min_sample_seconds=0)
    second = results["corpora"]["tiny2"]["zhtok"]["cut_batch"]
    assert second["runs"] == bench_seg.BATCH_RUNS and second["output_matches_cut"] is True
    figures = results["corpora"]["tiny"]["zhtok"]
    batch = figures["cut_batch"]
    assert batch["runs"] == bench_seg.BATCH_RUNS
    assert batch["output_matches_cut"] is True
    assert figures["cpu_per_wall"] > 0 and batch["threads_1_cpu_per_wall"] > 0 and batch["threads_2_cpu_per_wall"] > 0
    assert batch["threads_1_mb_per_s"] > 0 and batch["threads_2_mb_per_s"] > 0
    assert batch["speedup_2_vs_1"] == pytest.approx(batch["threads_2_mb_per_s"] / batch["threads_1_mb_per_s"])
    summary = results["speed"]["zhtok_cut_batch"]
    assert summary["corpora"] == ["tiny", "tiny2"] and summary["target"] == 1.8
    assert results["memory"]["zhtok"]["target_mb"] == 200
    # The zhtok process that ran cut_batch (on every corpus, after them) counts in zhtok's peak.
    assert results["cut_batch_peak_rss_mb"] > 0
    peaks = [per_tool["zhtok"]["peak_rss_mb"] for per_tool in results["corpora"].values()]
    assert results["memory"]["zhtok"]["peak_rss_mb"] == max(peaks + [results["cut_batch_peak_rss_mb"]])
    markdown = (tmp_path / "out" / "seg.md").read_text(encoding="utf-8")
    assert "## zhtok cut_batch" in markdown and "## Memory" in markdown and "## Speed on one core" in markdown


def test_bench_seg_train_zhtok(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    data = _tiny_data(tmp_path, train=True)
    results = run(
        data, tmp_path / "out", tools=["zhtok"], runs=1, train=True, train_dir=tmp_path / "models", min_sample_seconds=0
    )
    label = "zhtok (trained on tiny train.txt)"
    figures = results["corpora"]["tiny"][label]
    assert 0 < figures["f1"] <= 1.0
    assert figures["training"]["lines"] == 4 and figures["training"]["seconds"] > 0
    assert figures["training"]["report"]["sentences"] == 4
    assert (tmp_path / "models" / "tiny" / "zhtok.zseg").is_file()
    assert "cut_batch" not in figures  # only the default model is timed through cut_batch
    assert label not in results["ambiguity"]
    markdown = (tmp_path / "out" / "seg.md").read_text(encoding="utf-8")
    assert "## Trained on each corpus" in markdown and f"| {label} |" in markdown


def test_bench_seg_train_pkuseg(tmp_path: Path) -> None:
    pytest.importorskip("pkuseg")
    data = _tiny_data(tmp_path, train=True)
    # pkuseg's optimizer divides the sentences into 10 update intervals: it needs at least 10.
    (data / "cws" / "tiny" / "train.txt").write_text("\ufeff" + TRAIN_TEXT.removeprefix("\ufeff") * 5, encoding="utf-8")
    results = run(
        data, tmp_path / "out", tools=["pkuseg"], runs=1, train=True, pkuseg_iterations=2, min_sample_seconds=0
    )
    label = "pkuseg (trained on tiny train.txt)"
    assert label not in results["skipped"]
    figures = results["corpora"]["tiny"][label]
    assert 0 < figures["f1"] <= 1.0
    assert figures["training"]["iterations"] == 2
    assert len(figures["training"]["iteration_seconds"]) == 2
    assert results["environment"]["pkuseg_train_iterations"] == 2


def test_bench_seg_quick_train_on_a_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("zhtok")
    monkeypatch.setattr(bench_seg, "QUICK_TRAIN_CHARS", 10)
    data = _tiny_data(tmp_path, train=True)
    out = tmp_path / "out"
    assert main(["--data-dir", str(data), "--out", str(out), "--tools", "zhtok", "--quick", "--train"]) == 0
    results = json.loads((out / "seg.json").read_text(encoding="utf-8"))
    label = "zhtok (trained on tiny train.txt, first 2 lines)"
    assert results["corpora"]["tiny"][label]["training"]["characters"] == 15
    assert results["environment"]["quick"] and results["environment"]["train"]


def test_write_pkuseg_format(tmp_path: Path) -> None:
    source = tmp_path / "train.txt"
    source.write_text(TRAIN_TEXT.replace("爱  南京", "爱\u3000南京\t"), encoding="utf-8")
    target = tmp_path / "out.txt"
    assert _write_pkuseg_format(source, target) == (4, 26)
    assert target.read_bytes().decode("utf-8") == (
        "我 爱 北京 天安门 。\n南京市 长江 大桥\n我 爱 南京\n北京 的 长江 大桥\n"
    )
    assert _write_pkuseg_format(source, target, max_chars=8) == (1, 8)
    assert _write_pkuseg_format(source, target, max_chars=9) == (2, 15)
    (tmp_path / "empty.txt").write_text("\r\n \r\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no words"):
        _write_pkuseg_format(tmp_path / "empty.txt", target)


def test_bench_seg_quick_cut_keeps_gold_aligned(tmp_path: Path) -> None:
    (tmp_path / "test.txt").write_text("甲乙\n丙丁\n戊\n己\n", encoding="utf-8")
    (tmp_path / "gold.txt").write_text("甲 乙 丙\n丁 戊\n己\n", encoding="utf-8")
    # After two test lines the gold is mid-line; the first common line end is after 戊.
    assert _load_corpus(tmp_path, 2) == (["甲乙", "丙丁", "戊"], ["甲 乙 丙", "丁 戊"])


def test_bench_seg_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown tools"):
        run(tmp_path, tmp_path / "out", tools=["nltk"])
    with pytest.raises(ValueError, match="iterations"):
        run(tmp_path, tmp_path / "out", train=True, pkuseg_iterations=0)
