"""Words learned from raw text: a trained model segments unlabeled text of the user's domain, and
the frequent Chinese words it finds that its dictionary lacks are added to the dictionary.

Why it helps: the model already cuts most of those words right in most contexts; once they are
dictionary words, its dictionary features carry that to the contexts where it would not (on the
PKU test, out-of-vocabulary recall 75.7% -> 77.5% with F1 unchanged, from 70 MB of raw text).

Raw text that overlaps a test set would leak it into the dictionary: ``exclude`` drops every raw
line that shares a run of ``EXCLUDE_NGRAM`` characters with the given files."""
from __future__ import annotations

import collections
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from . import _core
from .corpus import BadRecord, CorpusReader, text_batches

EXCLUDE_NGRAM = 10
# Han ideographs: CJK Unified (with Extension A and B onwards) and Compatibility Ideographs.
HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_WORD = re.compile(f"[{HAN_CHARS}]{{2,}}")


@dataclass
class LexiconStats:
    lines: int = 0          # raw lines segmented
    excluded_lines: int = 0  # dropped for sharing text with an excluded file
    words_counted: int = 0   # Chinese words of 2+ characters found
    words_added: int = 0
    bad: list[BadRecord] = field(default_factory=list)


def _ngrams(text: str, n: int = EXCLUDE_NGRAM) -> Iterator[str]:
    """The runs of n characters of text, whitespace removed."""
    text = "".join(text.split())
    return (text[i:i + n] for i in range(len(text) - n + 1))


def _excluded_ngrams(paths: Iterable[str | os.PathLike]) -> set[str]:
    return {g for path in paths for _, _, _, text in CorpusReader([path], on_error="fail") for g in _ngrams(text)}


def count_new_words(model: _core.SegModel, inputs: Iterable[str | os.PathLike],
                    exclude: Iterable[str | os.PathLike] = (), threads: int = 0,
                    stats: LexiconStats | None = None) -> collections.Counter:
    """Counts of the Chinese words (2+ characters) that model cuts from the raw text inputs
    (.txt, .jsonl, .gz, .zst, globs) and that its dictionary lacks."""
    stats = stats if stats is not None else LexiconStats()
    grams = _excluded_ngrams(exclude)
    seg = _core.Segmenter(model)
    known: dict[str, bool] = {}  # dictionary lookups, once per distinct word
    counts: collections.Counter = collections.Counter()
    reader = CorpusReader(inputs, on_error="skip")
    for batch in text_batches(reader, 4 << 20):
        texts = [t for t in batch if not (grams and any(g in grams for g in _ngrams(t)))]
        stats.excluded_lines += len(batch) - len(texts)
        stats.lines += len(texts)
        for words in seg.cut_batch(texts, threads):
            for w in words:
                if _HAN_WORD.fullmatch(w):
                    stats.words_counted += 1
                    in_dict = known.get(w)
                    if in_dict is None:
                        in_dict = known[w] = model.contains(w)
                    if not in_dict:
                        counts[w] += 1
    stats.bad = reader.stats.bad
    return counts


def add_words_from_raw_text(model_path: str | os.PathLike, inputs: Iterable[str | os.PathLike],
                            output: str | os.PathLike, training_words: int, min_count: int = 5,
                            exclude: Iterable[str | os.PathLike] = (), threads: int = 0) -> LexiconStats:
    """Segments the raw text inputs with the model at model_path and writes to output the model
    with every new Chinese word seen at least min_count times added to its dictionary, its count
    scaled from the raw text's size to the training corpus's (training_words words)."""
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, not {min_count}")
    model = _core.SegModel.load(os.fspath(model_path))
    stats = LexiconStats()
    counts = count_new_words(model, inputs, exclude, threads, stats)
    new = sorted((w, c) for w, c in counts.items() if c >= min_count)
    scale = training_words / max(1, stats.words_counted)
    info = (f"{model.info}, {len(new)} words from {stats.lines} lines of raw text "
            f"(seen {min_count}+ times)")
    model.with_words([w for w, _ in new], [max(1, round(c * scale)) for _, c in new], info).save(os.fspath(output))
    stats.words_added = len(new)
    return stats
