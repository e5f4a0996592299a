#include "segment/scorer.h"

#include <cmath>

namespace zhtok::segment {

void Scorer::score_all(const char32_t* cps, const CharClass* cls, Lattice& lat) const {
  score(cps, cls, lat);
  for (size_t k = 0; k < lat.edges.size(); ++k) {
    Edge& e = lat.edges[k];
    if (e.source != EdgeSource::User) continue;
    float s = e.user_freq >= 0 ? user_freq_score(e.user_freq) : NAN;
    if (std::isnan(s)) {
      double inner = best_inner_score(lat, e.start, e.end, static_cast<int32_t>(k));
      // A span no other path crosses (a glued run) has no competitor to beat.
      s = std::isfinite(inner) ? static_cast<float>(inner) + kUserWordMargin : 0.f;
    }
    e.score = s;
  }
}

}  // namespace zhtok::segment
