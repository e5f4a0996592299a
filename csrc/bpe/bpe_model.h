// Byte-level BPE: ids 0..255 are the bytes, merge i makes id 256 + i from a pair of ids. A
// pre-token's bytes are merged lowest rank first, as tiktoken and HF tokenizers do, so the
// same merges give the same ids everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/binary_io.h"

namespace zhtok::bpe {

struct Merge {  // ids a and b make id 256 + (index of the merge)
  uint32_t a, b;
};

// Longest token, in bytes. Bounds memory against files whose merges double a token's length
// each time (2^n bytes after n merges); the trainer never makes longer tokens.
constexpr size_t kMaxTokenBytes = 1024;

class BpeModel {
 public:
  // Throws a Format error (naming where) if a merge refers to an id not yet made.
  explicit BpeModel(std::vector<Merge> merges, const std::string& where = "merges");

  // Appends the ids of bytes (one pre-token) to out.
  void encode_piece(std::string_view bytes, std::vector<uint32_t>& out) const;

  size_t num_tokens() const { return 256 + merges_.size(); }
  const std::string& token_bytes(uint32_t id) const { return bytes_[id]; }
  const std::vector<Merge>& merges() const { return merges_; }

 private:
  uint32_t rank(uint32_t a, uint32_t b) const;  // merge index of (a, b), or kNoRank
  void build_char_tokens();
  // The char_tokens_ entry of the character at p[i] (its code point and length set) if it may
  // start as one token there (its neighbours are p[i - 1] and p[i + len], inside p[0..n)),
  // else 0.
  uint32_t char_token_at(const unsigned char* p, size_t i, size_t n, uint32_t& cp, size_t& len) const;
  // The rank of merging the two characters' tokens (kNoRank if none), or kApart if no token
  // holds them side by side.
  uint32_t char_pair_rank(uint32_t left_cp, uint32_t right_cp) const;
  static constexpr uint32_t kApart = 0xFFFFFFFEu;
  // BPE on sym[0..n), n <= kShortPiece, rk[i] the rank of (sym[i], sym[i + 1]); both are
  // overwritten.
  void merge_short(uint32_t* sym, uint32_t* rk, size_t n, std::vector<uint32_t>& out) const;
  void merge_long(std::vector<uint32_t> sym, std::vector<uint32_t>& out) const;

  static constexpr uint32_t kNoRank = 0xFFFFFFFFu;
  std::vector<Merge> merges_;
  std::vector<std::string> bytes_;       // by id
  // (a << 32 | b) -> rank; open addressing with exact keys (a wrong merge would break
  // round trips, so no fingerprints here), key and rank side by side: one cache line a probe.
  struct PairSlot {
    uint64_t key;
    uint32_t rank;
  };
  std::vector<PairSlot> slots_;
  std::vector<uint32_t> byte_pairs_;  // rank of two bytes, by a << 8 | b: the first merges of
                                      // every piece, without probing
  size_t mask_ = 0;
  // Two- and three-byte characters (CJK, its punctuation and full-width forms: most of Chinese
  // text; accented Latin, Greek, Cyrillic, ...) start as their own token instead of their bytes
  // where that provably gives the same ids: BPE on Chinese then merges a third as many
  // symbols. By code point (below U+10000): its token, and in the top bits the contexts where
  // starting from it is exact (see build_char_tokens); 0 if none.
  std::vector<uint32_t> char_tokens_;
  // Pairs of such characters (key left << 16 | right) that some token holds side by side,
  // with the rank of merging their tokens; open addressing, key 0 = empty.
  struct CharPair {
    uint32_t key, rank;
  };
  std::vector<CharPair> adjacent_chars_;
};

}  // namespace zhtok::bpe
