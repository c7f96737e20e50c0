// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// One synchronisation of a rank's slab: post the halo exchange, run the blocks that need no
/// halo on the rank's pool while the rows travel, wait, then run the blocks at the slab's
/// edges on the received rows. The blocks are those of the rank's own partition of its slab,
/// run exactly like the single-process executor runs its blocks, so the rows equal the
/// single-process result.

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernel.hpp>
#include <dashi/mpi/detail/agree.hpp>
#include <dashi/mpi/detail/failure.hpp>
#include <dashi/mpi/detail/halo.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/layout.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <dashi/partition.hpp>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dashi::mpi::detail {

/// What one synchronisation works on: the current state of the slab, the next one, the
/// receive buffers of the halos and the options of the rank's blocks.
struct SlabSync {
  TernaryView src;                ///< this rank's rows now
  TernarySpan dst;                ///< this rank's rows after `steps` steps
  std::size_t halo = 0;           ///< rows per step and side (≥ the kernel's radius)
  std::size_t steps = 1;          ///< steps of this synchronisation
  bool single_step = true;        ///< run as `run_kernel_parallel` (else as an iteration)
  ParallelOptions options;        ///< the rank's options, with `Boundary::clip` inside
  std::int8_t* before = nullptr;  ///< room for `halo * steps` rows from the previous rank
  std::int8_t* after = nullptr;   ///< room for `halo * steps` rows from the next rank
  std::size_t first_site = 0;     ///< global index of the slab's first site
};

/// `check_contract` of `sites` sites of the slab starting at slab site `slab_site`, naming
/// global sites and the blocks of the global field's partition (of `rows_per_block` rows,
/// as the slab's), as the single-process executor does.
inline void check_contract_globally(const std::int8_t* in, const std::int8_t* out,
                                    std::size_t sites, std::size_t slab_site, const SlabSync& sync,
                                    std::size_t rows_per_block) {
  const std::size_t block_sites = rows_per_block * sync.src.shape().row_elems();
  const std::size_t first = sync.first_site + slab_site;
  for (std::size_t done = 0; done < sites;) {
    const std::size_t block = (first + done) / block_sites;
    const std::size_t count = std::min(sites - done, (block + 1) * block_sites - (first + done));
    ::dashi::detail::check_contract(in + done, out + done, count, block, first + done);
    done += count;
  }
}

/// Runs block `index` of `partition` (an edge block) on the rows `[first - depth, end +
/// depth)` of the extended slab — received rows where it reaches beyond the slab, clipped
/// where the slab ends at the field's edge — advancing `sync.steps` steps over the whole
/// extended block (its rows go stale from the cut edges inwards, never as far as the core).
/// Correct for any block (an interior one reads no received row); a contract breach names
/// the global site and block.
template <class K>
void run_edge_block(const K& kernel, const SlabSync& sync, const Partition& partition,
                    std::size_t index, std::size_t lo, std::size_t hi, std::size_t& step_reached) {
  const ::dashi::detail::ScratchLease::Level level;
  const ::dashi::detail::CurrentBlock current(index);
  const Block block = partition.block(index, 0);
  const std::size_t rows = sync.src.shape().rows();
  const std::size_t row_elems = sync.src.shape().row_elems();
  const std::size_t depth = sync.halo * sync.steps;
  // Extended rows in slab coordinates shifted by `lo`: row e holds slab row e - lo.
  const std::size_t ext_first = block.first_row + lo - std::min(depth, block.first_row + lo);
  const std::size_t ext_end =
      std::min(block.first_row + block.row_count + lo + depth, rows + lo + hi);
  const std::size_t ext_rows = ext_end - ext_first;
  const ::dashi::detail::ScratchLease first(ext_rows * row_elems, 0);
  const ::dashi::detail::ScratchLease second(ext_rows * row_elems, 1);
  for (std::size_t e = ext_first; e < ext_end; ++e) {
    const std::int8_t* source = e < lo          ? sync.before + e * row_elems
                                : e < lo + rows ? sync.src.data() + (e - lo) * row_elems
                                                : sync.after + (e - lo - rows) * row_elems;
    std::memcpy(first.data() + (e - ext_first) * row_elems, source, row_elems);
  }
  const Shape shape = sync.src.shape().with_rows(ext_rows);
  const std::size_t core = block.first_row + lo - ext_first;  // core's first row inside
  const std::size_t core_sites = block.row_count * row_elems;
  const bool check = sync.options.check_contract && !kernel_contract_proven_v<K>;
  const std::array<std::int8_t*, 2> buffers = {first.data(), second.data()};
  for (std::size_t step = 0; step < sync.steps; ++step) {
    step_reached = step;
    const std::int8_t* in = buffers[step % 2];
    std::int8_t* out = buffers[(step + 1) % 2];
    ::dashi::detail::apply_into(kernel, TernaryView::unchecked(in, shape),
                                TernarySpan::unchecked(out, shape));
    if (check) {
      check_contract_globally(in + core * row_elems, out + core * row_elems, core_sites,
                              block.first_row * row_elems, sync, partition.rows_per_block());
    }
  }
  std::memcpy(sync.dst.data() + block.first_row * row_elems,
              buffers[sync.steps % 2] + core * row_elems, core_sites);
}

