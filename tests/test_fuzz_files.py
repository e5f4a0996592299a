"""Deterministic corruption of every file zhtok reads: segmentation models, tokenizers, user
dictionaries and Megatron indexes, truncated at every length (or at a stride, and at every field
boundary) and with bytes changed at many positions, as they are and re-signed (header size and
checksum recomputed, so that the payload parser is exercised, not only the checksum).

Each load must end in a clean error (a zhtok error, ValueError or OSError) or in a model that
works; never a crash, a hang, another exception or a sanitizer report. Each sweep runs in a
subprocess (this file run as a script), so that a crash names the variant that caused it
instead of killing pytest; the subprocess inherits the environment, so under CI's sanitizer run
it runs under the sanitizers too. The regression tests at the end replay what the fuzzers in
fuzz/ found (fuzz/README.md).
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import zhtok
import zhtok.megatron
from zhtok.bpe import Tokenizer, train_tokenizer
from zhtok.errors import FormatError, ZhtokError

ROOT = Path(__file__).resolve().parents[1]
HEADER = struct.Struct("<8sIIQQ")  # magic, version, reserved, payload size, checksum
SEG_MAGIC, TOK_MAGIC = b"ZHTOKSEG", b"ZHTOKTOK"
EXPECTED = (ZhtokError, ValueError, OSError)
_M64 = (1 << 64) - 1
_P = 1099511628211
_BASIS = 1469598103934665603


# -- the model file format, reimplemented from csrc/common/binary_io.{h,cc} -------------------------

def checksum(data: bytes, h: int = _BASIS, start: int = 0) -> int:
    """fnv1a64 of binary_io.cc: FNV-1a over little-endian 8-byte words, each step followed by
    h ^= h >> 29, then plain FNV-1a over the tail bytes. With h and start (a multiple of 8), it
    continues from the state that checksum_states gave at start."""
    n = len(data) - (len(data) - start) % 8
    for (w,) in struct.iter_unpack("<Q", data[start:n]):
        h = ((h ^ w) * _P) & _M64
        h ^= h >> 29
    for b in data[n:]:
        h = ((h ^ b) * _P) & _M64
    return h


def checksum_states(data: bytes, points: "set[int]") -> dict[int, int]:
    """The word-loop state at each multiple of 8 in points, in one pass (for big files)."""
    out, h = {}, _BASIS
    if 0 in points:
        out[0] = h
    for i, (w,) in enumerate(struct.iter_unpack("<Q", data[: len(data) // 8 * 8]), 1):
        h = ((h ^ w) * _P) & _M64
        h ^= h >> 29
        if i * 8 in points:
            out[i * 8] = h
    return out


def frame(magic: bytes, payload: bytes, version: int = 1, csum: "int | None" = None) -> bytes:
    csum = checksum(payload) if csum is None else csum
    return HEADER.pack(magic, version, 0, len(payload), csum) + payload


def test_older_segment_tokenizer_files_keep_their_ids(tmp_path):
    """A tokenizer file written before a space went with the Chinese word after it
    (pre-tokenizer 2, "segment, space apart") keeps splitting it off: a file's ids never
    change."""
    new = Tokenizer.default()
    new.save(tmp_path / "new.ztok")
    data = (tmp_path / "new.ztok").read_bytes()
    magic, version, _, _, _ = HEADER.unpack_from(data)
    payload = bytearray(data[HEADER.size:])
    assert magic == TOK_MAGIC and struct.unpack_from("<I", payload)[0] == 3
    struct.pack_into("<I", payload, 0, 2)
    (tmp_path / "old.ztok").write_bytes(frame(magic, bytes(payload), version))
    old = Tokenizer.from_file(tmp_path / "old.ztok")
    assert old.pretokenizer == "segment"

    def pieces(tok, text):
        return [tok.id_to_token(i).decode("utf-8") for i in tok.encode(text)]

    text = "用 Python 处理 中等 数据"
    assert pieces(new, text) == ["用", " Python", " 处理", " 中等", " 数据"]
    assert pieces(old, text) == ["用", " Python", " ", "处理", " ", "中等", " ", "数据"]


def test_checksum_matches_the_core(tmp_path):
    model = (ROOT / "vocab" / "pku.zseg").read_bytes()[:HEADER.size]
    assert HEADER.unpack(model)[0] == SEG_MAGIC
    for name, data in tiny_files(tmp_path).items():
        magic, version, _, size, csum = HEADER.unpack_from(data)
        payload = data[HEADER.size:]
        assert size == len(payload) and csum == checksum(payload), name
        assert frame(magic, payload, version) == data
        states = checksum_states(payload, {0, 8, len(payload) // 16 * 8})
        for at, h in states.items():
            assert checksum(payload, h, at) == csum


# -- where the fields of a payload are ----------------------------------------------------------

class _Fields:
    """Walks a payload as the loader does, noting (offset, struct format, name) of each scalar
    and array length, and the ends of the arrays."""

    def __init__(self, data: bytes, base: int = 0):
        self.data, self.at, self.base, self.fields = data, 0, base, []

    def scalar(self, fmt: str, name: str) -> int:
        (v,) = struct.unpack_from(fmt, self.data, self.at)
        self.fields.append((self.base + self.at, fmt, name))
        self.at += struct.calcsize(fmt)
        return v

    def array(self, item: int, name: str) -> tuple[int, int]:
        n = self.scalar("<Q", name + " length")
        start = self.at
        self.at += n * item
        if n:
            self.fields.append((self.base + start + (n - 1) // 2 * item, f"<{item}s", name + " middle item"))
        return start, n


def seg_fields(payload: bytes, base: int = 0) -> list[tuple[int, str, str]]:
    f = _Fields(payload, base)
    kind = f.scalar("<I", "scorer kind")
    f.array(1, "info")
    f.scalar("<I", "normalizer")
    f.scalar("<Q", "trie word count")
    f.scalar("<Q", "trie max length")
    for name in ("trie codes", "trie first child", "trie child count", "trie word ids"):
        f.array(4, name)
    if kind == 1:
        f.array(8, "unigram counts")
    else:
        f.array(4, "character index")
        f.array(4, "character weights")
        f.scalar("<f", "weight scale")
        f.array(4, "edge weights")
        f.array(4, "word counts")
        for name, slot in (("pair", 20), ("triple", 16), ("single", 8)):  # 4-byte fingerprint + weights
            f.scalar("<Q", f"{name} table capacity")
            f.array(8, f"{name} table bitmap")
            f.array(slot, f"{name} table slots")
    f.scalar("<f", "bigram weight")
    _, words = f.array(4, "bigram word counts")
    f.array(4, "bigram follower counts")
    if words:
        f.scalar("<Q", "bigram table capacity")
        f.array(8, "bigram table bitmap")
        f.array(8, "bigram table slots")  # 4-byte fingerprint + count
    assert f.at == len(payload)
    return f.fields


def tok_fields(payload: bytes) -> tuple[list[tuple[int, str, str]], int, int]:
    """Fields of a tokenizer payload, and where its embedded segmentation model starts and ends."""
    f = _Fields(payload)
    f.scalar("<I", "pre-tokenizer kind")
    f.array(8, "merges")
    for i in range(f.scalar("<Q", "special token count")):
        f.array(1, f"special token {i}")
    start, n = f.array(1, "embedded model")
    assert f.at == len(payload)
    return f.fields, start, start + n


INTERESTING = {  # values written over a field, by its format
    "<I": [0, 1, 2, 3, 0x7FFFFFFF, 0xFFFFFFFF],
    "<Q": [0, 1, 2**31, 2**32 + 1, 2**63, 2**64 - 1],
    "<f": [0.0, -1.0, 3.0e38, -3.0e38, float("inf"), float("nan")],
}


def field_patches(fields, payload: bytes) -> list[tuple[int, bytes, str]]:
    """(offset, new bytes, what): each field set to interesting values and to its value +- 1;
    an array's middle item zeroed and set to 0xFF."""
    out = []
    for off, fmt, name in fields:
        if fmt.endswith("s"):
            size = struct.calcsize(fmt)
            out += [(off, b"\x00" * size, name + " = 0"), (off, b"\xff" * size, name + " = ff")]
            if size == 4:
                out += [(off, struct.pack("<f", v), f"{name} = {v}") for v in (3.0e38, -3.0e38, float("inf"))]
            continue
        (old,) = struct.unpack_from(fmt, payload, off)
        values = list(INTERESTING[fmt])
        if fmt != "<f":
            values += [(old + 1) % 2 ** (8 * struct.calcsize(fmt)), (old - 1) % 2 ** (8 * struct.calcsize(fmt))]
        out += [(off, struct.pack(fmt, v), f"{name} = {v}") for v in values if v != old or fmt == "<f"]
    return out


