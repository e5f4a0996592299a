"""benchmarks.readme and ``zhtok bench --readme``: the README's results section is rebuilt from
the JSON figures between its bench markers, and nothing else changes (on copies of the README
in tmp_path; the real one is only read)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_bench_plots import synthetic_results, write_results

from benchmarks import readme
from benchmarks.readme import add_markers, begin, end, regenerate, render, replace_blocks
from zhtok.cli import main

ROOT = Path(__file__).resolve().parents[1]
SIMPLE = "# tool\n\nintro\n\n## Usage\n\nuse it\n\n## Results\n\nold table\n\n## License\n\nMIT\n"


def _outside(text: str) -> tuple[str, str]:
    return text[: text.index(begin())], text[text.index(end()):]


def _body(text: str, name: str) -> str:
    return text[text.index(begin(name)) + len(begin(name)): text.index(end(name))]


def test_markers_go_around_the_results_section_body() -> None:
    marked = add_markers(SIMPLE)
    assert marked == SIMPLE.replace("old table\n", f"{begin()}\nold table\n{end()}\n")
    assert add_markers(marked) == marked


def test_without_a_results_section_a_benchmarks_section_comes_before_the_last() -> None:
    text = "# tool\n\n## Usage\n\nuse it\n\n## License\n\nMIT\n"
    marked = add_markers(text)
    assert marked == text.replace("## License", f"## Benchmarks\n\n{begin()}\n{end()}\n\n## License")
    assert add_markers("# tool\n") == f"# tool\n\n## Benchmarks\n\n{begin()}\n{end()}\n"


def test_all_rebuilds_the_section_and_one_benchmark_replaces_its_block_alone() -> None:
    results = synthetic_results()
    blocks = {name: render(name, r) for name, r in results.items()}
    whole = replace_blocks(SIMPLE, blocks, whole=True)
    assert "old table" not in whole and readme._wrap(readme.INTRO) in whole
    assert _outside(whole) == _outside(add_markers(SIMPLE))
    order = [whole.index(begin(name)) for name in ("seg", "vocab", "encode")]
    assert order == sorted(order)
    again = replace_blocks(whole, {"vocab": "### new vocab"})
    assert _body(again, "vocab") == "\n### new vocab\n"
    without_vocab = lambda t: t[: t.index(begin("vocab"))] + t[t.index(end("vocab")):]  # noqa: E731
    assert without_vocab(again) == without_vocab(whole)
    assert replace_blocks(whole, blocks, whole=True) == whole  # idempotent


def test_a_missing_block_is_inserted_in_order_and_others_are_kept() -> None:
    text = replace_blocks(SIMPLE, {"encode": "E"})
    text = replace_blocks(text, {"seg": "S"})
    text = replace_blocks(text, {"vocab": "V"})
    assert text.index(begin("seg")) < text.index(begin("vocab")) < text.index(begin("encode"))
    assert "old table" in text  # single blocks leave hand-written text in the section alone
    # all, with one benchmark's JSON missing: its block is kept
    text = replace_blocks(text, {"seg": "S2", "encode": "E2"}, whole=True)
    assert [_body(text, n).strip() for n in ("seg", "vocab", "encode")] == ["S2", "V", "E2"]
    assert "old table" not in text


def test_malformed_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="expected one"):
        replace_blocks(SIMPLE + f"\n{begin()}\n{begin()}\n{end()}\n", {"seg": "S"})
    with pytest.raises(ValueError, match="comes before"):
        replace_blocks(f"{end()}\n{begin()}\n", {"seg": "S"})


def test_blocks_hold_tables_environment_and_command() -> None:
    results = synthetic_results()
    seg = render("seg", results["seg"])
    assert "| zhtok | **95.00** | **94.00** |" not in seg  # the trained model is better on both corpora
    assert "| zhtok (trained on each corpus) | **96.00** | **95.00** |" in seg
    assert "| jieba | 82.00 | 81.00 |" in seg and "| 1.20 | 1.00 | 6.00 |" in seg  # MB/s, × jieba, × pkuseg
    assert "Command: `zhtok bench all --out bench_out`" in seg
    assert "Test CPU (2 logical CPUs)" in seg and "2025-01-02" in seg and "load average 1.20–1.80" in seg
    vocab = render("vocab", results["vocab"])
    assert "| zhtok-segment | 15.0 | 0.05 | 0.54 |" in vocab and "| 0.47 |" in vocab
    encode = render("encode", results["encode"])
    assert "| zhtok-segment | 6.50 (×0.54) | 6.80 (×0.57) | 12.5 (×1.04) |" in encode
    assert "| zhtok encode zhtok-segment | 2.50 (×1.32 HF) | 4.50 (×1.55 HF) | 100 |" in encode
    assert "| zhtok-segment | 84.5 (84.5, 84.1, 85.0) | 86.0 (86.0, 85.5, 86.2) | 1.0178 | – |" in encode
    assert "written over and over to 1,027 MB" in encode.replace("\n", " ")
    # zhtok's peak RSS includes the process that ran cut_batch, which the memory summary holds.
    assert "| 70 | 0.64 | 0.08 |" in seg
    larger = results["seg"] | {"memory": {"zhtok": {"loaded_rss_mb": 45.0, "peak_rss_mb": 88.0}}}
    assert "| 88 | 0.80 | 0.11 |" in render("seg", larger)
    quick = render("seg", results["seg"] | {"environment": results["seg"]["environment"] | {"quick": True}})
    assert "--quick" in quick


def test_regenerate_from_saved_json_on_a_copy_of_the_real_readme(tmp_path: Path) -> None:
    copy = tmp_path / "README.md"
    shutil.copyfile(ROOT / "README.md", copy)
    out = write_results(tmp_path / "out")
    assert regenerate(out, ["seg", "vocab", "encode"], copy) == ["seg", "vocab", "encode"]
    first = copy.read_text(encoding="utf-8")
    real = add_markers((ROOT / "README.md").read_text(encoding="utf-8"))
    assert _outside(first) == _outside(real)
    assert regenerate(out, ["seg"], copy) == ["seg"] and copy.read_text(encoding="utf-8") == first
    with pytest.raises(ValueError, match="no benchmark results"):
        regenerate(tmp_path / "nothing", ["seg"], copy)


def test_cli_readme_from_json_replaces_only_that_block(tmp_path: Path) -> None:
    copy = tmp_path / "README.md"
    copy.write_text(SIMPLE, encoding="utf-8")
    out = write_results(tmp_path / "out", ("seg", "encode"))
    assert main(["bench", "all", "--from-json", str(out), "--readme-file", str(copy)]) == 0
    before = copy.read_text(encoding="utf-8")
    assert begin("seg") in before and begin("encode") in before and begin("vocab") not in before
    vocab = synthetic_results()["vocab"]
    vocab["training"]["hf"]["seconds"] = 999.0
    (out / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    assert main(["bench", "vocab", "--from-json", str(out), "--readme", "--readme-file", str(copy)]) == 0
    after = copy.read_text(encoding="utf-8")
    assert "| hf | 999.0 |" in _body(after, "vocab")
    cut = lambda t: t.replace(t[t.index(begin("vocab")): t.index(end("vocab")) + len(end("vocab"))] + "\n\n", "")  # noqa: E731
    assert cut(after) == before
    assert main(["bench", "seg", "--from-json", str(tmp_path / "missing"), "--readme-file", str(copy)]) == 2
