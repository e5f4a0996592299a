"""zhtok: Chinese word segmentation, byte-level BPE and corpus encoding over a C++ core.

>>> import zhtok
>>> zhtok.cut("南京市长江大桥")
['南京市', '长江大桥']
"""
from ._core import __version__
from .errors import FormatError, InputError, ZhtokError, ZhtokIOError
from .segment import Ambiguity, Segmenter, cut, train_segmenter

__all__ = [
    "__version__",
    "cut",
    "Segmenter",
    "Ambiguity",
    "train_segmenter",
    "ZhtokError",
    "InputError",
    "FormatError",
    "ZhtokIOError",
]
