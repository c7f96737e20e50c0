// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Concurrency observation (never a timing assertion: waits only give other threads the
/// chance to show up, and the tests assert upper bounds or eventual progress). Thread-safe;
/// throws nothing.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>

namespace dashi_test {

/// Counts how many threads are inside `enter` at once and keeps the maximum seen.
class ConcurrencyProbe {
 public:
  /// Marks a thread as active, waits until `target` threads are active (or `patience`
  /// passes), stays `hold` longer so that threads over a cap would be seen, then leaves.
  void enter(std::size_t target, std::chrono::microseconds patience,
             std::chrono::microseconds hold) {
    const std::size_t now = active_.fetch_add(1) + 1;
    std::size_t seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (active_.load() < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::this_thread::sleep_for(hold);
    active_.fetch_sub(1);
  }
  [[nodiscard]] std::size_t max_active() const noexcept { return max_.load(); }

 private:
  std::atomic<std::size_t> active_{0};
  std::atomic<std::size_t> max_{0};
};

}  // namespace dashi_test
