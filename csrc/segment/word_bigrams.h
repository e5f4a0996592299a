// Word bigram statistics of the training text, used to choose between readings whose
// dictionary words cross (中国/有 against 中/国有 in 企业中国有企业). The perceptron scores each
// word from its own characters and their neighbours, so it cannot see that 国有 goes with the
// 企业 after it; a bigram over whole words can. Witten-Bell smoothed, over dictionary ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/binary_io.h"
#include "common/fingerprint_table.h"

namespace zhtok::segment {

class WordBigrams {
 public:
  static constexpr int32_t kBoundary = -2;  // the start (as prev) or end (as word) of a sentence
  static constexpr int32_t kUnknown = -1;   // a word outside the dictionary

  WordBigrams() = default;
  // sentences: word ids (< num_words) of each training sentence. weight: how many units of the
  // segmentation model's score one nat of bigram log-probability is worth.
  static WordBigrams build(const std::vector<std::vector<int32_t>>& sentences, size_t num_words,
                           float weight);

  bool empty() const { return seen_.empty(); }
  float weight() const { return weight_; }
  // log P(word | prev). prev: a dictionary id, kBoundary or kUnknown; word: a dictionary id,
  // kBoundary, or kUnknown for a word of word_len runes outside the dictionary.
  double log_prob(int32_t prev, int32_t word, size_t word_len) const;

  // The same statistics for a dictionary grown by words appended after the current ones.
  WordBigrams with_num_words(size_t num_words) const;

  void save(ByteWriter& w) const;
  static WordBigrams load(ByteReader& r, size_t num_words);

 private:
  // Words by row r = id + 1 (row 0: the sentence boundary). counts_: (r(prev) << 32 | r(word))
  // -> times seen, in a hash table (one cache line per lookup: the rows of 的 or ， hold
  // thousands of words). seen_[r]: times word r was seen (as prev), followers_[r]: how many
  // distinct words followed it.
  FingerprintTable<uint32_t> counts_;
  std::vector<uint32_t> seen_, followers_;
  float weight_ = 0;
  double total_ = 0;  // derived: the sum of seen_
  static uint64_t key(uint32_t prev_row, uint32_t word_row) { return uint64_t(prev_row) << 32 | word_row; }
  double unigram(int32_t word, size_t word_len) const;
};

}  // namespace zhtok::segment
