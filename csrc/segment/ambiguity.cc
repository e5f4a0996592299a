#include "segment/ambiguity.h"

#include <algorithm>
#include <map>

namespace zhtok::segment {
namespace {

struct Region {
  uint32_t begin, end;          // both are boundaries of the best path and of the alternative
  std::vector<int32_t> edges;   // the alternative's edges inside
};

double sum_scores(const Lattice& lat, const std::vector<int32_t>& edges) {
  double s = 0;
  for (int32_t id : edges) s += lat.edges[id].score;
  return s;
}

}  // namespace

std::vector<Ambiguity> find_ambiguities(const Lattice& lat, PathScratch& paths,
                                        const std::vector<int32_t>& best, size_t limit,
                                        double margin, size_t max_alternatives) {
  backward_best(lat, paths);
  const double best_total = paths.fwd[lat.n];
  std::vector<uint8_t> on_best(lat.n + 1, 0);   // boundaries of the best path
  std::vector<uint8_t> best_edge(lat.edges.size(), 0);
  on_best[0] = 1;
  for (int32_t id : best) on_best[lat.edges[id].end] = 1, best_edge[id] = 1;
  std::vector<uint32_t> next_best(lat.n + 1, 0);  // first best-path boundary >= i
  for (size_t i = lat.n + 1; i-- > 0;) next_best[i] = on_best[i] ? i : next_best[i + 1];

  // 1. Alternatives: the best path through each competing edge, cut to where it differs.
  std::vector<Region> regions;
  for (size_t k = 0; k < lat.edges.size(); ++k) {
    const Edge& e = lat.edges[k];
    if (best_edge[k] || e.end > limit) continue;
    double total = paths.fwd[e.start] + e.score + paths.bwd[e.end];
    bool within = total >= best_total - margin;
    bool crossing = e.source != EdgeSource::Free && e.end - e.start >= 2 &&
                    next_best[e.start + 1] < e.end && !(on_best[e.start] && on_best[e.end]);
    if (!within && !crossing) continue;
    Region r{e.start, e.end, {static_cast<int32_t>(k)}};
    while (!on_best[r.begin]) {
      int32_t id = paths.fwd_edge[r.begin];
      r.edges.insert(r.edges.begin(), id);
      r.begin = lat.edges[id].start;
    }
    while (!on_best[r.end]) {
      int32_t id = paths.bwd_edge[r.end];
      r.edges.push_back(id);
      r.end = lat.edges[id].end;
    }
    regions.push_back(std::move(r));
  }
  if (regions.empty()) return {};

  // 2. Merge overlapping regions into spans; each alternative keeps the best path elsewhere.
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.begin < b.begin; });
  std::vector<Ambiguity> out;
  size_t r0 = 0;
  while (r0 < regions.size()) {
    uint32_t begin = regions[r0].begin, end = regions[r0].end;
    size_t r1 = r0 + 1;
    while (r1 < regions.size() && regions[r1].begin < end) end = std::max(end, regions[r1++].end);

    auto best_edges_in = [&](uint32_t from, uint32_t to) {
      std::vector<int32_t> ids;
      for (int32_t id : best)
        if (lat.edges[id].start >= from && lat.edges[id].end <= to) ids.push_back(id);
      return ids;
    };
    std::map<std::vector<int32_t>, double> seen;
    std::vector<std::vector<int32_t>> order;
    auto add = [&](std::vector<int32_t> ids) {
      std::sort(ids.begin(), ids.end(),
                [&](int32_t a, int32_t b) { return lat.edges[a].start < lat.edges[b].start; });
      if (seen.count(ids)) return;
      seen[ids] = sum_scores(lat, ids);
      order.push_back(std::move(ids));
    };
    add(best_edges_in(begin, end));
    for (size_t r = r0; r < r1; ++r) {
      std::vector<int32_t> ids = regions[r].edges;
      for (int32_t id : best_edges_in(begin, end))
        if (lat.edges[id].end <= regions[r].begin || lat.edges[id].start >= regions[r].end)
          ids.push_back(id);
      add(std::move(ids));
    }
    // The chosen reading stays first; the others by score, then by position for determinism.
    std::stable_sort(order.begin() + 1, order.end(),
                     [&](const auto& a, const auto& b) { return seen[a] > seen[b]; });
    if (order.size() > max_alternatives) order.resize(std::max<size_t>(max_alternatives, 2));
    if (order.size() >= 2) {
      Ambiguity a{begin, end, {}};
      for (const auto& ids : order) {
        Segmentation seg{{}, seen[ids]};
        for (int32_t id : ids) seg.words.push_back({lat.edges[id].start, lat.edges[id].end});
        a.alternatives.push_back(std::move(seg));
      }
      out.push_back(std::move(a));
    }
    r0 = r1;
  }
  return out;
}

}  // namespace zhtok::segment
