"""Fuzzes encoding and decoding: Tokenizer.default() (segment pre-tokenizer) and a small regex
tokenizer; encode / encode_with_offsets / encode_batch / encode_to_numpy on arbitrary str (lone
surrogates and special-token text included), decode / decode_bytes / id_to_token on arbitrary
ids.

    python fuzz/fuzz_tokenizer.py -runs=20000

Checks: decode(encode(x)) == x for every str, with or without allow_special; the offsets'
ids are encode's ids and their character spans are in order and cover the text; batch and
numpy encodings equal one-by-one encoding; an id out of range raises, never reads outside the
vocabulary."""
import atheris

from _common import EXPECTED, main, text_from, tiny_models, write, zhtok

DEFAULT = zhtok.bpe.Tokenizer.default()
REGEX = zhtok.bpe.Tokenizer.from_file(write("fuzz_regex.ztok", tiny_models()["regex.ztok"]))


def check_text(tok: zhtok.bpe.Tokenizer, text: str, allow_special: bool) -> None:
    ids = tok.encode(text, allow_special=allow_special)
    assert tok.decode(ids) == text, (text, ids)
    assert tok.decode_bytes(ids) == text.encode("utf-8", "surrogatepass")
    if not allow_special:
        assert all(i < tok.vocab_size - len(tok.special_tokens) for i in ids), ids
    offs = tok.encode_with_offsets(text, allow_special=allow_special)
    assert [i for i, _, _ in offs] == ids, (text, offs, ids)
    prev_start = prev_end = 0
    for _, start, end in offs:
        assert 0 <= start <= end <= len(text) and start >= prev_start and end >= prev_end, (text, offs)
        assert start <= prev_end, ("gap in offsets", text, offs)
        prev_start, prev_end = start, end
    assert prev_end == len(text), (text, offs)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    tok = DEFAULT if fdp.ConsumeIntInRange(0, 3) else REGEX
    kind = fdp.ConsumeIntInRange(0, 5)
    if kind <= 2:
        check_text(tok, text_from(fdp), fdp.ConsumeBool())
    elif kind == 3:
        texts = [text_from(fdp, 60) for _ in range(fdp.ConsumeIntInRange(0, 6))]
        allow = fdp.ConsumeBool()
        threads = fdp.ConsumeIntInRange(0, 2)
        single = [tok.encode(t, allow_special=allow) for t in texts]
        assert tok.encode_batch(texts, threads=threads, allow_special=allow) == single
        flat, lengths = tok.encode_to_numpy(texts, threads=threads, allow_special=allow)
        assert lengths.tolist() == [len(s) for s in single]
        assert flat.tolist() == [i for s in single for i in s]
    else:
        n = tok.vocab_size
        ids = []
        for _ in range(fdp.ConsumeIntInRange(0, 20)):
            pick = fdp.ConsumeIntInRange(0, 5)
            ids.append(fdp.ConsumeIntInRange(0, n - 1) if pick <= 2 else
                       n + fdp.ConsumeIntInRange(0, 3) if pick == 3 else
                       fdp.ConsumeIntInRange(-2, 2**33) if pick == 4 else 2**32 - 1)
        in_range = all(0 <= i < n for i in ids)
        try:
            text = tok.decode(ids)
            raw = tok.decode_bytes(ids)
            for i in ids[:5]:
                tok.id_to_token(i)
        except (TypeError, *EXPECTED):  # TypeError: pybind11 refuses ints outside uint32
            assert not in_range, ids
            return
        assert in_range, ("decoded ids outside the vocabulary", ids)
        assert raw == b"".join(tok.id_to_token(i) for i in ids)
        assert isinstance(text, str)


if __name__ == "__main__":
    main("tokenizer", TestOneInput, seeds=[b"", "大语言模型的训练语料".encode(), bytes(range(256))])
