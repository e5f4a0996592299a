#include "bpe/bpe_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <queue>

#include "common/error.h"
#include "common/utf8.h"

namespace zhtok::bpe {
namespace {
constexpr uint64_t kEmptyKey = ~0ULL;
inline size_t hash_pair(uint64_t key) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 17); }
// Pieces up to this many symbols use the quadratic scan (fast for short words); longer ones a
// heap, so a megabyte without spaces stays O(n log n).
constexpr size_t kShortPiece = 256;

// The code point and length of the two- or three-byte character at p[i], i < n, or length 0:
// the characters char_tokens_ can hold (the surrogates WTF-8 carries too).
inline size_t short_char_at(const unsigned char* p, size_t i, size_t n, uint32_t& cp) {
  char32_t c;
  int len = decode_utf8_char(p + i, n - i, c, /*allow_surrogates=*/true);
  if (len != 2 && len != 3) return 0;
  cp = c;
  return size_t(len);
}

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
  build_char_tokens();
}

uint32_t BpeModel::rank(uint32_t a, uint32_t b) const {
  if ((a | b) < 256) return byte_pairs_[a << 8 | b];
  uint64_t key = uint64_t(a) << 32 | b;
  for (size_t s = hash_pair(key) & mask_;; s = (s + 1) & mask_) {
    if (slots_[s].key == key) return slots_[s].rank;
    if (slots_[s].key == kEmptyKey) return kNoRank;
  }
}

void BpeModel::build_char_tokens() {
  // Why starting from a character's token gives the same ids. BPE on the character's bytes
  // alone passes through states S_0 (the bytes) .. S_k (one token t), firing ranks m_i.
  // Inside a piece the character goes through the same states unless a merge across its edge
  // fires first: one pairing some X with first(S_i) or last(S_i) with some Y. If all of those
  // rank above m_i (a pair inside the character ready to fire), none is ever the lowest while
  // the character is in parts, and whatever fires elsewhere meanwhile ranks <= m_i <= rank(t)
  // < any merge using t (a merge uses only tokens made before it), so it fires the same way
  // whether the character is in parts or already t. Which X and Y can occur is bounded by the
  // neighbouring byte: a continuation byte on the left (another multi-byte character) or not,
  // a lead byte on the right or not, nothing at a piece's edge.
  const size_t n = num_tokens();
  if (n >= (1u << 28)) return;  // ids share a word with four context bits
  std::vector<std::array<uint32_t, 2>> as_right(n, {kNoRank, kNoRank}), as_left(n, {kNoRank, kNoRank});
  for (uint32_t i = 0; i < merges_.size(); ++i) {
    auto [a, b] = merges_[i];
    int left_class = (static_cast<unsigned char>(bytes_[a].back()) & 0xC0) == 0x80;
    int right_class = static_cast<unsigned char>(bytes_[b].front()) >= 0xC0;
    as_right[b][left_class] = std::min(as_right[b][left_class], i);
    as_left[a][right_class] = std::min(as_left[a][right_class], i);
  }
  char_tokens_.assign(1 << 16, 0);
  for (uint32_t cp = 0x80; cp < 0x10000; ++cp) {
    size_t len = cp < 0x800 ? 2 : 3;
    uint32_t sym[3] = {0xE0 | cp >> 12, 0x80 | (cp >> 6 & 0x3F), 0x80 | (cp & 0x3F)};
    if (len == 2) sym[0] = 0xC0 | cp >> 6, sym[1] = 0x80 | (cp & 0x3F);
    uint32_t ok = 0xF;  // bits: left other, left continuation, right other, right lead
    while (len > 1) {
      uint32_t r0 = rank(sym[0], sym[1]), r1 = len == 3 ? rank(sym[1], sym[2]) : kNoRank;
      uint32_t m = std::min(r0, r1);
      if (m == kNoRank) break;
      for (int c = 0; c < 2; ++c) {
        if (as_right[sym[0]][c] < m) ok &= ~(1u << c);
        if (as_left[sym[len - 1]][c] < m) ok &= ~(4u << c);
      }
      size_t at = r0 == m ? 0 : 1;
      sym[at] = 256 + m;
      if (at == 0 && len == 3) sym[1] = sym[2];
      --len;
    }
    if (len == 1 && ok) char_tokens_[cp] = sym[0] | ok << 28;
  }
  std::vector<uint32_t> pairs;
  for (const std::string& t : bytes_) {
    const auto* p = reinterpret_cast<const unsigned char*>(t.data());
    for (size_t i = 0; i < t.size(); ++i) {
      uint32_t left, right;
      size_t len = short_char_at(p, i, t.size(), left);
      if (len && i + len < t.size() && short_char_at(p, i + len, t.size(), right))
        pairs.push_back(left << 16 | right);
    }
  }
  std::sort(pairs.begin(), pairs.end());  // a pair is in many tokens: keep the table small
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  size_t cap = 16;
  while (cap < pairs.size() * 2) cap <<= 1;
  adjacent_chars_.assign(cap, CharPair{0, kNoRank});
  for (uint32_t key : pairs) {
    size_t s = hash_pair(key) & (cap - 1);
    while (adjacent_chars_[s].key != 0 && adjacent_chars_[s].key != key) s = (s + 1) & (cap - 1);
    uint32_t left = char_tokens_[key >> 16] & 0x0FFFFFFFu, right = char_tokens_[key & 0xFFFF] & 0x0FFFFFFFu;
    adjacent_chars_[s] = CharPair{key, left && right ? rank(left, right) : kNoRank};
  }
}

