#include "train/seg_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_map>

#include "common/error.h"
#include "common/fingerprint_table.h"
#include "segment/perceptron_scorer.h"
#include "segment/seg_model.h"
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


// Every training word, with its count inside each fold. A sentence's lattice and features see
// only the words counted outside its own fold (jackknifing), so the model learns how far to
// trust a dictionary on text it has not seen. Folds are contiguous blocks: neighbouring
// sentences share an article and its names, which must not count as known for each other.
struct FoldedDictionary {
  DictTrie trie;
  std::vector<std::u32string> words;
  std::vector<uint32_t> counts;   // by word id, whole corpus
  std::vector<uint32_t> outside;  // [fold * words + id]: count outside the fold
  std::vector<std::vector<int32_t>> sentence_ids;  // the ids of each sentence's gold words
  size_t folds = 0, sentences = 0;

  size_t fold_of(size_t s) const { return s * folds / sentences; }
  const uint32_t* counts_seen_from(size_t s) const { return outside.data() + fold_of(s) * words.size(); }
};

FoldedDictionary build_dictionary(const Corpus& c, size_t folds) {
  FoldedDictionary d;
  d.folds = folds;
  d.sentences = c.size();
  auto word_at = [&](size_t s, std::pair<uint32_t, uint32_t> span) {
    auto b = c.cps.begin() + c.begin[s];
    return std::u32string(b + span.first, b + span.second);
  };
  std::unordered_map<std::u32string, uint32_t> seen;
  for (size_t s = 0; s < c.size(); ++s)
    for (auto span : c.gold(s)) seen.emplace(word_at(s, span), 0);
  for (auto& kv : seen) d.words.push_back(kv.first);
  std::sort(d.words.begin(), d.words.end());  // ids independent of hash order
  d.trie = DictTrie::build(d.words);
  const size_t w = d.words.size();
  d.counts.assign(w, 0);
  std::vector<uint32_t> inside(folds * w, 0);
  d.sentence_ids.resize(c.size());
  for (size_t s = 0; s < c.size(); ++s)
    for (auto span : c.gold(s)) {
      int32_t id = d.trie.find(word_at(s, span));
      d.sentence_ids[s].push_back(id);
      ++d.counts[id];
      ++inside[d.fold_of(s) * w + id];
    }
  d.outside.resize(folds * w);
  for (size_t i = 0; i < d.outside.size(); ++i) d.outside[i] = d.counts[i % w] - inside[i];
  return d;
}

// The lattice of sentence s as training sees it: words of the other folds only.
void build_training_lattice(const Corpus& c, const FoldedDictionary& d, size_t s, Lattice& lat) {
  static const UserDict no_user;
  size_t b = c.begin[s], n = c.begin[s + 1] - b;
  lat.build(c.cps.data() + b, c.cls.data() + b, n, d.trie, no_user, kMaxFreeUnits,
            /*free_across_punct=*/true);
  const uint32_t* seen = d.counts_seen_from(s);
  for (Edge& e : lat.edges)
    if (e.source == EdgeSource::Dict && seen[e.word_id] == 0) e.source = EdgeSource::Free, e.word_id = -1;
}

// Feature rows of every training rune. Hashed features seen fewer than min_count times are
// dropped; the others get rows after the dense ones.
struct TrainingFeatures {
  CharIndex index;
  FeatureLayout layout{1};
  std::vector<uint32_t> ids, rows;     // per rune (ids) and per rune x kNumCharFeatures (rows)
  std::vector<uint64_t> hashed_keys;   // key of hashed row layout.hashed_base() + i
  size_t num_rows() const { return layout.hashed_base() + hashed_keys.size(); }
};

TrainingFeatures extract_features(const Corpus& c, const FoldedDictionary& d, uint32_t min_count) {
  TrainingFeatures tf;
  std::vector<uint32_t> codes{kPad};
  for (size_t k = 0; k < c.cps.size(); ++k) codes.push_back(feature_code(c.cps[k], c.cls[k]));
  tf.index = CharIndex(std::move(codes));
  tf.layout = FeatureLayout{tf.index.size()};
  tf.ids.resize(c.cps.size());
  tf.rows.resize(c.cps.size() * kNumCharFeatures);
  FingerprintTable<uint32_t> key_index(c.cps.size());
  std::vector<uint32_t> key_count;
  std::vector<uint64_t> key_of;
  std::vector<uint32_t> rune_key(c.cps.size() * kNumHashedFeatures);
  std::vector<uint32_t> ids, rows;
  std::vector<uint64_t> keys;
  RuneBuffers rune_buffers;
  Lattice lat;
  for (size_t s = 0; s < c.size(); ++s) {
    size_t b = c.begin[s];
    build_training_lattice(c, d, s, lat);
    char_features(c.cps.data() + b, c.cls.data() + b, lat, tf.index, tf.layout, rune_buffers, ids,
                  rows, keys);
    std::copy(ids.begin(), ids.end(), tf.ids.begin() + b);
    std::copy(rows.begin(), rows.end(), tf.rows.begin() + b * kNumCharFeatures);
    for (size_t i = 0; i < keys.size(); ++i) {
      bool added;
      uint32_t idx = key_index.insert(keys[i], uint32_t(key_count.size()), &added);
      if (added) key_count.push_back(0), key_of.push_back(keys[i]);
      ++key_count[idx];
      rune_key[b * kNumHashedFeatures + i] = idx;
    }
  }
  std::vector<uint32_t> row_of(key_count.size(), kNoRow);
  for (size_t i = 0; i < key_count.size(); ++i)
    if (key_count[i] >= min_count) {
      row_of[i] = tf.layout.hashed_base() + uint32_t(tf.hashed_keys.size());
      tf.hashed_keys.push_back(key_of[i]);
    }
  for (size_t k = 0; k < c.cps.size(); ++k)
    for (int j = 0; j < kNumHashedFeatures; ++j)
      tf.rows[k * kNumCharFeatures + kNumDenseFeatures + j] = row_of[rune_key[k * kNumHashedFeatures + j]];
  return tf;
}

