// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <dashi/detail/aligned_buffer.hpp>
#include <dashi/simd/cpu_relax.hpp>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

namespace dashi::detail {

/// An index-space job living on its caller's stack, scheduled like OpenMP's `static`
/// schedule with stealing for imbalance. The claims `[0, count)` are cut into one contiguous
/// run per thread that may take part (thread `t` of `T` owns claims `[t·count/T,
/// (t+1)·count/T)`); each thread walks its own run forward, so its memory stream never jumps,
/// and when its run is empty it steals claims one at a time from the end of the other runs,
/// so a slow or absent thread only delays its share. The caller is thread 0; helpers take the
/// next free number when they attach. Which thread runs which index never changes what an
/// index computes: per-index failures collapse into the lowest failing index (its exception
/// is the one the caller sees), whatever the order in which indices ran.
///
/// The runs live in fixed storage (no allocation): with more than `max_runs` threads, the
/// threads above the last run only steal. Batches of `2^32` claims or more fall back to one
/// shared claim counter (a run's bounds are packed into one 64-bit word).
struct Batch {  // NOLINT(clang-analyzer-optin.performance.Padding): cache-line alignment below
  using Invoke = void (*)(void* ctx, std::size_t index);
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_runs = 64;

  Batch(std::size_t count_, const std::size_t* order_, void* ctx_, Invoke invoke_) noexcept
      : count(count_), order(order_), ctx(ctx_), invoke(invoke_) {}

  // Set before the batch is posted (`plan`), then read-only.
  std::size_t count;
  const std::size_t* order;  // claim k runs index order[k]; nullptr → identity
  void* ctx;
  Invoke invoke;
  std::size_t max_helpers = 0;
  std::size_t run_count = 0;      // 0 → one shared counter (`next`)
  Batch* next_in_list = nullptr;  // guarded by the pool's mutex

  // Run r: claims [front, back) still unclaimed, packed as (front << 32) | back.
  alignas(cache_line_bytes) std::array<std::atomic<std::uint64_t>, max_runs> runs{};
  alignas(cache_line_bytes) std::atomic<std::size_t> next{0};
  alignas(cache_line_bytes) std::atomic<std::size_t> finished{0};
  std::atomic<std::size_t> helpers{0};
  std::atomic<std::size_t> lowest_failure{none};
  std::mutex failure_mutex;
  std::exception_ptr failure;  // guarded by failure_mutex

  /// Cuts the claims into one run per thread for `threads` threads (the caller included).
  /// Call once, before any thread works on the batch.
  void plan(std::size_t threads) noexcept {
    if (count > std::numeric_limits<std::uint32_t>::max()) {
      run_count = 0;
      return;
    }
    run_count = std::clamp<std::size_t>(threads, 1, std::min(max_runs, count));
    for (std::size_t r = 0; r < run_count; ++r) {
      runs[r].store(pack(run_start(r), run_start(r + 1)), std::memory_order_relaxed);
    }
  }

  /// The first claim of run `r` (`run_start(run_count) == count`).
  [[nodiscard]] std::size_t run_start(std::size_t r) const noexcept {
    return r * count / run_count;
  }

  [[nodiscard]] bool has_unclaimed() const noexcept {
    if (run_count == 0) {
      return next.load(std::memory_order_relaxed) < count;
    }
    for (std::size_t r = 0; r < run_count; ++r) {
      const std::uint64_t bounds = runs[r].load(std::memory_order_relaxed);
      if (front_of(bounds) < back_of(bounds)) {
        return true;
      }
    }
    return false;
  }

  /// Runs claims until none is left: thread `thread` (0 = the caller, helpers 1, 2, … in the
  /// order they attached) first walks its own run forward, then steals from the end of the
  /// others. Indices above a recorded failure are skipped: they can no longer decide which
  /// exception the caller sees.
  void work(std::size_t thread) noexcept {
    std::size_t done = 0;
    if (run_count == 0) {
      for (std::size_t claim = next.fetch_add(1, std::memory_order_relaxed); claim < count;
           claim = next.fetch_add(1, std::memory_order_relaxed)) {
        run(claim);
        ++done;
      }
    } else {
      if (thread < run_count) {
        for (std::size_t claim = claim_front(thread); claim != none; claim = claim_front(thread)) {
          run(claim);
          ++done;
        }
      }
      for (std::size_t k = 1; k < run_count; ++k) {
        const std::size_t victim = (thread + k) % run_count;
        for (std::size_t claim = claim_back(victim); claim != none; claim = claim_back(victim)) {
          run(claim);
          ++done;
        }
      }
    }
    if (done != 0) {
      finished.fetch_add(done, std::memory_order_acq_rel);
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
  static constexpr unsigned half_bits = 32;

  [[nodiscard]] static constexpr std::uint64_t pack(std::size_t front, std::size_t back) noexcept {
    return (static_cast<std::uint64_t>(front) << half_bits) | static_cast<std::uint64_t>(back);
  }
  [[nodiscard]] static constexpr std::size_t front_of(std::uint64_t bounds) noexcept {
    return static_cast<std::size_t>(bounds >> half_bits);
  }
  [[nodiscard]] static constexpr std::size_t back_of(std::uint64_t bounds) noexcept {
    return static_cast<std::size_t>(bounds & std::numeric_limits<std::uint32_t>::max());
  }

  /// The next claim at the front of run `r`, or `none` when the run is empty.
  std::size_t claim_front(std::size_t r) noexcept {
    std::uint64_t bounds = runs[r].load(std::memory_order_relaxed);
    while (front_of(bounds) < back_of(bounds)) {
      if (runs[r].compare_exchange_weak(bounds, bounds + (std::uint64_t{1} << half_bits),
                                        std::memory_order_relaxed)) {
        return front_of(bounds);
      }
    }
    return none;
  }

  /// The last claim of run `r`, or `none` when the run is empty.
  std::size_t claim_back(std::size_t r) noexcept {
    std::uint64_t bounds = runs[r].load(std::memory_order_relaxed);
    while (front_of(bounds) < back_of(bounds)) {
      if (runs[r].compare_exchange_weak(bounds, bounds - 1, std::memory_order_relaxed)) {
        return back_of(bounds) - 1;
      }
    }
    return none;
  }

  void run(std::size_t claim) noexcept {
    const std::size_t index = order != nullptr ? order[claim] : claim;
    if (index < lowest_failure.load(std::memory_order_relaxed)) {
      try {
        invoke(ctx, index);
      } catch (...) {
        record_failure(index, std::current_exception());
      }
    }
  }

  void record_failure(std::size_t index, std::exception_ptr error) noexcept {
    const std::lock_guard lock(failure_mutex);
    if (index < lowest_failure.load(std::memory_order_relaxed)) {
      lowest_failure.store(index, std::memory_order_relaxed);
      failure = std::move(error);
    }
  }
};

}  // namespace dashi::detail
