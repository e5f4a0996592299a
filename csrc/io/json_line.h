// A strict parser for one line of a JSON Lines file: it decides exactly as Python's
// json.loads(line.decode("utf-8")) with default arguments does, with Python's message and
// column for a refused line, and extracts the string values of chosen top-level keys.
//
// Why here and not a library: zhtok encode parses lines in its worker threads, without the
// GIL, and a line must be refused exactly when Python refuses it, with the same reason (bad
// records and outputs must not depend on the path taken); general parsers accept or report
// differently (NaN, lone surrogates, duplicate keys, messages), no JSON library is among the
// project's dependencies, and only a few top-level strings are wanted, so nothing is built
// for the rest of the line.
//
// Where json.loads raises something other than a JSON error, and so never decided, the parser
// does: a line nested deeper than kMaxJsonDepth is invalid (Python: RecursionError), and an int
// of any length is valid (Python: ValueError past sys.get_int_max_str_digits(), 4300 digits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zhtok::io {

// Containers nested deeper are refused. Python's parser recurses and raises RecursionError
// (not a JSON error) before its default recursion limit of 1000, so it accepts no deeper line.
constexpr size_t kMaxJsonDepth = 1000;

class JsonLineParser {
 public:
  enum class Status {
    Ok,           // a JSON object
    NotObject,    // valid JSON, but not an object
    InvalidJson,  // error_message(), error_column()
    InvalidUtf8,  // error_offset()
  };

  // keys: the top-level keys whose string values are wanted, in UTF-8 (WTF-8 for lone
  // surrogates). trailing_comma_error: report a comma before '}' or ']' as Python 3.13 and
  // later do ("Illegal trailing comma ..." at the comma) instead of as older versions do.
  explicit JsonLineParser(std::vector<std::string> keys, bool trailing_comma_error = false);

  // Parses line (bytes, without its line end). One pass; no allocation once the buffers have
  // grown. A parser is not thread-safe: one per thread.
  Status parse(std::string_view line);

  // After Ok: the value of keys[i] (its last occurrence, as in Python), UTF-8 with lone
  // surrogates as WTF-8, or nullopt when the key is missing or its value is not a string. The
  // view points into the line or into the parser: valid until the next parse().
  std::optional<std::string_view> value(size_t i) const {
    if (found_[i] != kString) return std::nullopt;
    return values_[i];
  }

  // After InvalidJson: Python's message ("Expecting value", ...) and 1-based column, counted
  // in characters from the last LF as JSONDecodeError.colno.
  const char* error_message() const { return error_message_; }
  int64_t error_column() const;
  // After InvalidUtf8: the offset of the first invalid byte (UnicodeDecodeError.start).
  int64_t error_offset() const { return static_cast<int64_t>(error_at_); }

 private:
  enum Found : uint8_t { kMissing, kString, kNotString };
  static constexpr size_t kFailed = static_cast<size_t>(-1);

  // Records the error at byte at (or the first invalid UTF-8 byte from there); kFailed.
  size_t fail(const char* message, size_t at);
  Status refuse(const char* message, size_t at);  // fail(), for parse()
  size_t skip_ws(size_t i) const;
  size_t scan_string(size_t i, std::string* out, std::string_view& view);
  size_t scan_number(size_t i) const;
  bool literal(size_t i, std::string_view word) const;

  std::vector<std::string> keys_;
  bool trailing_comma_error_;
  std::vector<std::string_view> values_;
  std::vector<Found> found_;
  std::vector<std::string> decoded_;  // values with escapes, one buffer per key
  std::string key_buf_;               // a top-level key with escapes
  std::vector<uint8_t> stack_;        // open containers
  const unsigned char* s_ = nullptr;
  size_t n_ = 0;
  Status status_ = Status::Ok;
  const char* error_message_ = "";
  size_t error_at_ = 0;
};

// Whether every character of line (valid UTF-8) is whitespace to Python's str.isspace(), so
// that line.strip() is empty (an empty line too).
bool is_python_blank(std::string_view line);

}  // namespace zhtok::io
