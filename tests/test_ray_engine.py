"""The Ray engine (zhtok.ray_engine) on a local Ray cluster: the local engine's outputs byte for
byte from byte-range shards, bad records at the file's line numbers, the same vocabulary, and a
worker killed mid-run changes nothing. Without Ray, `--engine ray` says how to install it."""
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from zhtok import _core
from zhtok.bpe import train_tokenizer
from zhtok.corpus import CorpusReader
from zhtok.encode import encode_corpus
from zhtok.errors import FormatError, InputError
from zhtok.shards import plan_shards

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = (ROOT / "zhtok" / "samples" / "sample_zh.txt").read_text(encoding="utf-8").splitlines()
ENGLISH = ["The quick brown fox jumps over the lazy dog.", "Megatron reads .bin/.idx pairs; it's 2024!",
           "def encode(x): return tokenizer(x)  # 123456"]


def documents(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(SAMPLE + ENGLISH) for _ in range(rng.randint(1, 3))) + f" {rng.randint(0, 10**6)}"
            for _ in range(n)]


@pytest.fixture(scope="module")
def ray_cluster():
    # Also in CI's sanitizer pass: the workers inherit LD_PRELOAD and PYTHONPATH, so the shard
    # tasks run the ASan build of the core (Ray's own daemons run fine with libasan preloaded).
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def tok_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("tok") / "t.ztok"
    corpus = path.parent / "c.txt"
    corpus.write_text("\n".join(documents(400, 1)), encoding="utf-8")
    train_tokenizer([corpus], 700, path, min_frequency=1)
    return path


@pytest.fixture(scope="module")
def txt_inputs(tmp_path_factory):
    """Plain files to be cut (a BOM, CRLF and empty lines, no final newline), an empty one and
    a .gz one."""
    d = tmp_path_factory.mktemp("txt")
    a = d / "a.txt"
    a.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(documents(300, 2)).encode() + b"\r\n\r\n")
    b = d / "b.txt"
    b.write_text("\n".join(documents(500, 3) + ["", "最后一行没有换行"]), encoding="utf-8")
    c = d / "c.txt.gz"
    with gzip.open(c, "wt", encoding="utf-8") as f:
        f.write("\n".join(documents(200, 4)) + "\n")
    empty = d / "empty.txt"
    empty.write_bytes(b"")
    return [a, empty, b, c]


@pytest.fixture(scope="module")
def jsonl_input(tmp_path_factory):
    """Two keys; bad records scattered through the file (so through several shards)."""
    path = tmp_path_factory.mktemp("jsonl") / "docs.jsonl"
    lines, bad_lines = [], []
    for i, text in enumerate(documents(600, 5), 1):
        if i % 97 == 0:
            lines.append(b"{not json")
            bad_lines.append(i)
        elif i % 131 == 0:
            lines.append(json.dumps({"title": "no text"}).encode())
            bad_lines.append(i)
        elif i % 151 == 0:
            lines.append(b'{"text": "\xfe\xff", "title": "t"}')
            bad_lines.append(i)
        else:
            lines.append(json.dumps({"text": text, "title": f"标题{i}"}, ensure_ascii=False).encode())
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, bad_lines


def same_files(p: Path, q: Path, names: list[str]) -> None:
    for name in names:
        assert (p.parent / (p.name + name)).read_bytes() == (q.parent / (q.name + name)).read_bytes(), name


def test_txt_byte_identical_to_local_across_byte_range_shards(ray_cluster, tmp_path, tok_path, txt_inputs):
    from zhtok.ray_engine import encode_corpus_ray

    shards = plan_shards([str(p) for p in txt_inputs], 4000)
    assert len(shards) > 20 and sum(s.path.endswith(".gz") for s in shards) == 1
    for fmt, suffixes in (("megatron", ["_text_document.bin", "_text_document.idx"]), ("npy", ["_text.npy"])):
        local = encode_corpus(txt_inputs, tok_path, tmp_path / f"local_{fmt}", append_eod=True, fmt=fmt)
        ray = encode_corpus_ray(txt_inputs, tok_path, tmp_path / f"ray_{fmt}", append_eod=True, fmt=fmt,
                                shard_bytes=4000)
        same_files(tmp_path / f"local_{fmt}", tmp_path / f"ray_{fmt}", suffixes)
        assert (ray.documents, ray.tokens, ray.bytes_read) == (local.documents, local.tokens, local.bytes_read)
        assert not list(tmp_path.glob("*.ray-parts")) and not list(tmp_path.glob("*.tmp"))


