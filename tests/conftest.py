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
