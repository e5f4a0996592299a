// An immutable trie over code points, stored as flat arrays (nodes in breadth-first order, the
// children of a node contiguous and sorted by code point) so that it loads with a few memcpy's
// and a lookup touches little memory. The root keeps a direct table for the BMP.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/binary_io.h"

namespace zhtok::segment {

class DictTrie {
 public:
  DictTrie() : code_(1, 0), first_child_(1, 0), num_children_(1, 0), word_id_(1, -1) {
    index_root();
  }
  // A word's id is its index in words; a word listed twice is an std::invalid_argument.
  static DictTrie build(const std::vector<std::u32string>& words);

  // Calls f(length, word_id) for every word that is a prefix of s[0..n), shortest first.
  template <typename F>
  void for_each_prefix(const char32_t* s, size_t n, F&& f) const {
    if (n == 0) return;
    uint32_t node = root_child(s[0]);
    for (size_t i = 1;; ++i) {
      if (node == kNone) return;
      if (word_id_[node] >= 0) f(i, word_id_[node]);
      if (i == n) return;
      node = child(node, s[i]);
    }
  }

  // Id of word s, or -1.
  int32_t find(const std::u32string& s) const;
  // Every word, indexed by id (the list build() was given).
  std::vector<std::u32string> words() const;
  size_t num_words() const { return num_words_; }
  size_t max_word_length() const { return max_len_; }

  void save(ByteWriter& w) const;
  static DictTrie load(ByteReader& r);

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  uint32_t root_child(char32_t c) const {
    if (c < 0x10000) return root_bmp_[c];
    return child(0, c);
  }
  // Inline: for_each_prefix calls it for every rune of a walk.
  uint32_t child(uint32_t node, char32_t c) const {
    const char32_t* b = code_.data() + first_child_[node];
    const char32_t* e = b + num_children_[node];
    if (e - b <= 8) {
      for (const char32_t* p = b; p < e; ++p)
        if (*p == c) return static_cast<uint32_t>(p - code_.data());
      return kNone;
    }
    const char32_t* p = std::lower_bound(b, e, c);
    return (p != e && *p == c) ? static_cast<uint32_t>(p - code_.data()) : kNone;
  }
  void index_root();

  std::vector<char32_t> code_;          // code point on the edge into each node
  std::vector<uint32_t> first_child_;   // children of node k: [first_child_[k], +num_children_[k])
  std::vector<uint32_t> num_children_;
  std::vector<int32_t> word_id_;        // -1 where no word ends
  std::vector<uint32_t> root_bmp_;      // child of the root per BMP code point, derived on load
  size_t num_words_ = 0, max_len_ = 0;
};

}  // namespace zhtok::segment
