#include "segment/perceptron_scorer.h"

#include <cmath>

namespace zhtok::segment {

void LinearWeights::tag_scores(const uint32_t* rows, size_t n, std::vector<float>& tag) const {
  tag.assign(n * kNumTags, 0.f);
  for (size_t k = 0; k < n; ++k) {
    float* t = tag.data() + k * kNumTags;
    for (int f = 0; f < kNumCharFeatures; ++f) {
      uint32_t row = rows[k * kNumCharFeatures + f];
      if (row == FlatMap::kMissing) continue;
      const float* w = char_w + static_cast<size_t>(row) * kNumTags;
      t[0] += w[0], t[1] += w[1], t[2] += w[2], t[3] += w[3];
    }
  }
}

void LinearWeights::score_edges(const char32_t* cps, const CharClass* cls,
                                const std::vector<float>& tag, Lattice& lat) const {
  // Prefix sums of the M scores make any edge O(1): B + M...M + E.
  std::vector<double> mid(lat.n + 1, 0.0);
  for (size_t k = 0; k < lat.n; ++k) mid[k + 1] = mid[k] + tag[k * kNumTags + kM];
  for (Edge& e : lat.edges) {
    if (e.source == EdgeSource::User) continue;
    size_t len = e.end - e.start;
    double s = len == 1 ? tag[e.start * kNumTags + kS]
                        : tag[e.start * kNumTags + kB] + (mid[e.end - 1] - mid[e.start + 1]) +
                              tag[(e.end - 1) * kNumTags + kE];
    int idx[2];
    int m = word_feature_indices(e.source, len, e.source == EdgeSource::Dict ? counts[e.word_id] : 0,
                                 idx);
    for (int i = 0; i < m; ++i) s += word_w[idx[i]];
    uint64_t keys[kNumEdgeKeys];
    edge_feature_keys(cps + e.start, cls + e.start, len, keys);
    for (uint64_t k : keys) {
      uint32_t at = edge_index->find(k);
      if (at != FlatMap::kMissing) s += edge_w[at];
    }
    e.score = static_cast<float>(s);
  }
}

PerceptronScorer::PerceptronScorer(FlatMap features, std::vector<float> char_w,
                                   std::vector<float> word_w, std::vector<uint32_t> counts,
                                   FlatMap edge_features, std::vector<float> edge_w,
                                   const DictTrie& dict)
    : features_(std::move(features)), char_w_(std::move(char_w)), word_w_(std::move(word_w)),
      counts_(std::move(counts)), edge_features_(std::move(edge_features)),
      edge_w_(std::move(edge_w)), dict_(dict) {}

std::unique_ptr<Scorer> PerceptronScorer::load(ByteReader& r, const DictTrie& dict) {
  auto char_w = r.get_vec<float>();
  if (char_w.size() % kNumTags) r.fail("character weights are not a whole number of rows");
  auto word_w = r.get_vec<float>();
  if (word_w.size() != kNumWordFeatures) r.fail("wrong number of word-feature weights");
  auto counts = r.get_vec<uint32_t>();
  if (counts.size() != dict.num_words()) r.fail("word counts disagree with the dictionary");
  FlatMap features = FlatMap::load(r, static_cast<uint32_t>(char_w.size() / kNumTags));
  auto edge_w = r.get_vec<float>();
  FlatMap edge_features = FlatMap::load(r, static_cast<uint32_t>(edge_w.size()));
  for (const auto* v : {&char_w, &word_w, &edge_w})
    for (float w : *v)
      if (!std::isfinite(w)) r.fail("non-finite weight");
  return std::make_unique<PerceptronScorer>(std::move(features), std::move(char_w),
                                            std::move(word_w), std::move(counts),
                                            std::move(edge_features), std::move(edge_w), dict);
}

void PerceptronScorer::save(ByteWriter& w) const {
  w.put_vec(char_w_);
  w.put_vec(word_w_);
  w.put_vec(counts_);
  features_.save(w);
  w.put_vec(edge_w_);
  edge_features_.save(w);
}

void PerceptronScorer::score(const char32_t* cps, const CharClass* cls, Lattice& lat) const {
  std::vector<uint64_t> keys;
  char_feature_keys(cps, cls, lat.n, dict_, [](int32_t) { return true; }, keys);
  std::vector<uint32_t> rows(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) rows[i] = features_.find(keys[i]);
  std::vector<float> tag;
  LinearWeights lw{char_w_.data(), word_w_.data(), counts_.data(), &edge_features_, edge_w_.data()};
  lw.tag_scores(rows.data(), lat.n, tag);
  lw.score_edges(cps, cls, tag, lat);
}

}  // namespace zhtok::segment
