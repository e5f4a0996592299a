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
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Iterator

from .errors import InputError

# Documents longer than this (a line of .txt or .jsonl) are refused as bad records: encoding a
# document holds about 8 times its size in memory at once.
MAX_LINE_BYTES = 128 << 20
_BLOCK = 1 << 18
_BOM = b"\xef\xbb\xbf"


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n:,} bytes"


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


def is_jsonl(path: str) -> bool:
    name = path[:-3] if path.endswith(".gz") else path[:-4] if path.endswith(".zst") else path
    return name.endswith(".jsonl") or name.endswith(".json")


class CorpusReader:
    """Yields (path, line, key, text) for every document of the inputs, in order.

    ``json_keys``: the keys read from each JSON line (a document per key); ``on_error``:
    "skip" records bad records in ``stats.bad`` and goes on, "fail" raises InputError."""

    def __init__(self, inputs: Iterable[str | os.PathLike], json_keys: Iterable[str] = ("text",),
                 on_error: str = "skip", byte_range: tuple[int, int] | None = None,
                 max_line_bytes: int = MAX_LINE_BYTES):
        """``byte_range=(start, end)``: read only the lines in bytes [start, end) of the one
        plain (uncompressed) input; start and end must be line starts (or the file's end).
        Lines are then numbered from 1 at start: callers add the lines before it.

        ``max_line_bytes``: a longer line is a bad record ("line longer than the limit"); it is
        read in pieces and dropped, so a file with no newline costs this much memory at most."""
        if on_error not in ("skip", "fail"):
            raise ValueError(f"on_error must be 'skip' or 'fail', not {on_error!r}")
        if max_line_bytes < 1:
            raise ValueError(f"max_line_bytes must be positive, not {max_line_bytes}")
        self.max_line_bytes = max_line_bytes
        self.paths = expand_inputs(inputs)
        self.json_keys = tuple(json_keys)
        self.on_error = on_error
        self.stats = ReadStats()
        if byte_range is not None and (len(self.paths) != 1 or is_compressed(self.paths[0])):
            raise ValueError("byte_range needs exactly one input, and one that is not compressed")
        self.byte_range = byte_range

    @property
    def too_long_reason(self) -> str:
        return f"line longer than the limit of {_size(self.max_line_bytes)}"

    def add_bad(self, path: str, line: int, reason: str) -> None:
        """Records a bad record, or raises its error with ``on_error="fail"``."""
        record = BadRecord(path, line, reason)
        if self.on_error == "fail":
            raise record.error()
        self.stats.bad.append(record)

    def __iter__(self) -> Iterator[tuple[str, int, str, str]]:
        start, end = self.byte_range if self.byte_range else (0, None)
        for path in self.paths:
            jsonl = is_jsonl(path)
            with open_binary(path) as f:
                if start:
                    f.seek(start)
                lineno = 0
                for lineno, raw in self._lines(f, path, start, end):
                    if raw is None:
                        self.add_bad(path, lineno, self.too_long_reason)
                        continue
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as e:
                        self.add_bad(path, lineno, f"invalid UTF-8 at byte {e.start} of the line")
                        continue
                    if jsonl:
                        yield from self._json_docs(path, lineno, line)
                    else:
                        self.stats.records += 1
                        yield path, lineno, "text", line
                self.stats.lines += lineno

    def _lines(self, f: BinaryIO, path: str, start: int, end: int | None) -> Iterator[tuple[int, bytes | None]]:
        """(line number, the line without its LF or CRLF) up to byte end; None for a line over
        the limit."""
        limit, lineno = self.max_line_bytes, 0
        for lines, _ in self._blocks(f, path, start, end):
            for raw in lines:
                lineno += 1
                yield lineno, None if raw is None or len(raw) > limit else raw

    def _blocks(self, f: BinaryIO, path: str, start: int, end: int | None,
                split: bool = True, block_bytes: int = 0) -> Iterator[tuple[list, int]]:
        """The lines up to byte end, a list per block read, with the bytes they took: each
        without its LF, and the CR of a CRLF (a last line without LF keeps its CR); None for a
        line known to be over the limit, dropped as it came so that memory stays within the
        limit. Callers check the limit on the others. With split=False the lines stay as read
        (LF and CR kept), a block's lines after its first together in one memoryview of the
        block, for a reader that splits them itself (the core does: a million bytes objects,
        or even a replace and a copy of every block, cost more than its threads take to split
        them). Nothing is done per line in Python. Blocks are block_bytes (default _BLOCK)."""
        keep = self.max_line_bytes + 1  # bytes of a line worth keeping: the limit, plus a CR to drop
        left = None if end is None else end - start
        head: list[bytes] = []  # the start of the current line, from earlier blocks
        head_len, dropping, first = 0, False, start == 0
        while True:
            size = block_bytes or _BLOCK
            size = max(size, 3) if first else size  # the whole BOM in the first block
            block = f.read(size if left is None else min(size, left))
            self.stats.bytes += len(block)
            if left is not None:
                left -= len(block)
            at_end = not block
            if first:
                first = False
                block = block[3:] if block.startswith(_BOM) else block
            if at_end:
                if head or dropping:  # a last line without a newline
                    if end is not None and end < os.fstat(f.fileno()).st_size:
                        raise InputError(f"{path}: byte {end} is not at a line start: the file changed while it was read")
                    yield [None if dropping else b"".join(head)], head_len + 1
                return
            lf_first = block.startswith(b"\n")  # the CR of this line end, if any, is in head
            text = block.replace(b"\r\n", b"\n") if split else block
            lf1, lf2 = text.find(b"\n"), text.rfind(b"\n")
            # After the block's last newline: the start of the next line. Unsplit, views of the
            # block rather than copies: copies of every size from every block were most of what
            # the reading thread allocated, and the heap they churned grew over a long run.
            view = text if split else memoryview(text)
            tail = view[lf2 + 1:]
            if lf1 >= 0:
                if split:
                    lines = text[:lf2].split(b"\n")
                    first_len = len(lines[0])
                else:
                    first_len = lf1 - 1 if lf1 and text[lf1 - 1] == 13 else lf1  # as if split
                    if not (head or dropping) and first_len <= keep:  # starts at a line start
                        lines = [view[:lf2 + 1]]
                    else:  # the first line apart: it continues a line of earlier blocks
                        lines = [view[:lf1 + 1]] + ([view[lf1 + 1:lf2 + 1]] if lf2 > lf1 else [])
                if dropping or head_len + first_len > keep:
                    lines[0] = None
                elif head:
                    joined = b"".join([*head, lines[0]])
                    lines[0] = joined[:-1] if split and lf_first and joined.endswith(b"\r") else joined
                head, head_len, dropping = [], 0, False
                yield lines, len(block) - len(tail)
            if not dropping and tail:
                head_len += len(tail)
                if head_len > keep:
                    head, dropping = [], True
                else:
                    head.append(tail)

    def line_batches(self, batch_bytes: int) -> Iterator["LineBatch"]:
        """The raw lines of the inputs in batches of whole blocks read (blocks of at most
        batch_bytes; a batch is at least batch_bytes, or the rest of a file), for reading
        elsewhere by this reader's rules: zhtok encode splits, parses and encodes them in the
        core (``_core.encode_lines``) and reports what it finds with add_bad(), stats.records
        and stats.lines (it counts the line numbers too). The same inputs always give the
        same batches."""
        start, end = self.byte_range if self.byte_range else (0, None)
        for index, path in enumerate(self.paths):
            jsonl = is_jsonl(path)
            with open_binary(path) as f:
                if start:
                    f.seek(start)
                batch: list = []
                size = 0  # the bytes of the lines in batch, as read
                for lines, nbytes in self._blocks(f, path, start, end, False, min(_BLOCK, batch_bytes)):
                    batch += lines
                    size += nbytes
                    if size >= batch_bytes:  # whole blocks: nothing to search or copy
                        yield LineBatch(index, path, jsonl, batch)
                        batch, size = [], 0
                if batch:
                    yield LineBatch(index, path, jsonl, batch)

    def _json_docs(self, path: str, lineno: int, line: str) -> Iterator[tuple[str, int, str, str]]:
        if not line.strip():
            return
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            self.add_bad(path, lineno, f"invalid JSON: {e.msg} at column {e.colno}")
            return
        if not isinstance(obj, dict):
            self.add_bad(path, lineno, "JSON line is not an object")
            return
        for key in self.json_keys:
            value = obj.get(key)
            if not isinstance(value, str):
                self.add_bad(path, lineno, f"key {key!r} is missing or not a string")
                continue
            self.stats.records += 1
            yield path, lineno, key, value


@dataclass(frozen=True)
class LineBatch:
    """Lines of one file as CorpusReader.line_batches reads them: each item of lines is bytes
    (or a memoryview of bytes) holding one or more lines as read, each ending in LF (a CR
    before it is to be dropped) except perhaps a file's last line; or None for one line
    dropped as over the limit."""
    file_index: int
    path: str
    jsonl: bool
    lines: list


def text_batches(reader: CorpusReader, batch_bytes: int) -> Iterator[list[str]]:
    """The documents of reader in lists of about batch_bytes characters."""
    batch: list[str] = []
    size = 0
    for _, _, _, text in reader:
        batch.append(text)
        size += len(text)
        if size >= batch_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def prefetch(it: Iterator, depth: int = 4) -> Iterator:
    """Runs it on a background thread: reading and parsing overlap with the consumer's work
    (encoding or counting, which release the GIL). When the consumer stops early (an error,
    a break), the thread stops too, after the item it is on."""
    q: queue.Queue = queue.Queue(depth)
    done = object()
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in it:
                if not put(item):
                    return
            put(done)
        except BaseException as e:  # re-raised in the consumer
            put(e)

    threading.Thread(target=run, daemon=True).start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
