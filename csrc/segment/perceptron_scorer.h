// The discriminative model: a linear model over character features (tag scores of each rune)
// and word features (each lattice edge), trained as an averaged structured perceptron by
// train/seg_trainer. An edge's score is the sum of its runes' tag scores plus its word
// features, so the model decodes on the same lattice as the dictionary model and user
// dictionaries, n-best and ambiguities keep working.
#pragma once

#include <cmath>
#include <vector>

#include "common/flat_map.h"
#include "segment/features.h"
#include "segment/scorer.h"

namespace zhtok::segment {

// Scoring with a set of weights: used by the scorer on its final weights and by the trainer on
// its current ones.
struct LinearWeights {
  const float* char_w;        // [row][kNumTags]
  const float* word_w;        // [kNumWordFeatures]
  const uint32_t* counts;     // corpus count by dictionary word id
  const FlatMap* edge_index;  // hashed word feature key -> index into edge_w
  const float* edge_w;

  // tag[k * kNumTags + t] = score of tag t at rune k, from feature rows (kMissing = unknown).
  void tag_scores(const uint32_t* rows, size_t n, std::vector<float>& tag) const;
  // Fills the score of every Dict and Free edge of lat over cps from tag scores.
  void score_edges(const char32_t* cps, const CharClass* cls, const std::vector<float>& tag,
                   Lattice& lat) const;
};

class PerceptronScorer : public Scorer {
 public:
  PerceptronScorer(FlatMap features, std::vector<float> char_w, std::vector<float> word_w,
                   std::vector<uint32_t> counts, FlatMap edge_features, std::vector<float> edge_w,
                   const DictTrie& dict);
  static std::unique_ptr<Scorer> load(ByteReader& r, const DictTrie& dict);

  ScorerKind kind() const override { return ScorerKind::Perceptron; }
  int max_free_units() const override { return kMaxFreeUnits; }
  void score(const char32_t* cps, const CharClass* cls, Lattice& lat) const override;
  float user_freq_score(float) const override { return NAN; }
  void save(ByteWriter& w) const override;
  size_t num_features() const { return features_.size(); }

 private:
  FlatMap features_;               // feature key -> row
  std::vector<float> char_w_, word_w_;
  std::vector<uint32_t> counts_;
  FlatMap edge_features_;          // hashed word feature key -> index into edge_w_
  std::vector<float> edge_w_;
  const DictTrie& dict_;           // owned by the SegModel that owns this scorer
};

}  // namespace zhtok::segment
