"""Byte-level BPE: the :class:`Tokenizer`, its trainer, and exports to HF tokenizers and tiktoken.

Ids: 0..255 are the bytes, then one id per merge, then the special tokens. Any str round-trips:
``tok.decode(tok.encode(x)) == x``."""
from __future__ import annotations

import base64
import functools
import json
import os
import sys
import time
from typing import Callable, Iterable, Sequence

from . import _core
from ._paths import DEFAULT_TOKENIZER, DEFAULT_SEG_MODEL, vocab_file
from .corpus import CorpusReader, ReadStats, prefetch, text_batches

EOD = "<|endoftext|>"


class Tokenizer:
    """A trained tokenizer (``zhtok train-vocab``), immutable and safe to share across threads.

    >>> tok = Tokenizer.default()
    >>> tok.decode(tok.encode("南京市长江大桥"))
    '南京市长江大桥'
    """

    def __init__(self, core: _core.Tokenizer):
        self._core = core
        self._ids: dict[bytes, int] | None = None
        # Every id's int, made once: the core puts these objects in the lists it returns
        # rather than a new int per token (encode_batch 8-10% faster; line by line too).
        self._ints = list(range(core.vocab_size))

    @classmethod
    def from_file(cls, path: str | os.PathLike, fast_segmentation: bool = False) -> "Tokenizer":
        """The tokenizer saved at path; ``fast_segmentation``: see :meth:`with_fast_segmentation`."""
        tok = cls(_core.Tokenizer.load(os.fspath(path)))
        return tok.with_fast_segmentation() if fast_segmentation else tok

    @classmethod
    def default(cls, fast_segmentation: bool = False) -> "Tokenizer":
        """The shipped tokenizer, trained on the project's mixed Chinese/English corpus
        (loaded once per process: tokenizers are immutable)."""
        return _default_tokenizer(fast_segmentation)

    def with_fast_segmentation(self) -> "Tokenizer":
        """This tokenizer (the same vocabulary and merges) with its segmenter scoring words by
        their frequency in the segmenter's training text alone, as jieba does, instead of by the
        trained model: encoding with the segment pre-tokenizer is about twice as fast, and the
        ids differ where the two segmenters disagree (on the benchmark's Chinese/English text,
        about 1 Chinese word in 40; ``zhtok bench encode`` reports it). For corpora where throughput
        matters more than encoding exactly as training pre-tokenized. Raises ValueError for
        the regex pre-tokenizer, which does not segment."""
        if self.fast_segmentation:
            return self
        return Tokenizer(self._core.with_fast_segmentation())

    @property
    def fast_segmentation(self) -> bool:
        """Whether this tokenizer segments by word frequency (:meth:`with_fast_segmentation`)."""
        return self._core.fast_segmentation

    def save(self, path: str | os.PathLike) -> None:
        self._core.save(os.fspath(path))

    # -- encoding -----------------------------------------------------------------------
    def encode(self, text: str, allow_special: bool = False) -> list[int]:
        """Ids of text. Special-token strings in text are plain text unless allow_special."""
        return self._core.encode(text, allow_special, self._ints)

    def encode_batch(self, texts: Iterable[str], threads: int = 0, allow_special: bool = False) -> list[list[int]]:
        """Ids of each text, in order, on ``threads`` threads (0 = all cores)."""
        return self._core.encode_batch(texts, threads, allow_special, self._ints)

    def encode_to_numpy(self, texts: Iterable[str], threads: int = 0, allow_special: bool = False):
        """(ids, lengths): all ids as one uint32 array and each text's count, with no Python
        object per token."""
        return self._core.encode_batch_to_numpy(texts, threads, allow_special)

    def encode_with_offsets(self, text: str, allow_special: bool = False) -> list[tuple[int, int, int]]:
        """(id, start, end) with character offsets into text; a token that covers part of a
        character (byte-level BPE) covers that whole character."""
        return self._core.encode_with_offsets(text, allow_special)

    def decode(self, ids: Sequence[int]) -> str:
        return self._core.decode(list(ids))

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        return self._core.decode_bytes(list(ids))

    # -- vocabulary ---------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._core.vocab_size

    @property
    def special_tokens(self) -> dict[str, int]:
        first = self._core.vocab_size - len(self._core.special_tokens)
        return {s: first + i for i, s in enumerate(self._core.special_tokens)}

    @property
    def eod_id(self) -> int:
        """Id of the end-of-document token, ``<|endoftext|>``."""
        try:
            return self.special_tokens[EOD]
        except KeyError:
            raise ValueError(f"this tokenizer has no {EOD} special token; retrain with --special-tokens {EOD}") from None

    @property
    def pretokenizer(self) -> str:
        return self._core.pretokenizer

    def id_to_token(self, id: int) -> bytes:
        return self._core.id_to_token(id)

    def token_to_id(self, token: str | bytes) -> int | None:
        if self._ids is None:
            self._ids = {self._core.id_to_token(i): i for i in range(self.vocab_size)}
        key = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
        return self._ids.get(key)

    # -- exports ------------------------------------------------------------------------
    def to_tiktoken_ranks(self) -> dict[bytes, int]:
        """mergeable_ranks for ``tiktoken.Encoding`` (special tokens not included)."""
        n = self.vocab_size - len(self._core.special_tokens)
        return {self._core.id_to_token(i): i for i in range(n)}

    def export_tiktoken(self, path: str | os.PathLike) -> None:
        """A .tiktoken rank file: base64 of each token's bytes and its id, a line each."""
        with open(path, "w", encoding="ascii") as f:
            for token, rank in self.to_tiktoken_ranks().items():
                f.write(f"{base64.b64encode(token).decode()} {rank}\n")

    def tiktoken_encoding(self, name: str = "zhtok"):
        """A ``tiktoken.Encoding`` with this tokenizer's ranks, regex and special tokens."""
        import tiktoken

        return tiktoken.Encoding(name, pat_str=_core.REGEX_PATTERN,
                                 mergeable_ranks=self.to_tiktoken_ranks(),
                                 special_tokens=self.special_tokens)

    def to_hf_json(self) -> dict:
        """The ``tokenizer.json`` of an equivalent HF tokenizers ByteLevel BPE. With the
        ``segment`` pre-tokenizer, which it cannot express, it splits by the regex alone."""
        byte_char = _bytes_to_unicode()

        def name(i: int) -> str:
            return "".join(byte_char[b] for b in self._core.id_to_token(i))

        n = self.vocab_size - len(self._core.special_tokens)
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for s, i in self.special_tokens.items()
            ],
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": _core.REGEX_PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": {name(i): i for i in range(n)},
                "merges": [f"{name(a)} {name(b)}" for a, b in self._core.merges],
            },
        }

    def export_hf(self, directory: str | os.PathLike) -> str:
        """Writes ``tokenizer.json`` (and a ``tokenizer_config.json`` for transformers) into
        directory; returns the tokenizer.json path."""
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "tokenizer.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)
        config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 1 << 30}
        if EOD in self.special_tokens:
            config.update(bos_token=EOD, eos_token=EOD, unk_token=EOD)
        with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=1)
        return path


