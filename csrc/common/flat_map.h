// A hash map from 64-bit keys to 32-bit values with open addressing and linear probing, stored
// as one flat array so that a model file can hold it as is (no rebuild on load). Written here
// rather than taken from a library because segmentation looks up ~30 features per character and
// memory latency is what each lookup costs: a slot is 8 bytes, a 32-bit fingerprint of the key
// beside its value, so a probe touches one cache line and the table stays small. Two keys with
// the same slot and fingerprint are taken as one (about one pair in 2^32 probes): for feature
// weights that is harmless noise, and it is why this is not a general-purpose map.
#pragma once

#include <cstdint>
#include <vector>

#include "common/binary_io.h"

namespace zhtok {

class FlatMap {
 public:
  static constexpr uint32_t kMissing = 0xFFFFFFFFu;
  static constexpr uint32_t kEmpty = ~0u;  // fingerprint of an empty slot

  explicit FlatMap(size_t expected = 0) { reset(expected); }

  void reset(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;  // load factor <= 0.5 keeps probes short
    slots_.assign(cap, Slot{kEmpty, kMissing});
    keys_.clear();
    mask_ = cap - 1;
    size_ = 0;
  }

  uint32_t find(uint64_t key) const {
    uint32_t fp = fingerprint(key);
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].fp == fp) return slots_[i].value;
      if (slots_[i].fp == kEmpty) return kMissing;
    }
  }

  // out[i] = find(keys[i]). Prefetches a few keys ahead so that the cache misses of independent
  // lookups overlap: with tables of megabytes, memory latency is what a lookup costs.
  void find_many(const uint64_t* keys, size_t n, uint32_t* out) const {
    constexpr size_t kAhead = 24;
    for (size_t i = 0; i < n && i < kAhead; ++i) prefetch(keys[i]);
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) prefetch(keys[i + kAhead]);
      out[i] = find(keys[i]);
    }
  }

  // Inserts key with value if absent; returns the stored value. Grows as needed.
  uint32_t insert(uint64_t key, uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    uint32_t fp = fingerprint(key);
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].fp == fp) return slots_[i].value;
      if (slots_[i].fp == kEmpty) {
        slots_[i] = Slot{fp, value};
        keys_.push_back(key);
        ++size_;
        return value;
      }
    }
  }

  size_t size() const { return size_; }


  void save(ByteWriter& w) const {
    w.put<uint64_t>(size_);
    w.put_vec(slots_);
  }

  // max_value: values must be below it (or kMissing), checked so lookups need no checks later.
  static FlatMap load(ByteReader& r, uint32_t max_value) {
    FlatMap m;
    m.size_ = r.get<uint64_t>();
    m.slots_ = r.get_vec<Slot>();
    size_t cap = m.slots_.size();
    if (cap < 16 || (cap & (cap - 1)) || m.size_ * 2 > cap)
      r.fail("feature table has an invalid shape");
    size_t used = 0;
    for (const Slot& sl : m.slots_) {
      if (sl.fp == kEmpty) continue;
      ++used;
      if (sl.value >= max_value) r.fail("feature table value out of range");
    }
    if (used != m.size_) r.fail("feature table size disagrees with its contents");
    m.mask_ = cap - 1;
    return m;
  }

 private:
  void prefetch(uint64_t key) const {
    size_t i = slot(key);
    __builtin_prefetch(slots_.data() + i);
  }
  // The slot comes from the high bits of one hash, the fingerprint from another hash.
  size_t slot(uint64_t key) const { return static_cast<size_t>(mix(key) >> 24) & mask_; }
  static uint32_t fingerprint(uint64_t key) {
    uint32_t fp = static_cast<uint32_t>(mix(key ^ 0xD6E8FEB86659FD93ULL));
    return fp == kEmpty ? 0 : fp;
  }
  static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    return x ^ (x >> 33);
  }
  // Grows by re-inserting slots: the key is gone, but slot and fingerprint are functions of
  // the key that can be recomputed from the fingerprint's slot position only by probing, so
  // growing keeps a side list of the keys inserted (see keys_).
  void grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<uint32_t> values;
    for (uint64_t k : keys) values.push_back(find(k));
    reset(slots_.size());
    for (size_t i = 0; i < keys.size(); ++i) insert(keys[i], values[i]);
  }

  struct Slot {
    uint32_t fp;
    uint32_t value;
  };
  std::vector<uint64_t> keys_;  // keys inserted since the last load, for grow(); not saved
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
};

}  // namespace zhtok
