"""zhtok: Chinese word segmentation, byte-level BPE and corpus encoding over a C++ core.

>>> import zhtok
>>> zhtok.cut("南京市长江大桥")
['南京市', '长江', '大桥']
"""
from ._core import __version__
from .bpe import Tokenizer, train_tokenizer
from .encode import encode_corpus
from .errors import FormatError, InputError, ZhtokError, ZhtokIOError
from .megatron import IndexedDataset
from .segment import Ambiguity, Segmenter, cut, train_segmenter

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
