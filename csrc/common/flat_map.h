// A hash map from 64-bit keys to 32-bit values with open addressing and linear probing, stored
// as two flat arrays so that a model file can hold it as is (no rebuild on load). Written here
// rather than taken from a library because segmentation looks up ~10 features per character and
// std::unordered_map's node chasing would dominate the time.
#pragma once

#include <cstdint>
#include <vector>

#include "common/binary_io.h"

namespace zhtok {

class FlatMap {
 public:
  static constexpr uint32_t kMissing = 0xFFFFFFFFu;
  static constexpr uint64_t kEmpty = ~0ULL;  // never a valid key

  explicit FlatMap(size_t expected = 0) { reset(expected); }

  void reset(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;  // load factor <= 0.5 keeps probes short
    keys_.assign(cap, kEmpty);
    values_.assign(cap, kMissing);
    mask_ = cap - 1;
    size_ = 0;
  }

  uint32_t find(uint64_t key) const {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) return kMissing;
    }
  }

  // Inserts key with value if absent; returns the stored value. Grows as needed.
  uint32_t insert(uint64_t key, uint32_t value) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) {
        keys_[i] = key;
        values_[i] = value;
        ++size_;
        return value;
      }
    }
  }

  size_t size() const { return size_; }

  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) f(keys_[i], values_[i]);
  }

  void save(ByteWriter& w) const {
    w.put<uint64_t>(size_);
    w.put_vec(keys_);
    w.put_vec(values_);
  }

  // max_value: values must be below it (or kMissing), checked so lookups need no checks later.
  static FlatMap load(ByteReader& r, uint32_t max_value) {
    FlatMap m;
    m.size_ = r.get<uint64_t>();
    m.keys_ = r.get_vec<uint64_t>();
    m.values_ = r.get_vec<uint32_t>();
    size_t cap = m.keys_.size();
    if (cap < 16 || (cap & (cap - 1)) || m.values_.size() != cap || m.size_ * 2 > cap)
      r.fail("feature table has an invalid shape");
    size_t used = 0;
    for (size_t i = 0; i < cap; ++i) {
      if (m.keys_[i] == kEmpty) continue;
      ++used;
      if (m.values_[i] >= max_value) r.fail("feature table value out of range");
    }
    if (used != m.size_) r.fail("feature table size disagrees with its contents");
    m.mask_ = cap - 1;
    return m;
  }

 private:
  size_t slot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask_;
  }
  void grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<uint32_t> values = std::move(values_);
    reset(keys.size());
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != kEmpty) insert(keys[i], values[i]);
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  size_t mask_ = 0, size_ = 0;
};

}  // namespace zhtok
