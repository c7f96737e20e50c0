// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `run_kernel_parallel`: partition axis 0 into blocks → add halos → run the blocks on a
/// `ThreadPool` → crop → recombine in block-index order. The output equals the monolithic
/// run byte for byte, whatever the worker count, block size or scheduling order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/detail/periodic_rows.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/partition.hpp>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

namespace dashi {

/// What lies beyond the ends of axis 0.
enum class Boundary {
  clip,     ///< nothing: halos stop at the field's edges, which kernels see as the boundary
  periodic  ///< axis 0 wraps around: as if the field were padded periodically by the halo
};

/// Options of `run_kernel_parallel`. Designated initialisers read as a sentence:
/// `{.num_workers = 4, .block_sites = 4096, .halo = 1}`.
struct ParallelOptions {
  /// Threads that run blocks, the caller included (0 → the pool's size); the one meaning of a
  /// thread count in this library, see `<dashi/execution/thread_pool.hpp>`. Inputs of at most
  /// 2^15 sites always run on the calling thread alone.
  std::size_t num_workers = 0;
  /// The earlier spelling of `block_sites`, with the same meaning; it stays supported (no
  /// deprecation). Set one of the two: both set to different non-zero values is an error
  /// (`std::invalid_argument` from every call that reads the options).
  std::size_t block_elems = 0;
  /// Sites per block, rounded up to whole axis-0 slices (0 → `auto_block_elems()`, which
  /// depends on the caches, never on `num_workers`). The partition is exact, not a hint.
  std::size_t block_sites = 0;
  /// Halo rows on each side of a block (unset → `kernel_radius_v<K>`; below it → error).
  std::optional<std::size_t> halo = std::nullopt;
  /// Check shape, value range and no support creation on every block (skipped for kernels
  /// that declare `contract_proven`, see `kernel_contract_proven_v`). `false` skips the
  /// executor's check only: a `compose` chain still checks each of its stages.
  bool check_contract = true;
  /// What lies beyond the ends of axis 0.
  Boundary boundary = Boundary::clip;

