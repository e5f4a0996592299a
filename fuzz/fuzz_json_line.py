"""Fuzzes the core's reading of corpus lines (csrc/io/json_line.cc, corpus_line.cc, through
_core.parse_json_line and zhtok encode's encoded_batches) on random .jsonl and .txt files: JSON
objects with odd strings (lone surrogates, escapes, control characters), mutated a few bytes at a
time, JSON grammar pieces and arbitrary bytes, with random line ends, BOMs, block sizes, batch
sizes, chunk sizes, line limits, keys and thread counts.

    python fuzz/fuzz_json_line.py -runs=20000

Checks: the documents (their ids, per key, in order), bad records and counts are those of the
Python reader (CorpusReader: bytes.decode, json.loads) whenever Python can parse the file at all
(it raises RecursionError on deep nesting and ValueError on ints of over 4300 digits, where the
core reports a bad record or reads a valid line); parse_json_line never crashes."""
import json

import atheris

from _common import bytes_from, main, mutate, text_from, tiny_models, write, zhtok

import zhtok.corpus  # noqa: E402
import zhtok.encode  # noqa: E402

REGEX = zhtok.bpe.Tokenizer.from_file(write("fuzz_regex.ztok", tiny_models()["regex.ztok"]))
KEYS = ["text", "title", "\ud800", "t"]
GRAMMAR = ['"', "\\", "\\u", "\\ud800", "\\udc00", "{", "}", "[", "]", ",", ":", " ", "\t", "\r", "-", "0", "1",
           ".", "e", "+", "NaN", "Infinity", "null", "true", '"text"', '"title"', "\ufeff", "\u3000", "\x00"]
LINE_ENDS = [b"\n", b"\r\n", b"\r", b"\n\n", b""]


def line_from(fdp: atheris.FuzzedDataProvider) -> bytes:
    kind = fdp.ConsumeIntInRange(0, 9)
    if kind <= 5:
        obj = {KEYS[fdp.ConsumeIntInRange(0, len(KEYS) - 1)]: text_from(fdp, 40) if fdp.ConsumeIntInRange(0, 4)
               else fdp.ConsumeIntInRange(-5, 5) for _ in range(fdp.ConsumeIntInRange(0, 3))}
        line = json.dumps(obj, ensure_ascii=fdp.ConsumeBool()).encode("utf-8", "surrogatepass")
        return mutate(fdp, line, 3) if kind >= 4 else line
    if kind <= 7:
        return "".join(GRAMMAR[fdp.ConsumeIntInRange(0, len(GRAMMAR) - 1)]
                       for _ in range(fdp.ConsumeIntInRange(0, 12))).encode("utf-8", "surrogatepass")
    return bytes_from(fdp, 60).replace(b"\n", b" ")


def python_ids(reader, keys) -> "dict | None":
    """Ids per key and the reader's stats, read the Python way; None where Python cannot say."""
    out = {k: ([], []) for k in keys}
    try:
        for _, _, key, text in reader:
            ids = REGEX.encode(text)
            out[key][0].extend(ids)
            out[key][1].append(len(ids))
    except (RecursionError, ValueError) as e:
        if isinstance(e, zhtok.errors.ZhtokError):
            raise
        return None
    return out


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    lines = [line_from(fdp) for _ in range(fdp.ConsumeIntInRange(0, 10))]
    for line in lines[:3]:
        zhtok._core.parse_json_line(line, KEYS)
    raw = (b"\xef\xbb\xbf" if fdp.ConsumeBool() else b"") + b"".join(
        line + LINE_ENDS[fdp.ConsumeIntInRange(0, len(LINE_ENDS) - 1)] for line in lines)
    jsonl = fdp.ConsumeIntInRange(0, 4) > 0
    path = write("lines.jsonl" if jsonl else "lines.txt", raw)
    keys = sorted({KEYS[fdp.ConsumeIntInRange(0, len(KEYS) - 1)] for _ in range(fdp.ConsumeIntInRange(1, 3))})
    if not jsonl:
        keys = ["text"]
    limit = fdp.ConsumeIntInRange(1, 200)
    zhtok.corpus._BLOCK = fdp.ConsumeIntInRange(2, 64)
    zhtok.encode._CHUNK_BYTES = fdp.ConsumeIntInRange(1, 100)
    batch_bytes, threads = fdp.ConsumeIntInRange(1, 500), fdp.ConsumeIntInRange(1, 2)

    python = zhtok.corpus.CorpusReader([path], keys, max_line_bytes=limit)
    expected = python_ids(python, keys)
    core = zhtok.corpus.CorpusReader([path], keys, max_line_bytes=limit)
    got = {k: ([], []) for k in keys}
    for docs, _ in zhtok.encode.encoded_batches(core, REGEX, keys, None, threads, batch_bytes):
        for key, (ids, lengths) in docs.items():
            got[key][0].extend(ids.tolist())
            got[key][1].extend(lengths.tolist())
    if expected is None:  # Python could not read the file; the core read it without a crash
        return
    assert got == expected, (raw, keys)
    assert core.stats == python.stats, (raw, keys, core.stats, python.stats)


if __name__ == "__main__":
    main("json_line", TestOneInput, seeds=[b"", b'{"text": "\\ud800"}\n[1]\n' * 4, bytes(range(256))])
