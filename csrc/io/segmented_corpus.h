// Reads segmented training text in the SIGHAN bakeoff layout: one sentence a line, words
// separated by whitespace (ASCII or U+3000). CRLF line ends and a leading BOM are tolerated.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace zhtok::io {

struct BadLine {
  std::string path;
  int64_t line;        // 1-based
  std::string reason;  // e.g. "invalid UTF-8 at byte 17", "empty line"
};

enum class OnBadLine { Skip, Fail };

struct CorpusStats {
  int64_t sentences = 0, words = 0;
  std::vector<BadLine> bad_lines;  // what was skipped, in order
};

// Calls on_sentence(words) for each good line of path. A bad line (invalid UTF-8, empty or
// whitespace only) is recorded in stats.bad_lines and skipped, or with Fail thrown as a Format
// error naming path and line.
void read_segmented(const std::string& path, OnBadLine on_bad, CorpusStats& stats,
                    const std::function<void(const std::vector<std::u32string>&)>& on_sentence);

}  // namespace zhtok::io
