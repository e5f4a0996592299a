"""Reading corpora for vocabulary training and encoding: .txt (a document a line), .jsonl
(documents under one or more keys), either plain, .gz or .zst; files or globs.

Nothing is dropped silently: a bad record (invalid UTF-8, invalid JSON, a missing or non-string
key) is recorded with its file and line, and skipped or fatal by the caller's choice."""
from __future__ import annotations

import glob
import gzip
import io
import json
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

from .errors import InputError


@dataclass(frozen=True)
class BadRecord:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"

    def error(self) -> InputError:
        """The error that stops a run at this record (``on_error="fail"``)."""
        err = InputError(str(self))
        err.path, err.line, err.record = self.path, self.line, self
        return err


@dataclass
class ReadStats:
    bytes: int = 0       # compressed bytes consumed, for progress
    records: int = 0     # documents yielded
    lines: int = 0       # lines read, counted when a file (or byte range) is done
    bad: list[BadRecord] = field(default_factory=list)


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[str]:
    """Files and globs to a list of files, in the order given (globs sorted)."""
    paths: list[str] = []
    for item in inputs:
        item = os.fspath(item)
        if os.path.exists(item):
            paths.append(item)
            continue
        matches = sorted(glob.glob(item, recursive=True))
        if not matches:
            raise InputError(f"{item}: no such file, and no file matches it as a glob")
        paths.extend(matches)
    return paths


def open_binary(path: str) -> BinaryIO:
    """Opens path for reading bytes, decompressing .gz and .zst."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if path.endswith(".zst"):
        try:
            import zstandard
        except ImportError as e:  # pragma: no cover - zstandard is a dependency
            raise InputError(f"{path}: reading .zst needs the zstandard package") from e
        raw = open(path, "rb")
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return open(path, "rb")


def is_compressed(path: str) -> bool:
    """Whether open_binary decompresses path (such a file cannot be read from a byte offset)."""
    return path.endswith((".gz", ".zst"))


def _lines_in_range(f: BinaryIO, path: str, start: int, end: int) -> Iterator[bytes]:
    """The lines of f in bytes [start, end); a line that runs past end is an error (end was
    planned at a line start: the file changed since)."""
    f.seek(start)
    pos = start
    for raw in f:
        if pos >= end:
            return
        pos += len(raw)
        if pos > end:
            raise InputError(f"{path}: byte {end} is not at a line start: the file changed while it was read")
        yield raw


def is_jsonl(path: str) -> bool:
    name = path[:-3] if path.endswith(".gz") else path[:-4] if path.endswith(".zst") else path
    return name.endswith(".jsonl") or name.endswith(".json")


class CorpusReader:
    """Yields (path, line, key, text) for every document of the inputs, in order.

    ``json_keys``: the keys read from each JSON line (a document per key); ``on_error``:
    "skip" records bad records in ``stats.bad`` and goes on, "fail" raises InputError."""

    def __init__(self, inputs: Iterable[str | os.PathLike], json_keys: Iterable[str] = ("text",),
                 on_error: str = "skip", byte_range: tuple[int, int] | None = None):
        """``byte_range=(start, end)``: read only the lines in bytes [start, end) of the one
        plain (uncompressed) input; start and end must be line starts (or the file's end).
        Lines are then numbered from 1 at start: callers add the lines before it."""
        if on_error not in ("skip", "fail"):
            raise ValueError(f"on_error must be 'skip' or 'fail', not {on_error!r}")
        self.paths = expand_inputs(inputs)
        self.json_keys = tuple(json_keys)
        self.on_error = on_error
        self.stats = ReadStats()
        if byte_range is not None and (len(self.paths) != 1 or is_compressed(self.paths[0])):
            raise ValueError("byte_range needs exactly one input, and one that is not compressed")
        self.byte_range = byte_range

    def _bad(self, path: str, line: int, reason: str) -> None:
        record = BadRecord(path, line, reason)
        if self.on_error == "fail":
            raise record.error()
        self.stats.bad.append(record)

    def __iter__(self) -> Iterator[tuple[str, int, str, str]]:
        start = self.byte_range[0] if self.byte_range else 0
        for path in self.paths:
            jsonl = is_jsonl(path)
            with open_binary(path) as f:
                lineno = 0
                lines = _lines_in_range(f, path, *self.byte_range) if self.byte_range else f
                for lineno, raw in enumerate(lines, 1):
                    self.stats.bytes += len(raw)
                    if lineno == 1 and start == 0 and raw.startswith(b"\xef\xbb\xbf"):
                        raw = raw[3:]
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as e:
                        self._bad(path, lineno, f"invalid UTF-8 at byte {e.start} of the line")
                        continue
                    if jsonl:
                        yield from self._json_docs(path, lineno, line)
                    else:
                        text = line.rstrip("\n")
                        if text.endswith("\r"):
                            text = text[:-1]
                        self.stats.records += 1
                        yield path, lineno, "text", text
                self.stats.lines += lineno

    def _json_docs(self, path: str, lineno: int, line: str) -> Iterator[tuple[str, int, str, str]]:
        if not line.strip():
            return
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            self._bad(path, lineno, f"invalid JSON: {e.msg} at column {e.colno}")
            return
        if not isinstance(obj, dict):
            self._bad(path, lineno, "JSON line is not an object")
            return
        for key in self.json_keys:
            value = obj.get(key)
            if not isinstance(value, str):
                self._bad(path, lineno, f"key {key!r} is missing or not a string")
                continue
            self.stats.records += 1
            yield path, lineno, key, value
