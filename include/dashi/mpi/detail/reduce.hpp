// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The distributed reduction: the blocks are those of `reduce_parallel`'s partition of the
/// *global* field (a pure function of the global shape and `block_elems`), so the result
/// cannot depend on the split. Each block is mapped by the rank owning its first row — the
/// rows of a block that straddles ranks are sent to it — and every rank folds all block
/// results in block order from `init`, exactly as `reduce_parallel` does on one process.

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/execution/reduce.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/mpi/detail/failure.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/layout.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <dashi/partition.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace dashi::mpi::detail {

inline constexpr int tag_reduce_rows = 201;

/// The global blocks `[first, end)` whose first row this rank owns.
struct OwnedBlocks {
  std::size_t first = 0;
  std::size_t end = 0;
};

[[nodiscard]] inline OwnedBlocks owned_blocks(const SlabLayout& layout, int rank,
                                              std::size_t rows_per_block) {
  const std::size_t begin = layout.first_row(rank);
  const std::size_t end = begin + layout.row_count(rank);
  // Blocks starting in [begin, end): k * rpb >= begin and k * rpb < end.
  const std::size_t first = (begin + rows_per_block - 1) / rows_per_block;
  const std::size_t last = end == 0 ? 0 : (end + rows_per_block - 1) / rows_per_block;
  return {first, std::max(first, last)};
}

/// Everything a rank allocates for the reduction, allocated (and agreed) before any
/// transfer: a rank that cannot allocate must not leave another waiting for its rows.
template <class T>
struct ReduceBuffers {
  OwnedBlocks mine;
  std::vector<std::optional<T>> results;  ///< map results of this rank's blocks
  std::vector<Failure> failures;          ///< per block of this rank
  TernaryField straddling;                ///< the last block, when it runs past this slab
  std::vector<Datatype> types;
  Requests requests;
  std::vector<int> counts;         ///< bytes of block results per rank
  std::vector<int> displacements;  ///< their offsets
  std::vector<std::byte> sent;
  std::vector<std::byte> received;
  std::vector<T> all;  ///< every block's result, in block order
};

/// Bytes of the block results of every rank together; throws the same `std::length_error`
/// on every rank when they do not fit an MPI count (a pure function of the layout).
[[nodiscard]] inline std::size_t result_bytes(const SlabLayout& layout, std::size_t rows_per_block,
                                              std::size_t size_of_t) {
  std::size_t total = 0;
  for (int r = 0; r < layout.size(); ++r) {
    const OwnedBlocks blocks = owned_blocks(layout, r, rows_per_block);
    total += (blocks.end - blocks.first) * size_of_t;
    if (total > static_cast<std::size_t>(INT_MAX)) {
      throw std::length_error("dashi::mpi::reduce_distributed: the block results exceed " +
                              std::to_string(INT_MAX) + " bytes; use a larger block_elems");
    }
  }
  return total;
}

/// Collective: allocates `buffers` on every rank and agrees on the failures.
template <class T>
void allocate_reduce_buffers(const SlabLayout& layout, const Partition& partition,
                             ReduceBuffers<T>& buffers) {
  const std::size_t rpb = partition.rows_per_block();
  const std::size_t total = result_bytes(layout, rpb, sizeof(T));
  agree_on_local_step(LayoutAccess::resources(layout).internal.get(), [&] {
    const auto ranks = static_cast<std::size_t>(layout.size());
    buffers.mine = owned_blocks(layout, layout.rank(), rpb);
    const std::size_t count = buffers.mine.end - buffers.mine.first;
    buffers.results.resize(count);
    buffers.failures.resize(count);
    buffers.types.reserve(ranks + 1);
    buffers.requests.reserve(ranks + 1);
    if (count != 0) {
      const Block last = partition.block(buffers.mine.end - 1, 0);
      const std::size_t last_end =
          std::min(last.first_row + last.row_count, layout.global_shape().rows());
      if (last_end > layout.first_row() + layout.row_count()) {
        buffers.straddling =
            TernaryField::uninitialized(layout.global_shape().with_rows(last.row_count));
      }
    }
    buffers.counts.resize(ranks);
    buffers.displacements.resize(ranks);
    buffers.sent.resize(count * sizeof(T));
    buffers.received.resize(total);
    buffers.all.resize(total / sizeof(T));
  });
}

/// Map results of the blocks this rank owns, in block order; the rows of its last block
/// that other ranks own are received first, and this rank's rows of an earlier rank's block
/// are sent to it. `buffers` come from `allocate_reduce_buffers`. Returns this rank's first
/// failure (starting the pool's threads is one, outside any block).
template <class T, class Map>
[[nodiscard]] Failure map_owned_blocks(ThreadPool& pool, const SlabLayout& layout,
                                       TernaryView local, Map& map_block,
                                       const Partition& partition, std::size_t num_workers,
                                       ReduceBuffers<T>& buffers) {
  const MPI_Comm comm = LayoutAccess::resources(layout).internal.get();
  const std::size_t rpb = partition.rows_per_block();
  const std::size_t global_rows = layout.global_shape().rows();
  const std::size_t row_elems = layout.global_shape().row_elems();
  const std::size_t begin = layout.first_row();
  const std::size_t end = begin + layout.row_count();
  const OwnedBlocks mine = buffers.mine;
  Requests& requests = buffers.requests;
  std::vector<Datatype>& types = buffers.types;
  // Head rows (before the first block starting here) belong to the block of an earlier rank.
  const std::size_t head_end = std::min(end, mine.first * rpb);
  if (head_end > begin) {
    const int owner = layout.owner_of_row(begin / rpb * rpb);
    types.push_back(bytes_type((head_end - begin) * row_elems));
    check_mpi(MPI_Isend(local.data(), 1, types.back().get(), owner, tag_reduce_rows, comm,
                        requests.add()),
              "MPI_Isend");
  }
  // The last block starting here may run past this slab: assemble it.
  TernaryField& straddling = buffers.straddling;
  if (straddling.size() != 0) {
    const Block last = partition.block(mine.end - 1, 0);
    const std::size_t last_end = std::min(last.first_row + last.row_count, global_rows);
    std::memcpy(straddling.data(), local.data() + (last.first_row - begin) * row_elems,
                (end - last.first_row) * row_elems);
    for (int q = layout.rank() + 1; q < layout.size() && layout.first_row(q) < last_end; ++q) {
      const std::size_t piece_end = std::min(last_end, layout.first_row(q) + layout.row_count(q));
      if (piece_end <= layout.first_row(q)) {
        continue;
      }
      types.push_back(bytes_type((piece_end - layout.first_row(q)) * row_elems));
      check_mpi(MPI_Irecv(straddling.data() + (layout.first_row(q) - last.first_row) * row_elems, 1,
                          types.back().get(), q, tag_reduce_rows, comm, requests.add()),
                "MPI_Irecv");
    }
  }
  requests.wait();
  std::vector<std::optional<T>>& results = buffers.results;
  std::vector<Failure>& failures = buffers.failures;
  const std::size_t threads = ::dashi::detail::resolve_threads(pool, num_workers, local.size());
  const Failure started = run_block_pass(pool, results.size(), threads, [&](std::size_t i) {
    const std::size_t index = mine.first + i;
    keep_block_failure(failures[i], index, [&](std::size_t&) {
      const Block block = partition.block(index, 0);
      const bool assembled = straddling.size() != 0 && i + 1 == results.size();
      results[i].emplace(map_block(
          assembled ? straddling.view() : local.rows(block.first_row - begin, block.row_count)));
    });
  });
  return first_failure(started, failures);
}

/// Every rank's block results, in block order, on every rank (an all-gather of their bytes
/// into `buffers.all`, allocated beforehand).
template <class T>
void all_block_results(const SlabLayout& layout, std::size_t rows_per_block,
                       ReduceBuffers<T>& buffers) {
  const MPI_Comm comm = LayoutAccess::resources(layout).internal.get();
  std::size_t total = 0;
  for (int r = 0; r < layout.size(); ++r) {
    const OwnedBlocks blocks = owned_blocks(layout, r, rows_per_block);
    const std::size_t bytes = (blocks.end - blocks.first) * sizeof(T);
    buffers.counts[static_cast<std::size_t>(r)] = static_cast<int>(bytes);
    buffers.displacements[static_cast<std::size_t>(r)] = static_cast<int>(total);
    total += bytes;
  }
  for (std::size_t i = 0; i < buffers.results.size(); ++i) {
    std::memcpy(buffers.sent.data() + i * sizeof(T), &*buffers.results[i], sizeof(T));
  }
  check_mpi(MPI_Allgatherv(buffers.sent.data(), static_cast<int>(buffers.sent.size()), MPI_BYTE,
                           buffers.received.data(), buffers.counts.data(),
                           buffers.displacements.data(), MPI_BYTE, comm),
            "MPI_Allgatherv");
  for (std::size_t i = 0; i < buffers.all.size(); ++i) {
    std::memcpy(&buffers.all[i], buffers.received.data() + i * sizeof(T), sizeof(T));
  }
}

}  // namespace dashi::mpi::detail
