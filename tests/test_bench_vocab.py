"""Smoke tests of benchmarks.bench_vocab on tiny synthetic data written to tmp_path (no timing
assertions; a competitor that is not installed is skipped)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks import bench_vocab
from benchmarks.bench_vocab import crossing_tokens, gold_boundaries, main, prepare_corpus, run

ZH_WORDS = ["我们", "北京", "南京市", "长江", "大桥", "研究", "生命", "起源", "发布", "了", "的", "是", "中国", "人民", "经济"]
EN_WORDS = ["the", "river", "bridge", "token", "model", "vocabulary", "train", "encode", "city", "of"]
PKU_LINE = "南京市长江大桥"
SPM_OPTIONS = {"hard_vocab_limit": False}  # tiny text cannot fill a vocabulary


def _tiny_data(root: Path, lines: int = 120) -> Path:
    rng = random.Random(7)
    data = root / "data"
    text = data / "text"
    text.mkdir(parents=True)
    zh = ["".join(rng.choices(ZH_WORDS, k=rng.randint(3, 9))) + "。" for _ in range(lines)]
    zh.insert(5, PKU_LINE)  # also in the PKU test: left out of training
    (text / "zh_tiny.txt").write_text("\n".join(zh) + "\n", encoding="utf-8")
    en = [" ".join(rng.choices(EN_WORDS, k=rng.randint(3, 9))) + "." for _ in range(lines)]
    (text / "en_tiny.txt").write_text("\n".join(en) + "\n", encoding="utf-8")
    mixed = [f"{a}的{b} token，{c} model😀" for a, b, c in zip(zh, en, zh[1:])]
    (text / "mixed_tiny.txt").write_text("\n".join(mixed) + "\n", encoding="utf-8")
    pku = data / "cws" / "pku"
    pku.mkdir(parents=True)
    (pku / "test.txt").write_text(f"{PKU_LINE}\r\n\r\n我们研究生命的起源。\r\n", encoding="utf-8")
    (pku / "gold.txt").write_text("南京市  长江  大桥\r\n\r\n我们  研究  生命  的  起源  。\r\n", encoding="utf-8")
    return data


def test_gold_boundaries_and_crossing() -> None:
    words = ["南京市", "长江", "大桥"]
    assert gold_boundaries(words) == [9, 15]
    # 南京 | 市长 | 江大桥 : 市长 holds the boundary at 9, 江大桥 the one at 15.
    assert crossing_tokens([(0, 6), (6, 12), (12, 21)], [9, 15]) == 2
    assert crossing_tokens([(0, 9), (9, 15), (15, 21)], [9, 15]) == 0  # boundaries at the ends only
    assert crossing_tokens([(0, 21)], [9, 15]) == 1
    assert crossing_tokens([(9, 9), (3, 4)], [9, 15]) == 0


def test_prepare_corpus_holds_out_and_excludes(tmp_path: Path) -> None:
    data = _tiny_data(tmp_path)
    info = prepare_corpus(data / "text", tmp_path / "split", None, 0.05, exclude={PKU_LINE})
    zh = info["files"]["zh_tiny.txt"]
    assert zh["heldout_lines"] == 6 and zh["excluded_lines"] == 1 and zh["train_lines"] == 121 - 6 - 1
    assert info["excluded_lines"] == 1
    train = (tmp_path / "split" / "train" / "zh_tiny.txt").read_text(encoding="utf-8").splitlines()
    held = (tmp_path / "split" / "heldout" / "zh_tiny.txt").read_text(encoding="utf-8").splitlines()
    source = (data / "text" / "zh_tiny.txt").read_text(encoding="utf-8").splitlines()
    assert held == source[-6:] and PKU_LINE not in train and not set(held) & set(train[-3:]) - {""}
    assert info["train_bytes"] == sum(p.stat().st_size for p in (tmp_path / "split" / "train").iterdir())
    quick = prepare_corpus(data / "text", tmp_path / "quick", 3000, 0.05)
    assert 0 < quick["share_of_each_file"] < 1
    assert quick["train_lines"] + quick["heldout_lines"] < info["train_lines"] + info["heldout_lines"]


def test_bench_vocab_zhtok(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    data = _tiny_data(tmp_path)
    out = tmp_path / "out"
    results = run(data, out, tools=["zhtok-segment", "zhtok-regex", "zhtok-segment-x2"], runs=1, vocab_size=400)
    assert not results["skipped"]
    for tool in ("zhtok-segment", "zhtok-regex", "zhtok-segment-x2"):
        figures = results["training"][tool]
        assert figures["seconds"] > 0 and figures["peak_rss_mb"] > 0 and 256 < figures["vocab_size"] <= 400
        assert Path(figures["model"]).is_file()
    assert results["training"]["zhtok-segment-x2"]["details"]["files"] == 6
    evaluation = results["evaluation"]["zhtok-segment"]
    assert set(evaluation["heldout"]) >= {"zh_tiny", "en_tiny", "mixed_tiny", "zh", "en", "mixed", "all"}
    assert evaluation["heldout"]["all"]["bytes_per_token"] > 1
    assert evaluation["pku_test"]["lines"] == 2
    crossing = evaluation["gold_crossing"]
    assert crossing["lines"] == 2 and 0 <= crossing["share"] <= 1 and crossing["tokens"] > 0
    assert "zhtok-segment-x2" not in results["evaluation"]
    names = [t["target"] for t in results["comparison"]["targets"]]
    assert any("doubles" in n for n in names) and any("crossing" in n for n in names)
    assert not any("sentencepiece" in n for n in names)  # no reference trained
    assert (out / "vocab.json").is_file()
    markdown = (out / "vocab.md").read_text(encoding="utf-8")
    assert "## Training" in markdown and "| zhtok-segment |" in markdown and "## Targets" in markdown


def test_bench_vocab_hf(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    pytest.importorskip("tokenizers")
    data = _tiny_data(tmp_path)
    results = run(data, tmp_path / "out", tools=["zhtok-regex", "hf"], runs=1, vocab_size=400)
    assert not results["skipped"]
    hf = results["evaluation"]["hf"]
    assert hf["heldout"]["all"]["bytes_per_token"] > 1 and hf["gold_crossing"]["tokens"] > 0
    assert "bytes_per_token_heldout_vs_hf" in results["comparison"]["ratios"]["zhtok-regex"]


def test_bench_vocab_sentencepiece(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    pytest.importorskip("sentencepiece")
    data = _tiny_data(tmp_path)
    results = run(data, tmp_path / "out", tools=["zhtok-segment", "sentencepiece", "sentencepiece-lossless"],
                  runs=1, vocab_size=400, sentencepiece_options=SPM_OPTIONS)
    assert not results["skipped"], results["skipped"]
    spm = results["evaluation"]["sentencepiece"]
    assert spm["pku_test"]["tokens"] > 0 and spm["gold_crossing"]["tokens"] > 0
    assert (tmp_path / "out" / "models" / "sentencepiece.model").is_file()
    lossless = results["training"]["sentencepiece-lossless"]
    assert lossless["details"]["settings"]["normalization_rule_name"] == "identity"
    assert results["evaluation"]["sentencepiece-lossless"]["heldout"]["all"]["tokens"] > 0
    names = [t["target"] for t in results["comparison"]["targets"]]
    assert any("sentencepiece" in n for n in names)


def test_sentencepiece_spans_cover_the_original(tmp_path: Path) -> None:
    spm = pytest.importorskip("sentencepiece")
    data = _tiny_data(tmp_path)
    prefix = tmp_path / "spm"
    spm.SentencePieceTrainer.train(
        input=str(data / "text" / "zh_tiny.txt"), model_prefix=str(prefix), model_type="bpe", vocab_size=300,
        byte_fallback=True, hard_vocab_limit=False, minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(prefix) + ".model")
    line = "  南京市ＡＢ１ 长江𠀋大桥😀"  # spaces, full-width (NFKC), characters unseen (byte fallback)
    spans = bench_vocab.sentencepiece_spans(sp, line)
    size = len(line.encode("utf-8"))
    assert len(spans) == len(sp.encode(line))
    assert all(0 <= s <= e <= size for s, e in spans)
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)
    assert spans[-1][1] == size
    rare = line.index("𠀋")
    start = len(line[:rare].encode("utf-8"))
    assert spans.count((start, start + 4)) == 4  # four byte pieces, each given the whole character


def test_bench_vocab_quick_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("zhtok")
    monkeypatch.setattr(bench_vocab, "QUICK_BYTES", 4000)
    data = _tiny_data(tmp_path)
    out = tmp_path / "out"
    assert main(["--data-dir", str(data), "--out", str(out), "--quick", "--tools", "zhtok-segment", "--vocab-size", "300",
                 "--runs", "3"]) == 0
    results = json.loads((out / "vocab.json").read_text(encoding="utf-8"))
    assert results["environment"]["quick"] and results["environment"]["runs"] == 3
    assert results["corpus"]["share_of_each_file"] < 1
    assert (out / "models_quick" / "zhtok-segment.ztok").is_file()


def test_bench_vocab_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown tools"):
        run(tmp_path, tmp_path / "out", tools=["bpeasy"])
    with pytest.raises(ValueError, match="runs"):
        run(tmp_path, tmp_path / "out", runs=0)
    with pytest.raises(ValueError, match="no training text"):
        run(tmp_path, tmp_path / "out")
