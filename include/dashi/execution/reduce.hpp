// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `reduce_parallel`: a deterministic reduction. Blocks are mapped in parallel, then their
/// results are folded from `init` in block-index order on the calling thread, so the result
/// depends only on the data and the block size — never on the workers, the timing or the
/// machine, even when `combine` is not associative (floating point).

#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/partition.hpp>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace dashi {

/// Sites per block of `reduce_parallel` when no block size is set. A constant, unlike the
/// executor's cache-derived default, so reductions agree on every machine.
inline constexpr std::size_t reduce_block_elems = std::size_t{1} << 16;

/// Left fold `combine(...combine(combine(init, r0), r1)..., r_last)` of `r_b =
/// map_block(block b)` over the blocks of `Partition(input.shape(), block_sites)` (0 →
/// `reduce_block_elems`; no halo), with the maps run on `pool`. Only `num_workers` and
/// `block_sites` (or its earlier spelling `block_elems`) of `options` are read.
/// Throws `std::invalid_argument` when `block_sites` and `block_elems` differ, what
/// `map_block` throws (the lowest failing block's exception), what `combine` throws, and
/// `std::bad_alloc`. Thread-safe when `map_block` is.
template <class T, class Map, class Combine>
[[nodiscard]] T reduce_parallel(ThreadPool& pool, TernaryView input, Map map_block, Combine combine,
                                T init, const ParallelOptions& options = {}) {
  static_assert(std::is_invocable_r_v<T, Map&, TernaryView>,
                "dashi::reduce_parallel: map_block must be callable as T(TernaryView)");
  static_assert(std::is_invocable_r_v<T, Combine&, T, T>,
                "dashi::reduce_parallel: combine must be callable as T(T, T)");
  const std::size_t block_sites = options.requested_block_sites();
  const Partition partition(input.shape(), block_sites == 0 ? reduce_block_elems : block_sites);
  std::vector<std::optional<T>> results(partition.block_count());
  const std::size_t threads = detail::resolve_threads(pool, options.num_workers, input.size());
  pool.parallel_for(
      results.size(),
      [&](std::size_t index) {
        const Block block = partition.block(index, 0);
        results[index].emplace(map_block(input.rows(block.first_row, block.row_count)));
      },
      threads);
  T accumulator = std::move(init);
  for (std::optional<T>& result : results) {
    accumulator = combine(std::move(accumulator), std::move(*result));
  }
  return accumulator;
}

/// `reduce_parallel` on `default_thread_pool()`. Throws like the pool overload, and
/// `std::system_error` when the default pool's workers cannot start.
template <class T, class Map, class Combine>
[[nodiscard]] T reduce_parallel(TernaryView input, Map map_block, Combine combine, T init,
                                const ParallelOptions& options = {}) {
  return reduce_parallel(default_thread_pool(), input, std::move(map_block), std::move(combine),
                         std::move(init), options);
}

}  // namespace dashi
