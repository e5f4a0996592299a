// A segmentation model: the dictionary plus the scorer that goes with it, immutable once loaded
// and shared between Segmenters and threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/normalizer.h"
#include "segment/dict_trie.h"
#include "segment/scorer.h"
#include "segment/word_bigrams.h"

namespace zhtok::segment {

// The largest new-word bias, in either direction, a model is given (far beyond any useful one;
// keeps every weight inside the range a model file may hold).
constexpr float kMaxNewWordBias = 1e4f;
// Throws InputError unless bias is a finite number within kMaxNewWordBias of 0: the one check
// for the trainer's bias and for SegModel::with_new_word_bias's delta.
void check_new_word_bias(float bias);

class SegModel {
 public:
  SegModel(DictTrie dict, std::unique_ptr<Scorer> scorer, std::string info,
           normalize::Normalizer normalizer, WordBigrams bigrams = {})
      : dict_(std::move(dict)), scorer_(std::move(scorer)), info_(std::move(info)),
        normalizer_(normalizer), bigrams_(std::move(bigrams)) {}

  // Throws Io or Format errors naming path for a missing, wrong, truncated or corrupted file.
  static std::shared_ptr<const SegModel> load(const std::string& path);
  // The same from the bytes of a model file (one embedded in a tokenizer); errors name name.
  static std::shared_ptr<const SegModel> load_bytes(std::string_view bytes, const std::string& name);
  void save(const std::string& path) const;
  std::vector<char> to_bytes() const;  // what save() writes

  // This model with words added to its dictionary, each seen counts[i] times in a corpus the
  // size of the training corpus (words already present are left as they are). How a model
  // learns words from raw text: segment it, count the words, add the frequent new ones.
  std::shared_ptr<const SegModel> with_words(const std::vector<std::u32string>& words,
                                             const std::vector<uint64_t>& counts,
                                             const std::string& info) const;

  // This model's dictionary and word bigrams scored by word frequency alone (see
  // Scorer::frequency_scorer): segments several times faster, agreeing on most words.
  std::shared_ptr<const SegModel> by_frequency() const;

  // This model with delta added to its new-word bias (see train::SegTrainOptions): more (delta
  // > 0) or fewer out-of-dictionary words proposed, without retraining. InputError for a model
  // that proposes none, or a delta that is not a finite number in [-10000, 10000].
  std::shared_ptr<const SegModel> with_new_word_bias(float delta) const;

  const DictTrie& dict() const { return dict_; }
  const Scorer& scorer() const { return *scorer_; }
  // Word bigrams of the training text, for crossing readings (empty: the scorer alone decides).
  const WordBigrams& bigrams() const { return bigrams_; }
  // Free-form description stored in the file: how the model was trained.
  const std::string& info() const { return info_; }
  // Applied to text before dictionary lookups and features (the words were normalized too).
  normalize::Normalizer normalizer() const { return normalizer_; }

 private:
  DictTrie dict_;
  std::unique_ptr<Scorer> scorer_;
  std::string info_;
  normalize::Normalizer normalizer_;
  WordBigrams bigrams_;
};

}  // namespace zhtok::segment
