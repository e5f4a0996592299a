// Finding where a lattice holds readings that compete with its best path.
#pragma once

#include <vector>

#include "segment/lattice.h"
#include "segment/segmenter.h"

namespace zhtok::segment {

// lat must be scored and paths.fwd filled (forward_best); best is the best path. Looks at edges
// ending at or before limit. Offsets in the result are relative to the lattice.
std::vector<Ambiguity> find_ambiguities(const Lattice& lat, PathScratch& paths,
                                        const std::vector<int32_t>& best, size_t limit,
                                        double margin, size_t max_alternatives);

}  // namespace zhtok::segment
