// Runs fn(i) for i in [0, n) on a pool made for this call (no global pool: fork-safe, and the
// caller picks the thread count). The first exception, by item index, is rethrown after join.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <pybind11/pybind11.h>

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

// Runs work(i, t) for i in [0, n) on `threads` threads (t: 0 for the calling thread, which
// holds the GIL, 1.. for the others, so that work can keep results per thread for this call)
// and calls emit(i) on the calling thread for each item in input order as soon as it is done:
// building Python results overlaps with the work instead of following it, which is what keeps
// 2 threads near 2x. The calling thread works (without the GIL) whenever the next item to emit
// is not ready, so exactly `threads` threads are busy. A failed item's exception is rethrown
// (after the other threads are joined) when its turn comes; the items after it are not
// emitted.
template <typename Work, typename Emit>
void parallel_ordered(size_t n, size_t threads, Work&& work, Emit&& emit) {
  constexpr size_t kNobody = SIZE_MAX;
  std::unique_ptr<std::atomic<bool>[]> done(new std::atomic<bool>[n]);
  for (size_t i = 0; i < n; ++i) done[i].store(false, std::memory_order_relaxed);
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  // The item the calling thread sleeps on, if any. A finished item takes the mutex only when
  // it is that one, not every time: on a shared machine a thread descheduled while holding a
  // mutex taken per item stalls the other (short lines, a few microseconds each, ran slower
  // on 2 threads than on 1 in such spells). Both sides store, then load the other's flag, in
  // sequentially consistent order, so one of them sees the other: no lost wake-up.
  std::atomic<size_t> waiting_on{kNobody};
  std::mutex mu;
  std::condition_variable cv;
  // Items are taken a few at a time, so that two threads seldom write results into the same
  // cache line (a line's worth of short texts is a few microseconds of work).
  const size_t block = std::clamp<size_t>(n / (threads * 64), 1, 16);
  // Runs the next block of items if any is left; false when all are taken.
  auto run_one = [&](size_t t) {
    size_t first = next.fetch_add(block);
    if (first >= n) return false;
    for (size_t i = first; i < std::min(n, first + block); ++i) {
      try {
        work(i, t);
      } catch (...) {
        errors[i] = std::current_exception();
      }
      done[i].store(true);
      if (waiting_on.load() == i) {
        std::lock_guard<std::mutex> lock(mu);
        cv.notify_one();
      }
    }
    return true;
  };
  std::vector<std::thread> pool;
  struct Joiner {  // joins on every way out, exceptions included
    std::vector<std::thread>& pool;
    std::atomic<size_t>& next;
    size_t n;
    ~Joiner() {
      next.store(n);  // no new items
      pybind11::gil_scoped_release release;
      for (auto& th : pool) th.join();
    }
  } joiner{pool, next, n};
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back([&run_one, t] { while (run_one(t)) {} });
  for (size_t i = 0; i < n; ++i) {
    if (!done[i].load(std::memory_order_acquire)) {
      pybind11::gil_scoped_release release;
      while (!done[i].load(std::memory_order_acquire) && run_one(0)) {}
      std::unique_lock<std::mutex> lock(mu);
      waiting_on.store(i);
      cv.wait(lock, [&] { return done[i].load(); });
      waiting_on.store(kNobody);
    }
    if (errors[i]) std::rethrow_exception(errors[i]);
    emit(i);
  }
}

}  // namespace zhtok::bindings
