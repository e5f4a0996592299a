// Scores the edges of a lattice. One implementation per kind of segmentation model; the lattice
// search never depends on which one is used.
#pragma once

#include <cstdint>
#include <memory>

#include "common/binary_io.h"
#include "common/char_class.h"
#include "segment/lattice.h"

namespace zhtok::segment {

enum class ScorerKind : uint32_t { Unigram = 1, Perceptron = 2 };

// A user word without a frequency beats the best split of its own span by this margin.
constexpr float kUserWordMargin = 1.0f;

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual ScorerKind kind() const = 0;
  // How many units a Free edge may span (1 = single units only).
  virtual int max_free_units() const = 0;
  // Fills Edge::score of every Dict and Free edge of lat, which covers cps[0..lat.n), and of
  // every User edge with a frequency (each model says what a frequency means to it).
  virtual void score(const char32_t* cps, const CharClass* cls, Lattice& lat) const = 0;
  virtual void save(ByteWriter& w) const = 0;
  // The same scorer for a dictionary grown by words appended after the current ones, with
  // their corpus counts (see SegModel::with_words).
  virtual std::unique_ptr<Scorer> with_more_words(const std::vector<uint64_t>& counts) const = 0;
  // The dictionary model (UnigramScorer) over the same words and corpus counts: no character
  // features, so it scores a lattice in a fraction of the time, for fewer correct words.
  virtual std::unique_ptr<Scorer> frequency_scorer() const = 0;
  // The same scorer with delta added to the score of every out-of-dictionary word of 2+ units
  // (the new-word bias the trainer sets); throws InputError for a model that proposes none.
  virtual std::unique_ptr<Scorer> with_new_word_bias(float delta) const = 0;

  // Scores everything: the model's edges, then user words without a frequency, which beat the
  // best split of their own span by kUserWordMargin.
  void score_all(const char32_t* cps, const CharClass* cls, Lattice& lat) const;
};

}  // namespace zhtok::segment
