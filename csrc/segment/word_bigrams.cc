#include "segment/word_bigrams.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace zhtok::segment {
namespace {
uint32_t row_of(int32_t id) { return id == WordBigrams::kBoundary ? 0 : uint32_t(id) + 1; }
}  // namespace

WordBigrams WordBigrams::build(const std::vector<std::vector<int32_t>>& sentences,
                               size_t num_words, float weight) {
  WordBigrams b;
  b.weight_ = weight;
  b.seen_.assign(num_words + 1, 0);
  b.followers_.assign(num_words + 1, 0);
  auto add = [&](uint32_t prev, uint32_t word) {
    bool inserted = false;
    ++b.counts_.insert(key(prev, word), 0, &inserted);
    ++b.seen_[prev];
    b.followers_[prev] += inserted;
  };
  for (const auto& s : sentences) {
    if (s.empty()) continue;
    uint32_t prev = 0;
    for (int32_t id : s) add(prev, row_of(id)), prev = row_of(id);
    add(prev, 0);
  }
  for (uint32_t c : b.seen_) b.total_ += c;
  return b;
}

double WordBigrams::unigram(int32_t word, size_t word_len) const {
  // Add-half smoothing; a word outside the dictionary is as likely as an unseen dictionary
  // word, a tenth of that for each rune past the first (long unknown words are rarer).
  static constexpr double kLongerUnknown[8] = {1, 1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6};
  double count = word == kUnknown ? 0.0 : double(seen_[row_of(word)]);
  double p = (count + 0.5) / (total_ + 0.5 * double(seen_.size()));
  if (word == kUnknown) p *= kLongerUnknown[std::min<size_t>(word_len, 7)];
  return p;
}

double WordBigrams::log_prob(int32_t prev, int32_t word, size_t word_len) const {
  double pu = unigram(word, word_len);
  if (prev == kUnknown) return std::log(pu);
  uint32_t r = row_of(prev);
  double history = seen_[r], followers = followers_[r];
  if (history == 0) return std::log(pu);
  const uint32_t* count = word == kUnknown ? nullptr : counts_.find(key(r, row_of(word)));
  return std::log(((count ? *count : 0) + followers * pu) / (history + followers));
}

WordBigrams WordBigrams::with_num_words(size_t num_words) const {
  WordBigrams b = *this;
  if (!b.empty() && num_words + 1 > b.seen_.size()) {
    b.seen_.resize(num_words + 1, 0);
    b.followers_.resize(num_words + 1, 0);
  }
  return b;
}

void WordBigrams::save(ByteWriter& w) const {
  w.put<float>(weight_);
  w.put_vec(seen_);
  w.put_vec(followers_);
  if (!empty()) counts_.save(w);
}

WordBigrams WordBigrams::load(ByteReader& r, size_t num_words) {
  WordBigrams b;
  b.weight_ = r.get<float>();
  b.seen_ = r.get_vec<uint32_t>();
  b.followers_ = r.get_vec<uint32_t>();
  if (b.seen_.empty() && b.followers_.empty()) return b;  // a model without bigrams
  if (!std::isfinite(b.weight_) || b.weight_ < 0) r.fail("word bigrams: bad weight");
  if (b.seen_.size() != num_words + 1 || b.followers_.size() != b.seen_.size())
    r.fail("word bigrams: tables do not match the dictionary");
  for (size_t i = 0; i < b.seen_.size(); ++i)
    if (b.followers_[i] > b.seen_[i]) r.fail("word bigrams: more followers than occurrences");
  b.counts_ = FingerprintTable<uint32_t>::load(r, [](uint32_t) {}, "word bigram table");
  for (uint32_t c : b.seen_) b.total_ += c;
  if (b.seen_[0] == 0) r.fail("word bigrams: no sentence starts");
  return b;
}

}  // namespace zhtok::segment
