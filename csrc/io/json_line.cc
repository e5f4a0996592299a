// Mirrors CPython's C scanner (Modules/_json.c) step for step, because the error positions
// follow from its order of checks: a string's end is looked for before its escapes are
// judged, a bad literal is reported where the value starts, a number ends where its grammar
// stops (the rest is "Extra data"), and so on. Positions are bytes here and characters there;
// every comparison of positions is between character boundaries, so they agree.
//
// UTF-8 is checked in the same pass: outside strings only ASCII is valid JSON, so the bytes
// before any position the parser reaches are checked already. Python decodes the whole line
// first, so on a JSON error the rest of the line is checked too: invalid UTF-8 anywhere wins.
#include "io/json_line.h"

#include <algorithm>
#include <cstring>

#include "common/char_class.h"
#include "common/utf8.h"

namespace zhtok::io {
namespace {

constexpr uint8_t kObject = 0, kArray = 1;

inline bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

inline int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of 4 hex digits at p, or -1.
inline int32_t hex4(const unsigned char* p) {
  int32_t v = 0;
  for (int k = 0; k < 4; ++k) {
    int d = hex_digit(p[k]);
    if (d < 0) return -1;
    v = v << 4 | d;
  }
  return v;
}

// Bytes that continue a run of plain string characters: printable ASCII but '"' and '\'.
struct PlainTable {
  bool plain[256] = {};
  constexpr PlainTable() {
    for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  }
};
constexpr PlainTable kPlain;

}  // namespace

JsonLineParser::JsonLineParser(std::vector<std::string> keys, bool trailing_comma_error)
    : keys_(std::move(keys)), trailing_comma_error_(trailing_comma_error),
      values_(keys_.size()), found_(keys_.size(), kMissing), decoded_(keys_.size()) {
  stack_.reserve(kMaxJsonDepth);
}

size_t JsonLineParser::fail(const char* message, size_t at) {
  int64_t bad = find_invalid_utf8(std::string_view(reinterpret_cast<const char*>(s_) + at, n_ - at));
  if (bad >= 0) {
    status_ = Status::InvalidUtf8;
    error_at_ = at + static_cast<size_t>(bad);
  } else {
    status_ = Status::InvalidJson;
    error_message_ = message;
    error_at_ = at;
  }
  return kFailed;
}

JsonLineParser::Status JsonLineParser::refuse(const char* message, size_t at) {
  fail(message, at);
  return status_;
}

int64_t JsonLineParser::error_column() const {
  // Characters since the last LF (JSON whitespace; never in a line of a file). The bytes
  // before error_at_ are valid UTF-8: count the lead bytes.
  size_t from = error_at_;
  while (from > 0 && s_[from - 1] != '\n') --from;
  int64_t chars = 0;
  for (size_t i = from; i < error_at_; ++i) chars += (s_[i] & 0xC0) != 0x80;
  return chars + 1;
}

size_t JsonLineParser::skip_ws(size_t i) const {
  while (i < n_ && is_ws(s_[i])) ++i;
  return i;
}

bool JsonLineParser::literal(size_t i, std::string_view word) const {
  return n_ - i >= word.size() && std::memcmp(s_ + i, word.data(), word.size()) == 0;
}

// The string whose opening quote is at i - 1: returns the position after its closing quote,
// or kFailed. With out, view is its value: into the line when it has no escape, else decoded
// into *out.
size_t JsonLineParser::scan_string(size_t i, std::string* out, std::string_view& view) {
  const unsigned char* s = s_;
  const size_t n = n_, begin = i - 1;
  bool decoded = false;  // *out holds the value so far
  for (;;) {
    size_t j = i;
    while (j < n) {  // a run of plain characters
      unsigned char c = s[j];
      if (kPlain.plain[c]) {
        ++j;
        continue;
      }
      if (c == '"' || c == '\\') break;
      if (c < 0x20) return fail("Invalid control character at", j);
      char32_t cp;
      int len = decode_utf8_char(s + j, n - j, cp, false);
      if (len == 0) return fail("", j);  // fail() finds the invalid byte at j
      j += static_cast<size_t>(len);
    }
    if (j == n) return fail("Unterminated string starting at", begin);
    if (out && (decoded || s[j] == '\\')) {
      if (!decoded) out->clear();
      out->append(reinterpret_cast<const char*>(s + i), j - i);
      decoded = true;
    }
    if (s[j] == '"') {
      if (out)
        view = decoded ? std::string_view(*out)
                       : std::string_view(reinterpret_cast<const char*>(s + i), j - i);
      return j + 1;
    }
    if (++j == n) return fail("Unterminated string starting at", begin);  // after the backslash
    unsigned char c = s[j];
    if (c != 'u') {
      char ch;
      switch (c) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        default: return fail("Invalid \\escape", j - 1);
      }
      if (out) out->push_back(ch);
      i = j + 1;
      continue;
    }
    // \uXXXX at j (the 'u'). Python wants a character after the four digits (end < len) even
    // though the string is then unterminated: the error is still the escape's.
    size_t end = j + 5;
    if (end >= n) return fail("Invalid \\uXXXX escape", j);
    int32_t cp = hex4(s + j + 1);
    if (cp < 0) return fail("Invalid \\uXXXX escape", j);
    if (cp >= 0xD800 && cp <= 0xDBFF && end + 6 < n && s[end] == '\\' && s[end + 1] == 'u') {
      int32_t low = hex4(s + end + 2);
      if (low < 0) return fail("Invalid \\uXXXX escape", end + 1);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        end += 6;
      }
    }
    if (out) append_utf8(*out, static_cast<char32_t>(cp));  // a lone surrogate as WTF-8
    i = end;
  }
}

