#include "bpe/bpe_model.h"

#include <cstring>
#include <queue>

#include "common/error.h"

namespace zhtok::bpe {
namespace {
constexpr uint64_t kEmptyKey = ~0ULL;
inline size_t hash_pair(uint64_t key) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 17); }
// Pieces up to this many bytes use the quadratic scan (fast for short words); longer ones a
// heap, so a megabyte without spaces stays O(n log n).
constexpr size_t kShortPiece = 256;

// Index of the first smallest of v[0..n), n >= 1. Two passes, the minimum then its position,
// because each vectorizes (one pass keeping the index does not); built for AVX2 as well, chosen
// at run time, since this scan is most of the time BPE takes on long pieces.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__)
#define ZHTOK_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define ZHTOK_AVX2_CLONE
#endif
ZHTOK_AVX2_CLONE size_t lowest(const uint32_t* v, size_t n) {
  uint32_t m = v[0];
  for (size_t i = 1; i < n; ++i) m = v[i] < m ? v[i] : m;
  size_t i = 0;
  while (v[i] != m) ++i;
  return i;
}
}  // namespace

BpeModel::BpeModel(std::vector<Merge> merges, const std::string& where) : merges_(std::move(merges)) {
  bytes_.reserve(num_tokens());
  for (int b = 0; b < 256; ++b) bytes_.emplace_back(1, static_cast<char>(b));
  size_t cap = 16;
  while (cap < merges_.size() * 2) cap <<= 1;
  slots_.assign(cap, PairSlot{kEmptyKey, kNoRank});
  byte_pairs_.assign(256 * 256, kNoRank);
  mask_ = cap - 1;
  for (size_t i = 0; i < merges_.size(); ++i) {
    auto [a, b] = merges_[i];
    if (a >= bytes_.size() || b >= bytes_.size())
      throw_format(where, "merge " + std::to_string(i) + " uses id " +
                              std::to_string(std::max(a, b)) + ", which is not made yet");
    uint64_t key = uint64_t(a) << 32 | b;
    size_t s = hash_pair(key) & mask_;
    while (slots_[s].key != kEmptyKey && slots_[s].key != key) s = (s + 1) & mask_;
    if (slots_[s].key == key) throw_format(where, "merge " + std::to_string(i) + " repeats an earlier merge");
    slots_[s] = PairSlot{key, static_cast<uint32_t>(i)};
    if (a < 256 && b < 256) byte_pairs_[a << 8 | b] = static_cast<uint32_t>(i);
    if (bytes_[a].size() + bytes_[b].size() > kMaxTokenBytes)
      throw_format(where, "merge " + std::to_string(i) + " makes a token longer than " +
                              std::to_string(kMaxTokenBytes) + " bytes");
    bytes_.push_back(bytes_[a] + bytes_[b]);
  }
}

uint32_t BpeModel::rank(uint32_t a, uint32_t b) const {
  if ((a | b) < 256) return byte_pairs_[a << 8 | b];
  uint64_t key = uint64_t(a) << 32 | b;
  for (size_t s = hash_pair(key) & mask_;; s = (s + 1) & mask_) {
    if (slots_[s].key == key) return slots_[s].rank;
    if (slots_[s].key == kEmptyKey) return kNoRank;
  }
}

void BpeModel::encode_piece(std::string_view text, std::vector<uint32_t>& out) const {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  if (n > kShortPiece) return encode_long(p, n, out);
  // As tiktoken does: the rank of each adjacent pair is kept, and a merge recomputes only the
  // two pairs it changes, so a step costs a scan of small integers, not n hash lookups.
  uint32_t sym[kShortPiece], rk[kShortPiece];
  for (size_t i = 0; i < n; ++i) sym[i] = p[i];
  for (size_t i = 0; i + 1 < n; ++i) rk[i] = rank(sym[i], sym[i + 1]);
  while (n > 1) {
    size_t at = lowest(rk, n - 1);
    uint32_t best = rk[at];
    if (best == kNoRank) break;
    sym[at] = 256 + best;
    std::memmove(sym + at + 1, sym + at + 2, (n - at - 2) * sizeof(uint32_t));
    std::memmove(rk + at + 1, rk + at + 2, (n - at - 2) * sizeof(uint32_t));
    --n;
    if (at + 1 < n) rk[at] = rank(sym[at], sym[at + 1]);
    if (at > 0) rk[at - 1] = rank(sym[at - 1], sym[at]);
  }
  out.insert(out.end(), sym, sym + n);
}

void BpeModel::encode_long(const unsigned char* p, size_t n, std::vector<uint32_t>& out) const {
  // Symbols in a linked list; candidate merges in a heap keyed by (rank, position), checked
  // against the current list when popped.
  std::vector<uint32_t> sym(p, p + n);
  std::vector<int64_t> prev(n), next(n);
  for (size_t i = 0; i < n; ++i) prev[i] = int64_t(i) - 1, next[i] = i + 1 < n ? int64_t(i + 1) : -1;
  using Cand = std::pair<uint64_t, uint32_t>;  // (rank << 32 | left position, right symbol id)
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int64_t i) {
    if (i < 0 || next[i] < 0) return;
    uint32_t r = rank(sym[i], sym[next[i]]);
    if (r != kNoRank) heap.push({uint64_t(r) << 32 | uint64_t(i), sym[next[i]]});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(int64_t(i));
  std::vector<uint8_t> dead(n, 0);
  while (!heap.empty()) {
    auto [key, right_sym] = heap.top();
    heap.pop();
    int64_t i = int64_t(key & 0xFFFFFFFFu);
    uint32_t r = uint32_t(key >> 32);
    if (dead[i] || next[i] < 0 || sym[next[i]] != right_sym || rank(sym[i], sym[next[i]]) != r)
      continue;  // stale: a neighbour changed since this was pushed
    int64_t j = next[i];
    sym[i] = 256 + r;
    dead[j] = 1;
    next[i] = next[j];
    if (next[j] >= 0) prev[next[j]] = i;
    push(prev[i]);
    push(i);
  }
  for (int64_t i = 0; i >= 0; i = next[i]) out.push_back(sym[i]);
}

}  // namespace zhtok::bpe
