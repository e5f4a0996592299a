"""The held-out sweep that chose the segmentation training options (benchmarks/seg_heldout.py)."""
import pytest

from benchmarks.seg_heldout import main, split_heldout, sweep

SENTENCES = ["我们  喜欢  自然语言处理", "自然语言处理  很  有趣", "他们  学习  机器  翻译",
             "南京市  长江  大桥", "我们  学习  中文", "机器  翻译  很  有趣", "他们  喜欢  南京市",
             "中文  分词  很  重要", "我们  研究  生命", "他们  喜欢  长江  大桥"]


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes(("\ufeff" + "\r\n\r\n".join(SENTENCES) + "\r\n").encode())  # BOM, CRLF, blank lines
    return path


def test_split_holds_out_the_last_tenth(tmp_path, corpus):
    paths = split_heldout(corpus, tmp_path)
    assert paths["train"].read_text(encoding="utf-8").splitlines() == SENTENCES[:9]
    assert paths["gold"].read_text(encoding="utf-8").splitlines() == SENTENCES[9:]
    assert paths["raw"].read_text(encoding="utf-8") == "他们喜欢长江大桥\n"
    words = paths["train_words"].read_text(encoding="utf-8").split()
    assert "南京市" in words and "研究" in words and len(words) == len(set(words))
    one = tmp_path / "one.txt"
    one.write_text("我们  喜欢\n", encoding="utf-8")
    with pytest.raises(ValueError, match="too few"):
        split_heldout(one, tmp_path)


def test_sweep_scores_each_value_on_the_held_out_tenth(tmp_path, corpus):
    rows = sweep("new_word_bias", ["0", "2.5"], corpus, tmp_path)
    assert [r["new_word_bias"] for r in rows] == [0.0, 2.5]
    for r in rows:
        assert 0 <= r["f1"] <= 100 and r["oov_words"] == 0  # every held-out word is in the nine tenths
    assert rows[0]["f1"] == pytest.approx(100.0)  # 他们 喜欢 长江 大桥: all seen words
    with pytest.raises(ValueError, match="unknown option"):
        sweep("learning_rate", ["1"], corpus, tmp_path)


def test_command_line_writes_json(tmp_path, corpus, capsys):
    out = tmp_path / "rows.json"
    assert main(["--corpus", str(corpus), "--option", "epochs", "--values", "1,2", "--out", str(out)]) == 0
    assert "| epochs |" in capsys.readouterr().out
    assert '"epochs": 2' in out.read_text(encoding="utf-8")
