// Features of the discriminative segmentation model, shared by the scorer and its trainer so the
// two can never disagree. Character features score the tag of each rune within its word
// (B = begins, M = middle, E = ends, S = single); word features score a whole lattice edge.
#pragma once

#include <cstdint>
#include <vector>

#include "common/char_class.h"
#include "segment/dict_trie.h"
#include "segment/lattice.h"

namespace zhtok::segment {

enum Tag : int { kB = 0, kM = 1, kE = 2, kS = 3 };
constexpr int kNumTags = 4;
constexpr int kNumCharFeatures = 19;
// Free edges may span up to this many units: the longest out-of-dictionary word the model finds.
constexpr int kMaxFreeUnits = 10;

// Tag of rune k of a word of length len.
inline Tag tag_of(size_t k, size_t len) {
  if (len == 1) return kS;
  return k == 0 ? kB : (k + 1 == len ? kE : kM);
}

// Fills keys[k * kNumCharFeatures + t] for every rune k of cps[0..n). allow(word_id) says which
// dictionary words count (all at run time; during training, the words seen outside the
// sentence's own fold, so the model learns how far to trust the dictionary).
template <typename Allow>
void char_feature_keys(const char32_t* cps, const CharClass* cls, size_t n, const DictTrie& dict,
                       Allow&& allow, std::vector<uint64_t>& keys);

// Indices into the word-feature weights for an edge of len runes; count = corpus count of a
// dictionary word (0 for others). Returns how many were written to out (at most 2).
inline int word_feature_indices(EdgeSource src, size_t len, uint64_t count, int out[2]) {
  size_t l = len < 8 ? len : 8;
  if (src == EdgeSource::Dict) {
    int bucket = 0;
    while (count > 1 && bucket < 15) count >>= 1, ++bucket;
    out[0] = static_cast<int>(l - 1);
    out[1] = 16 + bucket;
    return 2;
  }
  out[0] = static_cast<int>(8 + l - 1);
  return 1;
}
constexpr int kNumWordFeatures = 32;

// Hashed features of a candidate word cps[0..len): the word itself, its first and last
// characters with its length, and both ends together (as in Zhang & Clark's word-based model,
// restricted to what one edge can see).
constexpr int kNumEdgeKeys = 4;
inline void edge_feature_keys(const char32_t* cps, const CharClass* cls, size_t len,
                              uint64_t out[kNumEdgeKeys]);

// ---- implementation ----

namespace detail {
constexpr uint64_t kPad = 0x110001;  // beyond Unicode: the position before or after the text

inline uint64_t feature_code(char32_t c, CharClass k) {
  // Digits and letters share one code each, so "１９９８年" teaches about "２００１年" too.
  if (k == CharClass::Digit) return 0x110010;
  if (k == CharClass::Alpha) return 0x110011;
  return c;
}
inline uint64_t key(uint64_t templ, uint64_t a, uint64_t b = 0) {
  return (templ << 58) | (b << 21) | a;
}
// Three codes do not fit beside a template id: hash them (collisions are rare and harmless).
inline uint64_t key3(uint64_t templ, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b + 0x632BE59BD9B4E019ULL + (a << 6));
  h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL ^ (c * 0x94D049BB133111EBULL);
  h ^= h >> 31;
  return (templ << 58) | (h & ((1ULL << 58) - 1));
}
}  // namespace detail

inline void edge_feature_keys(const char32_t* cps, const CharClass* cls, size_t len,
                              uint64_t out[kNumEdgeKeys]) {
  using detail::feature_code;
  uint64_t first = feature_code(cps[0], cls[0]), last = feature_code(cps[len - 1], cls[len - 1]);
  uint64_t l = len < 8 ? len : 8;
  uint64_t h = 0x84222325CBF29CE4ULL;
  for (size_t i = 0; i < len && i < 8; ++i) h = (h ^ feature_code(cps[i], cls[i])) * 0x100000001B3ULL;
  out[0] = detail::key3(20, h, l, 0);
  out[1] = detail::key(21, first, l);
  out[2] = detail::key(22, last, l);
  out[3] = detail::key(23, first, last);
}

template <typename Allow>
void char_feature_keys(const char32_t* cps, const CharClass* cls, size_t n, const DictTrie& dict,
                       Allow&& allow, std::vector<uint64_t>& keys) {
  using detail::key;
  keys.resize(n * kNumCharFeatures);
  // Longest allowed dictionary word (2+ runes) that starts at, ends at, or passes through k.
  std::vector<uint8_t> starts(n, 0), ends(n, 0), inside(n, 0);
  for (size_t i = 0; i < n; ++i) {
    dict.for_each_prefix(cps + i, n - i, [&](size_t len, int32_t wid) {
      if (len < 2 || !allow(wid)) return;
      uint8_t l = static_cast<uint8_t>(len < 6 ? len : 6);
      starts[i] = std::max(starts[i], l);
      ends[i + len - 1] = std::max(ends[i + len - 1], l);
      for (size_t m = i + 1; m + 1 < i + len; ++m) inside[m] = std::max(inside[m], l);
    });
  }
  auto code = [&](ptrdiff_t k) -> uint64_t {
    if (k < 0 || k >= static_cast<ptrdiff_t>(n)) return detail::kPad;
    return detail::feature_code(cps[k], cls[k]);
  };
  auto klass = [&](ptrdiff_t k) -> uint64_t {
    if (k < 0 || k >= static_cast<ptrdiff_t>(n)) return 7;
    return static_cast<uint64_t>(cls[k]);
  };
  for (size_t k = 0; k < n; ++k) {
    ptrdiff_t i = static_cast<ptrdiff_t>(k);
    uint64_t c_2 = code(i - 2), c_1 = code(i - 1), c0 = code(i), c1 = code(i + 1), c2 = code(i + 2);
    uint64_t* f = keys.data() + k * kNumCharFeatures;
    f[0] = key(1, c_2);
    f[1] = key(2, c_1);
    f[2] = key(3, c0);
    f[3] = key(4, c1);
    f[4] = key(5, c2);
    f[5] = key(6, c_2, c_1);
    f[6] = key(7, c_1, c0);
    f[7] = key(8, c0, c1);
    f[8] = key(9, c1, c2);
    f[9] = key(10, c_1, c1);
    f[10] = key(11, klass(i - 1) * 64 + klass(i) * 8 + klass(i + 1));
    f[11] = key(12, starts[k]);
    f[12] = key(13, ends[k]);
    f[13] = key(14, inside[k]);
    f[14] = key(15, 0);  // bias
    f[15] = detail::key3(16, c_1, c0, c1);
    f[16] = detail::key3(17, c_2, c_1, c0);
    f[17] = detail::key3(18, c0, c1, c2);
    f[18] = key(19, c0, starts[k] * 64 + ends[k] * 8 + inside[k]);
  }
}

}  // namespace zhtok::segment