  /// The block size asked for: `block_sites`, else `block_elems` (0 → automatic). Throws
  /// `std::invalid_argument` naming both when they are set to different non-zero values.
  [[nodiscard]] std::size_t requested_block_sites() const {
    if (block_sites != 0 && block_elems != 0 && block_sites != block_elems) {
      throw std::invalid_argument(
          "dashi::ParallelOptions: block_sites = " + std::to_string(block_sites) +
          " and block_elems = " + std::to_string(block_elems) +
          " differ (block_elems is the earlier spelling of block_sites; "
          "set one of them)");
    }
    return block_sites != 0 ? block_sites : block_elems;
  }
};

namespace detail {

/// Inputs with at most this many sites run on the calling thread: waking a worker would
/// cost more than it could save.
inline constexpr std::size_t inline_sites = std::size_t{1} << 15;

/// Threads to use for `sites` sites on `pool`: 1 for tiny inputs, else `num_workers`
/// (0 → the pool's size), the calling thread included.
[[nodiscard]] inline std::size_t resolve_threads(const ThreadPool& pool, std::size_t num_workers,
                                                 std::size_t sites) noexcept {
  if (sites <= inline_sites) {
    return 1;
  }
  return num_workers == 0 ? std::max<std::size_t>(1, pool.size()) : num_workers;
}

/// Sites per piece when a pointwise kernel and its contract check run piece by piece (one
/// byte per site: 8 KiB of input and 8 KiB of output stay in L1).
inline constexpr std::size_t l1_piece_sites = std::size_t{1} << 13;
/// The earlier name of `l1_piece_sites` (it always counted sites).
[[deprecated("use dashi::detail::l1_piece_sites")]] inline constexpr std::size_t l1_piece_bytes =
    l1_piece_sites;

[[nodiscard]] inline bool overlaps(TernaryView a, TernarySpan b) noexcept {
  if (a.size() == 0 || b.size() == 0) {
    return false;
  }
  const auto a0 = reinterpret_cast<std::uintptr_t>(a.data());
  const auto b0 = reinterpret_cast<std::uintptr_t>(b.data());
  return a0 < b0 + b.size() && b0 < a0 + a.size();
}

/// The halo a block needs: `halo` capped at `max(radius, rows)`. A kernel's core result is
/// the same for every halo of at least its radius, and a halo of `rows` rows already holds
/// the whole field (clipped) or one full turn around it (periodic).
[[nodiscard]] constexpr std::size_t effective_halo(std::size_t halo, std::size_t radius,
                                                   std::size_t rows) noexcept {
  return std::min(halo, std::max(radius, rows));
}

/// Validates options against the kernel and the buffers and returns the effective halo;
/// throws `std::invalid_argument`.
template <class K>
std::size_t checked_halo(TernaryView input, TernarySpan output, const ParallelOptions& options) {
  constexpr std::size_t radius = kernel_radius_v<K>;
  const std::size_t requested = options.halo.value_or(radius);
  if (requested < radius) {
    throw std::invalid_argument("dashi::run_kernel_parallel: halo " + std::to_string(requested) +
                                " is below the kernel's radius " + std::to_string(radius));
  }
  const std::size_t rows = input.shape().rows();
  const std::size_t halo = effective_halo(requested, radius, rows);
  // A periodic block is copied with `halo` rows on each side: its size must be representable.
  const std::size_t row_elems = std::max<std::size_t>(1, input.shape().row_elems());
  const std::size_t max_rows = std::numeric_limits<std::size_t>::max() / row_elems;
  if (options.boundary == Boundary::periodic && halo != 0 &&
      (halo > max_rows / 2 || rows > max_rows - 2 * halo)) {
    throw std::invalid_argument("dashi::run_kernel_parallel: periodic halo " +
                                std::to_string(halo) + " on shape " + input.shape().to_string() +
                                " exceeds the address space");
  }
  if (!(input.shape() == output.shape())) {
    throw std::invalid_argument("dashi::run_kernel_parallel: output shape " +
                                output.shape().to_string() + " differs from input shape " +
                                input.shape().to_string());
  }
  if (overlaps(input, output)) {
    throw std::invalid_argument(
        "dashi::run_kernel_parallel: output overlaps the input; use a separate buffer");
  }
  return halo;
}

/// Runs block `b` of `partition`: the kernel sees the block's extended rows and the core of
/// its result lands in `output`. Into kernels whose block has no halo rows, and row-window
/// kernels, write straight into `output`; otherwise the thread's scratch (a functional
/// kernel's returned field) holds the extended result, and a periodic halo is copied into
/// the thread's scratch first.
template <class K>
void run_block(const K& kernel, TernaryView input, TernarySpan output, const Partition& partition,
               std::size_t index, std::size_t halo, const ParallelOptions& options) {
  const ScratchLease::Level level;
  const CurrentBlock current(index);
  const bool check = options.check_contract && !kernel_contract_proven_v<K>;
  const std::size_t row_elems = input.shape().row_elems();
  const std::size_t rows = input.shape().rows();
  const Block block = partition.block(index, halo);
  TernaryView extended;
  std::size_t before = 0;  // halo rows before the core inside `extended`
  std::optional<ScratchLease> padded;
  if (options.boundary == Boundary::periodic && halo != 0) {
    // Rows [first - halo, end + halo) taken modulo the field's rows.
    const std::size_t ext_rows = block.row_count + 2 * halo;
    padded.emplace(ext_rows * row_elems, 0);
    detail::copy_rows_periodic(input.data(), rows, row_elems,
                               detail::periodic_row_before(block.first_row, halo, rows),
                               padded->data(), ext_rows);
    extended = TernaryView::unchecked(padded->data(), input.shape().with_rows(ext_rows));
    before = halo;
  } else {
    extended = input.rows(block.halo_first_row, block.halo_row_count);
    before = block.halo_before();
  }
  const TernarySpan core_out = output.rows(block.first_row, block.row_count);
  if constexpr (IntoKernel<K>) {
    if (extended.shape().rows() == block.row_count && kernel_radius_v<K> == 0 && check) {
      // Pointwise along axis 0: run and check L1-sized pieces of the block, so the check
      // reads what the kernel just wrote from L1 instead of the whole block from L2.
      const std::size_t piece_rows = std::max<std::size_t>(1, l1_piece_sites / row_elems);
      for (std::size_t r = 0; r < block.row_count; r += piece_rows) {
        const std::size_t count = std::min(piece_rows, block.row_count - r);
        const TernaryView piece_in = extended.rows(r, count);
        const TernarySpan piece_out = core_out.rows(r, count);
        kernel(piece_in, piece_out);
        check_contract(piece_in.data(), piece_out.data(), piece_out.size(), index,
                       (block.first_row + r) * row_elems);
      }
      return;
    }
    // A large output will not stay in cache: byte maps writing it straight may stream their
    // stores (unless the contract check is about to read it back).
    const bool stream = !check && output.size() >= streaming_store_bytes;
    if (extended.shape().rows() == block.row_count) {
      const StreamingOutput streaming(stream ? core_out.data() : nullptr,
                                      stream ? core_out.data() + core_out.size() : nullptr);
      kernel(extended, core_out);
    } else if constexpr (RowWindowKernel<K>) {
      // The core rows straight into the output: no scratch, no second pass.
      const StreamingOutput streaming(stream ? core_out.data() : nullptr,
                                      stream ? core_out.data() + core_out.size() : nullptr);
      kernel.into_rows(extended, before, core_out);
    } else {
      const ScratchLease result(extended.size(), 1);
      kernel(extended, TernarySpan::unchecked(result.data(), extended.shape()));
      std::copy_n(result.data() + before * row_elems, core_out.size(), core_out.data());
    }
  } else {
    const TernaryField result = kernel(extended);
    check_kernel_shape(extended.shape(), result.shape());
    std::copy_n(result.data() + before * row_elems, core_out.size(), core_out.data());
  }
  if (check) {
    check_contract(input.rows(block.first_row, block.row_count).data(), core_out.data(),
                   core_out.size(), index, block.first_row * row_elems);
  }
}

/// The executor. `order`, when not empty, is the order in which blocks are claimed (a
/// permutation of the block indices): results never depend on it.
template <class K>
void run_kernel_parallel_ordered(ThreadPool& pool, const K& kernel, TernaryView input,
                                 TernarySpan output, const ParallelOptions& options,
                                 std::span<const std::size_t> order) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  const std::size_t halo = checked_halo<K>(input, output, options);
  const Partition partition(input.shape(), options.requested_block_sites());
  const std::size_t blocks = partition.block_count();
  if (!order.empty() && order.size() != blocks) {
    throw std::invalid_argument("dashi::run_kernel_parallel: block order has " +
                                std::to_string(order.size()) + " entries for " +
                                std::to_string(blocks) + " blocks");
  }
  const std::size_t threads = resolve_threads(pool, options.num_workers, input.size());
  auto body = [&](std::size_t index) {
    run_block(kernel, input, output, partition, index, halo, options);
  };
  if (order.empty()) {
    pool.parallel_for(blocks, body, threads);
  } else {
    pool.parallel_for_in_order(order, body, threads);
  }
}

}  // namespace detail

