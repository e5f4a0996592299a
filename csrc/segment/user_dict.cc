#include "segment/user_dict.h"

namespace zhtok::segment {

void UserDict::add(const std::u32string& word, float freq) {
  uint32_t node = 0;
  for (char32_t c : word) {
    auto it = nodes_[node].children.find(c);
    if (it == nodes_[node].children.end()) {
      uint32_t next = static_cast<uint32_t>(nodes_.size());
      nodes_[node].children.emplace(c, next);
      nodes_.emplace_back();
      node = next;
    } else {
      node = it->second;
    }
  }
  if (!nodes_[node].is_word) ++num_words_;
  nodes_[node].is_word = true;
  nodes_[node].freq = freq;
}

bool UserDict::remove(const std::u32string& word) {
  uint32_t node = 0;
  for (char32_t c : word) {
    auto it = nodes_[node].children.find(c);
    if (it == nodes_[node].children.end()) return false;
    node = it->second;
  }
  if (!nodes_[node].is_word) return false;
  nodes_[node].is_word = false;
  --num_words_;
  return true;
}

}  // namespace zhtok::segment