/// The blocks of one synchronisation: those needing no received row, those at the slab's
/// edges, and each block's first failure.
struct SlabBlocks {
  std::vector<std::size_t> interior;
  std::vector<std::size_t> edge;
  std::vector<Failure> failures;
};

/// Runs block `index` away from the slab's edges as the single-process executor does. A
/// contract breach is re-run as `run_edge_block` (rare), so that its message names the
/// global site and block; the other failures are kept as they are.
template <class K>
void run_interior_block(const K& kernel, const SlabSync& sync, const Partition& partition,
                        std::size_t index, std::size_t lo, std::size_t hi, Failure& failure) {
  std::size_t step_reached = 0;
  try {
    if (sync.single_step) {
      ::dashi::detail::run_block(kernel, sync.src, sync.dst, partition, index, sync.halo,
                                 sync.options);
    } else {
      ::dashi::detail::advance_block(kernel, sync.src, sync.dst, partition, index, sync.halo,
                                     sync.steps, sync.options, nullptr, step_reached);
    }
  } catch (const KernelContractError&) {
    failure.keep_first(step_reached, index, std::current_exception());
    std::size_t again = 0;
    try {
      run_edge_block(kernel, sync, partition, index, lo, hi, again);
    } catch (const KernelContractError&) {
      failure = {};
      failure.keep_first(again, index, std::current_exception());
    } catch (...) {  // NOLINT(bugprone-empty-catch): the first exception is kept
    }
  } catch (...) {
    failure.keep_first(step_reached, index, std::current_exception());
  }
}

/// One synchronisation (see the file comment). Returns this rank's first failure (earliest
/// step, then lowest block; a failed rank-local step — the blocks' bookkeeping, starting
/// the pool's threads — before any block); every transfer is complete when it returns.
/// Posts the exchange whatever failed, as the neighbours wait for its rows.
template <class K>
[[nodiscard]] Failure run_slab_sync(ThreadPool& pool, const K& kernel, const SlabSync& sync,
                                    MPI_Comm cart, MPI_Datatype row, const Neighbours& peers) {
  const std::size_t rows = sync.src.shape().rows();
  const std::size_t depth = sync.halo * sync.steps;
  const std::size_t lo = peers.previous != MPI_PROC_NULL ? depth : 0;
  const std::size_t hi = peers.next != MPI_PROC_NULL ? depth : 0;
  const Partition partition(sync.src.shape(), sync.options.requested_block_sites());
  Requests requests;
  SlabBlocks blocks;
  Failure local = attempt_local([&] {
    requests.reserve(4);
    blocks.failures.resize(partition.block_count());
    for (std::size_t b = 0; b < partition.block_count(); ++b) {
      const Block block = partition.block(b, 0);
      const bool needs_before = lo != 0 && block.first_row < depth;
      const bool needs_after = hi != 0 && block.first_row + block.row_count + depth > rows;
      (needs_before || needs_after ? blocks.edge : blocks.interior).push_back(b);
    }
  });
  if (lo != 0 || hi != 0) {
    post_halo_exchange(cart, row, peers, sync.src, depth, sync.before, sync.after, requests);
  }
  const std::size_t threads =
      ::dashi::detail::resolve_threads(pool, sync.options.num_workers, sync.src.size());
  const std::thread::id caller = std::this_thread::get_id();
  if (!local.error) {
    // Interior blocks, while the halos travel; the calling thread lets them progress between
    // its blocks (MPI is only ever called from the calling thread).
    local = run_block_pass(pool, blocks.interior.size(), threads, [&](std::size_t i) {
      const std::size_t index = blocks.interior[i];
      if (std::this_thread::get_id() == caller) {
        keep_block_failure(blocks.failures[index], index, [&](std::size_t&) { requests.test(); });
      }
      run_interior_block(kernel, sync, partition, index, lo, hi, blocks.failures[index]);
    });
  }
  requests.wait();
  if (!local.error) {
    local = run_block_pass(pool, blocks.edge.size(), threads, [&](std::size_t i) {
      const std::size_t index = blocks.edge[i];
      keep_block_failure(blocks.failures[index], index, [&](std::size_t& step_reached) {
        run_edge_block(kernel, sync, partition, index, lo, hi, step_reached);
      });
    });
  }
  return first_failure(local, blocks.failures);
}

