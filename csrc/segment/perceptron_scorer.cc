#include "segment/perceptron_scorer.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/scratch.h"
#include "segment/unigram_scorer.h"

namespace zhtok::segment {

void LinearWeights::tag_scores(const uint32_t* rows, size_t n, std::vector<float>& tag,
                               int features) const {
  tag.resize(n * kNumTags);
  for (size_t k = 0; k < n; ++k) {
    float t0 = 0, t1 = 0, t2 = 0, t3 = 0;  // in registers, not through the tag array
    for (int f = 0; f < features; ++f) {
      uint32_t row = rows[k * kNumCharFeatures + f];
      if (row == kNoRow) continue;
      const float* w = char_w + static_cast<size_t>(row) * kNumTags;
      t0 += w[0], t1 += w[1], t2 += w[2], t3 += w[3];
    }
    float* t = tag.data() + k * kNumTags;
    t[0] = t0, t[1] = t1, t[2] = t2, t[3] = t3;
  }
}

void LinearWeights::score_edges(const uint32_t* ids, const std::vector<float>& tag,
                                Lattice& lat, std::vector<double>& mid) const {
  // Prefix sums of the M scores make any edge O(1): B + M...M + E.
  mid.assign(lat.n + 1, 0.0);
  for (size_t k = 0; k < lat.n; ++k) mid[k + 1] = mid[k] + tag[k * kNumTags + kM];
  for (Edge& e : lat.edges) {
    bool user = e.source == EdgeSource::User;
    if (user && e.user_freq < 0) continue;
    size_t len = e.end - e.start;
    double s = len == 1 ? tag[e.start * kNumTags + kS]
                        : tag[e.start * kNumTags + kB] + (mid[e.end - 1] - mid[e.start + 1]) +
                              tag[(e.end - 1) * kNumTags + kE];
    uint32_t f[4];
    uint64_t count = user ? static_cast<uint64_t>(std::min(e.user_freq, 4e9f))
                          : e.source == EdgeSource::Dict ? counts[e.word_id] : 0;
    int m = edge_features(e, ids, count, user || e.source == EdgeSource::Dict, layout, f);
    for (int i = 0; i < m; ++i) s += edge_w[f[i]];
    e.score = static_cast<float>(s);
  }
}

void HashedWeights::add(uint64_t key, const PackedWeights& p) {
  int t = template_of(key);
  if (is_pair_template(t)) {
    auto& g = pairs.insert(pair_group_key(key), PairWeights{});
    std::copy(p.w, p.w + kNumTags, g.w[t - 1]);
  } else if (is_triple_template(t)) {
    auto& g = triples.insert(triple_group_key(key), TripleWeights{});
    std::copy(p.w, p.w + kNumTags, g.w[t - 6]);
  } else {
    singles.insert(key, p);
  }
}

PerceptronScorer::PerceptronScorer(CharIndex index, HashedWeights hashed,
                                   float scale, std::vector<float> char_w,
                                   std::vector<float> edge_w, std::vector<uint32_t> counts)
    : index_(std::move(index)), layout_{index_.size()}, hashed_(std::move(hashed)), scale_(scale),
      char_w_(std::move(char_w)), edge_w_(std::move(edge_w)), counts_(std::move(counts)) {}

std::unique_ptr<Scorer> PerceptronScorer::load(ByteReader& r, size_t num_words) {
  CharIndex index = CharIndex::load(r);
  FeatureLayout layout{index.size()};
  auto char_w = r.get_vec<float>();
  if (char_w.size() != size_t(layout.hashed_base()) * kNumTags)
    r.fail("character weights do not match the character index");
  // Bounds keep every path score finite (a sentence sums at most ~100 weights per rune), so
  // the search always has a best path; a trained model's weights are far inside them.
  constexpr float kMaxWeight = 1e6f;
  float scale = r.get<float>();
  if (!std::isfinite(scale) || scale < 0 || scale * kPackedMax > kMaxWeight) r.fail("invalid weight scale");
  auto edge_w = r.get_vec<float>();
  if (edge_w.size() != layout.edge_size()) r.fail("edge weights do not match the character index");
  auto counts = r.get_vec<uint32_t>();
  if (counts.size() != num_words) r.fail("word counts disagree with the dictionary");
  HashedWeights hashed;  // packed weights: any value is in range
  hashed.pairs = FingerprintTable<PairWeights>::load(r, [](const PairWeights&) {});
  hashed.triples = FingerprintTable<TripleWeights>::load(r, [](const TripleWeights&) {});
  hashed.singles = FingerprintTable<PackedWeights>::load(r, [](const PackedWeights&) {});
  for (const auto* v : {&char_w, &edge_w})
    for (float w : *v)
      if (!(std::fabs(w) <= kMaxWeight)) r.fail("weight out of range (or not a number)");
  return std::make_unique<PerceptronScorer>(std::move(index), std::move(hashed), scale,
                                            std::move(char_w), std::move(edge_w),
                                            std::move(counts));
}

std::unique_ptr<Scorer> PerceptronScorer::with_more_words(const std::vector<uint64_t>& counts) const {
  auto copy = std::make_unique<PerceptronScorer>(*this);
  for (uint64_t c : counts) copy->counts_.push_back(uint32_t(std::min<uint64_t>(c, UINT32_MAX)));
  return copy;
}

std::unique_ptr<Scorer> PerceptronScorer::with_new_word_bias(float delta) const {
  auto copy = std::make_unique<PerceptronScorer>(*this);
  add_new_word_bias(copy->edge_w_, layout_, delta);
  return copy;
}

std::unique_ptr<Scorer> PerceptronScorer::frequency_scorer() const {
  return std::make_unique<UnigramScorer>(std::vector<uint64_t>(counts_.begin(), counts_.end()));
}

void PerceptronScorer::save(ByteWriter& w) const {
  index_.save(w);
  w.put_vec(char_w_);
  w.put<float>(scale_);
  w.put_vec(edge_w_);
  w.put_vec(counts_);
  hashed_.pairs.save(w);
  hashed_.triples.save(w);
  hashed_.singles.save(w);
}

namespace {

// tag[t] += scale * (sum of w[i][t]): the tag scores of the hashed features of one rune.
template <size_t N>
void add_packed(const PackedWeight* const (&w)[N], float scale, float* tag) {
  static_assert(kNumTags == 4, "four tags: one SSE2 register");
  static_assert(sizeof(PackedWeights) == sizeof(int32_t), "four 8-bit weights");
#if defined(__SSE2__)
  // The four tags side by side in a register; the same integer sums and the same float
  // arithmetic per tag as the loop below, in a third of the instructions.
  __m128i sum = _mm_setzero_si128();
  for (const PackedWeight* p : w) {
    int32_t four;
    std::memcpy(&four, p, sizeof four);
    __m128i v = _mm_cvtsi32_si128(four);
    v = _mm_unpacklo_epi8(v, v);
    v = _mm_unpacklo_epi16(v, v);                     // each byte four times
    sum = _mm_add_epi32(sum, _mm_srai_epi32(v, 24));  // sign-extended
  }
  __m128 t = _mm_loadu_ps(tag);
  _mm_storeu_ps(tag, _mm_add_ps(t, _mm_mul_ps(_mm_set1_ps(scale), _mm_cvtepi32_ps(sum))));
#else
  int32_t sum[kNumTags] = {0, 0, 0, 0};
  for (const PackedWeight* p : w)
    for (int t = 0; t < kNumTags; ++t) sum[t] += p[t];
  for (int t = 0; t < kNumTags; ++t) tag[t] += scale * static_cast<float>(sum[t]);
#endif
}

// PerceptronScorer::score's buffers.
struct ScoreBuffers {
  RuneBuffers runes;
  std::vector<uint32_t> ids, rows;
  ScorerKeys keys;
  std::vector<float> tag;
  std::vector<double> mid;
  std::vector<const PairWeights*> pairs;
  std::vector<const TripleWeights*> triples;
  std::vector<const PackedWeights*> singles;
};

}  // namespace

void PerceptronScorer::score(const char32_t* cps, const CharClass* cls, Lattice& lat) const {
  ScoreBuffers& b = per_thread<ScoreBuffers>();  // reused across calls (see Segmenter::segment)
  auto &ids = b.ids, &rows = b.rows;
  auto &pair_keys = b.keys.pairs, &triple_keys = b.keys.triples, &single_keys = b.keys.singles;
  auto& tag = b.tag;
  auto& pairs = b.pairs;
  auto& triples = b.triples;
  auto& singles = b.singles;
  const size_t n = lat.n;
  char_features(cps, cls, lat, index_, layout_, b.runes, ids, rows, b.keys);
  LinearWeights lw{char_w_.data(), edge_w_.data(), counts_.data(), layout_};
  lw.tag_scores(rows.data(), n, tag, kNumDenseFeatures);  // the hashed ones come from keys
  if (n > 0) {
    pairs.resize(pair_keys.size()), triples.resize(triple_keys.size()), singles.resize(single_keys.size());
    // Absent features read zero weights rather than being skipped: whether a feature was
    // seen in training is a coin toss for the branch predictor.
    static const PairWeights kNoPair{};
    static const TripleWeights kNoTriple{};
    static const PackedWeights kNoSingle{};
    hashed_.pairs.find_many(pair_keys.data(), pair_keys.size(), pairs.data(), &kNoPair);
    hashed_.triples.find_many(triple_keys.data(), triple_keys.size(), triples.data(), &kNoTriple);
    hashed_.singles.find_many(single_keys.data(), single_keys.size(), singles.data(), &kNoSingle);
    for (size_t k = 0; k < n; ++k) {
      const PackedWeight* w[] = {
          pairs[k]->w[0], pairs[k + 1]->w[1], pairs[k + 2]->w[2], pairs[k + 3]->w[3],  // pair k - 2 + r, role r
          triples[k + 1]->w[0],  // -1..1
          triples[k]->w[1],      // -2..0
          triples[k + 2]->w[2],  // 0..2
          singles[2 * k]->w, singles[2 * k + 1]->w};
      add_packed(w, scale_, tag.data() + k * kNumTags);
    }
  }
  lw.score_edges(ids.data(), tag, lat, b.mid);
  b.runes.release_if_large();
  release_if_large(ids, rows, pair_keys, triple_keys, single_keys, tag, b.mid, pairs, triples,
                   singles);
}

}  // namespace zhtok::segment
