"""Segmenter behaviour: dictionary lattice, glued runs, user dictionaries, n-best, ambiguities."""
import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import zhtok
from conftest import compare_new_word_bias
from zhtok.errors import FormatError, InputError, ZhtokIOError


def test_nanjing_bridge(seg):
    words = seg.cut("南京市长江大桥")
    assert words[0] == "南京市"
    assert "".join(words[1:]) == "长江大桥" and "市长" not in words


def test_module_cut_uses_default_model():
    assert zhtok.cut("研究生命的起源") == ["研究", "生命", "的", "起源"]


@pytest.mark.parametrize(
    "text, run",
    [("买了iPhone15手机", "iPhone15"), ("GPT3模型", "GPT3"), ("2024年", "2024"),
     ("版本1.0发布", "1.0"), ("１．５倍", "１．５"), ("ＧＰＴ３", "ＧＰＴ３")],
)
def test_letter_digit_runs_stay_whole(seg, text, run):
    # No word boundary falls inside the run (a word may extend it: 2024年 is one PKU word).
    start = text.index(run)
    ends, pos = set(), 0
    for w in seg.cut(text):
        pos += len(w)
        ends.add(pos)
    assert not any(start < p < start + len(run) for p in ends)


@pytest.mark.parametrize(
    "text, words",
    [('点击"Data"选项卡', ["点击", '"', "Data", '"', "选项卡"]),
     ('He said "a dog".', ["He", " ", "said", " ", '"', "a", " ", "dog", '"', "."]),
     ("「ＤＨｏｔｅｌ」旅館", ["「", "ＤＨｏｔｅｌ", "」", "旅館"])],
)
def test_phrase_punctuation_stands_alone(seg, text, words):
    # Text unlike the training text's (ASCII quotes, full-width Latin) once gave "Data"选项卡.
    assert seg.cut(text) == words


@given(st.text(alphabet=st.sampled_from('，。、；：？！“”「」《》（）,;?!"()[]{}') | st.sampled_from("ab1中文的了𠀀\ufffd-.:'/·")))
def test_no_word_holds_phrase_punctuation_beside_other_runes(text):
    for w in zhtok.cut(text):
        assert len(w) == 1 or not set(w) & set('，。、；？！“”「」《》（）,;?!"()[]{}'), w


@pytest.mark.parametrize("text, word", [("访问www.google.com或", "www.google.com"), ("e-mail", "e-mail"),
                                        ("卡尔·马克思", "卡尔·马克思")])
def test_urls_compounds_and_names_keep_their_punctuation(seg, text, word):
    assert word in seg.cut(text)


@pytest.mark.parametrize(
    "text, number",
    [("莫斯科多云－5℃／－2℃", "－5"), ("莫斯科多云－5℃／－2℃", "－2"), ("北京多云-3℃", "-3"),
     ("气温降到−12度", "−12"), ("上海 －１．２ －３．１", "－１．２")],
)
def test_a_signed_number_after_a_word_is_a_word(seg, text, number):
    # Weather reports once came out as 莫斯科多云－5 and ℃／－2: free words ran into the sign.
    assert number in seg.cut(text)


def test_a_hyphen_after_letters_stays_in_the_code(seg):
    assert "SG-210A" in seg.cut("型号SG-210A")


@pytest.mark.parametrize("text", ["北京晴2℃／8℃", "和/或", "℃/℃"])
def test_a_slash_beside_other_than_letters_and_digits_stands_alone(seg, text):
    words = seg.cut(text)
    assert all(len(w) == 1 for w in words if "/" in w or "／" in w), words


@pytest.mark.parametrize(
    "text",
    ["", "\x00", "\u0301", "a\u0301\u0301b", "😀👍🏽", "𠀀𪜀𫝀𫠠𬺰𰀀", "\n\n", "  中 文  ", "\ud800", "x\udfffy",
     "家" * 5000, "中文" * 3000 + "abc" * 1000],
)
def test_odd_input_round_trips(seg, text):
    words = seg.cut(text)
    assert "".join(words) == text
    assert all(words)


