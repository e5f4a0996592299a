// Reads a text file line by line in bounded memory: the line end (LF or CRLF) and a BOM at the
// start of the file are removed, and a line longer than the limit is skipped without being held
// (a file with no newline at all costs the limit, not its size) and reported as too long.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace zhtok::io {

// Training sentences and dictionary lines are short; a longer "line" is almost always a file
// that is not what the reader expects (binary data, text without newlines).
constexpr size_t kMaxLineBytes = 1 << 20;

class LineReader {
 public:
  // Throws an Io error naming path if it cannot be opened; what names the file's role.
  LineReader(const std::string& path, const char* what, size_t max_bytes = kMaxLineBytes);

  // The next line into line; false at the end of the file. When the line was longer than
  // max_bytes, too_long is set and line is empty (the rest of the line has been skipped).
  bool next(std::string& line, bool& too_long);

  int64_t line_number() const { return lineno_; }  // of the line next() returned, 1-based
  size_t max_bytes() const { return buf_.size() - 2; }
  std::string too_long_reason() const;  // "line longer than the limit of 1 MiB"

 private:
  std::string path_;
  std::ifstream in_;
  std::vector<char> buf_;
  int64_t lineno_ = 0;
};

}  // namespace zhtok::io
