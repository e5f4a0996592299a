"""Tests for benchmarks.ambiguity (marked segmentation ambiguity cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks._util import DEFAULT_DATA_DIR
from benchmarks.ambiguity import Case, check, evaluate, load_cases, parse_case


def test_readme_example() -> None:
    case = parse_case("南京市|长+江大桥")
    assert case == Case("南京市长江大桥", frozenset({3}), frozenset({4}))
    assert check(["南京市", "长江大桥"], case)
    assert check(["南京市", "长江", "大桥"], case)  # unmarked positions are free
    assert not check(["南京", "市长", "江大桥"], case)


def test_several_markers() -> None:
    case = parse_case("他从马|上|下+来\r\n")
    assert case.text == "他从马上下来"
    assert case.required == {3, 4}
    assert case.forbidden == {5}
    assert check(["他", "从", "马", "上", "下来"], case)
    assert not check(["他", "从", "马上", "下来"], case)  # 马上 hides the boundary at 3
    assert not check(["他", "从", "马", "上", "下", "来"], case)  # 下/来 splits a + position


def test_words_must_rebuild_the_sentence() -> None:
    case = parse_case("研究|生+命的起源")
    assert not check(["研究", "生命", "起源"], case)
    assert not check([], case)


def test_unmarked_sentence_accepts_any_segmentation() -> None:
    case = parse_case("这个人很好")
    assert case.required == case.forbidden == set()
    assert check(list("这个人很好"), case)


@pytest.mark.parametrize(
    "line, problem",
    [
        ("|南京市", "start"),
        ("+南京市", "start"),
        ("南京市|", "end"),
        ("南京市+", "end"),
        ("南京|+市", "two markers in a row"),
        ("南京||市", "two markers in a row"),
        ("|", "start"),
    ],
)
def test_bad_lines(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"line 7: .*{problem}"):
        parse_case(line, 7)


def test_bad_line_in_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"
    path.write_text("南京市|长+江大桥\n\n研究|生+|命\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cases\.txt: line 3: two markers in a row"):
        load_cases(path)


def test_evaluate(tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"
    path.write_text("\ufeff南京市|长+江大桥\r\n\r\n研究|生\r\n", encoding="utf-8")
    passed, total, failures = evaluate(list, path)  # one word per character
    assert (passed, total) == (1, 2)
    assert [(f.line_number, f.line, f.words) for f in failures] == [(1, "南京市|长+江大桥", list("南京市长江大桥"))]


def test_public_cases_parse() -> None:
    path = DEFAULT_DATA_DIR / "ambiguity" / "public.txt"
    if not path.is_file():
        pytest.skip(f"no ambiguity cases at {path}")
    cases = load_cases(path)
    assert cases
    assert all(case.required or case.forbidden for _, _, case in cases)