@functools.lru_cache(maxsize=2)
def _default_tokenizer(fast_segmentation: bool) -> Tokenizer:
    if fast_segmentation:
        return _default_tokenizer(False).with_fast_segmentation()
    return Tokenizer.from_file(vocab_file(DEFAULT_TOKENIZER))


def _bytes_to_unicode() -> list[str]:
    """GPT-2's printable stand-in character for each byte, as HF ByteLevel uses."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def progress_printer(enabled: bool) -> Callable[..., None]:
    last = [0.0]

    def show(msg: str, final: bool = False) -> None:
        now = time.monotonic()
        if enabled and (final or now - last[0] > 0.5):
            last[0] = now
            print(f"\r{msg}", end="\n" if final else "", file=sys.stderr, flush=True)

    return show


def train_tokenizer(
    inputs: Iterable[str | os.PathLike],
    vocab_size: int,
    output: str | os.PathLike | None = None,
    pretokenizer: str = "segment",
    special_tokens: Sequence[str] = (EOD,),
    min_frequency: int = 2,
    threads: int = 0,
    json_keys: Iterable[str] = ("text",),
    seg_model: str | os.PathLike | None = None,
    on_error: str = "skip",
    progress: bool = False,
    batch_bytes: int = 2 << 20,  # measured: 8 MB batches were no faster and peaked 100 MB higher
) -> tuple[Tokenizer, ReadStats]:
    """Trains a byte-level BPE tokenizer of ``vocab_size`` ids (bytes + merges + specials).

    ``pretokenizer``: "segment" (zhtok word segmentation for Chinese, so no merge crosses a
    word boundary; the segmentation model is stored in the tokenizer) or "regex" (the cl100k
    pattern alone, exactly exportable to HF tokenizers and tiktoken). Inputs: .txt (a document
    a line) and .jsonl (``json_keys``), plain, .gz or .zst, files or globs. Bad records are
    reported in the returned stats (or raise, with ``on_error="fail"``). The same input and
    options give the same tokenizer, whatever ``threads``."""
    check_special_tokens(special_tokens)
    counter, seg = new_counter(pretokenizer, seg_model)
    reader = CorpusReader(inputs, json_keys, on_error)
    show = progress_printer(progress)
    t0 = time.monotonic()
    count_pretokens(counter, reader, threads, batch_bytes, show, t0)
    tok = train_from_counts(counter, seg, vocab_size, output, pretokenizer, special_tokens, min_frequency,
                            threads, reader.stats, show, t0)
    return tok, reader.stats


def check_special_tokens(special_tokens: Sequence[str]) -> None:
    if len(set(special_tokens)) != len(special_tokens):
        raise ValueError("special tokens must be distinct")
    for s in special_tokens:
        if not s or not isinstance(s, str) or any(0xD800 <= ord(c) <= 0xDFFF for c in s):
            raise ValueError(f"special token {s!r} must be a non-empty str without lone surrogates")


def new_counter(pretokenizer: str, seg_model: str | os.PathLike | None = None):
    """An empty pre-token counter and the segmentation model it cuts with (None for regex)."""
    seg = None
    if pretokenizer == "segment":
        seg = _core.SegModel.load(os.fspath(seg_model) if seg_model else str(vocab_file(DEFAULT_SEG_MODEL)))
    return _core.PretokenCounter(pretokenizer, seg), seg


def count_pretokens(counter, reader: CorpusReader, threads: int, batch_bytes: int,
                    show: Callable[..., None] | None = None, t0: float = 0.0) -> None:
    """Adds the regex pieces of every document of reader to counter, a batch of about
    batch_bytes at a time on threads threads (finish() is left to the caller). The next batch
    is read on another thread while one is counted."""
    for batch in prefetch(text_batches(reader, batch_bytes), depth=2):
        counter.add(batch, threads)
        if show is not None:
            mb = reader.stats.bytes / 1e6
            show(f"counting: {mb:,.0f} MB read, {mb / (time.monotonic() - t0 + 1e-9):,.1f} MB/s, "
                 f"{counter.distinct:,} distinct pre-tokens")


def train_from_counts(counter, seg, vocab_size: int, output: str | os.PathLike | None, pretokenizer: str,
                      special_tokens: Sequence[str], min_frequency: int, threads: int, stats: ReadStats,
                      show: Callable[..., None], t0: float) -> Tokenizer:
    """Segments the counter's Chinese pieces, learns the merges and saves the tokenizer to
    output (when not None); stats is what was read, for the progress lines."""
    show(f"counting: segmenting {counter.distinct:,} distinct pieces", final=False)
    counter.finish(threads)
    mb = stats.bytes / 1e6
    show(f"counting: {mb:,.0f} MB, {counter.total:,} pre-tokens, {counter.distinct:,} distinct "
         f"({len(stats.bad)} bad records) in {time.monotonic() - t0:.1f}s", final=True)
    merges = vocab_size - 256 - len(special_tokens)
    t1 = time.monotonic()
    core = counter.train(vocab_size, list(special_tokens), min_frequency, pretokenizer, seg,
                         lambda done: show(f"merging: {done:,}/{merges:,}"))
    show(f"merging: {core.num_merges:,} merges in {time.monotonic() - t1:.1f}s", final=True)
    tok = Tokenizer(core)
    if output is not None:
        tok.save(output)
    return tok
