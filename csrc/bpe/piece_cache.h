// A per-thread cache from pre-token bytes to their token ids. A corpus repeats its words, so
// most pieces are found here and never reach BPE. Written here rather than a std::unordered_map
// because the map allocated a std::string for every lookup (C++17 has no lookup by
// string_view) and two blocks for every insert. Here a slot is 16 bytes and an entry keeps its
// ids and key side by side in one arena, so a hit costs a hash and two cache lines (the table
// of a warm cache is far larger than the CPU's caches: each miss is a trip to memory). Nothing
// is allocated per piece; cleared when full. Small on purpose: a corpus's frequent pieces fit
// in 2^15 entries as well as in 2^18 (the same speed on one thread), a small table keeps two
// threads from competing for memory bandwidth, and memory stops growing early in a corpus.
// The arena's bound, 2 MB, is far above what 2^15 entries of words need: a bound of 32 MB let
// each thread's arena creep towards it on long pieces, a few MB more on a larger input.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/hash_bytes.h"

namespace zhtok::bpe {

class PieceCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 15;
  static constexpr size_t kMaxArenaWords = 512 << 10;  // 2 MB of ids and keys
  static constexpr size_t kMaxKeyBytes = 0xFFFF;       // longer pieces are not kept

  // The ids of piece and their count, or nullptr if absent.
  const uint32_t* find(std::string_view piece, size_t& count) const {
    if (slots_.empty() || piece.size() > kMaxKeyBytes) return nullptr;
    uint64_t h = hash_bytes(piece);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key_len == 0) return nullptr;
      if (s.hash == h && s.key_len == piece.size()) {
        const uint32_t* ids = arena_.data() + s.offset;
        if (std::memcmp(ids + s.ids_len, piece.data(), piece.size()) == 0) {
          count = s.ids_len;
          return ids;
        }
      }
    }
  }

  // Appends the ids of piece to out: cached ones, or those encode(out) appends, then kept.
  template <typename Encode>
  void append(std::string_view piece, std::vector<uint32_t>& out, Encode&& encode) {
    size_t count = 0;
    if (const uint32_t* ids = find(piece, count)) {
      out.insert(out.end(), ids, ids + count);
      return;
    }
    size_t at = out.size();
    encode(out);
    insert(piece, out.data() + at, out.size() - at);
  }

  // Adds piece -> ids[0..count) (piece must be absent).
  void insert(std::string_view piece, const uint32_t* ids, size_t count) {
    if (piece.empty() || piece.size() > kMaxKeyBytes || count > kMaxKeyBytes) return;
    size_t words = count + (piece.size() + 3) / 4;
    if (used_ >= kMaxEntries || arena_.size() + words > kMaxArenaWords) clear();
    if ((used_ + 1) * 2 > slots_.size()) grow();  // load factor <= 0.5
    if (arena_.capacity() == 0) arena_.reserve(kMaxArenaWords);  // pages are touched as used
    size_t at = arena_.size();
    arena_.resize(at + words);
    std::memcpy(arena_.data() + at, ids, count * sizeof(uint32_t));
    std::memcpy(arena_.data() + at + count, piece.data(), piece.size());
    place(Slot{hash_bytes(piece), uint32_t(at), uint16_t(piece.size()), uint16_t(count)});
    ++used_;
  }

  // Empties the cache but keeps its memory: a full cache is refilled at the same size, so
  // memory stops growing once it first fills.
  void clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    arena_.clear();
    used_ = 0;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;   // of the entry in arena_: ids_len ids, then the key's bytes
    uint16_t key_len = 0;  // 0 = empty (pieces are never empty)
    uint16_t ids_len = 0;
  };
  void place(const Slot& slot) {
    size_t i = slot.hash & mask_;
    while (slots_[i].key_len != 0) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  void grow() {
    std::vector<Slot> old(std::max<size_t>(1024, slots_.size() * 2));
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.key_len != 0) place(s);
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> arena_;
  size_t mask_ = 0, used_ = 0;
};

}  // namespace zhtok::bpe
