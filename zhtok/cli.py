"""The ``zhtok`` command line: one small function per subcommand, calling the public API."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import ZhtokError
from .segment import Segmenter, train_segmenter
from .textio import STDIN, LineStats, batched, read_lines

SAMPLE = Path(__file__).resolve().parent / "samples" / "sample_zh.txt"


def cmd_seg(args: argparse.Namespace) -> int:
    seg = Segmenter(args.model, args.user_dict)
    out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
    stats = LineStats()
    try:
        for batch in batched(read_lines(args.inputs or [STDIN], args.errors, stats)):
            for words in seg.cut_batch(batch, threads=args.threads):
                out.write(args.delimiter.join(w for w in words if not w.isspace()) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    for name, line, offset in stats.replaced_lines:
        print(f"warning: {name}:{line}: invalid UTF-8 at byte {offset} replaced", file=sys.stderr)
    return 0


def _print_epoch(epochs: int):
    def show(e: dict) -> None:
        dev = f", dev P/R/F1 {e['dev_precision']:.2%}/{e['dev_recall']:.2%}/{e['dev_f1']:.2%}" if "dev_f1" in e else ""
        print(f"epoch {e['epoch']}/{epochs}: {e['seconds']:.1f}s, sentences exactly right "
              f"{e['train_sentence_accuracy']:.1%}{dev}", file=sys.stderr, flush=True)
    return show


def cmd_train_seg(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    options = {}
    if args.type == "perceptron":
        options = dict(epochs=args.epochs, dev=args.dev or [], on_epoch=_print_epoch(args.epochs),
                       folds=args.folds, min_feature_count=args.min_feature_count)
    stats = train_segmenter(args.inputs, args.output, kind=args.type, on_error=args.on_error, **options)
    for path, line, reason in stats["bad_lines"] + stats.get("dev_bad_lines", []):
        print(f"warning: {path}:{line}: {reason}; skipped", file=sys.stderr)
    print(
        f"trained {args.type} model on {stats['sentences']} sentences, {stats['words']} words "
        f"({len(stats['bad_lines'])} bad lines skipped) in {time.perf_counter() - t0:.1f}s -> {args.output}",
        file=sys.stderr,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on the shipped defaults: segment the bundled sample and show what happened."""
    seg = Segmenter()
    lines = list(read_lines([str(args.input or SAMPLE)]))
    t0 = time.perf_counter()
    cut = seg.cut_batch(lines)
    dt = time.perf_counter() - t0
    words = sum(len(ws) for ws in cut)
    chars = sum(len(line) for line in lines)
    print(f"zhtok {__version__}: segmented {len(lines)} lines, {chars} characters into {words} words in {dt * 1000:.1f} ms\n")
    for line, ws in zip(lines[: args.show], cut):
        print(" / ".join(w for w in ws if not w.isspace()))
        for amb in seg.ambiguities(line):
            alts = "  |  ".join("/".join(a) + f" ({s:.1f})" for a, s in amb.alternatives)
            print(f"    ambiguous {amb.text!r} at {amb.start}-{amb.end}: {alts}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhtok", description="Chinese segmentation and tokenization")
    p.add_argument("--version", action="version", version=f"zhtok {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("seg", help="segment text into words, one output line per input line")
    s.add_argument("inputs", nargs="*", help="files to read (default: stdin; - = stdin)")
    s.add_argument("-o", "--output", help="output file (default: stdout)")
    s.add_argument("--model", help="segmentation model (default: the shipped one)")
    s.add_argument("--user-dict", help="user dictionary: 'word [freq]' lines")
    s.add_argument("--threads", type=int, default=0, help="threads (0 = all cores)")
    s.add_argument("--delimiter", default=" ", help="written between words (default: a space)")
    s.add_argument("--errors", choices=["strict", "replace"], default="strict",
                   help="invalid UTF-8: stop with file:line (strict) or replace bad bytes")
    s.set_defaults(func=cmd_seg)

    t = sub.add_parser("train-seg", help="train a segmentation model from segmented text")
    t.add_argument("inputs", nargs="+", help="segmented text: words separated by spaces")
    t.add_argument("-o", "--output", required=True, help="model file to write")
    t.add_argument("--type", choices=["perceptron", "unigram"], default="perceptron",
                   help="perceptron: the accurate discriminative model (default); unigram: word counts")
    t.add_argument("--epochs", type=int, default=8, help="perceptron passes over the data")
    t.add_argument("--dev", action="append", help="segmented text to report F1 on after each epoch")
    t.add_argument("--folds", type=int, default=20,
                   help="jackknife folds for the dictionary features (default 20)")
    t.add_argument("--min-feature-count", type=int, default=2,
                   help="drop character-pair features seen fewer times (smaller model)")
    t.add_argument("--on-error", choices=["skip", "fail"], default="skip",
                   help="a malformed line (empty, invalid UTF-8): report and skip, or stop")
    t.set_defaults(func=cmd_train_seg)

    d = sub.add_parser("demo", help="run the pipeline on the bundled sample and show the result")
    d.add_argument("--input", help="a text file to use instead of the bundled sample")
    d.add_argument("--show", type=int, default=12, help="how many lines to print")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (zhtok ... | head): not an error
        sys.stderr.close()
        return 0
    except (ZhtokError, OSError) as e:
        print(f"zhtok {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
