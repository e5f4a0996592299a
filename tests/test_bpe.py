"""Byte-level BPE: pre-tokenizers, training, encoding, files and exports."""
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import zhtok
from zhtok import _core
from zhtok.bpe import EOD, Tokenizer, train_tokenizer
from zhtok.errors import FormatError, InputError

MIXED = (
    "自然语言处理是人工智能的一个分支。我们用BPE算法学习子词词表，再把语料编码成token序列。\n"
    "The quick brown fox jumps over the lazy dog; it's 2024 and we're encoding 123456 tokens!\n"
    "南京市长江大桥于1968年建成通车，是长江上第一座由中国自行设计和建造的双层式铁路、公路两用桥梁。\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "mixed.txt"
    path.write_text(MIXED * 40, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seg_tok(corpus):
    return train_tokenizer([corpus], 400, min_frequency=1)[0]


@pytest.fixture(scope="module")
def regex_tok(corpus):
    return train_tokenizer([corpus], 400, pretokenizer="regex", min_frequency=1)[0]


@pytest.fixture(scope="module")
def default_tok():
    return Tokenizer.default()


def test_regex_split_matches_the_regex_module():
    regex = pytest.importorskip("regex")
    pat = regex.compile(_core.REGEX_PATTERN)
    rng = random.Random(0)
    alphabet = list(" \t\n\r'sdtrevlmSDTREVLM1２中文,.!?😀\u3000\u00a0_-x")
    for text in [MIXED] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(3000)]:
        assert _core.regex_split(text) == pat.findall(text), repr(text)


@given(st.text())
def test_regex_split_covers_any_text(text):
    assert "".join(_core.regex_split(text)) == text


def test_training_is_deterministic_and_thread_independent(corpus, seg_tok):
    one = train_tokenizer([corpus], 400, min_frequency=1, threads=1)[0]
    two = train_tokenizer([corpus], 400, min_frequency=1, threads=2, batch_bytes=100)[0]
    assert one._core.merges == two._core.merges == seg_tok._core.merges


def test_one_counter_fed_from_several_python_threads(corpus):
    """add() releases the GIL: concurrent calls on one counter must not lose or tear counts."""
    from concurrent.futures import ThreadPoolExecutor

    from zhtok.bpe import new_counter

    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    batches = [lines[i::8] for i in range(8)]
    serial, shared = new_counter("segment")[0], new_counter("segment")[0]
    for b in batches:
        serial.add(b, 1)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: shared.add(b, 2), batches))
    for c in (serial, shared):
        c.finish(2)
    assert (shared.total, shared.distinct) == (serial.total, serial.distinct)
    assert shared.train(400, [], 1, "regex", None).merges == serial.train(400, [], 1, "regex", None).merges


