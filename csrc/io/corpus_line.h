// What zhtok/corpus.py's CorpusReader makes of one line of a corpus file: its documents and its
// bad records, with the same reasons word for word. In C++ so that zhtok encode reads lines in
// its worker threads without the GIL, with outputs and reports identical to the Python path.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/json_line.h"

namespace zhtok::io {

struct CorpusLineRules {
  bool jsonl = true;                    // documents under keys; else the line is one document
  std::vector<std::string> keys;        // the JSON keys, UTF-8 (WTF-8 for lone surrogates)
  std::vector<std::string> key_labels;  // each key as a reason names it (Python's repr)
  size_t max_line_bytes = size_t(128) << 20;
  std::string too_long_reason;          // "line longer than the limit of 128 MiB"
  bool trailing_comma_error = false;    // see JsonLineParser
};

// Not thread-safe: one reader per thread.
class CorpusLineReader {
 public:
  explicit CorpusLineReader(const CorpusLineRules& rules);

  // Reads one line (its LF, and the CR of a CRLF, removed); too_long: the line was over the
  // limit and dropped while it was read (line is then ignored). Afterwards doc(k) and bad()
  // describe it.
  void read(std::string_view line, bool too_long);

  // Document slots: one per JSON key, or one for a .txt line.
  size_t slots() const { return docs_.size(); }
  // The text of slot k's document in the last line read, or nullopt; valid until the next
  // read() and while the line lives.
  const std::optional<std::string_view>& doc(size_t k) const { return docs_[k]; }
  // The reasons of the last line's bad records, in the order Python reports them.
  const std::vector<std::string>& bad() const { return bad_; }

 private:
  const CorpusLineRules& rules_;
  JsonLineParser parser_;
  std::vector<std::optional<std::string_view>> docs_;
  std::vector<std::string> bad_;
};

}  // namespace zhtok::io
