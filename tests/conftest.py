import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

settings.register_profile("zhtok", max_examples=int(os.environ.get("ZHTOK_MAX_EXAMPLES", "200")), deadline=None)
settings.load_profile("zhtok")


def find_data_dir() -> "Path | None":
    """The shared data: $ZHTOK_DATA_DIR, else ../shared/data beside the repository."""
    env = os.environ.get("ZHTOK_DATA_DIR")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = find_data_dir()
    if path is None:
        pytest.skip("shared data directory not found (set ZHTOK_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def seg():
    import zhtok

    return zhtok.Segmenter()


def compare_new_word_bias(plain, biased, texts, delta: float, k: int = 30) -> int:
    """Asserts that every reading among both Segmenters' k best of each text scores delta times
    its new words (2+ characters, not in plain's dictionary) higher under biased than under
    plain; returns how many readings holding new words were compared."""
    compared = 0
    for text in texts:
        before = {tuple(w): s for w, s in plain.nbest(text, k)}
        for words, score in biased.nbest(text, k):
            if tuple(words) in before:
                new = sum(1 for w in words if len(w) >= 2 and not plain.model.contains(w))
                assert score == pytest.approx(before[tuple(words)] + delta * new, abs=1e-2)
                compared += new > 0
    return compared
