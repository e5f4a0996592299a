// Splitting text into pre-tokens, the pieces BPE merges within and never across.
//
// Regex: the cl100k pattern of tiktoken and HF tokenizers, implemented by hand over Unicode
// category tables (so it needs no regex engine and gives the same pieces):
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
//   |\s*[\r\n]+|\s+(?!\S)|\s+
// Segment: the same, then every piece holding Han characters or non-ASCII punctuation is cut
// into words by zhtok's segmenter (marks come out on their own), so no merge crosses a word
// boundary. A space that the regex put before the piece stays with its first word (" 中等"),
// as it does before a Latin word (" Python"), and line breaks after marks with the last mark
// ("。\n"): split off, each cost a token of its own. Tokenizers trained before that keep their
// pre-tokenizer (SegmentSpacingApart), so that their ids never change.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/utf8.h"
#include "segment/segmenter.h"

namespace zhtok::bpe {

enum class PretokenizerKind : uint32_t { Regex = 1, SegmentSpacingApart = 2, Segment = 3 };

inline bool is_segment(PretokenizerKind k) {
  return k == PretokenizerKind::Segment || k == PretokenizerKind::SegmentSpacingApart;
}

extern const char* const kRegexPattern;  // the pattern above, for exports

bool is_letter(char32_t c);
bool is_number(char32_t c);
bool is_white_space(char32_t c);

// Pieces of runes [0, n) by the regex, as rune ranges appended to out.
void regex_split(const char32_t* cps, size_t n, std::vector<ByteRange>& out);

class Pretokenizer {
 public:
  // seg_model is required for Segment and ignored for Regex.
  Pretokenizer(PretokenizerKind kind, std::shared_ptr<const segment::SegModel> seg_model);

  // A regex piece of text, marked if it must be cut into words.
  struct Piece {
    Piece() = default;
    // Built in place by emplace_back (see segment::Edge: a pushed temporary stalled the copy).
    Piece(uint32_t begin_, uint32_t end_, uint32_t rune_begin_, uint32_t rune_end_, bool cut_)
        : begin(begin_), end(end_), rune_begin(rune_begin_), rune_end(rune_end_), cut(cut_) {}
    uint32_t begin, end;            // byte offsets
    uint32_t rune_begin, rune_end;  // the same in runes of scratch.runes
    bool cut;
  };

  // Reused between calls on one thread: decoded runes and a cache of segmented pieces.
  struct Scratch {
    Runes runes;
    std::vector<ByteRange> pieces;
    std::vector<Piece> marked;
    std::unordered_map<std::string, std::vector<uint32_t>> cut_cache;  // piece -> word ends
    Runes piece;  // the piece being cut
    std::vector<segment::Span> words;  // its words
    std::vector<uint32_t> ends;        // their ends, when not cached
  };
  // Pre-tokens of text (UTF-8, or WTF-8 with lone surrogates) as byte ranges, in order, covering
  // it exactly. Safe to call from many threads with one Scratch each.
  // use_cache=false when every piece is known to be new (no use remembering it).
  void split(std::string_view text, Scratch& scratch, std::vector<ByteRange>& out,
             bool use_cache = true) const;

  // The two steps of split(), for callers that cache whole pieces (the encoder): the regex
  // pieces of text ...
  void pieces(std::string_view text, Scratch& scratch, std::vector<Piece>& out) const;
  // ... and the words of one of them that must be cut, as byte ranges in text (scratch as
  // pieces() left it).
  void cut_piece(std::string_view text, const Piece& piece, Scratch& scratch,
                 std::vector<ByteRange>& out) const;

  PretokenizerKind kind() const { return kind_; }
  const std::shared_ptr<const segment::SegModel>& seg_model() const { return seg_model_; }

 private:
  void cut_words(std::string_view text, const Runes& runes, uint32_t begin, uint32_t end,
                 Scratch& scratch, std::vector<ByteRange>& out, bool use_cache) const;

  PretokenizerKind kind_;
  std::shared_ptr<const segment::SegModel> seg_model_;
  std::unique_ptr<segment::Segmenter> segmenter_;
};

}  // namespace zhtok::bpe
