#include "bpe/pretokenizer.h"

#include <algorithm>

#include "common/char_class.h"
#include "common/error.h"
#include "common/scratch.h"
#include "common/unicode_tables.h"

namespace zhtok::bpe {

const char* const kRegexPattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

namespace {

template <size_t N>
bool in_table(const unicode::CodeRange (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t v, const unicode::CodeRange& r) { return v < r.lo; });
  return it != std::begin(table) && c <= (it - 1)->hi;
}

// Pieces with Chinese characters or non-ASCII punctuation go to the segmenter: the regex keeps
// runs of marks together (”。 or （A), and each mark is a word of its own in Chinese text.
bool needs_cutting(char32_t c) {
  if (c < 0x80) return false;
  CharClass k = classify(c);
  return k == CharClass::Han || k == CharClass::Punct;
}

char32_t lower_ascii(char32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

// Length of a contraction ('s, 't, 're, 've, 'm, 'll, 'd; any case) at cps[i], or 0.
size_t contraction(const char32_t* cps, size_t n, size_t i) {
  if (cps[i] != '\'' || i + 1 >= n) return 0;
  char32_t a = lower_ascii(cps[i + 1]), b = i + 2 < n ? lower_ascii(cps[i + 2]) : 0;
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// The space the regex put before a piece goes with its first word, and the line breaks it put
// after one (after marks: "。\n") with its last word, as the regex alone keeps them: neither is
// part of any word, and apart each costs a token. ends: the words' ends, in runes of piece.
void keep_spacing_with_words(const std::vector<char32_t>& piece, std::vector<uint32_t>& ends) {
  if (ends.size() >= 2 && ends[0] == 1 && piece[0] == ' ') ends.erase(ends.begin());
  size_t breaks = piece.size();
  while (breaks > 0 && (piece[breaks - 1] == '\n' || piece[breaks - 1] == '\r')) --breaks;
  if (breaks == 0) return;
  while (ends.size() >= 2 && ends[ends.size() - 2] >= breaks) ends.erase(ends.end() - 2);
}

}  // namespace

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  if (c >= 0x4E00 && c <= 0x9FFF) return true;  // the common case in Chinese text
  return in_table(unicode::kLetters, c);
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in_table(unicode::kNumbers, c);
}

bool is_white_space(char32_t c) {  // the Unicode White_Space property, as \s in the regex crate
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

void regex_split(const char32_t* cps, size_t n, std::vector<ByteRange>& out) {
  auto other = [&](size_t k) {
    return !is_white_space(cps[k]) && !is_letter(cps[k]) && !is_number(cps[k]);
  };
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    char32_t c = cps[i];
    if (size_t len = contraction(cps, n, i)) {
      j = i + len;
    } else if (is_letter(c) ||
               (c != '\r' && c != '\n' && !is_number(c) && i + 1 < n && is_letter(cps[i + 1]))) {
      j = i + 1;
      while (j < n && is_letter(cps[j])) ++j;
    } else if (is_number(c)) {
      j = i + 1;
      while (j < n && j < i + 3 && is_number(cps[j])) ++j;
    } else if (other(i) || (c == ' ' && i + 1 < n && other(i + 1))) {
      j = c == ' ' ? i + 1 : i;
      while (j < n && other(j)) ++j;
      while (j < n && (cps[j] == '\r' || cps[j] == '\n')) ++j;
    } else {  // white space
      size_t run = i;
      while (run < n && is_white_space(cps[run])) ++run;
      size_t last_nl = run;
      for (size_t k = run; k > i; --k)
        if (cps[k - 1] == '\r' || cps[k - 1] == '\n') { last_nl = k; break; }
      if (last_nl != run || cps[run - 1] == '\r' || cps[run - 1] == '\n') {
        j = last_nl;                       // \s*[\r\n]+
      } else if (run == n) {
        j = run;                           // \s+(?!\S) at the end of the text
      } else if (run - i >= 2) {
        j = run - 1;                       // \s+(?!\S): leave one space for the next piece
      } else {
        j = run;                           // \s+
      }
    }
    out.emplace_back(uint32_t(i), uint32_t(j));
    i = j;
  }
}

Pretokenizer::Pretokenizer(PretokenizerKind kind, std::shared_ptr<const segment::SegModel> model)
    : kind_(kind), seg_model_(std::move(model)) {
  if (is_segment(kind_)) {
    if (!seg_model_) throw_input("the segment pre-tokenizer needs a segmentation model");
    segmenter_ = std::make_unique<segment::Segmenter>(seg_model_);
  }
}

void Pretokenizer::pieces(std::string_view text, Scratch& s, std::vector<Piece>& out) const {
  decode_utf8(text, s.runes, InvalidUtf8::Fail, /*allow_surrogates=*/true);
  const Runes& r = s.runes;
  s.pieces.clear();
  regex_split(r.cps.data(), r.size(), s.pieces);
  for (auto [b, e] : s.pieces) {
    bool cut = false;
    if (is_segment(kind_))
      for (uint32_t k = b; k < e && !cut; ++k) cut = needs_cutting(r.cps[k]);
    out.emplace_back(r.offs[b], r.offs[e], b, e, cut);
  }
}

void Pretokenizer::cut_piece(std::string_view text, const Piece& piece, Scratch& s,
                             std::vector<ByteRange>& out) const {
  cut_words(text, s.runes, piece.rune_begin, piece.rune_end, s, out, /*use_cache=*/false);
}

void Pretokenizer::split(std::string_view text, Scratch& s, std::vector<ByteRange>& out,
                         bool use_cache) const {
  s.marked.clear();
  pieces(text, s, s.marked);
  for (const Piece& p : s.marked) {
    if (p.cut) cut_words(text, s.runes, p.rune_begin, p.rune_end, s, out, use_cache);
    else out.emplace_back(p.begin, p.end);
  }
}

void Pretokenizer::cut_words(std::string_view text, const Runes& r, uint32_t b, uint32_t e,
                             Scratch& s, std::vector<ByteRange>& out, bool use_cache) const {
  // The whole piece is segmented: a leading mark (say "，" before "中国") comes out as a word
  // of its own, where attached it would merge across a word boundary.
  std::string key;
  if (use_cache) key.assign(text.substr(r.offs[b], r.offs[e] - r.offs[b]));
  auto it = use_cache ? s.cut_cache.find(key) : s.cut_cache.end();
  if (it == s.cut_cache.end()) {
    s.piece.cps.assign(r.cps.begin() + b, r.cps.begin() + e);  // the segmenter reads runes only
    segmenter_->segment(s.piece, s.words);
    s.ends.clear();
    for (const segment::Span& w : s.words) s.ends.push_back(w.end);
    if (kind_ == PretokenizerKind::Segment) keep_spacing_with_words(s.piece.cps, s.ends);
    if (use_cache) {
      if (s.cut_cache.size() > (1u << 18)) s.cut_cache.clear();  // bounded memory
      it = s.cut_cache.emplace(std::move(key), s.ends).first;
    }
  }
  const std::vector<uint32_t>& ends = it == s.cut_cache.end() ? s.ends : it->second;
  uint32_t start = b;
  for (uint32_t end : ends) {
    out.emplace_back(r.offs[start], r.offs[b + end]);
    start = b + end;
  }
  release_if_large(s.piece.cps, s.words, s.ends);  // after a piece of megabytes
}

}  // namespace zhtok::bpe
