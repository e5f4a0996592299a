"""Reading text inputs line by line with their origin (file, line), in constant memory.

Bad bytes are reported with the file, line and byte offset, or replaced, by the caller's
choice; nothing is dropped silently."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

from .errors import InputError

STDIN = "-"


@dataclass
class LineStats:
    lines: int = 0
    bytes: int = 0
    replaced_lines: list[tuple[str, int, int]] = field(default_factory=list)  # (path, line, byte)


def _open(path: str) -> BinaryIO:
    if path == STDIN:
        return sys.stdin.buffer
    return open(path, "rb")


def read_lines(
    paths: Iterable[str], errors: str = "strict", stats: LineStats | None = None
) -> Iterator[str]:
    """Yields the lines of each file (``-`` = stdin) without their line ends (LF or CRLF) and
    without a leading BOM. With ``errors="strict"`` invalid UTF-8 raises InputError naming the
    file, line and byte offset; with ``"replace"`` the bad bytes become U+FFFD and the line is
    recorded in ``stats.replaced_lines``."""
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")
    stats = stats if stats is not None else LineStats()
    for path in paths:
        name = "<stdin>" if path == STDIN else os.fspath(path)
        f = _open(path)
        try:
            for lineno, raw in enumerate(f, 1):
                stats.lines += 1
                stats.bytes += len(raw)
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                raw = raw.rstrip(b"\n")
                if raw.endswith(b"\r"):
                    raw = raw[:-1]
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    if errors == "strict":
                        err = InputError(
                            f"{name}:{lineno}: invalid UTF-8 at byte {e.start} of the line "
                            "(use --errors replace to replace bad bytes)"
                        )
                        err.path, err.line, err.offset = name, lineno, e.start
                        raise err from None
                    stats.replaced_lines.append((name, lineno, e.start))
                    yield raw.decode("utf-8", "replace")
        finally:
            if f is not sys.stdin.buffer:
                f.close()


def batched(lines: Iterable[str], max_lines: int = 4096, max_chars: int = 4 << 20) -> Iterator[list[str]]:
    """Groups lines into batches bounded in count and size, so memory stays constant."""
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if len(batch) >= max_lines or size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
