// Features of the discriminative segmentation model, shared by the scorer and its trainer so the
// two can never disagree. Character features score the tag of each rune within its word
// (B = begins, M = middle, E = ends, S = single); edge features score a whole candidate word.
//
// Design notes. Segmentation speed is bound by memory latency: each feature is a random read in
// tables of megabytes. So features that depend on one character (unigrams, a word's first or
// last character with its length) index dense per-character tables that stay in cache, and only
// character pairs and triples go through the hash table. Hashed word-identity and first+last
// character features were tried and dropped: on PKU they cost 30% of the speed for no F1.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/binary_io.h"
#include "common/char_class.h"
#include "common/scratch.h"
#include "segment/lattice.h"

namespace zhtok::segment {

enum Tag : int { kB = 0, kM = 1, kE = 2, kS = 3 };
constexpr int kNumTags = 4;
// Free edges may span up to this many units. Longer out-of-dictionary words are rare (0.03% of
// PKU's gold words are 7+ runes and not in its training text) and each unit adds an edge at
// every position.
constexpr int kMaxFreeUnits = 6;

inline Tag tag_of(size_t k, size_t len) {  // tag of rune k of a word of len runes
  if (len == 1) return kS;
  return k == 0 ? kB : (k + 1 == len ? kE : kM);
}

// Feature code of a rune: its normalized code point, except that all digits share one code
// and all letters another ("１９９８年" teaches about "２００１年"), and kPad stands beyond the text.
constexpr uint32_t kPad = 0x110001, kDigitCode = 0x110010, kAlphaCode = 0x110011;
inline uint32_t feature_code(char32_t c, CharClass k) {
  if (k == CharClass::Digit) return kDigitCode;
  if (k == CharClass::Alpha) return kAlphaCode;
  return c;
}

// Dense ids of the feature codes seen in training; 0 = unseen.
class CharIndex {
 public:
  CharIndex() { index(); }
  explicit CharIndex(std::vector<uint32_t> codes);  // any order, duplicates allowed
  uint32_t id(uint32_t code) const {
    if (code < 0x10000) return bmp_[code];
    auto it = std::lower_bound(codes_.begin(), codes_.end(), code);
    return it != codes_.end() && *it == code ? uint32_t(it - codes_.begin()) + 1 : 0;
  }
  uint32_t size() const { return uint32_t(codes_.size()) + 1; }
  void save(ByteWriter& w) const { w.put_vec(codes_); }
  static CharIndex load(ByteReader& r);

