"""Shared parts of the atheris fuzz targets in this folder (see fuzz/README.md).

Every target is run as ``python fuzz/fuzz_<name>.py [libFuzzer flags] [corpus dirs or files]``.
Without a corpus directory on the command line, a target fuzzes a working corpus under
``build/fuzz/<name>/corpus`` that is seeded with inputs built here; crashes are written to
``build/fuzz/<name>/`` (override with ``-artifact_prefix=``). Files on the command line are
run once each, as libFuzzer does, which replays a reproducer.

The zhtok that is fuzzed is the one in the tree this folder belongs to (its directory is put
first on ``sys.path``), so a tree built with ``ZHTOK_SANITIZE=1`` is fuzzed with its sanitizers.
"""
from __future__ import annotations

import atexit
import os
import shutil
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402

import numpy  # noqa: F401,E402  (not instrumented: only zhtok's own Python code is)

with atheris.instrument_imports(include=["zhtok"]):
    import zhtok  # noqa: E402
    import zhtok.bpe  # noqa: E402
    import zhtok.megatron  # noqa: E402
    from zhtok.errors import ZhtokError  # noqa: E402

# What a bad input may raise. Anything else (a crash, a sanitizer report, a hang, MemoryError,
# an assertion of the target, another exception type) is a finding.
EXPECTED = (ZhtokError, ValueError, OSError)

# -- model files ------------------------------------------------------------------------------

HEADER = struct.Struct("<8sIIQQ")  # magic, version, reserved, payload size, checksum
SEG_MAGIC = b"ZHTOKSEG"
TOK_MAGIC = b"ZHTOKTOK"
_M64 = (1 << 64) - 1


def checksum(data: bytes) -> int:
    """csrc/common/binary_io.cc fnv1a64: FNV-1a over little-endian 8-byte words, each step
    followed by h ^= h >> 29, then plain FNV-1a over the tail bytes."""
    h = 1469598103934665603
    n = len(data) - len(data) % 8
    for (w,) in struct.iter_unpack("<Q", data[:n]):
        h = ((h ^ w) * 1099511628211) & _M64
        h ^= h >> 29
    for b in data[n:]:
        h = ((h ^ b) * 1099511628211) & _M64
    return h


def frame(magic: bytes, payload: bytes, version: int = 1) -> bytes:
    """A model file around payload, with a correct size and checksum."""
    return HEADER.pack(magic, version, 0, len(payload), checksum(payload)) + payload


def split_model(data: bytes) -> tuple[bytes, int, bytes]:
    magic, version, _, _, _ = HEADER.unpack_from(data)
    return magic, version, data[HEADER.size:]


# -- scratch files ----------------------------------------------------------------------------

_shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
SCRATCH = tempfile.mkdtemp(prefix="zhtok-fuzz-", dir=_shm)
atexit.register(shutil.rmtree, SCRATCH, True)


def scratch(name: str) -> str:
    return os.path.join(SCRATCH, name)