uint32_t BpeModel::char_token_at(const unsigned char* p, size_t i, size_t n, uint32_t& cp,
                                 size_t& len) const {
  len = char_tokens_.empty() ? 0 : short_char_at(p, i, n, cp);
  if (!len) return 0;
  uint32_t e = char_tokens_[cp];
  bool left_ok = i == 0 || (e >> (28 + ((p[i - 1] & 0xC0) == 0x80)) & 1);
  bool right_ok = i + len == n || (e >> (30 + (p[i + len] >= 0xC0)) & 1);
  return left_ok && right_ok ? e : 0;
}

uint32_t BpeModel::char_pair_rank(uint32_t left_cp, uint32_t right_cp) const {
  uint32_t key = left_cp << 16 | right_cp;
  size_t mask = adjacent_chars_.size() - 1;
  for (size_t s = hash_pair(key) & mask;; s = (s + 1) & mask) {
    if (adjacent_chars_[s].key == key) return adjacent_chars_[s].rank;
    if (adjacent_chars_[s].key == 0) return kApart;
  }
}

void BpeModel::encode_piece(std::string_view text, std::vector<uint32_t>& out) const {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  uint32_t stack[2][kShortPiece];
  std::vector<uint32_t> heap;
  uint32_t *sym = stack[0], *rk = stack[1];  // symbols, and the rank of each with the next
  if (n > kShortPiece) {
    heap.resize(2 * n);
    sym = heap.data();
    rk = sym + n;
  }
  // Symbols BPE starts from: bytes, and whole characters where char_tokens_ allows. Between
  // two whole characters that no token holds side by side no merge can ever cross (it would
  // make such a token), so the piece is merged as independent parts: short scans, and a part
  // of one character is its token already.
  size_t k = 0, part = 0;
  auto merge_part = [&](size_t end) {
    if (end - part == 1)
      out.push_back(sym[part]);
    else if (end - part <= kShortPiece)
      merge_short(sym + part, rk + part, end - part, out);
    else
      merge_long(std::vector<uint32_t>(sym + part, sym + end), out);
    part = end;
  };
  uint32_t prev_cp = 0;  // the whole character just before, if any
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len;
    if (uint32_t e = char_token_at(p, i, n, cp, len)) {
      sym[k] = e & 0x0FFFFFFFu;
      if (prev_cp) {
        // The pair's rank comes with the answer to whether the two may ever join.
        uint32_t r = char_pair_rank(prev_cp, cp);
        if (r == kApart)
          merge_part(k);
        else
          rk[k - 1] = r;
      } else if (k > part) {
        rk[k - 1] = rank(sym[k - 1], sym[k]);
      }
      ++k;
      prev_cp = cp;
      i += len;
    } else {
      sym[k] = p[i++];
      if (k > part) rk[k - 1] = rank(sym[k - 1], sym[k]);
      ++k;
      prev_cp = 0;
    }
  }
  if (k > part) merge_part(k);
}

void BpeModel::merge_short(uint32_t* sym, uint32_t* rk, size_t n, std::vector<uint32_t>& out) const {
  // As tiktoken does: the rank of each adjacent pair is kept, and a merge recomputes only the
  // two pairs it changes, so a step costs a scan of small integers, not n hash lookups.
  while (n > 1) {
    size_t at = lowest(rk, n - 1);
    uint32_t best = rk[at];
    if (best == kNoRank) break;
    sym[at] = 256 + best;
    size_t tail = n - at - 2;  // symbols after the pair; one pair fewer than that after it
    std::memmove(sym + at + 1, sym + at + 2, tail * sizeof(uint32_t));
    if (tail > 1) std::memmove(rk + at + 1, rk + at + 2, (tail - 1) * sizeof(uint32_t));
    --n;
    if (at + 1 < n) rk[at] = rank(sym[at], sym[at + 1]);
    if (at > 0) rk[at - 1] = rank(sym[at - 1], sym[at]);
  }
  out.insert(out.end(), sym, sym + n);
}

void BpeModel::merge_long(std::vector<uint32_t> sym, std::vector<uint32_t>& out) const {
  // Symbols in a linked list; candidate merges in a heap keyed by (rank, position), checked
  // against the current list when popped.
  const size_t n = sym.size();
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
