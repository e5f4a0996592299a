#include "train/seg_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "common/error.h"
#include "common/flat_map.h"
#include "segment/perceptron_scorer.h"
#include "segment/segmenter.h"

namespace zhtok::train {

using namespace zhtok::segment;

namespace {

constexpr normalize::Normalizer kNormalizer = normalize::Normalizer::Width;

// Sentences as one flat array of runes with the gold word starts marked.
struct Corpus {
  std::vector<char32_t> cps;
  std::vector<CharClass> cls;
  std::vector<uint8_t> word_start;   // 1 where a gold word starts
  std::vector<size_t> begin{0};      // sentence s = [begin[s], begin[s + 1])
  size_t size() const { return begin.size() - 1; }

  void add(const std::vector<std::u32string>& words) {
    for (const auto& w : words)
      for (size_t i = 0; i < w.size(); ++i) {
        char32_t c = normalize::normalize_char(kNormalizer, w[i]);
        cps.push_back(c);
        cls.push_back(classify(c));
        word_start.push_back(i == 0);
      }
    begin.push_back(cps.size());
  }
  std::vector<std::pair<uint32_t, uint32_t>> gold(size_t s) const {
    std::vector<std::pair<uint32_t, uint32_t>> words;
    size_t b = begin[s], e = begin[s + 1];
    for (size_t k = b; k < e; ++k) {
      if (!word_start[k]) continue;
      size_t j = k + 1;
      while (j < e && !word_start[j]) ++j;
      words.emplace_back(uint32_t(k - b), uint32_t(j - b));
    }
    return words;
  }
};

Corpus read_corpus(const std::vector<std::string>& paths, io::OnBadLine on_bad,
                   io::CorpusStats& stats) {
  Corpus c;
  for (const auto& p : paths)
    io::read_segmented(p, on_bad, stats, [&](const std::vector<std::u32string>& w) { c.add(w); });
  return c;
}

struct Weights {
  std::vector<float> w;        // current
  std::vector<double> sum;     // sum over updates of (step * delta), for lazy averaging
  void resize(size_t n) { w.assign(n, 0.f), sum.assign(n, 0.0); }
  void grow(size_t k) { w.resize(w.size() + k, 0.f), sum.resize(sum.size() + k, 0.0); }
  void add(size_t i, float d, double step) { w[i] += d, sum[i] += step * d; }
  // Average over all steps so far: w - sum / step.
  std::vector<float> averaged(double step) const {
    std::vector<float> out(w.size());
    for (size_t i = 0; i < w.size(); ++i) out[i] = static_cast<float>(w[i] - sum[i] / step);
    return out;
  }
};

void ensure_edge(Lattice& lat, uint32_t start, uint32_t end) {
  for (const Edge* e = lat.begin_at(start); e != lat.end_at(start); ++e)
    if (e->end == end) return;
  lat.add_edge({start, end, 0.f, -1, -1.f, EdgeSource::Free});
}

}  // namespace

SegTrainReport train_perceptron(const std::vector<std::string>& paths, const std::string& output,
                                const SegTrainOptions& opt) {
  using Clock = std::chrono::steady_clock;
  if (paths.empty()) throw_input("no training files given");
  if (opt.epochs < 1) throw_input("epochs must be at least 1");
  if (opt.folds < 2) throw_input("folds must be at least 2");
  SegTrainReport report;
  Corpus train = read_corpus(paths, opt.on_bad, report.stats);
  if (train.size() == 0) throw_input("the training files hold no sentences");
  io::CorpusStats dev_stats;
  Corpus dev = read_corpus(opt.dev_paths, opt.on_bad, report.dev_stats);

  // 1. The dictionary: every training word, with counts overall and per fold.
  std::unordered_map<std::u32string, uint32_t> ids;
  std::vector<std::u32string> words;
  for (size_t s = 0; s < train.size(); ++s)
    for (auto [b, e] : train.gold(s)) {
      std::u32string w(train.cps.begin() + train.begin[s] + b, train.cps.begin() + train.begin[s] + e);
      if (ids.emplace(w, uint32_t(words.size())).second) words.push_back(std::move(w));
    }
  // Ids in sorted order so that the model file does not depend on hash order.
  std::vector<uint32_t> order(words.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return words[a] < words[b]; });
  std::vector<std::u32string> sorted_words;
  for (uint32_t i : order) sorted_words.push_back(words[i]);
  DictTrie dict = DictTrie::build(sorted_words);
  report.dictionary_words = sorted_words.size();
  const size_t folds = static_cast<size_t>(opt.folds);
  // Folds are contiguous blocks: neighbouring sentences share an article and its names, which
  // must not count as known words for each other.
  auto fold_of = [&](size_t s) { return s * folds / train.size(); };
  std::vector<uint32_t> counts(sorted_words.size(), 0), fold_counts(sorted_words.size() * folds, 0);
  for (size_t s = 0; s < train.size(); ++s)
    for (auto [b, e] : train.gold(s)) {
      std::u32string w(train.cps.begin() + train.begin[s] + b, train.cps.begin() + train.begin[s] + e);
      int32_t id = dict.find(w);
      ++counts[id];
      ++fold_counts[id * folds + fold_of(s)];
    }
  // Counts as seen from each fold (the word's count outside it), for the word features.
  std::vector<uint32_t> own_fold_counts(folds * counts.size());
  for (size_t f = 0; f < folds; ++f)
    for (size_t id = 0; id < counts.size(); ++id)
      own_fold_counts[f * counts.size() + id] = counts[id] - fold_counts[id * folds + f];
  auto allow_for = [&](size_t s) {
    size_t f = fold_of(s);
    return [&, f](int32_t id) { return counts[id] > fold_counts[id * folds + f]; };
  };

