"""Fuzzes the vocabulary trainer: zhtok.bpe.train_tokenizer on small random corpora (.txt, .jsonl,
.txt.gz; odd text, invalid UTF-8, bad JSON records), with random vocabulary sizes, special
tokens, minimum frequencies, thread counts and pre-tokenizers (segment with a small unigram
model and, now and then, the shipped one; regex).

    python fuzz/fuzz_train_vocab.py -runs=5000

Checks: bad options or records raise a zhtok error / ValueError (or are reported as bad
records); the trained tokenizer has at most vocab_size ids, round-trips every good line, and
saves and loads to the same merges."""
import gzip
import json

import atheris

from _common import EXPECTED, bytes_from, main, scratch, text_from, tiny_models, write, zhtok

UNIGRAM_MODEL = write("fuzz_unigram.zseg", tiny_models()["unigram.zseg"])
SPECIALS = ["<|endoftext|>", "<pad>", "", "<|endoftext|>", "中", "a", "\ud800", " "]


def corpus(fdp: atheris.FuzzedDataProvider) -> tuple[str, list[str]]:
    fmt = fdp.ConsumeIntInRange(0, 3)
    lines = [text_from(fdp, 80) for _ in range(fdp.ConsumeIntInRange(0, 12))]
    if fmt == 1:  # jsonl, now and then with a bad record
        recs = []
        for line in lines:
            pick = fdp.ConsumeIntInRange(0, 9)
            recs.append(json.dumps({"text": line}) if pick <= 6 else json.dumps({"text": 5}) if pick == 7
                        else "{not json" if pick == 8 else json.dumps({"other": line}))
        data = "\n".join(recs).encode("utf-8", "surrogatepass")
        name = "corpus.jsonl"
    else:
        data = "\n".join(l.replace("\n", " ").replace("\r", " ") for l in lines).encode("utf-8", "surrogatepass")
        if fmt == 3:
            data += b"\n" + bytes_from(fdp, 80)
        name = "corpus.txt"
    if fmt == 2:
        data, name = gzip.compress(data, mtime=0), "corpus.txt.gz"
    return write(name, data), lines


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    path, lines = corpus(fdp)
    pre = fdp.ConsumeIntInRange(0, 15)
    pretokenizer = "regex" if pre < 6 else "segment"
    seg_model = None if pre == 15 else UNIGRAM_MODEL  # None: the shipped model (slow to load)
    specials = [SPECIALS[fdp.ConsumeIntInRange(0, len(SPECIALS) - 1)] for _ in range(fdp.ConsumeIntInRange(0, 2))]
    vocab_size = 300 if fdp.ConsumeBool() else fdp.ConsumeIntInRange(250, 420)
    try:
        tok, stats = zhtok.bpe.train_tokenizer(
            [path], vocab_size, pretokenizer=pretokenizer, seg_model=seg_model, special_tokens=specials,
            min_frequency=fdp.ConsumeIntInRange(0, 3), threads=fdp.ConsumeIntInRange(1, 2),
            on_error="fail" if fdp.ConsumeIntInRange(0, 5) == 0 else "skip",
            batch_bytes=fdp.ConsumeIntInRange(1, 1 << 16))
    except EXPECTED:
        return
    assert tok.vocab_size <= vocab_size, (tok.vocab_size, vocab_size)
    for line in lines[:4]:
        if "\n" not in line and "\r" not in line:
            assert tok.decode(tok.encode(line)) == line, line
    out = scratch("trained.ztok")
    tok.save(out)
    again = zhtok.bpe.Tokenizer.from_file(out)
    assert again._core.merges == tok._core.merges and again.special_tokens == tok.special_tokens


if __name__ == "__main__":
    main("train_vocab", TestOneInput, seeds=[b"", "南京市长江大桥\nhello world".encode() * 4])
