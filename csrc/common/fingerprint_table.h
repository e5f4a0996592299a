// A hash table from 64-bit keys to small values with open addressing and linear probing, kept in
// one flat array of slots so that a model file holds it as is (no rebuild on load). Written here
// rather than taken from a library because segmentation looks up ~10 hashed features per
// character and memory latency is what each lookup costs: a slot holds a 32-bit fingerprint of
// the key beside the value itself (for the segmenter, the feature's packed weights), so a
// lookup touches one cache line. Two keys with the same slot and fingerprint are taken as one
// (about one pair in 2^32 probes): harmless for feature weights, and why this is not a
// general-purpose map.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/binary_io.h"

namespace zhtok {

template <typename V>
class FingerprintTable {
 public:
  explicit FingerprintTable(size_t expected = 0) { reset(expected); }

  const V* find(uint64_t key) const { return find_hashed(hash(key)); }

  // out[i] = find(keys[i]), or absent where that is null. Prefetches keys ahead so that the
  // cache misses of independent lookups overlap.
  void find_many(const uint64_t* keys, size_t n, const V** out, const V* absent = nullptr) const {
    constexpr size_t kAhead = 32;  // a power of two: the ring of hashes computed ahead
    uint64_t ahead[kAhead];
    auto fetch = [&](size_t i) {
      ahead[i % kAhead] = hash(keys[i]);
      const char* first = reinterpret_cast<const char*>(slots_.data() + slot(ahead[i % kAhead]));
      __builtin_prefetch(first);
      // A slot of more than a few bytes often straddles two cache lines.
      if constexpr (sizeof(Slot) > 16) __builtin_prefetch(first + sizeof(Slot) - 1);
    };
    for (size_t i = 0; i < n && i < kAhead; ++i) fetch(i);
    for (size_t i = 0; i < n; ++i) {
      const V* v = find_hashed(ahead[i % kAhead]);
      out[i] = v ? v : absent;
      if (i + kAhead < n) fetch(i + kAhead);
    }
  }

  // The value of key, inserted as init if absent (*inserted says which). Grows as needed; the
  // reference is valid until the next insert.
  V& insert(uint64_t key, const V& init, bool* inserted = nullptr) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const uint64_t h = hash(key);
    const uint32_t fp = fingerprint(h);
    for (size_t i = slot(h);; i = (i + 1) & mask_) {
      if (slots_[i].fp == fp) {
        if (inserted) *inserted = false;
        return slots_[i].value;
      }
      if (slots_[i].fp == kEmpty) {
        slots_[i] = Slot{fp, init};
        keys_.push_back(key);
        ++size_;
        if (inserted) *inserted = true;
        return slots_[i].value;
      }
    }
  }

  size_t size() const { return size_; }

  // Saved compactly: the capacity, a bitmap of the used slots and the used slots in order (a
  // table is at most half full, so this is about half its memory).
  void save(ByteWriter& w) const {
    w.put<uint64_t>(slots_.size());
    std::vector<uint64_t> used((slots_.size() + 63) / 64, 0);
    std::vector<Slot> full;
    full.reserve(size_);
    for (size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].fp != kEmpty) used[i / 64] |= 1ULL << (i % 64), full.push_back(slots_[i]);
    w.put_vec(used);
    w.put_vec(full);
  }
  // check(value) throws through r for a value that could do harm later (an index out of
  // range, a non-finite weight), so lookups need no checks. what names the table in errors.
  template <typename Check>
  static FingerprintTable load(ByteReader& r, Check&& check, const char* what = "feature table") {
    FingerprintTable t;
    const std::string name = what;
    uint64_t cap = r.get<uint64_t>();
    if (cap < 16 || (cap & (cap - 1)) || cap > (uint64_t(1) << 40)) r.fail(name + " has an invalid shape");
    auto used = r.get_vec<uint64_t>();
    if (used.size() != (cap + 63) / 64) r.fail(name + " bitmap does not match its capacity");
    auto full = r.get_vec<Slot>();
    if (full.size() * 2 > cap) r.fail(name + " is more than half full");
    t.slots_.assign(size_t(cap), Slot{kEmpty, V{}});
    size_t next = 0;
    for (size_t i = 0; i < cap; ++i) {
      if (!(used[i / 64] >> (i % 64) & 1)) continue;
      if (next == full.size()) r.fail(name + " bitmap marks more slots than it holds");
      const Slot& sl = full[next++];
      if (sl.fp == kEmpty) r.fail(name + " holds an empty slot as used");
      check(sl.value);
      t.slots_[i] = sl;
    }
    if (next != full.size()) r.fail(name + " holds more slots than its bitmap marks");
    t.size_ = full.size();
    t.mask_ = size_t(cap) - 1;
    return t;
  }

 private:
  static constexpr uint32_t kEmpty = ~0u;  // fingerprint of an empty slot

  void reset(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;  // load factor <= 0.5 keeps probes short
    slots_.assign(cap, Slot{kEmpty, V{}});
    keys_.clear();
    mask_ = cap - 1;
    size_ = 0;
  }
  const V* find_hashed(uint64_t h) const {
    const uint32_t fp = fingerprint(h);
    for (size_t i = slot(h);; i = (i + 1) & mask_) {
      if (slots_[i].fp == fp) return &slots_[i].value;
      if (slots_[i].fp == kEmpty) return nullptr;
    }
  }
  // One hash per key: its low bits pick the slot, its high 32 bits are the fingerprint (the two
  // are independent for tables of up to 2^32 slots).
  size_t slot(uint64_t h) const { return static_cast<size_t>(h) & mask_; }
  static uint32_t fingerprint(uint64_t h) {
    uint32_t fp = static_cast<uint32_t>(h >> 32);
    return fp == kEmpty ? 0 : fp;
  }
  static uint64_t hash(uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    return x ^ (x >> 33);
  }
  // Slots keep no keys, so growing re-inserts from keys_, the keys inserted since construction
  // (a loaded table is only read, never grown).
  void grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<V> values;
    for (uint64_t k : keys) values.push_back(*find(k));
    reset(slots_.size());
    for (size_t i = 0; i < keys.size(); ++i) insert(keys[i], values[i]);
  }

  struct Slot {
    uint32_t fp;
    V value;
  };
  std::vector<Slot> slots_;
  std::vector<uint64_t> keys_;  // not saved
  size_t mask_ = 0, size_ = 0;
};

}  // namespace zhtok
