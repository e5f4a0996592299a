// The word lattice of one chunk of text and the searches over it: best path, k best paths,
// and best scores from either end. The lattice knows nothing about how edges are scored: a
// Scorer fills Edge::score, so scoring models can be swapped without touching the search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/char_class.h"

namespace zhtok::segment {

class DictTrie;
class UserDict;

enum class EdgeSource : uint8_t {
  Dict,  // a word of the model's dictionary
  User,  // a word of the segmenter's user dictionary
  Free,  // a candidate word outside every dictionary (single units, or longer for some models)
};

struct Edge {
  Edge() = default;
  // A constructor, not an aggregate: emplace_back then writes the fields straight into the
  // vector. A pushed temporary was assembled on the stack field by field and copied with one
  // 16-byte load, which cannot take its bytes from those narrower stores (a store-forwarding
  // stall at every edge: a fifth of Lattice::build's time).
  Edge(uint32_t start_, uint32_t end_, float score_, int32_t word_id_, float user_freq_, EdgeSource source_)
      : start(start_), end(end_), score(score_), word_id(word_id_), user_freq(user_freq_), source(source_) {}
  uint32_t start, end;  // rune offsets in the chunk, end exclusive
  float score;          // filled by the scorer; higher is better
  int32_t word_id;      // dictionary id for Dict edges, else -1
  float user_freq;      // User edges: frequency given by the user, or < 0 for "make it win"
  EdgeSource source;
};

// Edges over runes [0, n) of a chunk, grouped by start position.
struct Lattice {
  size_t n = 0;
  std::vector<Edge> edges;             // sorted by start; from each start, user and dictionary
                                       // words first, then free words
  std::vector<uint32_t> first_edge;    // edges from i: [first_edge[i], first_edge[i + 1])
  std::vector<uint8_t> boundary_ok;    // boundary_ok[i]: a word may start or end before rune i
  std::vector<uint8_t> stops;          // build's: how rune i stops free words (kStopAround, kStopBefore)
  std::vector<uint32_t> deleted_ends;  // build's: ends of the user-deleted words from one start
  bool has_user_edges = false;         // whether build or add_edge added any User edge
  static constexpr uint8_t kStopAround = 1, kStopBefore = 2;

  // Builds the edges of cps[0..n): dictionary and user words that match at an allowed boundary,
  // plus free words of 1..max_free_units units (a unit = a rune, or a whole glued run such as
  // "iPhone15"). A user word replaces a dictionary or free edge with the same span; words the
  // user deleted are left out. A free word of 2+ units holds no phrase punctuation (，。“” ,;?!"
  // brackets, a slash not between letters or digits) unless free_across_punct: the trainer's
  // lattices keep those candidates, so the model learns to reject them (one trained without them
  // scored the same F1 but lost an ambiguity case and glued U+FFFD to a word), and the segmenter
  // never offers them. Nor does one run into a signed number after a word (多云/－5), in either.
  void build(const char32_t* cps, const CharClass* cls, size_t n, const DictTrie& dict,
             const UserDict& user, int max_free_units, bool free_across_punct);

  // Removes the edges for which drop(edge) is true, keeping the grouping by start.
  template <typename Drop>
  void remove_edges_if(Drop&& drop) {
    size_t out = 0;
    for (size_t i = 0; i < n; ++i) {
      size_t b = first_edge[i], e = first_edge[i + 1];
      first_edge[i] = static_cast<uint32_t>(out);
      for (size_t k = b; k < e; ++k)
        if (!drop(edges[k])) edges[out++] = edges[k];
    }
    first_edge[n] = static_cast<uint32_t>(out);
    edges.resize(out);
  }

  // Inserts an edge after the build, keeping the grouping by start (a trainer adds gold words
  // the build did not propose).
  void add_edge(const Edge& e);

  const Edge* begin_at(size_t i) const { return edges.data() + first_edge[i]; }
  const Edge* end_at(size_t i) const { return edges.data() + first_edge[i + 1]; }
};

// Scratch space for searches, reused across chunks to avoid allocations.
struct PathScratch {
  std::vector<double> fwd, bwd;        // best score of a path from 0 to i / from i to n
  std::vector<int32_t> fwd_edge, bwd_edge;
};

// Fills fwd/fwd_edge (best path into each position); returns the best total score.
double forward_best(const Lattice& lat, PathScratch& s);
// Fills bwd/bwd_edge (best path from each position to the end).
void backward_best(const Lattice& lat, PathScratch& s);
// Edge indices of the best path, in order (after forward_best); the first form reuses path's
// memory (the segmenter's, call after call).
void best_path(const Lattice& lat, const PathScratch& s, std::vector<int32_t>& path);
std::vector<int32_t> best_path(const Lattice& lat, const PathScratch& s);

struct ScoredPath {
  std::vector<int32_t> edges;  // edge indices in order
  double score;
};
// The k best paths, best first; ties broken by edge order, so results are deterministic.
std::vector<ScoredPath> k_best_paths(const Lattice& lat, size_t k);

// Best score of a path over [from, to) that does not use edge skip; -inf if there is none.
double best_inner_score(const Lattice& lat, size_t from, size_t to, int32_t skip);

}  // namespace zhtok::segment
