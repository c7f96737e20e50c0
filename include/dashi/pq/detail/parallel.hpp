// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The one place where the PQ codec runs work on several threads: the process-wide
/// `ThreadPool` (`default_thread_pool()`), so calls create no threads of their own; the first
/// parallel call starts the pool's workers.

#include <cstddef>
#include <dashi/execution/thread_pool.hpp>
#include <utility>

namespace dashi::pq::detail {

/// Runs `f(i)` once for every task index `i` in `[0, tasks)` on up to `workers` threads of
/// `default_thread_pool()`, the calling thread included (0 → the pool's size, as everywhere:
/// see `<dashi/execution/thread_pool.hpp>`), and returns when all have finished. With
/// `workers == 1` or a single task everything runs inline, in index order.
///
/// Tasks must not share writable state. When tasks throw, the exception of the lowest
/// failing index is rethrown (tasks above it may be skipped). Throws `std::system_error` (or
/// `std::bad_alloc`) when the default pool's threads, started by the first call that needs
/// them, cannot start.
template <class F>
void parallel_for_tasks(std::size_t tasks, std::size_t workers, F&& f) {
  if (workers == 1 || tasks <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) {
      f(i);
    }
    return;
  }
  default_thread_pool().parallel_for(tasks, std::forward<F>(f), workers);
}

}  // namespace dashi::pq::detail
