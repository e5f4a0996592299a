"""The ``zhtok`` command line: one small function per subcommand, calling the public API."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__, _core
from .errors import ZhtokError
from .bpe import EOD, Tokenizer, train_tokenizer
from .segment import Segmenter, train_segmenter
from .textio import STDIN, LineStats, batched, read_lines, read_pieces

SAMPLE = Path(__file__).resolve().parent / "samples" / "sample_zh.txt"


def cmd_seg(args: argparse.Namespace) -> int:
    seg = Segmenter(args.model, args.user_dict, fast=args.fast, new_word_bias=args.new_word_bias)
    out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
    stats = LineStats()
    try:
        open_line = False  # words of the current line written, more pieces to come
        for batch in batched(read_pieces(args.inputs or [STDIN], args.errors, stats)):
            cut = seg.cut_batch([text for text, _ in batch], threads=args.threads)
            for (_, last), words in zip(batch, cut):
                text = args.delimiter.join(w for w in words if not w.isspace())
                if open_line and text:
                    out.write(args.delimiter)
                out.write(text + "\n" if last else text)
                open_line = not last and (open_line or bool(text))
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
                       folds=args.folds, min_feature_count=args.min_feature_count,
                       bigram_weight=args.bigram_weight, new_word_bias=args.new_word_bias)
    stats = train_segmenter(args.inputs, args.output, kind=args.type, on_error=args.on_error,
                            unlabeled=args.unlabeled or [], min_unlabeled_count=args.min_unlabeled_count,
                            exclude=args.exclude or [], threads=args.threads, **options)
    for path, line, reason in stats["bad_lines"] + stats.get("dev_bad_lines", []):
        print(f"warning: {path}:{line}: {reason}; skipped", file=sys.stderr)
    if "lexicon" in stats:
        lex = stats["lexicon"]
        for bad in lex.bad:
            print(f"warning: {bad}; skipped", file=sys.stderr)
        print(f"raw text: {lex.lines:,} lines segmented ({lex.excluded_lines:,} left out for sharing text with "
              f"--exclude files, {len(lex.bad)} bad records), {lex.words_counted:,} Chinese words; "
              f"{lex.words_added:,} new words seen {args.min_unlabeled_count}+ times added to the dictionary",
              file=sys.stderr)
    print(
        f"trained {args.type} model on {stats['sentences']} sentences, {stats['words']} words "
        f"({len(stats['bad_lines'])} bad lines skipped) in {time.perf_counter() - t0:.1f}s -> {args.output}",
        file=sys.stderr,
    )
    return 0


def _engine_options(args: argparse.Namespace) -> dict:
    """The Ray engine's own options (shard size, cluster address); none for the local engine."""
    if args.engine == "local":
        return {}
    if args.shard_mb is not None and args.shard_mb <= 0:
        raise ZhtokError(f"--shard-mb must be positive, not {args.shard_mb}")
    shard_bytes = int(args.shard_mb * (1 << 20)) if args.shard_mb is not None else None
    return {"ray_address": args.ray_address, "shard_bytes": shard_bytes}


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: this machine (default); ray: shards as tasks on a Ray cluster (pip install '.[ray]')")
    p.add_argument("--ray-address", default=None,
                   help="Ray cluster: auto, or HEAD:6379 (default: start Ray on this machine)")
    p.add_argument("--shard-mb", type=float, default=None,
                   help="Ray engine: size of the shards large files are cut into (default: ~4 per CPU)")


def cmd_train_vocab(args: argparse.Namespace) -> int:
    train = train_tokenizer
    if args.engine == "ray":
        from .ray_engine import train_tokenizer_ray as train
    tok, stats = train(
        args.inputs, args.vocab_size, args.output, pretokenizer=args.pretokenizer,
        special_tokens=args.special_tokens, min_frequency=args.min_frequency, threads=args.threads,
        json_keys=args.json_key, seg_model=args.seg_model, on_error=args.on_error, progress=True,
        **_engine_options(args))
    for bad in stats.bad:
        print(f"warning: {bad}; skipped", file=sys.stderr)
    print(f"{tok.vocab_size} tokens ({args.pretokenizer} pre-tokenizer) -> {args.output}", file=sys.stderr)
    if args.export_hf:
        print(f"wrote {tok.export_hf(args.export_hf)}", file=sys.stderr)
    if args.export_tiktoken:
        tok.export_tiktoken(args.export_tiktoken)
        print(f"wrote {args.export_tiktoken}", file=sys.stderr)
    if (args.export_hf or args.export_tiktoken) and args.pretokenizer == "segment":
        same, total = _export_agreement(tok, args.inputs, args.json_key)
        print(f"note: tokenizer.json and .tiktoken cannot express word segmentation (they split by the regex "
              f"alone, with the same merges); they agree with zhtok on {same / max(total, 1):.1%} of "
              f"{total:,} sample documents", file=sys.stderr)
    return 0


