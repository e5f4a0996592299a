"""Fuzzes segmentation of arbitrary text: Segmenter.cut / tokenize / nbest / ambiguities /
cut_batch on str (lone surrogates included) and bytes (strict and errors="replace"), with the
shipped model and a small unigram model, after random add_word / del_word calls.

    python fuzz/fuzz_segment.py -runs=20000

Checks, besides no crash, hang or sanitizer report: a bad input raises a zhtok error or
ValueError only; "".join(cut(x)) == x for every str; tokenize's offsets are the words'
character offsets; nbest's readings each cover the text, best first."""
import atheris

from _common import EXPECTED, bytes_from, main, text_from, tiny_models, write, zhtok

DEFAULT = zhtok.Segmenter()
UNIGRAM = zhtok.Segmenter(model=write("fuzz_unigram.zseg", tiny_models()["unigram.zseg"]))


def check_str(seg: zhtok.Segmenter, text: str, fdp: atheris.FuzzedDataProvider) -> None:
    words = seg.cut(text)
    assert "".join(words) == text, (text, words)
    tokens = seg.tokenize(text)
    assert [w for w, _, _ in tokens] == words
    at = 0
    for w, start, end in tokens:
        assert start == at and end - start == len(w) and text[start:end] == w, (text, tokens)
        at = end
    assert at == len(text)
    if len(text) <= 300:  # the lattice of nbest and ambiguities is not windowed
        k = fdp.ConsumeIntInRange(0, 6)
        best = seg.nbest(text, k)
        assert len(best) <= max(k, 1)
        for words_, score in best:
            assert "".join(words_) == text, (text, best)
        scores = [score for _, score in best]
        assert scores == sorted(scores, reverse=True), best
        margin = fdp.ConsumeProbability() * 20 if fdp.ConsumeBool() else fdp.ConsumeRegularFloat()
        for a in seg.ambiguities(text, margin=margin, max_alternatives=fdp.ConsumeIntInRange(2, 6)):
            assert 0 <= a.start < a.end <= len(text) and a.text == text[a.start:a.end]
            for words_, _ in a.alternatives:
                assert "".join(words_) == a.text, (text, a)


def change_dict(seg: zhtok.Segmenter, fdp: atheris.FuzzedDataProvider) -> None:
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        word = text_from(fdp, 12)
        try:
            if fdp.ConsumeBool():
                freq = None if fdp.ConsumeBool() else fdp.ConsumeRegularFloat()
                seg.add_word(word, freq)
            else:
                seg.del_word(word)
        except EXPECTED:
            pass


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    model = fdp.ConsumeIntInRange(0, 3)
    seg = DEFAULT if model == 0 else UNIGRAM if model == 1 else zhtok.Segmenter()
    if model >= 2:  # a Segmenter of its own, with user words (the shared ones stay unchanged)
        change_dict(seg, fdp)
    kind = fdp.ConsumeIntInRange(0, 3)
    if kind <= 1:
        check_str(seg, text_from(fdp), fdp)
    elif kind == 2:
        raw = bytes_from(fdp)
        errors = "replace" if fdp.ConsumeBool() else "strict"
        try:
            words = seg.cut(raw, errors=errors)
            seg.tokenize(raw, errors=errors)
            seg.nbest(raw, fdp.ConsumeIntInRange(1, 4), errors=errors)
        except EXPECTED:
            assert errors == "strict", raw
            return
        if errors == "strict":
            assert "".join(words) == raw.decode("utf-8"), (raw, words)
    else:
        texts = [text_from(fdp, 60) if fdp.ConsumeBool() else bytes_from(fdp, 60)
                 for _ in range(fdp.ConsumeIntInRange(0, 6))]
        try:
            out = seg.cut_batch(texts, threads=fdp.ConsumeIntInRange(1, 2), errors="replace")
        except EXPECTED:
            return
        assert len(out) == len(texts)
        for t, words in zip(texts, out):
            if isinstance(t, str):
                assert "".join(words) == t


if __name__ == "__main__":
    main("segment", TestOneInput, seeds=[b"", "南京市长江大桥".encode(), bytes(range(256))])