def _apply_merge(symbols, pair: tuple[int, int], new_id: int) -> list[int]:
    """symbols with every occurrence of pair, left to right, replaced by new_id."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def _reference_training(texts: list[str], num_merges: int) -> list[tuple[int, int]]:
    """Plain BPE training: recount every pair after each merge; the most frequent pair wins,
    the smaller (first id, second id) on ties; all its occurrences merge left to right."""
    words: dict[tuple[int, ...], int] = {}
    for text in texts:
        for piece in _core.regex_split(text):
            key = tuple(piece.encode())
            words[key] = words.get(key, 0) + 1
    merges: list[tuple[int, int]] = []
    while len(merges) < num_merges:
        pairs: dict[tuple[int, int], int] = {}
        for w, c in words.items():
            for pair in zip(w, w[1:]):
                pairs[pair] = pairs.get(pair, 0) + c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged: dict[tuple[int, ...], int] = {}
        for w, c in words.items():
            out = tuple(_apply_merge(w, best, 255 + len(merges)))
            merged[out] = merged.get(out, 0) + c
        words = merged
    return merges


@given(st.lists(st.text(alphabet="aab中中 ", max_size=30), min_size=1, max_size=12))
def test_training_equals_plain_bpe(texts):
    """The trainer updates pair counts only around each merge's occurrences (runs such as
    aaaa and abab included) and gives plain BPE's merges, in plain BPE's order."""
    from zhtok.bpe import new_counter

    counter = new_counter("regex")[0]
    counter.add(texts, 1)
    counter.finish(1)
    merges = counter.train(256 + 40, [], 1, "regex", None).merges
    assert [tuple(m) for m in merges] == _reference_training(texts, 40)


def test_small_corpus_stops_when_pairs_run_out(corpus):
    tok = train_tokenizer([corpus], 5000, min_frequency=1)[0]
    assert 400 < tok.vocab_size < 5000 and tok.eod_id == tok.vocab_size - 1


def test_vocab_layout(seg_tok):
    assert seg_tok.vocab_size == 400
    assert seg_tok.special_tokens == {EOD: 399} and seg_tok.eod_id == 399
    assert seg_tok.id_to_token(ord("a")) == b"a"
    assert seg_tok.token_to_id("a") == ord("a") and seg_tok.token_to_id(EOD) == 399
    assert seg_tok.token_to_id("不在词表里的很长的一串字") is None


def test_segment_merges_stay_inside_words(seg_tok):
    # 市长 crosses the words 南京市/长江: a segment tokenizer never makes that token.
    assert seg_tok.token_to_id("市长") is None
    words = zhtok.cut("南京市长江大桥")
    for i in seg_tok.encode("南京市长江大桥"):
        piece = seg_tok.id_to_token(i).decode("utf-8", "ignore")
        assert any(piece in w for w in words)


SPACED = "表格 | 中等 | 第 134 场 |  动态规划 | ，句号\n" * 60


def _pieces(tok, text: str) -> list[str]:
    return [tok.id_to_token(i).decode("utf-8") for i in tok.encode(text)]


def test_a_space_before_chinese_stays_with_the_word(tmp_path):
    """A space before a Chinese word goes with it, as before a Latin word (" Python"): a
    segment tokenizer learns " 中等" as one token where it spent one on the space alone."""
    corpus = tmp_path / "spaced.txt"
    corpus.write_text(SPACED, encoding="utf-8")
    tok = train_tokenizer([corpus], 300, min_frequency=2)[0]
    assert tok.token_to_id(" 中等") is not None
    assert _pieces(tok, " 中等") == [" 中等"]
    assert tok.decode(tok.encode(SPACED)) == SPACED
    # One space only (the regex gives a run's last space to the word); a mark stays a word of
    # its own (with the space before it, as " ," in English).
    assert _pieces(tok, "  动态规划")[0] == " "
    assert tok.token_to_id("，句号") is None and _pieces(tok, " ，句号")[0] == " ，"


def test_line_breaks_after_a_mark_stay_with_it(tmp_path):
    """Line breaks after a Chinese mark go with it ("。\\n"), as the regex keeps them after "."."""
    corpus = tmp_path / "paragraphs.jsonl"
    doc = {"text": "第一段。\n第二段！\r\n\n第三段“引文。”\n\n"}
    corpus.write_text((json.dumps(doc, ensure_ascii=False) + "\n") * 50, encoding="utf-8")
    tok = train_tokenizer([corpus], 300, min_frequency=2)[0]
    pieces = _pieces(tok, "第一段。\n第二段！\r\n\n")
    assert "。\n" in pieces and pieces[-1] == "！\r\n\n" and "\n" not in pieces
    assert _pieces(tok, "引文。”\n\n")[-1] == "”\n\n"
    assert tok.token_to_id("段。") is None


@pytest.mark.parametrize("which", ["seg_tok", "regex_tok", "default_tok"])
def test_round_trip_examples(request, which):
    tok = request.getfixturevalue(which)
    for text in [MIXED, "", " ", "\x00", "😀👍🏽", "𠀀𪜀", "a\u0301", "\ud800x\udfff", "  \n\n\t ", EOD]:
        assert tok.decode(tok.encode(text)) == text


@given(st.text())
def test_round_trip_any_str(text):
    tok = Tokenizer.default()
    assert tok.decode(tok.encode(text)) == text


@given(st.lists(st.text(max_size=30), max_size=12), st.integers(0, 3))
def test_batch_equals_single(texts, threads):
    tok = Tokenizer.default()
    assert tok.encode_batch(texts, threads=threads) == [tok.encode(t) for t in texts]
    flat, lengths = tok.encode_to_numpy(texts, threads=threads)
    assert lengths.tolist() == [len(tok.encode(t)) for t in texts]
    assert flat.tolist() == [i for t in texts for i in tok.encode(t)]


@pytest.mark.parametrize("size", [1, 3071, 3072, 3073, 9000])
def test_encode_short_and_long_texts_agree(default_tok, size):
    # encode() keeps the GIL for texts up to 3072 UTF-8 bytes and releases it for longer ones;
    # the ids must not depend on the path (encode_batch always releases it).
    base = "南京市长江大桥于1968年建成, iPhone15 和 GPT-4。\n"
    text = (base * (size // len(base.encode()) + 1)).encode()[:size].decode("utf-8", "ignore")
    ids = default_tok.encode(text)
    assert ids == default_tok.encode_batch([text], threads=1)[0]
    assert default_tok.decode(ids) == text


def test_long_pieces_use_the_same_merges(regex_tok):
    # Pieces over 64 bytes take the heap path; the result must equal the short path's.
    word = "encodingencoding" * 20
    ids = regex_tok.encode(word)
    assert regex_tok.decode(ids) == word
    half = regex_tok.encode(word[:32])
    assert len(ids) <= 20 * len(half)


def _reference_bpe(merges: list[tuple[int, int]], piece: bytes) -> list[int]:
    """BPE as its definition says: merge the lowest ranked adjacent pair, leftmost first."""
    rank = {pair: i for i, pair in enumerate(merges)}
    sym = list(piece)
    while len(sym) > 1:
        ranks = [rank.get(pair, len(merges)) for pair in zip(sym, sym[1:])]
        best = min(ranks)
        if best == len(merges):
            break
        i = ranks.index(best)
        sym[i : i + 2] = [256 + best]
    return sym


# Characters sharing lead and continuation bytes, so that random merges cross their edges:
# three-byte (CJK) and two-byte ones (é è ê × ° ж д).
_BPE_CHARS = "中文字南京市长江大桥人民，。éèê×°жд"


@given(st.data())
def test_encoding_equals_plain_bpe_under_any_merges(data):
    # Encoding starts from whole characters and merges independent parts apart where that is
    # provably the same; merges in random order (crossing characters before completing them,
    # joining a space or a letter to a lead byte) must give exactly plain BPE's ids.
    alphabet = _BPE_CHARS + " ab"
    train = data.draw(st.text(alphabet, min_size=2, max_size=60)).encode()
    sym, merges = list(train), []
    for _ in range(data.draw(st.integers(0, 80))):
        if len(sym) < 2:
            break
        i = data.draw(st.integers(0, len(sym) - 2))
        pair = (sym[i], sym[i + 1])
        if pair in merges:
            continue
        merges.append(pair)
        sym = _apply_merge(sym, pair, 255 + len(merges))  # everywhere, as training does
    tok = Tokenizer(_core.Tokenizer.from_merges(merges))
    for text in [train.decode(), data.draw(st.text(alphabet, max_size=60))]:
        expected = [i for piece in _core.regex_split(text) for i in _reference_bpe(merges, piece.encode())]
        assert tok.encode(text) == expected


def test_merges_that_cannot_be_built_are_refused():
    with pytest.raises(FormatError, match="merge 0 uses id 300, which is not made yet"):
        _core.Tokenizer.from_merges([(300, 1)])
    with pytest.raises(FormatError, match="merge 1 repeats an earlier merge"):
        _core.Tokenizer.from_merges([(97, 98), (97, 98)])
    assert _core.Tokenizer.from_merges([(97, 98)]).encode("abab") == [256, 256]


def test_special_tokens(seg_tok):
    text = f"前文{EOD}后文"
    plain = seg_tok.encode(text)
    special = seg_tok.encode(text, allow_special=True)
    assert seg_tok.eod_id not in plain and seg_tok.eod_id in special
    assert seg_tok.decode(special) == text


def test_offsets(default_tok):
    text = "南京市长江大桥 and GPT3😀"
    spans = default_tok.encode_with_offsets(text)
    assert [i for i, _, _ in spans] == default_tok.encode(text)
    assert spans[0][1] == 0 and spans[-1][2] == len(text)
    for (_, s1, e1), (_, s2, _) in zip(spans, spans[1:]):
        assert s1 <= e1 and s2 >= s1 and s2 <= e1 + 1


def test_file_round_trip_and_corruption(tmp_path, seg_tok):
    path = tmp_path / "t.ztok"
    seg_tok.save(path)
    again = Tokenizer.from_file(path)
    assert again.encode(MIXED) == seg_tok.encode(MIXED) and again.pretokenizer == "segment"
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 1
    (tmp_path / "bad.ztok").write_bytes(bytes(data))
    with pytest.raises(FormatError, match="checksum"):
        Tokenizer.from_file(tmp_path / "bad.ztok")
    (tmp_path / "short.ztok").write_bytes(bytes(data[:100]))
    with pytest.raises(FormatError, match="truncated"):
        Tokenizer.from_file(tmp_path / "short.ztok")


def test_bad_records_are_reported(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_bytes(b'{"text": "good one"}\n{"text": \n{"other": "x"}\n' + b'{"text": "\xff"}\n' + b'[1]\n')
    tok, stats = train_tokenizer([path], 300, min_frequency=1)
    assert [(b.line, b.reason.split(" ")[0]) for b in stats.bad] == [
        (2, "invalid"), (3, "key"), (4, "invalid"), (5, "JSON")]
    with pytest.raises(InputError, match=f"{path}:2: invalid JSON"):
        train_tokenizer([path], 300, on_error="fail")


def test_missing_input_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        train_tokenizer([tmp_path / "nope*.txt"], 300)


def test_tiktoken_export_gives_the_same_ids(tmp_path, regex_tok):
    tiktoken = pytest.importorskip("tiktoken")
    enc = regex_tok.tiktoken_encoding()
    for text in MIXED.split("\n") + ["it's   x", "  中文  \n\n 1234567"]:
        assert enc.encode_ordinary(text) == regex_tok.encode(text)
    regex_tok.export_tiktoken(tmp_path / "r.tiktoken")
    from tiktoken.load import load_tiktoken_bpe

    assert load_tiktoken_bpe(str(tmp_path / "r.tiktoken")) == regex_tok.to_tiktoken_ranks()
    assert isinstance(tiktoken.Encoding, type)


def test_hf_export_gives_the_same_ids(tmp_path, regex_tok):
    tokenizers = pytest.importorskip("tokenizers")
    path = regex_tok.export_hf(tmp_path / "hf")
    hf = tokenizers.Tokenizer.from_file(path)
    for text in MIXED.split("\n") + ["it's   x", "  中文  \n\n 1234567", "😀 a\u0301"]:
        assert hf.encode(text).ids == regex_tok.encode(text)
        assert hf.decode(regex_tok.encode(text)) == text
    assert hf.token_to_id(EOD) == regex_tok.eod_id


def test_default_tokenizer_is_the_shipped_one(default_tok):
    assert default_tok.vocab_size == 32000 and default_tok.pretokenizer == "segment"
    assert default_tok.eod_id == 31999


# -- fast segmentation: the same vocabulary, words scored by frequency alone ---------------------

@given(st.text())
def test_fast_segmentation_round_trips_any_str(text):
    tok = Tokenizer.default(fast_segmentation=True)
    assert tok.decode(tok.encode(text)) == text


def test_fast_segmentation_keeps_the_vocabulary(default_tok):
    fast = Tokenizer.default(fast_segmentation=True)
    assert fast.fast_segmentation and not default_tok.fast_segmentation
    assert fast is Tokenizer.default(fast_segmentation=True) and fast.with_fast_segmentation() is fast
    assert fast.vocab_size == default_tok.vocab_size and fast.special_tokens == default_tok.special_tokens
    assert all(fast.id_to_token(i) == default_tok.id_to_token(i) for i in range(0, fast.vocab_size, 97))
    assert fast.encode(MIXED) != [] and fast.decode(default_tok.encode(MIXED)) == MIXED


def test_fast_segmentation_is_the_cores_to_tell(default_tok):
    # A Tokenizer wrapped around a core made fast by hand says so too; a fast core made fast
    # again stays fast and encodes the same.
    core = default_tok._core.with_fast_segmentation()
    assert core.fast_segmentation and not default_tok._core.fast_segmentation
    wrapped = Tokenizer(core)
    assert wrapped.fast_segmentation and wrapped.with_fast_segmentation() is wrapped
    again = core.with_fast_segmentation()
    assert again.fast_segmentation and again.encode("乒乓球拍卖完了") == core.encode("乒乓球拍卖完了")


def test_fast_segmentation_cuts_the_words_of_the_frequency_model(default_tok):
    # 乒乓球/拍卖/完/了 by the trained model, 完了 by frequency: each tokenizer keeps to its
    # own segmenter's words, and tokens never cross them.
    text = "乒乓球拍卖完了，南京市长江大桥"
    fast = default_tok.with_fast_segmentation()
    model = default_tok._core.seg_model
    for tok, seg in ((default_tok, _core.Segmenter(model)), (fast, _core.Segmenter(model.by_frequency()))):
        ends, at = set(), 0
        for w in seg.cut(text):
            at += len(w)
            ends.add(at)
        assert ends <= {end for _, _, end in tok.encode_with_offsets(text)}
        assert (6 in ends) == (tok is default_tok)  # 完|了


def test_fast_segmentation_needs_the_segment_pretokenizer(regex_tok):
    assert regex_tok._core.seg_model is None
    with pytest.raises(InputError, match="segment pre-tokenizer"):
        regex_tok.with_fast_segmentation()


def test_threads_sharing_one_tokenizer_get_sequential_results(default_tok):
    import threading

    texts = [f"第{i}段：南京市长江大桥 and some English {i}。" * (i % 5 + 1) for i in range(200)]
    expected = [default_tok.encode(t) for t in texts]
    results = [None] * 8

    def work(k):
        results[k] = [default_tok.encode(t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


@pytest.mark.parametrize("lines", [1, 200, 2000])
def test_many_tokens_share_their_int_objects(seg_tok, lines):
    # The lists of a batch or of one long text share one int per id (the tokenizer's); they
    # are the same lists, and their references go with them.
    import gc
    import sys

    texts = [f"{MIXED} 第{k}行 line {k}" for k in range(lines)]
    expected = [seg_tok.encode(t) for t in texts]
    batch = seg_tok.encode_batch(texts, threads=1)
    assert batch == expected
    assert seg_tok.encode("\n".join(texts)) == seg_tok.encode_batch(["\n".join(texts)])[0]
    if sum(map(len, expected)) >= 4096:
        first = {}
        for ids in batch:
            for i in ids:
                assert first.setdefault(i, i) is i  # one object per id
        probe = next(i for ids in batch for i in ids if i > 300)
        before = sys.getrefcount(probe)
        del batch, first
        gc.collect()
        assert sys.getrefcount(probe) < before


def test_encode_lends_the_tokenizers_ints(seg_tok):
    # The Python tokenizer makes each id's int once; encode and encode_batch return those
    # objects (ids above 256, which Python does not keep, included). The core alone, without
    # the list, makes its own ints and gives the same ids.
    text = MIXED * 3
    ids = seg_tok.encode(text)
    big = [i for i in ids if i > 256]
    assert big and all(i is seg_tok._ints[i] for i in big)
    assert all(i is seg_tok._ints[i] for i in seg_tok.encode_batch([text, text], threads=2)[1])
    assert seg_tok._core.encode(text, False) == ids
    assert seg_tok._core.encode(text, False, "not a list") == ids
    assert seg_tok._core.encode_batch([text], 1, False)[0] == ids


def test_encode_batch_leaves_the_gc_as_it_found_it(seg_tok):
    import gc

    texts = ["南京市长江大桥", "hello world"] * 50
    expected = [seg_tok.encode(t) for t in texts]
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            assert seg_tok.encode_batch(texts, threads=2) == expected
            assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