def _export_agreement(tok: Tokenizer, inputs, keys, sample: int = 2000) -> tuple[int, int]:
    """(documents encoded alike, documents) by tok and its exports (the regex pre-tokenizer with
    the same merges), over the first documents of every input file, about sample in all: the
    first documents of the inputs alone may all be of one kind (English files sort first)."""
    from .corpus import CorpusReader, expand_inputs

    exported = Tokenizer(tok._core.with_regex_pretokenizer())
    paths = expand_inputs(inputs)
    per_file = max(1, sample // max(len(paths), 1))
    same = total = 0
    for path in paths:
        for n, (_, _, _, text) in enumerate(CorpusReader([path], keys)):
            if n >= per_file:
                break
            same += tok.encode(text) == exported.encode(text)
            total += 1
    return same, total


def cmd_encode(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        from .ray_engine import encode_corpus_ray as encode
    else:
        from .encode import encode_corpus as encode
    summary = encode(
        args.inputs, args.tokenizer, args.output_prefix, json_keys=args.json_key,
        append_eod=args.append_eod, workers=args.workers, fmt=args.format, resume=args.resume,
        on_error=args.on_error, progress=True, fast_segmentation=args.fast_segmentation,
        **_engine_options(args))
    for bad in summary.bad:
        print(f"warning: {bad}; skipped", file=sys.stderr)
    print(summary, file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Runs the benchmark suite of a source checkout (benchmarks/ beside the zhtok package)."""
    import importlib

    root = Path(__file__).resolve().parent.parent
    if not (root / "benchmarks" / "__init__.py").exists():
        print("zhtok bench: error: the benchmarks ship with the source, not the wheel: "
              "git clone the repository, pip install -e '.[bench]', and run zhtok bench there",
              file=sys.stderr)
        return 2
    sys.path.insert(0, str(root))
    names = ["seg", "vocab", "encode"] if args.which == "all" else [args.which]
    if args.which == "ray" and (args.from_json or args.readme or args.readme_file):
        print("zhtok bench: error: the Ray benchmark has no README block (its figures are in the "
              "README's Ray section); run it without --readme/--from-json", file=sys.stderr)
        return 2
    status = 0
    if args.from_json:
        # Saved results: redraw the plots beside the JSON (and the README below), run nothing.
        from benchmarks.plots import make_plots

        found = [name for name in names if (Path(args.from_json) / f"{name}.json").is_file()]
        if not found:
            print(f"zhtok bench: error: no {', '.join(n + '.json' for n in names)} in {args.from_json}", file=sys.stderr)
            return 2
        make_plots(args.from_json, found)
    else:
        common = (["--data-dir", args.data_dir] if args.data_dir else []) + ["--out", args.out]
        common += ["--quick"] if args.quick else []
        for name in names:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            extra = ["--train"] if name == "seg" and args.train else []
            status = module.main(common + extra) or status
    if args.readme or args.readme_file:
        from benchmarks.readme import README, regenerate

        try:
            regenerate(args.from_json or args.out, names, args.readme_file or README)
        except (ValueError, OSError) as error:
            print(f"zhtok bench: error: {error}", file=sys.stderr)
            return 1
    return status


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on the shipped defaults: segment the bundled sample, train a small
    vocabulary on it, encode it to Megatron .bin/.idx, and show what happened."""
    import tempfile

    from .encode import encode_corpus
    from .megatron import IndexedDataset

    sample = str(args.input or SAMPLE)
    seg = Segmenter()
    lines = list(read_lines([sample]))
    t0 = time.perf_counter()
    cut = seg.cut_batch(lines)
    dt = time.perf_counter() - t0
    words = sum(len(ws) for ws in cut)
    print(f"zhtok {__version__}\n\n1. segment: {len(lines)} lines, {sum(map(len, lines))} characters "
          f"-> {words} words in {dt * 1000:.1f} ms")
    for line, ws in list(zip(lines, cut))[: args.show]:
        print("   " + " / ".join(w for w in ws if not w.isspace()))
        for amb in seg.ambiguities(line):
            alts = "  |  ".join("/".join(a) + f" ({s:.1f})" for a, s in amb.alternatives[:3])
            print(f"      ambiguous {amb.text!r}: {alts}")
    out = args.out or tempfile.mkdtemp(prefix="zhtok-demo-")
    os.makedirs(out, exist_ok=True)
    tok_path = os.path.join(out, "sample.ztok")
    t0 = time.perf_counter()
    tok, _ = train_tokenizer([sample], args.vocab_size, tok_path, min_frequency=1)
    print(f"\n2. train-vocab: {tok.vocab_size} tokens (256 bytes, {tok.vocab_size - 257} merges, {EOD}) "
          f"in {time.perf_counter() - t0:.2f}s -> {tok_path}")
    def show_tokens(t: Tokenizer) -> str:
        return " | ".join(t.id_to_token(i).decode("utf-8", "backslashreplace") for i in t.encode(lines[0]))

    print("   sample vocabulary:   " + show_tokens(tok))
    shipped = Tokenizer.default()
    print(f"   shipped {shipped.vocab_size} vocabulary: " + show_tokens(shipped))
    summary = encode_corpus([sample], tok_path, os.path.join(out, "sample"), append_eod=True)
    ds = IndexedDataset(os.path.join(out, "sample_text_document"))
    print(f"\n3. encode: {summary.documents} documents, {summary.tokens} tokens "
          f"-> {', '.join(summary.outputs)}")
    print(f"   read back: {len(ds)} documents, dtype {ds.dtype}, first: {ds[0][:12].tolist()} ...")
    ok = all(tok.decode(ds[i][:-1].tolist()) == lines[i] for i in range(len(ds)))
    print(f"   every document decodes to its line: {ok}")
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhtok", description="Chinese segmentation and tokenization")
    p.add_argument("--version", action="version", version=f"zhtok {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("seg", help="segment text into words, one output line per input line")
    s.add_argument("inputs", nargs="*", help="files to read (default: stdin; - = stdin)")
    s.add_argument("-o", "--output", help="output file (default: stdout)")
    s.add_argument("--model", help="segmentation model (default: the shipped one)")
    s.add_argument("--user-dict", help="user dictionary: 'word [freq]' lines")
    s.add_argument("--fast", action="store_true",
                   help="score the model's words by frequency alone: several times faster, less accurate")
    s.add_argument("--new-word-bias", type=float, default=0.0,
                   help="added to the model's new-word bias: > 0 cuts more words the dictionary lacks "
                        "(names, terms), < 0 fewer (default 0)")
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
    t.add_argument("--bigram-weight", type=float, default=10.0,
                   help="where dictionary words cross, weight of the training text's word bigrams "
                        "against the model's score (default 10; 0 = no bigrams)")
    t.add_argument("--new-word-bias", type=float, default=10.0,
                   help="added to the score of every out-of-dictionary word of 2+ characters: higher finds "
                        "more new words (out-of-vocabulary recall) at some cost to known ones (default 10)")
    t.add_argument("--unlabeled", nargs="+", action="extend", metavar="RAW",
                   help="raw text of your domain (.txt/.jsonl, plain, .gz or .zst, globs): the trained model "
                        "segments it and adds the frequent new words to its dictionary")
    t.add_argument("--min-unlabeled-count", type=int, default=5,
                   help="a new word joins the dictionary when seen this often in the raw text (default 5)")
    t.add_argument("--exclude", nargs="+", action="extend", metavar="FILE",
                   help="leave out raw lines that share 10 characters with these files (your test sets)")
    t.add_argument("--threads", type=int, default=0, help="threads for segmenting the raw text (0 = all cores)")
    t.add_argument("--on-error", choices=["skip", "fail"], default="skip",
                   help="a malformed line (empty, invalid UTF-8): report and skip, or stop")
    t.set_defaults(func=cmd_train_seg)

    v = sub.add_parser("train-vocab", help="train a byte-level BPE vocabulary")
    v.add_argument("inputs", nargs="+", help=".txt/.jsonl files or globs, plain, .gz or .zst")
    v.add_argument("--vocab-size", type=int, required=True, help="tokens: 256 bytes + merges + specials")
    v.add_argument("-o", "--output", required=True, help="tokenizer file to write (.ztok)")
    v.add_argument("--pretokenizer", choices=["segment", "regex"], default="segment",
                   help="segment: word segmentation for Chinese (default); regex: cl100k pattern alone")
    v.add_argument("--special-tokens", nargs="*", default=[EOD], help=f"special tokens (default {EOD})")
    v.add_argument("--min-frequency", type=int, default=2, help="stop merging pairs rarer than this")
    v.add_argument("--threads", type=int, default=0, help="threads (0 = all cores)")
    v.add_argument("--json-key", action="append", default=None, help="JSON key(s) of .jsonl inputs (default text)")
    v.add_argument("--seg-model", help="segmentation model for --pretokenizer segment (default: shipped)")
    v.add_argument("--on-error", choices=["skip", "fail"], default="skip",
                   help="bad records (invalid UTF-8 or JSON): report and skip, or stop")
    v.add_argument("--export-hf", metavar="DIR", help="also write DIR/tokenizer.json for HF tokenizers")
    v.add_argument("--export-tiktoken", metavar="FILE", help="also write a .tiktoken rank file")
    _add_engine_options(v)
    v.set_defaults(func=cmd_train_vocab)

    e = sub.add_parser("encode", help="encode a corpus to Megatron .bin/.idx (or .npy)")
    e.add_argument("inputs", nargs="+", help=".txt (a document a line) / .jsonl files or globs, plain, .gz or .zst")
    e.add_argument("--tokenizer", required=True, help="tokenizer file (.ztok)")
    e.add_argument("--output-prefix", required=True, help="writes PREFIX_<key>_document.bin/.idx")
    e.add_argument("--json-key", action="append", default=None, help="JSON key(s) to encode (default text)")
    e.add_argument("--append-eod", action="store_true", help=f"end each document with {EOD}")
    e.add_argument("--workers", type=int, default=0, help="encoding threads (0 = all cores; local engine)")
    e.add_argument("--format", choices=["megatron", "npy"], default="megatron")
    e.add_argument("--fast-segmentation", action="store_true",
                   help="segment by word frequency alone: about twice as fast, ids differ where the "
                        "segmenters disagree (segment pre-tokenizer only)")
    e.add_argument("--resume", action="store_true", help="continue an interrupted run")
    e.add_argument("--on-error", choices=["skip", "fail"], default="skip",
                   help="bad records (invalid JSON or UTF-8, missing key): report and skip, or stop")
    _add_engine_options(e)
    e.set_defaults(func=cmd_encode)

    b = sub.add_parser("bench", help="benchmarks against jieba, pkuseg, HF tokenizers, sentencepiece, tiktoken")
    b.add_argument("which", choices=["seg", "vocab", "encode", "all", "ray"],
                   help="all = seg, vocab and encode; ray = the Ray engine against the local one (needs .[ray])")
    b.add_argument("--data-dir", help="data folder (default ../shared/data beside the repository)")
    b.add_argument("--out", default="bench_out", help="folder for the JSON, Markdown and PNG results")
    b.add_argument("--quick", action="store_true", help="a few minutes on 2 cores: subsets, fewer runs")
    b.add_argument("--train", action="store_true", help="seg: also train each tool on each corpus")
    b.add_argument("--readme", action="store_true",
                   help="rewrite the results section of README.md (between its bench markers) from the JSON")
    b.add_argument("--readme-file", help="the README to rewrite (implies --readme; default: the repository's README.md)")
    b.add_argument("--from-json", metavar="DIR",
                   help="run nothing: take the results saved in DIR (redraw its plots; with --readme, the README)")
    b.set_defaults(func=cmd_bench)

    d = sub.add_parser("demo", help="run the pipeline on the bundled sample and show the result")
    d.add_argument("--input", help="a text file to use instead of the bundled sample")
    d.add_argument("--out", help="folder for the outputs (default: a new temporary folder)")
    d.add_argument("--vocab-size", type=int, default=600, help="vocabulary size for the sample")
    d.add_argument("--show", type=int, default=6, help="how many segmented lines to print")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    # The CLI never multiplies matrices: numpy's OpenBLAS threads would only spin at its import,
    # on the cores the encoding threads need (78 ms of CPU in a 1.2 s zhtok encode).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if "MALLOC_ARENA_MAX" not in os.environ:  # the user's setting, which glibc read at start, wins
        _core.limit_malloc_arenas(1)
    args = build_parser().parse_args(argv)
    if getattr(args, "json_key", "") is None:
        args.json_key = ["text"]
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
