// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The one place where the PQ codec runs work on several threads.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace dashi::detail {

/// Runs `f(i)` once for every task index `i` in `[0, tasks)` on up to `workers`
/// threads (the calling thread is one of them) and returns when all have finished.
/// With `workers <= 1` or a single task everything runs inline, in index order.
///
/// Tasks must not share writable state. When tasks throw, every task still runs and
/// the exception of the lowest failing index is rethrown (inline runs stop at the
/// first failure, which is the lowest index too). If the system refuses to start a
/// thread, the threads already running (at least the caller) do the remaining tasks.
template <class F>
void pq_parallel_for(std::size_t tasks, std::size_t workers, F&& f) {
  if (workers <= 1 || tasks <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) {
      f(i);
    }
    return;
  }
  const std::size_t threads = std::min(workers, tasks);
  std::vector<std::exception_ptr> errors(tasks);
  std::atomic<std::size_t> next{0};
  auto drain = [&]() noexcept {
    for (;;) {
      const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= tasks) {
        return;
      }
      try {
        f(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    helpers.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) {
      try {
        helpers.emplace_back(drain);
      } catch (const std::system_error&) {
        break;  // run with the threads we have; the caller drains the rest
      }
    }
    drain();
  }  // joins the helpers
  for (const auto& error : errors) {
    if (error) {
      std::rethrow_exception(error);
    }
  }
}

}  // namespace dashi::detail
