// Finding where a lattice holds readings that compete with its best path, and choosing between
// readings whose dictionary words cross with the help of word bigrams.
#pragma once

#include <vector>

#include "segment/lattice.h"
#include "segment/word_bigrams.h"

namespace zhtok::segment {

struct Span {
  uint32_t begin, end;  // rune offsets in the text, end exclusive
};

struct Segmentation {
  std::vector<Span> words;
  double score;
};

struct Ambiguity {
  uint32_t begin, end;                     // rune offsets of the ambiguous span
  std::vector<Segmentation> alternatives;  // of the span only, best (= the chosen one) first
};

// Reused between calls (the segmenter resolves crossings in every window it searches).
struct AmbiguityScratch {
  std::vector<uint8_t> on_best;     // boundaries of the best path
  std::vector<uint32_t> next_best;  // first best-path boundary >= i
  std::vector<int32_t> crossing;    // edges whose words cross the best path
  struct Region {
    uint32_t begin, end;          // both are boundaries of the best path and of the alternative
    std::vector<int32_t> edges;   // the alternative's edges inside
  };
  std::vector<Region> regions;
  std::vector<int32_t> path;
  std::vector<double> tail;         // resolve_crossings: best score from a position to a boundary
  std::vector<int32_t> tail_edge;
};

// lat must be scored and paths.fwd filled (forward_best); best is the best path. Looks at edges
// ending at or before limit. Offsets in the result are relative to the lattice.
std::vector<Ambiguity> find_ambiguities(const Lattice& lat, PathScratch& paths,
                                        const std::vector<int32_t>& best, size_t limit,
                                        double margin, size_t max_alternatives);

// Where a dictionary word crosses the best path (南京/市长 against 南京市/长江), replaces the best
// path's words of that span by the reading with the highest model score plus
// bigrams.weight() times its bigram log-probability (in the context of the words around it).
// Returns whether best changed. lat must be scored and paths.fwd filled.
bool resolve_crossings(const Lattice& lat, const PathScratch& paths, std::vector<int32_t>& best,
                       const WordBigrams& bigrams, AmbiguityScratch& scratch);

}  // namespace zhtok::segment