  // 2. Features: count every key, keep the frequent ones, store each rune's rows.
  FlatMap key_index(train.cps.size() * 2);
  std::vector<uint32_t> key_count;
  std::vector<uint32_t> rune_keys(train.cps.size() * kNumCharFeatures);
  std::vector<uint64_t> keys;
  for (size_t s = 0; s < train.size(); ++s) {
    size_t b = train.begin[s], n = train.begin[s + 1] - b;
    char_feature_keys(train.cps.data() + b, train.cls.data() + b, n, dict, allow_for(s), keys);
    for (size_t i = 0; i < keys.size(); ++i) {
      uint32_t idx = key_index.insert(keys[i], uint32_t(key_count.size()));
      if (idx == key_count.size()) key_count.push_back(0);
      ++key_count[idx];
      rune_keys[b * kNumCharFeatures + i] = idx;
    }
  }
  std::vector<uint32_t> row_of(key_count.size(), FlatMap::kMissing);
  uint32_t rows = 0;
  for (size_t i = 0; i < key_count.size(); ++i)
    if (key_count[i] >= opt.min_feature_count) row_of[i] = rows++;
  for (uint32_t& k : rune_keys) k = row_of[k];

  // 3. Epochs of perceptron updates, sentences in a fixed shuffled order.
  Weights cw, ww, ew;
  cw.resize(size_t(rows) * kNumTags);
  ww.resize(kNumWordFeatures);
  FlatMap edge_index;  // hashed word features, added when an update first touches them
  std::vector<uint32_t> visit(train.size());
  std::iota(visit.begin(), visit.end(), 0);
  uint64_t rng = 0x2545F4914F6CDD1DULL;
  for (size_t i = visit.size(); i > 1; --i) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    std::swap(visit[i - 1], visit[rng % i]);
  }
  UserDict no_user;
  Lattice lat;
  PathScratch paths_scratch;
  std::vector<float> tag;
  std::vector<int> gold_tag, pred_tag;
  double step = 1;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto t0 = Clock::now();
    size_t exact = 0;
    for (uint32_t s : visit) {
      size_t b = train.begin[s], n = train.begin[s + 1] - b;
      auto allow = allow_for(s);
      lat.build(train.cps.data() + b, train.cls.data() + b, n, dict, no_user, kMaxFreeUnits);
      for (Edge& e : lat.edges)
        if (e.source == EdgeSource::Dict && !allow(e.word_id)) e.source = EdgeSource::Free, e.word_id = -1;
      auto gold = train.gold(s);
      for (auto [gb, ge] : gold) ensure_edge(lat, gb, ge);
      const char32_t* cps = train.cps.data() + b;
      const CharClass* cls = train.cls.data() + b;
      const uint32_t* fold_count = own_fold_counts.data() + fold_of(s) * counts.size();
      LinearWeights lw{cw.w.data(), ww.w.data(), fold_count, &edge_index, ew.w.data()};
      lw.tag_scores(rune_keys.data() + b * kNumCharFeatures, n, tag);
      lw.score_edges(cps, cls, tag, lat);
      forward_best(lat, paths_scratch);
      std::vector<int32_t> pred = best_path(lat, paths_scratch);
      // Update where the best path and the gold words differ.
      gold_tag.assign(n, 0);
      pred_tag.assign(n, 0);
      std::vector<const Edge*> gold_edges, pred_edges;
      for (auto [gb, ge] : gold) {
        for (size_t k = gb; k < ge; ++k) gold_tag[k] = tag_of(k - gb, ge - gb);
        for (const Edge* e = lat.begin_at(gb); e != lat.end_at(gb); ++e)
          if (e->end == ge) gold_edges.push_back(e);
      }
      for (int32_t id : pred) {
        const Edge& e = lat.edges[id];
        for (size_t k = e.start; k < e.end; ++k) pred_tag[k] = tag_of(k - e.start, e.end - e.start);
        pred_edges.push_back(&e);
      }
      bool same = gold_edges.size() == pred_edges.size() &&
                  std::equal(gold_edges.begin(), gold_edges.end(), pred_edges.begin());
      if (same) {
        ++exact;
      } else {
        for (size_t k = 0; k < n; ++k) {
          if (gold_tag[k] == pred_tag[k]) continue;
          const uint32_t* r = rune_keys.data() + (b + k) * kNumCharFeatures;
          for (int f = 0; f < kNumCharFeatures; ++f) {
            if (r[f] == FlatMap::kMissing) continue;
            cw.add(size_t(r[f]) * kNumTags + gold_tag[k], 1.f, step);
            cw.add(size_t(r[f]) * kNumTags + pred_tag[k], -1.f, step);
          }
        }
        auto word_update = [&](const Edge* e, float d) {
          int idx[2];
          uint64_t c = e->source == EdgeSource::Dict ? fold_count[e->word_id] : 0;
          int m = word_feature_indices(e->source, e->end - e->start, c, idx);
          for (int i = 0; i < m; ++i) ww.add(idx[i], d, step);
          uint64_t keys[kNumEdgeKeys];
          edge_feature_keys(cps + e->start, cls + e->start, e->end - e->start, keys);
          for (uint64_t k : keys) {
            uint32_t at = edge_index.insert(k, uint32_t(ew.w.size()));
            if (at == ew.w.size()) ew.grow(1);
            ew.add(at, d, step);
          }
        };
        for (const Edge* e : gold_edges)
          if (!std::count(pred_edges.begin(), pred_edges.end(), e)) word_update(e, 1.f);
        for (const Edge* e : pred_edges)
          if (!std::count(gold_edges.begin(), gold_edges.end(), e)) word_update(e, -1.f);
      }
      ++step;
    }

    // 4. Build the model from the averaged weights; score dev with it as users would.
    std::vector<float> avg_c = cw.averaged(step), avg_w = ww.averaged(step),
                       avg_e = ew.averaged(step);
    std::vector<std::pair<uint64_t, uint32_t>> nonzero;  // features whose weights moved
    key_index.for_each([&](uint64_t key, uint32_t idx) {
      uint32_t row = row_of[idx];
      if (row == FlatMap::kMissing) return;
      const float* w = avg_c.data() + size_t(row) * kNumTags;
      if (w[0] != 0.f || w[1] != 0.f || w[2] != 0.f || w[3] != 0.f) nonzero.emplace_back(key, row);
    });
    std::sort(nonzero.begin(), nonzero.end());  // file contents independent of hash order
    FlatMap features(nonzero.size());
    std::vector<float> kept;
    for (auto [key, row] : nonzero) {
      features.insert(key, uint32_t(kept.size() / kNumTags));
      const float* w = avg_c.data() + size_t(row) * kNumTags;
      kept.insert(kept.end(), w, w + kNumTags);
    }
    report.features = features.size();
    std::string info = "perceptron model: " + std::to_string(report.stats.sentences) +
                       " sentences, " + std::to_string(report.stats.words) + " words, " +
                       std::to_string(sorted_words.size()) + " distinct, " +
                       std::to_string(features.size()) + " features, " + std::to_string(epoch) +
                       " epochs";
    auto model = SegModel::with_scorer(dict, info, kNormalizer, [&](const DictTrie& d) {
      return std::make_unique<PerceptronScorer>(std::move(features), std::move(kept),
                                                std::move(avg_w), counts, edge_index,
                                                std::move(avg_e), d);
    });
    EpochReport er;
    er.epoch = epoch;
    er.train_sentence_accuracy = double(exact) / train.size();
    if (dev.size() > 0) {
      Segmenter seg(model);
      size_t correct = 0, n_gold = 0, n_pred = 0;
      Runes runes;
      for (size_t s = 0; s < dev.size(); ++s) {
        auto gold = dev.gold(s);
        runes.cps.assign(dev.cps.begin() + dev.begin[s], dev.cps.begin() + dev.begin[s + 1]);
        runes.offs.assign(runes.cps.size() + 1, 0);
        auto pred = seg.segment(runes);
        n_gold += gold.size();
        n_pred += pred.size();
        size_t g = 0;
        for (const Span& p : pred) {
          while (g < gold.size() && gold[g].first < p.begin) ++g;
          if (g < gold.size() && gold[g].first == p.begin && gold[g].second == p.end) ++correct;
        }
      }
      er.dev_precision = n_pred ? double(correct) / n_pred : 0;
      er.dev_recall = n_gold ? double(correct) / n_gold : 0;
      double pr = er.dev_precision + er.dev_recall;
      er.dev_f1 = pr > 0 ? 2 * er.dev_precision * er.dev_recall / pr : 0;
    }
    er.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    report.epochs.push_back(er);
    if (epoch == opt.epochs) model->save(output);
    if (opt.on_epoch) opt.on_epoch(er);
  }
  return report;
}

}  // namespace zhtok::train