// One pass of perceptron updates over the sentences in visit order. Returns how many sentences
// were decoded exactly right before their update.
size_t train_epoch(const Corpus& c, const FoldedDictionary& d, const TrainingFeatures& tf,
                   const std::vector<uint32_t>& visit, Weights& cw, Weights& ew, double& step) {
  Lattice lat;
  PathScratch paths;
  std::vector<float> tag;
  std::vector<double> mid;
  std::vector<int> gold_tag, pred_tag;
  size_t exact = 0;
  for (uint32_t s : visit) {
    size_t b = c.begin[s], n = c.begin[s + 1] - b;
    build_training_lattice(c, d, s, lat);
    auto gold = c.gold(s);
    for (auto [gb, ge] : gold) ensure_edge(lat, gb, ge);
    const uint32_t* ids = tf.ids.data() + b;
    const uint32_t* rows = tf.rows.data() + b * kNumCharFeatures;
    LinearWeights lw{cw.w.data(), ew.w.data(), d.counts_seen_from(s), tf.layout};
    lw.tag_scores(rows, n, tag);
    lw.score_edges(ids, tag, lat, mid);
    forward_best(lat, paths);
    std::vector<const Edge*> gold_edges, pred_edges;
    gold_tag.assign(n, 0);
    pred_tag.assign(n, 0);
    for (auto [gb, ge] : gold) {
      for (size_t k = gb; k < ge; ++k) gold_tag[k] = tag_of(k - gb, ge - gb);
      for (const Edge* e = lat.begin_at(gb); e != lat.end_at(gb); ++e)
        if (e->end == ge) gold_edges.push_back(e);
    }
    for (int32_t id : best_path(lat, paths)) {
      const Edge& e = lat.edges[id];
      for (size_t k = e.start; k < e.end; ++k) pred_tag[k] = tag_of(k - e.start, e.end - e.start);
      pred_edges.push_back(&e);
    }
    if (gold_edges == pred_edges) {
      ++exact;
    } else {
      for (size_t k = 0; k < n; ++k) {
        if (gold_tag[k] == pred_tag[k]) continue;
        const uint32_t* r = rows + k * kNumCharFeatures;
        for (int f = 0; f < kNumCharFeatures; ++f) {
          if (r[f] == kNoRow) continue;
          cw.add(size_t(r[f]) * kNumTags + gold_tag[k], 1.f, step);
          cw.add(size_t(r[f]) * kNumTags + pred_tag[k], -1.f, step);
        }
      }
      auto edge_update = [&](const Edge* e, float delta) {
        uint32_t f[4];
        uint64_t count = e->source == EdgeSource::Dict ? lw.counts[e->word_id] : 0;
        int m = edge_features(*e, ids, count, e->source == EdgeSource::Dict, tf.layout, f);
        for (int i = 0; i < m; ++i) ew.add(f[i], delta, step);
      };
      for (const Edge* e : gold_edges)
        if (!std::count(pred_edges.begin(), pred_edges.end(), e)) edge_update(e, 1.f);
      for (const Edge* e : pred_edges)
        if (!std::count(gold_edges.begin(), gold_edges.end(), e)) edge_update(e, -1.f);
    }
    ++step;
  }
  return exact;
}

