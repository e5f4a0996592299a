// The discriminative model: a linear model over character features (tag scores of each rune)
// and edge features (each candidate word), trained as an averaged structured perceptron by
// train/seg_trainer. An edge's score is the sum of its runes' tag scores plus its edge
// features, so the model decodes on the same lattice as the dictionary model and user
// dictionaries, n-best and ambiguities keep working.
#pragma once

#include <cmath>
#include <vector>

#include "common/fingerprint_table.h"
#include "segment/features.h"
#include "segment/scorer.h"

namespace zhtok::segment {

// Scoring with a set of weights: the scorer uses its final weights, the trainer its current
// ones, through the same code.
struct LinearWeights {
  const float* char_w;     // [row][kNumTags]
  const float* edge_w;     // by FeatureLayout edge index
  const uint32_t* counts;  // corpus count by dictionary word id
  FeatureLayout layout;

  // tag[k * kNumTags + t] = score of tag t at rune k, from the first `features` feature rows of
  // each rune (kNoRow = none).
  void tag_scores(const uint32_t* rows, size_t n, std::vector<float>& tag,
                  int features = kNumCharFeatures) const;
  // Fills the score of every Dict and Free edge of lat, and of User edges with a frequency,
  // which score as dictionary words seen that often; ids are the runes' CharIndex ids. mid is
  // the caller's buffer, kept between calls.
  void score_edges(const uint32_t* ids, const std::vector<float>& tag, Lattice& lat,
                   std::vector<double>& mid) const;
};

// A hashed feature's weights, stored in its table slot as 8-bit steps of a model-wide scale
// (kPackedMax steps = the largest weight): a pair's slot is 20 bytes instead of 36, so the
// tables take a third of the cache they did with 16-bit steps and segmentation is faster, for
// 0.01 point of PKU F1.
using PackedWeight = int8_t;
constexpr float kPackedMax = 127.f;
struct PackedWeights {
  PackedWeight w[kNumTags];
};

// The packed weights of a character pair (triple) at each offset it is read at; all zero for an
// offset whose feature never moved in training.
template <int Roles>
struct RoleWeights {
  PackedWeight w[Roles][kNumTags];
};
using PairWeights = RoleWeights<kPairRoles>;
using TripleWeights = RoleWeights<kTripleRoles>;

// The hashed weights of a model, grouped as the scorer reads them (see features.h).
struct HashedWeights {
  FingerprintTable<PairWeights> pairs;
  FingerprintTable<TripleWeights> triples;
  FingerprintTable<PackedWeights> singles;  // the skip pair and the dictionary pattern
  // Adds the packed weights of hashed feature key (a key of char_features).
  void add(uint64_t key, const PackedWeights& p);
};

class PerceptronScorer : public Scorer {
 public:
  // char_w holds the dense rows only; hashed weights are packed in hashed, scaled by scale.
  PerceptronScorer(CharIndex index, HashedWeights hashed, float scale,
                   std::vector<float> char_w, std::vector<float> edge_w,
                   std::vector<uint32_t> counts);
  static std::unique_ptr<Scorer> load(ByteReader& r, size_t num_words);

  ScorerKind kind() const override { return ScorerKind::Perceptron; }
  int max_free_units() const override { return kMaxFreeUnits; }
  void score(const char32_t* cps, const CharClass* cls, Lattice& lat) const override;
  void save(ByteWriter& w) const override;
  std::unique_ptr<Scorer> with_more_words(const std::vector<uint64_t>& counts) const override;
  std::unique_ptr<Scorer> frequency_scorer() const override;
  std::unique_ptr<Scorer> with_new_word_bias(float delta) const override;

 private:
  CharIndex index_;
  FeatureLayout layout_;
  HashedWeights hashed_;
  float scale_;
  std::vector<float> char_w_, edge_w_;
  std::vector<uint32_t> counts_;
};

}  // namespace zhtok::segment
