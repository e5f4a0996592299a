// A per-thread cache from pre-token bytes to their token ids. A corpus repeats its words, so
// most pieces are found here and never reach BPE. Written here rather than a std::unordered_map
// because the map allocated a std::string for every lookup (C++17 has no lookup by
// string_view) and two blocks for every insert; here keys and ids live in two arenas, a hit
// costs one hash and one compare, and nothing is allocated per piece. Cleared when full.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace zhtok::bpe {

class PieceCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 18;
  static constexpr size_t kMaxKeyBytes = 64 << 20;

  // The ids of piece and their count, or nullptr if absent.
  const uint32_t* find(std::string_view piece, size_t& count) const {
    if (slots_.empty()) return nullptr;
    uint64_t h = hash(piece);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.ids_len == kEmpty) return nullptr;
      if (s.hash == h && std::string_view(keys_).substr(s.key_off, s.key_len) == piece) {
        count = s.ids_len;
        return ids_.data() + s.ids_off;
      }
    }
  }

  // Adds piece -> ids[0..count) (piece must be absent).
  void insert(std::string_view piece, const uint32_t* ids, size_t count) {
    if (piece.size() > kMaxKeyBytes / 64) return;  // a huge piece would evict everything
    if (used_ >= kMaxEntries || keys_.size() + piece.size() > kMaxKeyBytes) clear();
    if ((used_ + 1) * 2 > slots_.size()) grow();  // load factor <= 0.5
    place(Slot{hash(piece), uint32_t(keys_.size()), uint32_t(piece.size()), uint32_t(ids_.size()),
               uint32_t(count)});
    keys_.append(piece);
    ids_.insert(ids_.end(), ids, ids + count);
    ++used_;
  }

  void clear() {
    slots_.clear();
    keys_.clear();
    ids_.clear();
    used_ = 0;
  }

 private:
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_off = 0, key_len = 0, ids_off = 0, ids_len = kEmpty;
  };
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  void place(const Slot& slot) {
    size_t i = slot.hash & mask_;
    while (slots_[i].ids_len != kEmpty) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  void grow() {
    std::vector<Slot> old(std::max<size_t>(1024, slots_.size() * 2));
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.ids_len != kEmpty) place(s);
  }

  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<uint32_t> ids_;
  size_t mask_ = 0, used_ = 0;
};

}  // namespace zhtok::bpe
