#include "segment/seg_model.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "common/error.h"
#include "segment/perceptron_scorer.h"
#include "segment/unigram_scorer.h"

namespace zhtok::segment {
namespace {
constexpr char kMagic[8] = {'Z', 'H', 'T', 'O', 'K', 'S', 'E', 'G'};
// 2: hashed features grouped by character pair and triple; 3: their weights in 8 bits, their
// slots and fingerprints from one hash; 4: word bigrams after the scorer.
constexpr uint32_t kVersion = 4;
}  // namespace

std::shared_ptr<const SegModel> SegModel::load(const std::string& path) {
  std::vector<char> data = read_file(path);
  return load_bytes(std::string_view(data.data(), data.size()), path);
}

std::shared_ptr<const SegModel> SegModel::load_bytes(std::string_view bytes, const std::string& path) {
  ModelFile mf = unframe_model(bytes.data(), bytes.size(), path, kMagic, kVersion);
  ByteReader r(mf.payload, mf.payload_size, path, kModelHeaderSize);
  auto kind = static_cast<ScorerKind>(r.get<uint32_t>());
  std::string info = r.get_str();
  auto normalizer = static_cast<normalize::Normalizer>(r.get<uint32_t>());
  if (normalizer != normalize::Normalizer::None && normalizer != normalize::Normalizer::Width)
    r.fail("unknown normalizer " + std::to_string(static_cast<uint32_t>(normalizer)));
  DictTrie dict = DictTrie::load(r);
  std::unique_ptr<Scorer> scorer;
  switch (kind) {
    case ScorerKind::Unigram: scorer = UnigramScorer::load(r, dict.num_words()); break;
    case ScorerKind::Perceptron:
      // The tables of older versions hold fingerprints of another hash and no keys: they
      // cannot be rebuilt, only retrained.
      if (mf.version < 3)
        r.fail("a perceptron model of format version " + std::to_string(mf.version) +
               " (made by an older zhtok): retrain it with zhtok train-seg");
      scorer = PerceptronScorer::load(r, dict.num_words());
      break;
    default: r.fail("unknown scorer kind " + std::to_string(static_cast<uint32_t>(kind)));
  }
  WordBigrams bigrams;
  if (mf.version >= 4) bigrams = WordBigrams::load(r, dict.num_words());
  if (!r.at_end()) r.fail("unexpected bytes after the model");
  return std::make_shared<SegModel>(std::move(dict), std::move(scorer), std::move(info),
                                    normalizer, std::move(bigrams));
}

std::shared_ptr<const SegModel> SegModel::with_words(const std::vector<std::u32string>& words,
                                                    const std::vector<uint64_t>& counts,
                                                    const std::string& info) const {
  if (words.size() != counts.size()) throw std::invalid_argument("one count per word is needed");
  std::vector<std::u32string> all = dict_.words();
  std::vector<uint64_t> added;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].empty()) throw std::invalid_argument("an empty word cannot be added");
    if (dict_.find(words[i]) >= 0) continue;
    all.push_back(words[i]);
    added.push_back(counts[i]);
  }
  // The dictionary's own words are unique, so a word build() finds twice was listed twice here.
  return std::make_shared<SegModel>(DictTrie::build(all), scorer_->with_more_words(added), info,
                                    normalizer_, bigrams_.with_num_words(all.size()));
}

std::shared_ptr<const SegModel> SegModel::by_frequency() const {
  return std::make_shared<SegModel>(dict_, scorer_->frequency_scorer(), info_ + "\n(scored by word frequency alone)",
                                    normalizer_, bigrams_);
}

void check_new_word_bias(float bias) {
  if (!std::isfinite(bias) || std::fabs(bias) > kMaxNewWordBias)
    throw_input("the new-word bias must be a number between -10000 and 10000");
}

std::shared_ptr<const SegModel> SegModel::with_new_word_bias(float delta) const {
  check_new_word_bias(delta);
  char text[32];
  std::snprintf(text, sizeof text, "%+g", delta);
  return std::make_shared<SegModel>(dict_, scorer_->with_new_word_bias(delta),
                                    info_ + "\n(new-word bias " + text + ")", normalizer_, bigrams_);
}

void SegModel::save(const std::string& path) const { write_file_atomic(path, to_bytes()); }

std::vector<char> SegModel::to_bytes() const {
  ByteWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(scorer_->kind()));
  w.put_str(info_);
  w.put<uint32_t>(static_cast<uint32_t>(normalizer_));
  dict_.save(w);
  scorer_->save(w);
  bigrams_.save(w);
  return frame_model(kMagic, kVersion, w.bytes());
}

}  // namespace zhtok::segment
