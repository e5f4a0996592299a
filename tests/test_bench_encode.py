"""Smoke tests of benchmarks.bench_encode on tiny synthetic data written to tmp_path (no timing
assertions; a competitor that is not installed is skipped)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks import bench_encode
from benchmarks.bench_encode import digest, load_lines, main, run
from benchmarks.hf_pipeline import main as hf_pipeline_main

WORDS = ["我们", "研究", "数组", "链表", "算法", "时间复杂度", "的", "是", "了", "Java", "HashMap", "O(n)", "return", "线程池"]


def _tiny_data(root: Path, lines: int = 150) -> Path:
    rng = random.Random(11)
    text = root / "data" / "text"
    text.mkdir(parents=True)

    def line() -> str:
        return "".join(w + (" " if w.isascii() else "") for w in rng.choices(WORDS, k=rng.randint(2, 10))) + "。"

    (text / "mixed_leetcode_zh.txt").write_text("\n".join(line() for _ in range(lines)) + "\n\n", encoding="utf-8")
    (text / "mixed_javaguide.txt").write_text("\r\n".join(line() for _ in range(lines)) + "\r\n", encoding="utf-8")
    (text / "en_other.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 20, encoding="utf-8")
    return root / "data"


def test_load_lines_drops_line_ends_and_cuts_a_share(tmp_path: Path) -> None:
    data = _tiny_data(tmp_path)
    paths = [data / "text" / name for name in bench_encode.INPUT_FILES]
    lines = load_lines(paths)
    assert len(lines) == 301 and lines[150] == "" and not any("\r" in line or "\n" in line for line in lines)
    part = load_lines(paths, 2000)
    assert 2 <= len(part) < len(lines)


def test_digest() -> None:
    assert digest([[1, 2], [3]]) == digest([[1, 2], [3]])
    assert digest([[1, 2], [3]])["tokens"] == 3
    assert digest([[1, 2], [3]])["sha256"] != digest([[1], [2, 3]])["sha256"]


def test_bench_encode_zhtok_and_tiktoken(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    data = _tiny_data(tmp_path)
    tools = ["zhtok-segment", "zhtok-segment-fast", "zhtok-regex"]
    try:
        import tiktoken  # noqa: F401

        tools.append("tiktoken")
    except ImportError:
        pass
    out = tmp_path / "out"
    results = run(data, out, tools=tools, runs=2, vocab_size=300, memory_sizes=(20_000, 60_000))
    assert not results["skipped"], results["skipped"]
    encode = results["encode"]
    assert set(encode["zhtok-segment"]) == set(bench_encode.WORKERS[("zhtok-segment", None)])
    for tool in tools:
        for figures in encode[tool].values():
            assert figures["mb_per_s"] > 0 and figures["tokens"] > 0 and len(figures["seconds_all"]) == 2
        assert results["agreement"][f"{tool}: all modes give the same ids"]
    if "tiktoken" in tools:
        assert results["agreement"]["zhtok-regex, tiktoken give the same ids"]
        assert results["comparison"]["tiktoken_reference"] in bench_encode.REFERENCE_MODES
        names = [t["target"] for t in results["comparison"]["targets"]]
        assert any(n.startswith("zhtok-segment one thread") for n in names)
        assert any(n.startswith("zhtok-segment-fast one thread") and "agrees with zhtok-segment on" in n for n in names)
    fast = results["fast_segmentation"]
    assert 0.5 < fast["documents_identical"] <= 1 and fast["tokens"] == next(iter(encode["zhtok-segment"].values()))["tokens"]
    assert fast["tokens_fast"] == next(iter(encode["zhtok-segment-fast"].values()))["tokens"]
    assert 0 < fast["words_han"]["same"] <= min(fast["words_han"]["exact"], fast["words_han"]["fast"])
    assert Path(results["models"]["zhtok-regex"]["path"]).is_file()
    e2e = results["end_to_end"]
    assert set(e2e["pipelines"]) == {f"zhtok encode {t} --workers {w}" for t in ("zhtok-segment", "zhtok-segment-fast", "zhtok-regex") for w in (1, 2)}
    assert all(e2e["outputs_identical"].values()) and len(e2e["outputs_identical"]) == 3
    from zhtok.bpe import Tokenizer
    from zhtok.megatron import IndexedDataset

    fast_ds = IndexedDataset(e2e["pipelines"]["zhtok encode zhtok-segment-fast --workers 2"]["output"])
    ds = IndexedDataset(e2e["pipelines"]["zhtok encode zhtok-segment --workers 2"]["output"])
    every = load_lines(sorted((data / "text").glob("*.txt")))  # the end-to-end input: all of DATA/text
    tok = Tokenizer.default()
    assert len(ds) == e2e["lines"] == len(every) and ds[3].tolist() == tok.encode(every[3])
    assert sum(int(n) for n in ds.sequence_lengths) == sum(len(ids) for ids in tok.encode_batch(every))
    assert fast_ds[3].tolist() == tok.with_fast_segmentation().encode(every[3])
    memory = results["memory"]
    assert set(memory["tools"]) == {"zhtok-segment", "zhtok-regex"}
    assert memory["inputs"]["small"]["bytes"] <= 20_000 and memory["inputs"]["large"]["bytes"] >= 60_000
    for figures in memory["tools"].values():
        assert len(figures["small"]["peak_rss_mb_all"]) == len(figures["large"]["peak_rss_mb_all"]) == 2
        assert figures["small"]["peak_rss_mb"] > 10 and figures["large_vs_small"] > 0
        assert len(figures["large_workers_1"]["seconds_all"]) == 2
        assert figures["large_workers_2_vs_1"] == figures["large_workers_1"]["seconds"] / figures["large"]["seconds"]
    assert not (out / "memory").exists()  # the inputs are removed
    memory_targets = [t for t in results["comparison"]["targets"] if t["target"].startswith("memory:")]
    assert len(memory_targets) == 2 and all(t["met"] == (t["value"] <= 1.0) for t in memory_targets)
    markdown = (out / "encode.md").read_text(encoding="utf-8")
    assert "## Encoding" in markdown and "## End to end" in markdown and "by construction" in markdown
    assert "## Memory against input size" in markdown and "## Fast segmentation" in markdown
    # The cached regex tokenizer is reused by the next run.
    again = run(data, out, tools=["zhtok-regex"], runs=1, end_to_end=False, vocab_size=300)
    assert again["models"]["zhtok-regex"]["what"] == "cached"


def test_bench_encode_hf_and_pipeline(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    pytest.importorskip("tokenizers")
    data = _tiny_data(tmp_path)
    results = run(data, tmp_path / "out", tools=["zhtok-regex", "hf"], runs=1, vocab_size=300,
                  memory_sizes=(5_000, 20_000))
    assert not results["skipped"], results["skipped"]
    assert set(results["encode"]["hf"]) == {"encode (line by line)", "encode_batch RAYON_NUM_THREADS=1",
                                            "encode_batch RAYON_NUM_THREADS=2"}
    assert results["agreement"]["zhtok-regex, hf give the same ids"]
    identical = results["end_to_end"]["outputs_identical"]
    assert identical["zhtok encode zhtok-regex --workers 2 = HF encode_batch + numpy RAYON_NUM_THREADS=2"]
    names = [t["target"] for t in results["comparison"]["targets"]]
    assert any("the HF pipeline" in n for n in names)


def test_hf_pipeline_main_writes_megatron(tmp_path: Path) -> None:
    pytest.importorskip("tokenizers")
    zhtok = pytest.importorskip("zhtok.bpe")
    from zhtok.megatron import IndexedDataset

    tok = zhtok.Tokenizer.default()
    export = tok.export_hf(tmp_path / "hf")
    source = tmp_path / "in.jsonl"
    texts = ["hello world", "", "数组 and 链表"]
    source.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    assert hf_pipeline_main([str(source), export, str(tmp_path / "hf_out")]) == 0
    ds = IndexedDataset(tmp_path / "hf_out")
    from tokenizers import Tokenizer

    hf = Tokenizer.from_file(export)
    assert [ds[i].tolist() for i in range(len(ds))] == [hf.encode(t, add_special_tokens=False).ids for t in texts]


def test_bench_encode_sentencepiece(tmp_path: Path) -> None:
    spm = pytest.importorskip("sentencepiece")
    data = _tiny_data(tmp_path)
    prefix = tmp_path / "spm"
    spm.SentencePieceTrainer.train(
        input=str(data / "text" / "mixed_leetcode_zh.txt"), model_prefix=str(prefix), model_type="bpe", vocab_size=300,
        byte_fallback=True, hard_vocab_limit=False, minloglevel=2,
    )
    results = run(data, tmp_path / "out", tools=["sentencepiece"], runs=1, end_to_end=False,
                  spm_model=str(prefix) + ".model")
    assert results["models"]["sentencepiece"]["what"].startswith("reused")
    assert results["agreement"]["sentencepiece: all modes give the same ids"]
    assert results["end_to_end"] == {}


def test_bench_encode_quick_main(tmp_path: Path) -> None:
    pytest.importorskip("zhtok")
    data = _tiny_data(tmp_path)
    out = tmp_path / "out"
    assert main(["--data-dir", str(data), "--out", str(out), "--quick", "--tools", "zhtok-segment", "--runs", "5",
                 "--no-end-to-end"]) == 0
    results = json.loads((out / "encode.json").read_text(encoding="utf-8"))
    assert results["environment"]["quick"] and results["environment"]["runs"] == 3


def test_bench_encode_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown tools"):
        run(tmp_path, tmp_path / "out", tools=["bpeasy"])
    with pytest.raises(ValueError, match="input files not found"):
        run(tmp_path, tmp_path / "out")
