#include "segment/scorer.h"

#include <cmath>

namespace zhtok::segment {

void Scorer::score_all(const char32_t* cps, const CharClass* cls, Lattice& lat) const {
  score(cps, cls, lat);
  if (!lat.has_user_edges) return;
  for (size_t k = 0; k < lat.edges.size(); ++k) {
    Edge& e = lat.edges[k];
    if (e.source != EdgeSource::User || e.user_freq >= 0) continue;
    double inner = best_inner_score(lat, e.start, e.end, static_cast<int32_t>(k));
    // A span no other path crosses (a glued run) has no competitor to beat.
    e.score = std::isfinite(inner) ? static_cast<float>(inner) + kUserWordMargin : 0.f;
  }
}

}  // namespace zhtok::segment
