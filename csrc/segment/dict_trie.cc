#include "segment/dict_trie.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace zhtok::segment {

DictTrie DictTrie::build(const std::vector<std::u32string>& words) {
  // Sorting the words puts every node's children in order; a breadth-first walk over ranges of
  // the sorted list then lays the nodes out level by level.
  std::vector<uint32_t> order(words.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return words[a] < words[b]; });
  for (size_t k = 1; k < order.size(); ++k)  // the walk below needs them unique
    if (words[order[k]] == words[order[k - 1]]) throw std::invalid_argument("a word is listed twice");

  DictTrie t;
  t.num_words_ = words.size();
  struct Item { uint32_t node; size_t lo, hi, depth; };  // sorted words [lo,hi) share the prefix
  std::vector<Item> queue{{0, 0, order.size(), 0}};
  for (size_t q = 0; q < queue.size(); ++q) {
    Item it = queue[q];
    size_t lo = it.lo;
    // A word equal to the prefix sorts first in its range.
    if (lo < it.hi && words[order[lo]].size() == it.depth) {
      t.word_id_[it.node] = static_cast<int32_t>(order[lo]);
      t.max_len_ = std::max(t.max_len_, it.depth);
      ++lo;
    }
    t.first_child_[it.node] = static_cast<uint32_t>(t.code_.size());
    while (lo < it.hi) {
      char32_t c = words[order[lo]][it.depth];
      size_t hi = lo;
      while (hi < it.hi && words[order[hi]][it.depth] == c) ++hi;
      uint32_t node = static_cast<uint32_t>(t.code_.size());
      t.code_.push_back(c);
      t.first_child_.push_back(0);
      t.num_children_.push_back(0);
      t.word_id_.push_back(-1);
      ++t.num_children_[it.node];
      queue.push_back({node, lo, hi, it.depth + 1});
      lo = hi;
    }
  }
  t.index_root();
  return t;
}

int32_t DictTrie::find(const std::u32string& s) const {
  int32_t id = -1;
  for_each_prefix(s.data(), s.size(), [&](size_t len, int32_t wid) {
    if (len == s.size()) id = wid;
  });
  return id;
}

std::vector<std::u32string> DictTrie::words() const {
  std::vector<std::u32string> out(num_words_);
  struct Item { uint32_t node; std::u32string prefix; };
  std::vector<Item> stack{{0, {}}};
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    if (word_id_[it.node] >= 0) out[size_t(word_id_[it.node])] = it.prefix;
    for (uint32_t c = first_child_[it.node], e = c + num_children_[it.node]; c < e; ++c)
      stack.push_back({c, it.prefix + code_[c]});
  }
  return out;
}

void DictTrie::index_root() {
  root_bmp_.assign(0x10000, kNone);
  for (uint32_t k = 0; k < num_children_[0]; ++k) {
    uint32_t node = first_child_[0] + k;
    if (code_[node] < 0x10000) root_bmp_[code_[node]] = node;
  }
}

void DictTrie::save(ByteWriter& w) const {
  w.put<uint64_t>(num_words_);
  w.put<uint64_t>(max_len_);
  w.put_vec(code_);
  w.put_vec(first_child_);
  w.put_vec(num_children_);
  w.put_vec(word_id_);
}

DictTrie DictTrie::load(ByteReader& r) {
  DictTrie t;
  t.num_words_ = r.get<uint64_t>();
  t.max_len_ = r.get<uint64_t>();
  t.code_ = r.get_vec<char32_t>();
  t.first_child_ = r.get_vec<uint32_t>();
  t.num_children_ = r.get_vec<uint32_t>();
  t.word_id_ = r.get_vec<int32_t>();
  size_t n = t.code_.size();
  if (n == 0 || t.first_child_.size() != n || t.num_children_.size() != n || t.word_id_.size() != n)
    r.fail("dictionary trie arrays disagree in length");
  // Validate every index once here so that lookups need no checks.
  for (size_t k = 0; k < n; ++k) {
    if (t.num_children_[k] > 0 &&
        (t.first_child_[k] >= n || t.num_children_[k] > n - t.first_child_[k] ||
         t.first_child_[k] <= k))
      r.fail("dictionary trie node " + std::to_string(k) + " has out-of-range children");
    if (t.word_id_[k] < -1 || t.word_id_[k] >= static_cast<int64_t>(t.num_words_))
      r.fail("dictionary trie node " + std::to_string(k) + " has an out-of-range word id");
    if (k > 0 && t.code_[k] > 0x10FFFF)
      r.fail("dictionary trie node " + std::to_string(k) + " has an invalid code point");
  }
  t.index_root();
  return t;
}

}  // namespace zhtok::segment
