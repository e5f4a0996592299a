#include "io/segmented_corpus.h"

#include <fstream>

#include "common/char_class.h"
#include "common/error.h"
#include "common/utf8.h"

namespace zhtok::io {

void read_segmented(const std::string& path, OnBadLine on_bad, CorpusStats& stats,
                    const std::function<void(const std::vector<std::u32string>&)>& on_sentence) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io(path, "cannot open training file");
  std::string line;
  Runes runes;
  std::vector<std::u32string> words;
  auto bad = [&](int64_t lineno, std::string reason, int64_t offset) {
    if (on_bad == OnBadLine::Fail) throw Error(ErrorKind::Format, reason, path, lineno, offset);
    stats.bad_lines.push_back({path, lineno, std::move(reason)});
  };
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (lineno == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    int64_t off = find_invalid_utf8(line);
    if (off >= 0) {
      bad(lineno, "invalid UTF-8 at byte " + std::to_string(off) + " of the line", -1);
      continue;
    }
    decode_utf8(line, runes);
    words.clear();
    bool in_word = false;
    for (char32_t c : runes.cps) {
      if (classify(c) == CharClass::Space) {
        in_word = false;
      } else {
        if (!in_word) words.emplace_back();
        words.back().push_back(c);
        in_word = true;
      }
    }
    if (words.empty()) {
      bad(lineno, line.empty() ? "empty line" : "line has only whitespace", -1);
      continue;
    }
    ++stats.sentences;
    stats.words += static_cast<int64_t>(words.size());
    on_sentence(words);
  }
  if (in.bad()) throw_io(path, "read failed");
}

}  // namespace zhtok::io
