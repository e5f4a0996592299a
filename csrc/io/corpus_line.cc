#include "io/corpus_line.h"

#include "common/utf8.h"

namespace zhtok::io {

CorpusLineReader::CorpusLineReader(const CorpusLineRules& rules)
    : rules_(rules), parser_(rules.keys, rules.trailing_comma_error),
      docs_(rules.jsonl ? rules.keys.size() : 1) {}

void CorpusLineReader::read(std::string_view line, bool too_long) {
  bad_.clear();
  for (auto& d : docs_) d.reset();
  if (too_long || line.size() > rules_.max_line_bytes) {
    bad_.push_back(rules_.too_long_reason);
    return;
  }
  auto invalid_utf8 = [&](int64_t at) {
    bad_.push_back("invalid UTF-8 at byte " + std::to_string(at) + " of the line");
  };
  if (!rules_.jsonl) {
    int64_t at = find_invalid_utf8(line);
    if (at >= 0) invalid_utf8(at);
    else docs_[0] = line;
    return;
  }
  switch (parser_.parse(line)) {
    case JsonLineParser::Status::InvalidUtf8:
      invalid_utf8(parser_.error_offset());
      return;
    case JsonLineParser::Status::InvalidJson:
      // Python skips a blank line before parsing it; only an invalid line can be blank.
      if (!is_python_blank(line))
        bad_.push_back(std::string("invalid JSON: ") + parser_.error_message() + " at column " +
                       std::to_string(parser_.error_column()));
      return;
    case JsonLineParser::Status::NotObject:
      bad_.push_back("JSON line is not an object");
      return;
    case JsonLineParser::Status::Ok:
      for (size_t k = 0; k < docs_.size(); ++k) {
        docs_[k] = parser_.value(k);
        if (!docs_[k]) bad_.push_back("key " + rules_.key_labels[k] + " is missing or not a string");
      }
      return;
  }
}

}  // namespace zhtok::io