// The end of the number at i (Python's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?,
// the fraction and exponent taken only when complete), or kFailed.
size_t JsonLineParser::scan_number(size_t i) const {
  const unsigned char* s = s_;
  const size_t n = n_;
  if (s[i] == '-' && ++i == n) return kFailed;
  if (s[i] >= '1' && s[i] <= '9') {
    while (++i < n && is_digit(s[i])) {}
  } else if (s[i] == '0') {
    ++i;
  } else {
    return kFailed;
  }
  if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
    i += 2;
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
    size_t e = i++;
    if (i + 1 < n && (s[i] == '-' || s[i] == '+')) ++i;
    while (i < n && is_digit(s[i])) ++i;
    if (!is_digit(s[i - 1])) i = e;
  }
  return i;
}

JsonLineParser::Status JsonLineParser::parse(std::string_view line) {
  s_ = reinterpret_cast<const unsigned char*>(line.data());
  n_ = line.size();
  const unsigned char* s = s_;
  const size_t n = n_;
  std::fill(found_.begin(), found_.end(), kMissing);
  stack_.clear();
  status_ = Status::Ok;
  if (literal(0, "\xEF\xBB\xBF"))
    return refuse("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
  size_t i = skip_ws(0);
  const bool object = i < n && s[i] == '{';
  enum { kValue, kKey, kAfterValue } next = kValue;
  int target = -1;  // the wanted key whose value comes next
  // Iterative, with the open containers on stack_: a deep line cannot overflow the C stack.
  for (;;) {
    if (next == kValue) {
      if (i >= n) return refuse("Expecting value", i);
      const unsigned char c = s[i];
      const int key = target;
      target = -1;
      if (key >= 0 && c != '"') found_[key] = kNotString;
      next = kAfterValue;
      switch (c) {
        case '"': {
          std::string_view v;
          i = scan_string(i + 1, key >= 0 ? &decoded_[key] : nullptr, v);
          if (i == kFailed) return status_;
          if (key >= 0) {
            values_[key] = v;
            found_[key] = kString;
          }
          continue;
        }
        case '{':
        case '[': {
          if (stack_.size() == kMaxJsonDepth)
            return refuse("Nested deeper than 1000 levels", i);
          const unsigned char close = c == '{' ? '}' : ']';
          stack_.push_back(c == '{' ? kObject : kArray);
          i = skip_ws(i + 1);
          if (i < n && s[i] == close) {
            stack_.pop_back();
            ++i;
          } else {
            next = c == '{' ? kKey : kValue;
          }
          continue;
        }
        case 'n': if (literal(i, "null")) { i += 4; continue; } break;
        case 't': if (literal(i, "true")) { i += 4; continue; } break;
        case 'f': if (literal(i, "false")) { i += 5; continue; } break;
        case 'N': if (literal(i, "NaN")) { i += 3; continue; } break;
        case 'I': if (literal(i, "Infinity")) { i += 8; continue; } break;
        case '-': if (literal(i, "-Infinity")) { i += 9; continue; } break;
        default: break;
      }
      size_t end = scan_number(i);
      if (end == kFailed) return refuse("Expecting value", i);
      i = end;
      continue;
    }
    if (next == kKey) {
      if (i >= n || s[i] != '"')
        return refuse("Expecting property name enclosed in double quotes", i);
      const bool top = stack_.size() == 1;  // a key of the line's object
      std::string_view name;
      i = scan_string(i + 1, top ? &key_buf_ : nullptr, name);
      if (i == kFailed) return status_;
      if (top)
        for (size_t k = 0; k < keys_.size(); ++k)
          if (keys_[k] == name) target = static_cast<int>(k);
      i = skip_ws(i);
      if (i >= n || s[i] != ':') return refuse("Expecting ':' delimiter", i);
      i = skip_ws(i + 1);
      next = kValue;
      continue;
    }
    if (stack_.empty()) break;  // after the line's value
    i = skip_ws(i);
    const bool in_object = stack_.back() == kObject;
    const unsigned char close = in_object ? '}' : ']';
    if (i < n && s[i] == close) {
      stack_.pop_back();
      ++i;
      continue;
    }
    if (i >= n || s[i] != ',') return refuse("Expecting ',' delimiter", i);
    const size_t comma = i;
    i = skip_ws(i + 1);
    if (trailing_comma_error_ && i < n && s[i] == close)
      return refuse(in_object ? "Illegal trailing comma before end of object"
                              : "Illegal trailing comma before end of array",
                    comma);
    next = in_object ? kKey : kValue;
  }
  i = skip_ws(i);
  if (i != n) return refuse("Extra data", i);
  return object ? Status::Ok : Status::NotObject;
}

bool is_python_blank(std::string_view line) {
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  for (size_t i = 0, n = line.size(); i < n;) {
    char32_t cp;
    int len = decode_utf8_char(p + i, n - i, cp, false);
    // classify()'s Space is Unicode's White_Space; Python's isspace() adds U+001C..U+001F.
    if (len == 0 || !(classify(cp) == CharClass::Space || (cp >= 0x1C && cp <= 0x1F))) return false;
    i += static_cast<size_t>(len);
  }
  return true;
}

}  // namespace zhtok::io
