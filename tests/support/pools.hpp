// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Thread pools shared by the tests of one executable: one per worker count, created on
/// first use and kept until exit, so sweeps over worker counts do not start threads for
/// every case. Thread-safe; throws what the ThreadPool constructor throws
/// (std::system_error).

#include <cstddef>
#include <dashi/execution/thread_pool.hpp>
#include <map>
#include <memory>
#include <mutex>

namespace dashi_test {

/// The executable's pool of `workers` workers.
inline dashi::ThreadPool& pool_of(std::size_t workers) {
  static std::mutex mutex;
  static std::map<std::size_t, std::unique_ptr<dashi::ThreadPool>> pools;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& pool = pools[workers];
  if (!pool) {
    pool = std::make_unique<dashi::ThreadPool>(workers);
  }
  return *pool;
}

/// A pool wider than the machine (7 workers): the sweeps' many-thread case.
inline dashi::ThreadPool& wide_pool() { return pool_of(7); }

}  // namespace dashi_test
