"""Training segmentation models, and loading model files that are wrong in every way."""
import pytest

import zhtok
from conftest import compare_new_word_bias
from zhtok.errors import FormatError, InputError, ZhtokIOError


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes("\ufeff我们  喜欢  自然语言处理\r\n自然语言处理  很  有趣\r\n".encode())
    return path


@pytest.mark.parametrize("kind", ["perceptron", "unigram"])
def test_train_and_use(tmp_path, corpus, kind):
    model = tmp_path / "m.zseg"
    stats = zhtok.train_segmenter([corpus], model, kind=kind)
    assert stats["sentences"] == 2 and stats["words"] == 6 and stats["bad_lines"] == []
    seg = zhtok.Segmenter(model)
    assert seg.cut("我们喜欢自然语言处理") == ["我们", "喜欢", "自然语言处理"]
    assert seg.model.info.startswith(kind) and "6 words" in seg.model.info


def test_traditional_chinese_and_fullwidth_space(tmp_path):
    path = tmp_path / "as.txt"
    path.write_text("許多　社區　長青　學苑\n文山區　長青　學苑\n", encoding="utf-8")
    model = tmp_path / "as.zseg"
    zhtok.train_segmenter([path], model)
    assert zhtok.Segmenter(model).cut("文山區長青學苑") == ["文山區", "長青", "學苑"]


def test_bad_training_lines_are_reported(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("好  词\n\n   \n坏".encode() + b"\xff" + "词\n".encode())
    stats = zhtok.train_segmenter([path], tmp_path / "m.zseg")
    assert [(line, reason.split(" ")[0]) for _, line, reason in stats["bad_lines"]] == [
        (2, "empty"), (3, "line"), (4, "invalid")]
    with pytest.raises(FormatError) as e:
        zhtok.train_segmenter([path], tmp_path / "m2.zseg", on_error="fail")
    assert e.value.line == 2 and str(path) in str(e.value)


def test_a_line_over_the_limit_is_skipped_in_bounded_memory(tmp_path):
    # A "line" of 3 MiB (over the 1 MiB limit) is reported and skipped without being held; the
    # lines around it, the last one without a newline, still train.
    path = tmp_path / "long.txt"
    path.write_bytes("我们 喜欢\n".encode() + "词 ".encode() * (1 << 20) + "\n他们 学习\r\n自然 语言".encode())
    stats = zhtok.train_segmenter([path], tmp_path / "m.zseg")
    assert [(line, reason) for _, line, reason in stats["bad_lines"]] == [
        (2, "line longer than the limit of 1 MiB")]
    assert stats["sentences"] == 3 and stats["words"] == 6
    with pytest.raises(FormatError, match="long.txt:2: line longer than the limit of 1 MiB"):
        zhtok.train_segmenter([path], tmp_path / "m2.zseg", on_error="fail")


def test_missing_training_file(tmp_path):
    with pytest.raises(ZhtokIOError, match="nope.txt"):
        zhtok.train_segmenter([tmp_path / "nope.txt"], tmp_path / "m.zseg")


@pytest.fixture()
def model_bytes(tmp_path, corpus):
    model = tmp_path / "m.zseg"
    zhtok.train_segmenter([corpus], model)
    return model.read_bytes()


@pytest.mark.parametrize("cut", [0, 7, 20, 31, 32, 40, -1])
def test_truncated_model_is_a_clear_error(tmp_path, model_bytes, cut):
    path = tmp_path / "bad.zseg"
    path.write_bytes(model_bytes[:cut])
    with pytest.raises(FormatError) as e:
        zhtok.Segmenter(path)
    assert e.value.path == str(path)


def test_corrupted_model_fails_the_checksum(tmp_path, model_bytes):
    data = bytearray(model_bytes)
    data[len(data) // 2] ^= 0x40
    path = tmp_path / "bad.zseg"
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="checksum"):
        zhtok.Segmenter(path)


def test_wrong_file_and_version(tmp_path, model_bytes):
    path = tmp_path / "bad.zseg"
    path.write_bytes(b"hello world, this is not a model at all" * 3)
    with pytest.raises(FormatError, match="magic"):
        zhtok.Segmenter(path)
    data = bytearray(model_bytes)
    data[8] = 99
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="version 99"):
        zhtok.Segmenter(path)


def test_missing_model(tmp_path):
    with pytest.raises(ZhtokIOError):
        zhtok.Segmenter(tmp_path / "none.zseg")


def test_shipped_model_trained_from_pku(seg):
    assert seg.model.info.startswith("perceptron") and "19297 sentences" in seg.model.info
    assert seg.model.num_words > 50000


def test_bigram_weight(tmp_path, corpus):
    """bigram_weight=0 leaves the scorer alone: cut gives the best-scoring reading (nbest's
    first) everywhere; a weight that is not a number >= 0 is refused."""
    plain = tmp_path / "plain.zseg"
    zhtok.train_segmenter([corpus], plain, epochs=2, folds=2, min_feature_count=1, bigram_weight=0)
    seg = zhtok.Segmenter(plain)
    for text in ("我们喜欢自然语言处理", "自然语言处理很有趣", "南京市长江大桥"):
        assert seg.cut(text) == seg.nbest(text, 1)[0][0]
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InputError, match="bigram weight"):
            zhtok.train_segmenter([corpus], tmp_path / "bad.zseg", epochs=1, folds=2, bigram_weight=bad)
    assert not (tmp_path / "bad.zseg").exists()


def test_new_word_bias(tmp_path, corpus):
    """The bias is added to the score of every out-of-dictionary word of 2+ characters, and to
    nothing else: each reading scores bias x its new multi-character words above the unbiased
    model's. A bias that is not a finite number in range is refused."""
    models = {}
    for bias in (0.0, 7.5):
        models[bias] = tmp_path / f"b{bias}.zseg"
        zhtok.train_segmenter([corpus], models[bias], epochs=2, folds=2, min_feature_count=1,
                              bigram_weight=0, new_word_bias=bias)
    plain, biased = zhtok.Segmenter(models[0.0]), zhtok.Segmenter(models[7.5])
    assert "new-word bias 7.5" in biased.model.info
    assert compare_new_word_bias(plain, biased, ("我们喜欢蓝莓蛋糕", "自然语言处理很有趣", "他们学习机器翻译"),
                                 7.5, k=50) >= 3
    for bad in (float("nan"), float("inf"), 1e9):
        with pytest.raises(InputError, match="new-word bias"):
            zhtok.train_segmenter([corpus], tmp_path / "bad.zseg", epochs=1, folds=2, new_word_bias=bad)
    assert not (tmp_path / "bad.zseg").exists()