def write(name: str, data: bytes) -> str:
    path = scratch(name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# -- small models trained on the spot (seeds, and fast models to fuzz with) ---------------------

SEG_CORPUS = (
    "我们  喜欢  自然语言处理\n自然语言处理  很  有趣\n南京市  长江  大桥\n他  从  马上  下来\n"
    "研究  生命  的  起源\niPhone15  发布  了\n１９９８年  ３．５  公里\n"
)
TEXT_CORPUS = (
    "大语言模型的训练语料 hello world 12345\nthe quick brown fox 南京市长江大桥\n"
    "It's 2024, we're encoding ３．１４ tokens! 研究生命的起源\n"
)


def tiny_models() -> dict[str, bytes]:
    """Bytes of small model files: perceptron and unigram segmentation models, and a regex and
    two segment tokenizers (embedding the unigram and the perceptron model)."""
    corpus = write("seg_corpus.txt", SEG_CORPUS.encode())
    text = write("text_corpus.txt", TEXT_CORPUS.encode())
    out = {}
    zhtok.train_segmenter([corpus], scratch("perceptron.zseg"), epochs=2, folds=2, min_feature_count=1)
    zhtok.train_segmenter([corpus], scratch("unigram.zseg"), kind="unigram")
    zhtok.bpe.train_tokenizer([text], 300, scratch("regex.ztok"), pretokenizer="regex", min_frequency=1, threads=1)
    zhtok.bpe.train_tokenizer([text], 300, scratch("segment.ztok"), seg_model=scratch("unigram.zseg"),
                              min_frequency=1, threads=1)
    zhtok.bpe.train_tokenizer([text], 300, scratch("segment_perceptron.ztok"), seg_model=scratch("perceptron.zseg"),
                              min_frequency=1, threads=1)
    for name in ("perceptron.zseg", "unigram.zseg", "regex.ztok", "segment.ztok", "segment_perceptron.ztok"):
        out[name] = Path(scratch(name)).read_bytes()
    return out


# -- byte mutations driven by the fuzzer's data -------------------------------------------------

INTERESTING = [
    b"\x00", b"\x01", b"\x7f", b"\x80", b"\xff",
    b"\x00\x00", b"\xff\xff", b"\x00\x80",
    b"\x00\x00\x00\x00", b"\x01\x00\x00\x00", b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80",
    b"\x00\x00\x11\x00", b"\x01\x00\x11\x00", b"\x00\x00\x01\x00",
    struct.pack("<f", float("inf")), struct.pack("<f", float("nan")), struct.pack("<f", 3.0e38),
    struct.pack("<f", -3.0e38), struct.pack("<f", 1e30), struct.pack("<f", -1.0),
    b"\x00" * 8, b"\xff" * 8, struct.pack("<Q", 1 << 63), struct.pack("<Q", (1 << 32) + 1),
    struct.pack("<Q", 1 << 40), struct.pack("<q", -1),
]


def mutate(fdp: "atheris.FuzzedDataProvider", data: bytes, max_ops: int = 8) -> bytes:
    """Applies up to max_ops mutations chosen by fdp to data: overwrite with an interesting
    value or with the fuzzer's bytes, add to an integer, insert, delete, duplicate, truncate."""
    buf = bytearray(data)
    for _ in range(fdp.ConsumeIntInRange(0, max_ops)):
        if fdp.remaining_bytes() == 0:
            break
        op = fdp.ConsumeIntInRange(0, 7)
        pos = fdp.ConsumeIntInRange(0, max(len(buf) - 1, 0))
        if op in (0, 1):  # interesting value, aligned to its size half the time
            v = INTERESTING[fdp.ConsumeIntInRange(0, len(INTERESTING) - 1)]
            if op == 0:
                pos -= pos % len(v)
            buf[pos:pos + len(v)] = v
        elif op == 2:  # the fuzzer's own bytes
            v = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 8))
            buf[pos:pos + len(v)] = v
        elif op == 3:  # add a small delta to a u32 or u64
            width = 4 if fdp.ConsumeBool() else 8
            pos -= pos % width
            if pos + width <= len(buf):
                fmt = "<I" if width == 4 else "<Q"
                old = struct.unpack_from(fmt, buf, pos)[0]
                new = (old + fdp.ConsumeIntInRange(-4, 4)) % (1 << (8 * width))
                struct.pack_into(fmt, buf, pos, new)
        elif op == 4:
            buf[pos:pos] = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 16))
        elif op == 5:
            del buf[pos:pos + fdp.ConsumeIntInRange(1, 64)]
        elif op == 6:
            n = fdp.ConsumeIntInRange(1, 64)
            buf[pos:pos] = buf[pos:pos + n]
        else:
            del buf[pos:]
    return bytes(buf)


# -- field-aware mutations: the layout of model payloads ----------------------------------------------
# A walker over a payload as the loaders read it (csrc/segment/seg_model.cc, dict_trie.cc,
# unigram_scorer.cc, perceptron_scorer.cc, bpe/tokenizer.cc), noting each scalar as
# (offset, format) and each array as (offset of its items, count, item size, format of an
# item or None). Mutating fields hits a length, a count or a weight far more often than
# flipping random bytes does.

class Layout:
    def __init__(self, data: bytes, base: int = 0):
        self.data, self.at, self.base = data, 0, base
        self.scalars: list[tuple[int, str]] = []
        self.arrays: list[tuple[int, int, int, "str | None"]] = []

    def scalar(self, fmt: str) -> int:
        (v,) = struct.unpack_from(fmt, self.data, self.at)
        self.scalars.append((self.base + self.at, fmt))
        self.at += struct.calcsize(fmt)
        return v

    def array(self, item: int, fmt: "str | None" = None) -> tuple[int, int]:
        n = self.scalar("<Q")
        start = self.at
        self.at += n * item
        if self.at > len(self.data):
            raise ValueError("array past the end")
        if n:
            self.arrays.append((self.base + start, n, item, fmt))
        return start, n


def seg_layout(payload: bytes, base: int = 0) -> Layout:
    f = Layout(payload, base)
    kind = f.scalar("<I")
    f.array(1)  # info
    f.scalar("<I")  # normalizer
    f.scalar("<Q"), f.scalar("<Q")  # trie word count, max length
    f.array(4, "<I"), f.array(4, "<I"), f.array(4, "<I"), f.array(4, "<i")  # trie codes, children, words
    if kind == 1:
        f.array(8, "<Q")  # unigram counts
    else:
        f.array(4, "<I")  # character index
        f.array(4, "<f")  # character weights
        f.scalar("<f")  # weight scale
        f.array(4, "<f")  # edge weights
        f.array(4, "<I")  # word counts
        for slot in (20, 16, 8):  # pair, triple and single tables: u32 fingerprint, i8 weights
            f.scalar("<Q")  # capacity
            f.array(8, "<Q")  # bitmap of the used slots
            f.array(slot, None)  # the used slots
    return f