# -- variants: built and loaded in a subprocess ---------------------------------------------------

def resign_start(spec: dict) -> int:
    """Where a re-signed variant's payload first differs from the base's (a multiple of 8): the
    checksum runs from the base's state there."""
    start = 1 << 62
    if "truncate" in spec:
        start = spec["truncate"] // 8 * 8
    if "patch" in spec:
        start = min(start, spec["patch"][0] // 8 * 8)
    if "inner" in spec:
        start = min(start, spec["inner"][0] // 8 * 8)
    return start


def make_variant(base: bytes, spec: dict, states: dict[int, int]) -> bytes:
    """The bytes of one variant of base. spec: truncate (keep that many bytes of the file, or
    with resign of the payload), patch [offset in the payload, hex] or flip [offset in the
    file, xor], resign (recompute size and checksum), inner [start, end] (the embedded model's
    range in the payload: re-sign it too, after the patch). states: checksum_states of the
    base's payload at every resign_start."""
    if not base.startswith((SEG_MAGIC, TOK_MAGIC)) or not spec.get("resign"):
        data = bytearray(base[: spec.get("truncate", len(base))])
        if "flip" in spec:
            data[spec["flip"][0]] ^= spec["flip"][1]
        if "patch" in spec:
            off, new = spec["patch"][0], bytes.fromhex(spec["patch"][1])
            data[off:off + len(new)] = new
        return bytes(data)
    magic, version = HEADER.unpack_from(base)[:2]
    payload = base[HEADER.size:]
    if "truncate" in spec:
        payload = payload[: spec["truncate"]]
    if "patch" in spec:
        off, new = spec["patch"][0], bytes.fromhex(spec["patch"][1])
        payload = payload[:off] + new + payload[off + len(new):]
    if "inner" in spec:
        a, b = spec["inner"]
        inner = payload[a:b]
        inner = inner[:16] + struct.pack("<QQ", len(inner) - HEADER.size, checksum(inner[HEADER.size:])) + inner[HEADER.size:]
        payload = payload[:a] + inner + payload[b:]
    start = min(resign_start(spec), len(payload) // 8 * 8)
    return frame(magic, payload, version, checksum(payload, states[start], start))


SENTENCES = ["南京市长江大桥", "他从马上下来。研究生命的起源", "iPhone15发布了，３．５公里，一九九八年",
             "自然语言处理很有趣 我们喜欢", "\ud800中文\U0010ffff", "a" * 70 + "中" * 70, ""]


def use(kind: str, path: str) -> None:
    """Loads path as kind, then uses what loaded; raises what the load raises."""
    if kind == "seg":
        zhtok.segment._load_model.cache_clear()
        seg = zhtok.Segmenter(model=path)
        for s in SENTENCES:
            assert "".join(seg.cut(s)) == s, s
            for words, _ in seg.nbest(s, 3):
                assert "".join(words) == s, s
            seg.ambiguities(s)
    elif kind == "tok":
        tok = Tokenizer.from_file(path)
        for s in SENTENCES + ["<|endoftext|>x"]:
            assert tok.decode(tok.encode(s, allow_special=True)) == s, s
        every = list(range(min(tok.vocab_size, 3000)))
        assert tok.decode_bytes(every) == b"".join(tok.id_to_token(i) for i in every)
    elif kind == "user_dict":
        seg = zhtok.Segmenter()
        seg.load_user_dict(path)
        for s in SENTENCES:
            assert "".join(seg.cut(s)) == s, s
    elif kind == "idx":
        prefix = path[: -len(".idx")]
        ds = zhtok.megatron.IndexedDataset(prefix)
        for i in range(len(ds)):
            try:
                seq = ds[i]
            except FormatError:
                continue
            assert seq.size == ds.sequence_lengths[i]
    else:
        raise ValueError(kind)


def _worker(kind: str, base_path: str, specs_path: str, results_path: str, scratch: str) -> None:
    """Runs in the subprocess: for each spec, writes the variant and loads it, noting the spec's
    number before the load and the outcome after it (so that a crash leaves the number of the
    variant that caused it as the last, unfinished line)."""
    base = Path(base_path).read_bytes()
    specs = json.loads(Path(specs_path).read_text())
    path = os.path.join(scratch, "variant.idx" if kind == "idx" else "variant")
    if kind == "idx":
        Path(path[:-4] + ".bin").write_bytes(Path(base_path[:-4] + ".bin").read_bytes())
    payload = base[HEADER.size:]
    starts = {min(resign_start(s), len(payload) // 8 * 8) for s in specs if s.get("resign")}
    states = checksum_states(payload, starts) if base.startswith((SEG_MAGIC, TOK_MAGIC)) else {}
    with open(results_path, "w", buffering=1) as out:
        for i, spec in enumerate(specs):
            data = make_variant(base, spec, states)
            Path(path).write_bytes(data)
            out.write(f"{i}\t")
            out.flush()
            try:
                use(kind, path)
                result = "ok"
            except EXPECTED as e:
                result = f"error:{type(e).__name__}"
            except BaseException as e:  # noqa: BLE001 - reported by the test
                result = f"unexpected:{type(e).__name__}: {str(e)[:300]!r}"
            out.write(result + "\n")


def sweep(tmp_path: Path, kind: str, base: bytes, specs: list[dict], timeout: int = 900) -> list[tuple[dict, str]]:
    """Runs every spec in one subprocess; fails with the variant that crashed or hung it."""
    base_path = tmp_path / ("base.idx" if kind == "idx" else "base")
    base_path.write_bytes(base)
    specs_path, results_path = tmp_path / "specs.json", tmp_path / "results.txt"
    specs_path.write_text(json.dumps(specs))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(zhtok.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, __file__, kind, str(base_path), str(specs_path), str(results_path), str(scratch)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        failure = None if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-3000:]}"
    except subprocess.TimeoutExpired:
        failure = f"no end after {timeout}s (a hang?)"
    lines = results_path.read_text().splitlines() if results_path.exists() else []
    if failure:
        last = lines[-1].split("\t") if lines else []
        culprit = specs[int(last[0])] if len(last) == 2 and not last[1] else None
        pytest.fail(f"{kind} sweep died at variant {culprit}: {failure}")
    assert len(lines) == len(specs)
    results = [(spec, line.split("\t", 1)[1]) for spec, line in zip(specs, lines)]
    bad = [(spec, r) for spec, r in results if r.startswith("unexpected")]
    assert not bad, f"{len(bad)} variants ended in an unexpected exception, e.g. {bad[:5]}"
    return results


def unsigned_must_fail(results, reserved: range = range(12, 16)) -> None:
    """Variants that were not re-signed must be refused (by the magic, version, size or checksum),
    except a change in the header's reserved bytes."""
    for spec, r in results:
        if spec.get("resign") or ("flip" in spec and spec["flip"][0] in reserved and "truncate" not in spec):
            continue
        assert r == "error:FormatError", (spec, r)


def file_specs(data: bytes, stride: int, flips=(0xFF, 0x01, 0x80)) -> list[dict]:
    """Every truncation at a stride (and all in the header and the payload's first and last 64
    bytes), as is and re-signed; byte flips at a stride, as is and re-signed."""
    n = len(data) - HEADER.size
    cuts = sorted(set(range(0, n, stride)) | set(range(min(n, 64))) | set(range(max(0, n - 64), n)))
    specs = [{"truncate": k} for k in range(0, HEADER.size + 1)]
    specs += [{"truncate": HEADER.size + k} for k in cuts[::4]]
    specs += [{"truncate": k, "resign": True} for k in cuts]
    positions = sorted(set(range(0, n, stride)) | set(range(min(n, 48))))
    for j, p in enumerate(positions):
        x = flips[j % len(flips)]
        specs.append({"patch": [p, bytes([data[HEADER.size + p] ^ x]).hex()], "resign": True})
    specs += [{"flip": [p, 0xFF]} for p in range(HEADER.size)]
    specs += [{"flip": [HEADER.size + p, 0x01]} for p in positions[::8]]
    return specs


# -- fixtures ---------------------------------------------------------------------------------------

SEG_CORPUS = ("我们  喜欢  自然语言处理\n自然语言处理  很  有趣\n南京市  长江  大桥\n他  从  马上  下来\n"
              "研究  生命  的  起源\niPhone15  发布  了\n１９９８年  ３．５  公里\n")
TEXT_CORPUS = ("大语言模型的训练语料 hello world 12345\nthe quick brown fox 南京市长江大桥\n"
               "It's 2024, we're encoding ３．１４ tokens! 研究生命的起源\n")


def tiny_files(tmp_path: Path) -> dict[str, bytes]:
    d = tmp_path / "tiny"
    if not d.exists():
        d.mkdir()
        (d / "seg.txt").write_text(SEG_CORPUS, encoding="utf-8")
        (d / "text.txt").write_text(TEXT_CORPUS, encoding="utf-8")
        zhtok.train_segmenter([d / "seg.txt"], d / "perceptron.zseg", epochs=2, folds=2, min_feature_count=1)
        zhtok.train_segmenter([d / "seg.txt"], d / "unigram.zseg", kind="unigram")
        train_tokenizer([d / "text.txt"], 300, d / "regex.ztok", pretokenizer="regex", min_frequency=1, threads=1)
        train_tokenizer([d / "text.txt"], 300, d / "segment.ztok", seg_model=d / "unigram.zseg", min_frequency=1, threads=1)
    return {p.name: p.read_bytes() for p in d.glob("*.z*")}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_files(tmp_path_factory.mktemp("models"))


# -- the sweeps -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["perceptron.zseg", "unigram.zseg"])
def test_small_segmentation_models(tmp_path, tiny, name):
    data = tiny[name]
    payload = data[HEADER.size:]
    specs = file_specs(data, stride=1 if len(data) < 4000 else 97)
    fields = seg_fields(payload)
    specs += [{"truncate": off + d, "resign": True} for off, _, _ in fields for d in (0, 1, 4)]
    specs += [{"patch": [off, new.hex()], "resign": True, "what": what} for off, new, what in field_patches(fields, payload)]
    results = sweep(tmp_path, "seg", data, specs)
    unsigned_must_fail(results)
    assert sum(r == "ok" for _, r in results) >= 10  # some corruptions still load, and get used
    for spec, r in results:
        if "truncate" in spec and spec["truncate"] < len(payload) and spec.get("resign"):
            assert r == "error:FormatError", (spec, r)  # a payload cut short never loads


@pytest.mark.parametrize("name", ["regex.ztok", "segment.ztok"])
def test_small_tokenizers(tmp_path, tiny, name):
    data = tiny[name]
    payload = data[HEADER.size:]
    specs = file_specs(data, stride=1)
    fields, a, b = tok_fields(payload)
    specs += [{"truncate": off + d, "resign": True} for off, _, _ in fields for d in (0, 1, 4)]
    specs += [{"patch": [off, new.hex()], "resign": True, "what": what} for off, new, what in field_patches(fields, payload)]
    if b > a:  # the embedded segmentation model, corrupted and re-signed inside and out
        inner = payload[a + HEADER.size:b]
        inner_fields = seg_fields(inner, base=a + HEADER.size)
        specs += [{"patch": [off, new.hex()], "resign": True, "inner": [a, b], "what": "embedded " + what}
                  for off, new, what in field_patches(inner_fields, payload)]
        specs += [{"patch": [p, bytes([payload[p] ^ 0xFF]).hex()], "resign": True, "inner": [a, b]}
                  for p in range(a + HEADER.size, b)]
    results = sweep(tmp_path, "tok", data, specs)
    unsigned_must_fail(results)
    for spec, r in results:
        if "truncate" in spec and spec["truncate"] < len(payload) and spec.get("resign"):
            assert r == "error:FormatError", (spec, r)


@pytest.mark.parametrize("name", ["pku.zseg", "zh_en_32k.ztok"])
def test_shipped_models(tmp_path, name):
    """The 15 MB shipped files: truncations at a stride and at every field boundary (re-signed:
    one checksum pass gives them all), header flips, and re-signed changes of the fields near
    the start."""
    data = (ROOT / "vocab" / name).read_bytes()
    payload = data[HEADER.size:]
    if name.endswith(".zseg"):
        kind, fields = "seg", seg_fields(payload)
    else:
        kind = "tok"
        fields, a, b = tok_fields(payload)
        fields += seg_fields(payload[a + HEADER.size:b], base=a + HEADER.size)[:6]
    stride = len(payload) // 8
    cuts = sorted({k for k in range(0, len(payload), stride)} | {off + d for off, _, _ in fields for d in (0, 5)})
    specs = [{"truncate": HEADER.size + k} for k in range(0, len(payload), stride * 4)]
    specs += [{"truncate": k, "resign": True} for k in cuts if k < len(payload)]
    specs += [{"flip": [p, 0xFF]} for p in (0, 7, 8, 11, 12, 16, 23, 24, 31)]  # magic, version, reserved, size, sum
    early = [f for f in fields if f[0] < 64]
    specs += [{"patch": [off, new.hex()], "resign": True, "what": what}
              for off, new, what in field_patches(early, payload)][:8]
    results = sweep(tmp_path, kind, data, specs)
    unsigned_must_fail(results)
    for spec, r in results:
        if "truncate" in spec and spec.get("resign"):
            assert r == "error:FormatError", (spec, r)


def test_older_perceptron_format_asks_for_retraining(tmp_path, tiny):
    """A perceptron model of format version 2 (16-bit weights, another hash) cannot be read as
    version 3 or 4: the loader says to retrain rather than misreading its tables."""
    data = tiny["perceptron.zseg"]
    magic, version = HEADER.unpack_from(data)[:2]
    assert version == 4
    old = tmp_path / "old.zseg"
    old.write_bytes(frame(magic, data[HEADER.size:], 2))
    with pytest.raises(FormatError, match="format version 2 .*retrain it with zhtok train-seg"):
        zhtok.Segmenter(model=old)


def test_version_3_models_load_without_bigrams(tmp_path):
    """A model of format version 3 (before word bigrams) still loads, and segments as the same
    model saved without bigrams does."""
    (tmp_path / "seg.txt").write_text(SEG_CORPUS, encoding="utf-8")
    plain = tmp_path / "plain.zseg"
    zhtok.train_segmenter([tmp_path / "seg.txt"], plain, epochs=2, folds=2, min_feature_count=1, bigram_weight=0)
    data = plain.read_bytes()
    magic, version = HEADER.unpack_from(data)[:2]
    empty_bigrams = struct.pack("<fQQ", 0.0, 0, 0)  # weight, no word counts, no followers
    assert version == 4 and data.endswith(empty_bigrams)
    old = tmp_path / "v3.zseg"
    old.write_bytes(frame(magic, data[HEADER.size : -len(empty_bigrams)], 3))
    texts = [line.replace(" ", "") for line in SEG_CORPUS.splitlines()] + ["南京市长江大桥于1968年建成"]
    assert [zhtok.Segmenter(model=old).cut(t) for t in texts] == [zhtok.Segmenter(model=plain).cut(t) for t in texts]


def test_model_paths_that_are_not_files(tmp_path, tiny):
    """A folder, a missing path and a pipe: the first two are clear errors, and a model read
    from a pipe (no size known ahead) loads like the file."""
    with pytest.raises(ZhtokError, match="is a directory"):
        zhtok.Segmenter(model=tmp_path)
    with pytest.raises(ZhtokError, match="cannot open"):
        zhtok.Segmenter(model=tmp_path / "missing.zseg")
    saved = tmp_path / "model.zseg"
    saved.write_bytes(tiny["perceptron.zseg"])
    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    # Another process writes the pipe: the load holds the GIL while it waits for a writer.
    copy = f"import shutil; shutil.copyfileobj(open({str(saved)!r}, 'rb'), open({str(fifo)!r}, 'wb'))"
    writer = subprocess.Popen([sys.executable, "-c", copy])
    try:
        piped = zhtok.Segmenter(model=fifo)
    finally:
        try:
            writer.wait(timeout=60)  # done at once when the model was read to its end
        except subprocess.TimeoutExpired:
            writer.kill()
            raise
    text = "南京市长江大桥上的研究生命起源"
    assert piped.cut(text) == zhtok.Segmenter(model=saved).cut(text)


def test_user_dictionaries(tmp_path):
    text = ("\ufeff# 注释\n南京市长江大桥 5\n长江大桥 3 n\r\n江大桥\t0.5\n自然语言处理\n"
            "iPhone15  2\n\u3000马上 1e3 d\n").encode()
    specs = [{"truncate": k} for k in range(len(text) + 1)]
    for p in range(len(text)):
        for x in (0xFF, 0x80, 0x20, 0x0A, 0x23, 0x31):
            specs.append({"patch": [p, bytes([x]).hex()]})
    results = sweep(tmp_path, "user_dict", text, specs)
    assert any(r == "ok" for _, r in results) and any(r == "error:FormatError" for _, r in results)


@pytest.mark.parametrize("name", ["uint16", "int32"])
def test_megatron_indexes(tmp_path, name):
    idx = (ROOT / "tests" / "golden" / "megatron" / f"{name}.idx").read_bytes()
    (tmp_path / "base.bin").write_bytes((ROOT / "tests" / "golden" / "megatron" / f"{name}.bin").read_bytes())
    specs = [{"truncate": k} for k in range(len(idx) + 1)]
    for p in range(len(idx)):
        for x in (0xFF, 0x01, 0x80, 0x7F):
            specs.append({"flip": [p, x]})
    results = sweep(tmp_path, "idx", idx, specs)
    assert [r for s, r in results if s == {"truncate": len(idx)}] == ["ok"]
    assert all(r != "ok" for s, r in results if s.get("truncate", len(idx)) < len(idx))


# -- regression tests: what the fuzzers found (fuzz/README.md, "Findings") ------------------------------

def run_isolated(tmp_path: Path, code: str, *args: str, timeout: int = 300) -> tuple[int, str, str]:
    """Runs code in a fresh interpreter on the zhtok under test. Under a sanitizer build it runs
    with libasan preloaded as CI does, but with none of the known-issue suppressions and its
    sanitizer reports written under tmp_path (so CI's own log of reports stays clean); memory is
    capped (ASan: largest allocation; else the address space). Returns (exit status, output,
    sanitizer reports)."""
    logs = tmp_path / "sanitizer"
    logs.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(zhtok.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    sanitized = "libasan" in env.get("LD_PRELOAD", "")
    if sanitized:
        env["ASAN_OPTIONS"] = (f"detect_leaks=0:verify_asan_link_order=0:max_allocation_size_mb=1024:"
                               f"allocator_may_return_null=1:log_path={logs}/asan")
        env["UBSAN_OPTIONS"] = f"halt_on_error=1:print_stacktrace=1:log_path={logs}/ubsan"

    def cap_memory():
        if not sanitized:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    try:
        proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                              timeout=timeout, preexec_fn=cap_memory, cwd=tmp_path)
        rc, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        rc, out = -1, f"no end after {timeout}s"
    reports = "".join(p.read_text(errors="replace") for p in sorted(logs.iterdir()))
    return rc, out, reports


def model_with(data: bytes, field: str, value: bytes) -> bytes:
    """A segmentation model file with one field of its payload set to value, re-signed."""
    payload = bytearray(data[HEADER.size:])
    off = {name: off for off, _, name in seg_fields(bytes(payload))}[field]
    payload[off:off + len(value)] = value
    # The file's own format version: a model framed as an older one is refused before the
    # patched field is read, and the test would pass without testing it.
    return frame(SEG_MAGIC, bytes(payload), HEADER.unpack_from(data)[1])


USE_MODEL = """
import sys, zhtok
try:
    seg = zhtok.Segmenter(model=sys.argv[1])
except zhtok.FormatError as e:
    print("refused:", e)
    raise SystemExit(0)
for s in ["南京市长江大桥", "他从马上下来"]:
    words = seg.cut(s)
    assert "".join(words) == s, (s, words)
    seg.nbest(s, 3)
    seg.ambiguities(s)
print("ok")
"""


def test_finding1_huge_weight_scale(tmp_path, tiny):
    path = tmp_path / "huge.zseg"
    path.write_bytes(model_with(tiny["perceptron.zseg"], "weight scale", struct.pack("<f", 3.0e38)))
    rc, out, reports = run_isolated(tmp_path, USE_MODEL, str(path))
    assert rc == 0 and not reports, out[-3000:] + reports[:6000]


def test_bad_word_bigram_table_is_named(tmp_path, tiny):
    """A corrupt bigram table is a FormatError that says which table, with file and offset."""
    path = tmp_path / "bad_bigrams.zseg"
    path.write_bytes(model_with(tiny["perceptron.zseg"], "bigram table capacity", struct.pack("<Q", 24)))
    with pytest.raises(FormatError, match=r"bad_bigrams.zseg: word bigram table has an invalid shape \(at byte offset \d+"):
        zhtok.Segmenter(model=path)


def test_finding2_empty_array_in_a_model_file(tmp_path):
    code = """
import sys, zhtok.bpe
tok, _ = zhtok.bpe.train_tokenizer([sys.argv[1]], 257, "zero.ztok", pretokenizer="regex")
assert tok._core.num_merges == 0
again = zhtok.bpe.Tokenizer.from_file("zero.ztok")
assert again.decode(again.encode("hello")) == "hello"
print("ok")
"""
    corpus = tmp_path / "c.txt"
    corpus.write_text("hello world\n")
    rc, out, reports = run_isolated(tmp_path, code, str(corpus))
    assert rc == 0 and not reports, out[-3000:] + reports[:6000]


def test_finding3_doubling_merges(tmp_path):
    merges = [(0, 0)] + [(256 + i, 256 + i) for i in range(39)]
    payload = (struct.pack("<IQ", 1, len(merges)) + b"".join(struct.pack("<II", a, b) for a, b in merges)
               + struct.pack("<QQ", 0, 0))
    path = tmp_path / "double.ztok"
    path.write_bytes(frame(TOK_MAGIC, payload))
    assert len(path.read_bytes()) == 380
    code = """
import sys, time, zhtok
from zhtok.bpe import Tokenizer
t = time.monotonic()
try:
    Tokenizer.from_file(sys.argv[1])
    print("loaded")
except zhtok.FormatError as e:
    print("refused:", e)
except MemoryError:
    print("MemoryError")
print(f"{time.monotonic() - t:.1f}s")
"""
    rc, out, reports = run_isolated(tmp_path, code, str(path), timeout=120)
    assert rc == 0 and "refused:" in out and not reports, out[-3000:] + reports[:3000]


def test_finding4_jsonl_lone_surrogate(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "hello world"}\n{"text": "bad \\udfff here"}\n', encoding="utf-8")
    tok, stats = train_tokenizer([corpus], 300, pretokenizer="regex", min_frequency=1, threads=1)
    assert stats.records + len(stats.bad) == 2


def test_finding4_special_token_lone_surrogate(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("hello world\n", encoding="utf-8")
    try:
        train_tokenizer([corpus], 300, pretokenizer="regex", special_tokens=["\ud800"], min_frequency=1, threads=1)
    except EXPECTED:
        pass


def test_finding5_long_glued_run_is_not_split(seg):
    assert seg.cut("a" * 5000) == ["a" * 5000]
    assert seg.cut("中文" + "1" * 3000 + "中文")[1:2] == ["1" * 3000]


if __name__ == "__main__":
    _worker(*sys.argv[1:])