 private:
  void index();
  std::vector<uint32_t> codes_;  // sorted, unique; id = position + 1
  std::vector<uint32_t> bmp_;    // id by BMP code point, derived
};

// Where each feature's weights live. Character features have rows of kNumTags weights: dense
// rows first, then one row per hashed feature. Edge features have one weight each.
struct FeatureLayout {
  uint32_t ids;  // CharIndex::size()
  uint32_t unigram(uint32_t id, int offset) const { return id * 5 + offset; }  // offset 0..4
  uint32_t classes(uint32_t code) const { return ids * 5 + code; }  // code < kClassCodes
  uint32_t dict(int kind, int len) const { return ids * 5 + kClassCodes + kind * 7 + len; }
  uint32_t bias() const { return ids * 5 + kClassCodes + 21; }
  static constexpr uint32_t kClassCodes = 1000;  // three feature classes, each < 10
  uint32_t hashed_base() const { return bias() + 1; }
  // Edge weights: first rune + length, last rune + length, then kNumWordFeatures dense ones.
  uint32_t first_len(uint32_t id, size_t len) const { return id * 8 + clamp8(len); }
  uint32_t last_len(uint32_t id, size_t len) const { return ids * 8 + id * 8 + clamp8(len); }
  uint32_t word(int i) const { return ids * 16 + i; }
  uint32_t edge_size() const;
  static uint32_t clamp8(size_t len) { return uint32_t(std::min<size_t>(len, 8) - 1); }
};

constexpr uint32_t kNoRow = 0xFFFFFFFFu;  // a feature without weights

// How the scorer stores hashed features. Templates 1-4 read one character pair at four offsets
// from the rune (-2..-1, -1..0, 0..1, 1..2) and templates 6-8 one triple at three (-1..1, -2..0,
// 0..2), so the scorer keeps each pair (triple) once, with the weights of every offset it is read
// at: one lookup serves four runes (three), and a rune costs 4 random reads instead of 9. The
// template id sits in a key's top 6 bits; the rest depends on the characters only.
constexpr int kTemplateShift = 58;
constexpr int kPairRoles = 4, kTripleRoles = 3;
inline int template_of(uint64_t key) { return static_cast<int>(key >> kTemplateShift); }
inline bool is_pair_template(int t) { return t >= 1 && t <= 4; }      // role t - 1
inline bool is_triple_template(int t) { return t >= 6 && t <= 8; }    // role t - 6
inline uint64_t pair_group_key(uint64_t key) {
  return (key & ((1ULL << kTemplateShift) - 1)) | (10ULL << kTemplateShift);
}
inline uint64_t triple_group_key(uint64_t key) {
  return (key & ((1ULL << kTemplateShift) - 1)) | (11ULL << kTemplateShift);
}
constexpr int kNumDenseFeatures = 10;   // 5 unigrams, class trigram, 3 dictionary, bias
constexpr int kNumHashedFeatures = 9;   // 5 bigrams, 3 trigrams, rune x dictionary pattern
// keys[j] of a rune holds template j + 1: the pairs are j = 0..3, the skip pair 4, the triples
// 5 (-1..1), 6 (-2..0), 7 (0..2), and the rune with its dictionary pattern 8.
constexpr int kNumCharFeatures = kNumDenseFeatures + kNumHashedFeatures;

// For every rune k of the lattice's text: ids[k] = its CharIndex id, rows[k * kNumCharFeatures
// + t] = the row of its dense feature t (t < kNumDenseFeatures), keys[k * kNumHashedFeatures
// + j] = the key of its hashed feature j (the caller turns keys into rows). The dictionary
// features come from the lattice's Dict and User edges: at run time every dictionary word and
// the user's words; in training, the words seen outside the sentence's fold.
//
// buffers: char_features' own per-rune buffers, kept by the caller between calls (a short line
// would otherwise pay for their allocations, or for a thread_local lookup).
struct RuneBuffers {
  std::vector<uint8_t> starts, ends, inside;  // longest dictionary word at, to, through a rune
  std::vector<uint32_t> code, id, klass;      // with padding
  // The dictionary pattern of rune k, the second half of its template-9 key.
  uint32_t pattern(size_t k) const { return starts[k] * 64 + ends[k] * 8 + inside[k]; }
  void release_if_large() { zhtok::release_if_large(starts, ends, inside, code, id, klass); }
};
void char_features(const char32_t* cps, const CharClass* cls, const Lattice& lat,
                   const CharIndex& index, const FeatureLayout& layout, RuneBuffers& buffers,
                   std::vector<uint32_t>& ids, std::vector<uint32_t>& rows,
                   std::vector<uint64_t>& keys);

// The hashed features as the scorer reads them: each character pair (triple) of the text once,
// by its group key, and each rune's two single features. Pair p starts at rune p - 2 (p =
// 0..n+2), triple q at rune q - 2 (q = 0..n+1); rune k reads pairs k..k+3 (in roles 0..3),
// triples k..k+2 (roles -2..0, -1..1, 0..2) and singles 2k (the skip pair) and 2k+1 (its
// dictionary pattern). The same keys as char_features' above, without the repeats.
struct ScorerKeys {
  std::vector<uint64_t> pairs, triples, singles;
};
void char_features(const char32_t* cps, const CharClass* cls, const Lattice& lat,
                   const CharIndex& index, const FeatureLayout& layout, RuneBuffers& buffers,
                   std::vector<uint32_t>& ids, std::vector<uint32_t>& rows, ScorerKeys& keys);

// Edge weights of a candidate word: first and last rune with the length, and the dense word
// features (whether it is a dictionary word, its length, the count bucket of a dictionary
// word). Returns how many (at most 4).
// Inline: it runs for every edge of every lattice.
inline int edge_features(const Edge& e, const uint32_t* ids, uint64_t count, bool dict_word,
                         const FeatureLayout& L, uint32_t out[4]) {
  size_t len = e.end - e.start;
  out[0] = L.first_len(ids[e.start], len);
  out[1] = L.last_len(ids[e.end - 1], len);
  uint32_t l = FeatureLayout::clamp8(len);
  if (dict_word) {
    // floor(log2(count)), at most 15 (0 for counts 0 and 1)
    int bucket = count > 1 ? std::min(15, 63 - __builtin_clzll(count)) : 0;
    out[2] = L.word(static_cast<int>(l));
    out[3] = L.word(16 + bucket);
    return 4;
  }
  out[2] = L.word(static_cast<int>(8 + l));
  return 3;
}

constexpr int kNumWordFeatures = 32;

// Raises the score of every out-of-dictionary (free) word of 2+ runes by bias, through the one
// length weight each has (edge_features' out[2]): how the trainer sets the model's new-word bias.
inline void add_new_word_bias(std::vector<float>& edge_w, const FeatureLayout& L, float bias) {
  for (size_t len = 2; len <= 8; ++len) edge_w[L.word(static_cast<int>(8 + FeatureLayout::clamp8(len)))] += bias;
}

inline uint32_t FeatureLayout::edge_size() const { return ids * 16 + kNumWordFeatures; }

}  // namespace zhtok::segment
