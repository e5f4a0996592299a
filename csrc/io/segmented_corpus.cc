#include "io/segmented_corpus.h"

#include "common/char_class.h"
#include "common/error.h"
#include "common/utf8.h"
#include "io/line_reader.h"

namespace zhtok::io {

void read_segmented(const std::string& path, OnBadLine on_bad, CorpusStats& stats,
                    const std::function<void(const std::vector<std::u32string>&)>& on_sentence) {
  LineReader reader(path, "training file");
  std::string line;
  Runes runes;
  std::vector<std::u32string> words;
  auto bad = [&](int64_t lineno, std::string reason, int64_t offset) {
    if (on_bad == OnBadLine::Fail) throw Error(ErrorKind::Format, reason, path, lineno, offset);
    stats.bad_lines.push_back({path, lineno, std::move(reason)});
  };
  bool too_long = false;
  while (reader.next(line, too_long)) {
    int64_t lineno = reader.line_number();
    if (too_long) {
      bad(lineno, reader.too_long_reason(), -1);
      continue;
    }
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
}

}  // namespace zhtok::io
