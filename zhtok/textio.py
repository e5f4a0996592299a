"""Reading text inputs line by line with their origin (file, line), in bounded memory.

Lines are read in pieces of at most about ``PIECE_BYTES``, so a line of 100 MB or a file with
no newline at all never has to be held whole: the segmentation CLI segments such a line piece
by piece. (The corpus reader for encoding and vocabulary training, zhtok/corpus.py, keeps whole
documents up to its stated limit instead.)

Bad bytes are reported with the file, line and byte offset, or replaced, by the caller's
choice; nothing is dropped silently."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator, NamedTuple

from .errors import InputError

STDIN = "-"
PIECE_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"

# Where a long line may be cut, best first. Whitespace is always a word boundary for the
# segmenter (a cut there changes nothing); after sentence or clause punctuation the model puts
# a boundary in practice.
_SPACES = (b" ", b"\t", "\u3000".encode())
_PUNCT = tuple(p.encode() for p in "。！？；，、.!?;,")


class Piece(NamedTuple):
    line: int      # 1-based line number in the file
    offset: int    # byte offset of data in the line
    data: bytes    # without the line end (LF or CRLF) and without a BOM at the file's start
    last: bool     # the line's final piece
    size: int      # bytes consumed from the file, line end included


def safe_cut(data: bytes) -> int:
    """Where to cut a piece of a long line: a UTF-8 character boundary in its second half, after
    whitespace if there is some, else after punctuation, else not inside a run of ASCII letters
    and digits (which the segmenter keeps whole), else any character boundary."""
    lo = len(data) // 2
    for marks in (_SPACES, _PUNCT):
        found = [(data.rfind(m, lo), m) for m in marks]
        best = max((at + len(m) for at, m in found if at >= 0), default=-1)
        if best > 0:
            return best
    fallback = -1
    for i in range(len(data) - 1, lo, -1):
        if 0x80 <= data[i] < 0xC0:  # inside a character
            continue
        if not data[i - 1:i + 1].isalnum():  # bytes.isalnum: ASCII letters and digits only
            return i
        if fallback < 0:
            fallback = i
    return fallback if fallback > 0 else len(data)


def line_pieces(f: BinaryIO, piece_bytes: int = PIECE_BYTES) -> Iterator[Piece]:
    """The lines of f as pieces: a line of up to piece_bytes is one piece; a longer one is cut
    by safe_cut into pieces of at most 2 * piece_bytes each. A BOM at the start of the file is
    dropped (offsets count from after it)."""
    line, offset, pending, consumed, at_start = 1, 0, b"", 0, True
    while True:
        raw = f.readline(piece_bytes)
        consumed += len(raw)
        data = pending + raw
        if at_start:
            at_start = False
            data = data[3:] if data.startswith(BOM) else data
        if raw.endswith(b"\n") or not raw:
            if not data and not raw and offset == 0:
                return
            if data.endswith(b"\n"):
                data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
            yield Piece(line, offset, data, True, consumed)
            if not raw:
                return
            line, offset, pending, consumed = line + 1, 0, b"", 0
        elif len(data) < piece_bytes:
            pending = data
        else:
            cut = safe_cut(data)
            if cut == len(data) and data.endswith(b"\r"):
                cut -= 1  # the LF of a CRLF may come next: keep the pair together
            yield Piece(line, offset, data[:cut], False, consumed - (len(data) - cut))
            offset, pending, consumed = offset + cut, data[cut:], len(data) - cut


@dataclass
class LineStats:
    lines: int = 0
    bytes: int = 0
    replaced_lines: list[tuple[str, int, int]] = field(default_factory=list)  # (path, line, byte)


def _open(path: str) -> BinaryIO:
    if path == STDIN:
        return sys.stdin.buffer
    return open(path, "rb")


def read_pieces(
    paths: Iterable[str], errors: str = "strict", stats: LineStats | None = None,
    piece_bytes: int = PIECE_BYTES,
) -> Iterator[tuple[str, bool]]:
    """Yields (text, last) for the pieces of every line of each file (``-`` = stdin); see
    line_pieces. With ``errors="strict"`` invalid UTF-8 raises InputError naming the file, line
    and byte offset in the line; with ``"replace"`` the bad bytes become U+FFFD and the line is
    recorded in ``stats.replaced_lines``."""
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")
    stats = stats if stats is not None else LineStats()
    for path in paths:
        name = "<stdin>" if path == STDIN else os.fspath(path)
        f = _open(path)
        try:
            for p in line_pieces(f, piece_bytes):
                stats.lines += p.last
                stats.bytes += p.size
                try:
                    text = p.data.decode("utf-8")
                except UnicodeDecodeError as e:
                    at = p.offset + e.start
                    if errors == "strict":
                        err = InputError(
                            f"{name}:{p.line}: invalid UTF-8 at byte {at} of the line "
                            "(use --errors replace to replace bad bytes)"
                        )
                        err.path, err.line, err.offset = name, p.line, at
                        raise err from None
                    if not stats.replaced_lines or stats.replaced_lines[-1][:2] != (name, p.line):
                        stats.replaced_lines.append((name, p.line, at))
                    text = p.data.decode("utf-8", "replace")
                yield text, p.last
        finally:
            if f is not sys.stdin.buffer:
                f.close()


def read_lines(paths: Iterable[str], errors: str = "strict", stats: LineStats | None = None) -> Iterator[str]:
    """Yields whole lines (see read_pieces), for inputs known to be small."""
    parts: list[str] = []
    for text, last in read_pieces(paths, errors, stats):
        parts.append(text)
        if last:
            yield "".join(parts)
            parts = []


def batched(pieces: Iterable[tuple[str, bool]], max_pieces: int = 4096,
            max_chars: int = 1 << 20) -> Iterator[list[tuple[str, bool]]]:
    """Groups (text, last) pieces into batches bounded in count and size, so memory stays
    constant."""
    batch: list[tuple[str, bool]] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece[0])
        if len(batch) >= max_pieces or size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