def test_jsonl_two_keys_and_bad_records_at_the_file_lines(ray_cluster, tmp_path, tok_path, jsonl_input):
    from zhtok.ray_engine import encode_corpus_ray

    path, bad_lines = jsonl_input
    keys = ["text", "title"]
    local = encode_corpus([path], tok_path, tmp_path / "local", json_keys=keys)
    ray = encode_corpus_ray([path], tok_path, tmp_path / "ray", json_keys=keys, shard_bytes=3000)
    same_files(tmp_path / "local", tmp_path / "ray", [f"_{k}_document{s}" for k in keys for s in (".bin", ".idx")])
    assert [b.line for b in ray.bad] == bad_lines
    assert ray.bad == local.bad and ray.documents == local.documents
    # on_error="fail": the first bad record in input order, with the file's line, no output
    with pytest.raises(InputError) as local_err:
        encode_corpus([path], tok_path, tmp_path / "lf", json_keys=keys, on_error="fail")
    with pytest.raises(InputError) as ray_err:
        encode_corpus_ray([path], tok_path, tmp_path / "rf", json_keys=keys, on_error="fail", shard_bytes=3000)
    assert str(ray_err.value) == str(local_err.value) == f"{path}:{bad_lines[0]}: invalid JSON: Expecting property name enclosed in double quotes at column 2"
    assert (ray_err.value.path, ray_err.value.line) == (str(path), bad_lines[0])
    assert not (tmp_path / "rf_text_document.bin").exists()


def test_resume_keeps_the_complete_parts(ray_cluster, tmp_path, tok_path, txt_inputs, monkeypatch):
    from zhtok import megatron
    from zhtok.ray_engine import encode_corpus_ray

    def crash(self, ds):
        raise KeyboardInterrupt("killed while merging")

    monkeypatch.setattr(megatron.IndexedDatasetWriter, "add_dataset", crash)
    with pytest.raises(KeyboardInterrupt):
        encode_corpus_ray(txt_inputs, tok_path, tmp_path / "r", shard_bytes=8000)
    monkeypatch.undo()
    manifests = sorted((tmp_path / "r.ray-parts").glob("*.json"))
    before = {m.name: m.read_bytes() for m in manifests}
    assert len(before) > 10  # the plan and every shard's manifest
    with pytest.raises(InputError, match="changed"):
        encode_corpus_ray(txt_inputs, tok_path, tmp_path / "r", append_eod=True, resume=True)
    encode_corpus_ray(txt_inputs, tok_path, tmp_path / "r", resume=True)
    encode_corpus(txt_inputs, tok_path, tmp_path / "l")
    same_files(tmp_path / "l", tmp_path / "r", ["_text_document.bin", "_text_document.idx"])
    assert not (tmp_path / "r.ray-parts").exists()


def _shard_task_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::_encode_shard"):
                pids.append(int(entry))
    return pids


def test_a_worker_killed_mid_run_changes_nothing(ray_cluster, tmp_path, tok_path):
    from zhtok.ray_engine import encode_corpus_ray

    src = tmp_path / "big.txt"
    src.write_text("\n".join(documents(12000, 6)) + "\n", encoding="utf-8")
    encode_corpus([src], tok_path, tmp_path / "local", append_eod=True)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["summary"] = encode_corpus_ray([src], tok_path, tmp_path / "ray", append_eod=True,
                                                   shard_bytes=150_000)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        for pid in _shard_task_pids():
            try:
                os.kill(pid, signal.SIGKILL)  # the worker dies while it encodes a shard
                killed = pid
                break
            except ProcessLookupError:
                pass
        time.sleep(0.005)
    thread.join(120)
    assert killed is not None, "no shard task was seen running"
    assert "error" not in outcome, outcome.get("error")
    same_files(tmp_path / "local", tmp_path / "ray", ["_text_document.bin", "_text_document.idx"])
    assert outcome["summary"].documents == 12000


