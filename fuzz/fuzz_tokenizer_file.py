"""Fuzzes tokenizer files: zhtok.Tokenizer.from_file on truncated and corrupted files, mostly
re-signed (right size and checksum) so that the parser itself is exercised, including the
segmentation model embedded in a segment tokenizer (re-signed inside too); a tokenizer that
loads is then used. Seeds: small regex and segment tokenizers trained on the spot.

    python fuzz/fuzz_tokenizer_file.py -runs=20000

Checks: a bad file raises a zhtok error / ValueError / OSError, in bounded time and memory; a
tokenizer that loads round-trips text and decodes every id it has."""
import struct

import atheris

from _common import (EXPECTED, SEG_MAGIC, TOK_MAGIC, frame, main, mutate, mutate_fields,
                     mutate_model_file, raw_seed, seg_layout, split_model, tiny_models, tok_layout, write, zhtok)

MODELS = tiny_models()
SEEDS = [MODELS["regex.ztok"], MODELS["segment.ztok"], MODELS["segment_perceptron.ztok"]]
EMBEDDING = SEEDS[1:]
TEXTS = ["南京市长江大桥", "hello world 12345 it's", "<|endoftext|>大语言模型<|endoftext|>", "\ud800x\U0010ffff", ""]


def embedded_mutation(data: bytes) -> bytes:
    """A segment tokenizer with its embedded model mutated (its fields or bytes) and re-signed,
    and the tokenizer re-signed around it: the embedded model's parser, behind two checksums."""
    fdp = atheris.FuzzedDataProvider(data)
    _, version, payload = split_model(EMBEDDING[fdp.ConsumeIntInRange(0, len(EMBEDDING) - 1)])
    _, a, b = tok_layout(payload)
    seg = payload[a:b]
    _, seg_version, seg_payload = split_model(seg)
    how = fdp.ConsumeIntInRange(0, 3)
    if how <= 1:
        seg = frame(SEG_MAGIC, mutate_fields(fdp, seg_payload, seg_layout(seg_payload)), seg_version)
    elif how == 2:
        seg = frame(SEG_MAGIC, mutate(fdp, seg_payload), seg_version)
    else:
        seg = mutate(fdp, seg)
    payload = payload[:a - 8] + struct.pack("<Q", len(seg)) + seg
    return frame(TOK_MAGIC, payload, version)


def TestOneInput(data: bytes) -> None:
    if data[:1] == b"\x08":
        file = embedded_mutation(data[1:])
    else:
        file = mutate_model_file(data, SEEDS, TOK_MAGIC)
    path = write("tok.ztok", file)
    try:
        tok = zhtok.bpe.Tokenizer.from_file(path)
    except EXPECTED:
        return
    for text in TEXTS:
        for allow in (False, True):
            ids = tok.encode(text, allow_special=allow)
            assert tok.decode(ids) == text, (text, ids)
            assert [i for i, _, _ in tok.encode_with_offsets(text, allow_special=allow)] == ids
    n = tok.vocab_size
    every = list(range(min(n, 5000)))
    assert tok.decode_bytes(every) == b"".join(tok.id_to_token(i) for i in every)
    try:
        tok.decode([n])
    except EXPECTED:
        pass
    else:
        raise AssertionError(f"decoded id {n} of a vocabulary of {n}")


if __name__ == "__main__":
    seeds = [bytes([m]) + bytes(16) for m in range(7)] + [raw_seed(s) for s in SEEDS] + [b"\x08" + bytes(16)]
    main("tokenizer_file", TestOneInput, seeds=seeds)
