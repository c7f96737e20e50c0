// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstddef>
#include <dashi/detail/aligned_buffer.hpp>
#include <dashi/simd/cpu_relax.hpp>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

namespace dashi::detail {

/// An index-space job living on its caller's stack: threads claim indices with one atomic
/// increment each, and per-index failures collapse into the lowest failing index (its
/// exception is the one the caller sees). Workers attach and detach through `helpers`.
/// The padding is deliberate: `next` (bumped by every claim) and `finished` (bumped by every
/// completion) sit on cache lines of their own, apart from the read-only fields every worker
/// reads, so that claiming does not keep invalidating them.
struct Batch {  // NOLINT(clang-analyzer-optin.performance.Padding): cache-line alignment above
  using Invoke = void (*)(void* ctx, std::size_t index);
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  Batch(std::size_t count_, const std::size_t* order_, void* ctx_, Invoke invoke_) noexcept
      : count(count_), order(order_), ctx(ctx_), invoke(invoke_) {}

  // Set before the batch is posted, then read-only.
  std::size_t count;
  const std::size_t* order;  // claim k runs index order[k]; nullptr → identity
  void* ctx;
  Invoke invoke;
  std::size_t max_helpers = 0;
  Batch* next_in_list = nullptr;  // guarded by the pool's mutex

  alignas(cache_line_bytes) std::atomic<std::size_t> next{0};
  alignas(cache_line_bytes) std::atomic<std::size_t> finished{0};
  std::atomic<std::size_t> helpers{0};
  std::atomic<std::size_t> lowest_failure{none};
  std::mutex failure_mutex;
  std::exception_ptr failure;  // guarded by failure_mutex

  [[nodiscard]] bool has_unclaimed() const noexcept {
    return next.load(std::memory_order_relaxed) < count;
  }

  /// Claims and runs indices until none is left. Indices above a recorded failure are
  /// skipped: they can no longer decide which exception the caller sees.
  void work() noexcept {
    for (;;) {
      const std::size_t claim = next.fetch_add(1, std::memory_order_relaxed);
      if (claim >= count) {
        return;
      }
      const std::size_t index = order != nullptr ? order[claim] : claim;
      if (index < lowest_failure.load(std::memory_order_relaxed)) {
        try {
          invoke(ctx, index);
        } catch (...) {
          record_failure(index, std::current_exception());
        }
      }
      finished.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  /// Waits until every index has run (or was skipped), spinning then yielding.
  void wait_finished() const noexcept {
    for (unsigned round = 0; finished.load(std::memory_order_acquire) != count; ++round) {
      if (round < 4096) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
  }

  void rethrow_failure() const {
    if (failure) {
      std::rethrow_exception(failure);
    }
  }

 private:
  void record_failure(std::size_t index, std::exception_ptr error) noexcept {
    const std::lock_guard lock(failure_mutex);
    if (index < lowest_failure.load(std::memory_order_relaxed)) {
      lowest_failure.store(index, std::memory_order_relaxed);
      failure = std::move(error);
    }
  }
};

}  // namespace dashi::detail
