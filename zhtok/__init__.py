"""zhtok: Chinese word segmentation, byte-level BPE and corpus encoding over a C++ core.

>>> import zhtok
>>> zhtok.cut("南京市长江大桥")
['南京市', '长江', '大桥']
"""
from ._core import __version__
from .bpe import Tokenizer, train_tokenizer
from .errors import FormatError, InputError, ZhtokError, ZhtokIOError
from .segment import Ambiguity, Segmenter, cut, train_segmenter


def __getattr__(name: str):
    # numpy is imported only by what needs it: its OpenBLAS threads otherwise take CPU from
    # segmentation (7% of a segmentation profile).
    if name == "encode_corpus":
        from .encode import encode_corpus

        return encode_corpus
    if name == "IndexedDataset":
        from .megatron import IndexedDataset

        return IndexedDataset
    raise AttributeError(f"module 'zhtok' has no attribute {name!r}")

__all__ = [
    "__version__",
    "cut",
    "Segmenter",
    "Ambiguity",
    "train_segmenter",
    "Tokenizer",
    "train_tokenizer",
    "encode_corpus",
    "IndexedDataset",
    "ZhtokError",
    "InputError",
    "FormatError",
    "ZhtokIOError",
]
