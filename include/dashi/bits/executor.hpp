// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The executor on bit planes, in namespace `dashi` beside the dense overloads:
/// `run_kernel_parallel` and `run_kernel_iterated` for any `bits::BitKernel`. Same algorithm
/// and guarantees as the dense executor (partition, halos, `Boundary::periodic`, temporal
/// blocking, the contract checked with word operations, the exception of the lowest failing
/// block, nesting, the shared pool); for rank 1 blocks and halos are whole 64-site words.
/// `unpack(run_kernel_parallel(k, pack(x), o)) == run_kernel_parallel(k, x, o)` byte for byte.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/advance.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/bits/kernel.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/partition.hpp>
#include <exception>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace dashi {

namespace bits::detail {

[[nodiscard]] inline bool overlaps(const std::uint64_t* a, const std::uint64_t* b,
                                   std::size_t words) noexcept {
  if (words == 0) {
    return false;
  }
  const auto a0 = reinterpret_cast<std::uintptr_t>(a);
  const auto b0 = reinterpret_cast<std::uintptr_t>(b);
  const std::uintptr_t bytes = words * sizeof(std::uint64_t);
  return a0 < b0 + bytes && b0 < a0 + bytes;
}

/// True when a plane of `out` overlaps a plane of `in` (both of `words` words).
[[nodiscard]] inline bool planes_overlap(BitView in, BitView out) noexcept {
  const std::size_t w = in.words();
  return overlaps(in.support_data(), out.support_data(), w) ||
         overlaps(in.support_data(), out.sign_data(), w) ||
         overlaps(in.sign_data(), out.support_data(), w) ||
         overlaps(in.sign_data(), out.sign_data(), w);
}

/// Validates options against the kernel and the planes and returns the effective halo;
/// throws `std::invalid_argument` naming `where`.
template <class K>
std::size_t checked_bit_halo(const char* where, BitView input, BitView output,
                             const ParallelOptions& options) {
  static_assert(BitKernel<K>, DASHI_BIT_KERNEL_REQUIREMENT);
  constexpr std::size_t radius = kernel_radius_v<K>;
  const std::size_t requested = options.halo.value_or(radius);
  if (requested < radius) {
    throw std::invalid_argument(std::string(where) + ": halo " + std::to_string(requested) +
                                " is below the kernel's radius " + std::to_string(radius));
  }
  if (!(input.shape() == output.shape())) {
    throw std::invalid_argument(std::string(where) + ": output shape " +
                                output.shape().to_string() + " differs from input shape " +
                                input.shape().to_string());
  }
  if (planes_overlap(input, output)) {
    throw std::invalid_argument(std::string(where) +
                                ": output overlaps the input; use a separate field");
  }
  return dashi::detail::effective_halo(requested, radius, input.shape().rows());
}

/// One pass of the executor on planes; `order`, when not empty, is the order in which blocks
/// are claimed (results never depend on it).
template <class K>
void run_bits_ordered(ThreadPool& pool, const K& kernel, BitView input, BitSpan output,
                      const ParallelOptions& options, std::span<const std::size_t> order) {
  const std::size_t halo =
      checked_bit_halo<K>("dashi::run_kernel_parallel", input, output.view(), options);
  const Partition partition = bit_partition(input.shape(), options.requested_block_sites());
  const std::size_t blocks = partition.block_count();
  if (!order.empty() && order.size() != blocks) {
    throw std::invalid_argument("dashi::run_kernel_parallel: block order has " +
                                std::to_string(order.size()) + " entries for " +
                                std::to_string(blocks) + " blocks");
  }
  const std::size_t threads =
      dashi::detail::resolve_threads(pool, options.num_workers, input.size());
  auto body = [&](std::size_t index) {
    std::size_t step = 0;
    advance_bit_block(kernel, input, output, partition, index, halo, 1, options, step);
  };
  if (order.empty()) {
    pool.parallel_for(blocks, body, threads);
  } else {
    pool.parallel_for_in_order(order, body, threads);
  }
}

/// One synchronisation of `count` steps from `from` into `to`, run step by step as with
/// `steps_per_sync = 1` (through a scratch field): rethrows the failure such a run reports
/// (earliest step, then lowest block), or leaves the result in `to` when no step fails so.
template <class K>
void rerun_bits_step_by_step(ThreadPool& pool, const K& kernel, BitView from, BitSpan to,
                             const Partition& partition, std::size_t halo, std::size_t count,
                             const ParallelOptions& options, std::size_t threads) {
  BitField scratch = BitField::uninitialized(from.shape());
  const std::array<BitSpan, 2> buffers = {to, scratch.span()};
  BitView current = from;
  for (std::size_t step = 0; step < count; ++step) {
    const BitSpan next = buffers[(count - 1 - step) % 2];
    pool.parallel_for(  // rethrows the exception of the lowest failing block
        partition.block_count(),
        [&](std::size_t index) {
          std::size_t step_reached = 0;
          advance_bit_block(kernel, current, next, partition, index, halo, 1, options,
                            step_reached);
        },
        threads);
    current = next.view();
  }
}

/// The first failure of a block during one synchronisation: the step it happened at.
struct BitStepFailure {
  std::size_t step = std::numeric_limits<std::size_t>::max();
  std::exception_ptr error;
};

/// `steps` applications from `input` in synchronisations of `steps_per_sync`, ping-ponging
/// between `output` and `spare` so that the last lands in `output`.
template <class K>
void iterate_bits_into(ThreadPool& pool, const K& kernel, BitView input, std::size_t steps,
                       BitSpan output, BitSpan spare, const IterateOptions& options,
                       std::size_t halo) {
  if (steps == 0 || input.size() == 0) {
    copy_rows(input, 0, output, 0, input.shape().rows());
    return;
  }
  const Partition partition = bit_partition(input.shape(), options.requested_block_sites());
  const std::size_t blocks = partition.block_count();
  const std::size_t threads =
      dashi::detail::resolve_threads(pool, options.num_workers, input.size());
  const std::size_t per_sync = dashi::detail::effective_steps_per_sync(
      options.steps_per_sync, halo, input.shape().rows(), options.boundary);
  const std::size_t syncs = dashi::detail::sync_count(steps, per_sync);
  std::vector<BitStepFailure> failures(blocks);
  const std::array<BitSpan, 2> buffers = {output, spare};
  BitView from = input;
  std::size_t done = 0;
  for (std::size_t sync = 0; sync < syncs; ++sync) {
    const std::size_t count = std::min(per_sync, steps - done);
    const BitSpan to = buffers[(syncs - 1 - sync) % 2];
    std::fill(failures.begin(), failures.end(), BitStepFailure{});
    pool.parallel_for(
        blocks,
        [&](std::size_t index) {
          std::size_t step_reached = 0;
          try {
            advance_bit_block(kernel, from, to, partition, index, halo, count, options,
                              step_reached);
          } catch (...) {
            failures[index] = {step_reached, std::current_exception()};
          }
        },
        threads);
    // The earliest step fails first, then the lowest block: as in a step-by-step run. With
    // temporal blocking a block also computes its neighbours' halo rows, so the failure is
    // found again step by step from the synchronisation's input (failures are rare).
    const auto first_failure = std::min_element(
        failures.begin(), failures.end(),
        [](const BitStepFailure& a, const BitStepFailure& b) { return a.step < b.step; });
    if (first_failure != failures.end() && first_failure->error) {
      if (count == 1) {
        std::rethrow_exception(first_failure->error);
      }
      rerun_bits_step_by_step(pool, kernel, from, to, partition, halo, count, options, threads);
    }
    done += count;
    from = to.view();
  }
}

}  // namespace bits::detail

