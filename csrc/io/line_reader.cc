#include "io/line_reader.h"

#include <limits>

#include "common/error.h"

namespace zhtok::io {

LineReader::LineReader(const std::string& path, const char* what, size_t max_bytes)
    : path_(path), in_(path, std::ios::binary), buf_(max_bytes + 2) {
  if (!in_) throw_io(path, std::string("cannot open ") + what);
}

bool LineReader::next(std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  if (!in_.good()) {
    if (in_.bad()) throw_io(path_, "read failed");
    return false;
  }
  // max_bytes + 1 characters fit, so that a line of max_bytes keeps its CR.
  in_.getline(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  std::streamsize got = in_.gcount();
  if (in_.bad()) throw_io(path_, "read failed");
  if (got == 0 && in_.eof()) return false;
  ++lineno_;
  if (in_.fail() && !in_.eof()) {
    // The buffer filled before a newline: skip the rest of the line, holding none of it.
    in_.clear();
    in_.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    too_long = true;
    return true;
  }
  bool delimited = !in_.eof();
  line.assign(buf_.data(), static_cast<size_t>(got - (delimited ? 1 : 0)));
  if (lineno_ == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  if (delimited && !line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() > max_bytes()) {  // max_bytes + 1 without a CR to drop
    line.clear();
    too_long = true;
  }
  return true;
}

std::string LineReader::too_long_reason() const {
  size_t n = max_bytes();
  std::string limit = n % (1 << 20) == 0 ? std::to_string(n >> 20) + " MiB" : std::to_string(n) + " bytes";
  return "line longer than the limit of " + limit;
}

}  // namespace zhtok::io