// The model from averaged weights; hashed features whose weights never moved are left out.
std::shared_ptr<SegModel> make_model(const FoldedDictionary& d, const TrainingFeatures& tf,
                                     const Weights& cw, const Weights& ew, double step,
                                     std::string info, const WordBigrams& bigrams,
                                     float new_word_bias) {
  std::vector<float> char_w = cw.averaged(step), edge_w = ew.averaged(step);
  add_new_word_bias(edge_w, tf.layout, new_word_bias);
  const size_t base = tf.layout.hashed_base();
  std::vector<std::pair<uint64_t, uint32_t>> order;  // (key, old hashed index)
  float top = 0;
  for (size_t i = 0; i < tf.hashed_keys.size(); ++i) {
    order.emplace_back(tf.hashed_keys[i], i);
    for (int t = 0; t < kNumTags; ++t) top = std::max(top, std::abs(char_w[(base + i) * kNumTags + t]));
  }
  std::sort(order.begin(), order.end());  // file contents independent of hash order
  const float scale = top > 0 ? top / kPackedMax : 1.f;
  HashedWeights hashed;
  size_t kept = 0;
  for (auto [key, i] : order) {
    PackedWeights p;
    bool any = false;
    for (int t = 0; t < kNumTags; ++t) {
      p.w[t] = static_cast<PackedWeight>(std::lround(char_w[(base + i) * kNumTags + t] / scale));
      any |= p.w[t] != 0;
    }
    if (!any) continue;  // never moved, or too small to tell from zero once packed: absent reads the same
    hashed.add(key, p);
    ++kept;
  }
  char_w.resize(base * kNumTags);
  char bias[32];
  std::snprintf(bias, sizeof bias, "%g", new_word_bias);
  info += ", " + std::to_string(kept) + " hashed features, new-word bias " + bias;
  auto scorer = std::make_unique<PerceptronScorer>(tf.index, std::move(hashed), scale,
                                                   std::move(char_w), std::move(edge_w), d.counts);
  return std::make_shared<SegModel>(d.trie, std::move(scorer), std::move(info), kNormalizer, bigrams);
}

WordBigrams build_bigrams(const FoldedDictionary& d, float weight) {
  if (weight <= 0) return {};
  return WordBigrams::build(d.sentence_ids, d.words.size(), weight);
}

// Word precision, recall and F1 of model on gold sentences, segmented as users would.
void evaluate(std::shared_ptr<const SegModel> model, const Corpus& dev, EpochReport& er) {
  Segmenter seg(std::move(model));
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

}  // namespace

SegTrainReport train_perceptron(const std::vector<std::string>& paths, const std::string& output,
                                const SegTrainOptions& opt) {
  using Clock = std::chrono::steady_clock;
  if (paths.empty()) throw_input("no training files given");
  if (opt.epochs < 1) throw_input("epochs must be at least 1");
  if (opt.folds < 2) throw_input("folds must be at least 2");
  if (!(opt.bigram_weight >= 0) || !std::isfinite(opt.bigram_weight))
    throw_input("the bigram weight must be a number >= 0");
  check_new_word_bias(opt.new_word_bias);
  SegTrainReport report;
  // 1. Read the corpus; build the dictionary and the features of every rune.
  Corpus train = read_corpus(paths, opt.on_bad, report.stats);
  if (train.size() == 0) throw_input("the training files hold no sentences");
  Corpus dev = read_corpus(opt.dev_paths, opt.on_bad, report.dev_stats);
  FoldedDictionary dict = build_dictionary(train, static_cast<size_t>(opt.folds));
  report.dictionary_words = dict.words.size();
  TrainingFeatures tf = extract_features(train, dict, opt.min_feature_count);
  const WordBigrams bigrams = build_bigrams(dict, opt.bigram_weight);
  report.features = tf.num_rows();

  // 2. Epochs over the sentences in a fixed shuffled order (the same input gives the same model).
  std::vector<uint32_t> visit(train.size());
  std::iota(visit.begin(), visit.end(), 0);
  uint64_t rng = 0x2545F4914F6CDD1DULL;
  for (size_t i = visit.size(); i > 1; --i) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    std::swap(visit[i - 1], visit[rng % i]);
  }
  Weights cw, ew;
  cw.resize(tf.num_rows() * kNumTags);
  ew.resize(tf.layout.edge_size());
  double step = 1;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto t0 = Clock::now();
    EpochReport er;
    er.epoch = epoch;
    er.train_sentence_accuracy = double(train_epoch(train, dict, tf, visit, cw, ew, step)) / train.size();
    // 3. The averaged model: saved after the last epoch, scored on dev after each.
    std::string info = "perceptron model: " + std::to_string(report.stats.sentences) +
                       " sentences, " + std::to_string(report.stats.words) + " words, " +
                       std::to_string(dict.words.size()) + " distinct, " + std::to_string(epoch) +
                       " epochs";
    if (dev.size() > 0 || epoch == opt.epochs) {
      auto model = make_model(dict, tf, cw, ew, step, info, bigrams, opt.new_word_bias);
      if (dev.size() > 0) evaluate(model, dev, er);
      if (epoch == opt.epochs) model->save(output);
    }
    er.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    report.epochs.push_back(er);
    if (opt.on_epoch) opt.on_epoch(er);
  }
  return report;
}

}  // namespace zhtok::train
