"""Segmentation ambiguity cases: sentences with required and forbidden word boundaries.

A case line marks positions between characters: ``|`` means a word boundary is
required there, ``+`` means none is allowed; unmarked positions are free, so a
case tests one ambiguity without tying the answer to one segmentation
standard.  Example: ``南京市|长+江大桥`` accepts 南京市/长江大桥 and rejects
南京/市长/江大桥.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

REQUIRED = "|"
FORBIDDEN = "+"


@dataclass(frozen=True)
class Case:
    """A sentence and boundary constraints, as offsets into ``text`` (k = between text[k-1] and text[k])."""

    text: str
    required: frozenset[int]
    forbidden: frozenset[int]


@dataclass(frozen=True)
class Failure:
    """A case a segmenter got wrong, with where it came from and what the segmenter said."""

    line_number: int
    line: str
    words: list[str]


def parse_case(line: str, line_number: int | None = None) -> Case:
    """Parse one marked sentence; ``line_number`` only serves error messages."""
    where = f"line {line_number}: " if line_number is not None else ""
    line = line.strip()
    chars: list[str] = []
    required: set[int] = set()
    forbidden: set[int] = set()
    previous_marker = False
    for char in line:
        if char in (REQUIRED, FORBIDDEN):
            if not chars:
                raise ValueError(f"{where}marker {char!r} at the start of {line!r}")
            if previous_marker:
                raise ValueError(f"{where}two markers in a row after character {len(chars)} of {line!r}")
            (required if char == REQUIRED else forbidden).add(len(chars))
            previous_marker = True
        else:
            chars.append(char)
            previous_marker = False
    if not chars:
        raise ValueError(f"{where}no text in {line!r}")
    if previous_marker:
        raise ValueError(f"{where}marker {line[-1]!r} at the end of {line!r}")
    return Case("".join(chars), frozenset(required), frozenset(forbidden))


def check(words: Iterable[str], case: Case) -> bool:
    """True when the words rebuild the sentence and every marker holds."""
    words = list(words)
    if "".join(words) != case.text:
        return False
    boundaries = set(accumulate(len(word) for word in words))
    return case.required <= boundaries and not case.forbidden & boundaries


def load_cases(path: str | Path) -> list[tuple[int, str, Case]]:
    """(line number, line, case) for every non-blank line; errors name the file and line."""
    cases = []
    text = Path(path).read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append((number, line.strip(), parse_case(line)))
        except ValueError as error:
            raise ValueError(f"{path}: line {number}: {error}") from None
    return cases


def evaluate(cut_fn: Callable[[str], Iterable[str]], path: str | Path) -> tuple[int, int, list[Failure]]:
    """Run ``cut_fn`` on every case of ``path``; return (passed, total, failures)."""
    cases = load_cases(path)
    failures = []
    for number, line, case in cases:
        words = list(cut_fn(case.text))
        if not check(words, case):
            failures.append(Failure(number, line, words))
    return len(cases) - len(failures), len(cases), failures
