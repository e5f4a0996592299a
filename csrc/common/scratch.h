// Per-thread scratch vectors are kept between calls, so that short inputs do not pay for a
// dozen allocations each. One that grew for an unusually large input (a glued run of
// megabytes, which the segmenter keeps in one window) is freed after the call, so that a
// thread does not hold that memory for the rest of its life.
#pragma once

#include <cstddef>
#include <type_traits>

namespace zhtok {

constexpr size_t kKeepScratchElements = size_t(1) << 18;

template <typename... Vec>
void release_if_large(Vec&... v) {
  ((v.capacity() > kKeepScratchElements ? std::decay_t<Vec>().swap(v) : void()), ...);
}

}  // namespace zhtok