/// Runs `kernel` block-parallel on `pool`, writing into `output` (the input's shape, not
/// overlapping it). With `Boundary::clip`, row-window kernels (`RowWindowKernel`) and
/// radius-0 into kernels run without a halo write each block's core straight into `output`
/// and allocate nothing; other into kernels, and `Boundary::periodic`, use per-thread scratch
/// reused across blocks and calls (allocated on first use); functional kernels return a
/// field per block.
///
/// Throws `std::invalid_argument` for bad options (halo below the kernel's radius, shape
/// mismatch, overlapping buffers), `KernelContractError` when a block breaks the kernel
/// contract, and otherwise rethrows, unchanged, the exception of the lowest-index failing
/// block. The pool stays usable. Thread-safe: any number of threads may call at once, also
/// from inside kernels (nested calls never deadlock).
template <class K>
void run_kernel_parallel(ThreadPool& pool, const K& kernel, TernaryView input, TernarySpan output,
                         const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  detail::run_kernel_parallel_ordered(pool, kernel, input, output, options, {});
}

/// Runs `kernel` block-parallel on `pool` and returns the new field. Throws like the
/// into overload, and `std::bad_alloc`.
template <class K>
[[nodiscard]] TernaryField run_kernel_parallel(ThreadPool& pool, const K& kernel, TernaryView input,
                                               const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  TernaryField output = TernaryField::uninitialized(input.shape());
  detail::run_kernel_parallel_ordered(pool, kernel, input, output.span(), options, {});
  return output;
}

/// Runs `kernel` block-parallel on `default_thread_pool()` and returns the new field.
/// Throws like the pool overloads, and `std::system_error` when the default pool's workers,
/// started by the first call that needs them, cannot start.
template <class K>
[[nodiscard]] TernaryField run_kernel_parallel(const K& kernel, TernaryView input,
                                               const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  return run_kernel_parallel(default_thread_pool(), kernel, input, options);
}

}  // namespace dashi