@pytest.mark.parametrize("pretokenizer", ["segment", "regex"])
def test_train_vocab_same_vocabulary(ray_cluster, tmp_path, txt_inputs, pretokenizer):
    from zhtok.ray_engine import train_tokenizer_ray

    local, local_stats = train_tokenizer(txt_inputs, 900, tmp_path / "local.ztok", pretokenizer=pretokenizer)
    ray, ray_stats = train_tokenizer_ray(txt_inputs, 900, tmp_path / "ray.ztok", pretokenizer=pretokenizer,
                                         shard_bytes=5000)
    assert local._core.merges == ray._core.merges and local.vocab_size == ray.vocab_size
    assert (tmp_path / "local.ztok").read_bytes() == (tmp_path / "ray.ztok").read_bytes()
    assert (ray_stats.bytes, ray_stats.records) == (local_stats.bytes, local_stats.records)


def test_train_vocab_bad_records_at_the_file_lines(ray_cluster, tmp_path, jsonl_input):
    from zhtok.ray_engine import train_tokenizer_ray

    path, bad_lines = jsonl_input
    _, local_stats = train_tokenizer([path], 500, tmp_path / "l.ztok", pretokenizer="regex")
    _, ray_stats = train_tokenizer_ray([path], 500, tmp_path / "r.ztok", pretokenizer="regex", shard_bytes=2000)
    assert [b.line for b in ray_stats.bad] == bad_lines and ray_stats.bad == local_stats.bad
    assert (tmp_path / "l.ztok").read_bytes() == (tmp_path / "r.ztok").read_bytes()


# -- without a cluster ----------------------------------------------------------------------

def test_counts_merged_from_shards_equal_one_counter(txt_inputs):
    """The map/reduce the Ray engine does, in one process: serialized shard counts, merged."""
    whole = _core.PretokenCounter("regex")
    merged = _core.PretokenCounter("regex")
    for shard in plan_shards([str(p) for p in txt_inputs], 3000):
        part = _core.PretokenCounter("regex")
        texts = [t for _, _, _, t in shard.reader(["text"], "skip")]
        part.add(texts, 1)
        whole.add(texts, 2)
        merged.merge(part.serialize())
    for c in (whole, merged):
        c.finish(1)
    assert (merged.total, merged.distinct) == (whole.total, whole.distinct)
    a = whole.train(600, [], 1, "regex", None)
    b = merged.train(600, [], 1, "regex", None)
    assert a.merges == b.merges


def test_bad_serialized_counts_are_format_errors():
    counter = _core.PretokenCounter("regex")
    counter.add(["hello world 你好"], 1)
    blob = counter.serialize()
    target = _core.PretokenCounter("regex")
    for bad in (b"", b"garbage" * 10, blob[:-3], blob[:40] + bytes([blob[40] ^ 1]) + blob[41:]):
        with pytest.raises(FormatError, match="shard 7"):
            target.merge(bad, "shard 7")
    with pytest.raises(FormatError, match="other pre-tokenizer"):
        from zhtok.bpe import new_counter

        new_counter("segment")[0].merge(blob)
    assert target.distinct == 0 and target.total == 0  # nothing half-merged
    target.merge(blob)
    assert (target.total, target.distinct) == (counter.total, counter.distinct)


def test_byte_range_reader_numbers_lines_from_the_range(tmp_path):
    src = tmp_path / "r.txt"
    src.write_bytes(b"one\ntwo\nthree\nfour\n")
    reader = CorpusReader([src], byte_range=(4, 14))
    assert [(line, text) for _, line, _, text in reader] == [(1, "two"), (2, "three")]
    assert reader.stats.lines == 2 and reader.stats.bytes == 10
    with pytest.raises(InputError, match="not at a line start"):
        list(CorpusReader([src], byte_range=(4, 10)))
    with pytest.raises(ValueError):
        CorpusReader([src, src], byte_range=(0, 4))


def test_engine_ray_without_ray_says_how_to_install(tmp_path, tok_path):
    src = tmp_path / "a.txt"
    src.write_text("你好\n", encoding="utf-8")
    code = ("import sys; sys.modules['ray'] = None; from zhtok.cli import main; "
            f"sys.exit(main(['encode', {str(src)!r}, '--tokenizer', {str(tok_path)!r}, "
            f"'--output-prefix', {str(tmp_path / 'o')!r}, '--engine', 'ray']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert "pip install" in proc.stderr and "[ray]" in proc.stderr and "Traceback" not in proc.stderr


def test_bench_ray_sizing():
    from benchmarks.bench_ray import sizing

    s = sizing(5.0, corpus_bytes=5e12, hours=1.0)  # 1,388.9 MB/s over 5 MB/s per core
    assert s["cores"] == 278 and s["nodes"] == {"32": 9, "64": 5}
