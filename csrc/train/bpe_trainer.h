// Trains byte-level BPE merges: pre-tokens are counted once (in parallel, memory bounded by the
// number of distinct pre-tokens), then merges are learned with incremental pair counts, so each
// merge costs in proportion to the words it touches, not to the corpus.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bpe/bpe_model.h"
#include "bpe/pretokenizer.h"
#include "common/string_counter.h"

namespace zhtok::train {

struct BpeTrainOptions {
  size_t num_merges = 0;
  uint64_t min_frequency = 2;  // stop when the best pair is rarer
  std::function<void(size_t done)> progress;  // called every few hundred merges
};

// Counts pre-tokens. Design note: segmenting is the slow part of the segment pre-tokenizer,
// and a regex piece of Chinese is cut the same way wherever it occurs, so add() only counts
// regex pieces and finish() segments each distinct Chinese piece once, weighted by its count.
class PretokenCounter {
 public:
  explicit PretokenCounter(std::shared_ptr<const bpe::Pretokenizer> pre) : pre_(std::move(pre)) {}
  // Counts the regex pieces of texts on `threads` threads, then merges the counts. Text must
  // be UTF-8 (or WTF-8 from Python str).
  void add(const std::vector<std::string>& texts, size_t threads);
  // Cuts the pieces that hold Chinese into words (segment pre-tokenizer), on threads.
  void finish(size_t threads);
  // Learns merges from the counts; std::invalid_argument if finish() has not been called.
  std::vector<bpe::Merge> train(const BpeTrainOptions& options) const;
  uint64_t total() const;
  size_t distinct() const;  // pre-tokens, counting each piece still to segment as one
  size_t pending() const;  // pieces still to segment
  // Counting spread over processes or machines: each counter's state (pieces still to segment
  // included, so call before finish()) as framed bytes, and merge() to add such a state into
  // this counter. Counts are sums, so merging the shards' states and then finish() gives the
  // counts of one counter over all the text. A corrupted or foreign state is a Format error
  // naming `name`, and leaves this counter unchanged.
  std::vector<char> serialize() const;
  void merge(const char* data, size_t size, const std::string& name);

 private:
  struct Local {
    StringCounter plain, han;
  };
  std::shared_ptr<const bpe::Pretokenizer> pre_;
  mutable std::mutex mutex_;  // one counter may be fed from several Python threads
  StringCounter counts_, han_pieces_;
  std::vector<Local> locals_;  // per-thread counts of the batch being added, kept for reuse
  uint64_t total_ = 0;  // regex pieces until finish(), then pre-tokens
};

std::vector<bpe::Merge> train_bpe(const StringCounter& counts, const BpeTrainOptions& options);

}  // namespace zhtok::train