/// `options.requested_block_sites()`, or 0 with its complaint in `error` (unless `error`
/// already holds one) when `block_sites` and `block_elems` differ: a rank-local check whose
/// verdict the caller agrees on, so that no rank throws it alone while others wait.
[[nodiscard]] inline std::size_t requested_block_sites(const ParallelOptions& options,
                                                       std::string& error) {
  try {
    return options.requested_block_sites();
  } catch (const std::invalid_argument& e) {
    if (error.empty()) {
      error = e.what();
    }
    return 0;
  }
}

/// The collective argument check of the executors; returns the halo (rows per step). Every
/// rank throws the same `std::invalid_argument` when this rank's slab does not match the
/// layout, the halo is below the kernel's radius, `steps_per_sync` is 0, `block_sites` and
/// `block_elems` differ, some rank's slab is thinner than the rows it must send (`halo ×
/// steps_per_sync`), or the halo, boundary, steps or `steps_per_sync` differ between ranks.
template <class K>
std::size_t check_run_arguments(const SlabLayout& layout, TernaryView local,
                                const ParallelOptions& options, std::size_t steps,
                                std::size_t steps_per_sync, const char* where) {
  constexpr std::size_t radius = kernel_radius_v<K>;
  const std::size_t halo = options.halo.value_or(radius);
  const bool periodic = options.boundary == Boundary::periodic;
  std::string error;
  const std::size_t sync_steps = std::min(steps, steps_per_sync);
  const bool exchanges = layout.size() > 1 || periodic;  // one clipped rank exchanges nothing
  if (!(local.shape() == layout.local_shape())) {
    error = std::string(where) + ": rank " + std::to_string(layout.rank()) +
            " passed a slab of shape " + local.shape().to_string() + ", its rows are " +
            layout.local_shape().to_string();
  } else if (halo < radius) {
    error = std::string(where) + ": halo " + std::to_string(halo) +
            " is below the kernel's radius " + std::to_string(radius);
  } else if (steps_per_sync == 0) {
    error = std::string(where) + ": steps_per_sync must be at least 1";
  } else if (exchanges && sync_steps != 0 &&
             halo > static_cast<std::size_t>(INT_MAX) / sync_steps) {
    error = std::string(where) + ": halo " + std::to_string(halo) + " × steps_per_sync " +
            std::to_string(sync_steps) + " rows are too many to exchange";
  } else if (exchanges && layout.global_shape().size() != 0) {
    const std::size_t depth = halo * sync_steps;
    for (int r = 0; r < layout.size() && error.empty(); ++r) {
      if (layout.row_count(r) < depth) {
        error = std::string(where) + ": rank " + std::to_string(r) + " owns " +
                std::to_string(layout.row_count(r)) + " rows, fewer than the " +
                std::to_string(depth) + " halo rows (halo " + std::to_string(halo) +
                (sync_steps > 1 ? " × steps_per_sync " + std::to_string(sync_steps) : "") +
                ") it must send to its neighbours";
      }
    }
  }
  (void)requested_block_sites(options, error);
  const std::array<Agreed, 5> agreed = {{{"the halo", halo},
                                         {"the boundary", periodic ? 1U : 0U},
                                         {"the kernel's radius", radius},
                                         {"the number of steps", steps},
                                         {"steps_per_sync", steps_per_sync}}};
  agree(LayoutAccess::resources(layout).internal.get(), where, error, agreed);
  return halo;
}

}  // namespace dashi::mpi::detail
