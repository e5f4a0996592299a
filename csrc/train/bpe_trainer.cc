#include "train/bpe_trainer.h"

#include <algorithm>
#include <stdexcept>
#include <queue>
#include <unordered_map>
#include <thread>

#include "common/binary_io.h"
#include "common/string_counter.h"

namespace zhtok::train {

namespace {

// Runs work(t) for t in [0, threads) and rethrows the first error.
template <typename Work>
void run_threads(size_t threads, Work&& work) {
  std::vector<std::exception_ptr> errors(threads);
  auto guarded = [&](size_t t) {
    try {
      work(t);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(guarded, t);
  guarded(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

void PretokenCounter::add(const std::vector<std::string>& texts, size_t threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  threads = std::max<size_t>(1, std::min(threads, texts.size()));
  if (locals_.size() < threads) locals_.resize(threads);
  run_threads(threads, [&](size_t t) {
    bpe::Pretokenizer::Scratch scratch;
    std::vector<bpe::Pretokenizer::Piece> pieces;
    Local& local = locals_[t];
    for (size_t i = t; i < texts.size(); i += threads) {
      pieces.clear();
      pre_->pieces(texts[i], scratch, pieces);
      std::string_view text(texts[i]);
      for (const auto& p : pieces) (p.cut ? local.han : local.plain).add(text.substr(p.begin, p.end - p.begin), 1);
    }
  });
  for (size_t t = 0; t < threads; ++t) {
    Local& l = locals_[t];
    l.plain.for_each([&](std::string_view piece, uint64_t c) { counts_.add(piece, c), total_ += c; });
    l.han.for_each([&](std::string_view piece, uint64_t c) { han_pieces_.add(piece, c), total_ += c; });
    // Kept, not freed: the next batch refills the same memory (freeing and reallocating
    // these tables batch after batch fragmented the heap: peak memory grew with the corpus).
    l.plain.clear(), l.han.clear();
  }
}

void PretokenCounter::finish(size_t threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  locals_.clear();
  if (han_pieces_.empty()) return;
  auto todo = han_pieces_.items();
  threads = std::max<size_t>(1, std::min(threads, todo.size()));
  std::vector<StringCounter> local(threads);
  std::vector<uint64_t> added(threads, 0);
  run_threads(threads, [&](size_t t) {
    bpe::Pretokenizer::Scratch scratch;
    std::vector<ByteRange> words;
    for (size_t i = t; i < todo.size(); i += threads) {
      auto [piece, count] = todo[i];
      words.clear();
      pre_->split(piece, scratch, words, /*use_cache=*/false);
      for (auto [b, e] : words) local[t].add(piece.substr(b, e - b), count);
      added[t] += count * (words.size() - 1);
    }
  });
  todo.clear();
  han_pieces_.release();
  for (size_t t = 0; t < threads; ++t) {
    counts_.add_all(local[t]);
    local[t].release();
    total_ += added[t];
  }
}

size_t PretokenCounter::distinct() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_.size() + han_pieces_.size();
}

size_t PretokenCounter::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return han_pieces_.size();
}

uint64_t PretokenCounter::total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

std::vector<bpe::Merge> PretokenCounter::train(const BpeTrainOptions& options) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!han_pieces_.empty()) throw std::invalid_argument("call finish() before train()");
  return train_bpe(counts_, options);
}

namespace {

constexpr char kCountsMagic[8] = {'Z', 'H', 'T', 'O', 'K', 'C', 'N', 'T'};
constexpr uint32_t kCountsVersion = 1;

void put_counts(ByteWriter& w, const StringCounter& counts) {
  w.put<uint64_t>(counts.size());
  counts.for_each([&](std::string_view piece, uint64_t c) { w.put_str(piece), w.put<uint64_t>(c); });
}

void get_counts(ByteReader& r, StringCounter& counts) {
  uint64_t n = r.get<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    std::string piece = r.get_str();
    counts.add(piece, r.get<uint64_t>());
  }
}

}  // namespace

std::vector<char> PretokenCounter::serialize() const {
  std::lock_guard<std::mutex> lock(mutex_);
  ByteWriter w;
  w.put<uint8_t>(uint8_t(pre_->kind()));
  w.put<uint64_t>(total_);
  put_counts(w, counts_);
  put_counts(w, han_pieces_);
  return frame_model(kCountsMagic, kCountsVersion, w.bytes());
}

void PretokenCounter::merge(const char* data, size_t size, const std::string& name) {
  ModelFile mf = unframe_model(data, size, name, kCountsMagic, kCountsVersion);
  ByteReader r(mf.payload, mf.payload_size, name, kModelHeaderSize);
  if (r.get<uint8_t>() != uint8_t(pre_->kind()))
    r.fail("pre-token counts of another pre-tokenizer (segment and regex counts, or an older zhtok's "
           "segment counts, do not mix)");
  uint64_t total = r.get<uint64_t>();
  StringCounter plain, han;  // all read before any is added
  get_counts(r, plain);
  get_counts(r, han);
  if (!r.at_end()) r.fail("unexpected bytes after the counts");
  std::lock_guard<std::mutex> lock(mutex_);
  counts_.add_all(plain);
  han_pieces_.add_all(han);
  total_ += total;
}

namespace {

inline uint64_t pair_key(uint32_t a, uint32_t b) { return uint64_t(a) << 32 | b; }

// Pair counts in one flat table (open addressing, linear probing), written here because
// std::unordered_map spent a quarter of the merge time in its node allocations and pointer
// chasing. Nothing is ever erased: a merged pair's count is set to 0 (it cannot occur again).
class PairCounts {
 public:
  PairCounts() { rehash(1 << 16); }
  int64_t& operator[](uint64_t key) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t i = slot(key);
    while (keys_[i] != key && keys_[i] != kEmpty) i = (i + 1) & mask_;
    if (keys_[i] == kEmpty) keys_[i] = key, values_[i] = 0, ++size_;
    return values_[i];
  }
  int64_t get(uint64_t key) const {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) return 0;
    }
  }
  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) f(keys_[i], values_[i]);
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t(0);  // no pair: symbol ids are below 2^32 - 1
  size_t slot(uint64_t key) const {
    key ^= key >> 29;
    key *= 0xBF58476D1CE4E5B9ULL;
    return size_t(key ^ (key >> 32)) & mask_;
  }
  void rehash(size_t capacity) {
    std::vector<uint64_t> keys(capacity, kEmpty);
    std::vector<int64_t> values(capacity, 0);
    keys.swap(keys_);
    values.swap(values_);
    mask_ = capacity - 1;
    size_ = 0;
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != kEmpty) (*this)[keys[i]] = values[i];
  }
  std::vector<uint64_t> keys_;
  std::vector<int64_t> values_;
  size_t mask_ = 0, size_ = 0;
};

