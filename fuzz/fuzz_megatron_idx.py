"""Fuzzes the Megatron index reader: zhtok.megatron.IndexedDataset on corrupted and truncated
.idx/.bin pairs (the golden files of tests/golden/megatron and pairs written on the spot,
mutated; or headers with chosen counts and dtype codes); a dataset that opens is read whole.

    python fuzz/fuzz_megatron_idx.py -runs=50000

Checks: a bad pair raises FormatError / ValueError / OSError (FileNotFoundError) when opened,
and every sequence of a dataset that opens reads without error (or with FormatError naming
the sequence), as an array of the dataset's dtype."""
import os
import struct

import atheris
import numpy as np

from _common import EXPECTED, ROOT, main, mutate, scratch, zhtok

GOLDEN = ROOT / "tests" / "golden" / "megatron"
PAIRS = [((GOLDEN / f"{n}.idx").read_bytes(), (GOLDEN / f"{n}.bin").read_bytes()) for n in ("uint16", "int32")]
prefix = scratch("written")
with zhtok.megatron.IndexedDatasetWriter(prefix, np.int64) as w:
    for doc in ([], [1, 2, 3], [2**40], [0] * 9):
        w.add_document(doc)
PAIRS.append((open(prefix + ".idx", "rb").read(), open(prefix + ".bin", "rb").read()))
PREFIX = scratch("ds")


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 3)
    idx, bin_ = PAIRS[fdp.ConsumeIntInRange(0, len(PAIRS) - 1)]
    if mode == 0:  # a header of the fuzzer's counts and code, then the fuzzer's bytes
        n, d = fdp.ConsumeIntInRange(0, 2**64 - 1) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(0, 6), fdp.ConsumeIntInRange(0, 8)
        idx = struct.pack("<9sQBQQ", b"MMIDIDX\x00\x00", fdp.ConsumeIntInRange(0, 2), fdp.ConsumeIntInRange(0, 9), n, d)
        idx += fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 200))
        bin_ = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    elif mode == 1:
        idx = mutate(fdp, idx)
    elif mode == 2:
        bin_ = mutate(fdp, bin_)
    else:
        idx, bin_ = mutate(fdp, idx), mutate(fdp, bin_)
    with open(PREFIX + ".idx", "wb") as f:
        f.write(idx)
    if fdp.ConsumeIntInRange(0, 15):
        with open(PREFIX + ".bin", "wb") as f:
            f.write(bin_)
    elif os.path.exists(PREFIX + ".bin"):  # a missing .bin
        os.remove(PREFIX + ".bin")
    try:
        ds = zhtok.megatron.IndexedDataset(PREFIX)
    except EXPECTED:
        return
    repr(ds)
    assert len(ds) == len(ds.sequence_lengths) == len(ds.sequence_pointers)
    for i in range(min(len(ds), 1000)):
        try:
            seq = ds[i]
        except zhtok.FormatError:
            continue
        assert seq.dtype == ds.dtype and seq.size == ds.sequence_lengths[i], (i, seq)
    if len(ds):
        ds[-1]
        try:
            ds[len(ds)]
        except IndexError:
            pass
        else:
            raise AssertionError("read past the last sequence")


if __name__ == "__main__":
    main("megatron_idx", TestOneInput, seeds=[b"", bytes(range(64))])
