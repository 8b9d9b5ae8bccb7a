// Running a fixed number of workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace stratum::detail {

/// Runs work(0), ..., work(threads - 1): on the calling thread when threads <= 1, else one std::thread each.
/// Every worker runs to its end; then the exception of the lowest-numbered worker that threw, if any, is
/// rethrown (an exception escaping a std::thread would call std::terminate).
template <class Work>
void run_workers(unsigned threads, Work&& work) {
  if (threads <= 1) {
    work(0u);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  auto body = [&work, &errors](unsigned t) {
    try {
      work(t);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  try {
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(body, t);
  } catch (...) {  // a thread could not be started: wait for those that were, then report
    for (auto& th : pool) th.join();
    throw;
  }
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Counts one finished unit of work (a bootstrap replicate); worker 0 calls `progress`, when set, with the
/// number finished so far by all workers.
inline void count_done(const std::function<void(std::size_t)>& progress, std::atomic<std::size_t>& done,
                       unsigned worker) {
  const std::size_t n = done.fetch_add(1, std::memory_order_relaxed) + 1;
  if (progress && worker == 0) progress(n);
}

}  // namespace stratum::detail