/// Runs the bit kernel `kernel` block-parallel on `pool`, writing into `output` (the input's
/// shape, not overlapping it). Throws `std::invalid_argument` for bad options (halo below the
/// kernel's radius, shape mismatch, overlapping planes), `KernelContractError` when a block
/// creates support or writes non-canonical planes, and otherwise rethrows, unchanged, the
/// exception of the lowest-index failing block. The pool stays usable. Thread-safe, also from
/// inside kernels (nested calls never deadlock).
template <class K>
void run_kernel_parallel(ThreadPool& pool, const K& kernel, bits::BitView input,
                         bits::BitSpan output, const ParallelOptions& options = {}) {
  static_assert(bits::BitKernel<K>, DASHI_BIT_KERNEL_REQUIREMENT);
  bits::detail::run_bits_ordered(pool, kernel, input, output, options, {});
}

/// Runs the bit kernel `kernel` block-parallel on `pool` and returns the new planes. Throws
/// like the into overload, and `std::bad_alloc`.
template <class K>
[[nodiscard]] bits::BitField run_kernel_parallel(ThreadPool& pool, const K& kernel,
                                                 bits::BitView input,
                                                 const ParallelOptions& options = {}) {
  static_assert(bits::BitKernel<K>, DASHI_BIT_KERNEL_REQUIREMENT);
  bits::BitField output = bits::BitField::uninitialized(input.shape());
  bits::detail::run_bits_ordered(pool, kernel, input, output.span(), options, {});
  return output;
}

