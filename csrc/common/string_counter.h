// Counts of byte strings, for counting pre-tokens over a corpus. Written here rather than a
// std::unordered_map<std::string, uint64_t> because that map builds a std::string for every
// lookup (C++17 has no lookup by string_view): tens of millions of allocations for pieces that
// are nearly all present already. Here keys live in one arena, a count of a known string costs
// a hash and a compare, and only a new string is copied. No allocation per key also means no
// heap fragmentation: a counter's memory is its table and its arena, whatever the corpus size.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/hash_bytes.h"

namespace zhtok {

class StringCounter {
 public:
  void add(std::string_view key, uint64_t n) {
    if (n == 0) return;
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // load <= 3/4: a slot is 24 bytes
    uint32_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.count == 0) {
        s = Slot{n, keys_.size(), uint32_t(key.size()), h};
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

  // (key, count) pairs, the keys viewing this counter's arena (valid until it changes).
  std::vector<std::pair<std::string_view, uint64_t>> items() const {
    std::vector<std::pair<std::string_view, uint64_t>> out;
    out.reserve(size_);
    for_each([&](std::string_view k, uint64_t c) { out.emplace_back(k, c); });
    return out;
  }

  // Adds every count of other into this one.
  void add_all(const StringCounter& other) {
    other.for_each([&](std::string_view k, uint64_t c) { add(k, c); });
  }

  // Empties the counter but keeps its memory, for a counter refilled batch after batch.
  void clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    keys_.clear();
    size_ = 0;
  }

  // Empties the counter and frees its memory.
  void release() { *this = StringCounter(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Slot {
    uint64_t count = 0;  // 0 = empty: a counted key has count >= 1
    uint64_t offset = 0;
    uint32_t length = 0;  // keys are pieces of lines, which are far below 4 GiB
    uint32_t hash = 0;  // also the slot position: tables stay below 2^32 slots
  };
  static uint32_t hash(std::string_view s) {
    uint64_t h = hash_bytes(s);
    return uint32_t(h ^ (h >> 32));
  }
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
