// Runs fn(i) for i in [0, n) on a pool made for this call (no global pool: fork-safe, and the
// caller picks the thread count). The first exception, by item index, is rethrown after join.
#pragma once

#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace zhtok::bindings {

template <typename Fn>
void parallel_for(size_t n, size_t threads, Fn&& fn) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace zhtok::bindings
