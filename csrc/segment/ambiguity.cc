#include "segment/ambiguity.h"

#include <algorithm>
#include <limits>
#include <map>

namespace zhtok::segment {
namespace {

using Region = AmbiguityScratch::Region;
constexpr double kMaxBigramGain = 15;

double sum_scores(const Lattice& lat, const std::vector<int32_t>& edges) {
  double s = 0;
  for (int32_t id : edges) s += lat.edges[id].score;
  return s;
}

bool crosses(const Edge& e, const AmbiguityScratch& s) {
  return e.source != EdgeSource::Free && e.end - e.start >= 2 && s.next_best[e.start + 1] < e.end &&
         !(s.on_best[e.start] && s.on_best[e.end]);
}

// Marks the best path in s and lists in s.crossing the dictionary and user words of 2+ runes
// that cross it (start or end inside one of its words and hold one of its boundaries).
void mark_best(const Lattice& lat, const std::vector<int32_t>& best, AmbiguityScratch& s) {
  s.on_best.assign(lat.n + 1, 0);
  s.on_best[0] = 1;
  for (int32_t id : best) s.on_best[lat.edges[id].end] = 1;
  s.next_best.resize(lat.n + 1);
  s.next_best[lat.n] = uint32_t(lat.n);
  for (size_t i = lat.n; i-- > 0;) s.next_best[i] = s.on_best[i] ? uint32_t(i) : s.next_best[i + 1];
  // Free words come after the dictionary and user words that start where they do (see
  // Lattice::build): most edges are free, and none of them is looked at.
  s.crossing.clear();
  for (size_t i = 0; i < lat.n; ++i)
    for (const Edge* e = lat.begin_at(i); e != lat.end_at(i) && e->source != EdgeSource::Free; ++e)
      if (crosses(*e, s)) s.crossing.push_back(int32_t(e - lat.edges.data()));
}

// Walks r back along the best path into its begin until it meets the best path.
void extend_left(const Lattice& lat, const PathScratch& paths, const AmbiguityScratch& s, Region& r) {
  while (!s.on_best[r.begin]) {
    int32_t id = paths.fwd_edge[r.begin];
    r.edges.insert(r.edges.begin(), id);
    r.begin = lat.edges[id].start;
  }
}

// The alternative through edge k (after mark_best and backward_best): the best path through it,
// cut to where it differs from the best path, appended to s.regions.
void add_region(const Lattice& lat, const PathScratch& paths, int32_t k, AmbiguityScratch& s) {
  const Edge& e = lat.edges[k];
  Region r{e.start, e.end, {k}};
  extend_left(lat, paths, s, r);
  while (!s.on_best[r.end]) {
    int32_t id = paths.bwd_edge[r.end];
    r.edges.push_back(id);
    r.end = lat.edges[id].end;
  }
  s.regions.push_back(std::move(r));
}

// The same for resolve_crossings, without a backward pass over the whole lattice (a tenth of
// the segmenter's time): after edge k, the alternative takes the best way to the next
// boundary of the best path, found over those few runes alone. Added only if it scores at
// least floor.
void add_local_region(const Lattice& lat, const PathScratch& paths, int32_t k, double floor,
                      AmbiguityScratch& s) {
  const Edge& e = lat.edges[k];
  const uint32_t to = s.next_best[e.end];
  s.tail.assign(to - e.end + 1, -std::numeric_limits<double>::infinity());
  s.tail_edge.assign(to - e.end + 1, -1);
  s.tail[to - e.end] = 0;
  for (uint32_t p = to; p-- > e.end;)
    for (const Edge* x = lat.begin_at(p); x != lat.end_at(p); ++x)
      if (x->end <= to && x->score + s.tail[x->end - e.end] > s.tail[p - e.end]) {
        s.tail[p - e.end] = x->score + s.tail[x->end - e.end];
        s.tail_edge[p - e.end] = int32_t(x - lat.edges.data());
      }
  // The best path reaches to with score fwd[to] and goes on as the alternative does.
  double total = paths.fwd[e.start] + e.score + s.tail[0] + (paths.fwd[lat.n] - paths.fwd[to]);
  if (!(total >= floor)) return;
  Region r{e.start, to, {k}};
  extend_left(lat, paths, s, r);
  for (uint32_t p = e.end; p < to; p = lat.edges[s.tail_edge[p - e.end]].end)
    r.edges.push_back(s.tail_edge[p - e.end]);
  s.regions.push_back(std::move(r));
}

void sort_regions(AmbiguityScratch& s) {
  std::sort(s.regions.begin(), s.regions.end(),
            [](const Region& a, const Region& b) { return a.begin < b.begin; });
}

// Overlapping regions merged into spans: calls f(begin, end, readings) for each, where the
// readings are edge ids in order, the best path's first, each alternative keeping the best path
// outside its own region, without repeats.
template <typename F>
void for_each_span(const Lattice& lat, const std::vector<int32_t>& best, const AmbiguityScratch& s,
                   F&& f) {
  const auto& regions = s.regions;
  size_t r0 = 0;
  while (r0 < regions.size()) {
    uint32_t begin = regions[r0].begin, end = regions[r0].end;
    size_t r1 = r0 + 1;
    while (r1 < regions.size() && regions[r1].begin < end) end = std::max(end, regions[r1++].end);
    // The best path's words inside [begin, end): it is in order, so found from where it reaches
    // begin (a scan of the whole path per span cost a long window's every span).
    std::vector<int32_t> best_in;
    auto from = std::partition_point(best.begin(), best.end(),
                                     [&](int32_t id) { return lat.edges[id].start < begin; });
    for (auto it = from; it != best.end() && lat.edges[*it].end <= end; ++it) best_in.push_back(*it);
    std::vector<std::vector<int32_t>> readings{best_in};
    for (size_t r = r0; r < r1; ++r) {
      std::vector<int32_t> ids = regions[r].edges;
      for (int32_t id : best_in)
        if (lat.edges[id].end <= regions[r].begin || lat.edges[id].start >= regions[r].end)
          ids.push_back(id);
      std::sort(ids.begin(), ids.end(),
                [&](int32_t a, int32_t b) { return lat.edges[a].start < lat.edges[b].start; });
      if (std::find(readings.begin(), readings.end(), ids) == readings.end())
        readings.push_back(std::move(ids));
    }
    f(begin, end, readings);
    r0 = r1;
  }
}

}  // namespace

std::vector<Ambiguity> find_ambiguities(const Lattice& lat, PathScratch& paths,
                                        const std::vector<int32_t>& best, size_t limit,
                                        double margin, size_t max_alternatives) {
  AmbiguityScratch s;
  mark_best(lat, best, s);
  std::vector<uint8_t> best_edge(lat.edges.size(), 0);
  for (int32_t id : best) best_edge[id] = 1;
  backward_best(lat, paths);
  // Competing: an edge whose word crosses the best path, or whose best path scores within
  // margin of the best.
  const double best_total = paths.fwd[lat.n];
  s.regions.clear();
  for (size_t k = 0; k < lat.edges.size(); ++k) {
    const Edge& e = lat.edges[k];
    if (best_edge[k] || e.end > limit) continue;
    if (crosses(e, s) || paths.fwd[e.start] + e.score + paths.bwd[e.end] >= best_total - margin)
      add_region(lat, paths, int32_t(k), s);
  }
  sort_regions(s);
  std::vector<Ambiguity> out;
  for_each_span(lat, best, s, [&](uint32_t begin, uint32_t end, std::vector<std::vector<int32_t>>& order) {
    std::map<std::vector<int32_t>, double> score;
    for (const auto& ids : order) score[ids] = sum_scores(lat, ids);
    // The chosen reading stays first; the others by score, then by position for determinism.
    std::stable_sort(order.begin() + 1, order.end(),
                     [&](const auto& a, const auto& b) { return score[a] > score[b]; });
    if (order.size() > max_alternatives) order.resize(std::max<size_t>(max_alternatives, 2));
    if (order.size() < 2) return;
    Ambiguity a{begin, end, {}};
    for (const auto& ids : order) {
      Segmentation seg{{}, score[ids]};
      for (int32_t id : ids) seg.words.push_back({lat.edges[id].start, lat.edges[id].end});
      a.alternatives.push_back(std::move(seg));
    }
    out.push_back(std::move(a));
  });
  return out;
}

bool resolve_crossings(const Lattice& lat, const PathScratch& paths, std::vector<int32_t>& best,
                       const WordBigrams& bigrams, AmbiguityScratch& s) {
  if (bigrams.empty()) return false;
  mark_best(lat, best, s);
  if (s.crossing.empty()) return false;
  // A reading whose score trails by more than kMaxBigramGain nats' worth is not weighed: it
  // could only win on a bigram gain no reading showed on PKU (the largest was 15), and the
  // bigram lookups would cost every line.
  const double floor = paths.fwd[lat.n] - bigrams.weight() * kMaxBigramGain;
  s.regions.clear();
  for (int32_t k : s.crossing) add_local_region(lat, paths, k, floor, s);
  if (s.regions.empty()) return false;
  sort_regions(s);
  auto word_of = [&](int32_t id) {
    const Edge& e = lat.edges[id];
    return e.source == EdgeSource::Dict ? e.word_id : WordBigrams::kUnknown;
  };
  // Spans come in order and do not overlap: the new path is the old one with spans replaced.
  s.path.clear();
  size_t next = 0;  // first edge of best not yet copied
  bool changed = false;
  for_each_span(lat, best, s, [&](uint32_t begin, uint32_t end, const std::vector<std::vector<int32_t>>& readings) {
    while (next < best.size() && lat.edges[best[next]].end <= begin) s.path.push_back(best[next++]);
    while (next < best.size() && lat.edges[best[next]].start < end) ++next;
    int32_t prev = s.path.empty() ? WordBigrams::kBoundary : word_of(s.path.back());
    int32_t after = next < best.size() ? word_of(best[next]) : WordBigrams::kBoundary;
    size_t after_len = next < best.size() ? lat.edges[best[next]].end - lat.edges[best[next]].start : 0;
    size_t chosen = 0;
    double top = 0;
    for (size_t k = 0; k < readings.size(); ++k) {
      double lm = 0;
      int32_t p = prev;
      for (int32_t id : readings[k]) {
        int32_t w = word_of(id);
        lm += bigrams.log_prob(p, w, lat.edges[id].end - lat.edges[id].start);
        p = w;
      }
      lm += bigrams.log_prob(p, after, after_len);
      double total = sum_scores(lat, readings[k]) + bigrams.weight() * lm;
      if (k == 0 || total > top) top = total, chosen = k;
    }
    changed |= chosen != 0;
    s.path.insert(s.path.end(), readings[chosen].begin(), readings[chosen].end());
  });
  if (!changed) return false;
  s.path.insert(s.path.end(), best.begin() + next, best.end());
  best.swap(s.path);
  return true;
}

}  // namespace zhtok::segment