def tok_layout(payload: bytes) -> tuple[Layout, int, int]:
    """The layout of a tokenizer payload, and the range of its embedded segmentation model."""
    f = Layout(payload)
    f.scalar("<I")
    f.array(8, "<I")  # merges: pairs of u32 ids (an item change hits the first of the pair)
    for _ in range(min(f.scalar("<Q"), 64)):
        f.array(1)
    start, n = f.array(1)
    return f, start, start + n


FIELD_VALUES = {
    "<I": [0, 1, 2, 3, 255, 256, 0x10FFFF, 0x110000, 0x7FFFFFFF, 0xFFFFFFFF],
    "<i": [-2, -1, 0, 1, 0x7FFFFFFF, -0x80000000],
    "<Q": [0, 1, 2, 15, 16, 17, 2**31, 2**32 + 1, 2**62, 2**63, 2**64 - 1],
    "<f": [0.0, -0.0, -1.0, 1e-45, 1e30, 3.0e38, -3.0e38, float("inf"), float("-inf"), float("nan")],
}


def mutate_fields(fdp: "atheris.FuzzedDataProvider", payload: bytes, layout: Layout) -> bytes:
    """1-3 field changes: a scalar or an array length set to an interesting value or moved by a
    little, or one item of an array set to an interesting value of its type."""
    buf = bytearray(payload)
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        if layout.arrays and (not layout.scalars or fdp.ConsumeBool()):
            start, n, item, fmt = layout.arrays[fdp.ConsumeIntInRange(0, len(layout.arrays) - 1)]
            off = start + item * (fdp.ConsumeIntInRange(0, n - 1) if fdp.ConsumeBool() else n - 1)
            if fmt is None or fdp.ConsumeIntInRange(0, 4) == 0:
                buf[off:off + item] = fdp.ConsumeBytes(item).ljust(item, b"\xff")
                continue
        elif layout.scalars:
            off, fmt = layout.scalars[fdp.ConsumeIntInRange(0, len(layout.scalars) - 1)]
        else:
            break
        values = FIELD_VALUES[fmt]
        if fmt != "<f" and fdp.ConsumeBool():
            (old,) = struct.unpack_from(fmt, buf, off)
            bits = 8 * struct.calcsize(fmt)
            value = old + fdp.ConsumeIntInRange(-3, 3)
            value = value % (1 << bits) if fmt[1].isupper() else max(-(1 << (bits - 1)), min(value, (1 << (bits - 1)) - 1))
        else:
            value = values[fdp.ConsumeIntInRange(0, len(values) - 1)]
        struct.pack_into(fmt, buf, off, value)
    return bytes(buf)


_LAYOUTS: dict[int, "Layout | None"] = {}


def layout_of(magic: bytes, payload: bytes) -> "Layout | None":
    key = hash(payload)
    if key not in _LAYOUTS:
        try:
            _LAYOUTS[key] = seg_layout(payload) if magic == SEG_MAGIC else tok_layout(payload)[0]
        except (ValueError, struct.error):
            _LAYOUTS[key] = None
    return _LAYOUTS[key]


def mutate_model_file(data: bytes, seeds: list[bytes], magic: bytes) -> bytes:
    """A model file for a loader, from the fuzzer's data: data[0] picks how. Modes 0-6: one of
    seeds, mutated as the rest of data drives: its fields (0-2) or its bytes (3-4) in its
    payload, re-signed (so that the parser, not only the checksum, is exercised); bytes with
    another version (5); or the whole file, not re-signed (6). Mode 7: data[2:] is the file itself (libFuzzer's own
    mutations do the work), re-signed with the right magic when data[1] is odd."""
    mode = data[0] % 8 if data else 0
    if mode == 7:
        raw = data[2:]
        if len(data) > 1 and data[1] & 1 and len(raw) >= HEADER.size:
            return frame(magic, raw[HEADER.size:], HEADER.unpack_from(raw)[1])
        return raw
    fdp = atheris.FuzzedDataProvider(data[1:])
    base = seeds[fdp.ConsumeIntInRange(0, len(seeds) - 1)]
    if mode == 6:
        return mutate(fdp, base)
    _, version, payload = split_model(base)
    layout = layout_of(magic, payload) if mode <= 2 else None
    if layout is not None:  # modes 0-2: field changes, then maybe a byte mutation or two
        payload = mutate_fields(fdp, payload, layout)
        return frame(magic, mutate(fdp, payload, 2) if fdp.ConsumeIntInRange(0, 3) == 0 else payload, version)
    payload = mutate(fdp, payload)
    if mode == 5:
        version = fdp.ConsumeIntInRange(0, 3)
    return frame(magic, payload, version)


