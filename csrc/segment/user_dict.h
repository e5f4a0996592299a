// Words a user adds to or removes from one Segmenter at run time. Small and mutable, unlike the
// model's DictTrie; the Segmenter guards it with a lock (see segmenter.h for the contract).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace zhtok::segment {

class UserDict {
 public:
  UserDict() : nodes_(1) {}

  // freq < 0: no frequency given, the word should win over its own parts.
  void add(const std::u32string& word, float freq);
  // Returns true if the word was a user word (now removed).
  bool remove(const std::u32string& word);
  void delete_base_word(int32_t word_id) { deleted_.insert(word_id); }
  void restore_base_word(int32_t word_id) { deleted_.erase(word_id); }
  bool is_deleted(int32_t word_id) const { return !deleted_.empty() && deleted_.count(word_id); }
  size_t size() const { return num_words_; }

  // Calls f(length, freq) for each user word that is a prefix of s[0..n), shortest first.
  template <typename F>
  void for_each_prefix(const char32_t* s, size_t n, F&& f) const {
    if (num_words_ == 0) return;
    uint32_t node = 0;
    for (size_t i = 0; i < n; ++i) {
      auto it = nodes_[node].children.find(s[i]);
      if (it == nodes_[node].children.end()) return;
      node = it->second;
      if (nodes_[node].is_word) f(i + 1, nodes_[node].freq);
    }
  }

 private:
  struct Node {
    std::unordered_map<char32_t, uint32_t> children;
    float freq = -1.f;
    bool is_word = false;
  };
  std::vector<Node> nodes_;
  std::unordered_set<int32_t> deleted_;
  size_t num_words_ = 0;
};

}  // namespace zhtok::segment
