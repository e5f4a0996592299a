"""Fuzzes segmentation model files: zhtok.Segmenter(model=path) on truncated and corrupted
model files, mostly re-signed (right size and checksum) so that the payload parser itself is
exercised; a model that loads is then used on a few sentences. Seeds: small perceptron and
unigram models trained on the spot (with ZHTOK_FUZZ_BIG=1 also vocab/pku.zseg, which is slow:
each input re-checksums 15 MB in Python).

    python fuzz/fuzz_seg_model.py -runs=20000

Checks: a bad file raises a zhtok error (FormatError) / ValueError / OSError; a model that
loads segments every str back to itself."""
import os

import atheris

from _common import (EXPECTED, HEADER, ROOT, SEG_MAGIC, main, mutate_model_file, raw_seed,
                     tiny_models, write, zhtok)

MODELS = tiny_models()
SEEDS = [MODELS["perceptron.zseg"], MODELS["unigram.zseg"]]
if os.environ.get("ZHTOK_FUZZ_BIG") == "1":
    SEEDS.append((ROOT / "vocab" / "pku.zseg").read_bytes())
SENTENCES = ["南京市长江大桥", "他从马上下来。研究生命的起源", "iPhone15发布了，３．５公里，一九九八年",
             "自然语言处理很有趣 我们喜欢", "\ud800中文\U0010ffff", "a" * 70 + "中" * 70, ""]


def use(seg: zhtok.Segmenter) -> None:
    for s in SENTENCES:
        assert "".join(seg.cut(s)) == s, s
        seg.tokenize(s)
        for words, _ in seg.nbest(s, 3):
            assert "".join(words) == s, s
        seg.ambiguities(s)
    seg.add_word("长江大桥", 3.0)
    seg.add_word("江大")
    seg.del_word("南京市")
    assert "".join(seg.cut(SENTENCES[0])) == SENTENCES[0]
    seg.nbest(SENTENCES[0], 4)
    seg.ambiguities(SENTENCES[0])


def TestOneInput(data: bytes) -> None:
    file = mutate_model_file(data, SEEDS, SEG_MAGIC)
    path = write("model.zseg", file)
    zhtok.segment._load_model.cache_clear()  # the same path holds a new file each time
    try:
        seg = zhtok.Segmenter(model=path)
    except EXPECTED:
        return
    use(seg)


if __name__ == "__main__":
    seeds = [bytes([m]) + bytes(16) for m in range(7)] + [raw_seed(s) for s in SEEDS[:2]]
    main("seg_model", TestOneInput, seeds=seeds)
