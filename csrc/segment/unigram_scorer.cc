#include "segment/unigram_scorer.h"

#include <cmath>
#include <memory>

#include "common/error.h"

namespace zhtok::segment {

UnigramScorer::UnigramScorer(const std::vector<uint64_t>& counts) : counts_(counts) {
  double total = 0;
  for (uint64_t c : counts_) total += static_cast<double>(c);
  log_total_ = std::log(std::max(total, 1.0));
  logp_.resize(counts_.size());
  for (size_t i = 0; i < counts_.size(); ++i)
    logp_[i] = static_cast<float>(std::log(std::max<double>(counts_[i], 1)) - log_total_);
  unseen_ = static_cast<float>(-log_total_);
}

std::unique_ptr<Scorer> UnigramScorer::load(ByteReader& r, size_t num_words) {
  auto counts = r.get_vec<uint64_t>();
  if (counts.size() != num_words)
    r.fail("unigram model has " + std::to_string(counts.size()) + " counts for " +
           std::to_string(num_words) + " dictionary words");
  return std::make_unique<UnigramScorer>(counts);
}

void UnigramScorer::score(const char32_t*, const CharClass*, Lattice& lat) const {
  for (Edge& e : lat.edges) {
    if (e.source == EdgeSource::Dict) e.score = logp_[e.word_id];
    else if (e.source == EdgeSource::Free) e.score = unseen_;
    else if (e.user_freq >= 0)
      e.score = static_cast<float>(std::log(std::max(e.user_freq, 1.0f)) - log_total_);
  }
}

void UnigramScorer::save(ByteWriter& w) const { w.put_vec(counts_); }

std::unique_ptr<Scorer> UnigramScorer::with_new_word_bias(float) const {
  throw_input("a dictionary (unigram or fast) model proposes no new words of 2+ characters: "
              "it has no new-word bias to change");
}

std::unique_ptr<Scorer> UnigramScorer::with_more_words(const std::vector<uint64_t>& counts) const {
  std::vector<uint64_t> all = counts_;
  all.insert(all.end(), counts.begin(), counts.end());
  return std::make_unique<UnigramScorer>(all);
}

}  // namespace zhtok::segment
