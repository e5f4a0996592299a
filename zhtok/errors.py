"""Exceptions raised by zhtok. The C++ core's errors arrive as these classes, with where it
happened in attributes: ``path`` (file), ``line`` (1-based) and ``offset`` (byte), each None
when unknown."""


class ZhtokError(Exception):
    """Base class of every zhtok error."""

    path: "str | None" = None
    line: "int | None" = None
    offset: "int | None" = None


class InputError(ZhtokError, ValueError):
    """The text or arguments given cannot be processed (e.g. invalid UTF-8)."""


class FormatError(ZhtokError, ValueError):
    """A file is malformed: a model, dictionary or corpus line."""


class ZhtokIOError(ZhtokError, OSError):
    """A file cannot be opened, read or written."""


__all__ = ["ZhtokError", "InputError", "FormatError", "ZhtokIOError"]
