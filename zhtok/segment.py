"""Word segmentation: the :class:`Segmenter` and the module-level :func:`cut`."""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

from . import _core
from ._paths import DEFAULT_SEG_MODEL, vocab_file

@functools.lru_cache(maxsize=8)
def _load_model(path: str, fast: bool = False, new_word_bias: float = 0.0) -> _core.SegModel:
    # Models are immutable, so Segmenters built on the same file share one copy.
    if new_word_bias:
        return _load_model(path, fast).with_new_word_bias(new_word_bias)
    if fast:
        return _load_model(path, False).by_frequency()  # the same key as Segmenter(): one load
    return _core.SegModel.load(path)


@dataclass(frozen=True)
class Ambiguity:
    """A span of text where more than one segmentation competes.

    ``alternatives`` holds (words, score) pairs for the span only, the chosen reading first;
    scores are comparable within one span (higher is better)."""

    start: int  # character offsets into the text
    end: int
    text: str
    alternatives: list[tuple[list[str], float]]


class Segmenter(_core.Segmenter):
    """Chinese word segmenter.

    >>> seg = Segmenter()
    >>> seg.cut("南京市长江大桥")
    ['南京市', '长江', '大桥']

    ``model`` is the path of a model trained by ``zhtok train-seg`` (default: the shipped one);
    ``user_dict`` a file of ``word [freq]`` lines. ``fast=True`` scores the model's dictionary
    words by their frequency in its training text alone, as jieba does: several times faster,
    fewer words right (PKU test F1 93.1 against 95.7 with the shipped model), and the choice of
    :meth:`zhtok.bpe.Tokenizer.with_fast_segmentation`. ``new_word_bias`` is added to the
    score of every word of 2+ characters the dictionary lacks, on top of the bias the model
    was trained with (the shipped model's: 10): raise it for text with many new words (names,
    terms of another domain), lower it for text close to the training text. All methods are safe to call from
    several threads; the user dictionary belongs to this object alone.

    Methods from the core: ``cut(text)``, ``cut_batch(texts, threads=0)`` (0 = all cores,
    results in input order), ``tokenize(text)`` -> (word, start, end) in character offsets,
    ``nbest(text, k)`` -> the k best (words, score) by the model's score alone (where
    dictionary words cross, ``cut`` also weighs the training text's word bigrams, so its
    reading can be another than nbest's first), ``add_word(word, freq=None)``,
    ``del_word(word)``, ``load_user_dict(path)``. ``text`` may be str or UTF-8 bytes; invalid
    UTF-8 raises :class:`zhtok.errors.InputError` naming the byte offset unless
    ``errors="replace"``.
    """

    def __init__(self, model: str | os.PathLike | None = None, user_dict: str | os.PathLike | None = None,
                 fast: bool = False, new_word_bias: float = 0.0):
        path = os.fspath(model) if model is not None else str(vocab_file(DEFAULT_SEG_MODEL))
        super().__init__(_load_model(os.path.abspath(path), fast, float(new_word_bias)))
        if user_dict is not None:
            self.load_user_dict(os.fspath(user_dict))

    def ambiguities(self, text: str, margin: float = 3.0, max_alternatives: int = 5) -> list[Ambiguity]:
        """Spans of ``text`` where another reading competes with the chosen one.

        Reported: readings whose dictionary words cross the chosen words (overlapping
        ambiguity, such as 南京/市长/江大桥 against 南京市/长江大桥), and readings whose
        score is within ``margin`` of the best (combinational ambiguity). Each span's first
        alternative is the reading ``cut`` chose, the others follow by the model's score; where
        the training text's word bigrams decided, the chosen reading can score lower than
        another (中/国有 in 企业中国有企业)."""
        if max_alternatives < 2:
            raise ValueError("max_alternatives must be at least 2")
        return [
            Ambiguity(start, end, text[start:end], alts)
            for start, end, alts in self._ambiguities(text, margin, max_alternatives)
        ]

    def load_user_dict(self, path: str | os.PathLike) -> None:  # noqa: D102 - documented above
        super().load_user_dict(os.fspath(path))


_default: Segmenter | None = None
_default_lock = threading.Lock()


def default_segmenter() -> Segmenter:
    """The process-wide Segmenter on the shipped model, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Segmenter()
        return _default


def cut(text: str | bytes) -> list[str]:
    """Words of ``text`` with the shipped model: ``"".join(cut(x)) == x`` for every str x."""
    return default_segmenter().cut(text)


def train_segmenter(
    inputs: Iterable[str | os.PathLike],
    output: str | os.PathLike,
    kind: str = "perceptron",
    epochs: int = 8,
    dev: Iterable[str | os.PathLike] = (),
    on_error: str = "skip",
    on_epoch: "Callable[[dict], None] | None" = None,
    folds: int = 20,
    min_feature_count: int = 2,
    bigram_weight: float = 10.0,
    new_word_bias: float = 10.0,
    unlabeled: Iterable[str | os.PathLike] = (),
    min_unlabeled_count: int = 5,
    exclude: Iterable[str | os.PathLike] = (),
    threads: int = 0,
) -> dict:
    """Trains a segmentation model from segmented text files (words separated by whitespace;
    CRLF and a BOM are fine) and writes it to ``output``.

    ``kind="perceptron"`` (default) trains the accurate discriminative model for ``epochs``
    passes, calling ``on_epoch`` with each epoch's figures (with dev precision, recall and F1
    when ``dev`` gold files are given). Its dictionary features for a sentence use only words
    seen in the other ``folds`` folds of the corpus, so it learns how far to trust a dictionary;
    features seen fewer than ``min_feature_count`` times are dropped. Where dictionary words
    cross (南京/市长 against 南京市/长江), the reading with the best model score plus
    ``bigram_weight`` times its log-probability under the training text's word bigrams wins
    (0: no bigrams, the score alone). ``new_word_bias`` is added to the score of every word of 2+
    characters that the dictionary lacks: the jackknife folds hold fewer new words than text of
    another time or domain, so without it the model is too slow to propose one (on the PKU test,
    10 raises out-of-vocabulary recall 79.0% -> 80.4% for 0.06 point of F1; lower it for text close
    to the training text). ``kind="unigram"`` counts words for the dictionary model.
    A malformed line (empty, whitespace only, invalid UTF-8) is skipped and reported, or with
    ``on_error="fail"`` raises FormatError naming file and line. Returns what was read:
    sentences, words and the bad lines skipped as (path, line, reason).

    ``unlabeled``: raw text of the user's domain (.txt, .jsonl, .gz, .zst, globs). The trained
    model segments it on ``threads`` threads and the new Chinese words it finds at least
    ``min_unlabeled_count`` times join its dictionary (see :mod:`zhtok.lexicon`); raw lines that
    share text with the ``exclude`` files (test sets) are left out. The figures are under
    "lexicon" in the result."""
    paths = [os.fspath(p) for p in inputs]
    unlabeled = [os.fspath(p) for p in unlabeled]
    if kind == "unigram":
        stats = _core.train_unigram(paths, os.fspath(output), on_error)
    elif kind == "perceptron":
        stats = _core.train_perceptron(
            paths, os.fspath(output), epochs, [os.fspath(p) for p in dev], on_error, on_epoch,
            folds, min_feature_count, bigram_weight, new_word_bias,
        )
    else:
        raise ValueError(f"unknown model kind {kind!r}; expected 'perceptron' or 'unigram'")
    if unlabeled:
        from .lexicon import add_words_from_raw_text

        stats["lexicon"] = add_words_from_raw_text(output, unlabeled, output, stats["words"],
                                                   min_unlabeled_count, exclude, threads)
    return stats
