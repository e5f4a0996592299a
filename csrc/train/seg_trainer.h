// Trains the discriminative segmentation model (segment/perceptron_scorer.h) as an averaged
// structured perceptron: decode each training sentence on the word lattice with the current
// weights and, where the best path differs from the gold words, move the weights toward gold.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/segmented_corpus.h"

namespace zhtok::train {

struct EpochReport {
  int epoch = 0;
  double seconds = 0;
  double train_sentence_accuracy = 0;   // share of sentences decoded exactly right
  double dev_precision = -1, dev_recall = -1, dev_f1 = -1;  // -1 without dev data
};

struct SegTrainOptions {
  int epochs = 8;  // where F1 on a held-out tenth of pku/train.txt stops rising
  // The dictionary features of a sentence use only words seen in the other folds, so the model
  // learns how much to trust the dictionary on words it has not seen (jackknifing).
  int folds = 20;
  uint32_t min_feature_count = 2;  // features seen fewer times are dropped (smaller model)
  // Where dictionary words cross, readings are chosen by the model's score plus this many times
  // their log-probability under the training text's word bigrams (0: no bigrams in the model).
  float bigram_weight = 10.f;
  // Added to the score of every out-of-dictionary word of 2+ characters. The perceptron learns
  // how often new words occur from its jackknife folds, which see fewer than text from another
  // time or domain holds. On a held-out tenth of pku/train.txt, F1 96.60% at 0, 96.56% at 10,
  // 96.47% at 20, while out-of-vocabulary recall rises 66.4% -> 68.8% -> 71.4%: 10 is the
  // largest bias that costs less than 0.05 point of F1 there.
  float new_word_bias = 10.f;
  std::vector<std::string> dev_paths;
  io::OnBadLine on_bad = io::OnBadLine::Skip;
  std::function<void(const EpochReport&)> on_epoch;  // called after each epoch
};

struct SegTrainReport {
  io::CorpusStats stats;
  io::CorpusStats dev_stats;
  size_t dictionary_words = 0, features = 0;
  std::vector<EpochReport> epochs;
};

SegTrainReport train_perceptron(const std::vector<std::string>& paths, const std::string& output,
                                const SegTrainOptions& options);

}  // namespace zhtok::train
