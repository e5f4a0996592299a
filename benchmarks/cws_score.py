"""Word segmentation scoring compatible with the SIGHAN 2005 bakeoff ``score`` script.

Two views of the same comparison:

* Span figures (``recall``, ``precision``, ``f1``, ``oov_recall``, ``iv_recall``):
  a word is correct when a predicted word covers exactly the same characters.
  Both files are read as one stream of non-whitespace characters, so different
  line wrapping or a character of a different width (the AS gold has ``c``
  where its test text has ``ｃ``) do not matter.  These are what the benchmarks
  report.
* Official figures (``insertions``, ``deletions``, ``substitutions`` and the
  ``official_*`` rates): the bakeoff script pairs the files line by line, runs
  GNU ``diff`` on each pair's word lists (one word a line, gold first) and
  counts every hunk that removes ``d`` gold words and adds ``a`` predicted
  words as ``min(d, a)`` substitutions plus ``d - min`` deletions or
  ``a - min`` insertions.  Its recall is ``(true - deletions - substitutions) /
  true``, its precision ``(test - insertions - substitutions) / test``; OOV
  words are gold tokens missing from the training word list, and a gold word is
  missed when diff puts it in a hunk.  diff is not minimal (it may leave a
  matchable word unmatched) and pairs lines rather than character spans, so
  these rates can differ from the span ones in the fourth decimal.
  ``summary()`` prints them in the script's format.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks._gnudiff import hunks
from benchmarks._util import Source, read_source, split_lines


@dataclass(frozen=True)
class CwsScore:
    """Counts from one comparison; rates are derived properties."""

    true_words: int
    test_words: int
    correct_words: int  # gold words whose character span is also a predicted word
    oov_words: int  # gold tokens not in the training word list
    correct_oov_words: int
    insertions: int
    deletions: int
    substitutions: int
    oov_words_in_changes: int  # OOV gold tokens inside diff hunks (official OOV recall)

    @property
    def nchange(self) -> int:
        return self.insertions + self.deletions + self.substitutions

    @property
    def recall(self) -> float:
        return _ratio(self.correct_words, self.true_words)

    @property
    def precision(self) -> float:
        return _ratio(self.correct_words, self.test_words)

    @property
    def f1(self) -> float:
        return _f_measure(self.precision, self.recall)

    @property
    def oov_rate(self) -> float:
        return _ratio(self.oov_words, self.true_words)

    @property
    def oov_recall(self) -> float:
        return _ratio(self.correct_oov_words, self.oov_words)

    @property
    def iv_recall(self) -> float:
        return _ratio(self.correct_words - self.correct_oov_words, self.true_words - self.oov_words)

    @property
    def official_recall(self) -> float:
        return _ratio(self.true_words - self.deletions - self.substitutions, self.true_words)

    @property
    def official_precision(self) -> float:
        return _ratio(self.test_words - self.insertions - self.substitutions, self.test_words)

    @property
    def official_f(self) -> float:
        return _f_measure(self.official_precision, self.official_recall)

    @property
    def official_oov_recall(self) -> float:
        return _ratio(self.oov_words - self.oov_words_in_changes, self.oov_words)

    @property
    def official_iv_recall(self) -> float:
        iv_in_changes = self.deletions + self.substitutions - self.oov_words_in_changes
        iv_words = self.true_words - self.oov_words
        return _ratio(iv_words - iv_in_changes, iv_words)

    def to_dict(self) -> dict[str, int | float]:
        """Counts and every rate, for JSON."""
        rates = (
            "nchange recall precision f1 oov_rate oov_recall iv_recall official_recall "
            "official_precision official_f official_oov_recall official_iv_recall"
        ).split()
        return asdict(self) | {name: getattr(self, name) for name in rates}

    def summary(self) -> str:
        """The ``=== TOTAL ...`` lines the bakeoff script ends its report with."""
        rows = [
            ("TOTAL INSERTIONS", str(self.insertions)),
            ("TOTAL DELETIONS", str(self.deletions)),
            ("TOTAL SUBSTITUTIONS", str(self.substitutions)),
            ("TOTAL NCHANGE", str(self.nchange)),
            ("TOTAL TRUE WORD COUNT", str(self.true_words)),
            ("TOTAL TEST WORD COUNT", str(self.test_words)),
            ("TOTAL TRUE WORDS RECALL", f"{self.official_recall:.3f}"),
            ("TOTAL TEST WORDS PRECISION", f"{self.official_precision:.3f}"),
            ("F MEASURE", f"{self.official_f:.3f}"),
            ("OOV Rate", f"{self.oov_rate:.3f}"),
            ("OOV Recall Rate", f"{self.official_oov_recall:.3f}"),
            ("IV Recall Rate", f"{self.official_iv_recall:.3f}"),
        ]
        return "".join(f"=== {label}:\t{value}\n" for label, value in rows)


def score(
    gold: Source,
    pred: Source,
    train_words: Source | Iterable[str] | None = None,
) -> CwsScore:
    """Score a predicted segmentation against the gold one.

    ``gold`` and ``pred`` are paths or segmented text (words separated by any
    whitespace); a ``str`` without a line break that names no file is text, so
    pass a ``Path`` when a mistyped name should fail loudly.  ``train_words`` is
    the path of a word list (one word a line) or an iterable of words; without
    it every word counts as in-vocabulary.  Raises ValueError when the two
    texts do not hold the same number of non-space characters.
    """
    gold_text, gold_name = read_source(gold, "gold")
    pred_text, pred_name = read_source(pred, "predicted")
    gold_lines = [line.split() for line in split_lines(gold_text)]
    pred_lines = [line.split() for line in split_lines(pred_text)]
    _check_same_length(gold_lines, pred_lines, gold_name, pred_name)
    vocabulary = _load_vocabulary(train_words)

    gold_spans, gold_line_ends = _spans(gold_lines)
    pred_spans, _ = _spans(pred_lines)
    correct = gold_spans.keys() & pred_spans.keys()
    is_oov = {word: vocabulary is not None and word not in vocabulary for line in gold_lines for word in line}
    oov_words = sum(is_oov[word] for line in gold_lines for word in line)
    correct_oov = sum(is_oov[gold_spans[span]] for span in correct)

    if len(pred_lines) != len(gold_lines):
        # The script pairs physical lines; when the counts differ, pair each
        # gold line with the predicted words that start inside it instead.
        pred_lines = _rewrap(pred_lines, pred_spans, gold_line_ends)
    ids: dict[str, int] = {}
    insertions = deletions = substitutions = oov_in_changes = 0
    for gold_words, pred_words in zip(gold_lines, pred_lines, strict=True):
        gold_ids = [ids.setdefault(word, len(ids)) for word in gold_words]
        pred_ids = [ids.setdefault(word, len(ids)) for word in pred_words]
        line_hunks, changed = hunks(gold_ids, pred_ids)
        for removed, added in line_hunks:
            common = min(removed, added)
            substitutions += common
            deletions += removed - common
            insertions += added - common
        oov_in_changes += sum(is_oov[word] for word, flag in zip(gold_words, changed) if flag)

    return CwsScore(
        true_words=len(gold_spans),
        test_words=len(pred_spans),
        correct_words=len(correct),
        oov_words=oov_words,
        correct_oov_words=correct_oov,
        insertions=insertions,
        deletions=deletions,
        substitutions=substitutions,
        oov_words_in_changes=oov_in_changes,
    )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def _f_measure(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _load_vocabulary(train_words: Source | Iterable[str] | None) -> frozenset[str] | None:
    if train_words is None:
        return None
    if isinstance(train_words, (str, os.PathLike)):
        train_words = Path(train_words).read_text(encoding="utf-8-sig").splitlines()
    return frozenset(word for raw in train_words if (word := raw.strip()))


def _spans(lines: Sequence[Sequence[str]]) -> tuple[dict[tuple[int, int], str], list[int]]:
    """Map each word's (start, end) character offsets in the stream to the word; also each line's end offset."""
    spans: dict[tuple[int, int], str] = {}
    line_ends = []
    pos = 0
    for words in lines:
        for word in words:
            spans[pos, pos + len(word)] = word
            pos += len(word)
        line_ends.append(pos)
    return spans, line_ends


def _rewrap(
    pred_lines: Sequence[Sequence[str]], pred_spans: dict[tuple[int, int], str], gold_line_ends: list[int]
) -> list[list[str]]:
    lines: list[list[str]] = [[] for _ in gold_line_ends]
    for (start, _), word in pred_spans.items():
        lines[bisect_right(gold_line_ends, start)].append(word)
    return lines


def _check_same_length(
    gold_lines: Sequence[Sequence[str]], pred_lines: Sequence[Sequence[str]], gold_name: str, pred_name: str
) -> None:
    gold_chars = sum(len(word) for line in gold_lines for word in line)
    pred_chars = sum(len(word) for line in pred_lines for word in line)
    if gold_chars == pred_chars:
        return
    gold_at = _char_positions(gold_lines)
    pred_at = _char_positions(pred_lines)
    # Width variants (c / ｃ) are tolerated elsewhere, so fold them to find the real divergence.
    for offset, ((g, g_line), (p, p_line)) in enumerate(zip(gold_at, pred_at)):
        if unicodedata.normalize("NFKC", g) != unicodedata.normalize("NFKC", p):
            where = (
                f"; they first differ at character {offset}: {g!r} on line {g_line} of {gold_name}, "
                f"{p!r} on line {p_line} of {pred_name}"
            )
            break
    else:
        where = "; one is a prefix of the other"
    raise ValueError(
        f"{gold_name} has {gold_chars} non-space characters but {pred_name} has {pred_chars}{where}"
    )


def _char_positions(lines: Sequence[Sequence[str]]) -> Iterable[tuple[str, int]]:
    """Each non-space character with its 1-based line number."""
    for number, words in enumerate(lines, 1):
        for word in words:
            for char in word:
                yield char, number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cws_score",
        description="Score a word segmentation like the SIGHAN 2005 bakeoff script.",
    )
    parser.add_argument("gold", type=Path, help="gold segmentation")
    parser.add_argument("pred", type=Path, help="segmentation to score")
    parser.add_argument("--train-words", type=Path, help="training word list, one word a line")
    args = parser.parse_args(argv)
    result = score(args.gold, args.pred, train_words=args.train_words)
    sys.stdout.write(result.summary())
    print(f"=== WORD SPAN P/R/F:\t{result.precision:.4f}\t{result.recall:.4f}\t{result.f1:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
