#include "segment/perceptron_scorer.h"

#include "common/scratch.h"

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
                                Lattice& lat) const {
  // Prefix sums of the M scores make any edge O(1): B + M...M + E.
  thread_local std::vector<double> mid;
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
  release_if_large(mid);
}

PerceptronScorer::PerceptronScorer(CharIndex index, FingerprintTable<PackedWeights> hashed,
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
  if (!std::isfinite(scale) || scale < 0 || scale * 32767.f > kMaxWeight) r.fail("invalid weight scale");
  auto edge_w = r.get_vec<float>();
  if (edge_w.size() != layout.edge_size()) r.fail("edge weights do not match the character index");
  auto counts = r.get_vec<uint32_t>();
  if (counts.size() != num_words) r.fail("word counts disagree with the dictionary");
  auto hashed = FingerprintTable<PackedWeights>::load(r, [](const PackedWeights&) {});
  for (const auto* v : {&char_w, &edge_w})
    for (float w : *v)
      if (!(std::fabs(w) <= kMaxWeight)) r.fail("weight out of range (or not a number)");
  return std::make_unique<PerceptronScorer>(std::move(index), std::move(hashed), scale,
                                            std::move(char_w), std::move(edge_w),
                                            std::move(counts));
}

void PerceptronScorer::save(ByteWriter& w) const {
  index_.save(w);
  w.put_vec(char_w_);
  w.put<float>(scale_);
  w.put_vec(edge_w_);
  w.put_vec(counts_);
  hashed_.save(w);
}

void PerceptronScorer::score(const char32_t* cps, const CharClass* cls, Lattice& lat) const {
  // Per-thread buffers, reused across calls (see Segmenter::segment).
  thread_local std::vector<uint32_t> ids, rows;
  thread_local std::vector<uint64_t> keys;
  thread_local std::vector<float> tag;
  thread_local std::vector<const PackedWeights*> found;
  char_features(cps, cls, lat, index_, layout_, ids, rows, keys);
  LinearWeights lw{char_w_.data(), edge_w_.data(), counts_.data(), layout_};
  lw.tag_scores(rows.data(), lat.n, tag, kNumDenseFeatures);  // the hashed ones come from keys
  found.resize(keys.size());
  hashed_.find_many(keys.data(), keys.size(), found.data());
  for (size_t k = 0; k < lat.n; ++k) {
    int32_t sum[kNumTags] = {0, 0, 0, 0};
    for (int j = 0; j < kNumHashedFeatures; ++j)
      if (const PackedWeights* p = found[k * kNumHashedFeatures + j])
        for (int t = 0; t < kNumTags; ++t) sum[t] += p->w[t];
    for (int t = 0; t < kNumTags; ++t) tag[k * kNumTags + t] += scale_ * static_cast<float>(sum[t]);
  }
  lw.score_edges(ids.data(), tag, lat);
  release_if_large(ids, rows, keys, tag, found);
}

}  // namespace zhtok::segment
