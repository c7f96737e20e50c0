// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The executor runs of `check_kernel`: which block sizes, worker counts, orders and
/// boundaries a field is run with, and how a run is described in a message.

#include <algorithm>
#include <array>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/partition.hpp>
#include <initializer_list>
#include <string>
#include <vector>

namespace dashi::testing::detail {

/// Blocks per run at most on fields of more than `small_rows` rows (each block costs a call
/// of the kernel, and a Python kernel's call is slow).
inline constexpr std::size_t max_blocks = 64;
/// Fields of at most this many rows are run with blocks of every size, down to one row.
inline constexpr std::size_t small_rows = 130;

/// True when blocks of `b` rows are run on a field of `rows` rows.
[[nodiscard]] constexpr bool block_size_runs(std::size_t b, std::size_t rows) noexcept {
  return b >= 1 && b < rows && (rows <= small_rows || (rows + b - 1) / b <= max_blocks);
}

/// The order in which a run claims its blocks.
enum class Order { forward, reversed, shuffled };

/// One executor run.
struct ExecutorRun {
  ParallelOptions options;
  Order order = Order::forward;
};

/// Row counts of the blocks a field of `rows` rows is cut into, for a kernel of radius
/// `radius`: one row, the radius, just above it, twice it plus one (the tiny blocks in which
/// a radius declared too small shows), a few awkward sizes, all but one row; on large fields,
/// sizes giving more than `max_blocks` blocks are left out (small fields have them). Throws
/// `std::bad_alloc`.
[[nodiscard]] inline std::vector<std::size_t> block_rows(std::size_t rows, std::size_t radius) {
  const std::array<std::size_t, 10> candidates = {
      1, radius, radius + 1, 2 * radius + 1, 3, 8, 64, rows / 7 + 1, rows / 2 + 1, rows - 1};
  std::vector<std::size_t> sizes;
  for (const std::size_t b : candidates) {
    if (detail::block_size_runs(b, rows) &&
        std::find(sizes.begin(), sizes.end(), b) == sizes.end()) {
      sizes.push_back(b);
    }
  }
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

/// `boundary` as its name.
[[nodiscard]] inline std::string boundary_name(Boundary boundary) {
  return boundary == Boundary::clip ? "clip" : "periodic";
}

/// `order` as its name.
[[nodiscard]] inline std::string order_name(Order order) {
  return order == Order::forward ? "forward" : order == Order::reversed ? "reversed" : "shuffled";
}

/// The options of a run on `shape` as text: "num_workers = 1, block_sites = 63 (1 row per
/// block, 5 blocks), halo = 1, boundary = clip, check_contract = true".
[[nodiscard]] inline std::string describe(const ParallelOptions& options, const Shape& shape) {
  const std::size_t block_sites = options.requested_block_sites();
  const Partition partition(shape, block_sites);
  const std::size_t per_block = partition.rows_per_block();
  return "num_workers = " + std::to_string(options.num_workers) +
         ", block_sites = " + std::to_string(block_sites) +
         (block_sites == 0 ? " (automatic, " : " (") + std::to_string(per_block) +
         (per_block == 1 ? " row" : " rows") + " per block, " +
         std::to_string(partition.block_count()) +
         " blocks), halo = " + std::to_string(options.halo.value_or(0)) +
         ", boundary = " + detail::boundary_name(options.boundary) +
         ", check_contract = " + (options.check_contract ? "true" : "false");
}

/// A run's description, with its order.
[[nodiscard]] inline std::string describe(const ExecutorRun& run, const Shape& shape) {
  return describe(run.options, shape) + ", order = " + detail::order_name(run.order);
}

/// An iterated run's description.
[[nodiscard]] inline std::string describe(const IterateOptions& options, std::size_t steps,
                                          const Shape& shape) {
  return "steps = " + std::to_string(steps) +
         ", steps_per_sync = " + std::to_string(options.steps_per_sync) + ", " +
         detail::describe(static_cast<const ParallelOptions&>(options), shape);
}

/// The runs of the executor check for `shape`, with halo `radius` (the declared radius):
/// every block size of `block_rows`, the automatic one and one block for the whole field,
/// on both boundaries; the tiniest blocks also in reversed and shuffled order and without
/// the contract check; fields large enough to run on several threads with 2, 3 and 4 workers.
/// Throws `std::bad_alloc`.
[[nodiscard]] inline std::vector<ExecutorRun> executor_runs(const Shape& shape,
                                                            std::size_t radius) {
  const std::size_t rows = shape.rows();
  const std::size_t row_elems = shape.row_elems();
  const bool threaded = shape.size() > dashi::detail::inline_sites;
  std::vector<std::size_t> sizes = detail::block_rows(rows, radius);
  std::vector<std::size_t> tiny = sizes;
  tiny.resize(std::min<std::size_t>(2, sizes.size()));
  const std::size_t smallest = tiny.empty() ? rows : tiny.front();
  sizes.push_back(0);     // automatic
  sizes.push_back(rows);  // one block
  std::vector<ExecutorRun> runs;
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    ParallelOptions options;
    options.halo = radius;
    options.boundary = boundary;
    options.num_workers = threaded ? 4 : 1;
    for (const std::size_t b : sizes) {
      options.block_sites = b * row_elems;
      runs.push_back({options, Order::forward});
    }
    for (const std::size_t b : tiny) {
      options.block_sites = b * row_elems;
      runs.push_back({options, Order::reversed});
      runs.push_back({options, Order::shuffled});
      ParallelOptions unchecked = options;
      unchecked.check_contract = false;
      runs.push_back({unchecked, Order::forward});
    }
    if (threaded) {
      for (const std::size_t workers : std::initializer_list<std::size_t>{2, 3}) {
        options.num_workers = workers;
        options.block_sites = smallest * row_elems;
        runs.push_back({options, Order::shuffled});
        options.block_sites = 0;
        runs.push_back({options, Order::forward});
      }
    }
  }
  return runs;
}

}  // namespace dashi::testing::detail