def test_megabyte_line(seg):
    text = "南京市长江大桥，研究生命的起源。" * 70000  # ~3 MB of UTF-8, no line break
    words = seg.cut(text)
    assert "".join(words) == text
    assert words[:4] == ["南京市", "长江", "大桥", "，"]


@given(st.text())
def test_cut_round_trips_any_str(text):
    assert "".join(zhtok.cut(text)) == text


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("南京市长江大桥研究生命的起源")))
def test_tokenize_offsets_map_back(text):
    seg = zhtok.segment.default_segmenter()
    pos = 0
    for word, start, end in seg.tokenize(text):
        assert start == pos and end > start and text[start:end] == word
        pos = end
    assert pos == len(text)


@given(st.lists(st.text(max_size=40), max_size=20), st.integers(min_value=0, max_value=4))
def test_batch_equals_single(texts, threads):
    seg = zhtok.segment.default_segmenter()
    assert seg.cut_batch(texts, threads=threads) == [seg.cut(t) for t in texts]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_batch_with_empty_texts(seg, threads):
    # Empty texts have no words to keep: first, last and between others, in str and bytes.
    texts = ["", b"", "南京市长江大桥", "", b"\xe4\xb8\xad\xe6\x96\x87", ""] * 40
    assert seg.cut_batch(texts, threads=threads) == [seg.cut(t) for t in texts]
    assert seg.cut_batch([""] * 100, threads=threads) == [[]] * 100


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=20),
       st.integers(min_value=0, max_value=4))
def test_batch_of_str_and_bytes_equals_single(texts, threads):
    # A bytes item's words are sliced by byte offsets, a str's by characters.
    items = [t.encode("utf-8") if k % 2 else t for k, t in enumerate(texts)]
    seg = zhtok.segment.default_segmenter()
    assert seg.cut_batch(items, threads=threads) == [seg.cut(x) for x in items]


