"""Choosing a segmentation training option on held-out data rather than on a test set.

Trains ``zhtok.train_segmenter`` on the first nine tenths of a segmented corpus (default
DATA/cws/pku/train.txt) once for each value of one option and scores the last tenth: F1, and
recall of the held-out words the nine tenths lack (OOV) and of the others (IV). With
``--unlabeled`` the models also learn words from DATA/text's Chinese and mixed raw text, the
raw lines that share text with the held-out tenth or the bakeoff tests left out, as the shipped
model does. This is how vocab/README.md's epoch count, bigram weight and new-word bias were
chosen::

    python -m benchmarks.seg_heldout --option new_word_bias --values 0,2.5,5,7.5,10,15,20 --unlabeled
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zhtok
from benchmarks._util import DEFAULT_DATA_DIR, comma_list, log, read_source, split_lines
from benchmarks.cws_score import score

# train_segmenter's options that a sweep may vary, with the type of their values.
OPTIONS = {"epochs": int, "folds": int, "min_feature_count": int, "bigram_weight": float,
           "new_word_bias": float, "min_unlabeled_count": int}
BAKEOFF = ("pku", "msr", "cityu", "as")


def split_heldout(corpus: str | Path, work_dir: Path, tenths: int = 9) -> dict[str, Path]:
    """Writes the corpus's first ``tenths`` tenths of sentences (blank lines dropped) as the
    training file, the rest as gold and as raw text, and the training part's words; returns
    their paths."""
    text, _ = read_source(Path(corpus), "corpus")
    lines = [line for line in split_lines(text) if line.strip()]
    cut = len(lines) * tenths // 10
    if cut == 0 or cut == len(lines):
        raise ValueError(f"{corpus}: {len(lines)} sentences are too few to hold a tenth out")
    paths = {name: work_dir / f"{name}.txt" for name in ("train", "gold", "raw", "train_words")}
    paths["train"].write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    paths["gold"].write_text("\n".join(lines[cut:]) + "\n", encoding="utf-8")
    paths["raw"].write_text("\n".join("".join(line.split()) for line in lines[cut:]) + "\n", encoding="utf-8")
    words = sorted({w for line in lines[:cut] for w in line.split()})
    paths["train_words"].write_text("\n".join(words) + "\n", encoding="utf-8")
    return paths


def sweep(option: str, values: Sequence[Any], corpus: str | Path, work_dir: Path,
          unlabeled: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One row per value: the option's value and the held-out precision, recall, F1, OOV and IV
    recall (in %), and the number of held-out OOV words."""
    if option not in OPTIONS:
        raise ValueError(f"unknown option {option!r}; one of {', '.join(OPTIONS)}")
    paths = split_heldout(corpus, work_dir)
    raw_lines = split_lines(paths["raw"].read_text(encoding="utf-8"))
    rows = []
    for value in map(OPTIONS[option], values):
        model = work_dir / f"{option}-{value}.zseg"
        zhtok.train_segmenter([paths["train"]], model, unlabeled=unlabeled,
                              exclude=[str(paths["raw"]), *exclude], **{option: value})
        seg = zhtok.Segmenter(model)
        predicted = "".join(" ".join(words) + "\n" for words in seg.cut_batch(raw_lines))
        s = score(paths["gold"], predicted, paths["train_words"])
        rows.append({option: value, "precision": 100 * s.precision, "recall": 100 * s.recall,
                     "f1": 100 * s.f1, "oov_recall": 100 * s.oov_recall, "iv_recall": 100 * s.iv_recall,
                     "oov_words": s.oov_words})
        log(f"{option}={value}: F1 {s.f1:.2%}, OOV recall {s.oov_recall:.2%}, IV recall {s.iv_recall:.2%}")
    return rows


def markdown(option: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"| {option} | P | R | F1 | OOV R | IV R |", "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r[option]} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} | "
              f"{r['oov_recall']:.2f} | {r['iv_recall']:.2f} |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: %(default)s")
    parser.add_argument("--corpus", type=Path, help="segmented corpus to split (default: DATA/cws/pku/train.txt)")
    parser.add_argument("--option", required=True, choices=sorted(OPTIONS))
    parser.add_argument("--values", type=comma_list, required=True, help="comma-separated")
    parser.add_argument("--unlabeled", action="store_true",
                        help="learn words from DATA/text/zh_*.txt and mixed_*.txt, as the shipped model does")
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    corpus = args.corpus or args.data_dir / "cws" / "pku" / "train.txt"
    text_dir = args.data_dir / "text"
    unlabeled = [str(text_dir / "zh_*.txt"), str(text_dir / "mixed_*.txt")] if args.unlabeled else []
    tests = [str(p) for name in BAKEOFF if (p := args.data_dir / "cws" / name / "test.txt").exists()]
    with tempfile.TemporaryDirectory(prefix="zhtok-heldout-") as scratch:
        rows = sweep(args.option, args.values, corpus, Path(scratch), unlabeled, tests)
    print(markdown(args.option, rows), end="")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
