"""Tests for benchmarks.cws_score (SIGHAN 2005 scoring)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks._gnudiff import hunks
from benchmarks._util import DEFAULT_DATA_DIR
from benchmarks.cws_score import score

CWS = DEFAULT_DATA_DIR / "cws"


@pytest.mark.parametrize("corpus", ["pku", "msr"])
def test_reproduces_official_summary(corpus: str) -> None:
    reference = CWS / "score_reference" / f"{corpus}_official_summary.txt"
    if not reference.is_file():
        pytest.skip(f"no bakeoff data at {CWS}")
    result = score(
        CWS / corpus / "gold.txt",
        CWS / "score_reference" / f"{corpus}_pred_jieba.txt",
        train_words=CWS / corpus / "train_words.txt",
    )
    assert result.summary() == reference.read_text(encoding="utf-8")
    # The span figures agree with the official ones at the printed precision.
    for span, official in [
        (result.recall, result.official_recall),
        (result.precision, result.official_precision),
        (result.f1, result.official_f),
        (result.oov_recall, result.official_oov_recall),
        (result.iv_recall, result.official_iv_recall),
    ]:
        assert f"{span:.3f}" == f"{official:.3f}"


def test_perfect_match() -> None:
    result = score("南京市 长江大桥\n", "南京市 长江大桥\n")
    assert (result.insertions, result.deletions, result.substitutions) == (0, 0, 0)
    assert result.precision == result.recall == result.f1 == 1.0
    assert result.official_f == 1.0


def test_one_word_split() -> None:
    result = score("南京市 长江大桥\n", "南京市 长江 大桥\n")
    assert (result.true_words, result.test_words, result.correct_words) == (2, 3, 1)
    assert (result.insertions, result.deletions, result.substitutions, result.nchange) == (1, 0, 1, 2)
    assert result.recall == 0.5
    assert result.precision == pytest.approx(1 / 3)
    assert result.f1 == pytest.approx(0.4)
    assert result.official_recall == 0.5
    assert result.official_precision == pytest.approx(1 / 3)
    assert result.oov_words == 0  # no training word list: every word is in-vocabulary
    assert result.iv_recall == result.recall


def test_two_words_merged() -> None:
    result = score("我 爱 北京\n", "我爱 北京\n")
    assert (result.insertions, result.deletions, result.substitutions) == (0, 1, 1)
    assert result.recall == pytest.approx(1 / 3)
    assert result.precision == 0.5


def test_bom_crlf_and_ideographic_space() -> None:
    result = score("\ufeff南京市\u3000长江大桥\r\n我 爱\r\n", "南京市 长江大桥\n我\t爱")
    assert result.true_words == result.test_words == result.correct_words == 4
    assert result.nchange == 0


def test_different_character_counts_raise() -> None:
    with pytest.raises(ValueError, match=r"7 non-space characters but <predicted text> has 6.*line 1"):
        score("南京市 长江大桥\n", "南京 长江大桥\n")


def test_width_variant_is_aligned_by_position() -> None:
    # The AS gold has a half-width c where its test text has a full-width one.
    result = score("c 语言 程序\n", "ｃ 语言 程序\n")
    assert result.recall == 1.0
    assert result.substitutions == 1  # the official script compares text, so it counts a change


def test_line_wrapping() -> None:
    # Spans ignore line ends; the official figures pair physical lines, as the script does.
    result = score("我 爱\n北京 天安门\n", "我\n爱 北京 天安门\n")
    assert result.recall == result.precision == 1.0
    assert (result.insertions, result.deletions, result.substitutions) == (1, 1, 0)
    assert result.official_recall == 0.75
    # With a different number of lines, predicted words go to the gold line they start in.
    rewrapped = score("我 爱\n北京 天安门\n", "我 爱 北京 天安门\n")
    assert rewrapped.nchange == 0


def test_oov_and_iv_recall(tmp_path: Path) -> None:
    gold = tmp_path / "gold.txt"
    pred = tmp_path / "pred.txt"
    words = tmp_path / "train_words.txt"
    gold.write_text("我 爱 北京 天安门\n", encoding="utf-8")
    pred.write_text("我 爱北京 天安门\n", encoding="utf-8")
    words.write_text("我\n北京\n", encoding="utf-8")
    result = score(gold, pred, train_words=words)
    assert result.oov_words == 2  # 爱, 天安门
    assert result.oov_rate == 0.5
    assert result.oov_recall == 0.5  # 天安门 right, 爱 wrong
    assert result.iv_recall == 0.5  # 我 right, 北京 wrong
    assert result.official_oov_recall == 0.5
    assert result.official_iv_recall == 0.5
    assert score(str(gold), str(pred), train_words={"我", "北京"}) == result


def test_summary_format() -> None:
    lines = score("我 爱 北京\n", "我爱 北京\n", train_words=["北京"]).summary().splitlines()
    assert lines[0] == "=== TOTAL INSERTIONS:\t0"
    assert lines[3] == "=== TOTAL NCHANGE:\t2"
    assert lines[6] == "=== TOTAL TRUE WORDS RECALL:\t0.333"
    assert lines[-1] == "=== IV Recall Rate:\t1.000"
    assert len(lines) == 12


def test_diff_is_not_minimal_like_gnu_diff() -> None:
    # GNU diff sets aside a word frequent in the other file (here 的) when it sits
    # among unmatched words, so it matches one 的 where two could be matched.
    gold = "我 我 我 的 你 我 他 的".split()
    pred = "的 的 好 的 的 的 的 的 的".split()
    assert hunks(gold, pred) == ([(7, 8)], bytearray([1] * 7 + [0]))


def _gnu_diff_hunks(old: list[int], new: list[int], tmp_path: Path) -> list[tuple[int, int]]:
    (tmp_path / "old").write_text("".join(f"{x}\n" for x in old))
    (tmp_path / "new").write_text("".join(f"{x}\n" for x in new))
    output = subprocess.run(["diff", tmp_path / "old", tmp_path / "new"], capture_output=True, text=True).stdout
    found = []
    for a, b, kind, c, d in re.findall(r"^(\d+)(?:,(\d+))?([acd])(\d+)(?:,(\d+))?$", output, re.M):
        removed = 0 if kind == "a" else int(b or a) - int(a) + 1
        added = 0 if kind == "d" else int(d or c) - int(c) + 1
        found.append((removed, added))
    return found


def test_hunks_agree_with_gnu_diff(tmp_path: Path) -> None:
    diff = shutil.which("diff")
    if diff is None or "GNU" not in subprocess.run([diff, "--version"], capture_output=True, text=True).stdout:
        pytest.skip("GNU diff not available")
    rng = random.Random(2005)
    for _ in range(150):
        alphabet = rng.choice([2, 3, 6, 20])
        old = [rng.randrange(alphabet) for _ in range(rng.randint(0, 60))]
        new = list(old)
        for _ in range(rng.randint(0, 20)):
            position = rng.randint(0, len(new))
            if rng.random() < 0.5 and position < len(new):
                del new[position]
            else:
                new.insert(position, rng.randrange(alphabet + 2))
        assert hunks(old, new)[0] == _gnu_diff_hunks(old, new, tmp_path), (old, new)
