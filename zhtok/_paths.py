"""Where the shipped models live: inside the installed package (``zhtok.vocab``) or, when zhtok
runs from a source checkout, in the repository's ``vocab/``."""
from pathlib import Path

DEFAULT_SEG_MODEL = "pku.zseg"
DEFAULT_TOKENIZER = "zh_en_32k.ztok"


def vocab_file(name: str) -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here / "vocab", here.parent / "vocab"):
        if (folder / name).is_file():
            return folder / name
    try:
        from importlib.resources import files

        path = Path(str(files("zhtok.vocab") / name))
        if path.is_file():
            return path
    except ModuleNotFoundError:
        pass
    raise FileNotFoundError(f"shipped model {name!r} not found; reinstall zhtok (pip install .)")
