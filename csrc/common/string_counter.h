// Counts of byte strings, for counting pre-tokens over a corpus. Written here rather than a
// std::unordered_map<std::string, uint64_t> because that map builds a std::string for every
// lookup (C++17 has no lookup by string_view): tens of millions of allocations for pieces that
// are nearly all present already. Here keys live in one arena, a count of a known string costs
// a hash and a compare, and only a new string is copied.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace zhtok {

class StringCounter {
 public:
  void add(std::string_view key, uint64_t n) {
    if (n == 0) return;
    if ((size_ + 1) * 2 > slots_.size()) grow();
    uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.count == 0) {
        s = Slot{h, keys_.size(), key.size(), n};
        keys_.append(key);
        ++size_;
        return;
      }
      if (s.hash == h && key_of(s) == key) {
        s.count += n;
        return;
      }
    }
  }

  // f(key, count) for every key (counts are > 0), in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.count) f(key_of(s), s.count);
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    size_t offset = 0, length = 0;
    uint64_t count = 0;  // 0 = empty: a counted key has count >= 1
  };
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  std::string_view key_of(const Slot& s) const { return std::string_view(keys_).substr(s.offset, s.length); }
  void grow() {
    std::vector<Slot> old(std::max<size_t>(1024, slots_.size() * 2));
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (!s.count) continue;
      size_t i = s.hash & mask_;
      while (slots_[i].count) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::string keys_;
  size_t mask_ = 0, size_ = 0;
};

}  // namespace zhtok
