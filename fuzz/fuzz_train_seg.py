"""Fuzzes the segmentation trainers: zhtok.train_segmenter (perceptron and unigram) on small
random segmented corpora (words separated by any kind of space, CRLF, BOMs, empty lines,
invalid UTF-8), with random epochs, folds, minimum feature counts and dev files; the trained
model is then loaded and used.

    python fuzz/fuzz_train_seg.py -runs=5000

Checks: bad lines are skipped and reported (or raise FormatError with on_error="fail"); the
model written loads, and cuts every str back to itself."""
import atheris

from _common import EXPECTED, POOL, bytes_from, main, scratch, text_from, write, zhtok

SEPS = [" ", "  ", "\t", "\u3000", "\u00a0"]


def segmented(fdp: atheris.FuzzedDataProvider, name: str) -> tuple[str, list[str]]:
    lines = []
    for _ in range(fdp.ConsumeIntInRange(0, 10)):
        if fdp.ConsumeIntInRange(0, 7) == 0:
            lines.append(text_from(fdp, 30))
            continue
        words = ["".join(POOL[fdp.ConsumeIntInRange(0, len(POOL) - 1)] for _ in range(fdp.ConsumeIntInRange(1, 3)))
                 for _ in range(fdp.ConsumeIntInRange(0, 8))]
        lines.append(SEPS[fdp.ConsumeIntInRange(0, len(SEPS) - 1)].join(words))
    data = ("\r\n" if fdp.ConsumeBool() else "\n").join(lines).encode("utf-8", "surrogatepass")
    if fdp.ConsumeIntInRange(0, 5) == 0:
        data = b"\xef\xbb\xbf" + data
    if fdp.ConsumeIntInRange(0, 5) == 0:
        data += b"\n" + bytes_from(fdp, 40)
    return write(name, data), lines


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    train, lines = segmented(fdp, "train.txt")
    dev = [segmented(fdp, "dev.txt")[0]] if fdp.ConsumeIntInRange(0, 3) == 0 else []
    kind = "unigram" if fdp.ConsumeBool() else "perceptron"
    out = scratch("trained.zseg")
    try:
        if kind == "unigram":
            zhtok.train_segmenter([train], out, kind="unigram", on_error="fail" if fdp.ConsumeIntInRange(0, 4) == 0 else "skip")
        else:
            zhtok.train_segmenter([train], out, epochs=fdp.ConsumeIntInRange(0, 3), dev=dev,
                                  on_error="fail" if fdp.ConsumeIntInRange(0, 4) == 0 else "skip",
                                  folds=fdp.ConsumeIntInRange(0, 4), min_feature_count=fdp.ConsumeIntInRange(0, 3),
                                  on_epoch=(lambda info: None) if fdp.ConsumeBool() else None)
    except EXPECTED:
        return
    zhtok.segment._load_model.cache_clear()  # the same path holds a new model each time
    seg = zhtok.Segmenter(model=out)
    for line in lines[:3] + [text_from(fdp, 60)]:
        text = "".join(line.split())
        assert "".join(seg.cut(line)) == line
        assert "".join(seg.cut(text)) == text
        if len(text) < 100:
            seg.nbest(text, 3)
            seg.ambiguities(text)


if __name__ == "__main__":
    main("train_seg", TestOneInput, seeds=[b"", "我们  喜欢\n自然语言处理  很  有趣".encode() * 3])
