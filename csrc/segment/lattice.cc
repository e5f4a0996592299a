#include "segment/lattice.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "segment/dict_trie.h"
#include "segment/user_dict.h"

namespace zhtok::segment {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Punctuation that ends a phrase or encloses one: no out-of-dictionary word holds it beside
// other runes. Without this rule, text unlike the training text's (ASCII quotes in Chinese,
// full-width Latin in traditional text) came out as "Data"选项卡 or 「ＤＨｏｔｅｌ. Periods,
// colons, apostrophes, hyphens and slashes are not here: they sit inside URLs, times,
// contractions and compounds.
bool phrase_punct(char32_t c) {
  if (c >= 0x3400 && c < 0xFF00) return false;  // Han (most text) without the switch
  switch (c) {
    case U',': case U';': case U'?': case U'!': case U'"': case U'(': case U')': case U'[':
    case U']': case U'{': case U'}':
    case U'\u3001': case U'\u3002': case U'\uFF0C': case U'\uFF1B': case U'\uFF1A':
    case U'\uFF1F': case U'\uFF01': case U'\uFF02': case U'\uFF08': case U'\uFF09':
    case U'\u201C': case U'\u201D': case U'\u300A': case U'\u300B': case U'\u300C':
    case U'\u300D': case U'\u300E': case U'\u300F': case U'\u3010': case U'\u3011':
    case U'\u3008': case U'\u3009': case U'\u3014': case U'\u3015':
      return true;
    default:
      return false;
  }
}

bool is_minus(char32_t c) { return c == U'-' || c == U'\u2212'; }
}  // namespace

void Lattice::build(const char32_t* cps, const CharClass* cls, size_t len, const DictTrie& dict,
                    const UserDict& user, int max_free_units, bool free_across_punct) {
  n = len;
  edges.clear();
  has_user_edges = false;
  first_edge.assign(n + 1, 0);
  boundary_ok.assign(n + 1, 1);
  for (size_t i = 1; i < n; ++i) boundary_ok[i] = !glued(cls[i - 1], cls[i]);
  // A decimal point between digits (3.14, １．５) belongs to the number.
  for (size_t i = 1; i + 1 < n; ++i)
    if ((cps[i] == U'.' || cps[i] == U'\uFF0E') && cls[i - 1] == CharClass::Digit &&
        cls[i + 1] == CharClass::Digit)
      boundary_ok[i] = boundary_ok[i + 1] = 0;
  // So does a minus sign before digits (-5, －１．２, −3; the normalizer makes － a '-'): no
  // training text of the bakeoff parts them (PKU glues all 94).
  for (size_t i = 0; i + 1 < n; ++i)
    if (is_minus(cps[i]) && cls[i + 1] == CharClass::Digit) boundary_ok[i + 1] = 0;
  // What stops a free word of 2+ units, looked up once per rune rather than twice per free
  // word tried (a dozen times per rune). kStopAround: phrase punctuation, held beside no other
  // rune (all clear when free words may hold punctuation); a slash joins letters and digits
  // (TCP/IP, 3/4, km/h) but beside anything else parts them like a comma (2℃/8℃: free words ℃/
  // came and went with retraining). kStopBefore: a signed number after a word (多云－5℃,
  // weather then a temperature) starts a word of its own; the few signed numbers in training
  // text left the model rating 多云－5 above 多云/－5. After a letter or digit the sign is a
  // hyphen (SG-210).
  stops.resize(n);
  for (size_t i = 0; i < n; ++i) {
    bool inner = i > 0 && i + 1 < n;
    bool slash = cps[i] == U'/' && !(inner && is_alnum(cls[i - 1]) && is_alnum(cls[i + 1]));
    bool sign = inner && is_minus(cps[i]) && cls[i + 1] == CharClass::Digit && !is_alnum(cls[i - 1]);
    stops[i] = uint8_t((!free_across_punct && (phrase_punct(cps[i]) || slash) ? kStopAround : 0) |
                       (sign ? kStopBefore : 0));
  }

  for (size_t i = 0; i < n; ++i) {
    first_edge[i] = static_cast<uint32_t>(edges.size());
    if (!boundary_ok[i]) continue;
    size_t from = edges.size();
    user.for_each_prefix(cps + i, n - i, [&](size_t len_, float freq) {
      if (boundary_ok[i + len_]) {
        edges.emplace_back(uint32_t(i), uint32_t(i + len_), 0.f, -1, freq, EdgeSource::User);
        has_user_edges = true;
      }
    });
    size_t users_end = edges.size();
    auto has_user_edge = [&](size_t end) {
      for (size_t k = from; k < users_end; ++k)
        if (edges[k].end == end) return true;
      return false;
    };
    // A word the user deleted is not proposed as a new word either (a free word of one unit
    // still is: every position must be left).
    deleted_ends.clear();
    dict.for_each_prefix(cps + i, n - i, [&](size_t len_, int32_t wid) {
      size_t end = i + len_;
      if (!boundary_ok[end]) return;
      if (user.is_deleted(wid))
        deleted_ends.push_back(static_cast<uint32_t>(end));
      else if (!has_user_edge(end))
        edges.emplace_back(uint32_t(i), uint32_t(end), 0.f, wid, -1.f, EdgeSource::Dict);
    });
    // Ends already taken from i, as a bit mask of end - i (a word of 64+ runes is rare: scan).
    uint64_t taken = 0;
    for (size_t k = from; k < edges.size(); ++k)
      if (edges[k].end - i < 64) taken |= uint64_t(1) << (edges[k].end - i);
    auto is_taken = [&](size_t end) {
      if (end - i < 64) return ((taken >> (end - i)) & 1) != 0;
      for (size_t k = from; k < edges.size(); ++k)
        if (edges[k].end == end) return true;
      return false;
    };
    // Free words of 1..max_free_units units; the first unit is always added so that every
    // position can be left. A longer one stops before phrase punctuation (and after it) and
    // before a signed number.
    size_t end = i;
    for (int u = 0; u < max_free_units && end < n; ++u) {
      if (u > 0 && ((stops[end - 1] & kStopAround) | stops[end])) break;
      ++end;
      while (end < n && !boundary_ok[end]) ++end;
      if (!is_taken(end) && (u == 0 || deleted_ends.empty() ||
                             std::find(deleted_ends.begin(), deleted_ends.end(), end) == deleted_ends.end()))
        edges.emplace_back(uint32_t(i), uint32_t(end), 0.f, -1, -1.f, EdgeSource::Free);
    }
  }
  first_edge[n] = static_cast<uint32_t>(edges.size());
}