/// Runs the bit kernel `kernel` block-parallel on `default_thread_pool()` and returns the new
/// planes. Throws like the pool overloads, and `std::system_error` when the default pool's
/// workers, started by the first call that needs them, cannot start.
template <class K>
[[nodiscard]] bits::BitField run_kernel_parallel(const K& kernel, bits::BitView input,
                                                 const ParallelOptions& options = {}) {
  static_assert(bits::BitKernel<K>, DASHI_BIT_KERNEL_REQUIREMENT);
  return run_kernel_parallel(default_thread_pool(), kernel, input, options);
}

/// The bit kernel `kernel` applied `steps` times to `input` (0 steps: a copy), block-parallel
/// on `pool` with temporal blocking of `options.steps_per_sync` steps: equals `steps`
/// monolithic applications, and `unpack` of it equals the dense `run_kernel_iterated`, byte
/// for byte. Throws like `run_kernel_parallel` (also `std::invalid_argument` for
/// `steps_per_sync == 0`): the failure of the earliest step, then of the lowest block, as in
/// a step-by-step run (a failed temporally blocked synchronisation is re-run step by step, so
/// `steps_per_sync` never changes which failure is reported).
template <class K>
[[nodiscard]] bits::BitField run_kernel_iterated(ThreadPool& pool, const K& kernel,
                                                 bits::BitView input, std::size_t steps,
                                                 const IterateOptions& options = {}) {
  static_assert(bits::BitKernel<K>, DASHI_BIT_KERNEL_REQUIREMENT);
  if (options.steps_per_sync == 0) {
    throw std::invalid_argument("dashi::run_kernel_iterated: steps_per_sync must be at least 1");
  }
  bits::BitField output = bits::BitField::uninitialized(input.shape());
  const std::size_t halo =
      bits::detail::checked_bit_halo<K>("dashi::run_kernel_iterated", input, output, options);
  const std::size_t per_sync = dashi::detail::effective_steps_per_sync(
      options.steps_per_sync, halo, input.shape().rows(), options.boundary);
  bits::BitField spare;
  if (steps != 0 && input.size() != 0 && dashi::detail::sync_count(steps, per_sync) > 1) {
    spare = bits::BitField::uninitialized(input.shape());
  }
  bits::detail::iterate_bits_into(pool, kernel, input, steps, output.span(), spare.span(), options,
                                  halo);
  return output;
}

/// `run_kernel_iterated` on planes, on `default_thread_pool()`. Throws like the pool
/// overload, and `std::system_error` when the default pool's workers cannot start.
template <class K>
[[nodiscard]] bits::BitField run_kernel_iterated(const K& kernel, bits::BitView input,
                                                 std::size_t steps,
                                                 const IterateOptions& options = {}) {
  return run_kernel_iterated(default_thread_pool(), kernel, input, steps, options);
}

}  // namespace dashi