@pytest.mark.parametrize("length", [1, 1023, 1024, 1025, 3000])
@pytest.mark.parametrize("extra", ["", "é", "😀", "\ud800"])
def test_cut_short_and_long_str_agree(seg, length, extra):
    # cut() reads a str of up to 1024 characters directly (Latin-1, BMP or astral storage);
    # cut_batch and longer strs go through UTF-8: the words must not depend on the path.
    base = "南京市长江大桥，iPhone15 研究生命的起源。" + extra
    text = (base * (length // len(base) + 1))[:length]
    words = seg.cut(text)
    assert "".join(words) == text
    assert words == seg.cut_batch([text], threads=1)[0]
    if "\ud800" not in text:
        assert words == seg.cut(text.encode("utf-8"))


def test_cut_checks_errors_for_short_str_too(seg):
    with pytest.raises(ValueError, match="errors must be"):
        seg.cut("中", errors="ignore")


def test_invalid_utf8_bytes_name_the_offset(seg):
    with pytest.raises(InputError) as e:
        seg.cut("中文".encode() + b"\xff" + "好".encode())
    assert e.value.offset == 6 and "byte offset 6" in str(e.value)
    assert seg.cut("中".encode() + b"\xff", errors="replace") == ["中", "\ufffd"]


def test_batch_error_names_the_item(seg):
    with pytest.raises(InputError, match="text 1"):
        seg.cut_batch(["好", b"\xc3"])
    # In a long batch on several threads (texts taken in blocks), the first bad text is named.
    texts = ["南京市长江大桥"] * 3000
    texts[1537] = texts[2900] = b"\xc3"
    for threads in (1, 2, 3):
        with pytest.raises(InputError, match="text 1537"):
            seg.cut_batch(texts, threads=threads)


def test_bytes_input(seg):
    assert seg.cut("研究生命".encode()) == ["研究", "生命"]


def test_user_word_without_freq_wins_over_its_parts():
    seg = zhtok.Segmenter()
    assert "自然语言处理" not in seg.cut("自然语言处理很有趣")
    seg.add_word("自然语言处理")
    assert seg.cut("自然语言处理很有趣")[0] == "自然语言处理"
    assert seg.del_word("自然语言处理")
    assert "自然语言处理" not in seg.cut("自然语言处理很有趣")


def test_user_dict_belongs_to_one_segmenter():
    a, b = zhtok.Segmenter(), zhtok.Segmenter()
    a.add_word("长江大桥")
    assert "长江大桥" in a.cut("南京市长江大桥")
    assert "长江大桥" not in b.cut("南京市长江大桥")
    assert "长江大桥" not in zhtok.cut("南京市长江大桥")


def test_del_word_disables_dictionary_word():
    seg = zhtok.Segmenter()
    assert "马上" in seg.cut("他从马上下来")
    assert seg.del_word("马上")
    assert "马上" not in seg.cut("他从马上下来")
    assert not seg.del_word("不是一个词啊")
    seg.add_word("马上", 100)
    assert "马上" in seg.cut("他从马上下来")


@given(st.text(alphabet=st.sampled_from("南京市长江大桥研究生命的起源我们喜欢自然语言处理蓝莓蛋糕ab1 ，"),
               min_size=2, max_size=30), st.integers(min_value=0))
def test_a_deleted_word_never_comes_back(text, pick):
    seg = zhtok.Segmenter()  # the model is loaded once and shared; the user dictionary is its own
    words = [w for w in seg.cut(text) if len(w) >= 2 and not w.isascii()]
    if words:
        word = words[pick % len(words)]
        known = seg.del_word(word)  # False: a new word, which there is no dictionary entry to delete
        cut = seg.cut(text)
        assert "".join(cut) == text and (word not in cut or not known)


def test_a_deleted_word_is_not_proposed_as_a_new_word():
    # Without its dictionary edge the model would still cut 喜欢 as a word it does not know;
    # n-best and ambiguities read the same lattice. One character stays cuttable.
    seg = zhtok.Segmenter()
    for word, text in (("喜欢", "我们喜欢自然语言处理"), ("语言", "自然语言处理很有趣"),
                       ("长江", "南京市长江大桥")):
        assert word in seg.cut(text)
        assert seg.del_word(word)
        assert word not in seg.cut(text)
        assert all(word not in words for words, _ in seg.nbest(text, 20))
    assert seg.del_word("我")
    assert "".join(seg.cut("我们喜欢我")) == "我们喜欢我"
    assert seg.cut("我")[0] == "我"


def test_user_word_frequency_matters():
    seg = zhtok.Segmenter()
    seg.add_word("江大桥", 1)  # a rare word competes, and loses here
    assert "江大桥" not in seg.cut("南京市长江大桥")
    assert ["南京市", "长", "江大桥"] in [w for w, _ in seg.nbest("南京市长江大桥", 50)]


def test_user_word_frequency_in_dictionary_model(tmp_path):
    corpus = tmp_path / "train.txt"
    corpus.write_text("南京市  长江  大桥\n南京  市长\n", encoding="utf-8")
    model = tmp_path / "m.zseg"
    zhtok.train_segmenter([corpus], model, kind="unigram")
    seg = zhtok.Segmenter(model)
    assert seg.cut("南京市长江大桥") == ["南京市", "长江", "大桥"]
    seg.add_word("江大桥", 1000)
    assert seg.cut("南京市长江大桥") == ["南京", "市长", "江大桥"]


def test_by_frequency_is_the_dictionary_model_of_the_same_counts(tmp_path):
    # A perceptron model keeps its training text's word counts: by_frequency() scores with them
    # alone, as the unigram model trained on that text does (bigrams off: the unigram has none).
    from zhtok import _core

    words = ["南京市", "长江", "大桥", "南京", "市长", "江", "研究", "生命", "的", "起源", "完了", "完", "了"]
    rng = random.Random(5)
    train = tmp_path / "train.txt"
    train.write_text("\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(400)) + "\n",
                     encoding="utf-8")
    zhtok.train_segmenter([train], tmp_path / "p.zseg", epochs=2, folds=2, min_feature_count=1, bigram_weight=0)
    zhtok.train_segmenter([train], tmp_path / "u.zseg", kind="unigram")
    perceptron = _core.SegModel.load(str(tmp_path / "p.zseg"))
    unigram = _core.SegModel.load(str(tmp_path / "u.zseg"))
    fast = perceptron.by_frequency()
    assert fast.num_words == perceptron.num_words and "word frequency" in fast.info
    texts = ["".join(rng.choice(words) for _ in range(20)) for _ in range(50)] + ["南京市长江大桥研究生命的起源"]
    assert [_core.Segmenter(fast).cut(t) for t in texts] == [_core.Segmenter(unigram).cut(t) for t in texts]
    again = unigram.by_frequency()
    assert [_core.Segmenter(again).cut(t) for t in texts] == [_core.Segmenter(unigram).cut(t) for t in texts]


def test_fast_segmenter_uses_the_frequency_model_of_its_file():
    from zhtok import _core
    from zhtok._paths import DEFAULT_SEG_MODEL, vocab_file

    fast = zhtok.Segmenter(fast=True)
    by_frequency = _core.Segmenter(_core.SegModel.load(str(vocab_file(DEFAULT_SEG_MODEL))).by_frequency())
    assert fast.cut("乒乓球拍卖完了") == by_frequency.cut("乒乓球拍卖完了") == ["乒乓球", "拍卖", "完了"]
    assert zhtok.Segmenter().cut("乒乓球拍卖完了") == ["乒乓球", "拍卖", "完", "了"]
    assert fast.cut("南京市长江大桥") == ["南京市", "长江", "大桥"]
    fast.add_word("拍卖完")  # user dictionaries work as with the trained model
    assert fast.cut("乒乓球拍卖完了") == ["乒乓球", "拍卖完", "了"]


def test_load_user_dict(tmp_path):
    path = tmp_path / "user.txt"
    path.write_text("\ufeff# comment\n云计算平台 5\n\n深度求索\n大模型 3 n\n", encoding="utf-8")
    seg = zhtok.Segmenter(user_dict=path)
    assert seg.cut("深度求索发布云计算平台") == ["深度求索", "发布", "云计算平台"]


@pytest.mark.parametrize(
    "content, line",
    [("好词 1\n坏词 x\n", 2), ("词 1 2 3\n", 1), (b"ok\n\xff\n", 2), ("词 -1\n", 1),
     ("好词\n" + "长" * (1 << 19) + "\n", 2)],  # over the 1 MiB line limit
)
def test_bad_user_dict_line_is_reported_and_nothing_added(tmp_path, content, line):
    path = tmp_path / "user.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    seg = zhtok.Segmenter()
    with pytest.raises(FormatError) as e:
        seg.load_user_dict(path)
    assert e.value.line == line and e.value.path == str(path)
    assert f"{path}:{line}:" in str(e.value)
    assert seg.cut("好词") == zhtok.cut("好词")


def test_missing_user_dict(tmp_path):
    with pytest.raises(ZhtokIOError):
        zhtok.Segmenter(user_dict=tmp_path / "nope.txt")


def test_nbest(seg):
    best = seg.nbest("南京市长江大桥", 4)
    assert len(best) == 4
    assert best[0][0] == seg.cut("南京市长江大桥")
    scores = [s for _, s in best]
    assert scores == sorted(scores, reverse=True)
    assert all("".join(w) == "南京市长江大桥" for w, _ in best)
    assert len({tuple(w) for w, _ in best}) == 4
    assert ["南京", "市长", "江", "大桥"] in [w for w, _ in best]


def _breaks(words: list[str]) -> set[int]:
    ends, at = set(), 0
    for w in words:
        at += len(w)
        ends.add(at)
    return ends


@pytest.mark.parametrize("case", ["在这些企业中|国+有企业占多数", "北京大学+生|前+来应聘", "有些人|生+来就聪明"])
def test_word_bigrams_settle_crossing_words(seg, case):
    """Where dictionary words cross, the training text's word bigrams weigh in: the scorer
    alone (nbest's first reading) takes 中国/有, 生前/来 and 人生/来 in these ambiguity cases
    (| = a word boundary, + = none)."""
    text, need, bar = "", set(), set()
    for c in case:
        if c in "|+":
            (need if c == "|" else bar).add(len(text))
        else:
            text += c
    words = seg.cut(text)
    assert need <= _breaks(words) and not bar & _breaks(words), words
    alone = seg.nbest(text, 1)[0][0]
    assert not (need <= _breaks(alone) and not bar & _breaks(alone)), alone
    assert seg.cut_batch([text], threads=2) == [words]
    # The ambiguity report's chosen readings are cut's words.
    starts = {b - len(w): w for b, w in zip(sorted(_breaks(words)), words)}
    for amb in seg.ambiguities(text):
        chosen, at = amb.alternatives[0][0], amb.start
        for w in chosen:
            assert starts.get(at) == w
            at += len(w)


def test_nbest_short_text(seg):
    assert seg.nbest("好", 5) == [(["好"], pytest.approx(seg.nbest("好", 1)[0][1]))]
    assert seg.nbest("", 3) == [([], 0.0)]
    assert seg.nbest("好", 0) == []


def test_ambiguities_report_the_mayor_reading(seg):
    found = seg.ambiguities("南京市长江大桥")
    assert len(found) == 1
    amb = found[0]
    assert amb.start == 0 and amb.text == "南京市长江大桥"[amb.start : amb.end]
    chosen, *others = amb.alternatives
    assert "".join(chosen[0]) == amb.text and chosen[0][0] == "南京市"
    assert any(words[:2] == ["南京", "市长"] for words, _ in others)
    assert all(chosen[1] >= score for _, score in others)


def test_ambiguities_offsets_in_longer_text(seg):
    text = "今天。南京市长江大桥很美"
    amb = [a for a in seg.ambiguities(text) if "市长" in str(a.alternatives)]
    assert amb and text[amb[0].start : amb[0].end] == amb[0].text and amb[0].start == 3


def test_no_ambiguity_in_plain_text(seg):
    assert seg.ambiguities("我们") == []


def test_threads_share_one_segmenter_while_dict_changes():
    seg = zhtok.Segmenter()
    text = "南京市长江大桥于1968年建成通车"
    expected = seg.cut(text)
    errors = []

    def cutter():
        for _ in range(300):
            words = seg.cut(text)
            if "".join(words) != text or words[0] not in ("南京市", "南京市长江大桥"):
                errors.append(words)

    def editor():
        for _ in range(300):
            seg.add_word("南京市长江大桥")
            seg.del_word("南京市长江大桥")

    threads = [threading.Thread(target=cutter) for _ in range(4)] + [threading.Thread(target=editor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert seg.cut(text) == expected


def test_a_run_of_letters_too_long_to_search_is_one_word():
    # Runs over 65,536 letters and digits are not searched (a window would hold all of them):
    # each is one word, and the text around them is segmented as usual.
    seg = zhtok.Segmenter()
    text = "南京市长江大桥" + "a1" * 40_000 + "研究生命的起源" + "b" * 70_000
    words = seg.cut(text)
    assert "".join(words) == text
    assert words == seg.cut("南京市长江大桥") + ["a1" * 40_000] + seg.cut("研究生命的起源") + ["b" * 70_000]
    expected = [a.text for t in ("南京市长江大桥", "研究生命的起源") for a in seg.ambiguities(t)]
    assert expected and [a.text for a in seg.ambiguities(text)] == expected


def test_new_word_bias_on_a_loaded_model():
    """Segmenter(new_word_bias=d) adds d to the model's own bias: each reading scores d x its
    words of 2+ characters that the dictionary lacks above the plain model's, and more new
    words are cut; the fast (frequency) model proposes none and has no bias to change."""
    plain, biased = zhtok.Segmenter(), zhtok.Segmenter(new_word_bias=25)
    assert biased.model.info.endswith("(new-word bias +25)")
    assert compare_new_word_bias(plain, biased, ("他们在塔什库尔干塔吉克自治县投融资", "原子结合成分子时",
                                                 "蓝莓蛋糕配咖啡"), 25) >= 3
    text = "他们在塔什库尔干塔吉克自治县投融资"
    new_words = lambda seg: sum(1 for w in seg.cut(text) if len(w) >= 2 and not plain.model.contains(w))
    assert new_words(biased) > new_words(zhtok.Segmenter(new_word_bias=-25))
    with pytest.raises(zhtok.InputError, match="no new words"):
        zhtok.Segmenter(fast=True, new_word_bias=5)
    for bad in (float("nan"), float("inf"), 1e9):
        with pytest.raises(zhtok.InputError, match="new-word bias"):
            zhtok.Segmenter(new_word_bias=bad)
