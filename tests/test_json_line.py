"""csrc/io/json_line: the core's JSON line parser decides as json.loads(line.decode()) does, with
Python's message and column, and extracts the same string values."""
import json
import sys

import pytest
from hypothesis import example, given, settings, strategies as st

from zhtok import _core

KEYS = ["text", "title", "\ud800", "t\u00e9xt"]


def reference(line: bytes, keys=KEYS):
    """What zhtok's Python reader made of a line: json.loads on the decoded line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return "utf8", e.start
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return "invalid", (e.msg, e.colno)
    if not isinstance(obj, dict):
        return "not_object", None
    return "ok", [obj[k] if isinstance(obj.get(k), str) else None for k in keys]


def check(line: bytes, keys=KEYS):
    try:
        expected = reference(line, keys)
    except RecursionError:  # Python cannot say: the core refuses only past kMaxJsonDepth
        return
    except ValueError as e:  # an int over sys.get_int_max_str_digits(): valid JSON to the core
        assert "integer string conversion" in str(e)
        assert _core.parse_json_line(line, keys)[0] in ("ok", "not_object"), line
        return
    assert _core.parse_json_line(line, keys) == expected, line


# -- JSON-ish text: valid documents, then edited where the grammar is touchy --------------------------

strings = st.text(st.characters(codec="utf-8") | st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\u2028\ufeff\ud800\udc00'),
                  max_size=8)
scalars = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats()
           | st.sampled_from([0, -0.0, 1e308, 5e-324, 10**400]) | strings)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(KEYS) | strings, inner, max_size=4), max_leaves=10)
PIECES = ['"', "\\", "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00", "u", "0", "1", "9", "-", "+", ".", "e", "E",
          "{", "}", "[", "]", ",", ":", " ", "\t", "\r", "\n", "\x00", "\x1f", "\x7f", "null", "nul", "true",
          "NaN", "Infinity", "-Infinity", "Inf", "中", "\U0001f600", "\ufeff", "\u3000", "a", '"text"', '"title"']


@st.composite
def jsonish(draw) -> bytes:
    text = json.dumps(draw(values), ensure_ascii=draw(st.booleans()), allow_nan=True,
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")])))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 3)):]
    return (draw(st.sampled_from(["", " ", "\t\r\n "])) + text + draw(st.sampled_from(["", " ", "\r"]))
            ).encode("utf-8", "surrogatepass")


@settings(max_examples=1500)
@given(jsonish())
def test_jsonish_text_decides_as_python(line):
    check(line)


UTF8_PIECES = [b"\xe4\xb8\xad", b"\xe4\xb8", b"\xe4", b"\xf0\x9f\x98\x80", b"\xf0\x9f\x98", b"\xf0\x9f", b"\xc3\xa9",
               b"\xc3", b"\xed\xa0\x80", b"\xed\x9f\xbf", b"\xed\xbf\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80",
               b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\x80",
               b"\xbf", b'"', b"\\", b"{", b"}", b":", b",", b"1", b" ", b'{"text": "', b'"}']


@settings(max_examples=1000)
@given(st.binary(max_size=24) | st.lists(st.sampled_from(UTF8_PIECES), max_size=10).map(b"".join))
def test_arbitrary_bytes_decide_as_python(line):
    check(line)


@given(st.lists(st.sampled_from(UTF8_PIECES[:21]) | st.binary(max_size=3), max_size=8).map(b"".join))
def test_invalid_utf8_offset_is_unicode_decode_error_start(data):
    # Inside a JSON string, and as a whole line: the offset is that of the first bad byte.
    for line in (b'{"text": "' + data + b'"}', data):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            assert _core.parse_json_line(line, ["text"]) == ("utf8", e.start)
        else:
            check(line, ["text"])


# -- the cases named in the requirements, and the error columns ------------------------------------------

@pytest.mark.parametrize("line, message, column", [
    (b'{"text": "abc', "Unterminated string starting at", 10),   # truncated input
    (b'{"text": "abc"', "Expecting ',' delimiter", 15),
    (b'{"text":', "Expecting value", 9),
    (b'{"text"', "Expecting ':' delimiter", 8),
    (b"{", "Expecting property name enclosed in double quotes", 2),
    (b"[1, 2", "Expecting ',' delimiter", 6),
    (b"", "Expecting value", 1),
    (b'{"text": tru}', "Expecting value", 10),                    # bad token
    (b'{"text": nul}', "Expecting value", 10),
    (b"{'text': 'a'}", "Expecting property name enclosed in double quotes", 2),
    (b'{"text": 01}', "Expecting ',' delimiter", 11),
    (b'{"text": "a"} x', "Extra data", 15),                        # trailing data
    (b'{"text": "a"}{}', "Extra data", 14),
    (b'{"text": "\xe4\xb8\xad\xe6\x96\x87"} x', "Extra data", 16),  # columns count characters
    (b'{"text": "\\x"}', "Invalid \\escape", 11),
    (b'{"text": "\\u12g4"}', "Invalid \\uXXXX escape", 12),
    (b'{"text": "\\ud800\\u12g4"}', "Invalid \\uXXXX escape", 18),
    (b'{"text": "a\tb"}', "Invalid control character at", 12),
    (b'\xef\xbb\xbf{"text": "a"}', "Unexpected UTF-8 BOM (decode using utf-8-sig)", 1),
])
def test_error_columns_are_python_colno(line, message, column):
    assert _core.parse_json_line(line, ["text"]) == ("invalid", (message, column))
    assert reference(line, ["text"]) == ("invalid", (message, column))


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13 reports trailing commas on their own")
def test_trailing_commas_as_before_python_3_13():
    assert _core.parse_json_line(b'{"text": "a",}', ["text"]) == (
        "invalid", ("Expecting property name enclosed in double quotes", 14))
    assert _core.parse_json_line(b"[1,]", []) == ("invalid", ("Expecting value", 4))


@pytest.mark.skipif(sys.version_info < (3, 13), reason="before 3.13 a trailing comma is a missing value")
def test_trailing_commas_as_python_3_13():
    assert _core.parse_json_line(b'{"text": "a",}', ["text"]) == (
        "invalid", ("Illegal trailing comma before end of object", 13))


def test_lone_surrogates_and_pairs():
    line = b'{"text": "a\\ud800b\\udc00\\ud83d\\ude00\\udbff", "title": "\\uD83D\\uDE00"}'
    assert _core.parse_json_line(line, ["text", "title"]) == ("ok", ["a\ud800b\udc00\U0001f600\udbff", "\U0001f600"])
    check(line)
    # A key given with a lone surrogate matches the same escaped key.
    assert _core.parse_json_line(b'{"\\ud800": "x"}', ["\ud800"]) == ("ok", ["x"])
    # Raw (encoded) surrogates are invalid UTF-8, as for Python's strict decoder.
    assert _core.parse_json_line(b'{"text": "\xed\xa0\x80"}', ["text"]) == ("utf8", 10)


def test_duplicate_keys_the_last_wins():
    assert _core.parse_json_line(b'{"text": "a", "text": "b"}', ["text"]) == ("ok", ["b"])
    assert _core.parse_json_line(b'{"text": "a", "text": 1}', ["text"]) == ("ok", [None])
    assert _core.parse_json_line(b'{"text": 1, "t\\u0065xt": "c"}', ["text"]) == ("ok", ["c"])
    # Nested keys are not the line's.
    assert _core.parse_json_line(b'{"x": {"text": "no"}, "y": [{"text": "no"}]}', ["text"]) == ("ok", [None])


def test_nan_infinity_and_numbers():
    for line in [b"NaN", b"Infinity", b"-Infinity", b"[NaN, -Infinity, 1e999, -0, 0.5e-3, 1E+2]"]:
        assert _core.parse_json_line(line, []) == ("not_object", None)
        check(line)
    for line in [b"-NaN", b"+1", b".5", b"1.e3", b"0x10", b"Inf", b"infinity", b"- 1"]:
        assert _core.parse_json_line(line, [])[0] == "invalid"
        check(line)


def test_huge_numbers():
    digits = b"1" * 100_000
    assert _core.parse_json_line(b'{"n": ' + digits + b', "text": "a"}', ["text"]) == ("ok", ["a"])
    # Python refuses an int this long with a ValueError that is not a JSONDecodeError (the
    # reader crashed on it); it is valid JSON, and the core takes it.
    check(b'{"n": ' + digits + b"}")
    check(b'{"n": 1.' + digits + b"e-99999}")
    check(b"[" + b"9" * 4000 + b"]")


def test_control_characters():
    for c in range(0x20):
        line = b'{"text": "a' + bytes([c]) + b'"}'
        assert _core.parse_json_line(line, ["text"]) == ("invalid", ("Invalid control character at", 12))
        check(line)
        check(bytes([c]) + b"{}")
    check(b'{"text": "\x7f"}')


def test_deep_nesting_is_refused_not_a_crash():
    assert _core.parse_json_line(b"[" * 1000 + b"]" * 1000, []) == ("not_object", None)
    assert _core.parse_json_line(b'{"a":' * 999 + b'{"text": "x"}' + b"}" * 999, ["text"]) == ("ok", [None])
    for depth in (1001, 1_000_000):
        assert _core.parse_json_line(b"[" * depth, []) == ("invalid", ("Nested deeper than 1000 levels", 1001))
    check(b"[" * 50 + b"]" * 50)
    with pytest.raises(RecursionError):  # what Python does: today's reader died on such a line
        json.loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("keys", [[], ["text"], ["text", "title"]])
def test_values_are_extracted_exactly(keys):
    obj = {"title": "标题\n\"q\" \\ /", "text": "\u2028\x7f\U0001f600 \ud800", "n": [1, {"text": 2}]}
    for ensure_ascii in (True, False):
        line = json.dumps(obj, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        if ensure_ascii:
            assert _core.parse_json_line(line, keys) == ("ok", [obj[k] for k in keys])
        check(line, keys)


def test_keys_must_be_str():
    with pytest.raises(TypeError, match="keys must be str"):
        _core.parse_json_line(b"{}", [b"text"])
