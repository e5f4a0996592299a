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

// This thread's own T, made on first use. Take it once per call and keep the reference: GCC
// looks a thread_local up again (a call to __tls_get_addr, in a shared library) at each use of
// its name after any call, 25 times in one PerceptronScorer::score; out of line, the address
// is computed once.
template <typename T>
[[gnu::noinline]] T& per_thread() {
  thread_local T instance;
  return instance;
}

}  // namespace zhtok
