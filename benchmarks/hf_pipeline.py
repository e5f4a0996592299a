"""The HF side of bench_encode's end-to-end comparison, in a module of its own so that the timed
process imports only what the pipeline needs: ``python -m benchmarks.hf_pipeline IN.jsonl
TOKENIZER_JSON PREFIX``."""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence

HF_BATCH_BYTES = 4 << 20  # text per encode_batch call


def main(argv: Sequence[str]) -> int:
    """``IN.jsonl TOKENIZER_JSON PREFIX``: the HF side of the end-to-end comparison. Reads the
    jsonl, encodes the "text" of each line with HF ``encode_batch`` in batches of ~4 MB of text
    and writes PREFIX.bin/.idx (Megatron) through numpy and IndexedDatasetWriter."""
    import numpy as np
    from tokenizers import Tokenizer

    from zhtok.megatron import IndexedDatasetWriter, dtype_for_vocab

    source, tokenizer, prefix = argv
    tok = Tokenizer.from_file(tokenizer)
    dtype = dtype_for_vocab(tok.get_vocab_size(with_added_tokens=True))

    def flush(batch: list[str], writer: IndexedDatasetWriter) -> None:
        for encoding in tok.encode_batch(batch, add_special_tokens=False):
            writer.add_document(np.asarray(encoding.ids, dtype=dtype))

    with IndexedDatasetWriter(prefix, dtype) as writer, open(source, encoding="utf-8") as f:
        batch: list[str] = []
        size = 0
        for line in f:
            if not line.strip():
                continue
            text = json.loads(line)["text"]
            batch.append(text)
            size += len(text)
            if size >= HF_BATCH_BYTES:
                flush(batch, writer)
                batch, size = [], 0
        if batch:
            flush(batch, writer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
