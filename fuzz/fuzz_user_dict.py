"""Fuzzes user dictionaries: Segmenter.load_user_dict and Segmenter(user_dict=...) on random
files (lines of 'word [freq [tag]]' with odd words, frequencies, spaces, line ends, BOMs,
comments and invalid UTF-8, or arbitrary bytes), then segments text made of those words.

    python fuzz/fuzz_user_dict.py -runs=20000

Checks: a bad file raises a zhtok error (FormatError naming the line) and changes nothing (all
or nothing); a loaded dictionary keeps "".join(cut(x)) == x."""
import atheris

from _common import EXPECTED, POOL, main, scratch, text_from, tiny_models, write, zhtok

UNIGRAM_MODEL = write("fuzz_unigram.zseg", tiny_models()["unigram.zseg"])
FREQS = ["1", "0", "5", "-1", "1e39", "3e38", "3.4e38", "nan", "inf", "-0", "0x10", "1.5", "1e-50",
         "abc", "１", "+3", "1_000", " ", "", "00000000000000000000001", "9" * 400]
SEPS = [" ", "\t", "  ", "\u3000", "\u00a0", " \t "]
ENDS = ["\n", "\r\n", "\r", "", "\n\n"]


def dict_file(fdp: atheris.FuzzedDataProvider) -> tuple[bytes, list[str]]:
    if fdp.ConsumeIntInRange(0, 7) == 0:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400)), []
    words, lines = [], []
    for _ in range(fdp.ConsumeIntInRange(0, 12)):
        kind = fdp.ConsumeIntInRange(0, 9)
        word = text_from(fdp, 10) if kind < 3 else "".join(
            POOL[fdp.ConsumeIntInRange(0, len(POOL) - 1)] for _ in range(fdp.ConsumeIntInRange(1, 4)))
        if kind == 9:
            word = "#" + word
        fields = [word]
        for _ in range(fdp.ConsumeIntInRange(0, 3)):
            fields.append(FREQS[fdp.ConsumeIntInRange(0, len(FREQS) - 1)] if len(fields) == 1 else "n")
        sep = SEPS[fdp.ConsumeIntInRange(0, len(SEPS) - 1)]
        lines.append(sep.join(fields) + ENDS[fdp.ConsumeIntInRange(0, len(ENDS) - 1)])
        words.append(word)
    data = bytearray("".join(lines).encode("utf-8", "surrogatepass"))
    if fdp.ConsumeBool():
        data[0:0] = b"\xef\xbb\xbf"
    for _ in range(fdp.ConsumeIntInRange(0, 2) if fdp.ConsumeBool() else 0):
        if data:
            data[fdp.ConsumeIntInRange(0, len(data) - 1)] = fdp.ConsumeIntInRange(0, 255)
    return bytes(data), words


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    content, words = dict_file(fdp)
    path = write("user.txt", content)
    model = UNIGRAM_MODEL if fdp.ConsumeBool() else None
    seg = zhtok.Segmenter(model=model)
    probe = "".join(words[i % len(words)] + POOL[fdp.ConsumeIntInRange(0, len(POOL) - 1)]
                    for i in range(fdp.ConsumeIntInRange(0, 8))) if words else text_from(fdp, 40)
    before = seg.cut(probe)
    try:
        if fdp.ConsumeBool():
            seg.load_user_dict(path)
        else:
            seg = zhtok.Segmenter(model=model, user_dict=path)
    except EXPECTED:
        assert seg.cut(probe) == before, "a rejected dictionary changed the segmenter"
        return
    words_ = seg.cut(probe)
    assert "".join(words_) == probe, (probe, words_)
    if len(probe) <= 200:
        for ws, _ in seg.nbest(probe, 3):
            assert "".join(ws) == probe
        seg.ambiguities(probe)


def missing_and_odd_paths() -> None:
    seg = zhtok.Segmenter()
    for path in (scratch("does-not-exist.txt"), scratch(""), "/", "/dev/null"):
        try:
            seg.load_user_dict(path)
        except EXPECTED:
            pass


if __name__ == "__main__":
    missing_and_odd_paths()
    main("user_dict", TestOneInput, seeds=[b"", b"\x01" * 64, "南京市 5\n长江大桥\n".encode()])