def raw_seed(data: bytes) -> bytes:
    """A corpus entry that mutate_model_file reads as the file data, re-signed (mode 7)."""
    return b"\x07\x01" + data


# -- running -----------------------------------------------------------------------------------

def main(name: str, test_one_input, seeds: "list[bytes] | None" = None, extra_args: "list[str] | None" = None) -> None:
    """Runs libFuzzer over test_one_input with sensible defaults for zhtok; see module doc."""
    argv = list(sys.argv)
    flags = [a for a in argv[1:] if a.startswith("-")]
    inputs = [a for a in argv[1:] if not a.startswith("-")]
    work = ROOT / "build" / "fuzz" / name
    defaults = {
        "-timeout": "30",          # seconds per input: a hang is a finding
        "-rss_limit_mb": "4096",   # sanitizer builds use more memory than plain ones
        "-malloc_limit_mb": "2048",  # one allocation this large from a tiny input is a finding
        "-artifact_prefix": str(work) + "/",
        "-print_final_stats": "1",
    }
    for flag, value in {**defaults, **dict(a.split("=", 1) for a in (extra_args or []))}.items():
        if not any(f.startswith(flag + "=") for f in flags):
            argv.insert(1, f"{flag}={value}")
    if not inputs:
        corpus = work / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(seeds or []):
            (corpus / f"seed-{i:03d}").write_bytes(s)
        argv.append(str(corpus))
    else:
        work.mkdir(parents=True, exist_ok=True)
    print(f"fuzzing {name} against {zhtok._core.__file__}", file=sys.stderr, flush=True)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


# -- text ---------------------------------------------------------------------------------------

# Pieces that reach the interesting parts of segmentation and pre-tokenization: dictionary words
# and their overlaps, Chinese numerals, glued letter/digit runs with decimal points (ASCII and
# full-width), every kind of space, lone surrogates, astral characters, combining marks, control
# characters, the replacement character and special-token text.
POOL = (
    list("南京市长江大桥他从马上下来研究生命的起源我们喜欢自然语言处理很有趣的了是在不")
    + ["南京市", "长江大桥", "市长", "江大桥", "马上", "研究生", "自然语言处理", "一九九八年", "三十一日",
       "两万", "〇", "○", "零", "亿"]
    + list("abcXYZ019") + ["iPhone15", "GPT3", "3.14", "１．５", "３．", ".5", "１９９８", "ＡＢＣ", "'s", "'LL"]
    + [" ", "  ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2028", "\x0b", "\x0c", "\x85"]
    + ["\ud800", "\udfff", "\ud83d\ude00", "😀", "𠀀", "\U0010ffff", "e\u0301", "\u200d", "\ufeff",
       "\x00", "\x01", "\x7f", "\ufffd", "\uffff", "<|endoftext|>", "<|", "|>", "，", "。", "！", "、", "《", "》"]
)


def text_from(fdp: "atheris.FuzzedDataProvider", max_len: int = 200) -> str:
    """A str for segmentation or encoding, drawn from the pool or as arbitrary code points (lone
    surrogates included); now and then long enough to span several of the segmenter's windows."""
    kind = fdp.ConsumeIntInRange(0, 9)
    if kind <= 4:
        text = "".join(POOL[fdp.ConsumeIntInRange(0, len(POOL) - 1)]
                       for _ in range(fdp.ConsumeIntInRange(0, max_len // 2)))
    elif kind <= 7:
        text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, max_len))
    else:  # past the segmenter's 2048-rune window, with or without spaces
        unit = "".join(POOL[fdp.ConsumeIntInRange(0, len(POOL) - 1)] for _ in range(fdp.ConsumeIntInRange(1, 8)))
        text = unit * fdp.ConsumeIntInRange(1, 5000 // max(1, len(unit)))
    return text


def bytes_from(fdp: "atheris.FuzzedDataProvider", max_len: int = 200) -> bytes:
    """Bytes that are often UTF-8 with a few bytes flipped, sometimes arbitrary."""
    if fdp.ConsumeBool():
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, max_len))
    data = bytearray(text_from(fdp, max_len).encode("utf-8", "surrogatepass"))
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        if data:
            data[fdp.ConsumeIntInRange(0, len(data) - 1)] = fdp.ConsumeIntInRange(0, 255)
    return bytes(data)