struct Word {
  std::vector<uint32_t> syms;
  uint64_t count;
};

// Applies merge (a, b) -> id to every occurrence in w, left to right, and reports the pair
// counts that change through on_pair(pair, delta in occurrences): only the pairs beside each
// occurrence, so a merge costs in proportion to its occurrences, not to the words' lengths
// (a regex pre-token of Chinese is a whole clause: subtracting and re-adding every pair of such
// words made regex training as slow as HF's). Processed left to right in the merged sequence,
// so "x a b a b y" gives (x,a) -1, (x,id) +1, (b,a) -1, (id,a) +1 then (id,a) -1, (id,id) +1,
// (b,y) -1, (id,y) +1: exactly the pairs after minus the pairs before, less (a,b) itself.
template <typename OnPair>
void merge_word(Word& w, uint32_t a, uint32_t b, uint32_t id, OnPair&& on_pair) {
  std::vector<uint32_t>& s = w.syms;
  const size_t n = s.size();
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && s[i] == a && s[i + 1] == b) {
      if (out > 0) {
        on_pair(pair_key(s[out - 1], a), -1);
        on_pair(pair_key(s[out - 1], id), +1);
      }
      if (i + 2 < n) {
        on_pair(pair_key(b, s[i + 2]), -1);
        on_pair(pair_key(id, s[i + 2]), +1);
      }
      s[out++] = id;
      ++i;
    } else {
      s[out++] = s[i];
    }
  }
  s.resize(out);
}

}  // namespace

