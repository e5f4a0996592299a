"""Words learned from raw text (zhtok.lexicon and train-seg --unlabeled)."""
import pytest

import zhtok
from zhtok import _core
from zhtok.lexicon import add_words_from_raw_text, count_new_words


@pytest.fixture()
def model(tmp_path):  # a tiny dictionary model
    train = tmp_path / "train.txt"
    train.write_text("我们  喜欢  学习\n他们  喜欢  学习\n我们  学习  语言\n", encoding="utf-8")
    path = tmp_path / "m.zseg"
    zhtok.train_segmenter([train], path, kind="unigram")
    return path


@pytest.fixture()
def shipped():
    from zhtok._paths import DEFAULT_SEG_MODEL, vocab_file

    return vocab_file(DEFAULT_SEG_MODEL)


@pytest.fixture()
def raw(tmp_path):
    # The shipped model cuts 拉姆斯菲尔德 as one word without having it in its dictionary.
    path = tmp_path / "raw.txt"
    path.write_bytes(("拉姆斯菲尔德访问北京\n" * 6).encode() + b"\xff\xfe\n" + "他说了\n".encode())
    return path


def test_frequent_new_words_are_counted(shipped, raw):
    m = _core.SegModel.load(str(shipped))
    assert not m.contains("拉姆斯菲尔德") and m.contains("访问")
    assert count_new_words(m, [raw]) == {"拉姆斯菲尔德": 6}  # known and 1-character words are not
    assert count_new_words(m.with_words(["拉姆斯菲尔德"], [3], "x"), [raw]) == {}


def test_add_words_from_raw_text_with_threshold_and_bad_records(tmp_path, shipped, raw):
    out = tmp_path / "out.zseg"
    stats = add_words_from_raw_text(shipped, [raw], out, training_words=1000, min_count=5)
    assert stats.lines == 7 and [b.line for b in stats.bad] == [7] and "UTF-8" in stats.bad[0].reason
    assert stats.words_added == 1 and stats.words_counted == 6 * 3
    before, after = _core.SegModel.load(str(shipped)), _core.SegModel.load(str(out))
    assert after.contains("拉姆斯菲尔德") and after.num_words == before.num_words + 1
    assert "1 words from 7 lines of raw text" in after.info
    assert zhtok.Segmenter(out).cut("拉姆斯菲尔德访问北京") == ["拉姆斯菲尔德", "访问", "北京"]
    stats = add_words_from_raw_text(shipped, [raw], out, training_words=1000, min_count=7)
    assert stats.words_added == 0


def test_excluded_text_is_left_out(tmp_path, model):
    raw = tmp_path / "raw.txt"
    raw.write_text("这是一段很长的测试文字熊猫宝宝\n别的内容我们喜欢\n", encoding="utf-8")
    test = tmp_path / "test.txt"
    test.write_text("前面这是一段很长的测试文字后面\n", encoding="utf-8")
    stats = add_words_from_raw_text(model, [raw], tmp_path / "o.zseg", 9, 1, exclude=[test])
    assert (stats.lines, stats.excluded_lines) == (1, 1)


def test_with_words_rejects_bad_lists(model):
    m = _core.SegModel.load(str(model))
    with pytest.raises(ValueError, match="one count per word"):
        m.with_words(["熊猫"], [1, 2], "x")
    with pytest.raises(ValueError, match="empty word"):
        m.with_words([""], [1], "x")
    with pytest.raises(ValueError, match="twice"):
        m.with_words(["熊猫", "熊猫"], [1, 1], "x")
    same = m.with_words(["我们"], [100], "x")  # known words are left as they are
    assert same.num_words == m.num_words


def test_perceptron_model_learns_words_from_raw_text(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text("我们  喜欢  学习  语言\n他们  喜欢  学习\n" * 3, encoding="utf-8")
    raw = tmp_path / "raw.txt"
    raw.write_text("我们喜欢学习语言\n" * 3, encoding="utf-8")
    out = tmp_path / "p.zseg"
    stats = zhtok.train_segmenter([train], out, epochs=2, unlabeled=[raw], min_unlabeled_count=1)
    lex = stats["lexicon"]
    assert lex.lines == 3 and lex.words_counted > 0
    model = _core.SegModel.load(str(out))
    assert "lines of raw text" in model.info
    assert lex.words_added == 0 and model.num_words == 5  # every word it cuts is a training word


def test_cli_train_seg_unlabeled(tmp_path, capsys):
    from zhtok.cli import main

    train = tmp_path / "train.txt"
    train.write_text("我们  喜欢  学习\n" * 3, encoding="utf-8")
    raw = tmp_path / "raw.txt"
    raw.write_text("我们喜欢学习\n" * 3, encoding="utf-8")
    assert main(["train-seg", str(train), "-o", str(tmp_path / "m.zseg"), "--epochs", "1",
                 "--unlabeled", str(raw), "--min-unlabeled-count", "2"]) == 0
    assert "raw text: 3 lines segmented" in capsys.readouterr().err
