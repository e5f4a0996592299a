"""The zhtok command line, run as a user would."""
import os
import subprocess
import sys

import pytest

import zhtok
from zhtok.cli import main


def run(args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "zhtok", *args], input=stdin, capture_output=True)


def test_seg_stdin_to_stdout():
    r = run(["seg"], "南京市长江大桥\r\n\n研究生命的起源\n".encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n") == ["南京市 长江 大桥", "", "研究 生命 的 起源", ""]


def test_seg_fast_scores_words_by_frequency():
    r = run(["seg", "--fast"], "乒乓球拍卖完了\n".encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "乒乓球 拍卖 完了\n"  # the trained model: 乒乓球 拍卖 完 了


def test_seg_files_keep_order_and_delimiter(tmp_path):
    a, b, out = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "out.txt"
    a.write_text("\ufeff他从马上下来\n", encoding="utf-8")
    b.write_text("".join(f"第{i}行文本\n" for i in range(5000)), encoding="utf-8")
    assert main(["seg", str(a), str(b), "-o", str(out), "--delimiter", "/", "--threads", "2"]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "他/从/马上/下来" and len(lines) == 5002
    assert all(lines[i + 1].replace("/", "") == f"第{i}行文本" for i in range(5000))


def test_seg_invalid_utf8_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("好\n".encode() + b"ab\xffcd\n")
    r = run(["seg", str(bad)])
    assert r.returncode == 1
    assert f"{bad}:2: invalid UTF-8 at byte 2" in r.stderr.decode()
    r = run(["seg", str(bad), "--errors", "replace"])
    assert r.returncode == 0 and r.stdout.decode().split("\n")[1] == "ab \ufffd cd"
    assert f"{bad}:2" in r.stderr.decode()


def test_seg_user_dict(tmp_path):
    user = tmp_path / "u.txt"
    user.write_text("长江大桥\n", encoding="utf-8")
    r = run(["seg", "--user-dict", str(user)], "南京市长江大桥".encode())
    assert r.stdout.decode().strip() == "南京市 长江大桥"


def test_missing_input_is_an_error(tmp_path):
    r = run(["seg", str(tmp_path / "nope.txt")])
    assert r.returncode == 1 and "nope.txt" in r.stderr.decode()


def test_train_seg_then_seg(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text("我们  喜欢  自然语言处理\n\n", encoding="utf-8")
    model = tmp_path / "m.zseg"
    r = run(["train-seg", str(train), "-o", str(model)])
    assert r.returncode == 0 and model.exists()
    assert f"{train}:2: empty line; skipped" in r.stderr.decode()
    r = run(["seg", "--model", str(model)], "我们喜欢自然语言处理".encode())
    assert r.stdout.decode().strip() == "我们 喜欢 自然语言处理"
    r = run(["seg", "--model", str(model), "--new-word-bias", "-5"], "我们喜欢自然语言处理".encode())
    assert r.returncode == 0 and r.stdout.decode().strip() == "我们 喜欢 自然语言处理"
    r = run(["seg", "--fast", "--new-word-bias", "5"], "我们".encode())
    assert r.returncode == 1 and "no new words" in r.stderr.decode()
    r = run(["train-seg", str(train), "-o", str(model), "--new-word-bias", "2.5"])
    assert r.returncode == 0 and "new-word bias 2.5" in zhtok.Segmenter(model).model.info


def test_demo_runs_the_whole_pipeline_on_the_bundled_sample(tmp_path):
    r = run(["demo", "--out", str(tmp_path)])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "南京市 / 长江 / 大桥" in out and "ambiguous" in out
    assert "every document decodes to its line: True" in out
    assert (tmp_path / "sample_text_document.bin").exists() and (tmp_path / "sample.ztok").exists()


def test_export_agreement_samples_every_input(tmp_path):
    """The agreement train-vocab prints for a segment tokenizer's exports is taken over every
    input file: English files sort first and agree always, which hid the Chinese ones."""
    from zhtok.bpe import Tokenizer
    from zhtok.cli import _export_agreement

    (tmp_path / "en.txt").write_text("the quick brown fox\n" * 500, encoding="utf-8")
    (tmp_path / "zh.txt").write_text("他从马上下来\n" * 500, encoding="utf-8")
    tok = Tokenizer.default()
    assert _export_agreement(tok, [str(tmp_path / "en.txt")], ["text"], sample=100) == (100, 100)
    same, total = _export_agreement(tok, [str(tmp_path / "*.txt")], ["text"], sample=100)
    assert total == 100 and same == 50  # 50 English documents alike, 50 Chinese ones not
    regex_ids = Tokenizer(tok._core.with_regex_pretokenizer()).encode("他从马上下来")
    assert tok.encode("他从马上下来") != regex_ids


def test_train_vocab_then_encode(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(f'{{"text": "第{i}行：南京市长江大桥 hello world"}}\n' for i in range(200))
                      + "broken line\n", encoding="utf-8")
    tok = tmp_path / "t.ztok"
    r = run(["train-vocab", str(corpus), "--vocab-size", "400", "-o", str(tok), "--min-frequency", "1",
             "--export-hf", str(tmp_path / "hf"), "--export-tiktoken", str(tmp_path / "t.tiktoken")])
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert f"{corpus}:201: invalid JSON" in err and "agree with zhtok on" in err
    assert (tmp_path / "hf" / "tokenizer.json").exists() and (tmp_path / "t.tiktoken").exists()
    r = run(["encode", str(corpus), "--tokenizer", str(tok), "--output-prefix", str(tmp_path / "o" / "c"),
             "--append-eod", "--workers", "2"])
    assert r.returncode == 0, r.stderr
    assert "200 documents" in r.stderr.decode() and "1 records skipped" in r.stderr.decode()
    from zhtok.bpe import Tokenizer
    from zhtok.megatron import IndexedDataset

    assert len(IndexedDataset(tmp_path / "o" / "c_text_document")) == 200
    r = run(["encode", str(corpus), "--tokenizer", str(tok), "--output-prefix", str(tmp_path / "f" / "c"),
             "--fast-segmentation"])
    assert r.returncode == 0, r.stderr
    fast = Tokenizer.from_file(tok, fast_segmentation=True)
    ds = IndexedDataset(tmp_path / "f" / "c_text_document")
    assert [ds[i].tolist() for i in range(2)] == fast.encode_batch(["第0行：南京市长江大桥 hello world",
                                                                      "第1行：南京市长江大桥 hello world"])


@pytest.mark.parametrize("args", [["seg", "--threads", "x"], ["nope"], []])
def test_bad_arguments(args):
    assert run(args).returncode == 2


def test_seg_streams_a_long_line_in_pieces(tmp_path):
    # 2.6 MB on one line: segmented in pieces of about 1 MB cut after whitespace, which is always
    # a word boundary, so the output is the whole line's segmentation.
    from zhtok import Segmenter

    line = "研究生命的起源，南京市长江大桥。 " * 60000 + "结束"
    src, out = tmp_path / "long.txt", tmp_path / "out.txt"
    src.write_text(line + "\nnext 行\n", encoding="utf-8")
    assert main(["seg", str(src), "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[0] == " ".join(w for w in Segmenter().cut(line) if not w.isspace())
    assert lines[1:] == ["next 行", ""]


def test_bench_ray_has_no_readme_block():
    r = run(["bench", "ray", "--readme"])
    assert r.returncode == 2 and "no README block" in r.stderr.decode()


@pytest.mark.parametrize("preset", [None, "4"])
def test_cli_caps_malloc_arenas_unless_the_user_chose(monkeypatch, tmp_path, preset):
    from zhtok import _core

    calls = []
    monkeypatch.setattr(_core, "limit_malloc_arenas", lambda n: calls.append(n) or True)
    if preset is None:
        monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    else:
        monkeypatch.setenv("MALLOC_ARENA_MAX", preset)
    text = tmp_path / "in.txt"
    text.write_text("南京市长江大桥\n", encoding="utf-8")
    assert main(["seg", str(text), "-o", str(tmp_path / "out.txt")]) == 0
    assert calls == ([1] if preset is None else [])


def test_limit_malloc_arenas_applies_under_glibc():
    import platform

    code = "from zhtok import _core; print(_core.limit_malloc_arenas(1))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    if os.environ.get("LD_PRELOAD"):  # an allocator put in front of glibc's (ASan) may refuse
        assert r.stdout.strip() in ("True", "False")
    else:
        assert r.stdout.strip() == str(platform.libc_ver()[0] == "glibc")
