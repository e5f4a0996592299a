// The dictionary model: a word scores its log relative frequency in the training corpus, as in
// jieba's DAG search; anything outside the dictionary scores as a word seen once, and a user
// word with a frequency as a word seen that often.
#pragma once

#include <memory>
#include <vector>

#include "segment/scorer.h"

namespace zhtok::segment {

class UnigramScorer : public Scorer {
 public:
  // counts[word_id] = occurrences of the word in the training corpus.
  explicit UnigramScorer(const std::vector<uint64_t>& counts);
  static std::unique_ptr<Scorer> load(ByteReader& r, size_t num_words);

  ScorerKind kind() const override { return ScorerKind::Unigram; }
  int max_free_units() const override { return 1; }
  void score(const char32_t* cps, const CharClass* cls, Lattice& lat) const override;
  void save(ByteWriter& w) const override;
  std::unique_ptr<Scorer> with_more_words(const std::vector<uint64_t>& counts) const override;
  std::unique_ptr<Scorer> with_new_word_bias(float delta) const override;
  std::unique_ptr<Scorer> frequency_scorer() const override {
    return std::make_unique<UnigramScorer>(*this);
  }

 private:
  std::vector<uint64_t> counts_;
  std::vector<float> logp_;  // by word id
  double log_total_ = 0;
  float unseen_ = 0;         // score of a word seen once
};

}  // namespace zhtok::segment