std::vector<bpe::Merge> train_bpe(const StringCounter& counts, const BpeTrainOptions& opt) {
  // 1. Words in byte order (deterministic), as byte symbols.
  auto order = counts.items();
  std::sort(order.begin(), order.end());
  std::vector<Word> words;
  words.reserve(order.size());
  for (auto [piece, count] : order) {
    Word w{{}, count};
    for (unsigned char c : piece) w.syms.push_back(c);
    words.push_back(std::move(w));
  }

  // 2. Pair counts and, per pair, the words that hold it (may hold stale entries).
  PairCounts pair_count;
  std::unordered_map<uint64_t, std::vector<uint32_t>> where;
  for (uint32_t wi = 0; wi < words.size(); ++wi) {
    const auto& s = words[wi].syms;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      uint64_t k = pair_key(s[i], s[i + 1]);
      pair_count[k] += int64_t(words[wi].count);
      where[k].push_back(wi);
    }
  }
  // Max-heap by count, then the smaller pair first: the same corpus gives the same merges.
  using Entry = std::pair<int64_t, uint64_t>;
  auto less = [](const Entry& x, const Entry& y) {
    return x.first != y.first ? x.first < y.first : x.second > y.second;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(less)> heap(less);
  pair_count.for_each([&](uint64_t k, int64_t c) { heap.push({c, k}); });

  // 3. Merge the most frequent pair; update the counts of only the words that hold it.
  std::vector<bpe::Merge> merges;
  std::vector<uint32_t> token_len(256, 1);  // bytes per id
  std::vector<uint32_t> stamp(words.size(), UINT32_MAX);
  std::vector<uint64_t> fresh;  // pairs holding the new id
  // A new pair is (id, y) or (x, id): listed in fresh once, marked by y or x (no sort).
  std::vector<uint32_t> listed_after(256 + opt.num_merges + 1, UINT32_MAX),
      listed_before(256 + opt.num_merges + 1, UINT32_MAX);
  while (merges.size() < opt.num_merges && !heap.empty()) {
    auto [c, k] = heap.top();
    heap.pop();
    int64_t current = pair_count.get(k);
    if (current != c) {  // stale entry: requeue with the current count
      if (current > 0) heap.push({current, k});
      continue;
    }
    if (c < int64_t(opt.min_frequency) || c <= 0) break;
    uint32_t a = uint32_t(k >> 32), b = uint32_t(k), id = uint32_t(256 + merges.size());
    if (token_len[a] + token_len[b] > bpe::kMaxTokenBytes) {  // never merged: drop the pair
      pair_count[k] = 0;
      continue;
    }
    token_len.push_back(token_len[a] + token_len[b]);
    merges.push_back({a, b});
    std::vector<uint32_t> holders = std::move(where[k]);
    where.erase(k);
    fresh.clear();
    for (size_t j = 0; j < holders.size(); ++j) {
      // Holders are scattered over millions of words: fetch a few ahead (the word, then its
      // symbols) so that their cache misses overlap (half the merge time was spent waiting on
      // the first symbol of each word).
      if (j + 16 < holders.size()) {
        __builtin_prefetch(&words[holders[j + 16]]);
        __builtin_prefetch(&stamp[holders[j + 16]]);
      }
      if (j + 8 < holders.size()) __builtin_prefetch(words[holders[j + 8]].syms.data());
      const uint32_t wi = holders[j];
      if (stamp[wi] == merges.size()) continue;  // listed twice
      stamp[wi] = uint32_t(merges.size());
      Word& w = words[wi];
      const int64_t wc = int64_t(w.count);
      merge_word(w, a, b, id, [&](uint64_t pk, int delta) {
        if (pk == k) return;  // the merged pair goes away whole below
        pair_count[pk] += delta * wc;
        if (delta > 0) {  // a pair holding id: new with this merge
          auto& holders_of = where[pk];
          if (holders_of.empty() || holders_of.back() != wi) holders_of.push_back(wi);
          uint32_t x = uint32_t(pk >> 32), y = uint32_t(pk);
          uint32_t& mark = x == id ? listed_after[y] : listed_before[x];
          if (mark != id) mark = id, fresh.push_back(pk);
        }
      });
    }
    // Each new pair enters the heap once, with its count after the whole merge; pairs that
    // lost occurrences keep their old entries, requeued with the right count when popped.
    for (uint64_t nk : fresh) {
      int64_t nc = pair_count.get(nk);
      if (nc > 0) heap.push({nc, nk});
    }
    pair_count[k] = 0;
    if (opt.progress && merges.size() % 500 == 0) opt.progress(merges.size());
  }
  if (opt.progress) opt.progress(merges.size());
  return merges;
}

}  // namespace zhtok::train
