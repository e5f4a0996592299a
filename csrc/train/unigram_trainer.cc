#include "train/unigram_trainer.h"

#include <algorithm>
#include <unordered_map>

#include "common/error.h"
#include "segment/seg_model.h"
#include "segment/unigram_scorer.h"

namespace zhtok::train {

constexpr normalize::Normalizer kNormalizer = normalize::Normalizer::Width;

io::CorpusStats train_unigram(const std::vector<std::string>& paths, const std::string& output,
                              io::OnBadLine on_bad) {
  if (paths.empty()) throw_input("no training files given");
  io::CorpusStats stats;
  std::unordered_map<std::u32string, uint64_t> counts;
  for (const std::string& path : paths)
    io::read_segmented(path, on_bad, stats, [&](const std::vector<std::u32string>& words) {
      for (const auto& w : words) ++counts[normalize::normalized(kNormalizer, w)];
    });
  if (counts.empty()) throw_input("the training files hold no words");
  std::vector<std::pair<std::u32string, uint64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());  // deterministic ids
  std::vector<std::u32string> words;
  std::vector<uint64_t> freq;
  for (auto& [w, c] : sorted) words.push_back(w), freq.push_back(c);
  std::string info = "unigram model: " + std::to_string(stats.sentences) + " sentences, " +
                     std::to_string(stats.words) + " words, " + std::to_string(words.size()) +
                     " distinct";
  segment::SegModel model(segment::DictTrie::build(words),
                          std::make_unique<segment::UnigramScorer>(freq), info,
                          kNormalizer);
  model.save(output);
  return stats;
}

}  // namespace zhtok::train
