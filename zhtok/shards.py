"""Cutting a corpus into shards for work spread over processes or machines (the Ray engine),
and turning the shards' line numbers back into the file's.

A shard is a whole file or, for a large plain file, the byte range [start, end) of whole lines,
so that every document lies in exactly one shard and the shards in order are the input in
order. A compressed file (.gz, .zst) cannot be read from an offset: it is one shard. Inside a
shard lines are numbered from 1; :func:`lines_before` gives, once every shard is read, the
lines of the file that come before each shard."""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Iterable

from .corpus import BadRecord, CorpusReader, is_compressed
from .errors import InputError

MIN_SHARD_BYTES = 1 << 20
MAX_SHARD_BYTES = 1 << 30
SHARDS_PER_CPU = 4


@dataclass(frozen=True)
class Shard:
    index: int      # position in input order
    path: str
    start: int      # byte offset of the first line
    end: int        # byte offset after the last line (the file's size for the whole file)
    file_size: int  # the file's size when the shards were planned

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        whole = self.start == 0 and self.end == self.file_size
        return self.path if whole else f"{self.path} bytes {self.start}-{self.end}"

    def reader(self, json_keys: Iterable[str], on_error: str) -> CorpusReader:
        """A reader of the shard's documents (line numbers from 1 at the shard's start). A file
        whose size changed since planning is an error: the cuts may no longer be line starts."""
        size = os.path.getsize(self.path)
        if size != self.file_size:
            raise InputError(f"{self.path}: {size} bytes, but {self.file_size} when the run started: "
                             "the file changed during the run")
        whole = self.start == 0 and self.end == self.file_size
        return CorpusReader([self.path], json_keys, on_error, None if whole else (self.start, self.end))

    def to_dict(self) -> dict:
        return asdict(self)


def default_shard_bytes(total_bytes: int, cpus: int) -> int:
    """About SHARDS_PER_CPU shards per CPU of the cluster (coarse: few tasks to schedule, and
    enough to balance the load), within [1 MiB, 1 GiB]."""
    target = math.ceil(total_bytes / max(1, cpus * SHARDS_PER_CPU))
    return max(MIN_SHARD_BYTES, min(MAX_SHARD_BYTES, target))


def plan_shards(paths: list[str], shard_bytes: int) -> list[Shard]:
    """The shards of the files, in input order: plain files larger than shard_bytes cut at the
    first line start at or after every shard_bytes."""
    if shard_bytes < 1:
        raise ValueError(f"shard size must be at least 1 byte, not {shard_bytes}")
    shards: list[Shard] = []
    for path in paths:
        size = os.path.getsize(path)
        cuts = [0] if is_compressed(path) or size <= shard_bytes else _line_cuts(path, size, shard_bytes)
        for start, end in zip(cuts, cuts[1:] + [size]):
            shards.append(Shard(len(shards), path, start, end, size))
    return shards


def _line_cuts(path: str, size: int, shard_bytes: int) -> list[int]:
    cuts = [0]
    with open(path, "rb") as f:
        target = shard_bytes
        while target < size:
            f.seek(target - 1)
            f.readline()  # to the end of the line that holds byte target - 1
            pos = f.tell()
            if pos >= size:
                break
            cuts.append(pos)
            target = pos + shard_bytes
    return cuts


def lines_before(shards: list[Shard], lines: list[int]) -> list[int]:
    """For each shard, the lines of its file before it, given each shard's line count."""
    out, before = [], 0
    for shard, n in zip(shards, lines):
        if shard.start == 0:
            before = 0
        out.append(before)
        before += n
    return out


def file_record(shard: Shard, before: int, line: int, reason: str) -> BadRecord:
    """A bad record at a shard's line, with the line number of the file."""
    return BadRecord(shard.path, before + line, reason)
