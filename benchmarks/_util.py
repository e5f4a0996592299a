"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# The data are read in place from a folder beside the repository, never copied into it;
# ZHTOK_DATA_DIR points elsewhere, as it does for the test suite.
DEFAULT_DATA_DIR = Path(os.environ.get("ZHTOK_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")

Source = str | os.PathLike[str]


def read_source(source: Source, what: str) -> tuple[str, str]:
    """Return (text, name for messages) of a path, or of literal text.

    A ``str`` is taken as a path when it has no line break and names an existing
    file, so that short literal texts work in tests and notebooks.  A leading BOM
    is dropped and CRLF line ends become LF.
    """
    if isinstance(source, os.PathLike) or ("\n" not in source and _is_file(source)):
        path = Path(source)
        text = path.read_text(encoding="utf-8-sig")
        name = str(path)
    else:
        text = source.removeprefix("\ufeff")
        name = f"<{what} text>"
    return text.replace("\r\n", "\n"), name


def split_lines(text: str) -> list[str]:
    """Split on LF only (other Unicode line separators are text), without a phantom last line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _is_file(name: str) -> bool:
    """Path.is_file, but False for strings the OS refuses as names (too long, NUL)."""
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False