void Lattice::add_edge(const Edge& e) {
  size_t at = first_edge[e.start + 1];
  if (e.source != EdgeSource::Free)  // before the free words of its start
    while (at > first_edge[e.start] && edges[at - 1].source == EdgeSource::Free) --at;
  edges.insert(edges.begin() + at, e);
  has_user_edges |= e.source == EdgeSource::User;
  for (size_t i = e.start + 1; i <= n; ++i) ++first_edge[i];
}

double forward_best(const Lattice& lat, PathScratch& s) {
  s.fwd.assign(lat.n + 1, kNegInf);
  s.fwd_edge.assign(lat.n + 1, -1);
  s.fwd[0] = 0;
  for (size_t i = 0; i < lat.n; ++i) {
    if (s.fwd[i] == kNegInf) continue;
    for (const Edge* e = lat.begin_at(i); e != lat.end_at(i); ++e) {
      double cand = s.fwd[i] + e->score;
      if (cand > s.fwd[e->end]) {
        s.fwd[e->end] = cand;
        s.fwd_edge[e->end] = static_cast<int32_t>(e - lat.edges.data());
      }
    }
  }
  return s.fwd[lat.n];
}

void backward_best(const Lattice& lat, PathScratch& s) {
  s.bwd.assign(lat.n + 1, kNegInf);
  s.bwd_edge.assign(lat.n + 1, -1);
  s.bwd[lat.n] = 0;
  for (size_t i = lat.n; i-- > 0;) {
    for (const Edge* e = lat.begin_at(i); e != lat.end_at(i); ++e) {
      double cand = e->score + s.bwd[e->end];
      if (cand > s.bwd[i]) {
        s.bwd[i] = cand;
        s.bwd_edge[i] = static_cast<int32_t>(e - lat.edges.data());
      }
    }
  }
}

void best_path(const Lattice& lat, const PathScratch& s, std::vector<int32_t>& path) {
  path.clear();
  for (size_t j = lat.n; j > 0;) {
    int32_t e = s.fwd_edge[j];
    if (e < 0) throw Error(ErrorKind::Internal, "no segmentation path: edge scores are not finite");
    path.push_back(e);
    j = lat.edges[e].start;
  }
  std::reverse(path.begin(), path.end());
}

std::vector<int32_t> best_path(const Lattice& lat, const PathScratch& s) {
  std::vector<int32_t> path;
  best_path(lat, s, path);
  return path;
}

std::vector<ScoredPath> k_best_paths(const Lattice& lat, size_t k) {
  if (k == 0) return {};
  // Each position keeps its k best partial paths as (score, last edge, rank at the edge's start).
  struct Entry { double score; int32_t edge; uint32_t prev_rank; };
  std::vector<std::vector<Entry>> best(lat.n + 1);
  best[0].push_back({0.0, -1, 0});
  for (size_t i = 0; i < lat.n; ++i) {
    for (const Edge* e = lat.begin_at(i); e != lat.end_at(i); ++e) {
      auto& dst = best[e->end];
      for (uint32_t r = 0; r < best[i].size(); ++r) {
        Entry cand{best[i][r].score + e->score, static_cast<int32_t>(e - lat.edges.data()), r};
        if (dst.size() == k && cand.score <= dst.back().score) break;  // best[i] is sorted
        auto pos = std::upper_bound(dst.begin(), dst.end(), cand,
                                    [](const Entry& a, const Entry& b) { return a.score > b.score; });
        dst.insert(pos, cand);
        if (dst.size() > k) dst.pop_back();
      }
    }
  }
  std::vector<ScoredPath> out;
  for (uint32_t r = 0; r < best[lat.n].size(); ++r) {
    ScoredPath p{{}, best[lat.n][r].score};
    size_t j = lat.n;
    uint32_t rank = r;
    while (j > 0) {
      const Entry& en = best[j][rank];
      p.edges.push_back(en.edge);
      j = lat.edges[en.edge].start;
      rank = en.prev_rank;
    }
    std::reverse(p.edges.begin(), p.edges.end());
    out.push_back(std::move(p));
  }
  return out;
}

double best_inner_score(const Lattice& lat, size_t from, size_t to, int32_t skip) {
  std::vector<double> best(to - from + 1, kNegInf);
  best[0] = 0;
  for (size_t i = from; i < to; ++i) {
    if (best[i - from] == kNegInf) continue;
    for (const Edge* e = lat.begin_at(i); e != lat.end_at(i); ++e) {
      if (e->end > to || (e - lat.edges.data()) == skip) continue;
      best[e->end - from] = std::max(best[e->end - from], best[i - from] + e->score);
    }
  }
  return best[to - from];
}

}  // namespace zhtok::segment
