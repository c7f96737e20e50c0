// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Distributed execution over MPI ranks (target `dashicore::mpi`). Axis 0 of a global field
/// is split into rank-owned slabs (`SlabLayout`); the same kernels run with the same
/// guarantee as on one process: every rank's result equals the matching rows of the
/// single-process result, byte for byte, for any number of ranks, any split, any workers and
/// block size. Inside a rank the ordinary executor runs on the rank's `ThreadPool`.
///
/// Every function is collective over `layout.comm()` (the library talks on its own
/// duplicates of it, so its messages never meet the caller's). Errors never hang or abort:
/// bad arguments throw the same `std::invalid_argument` on every rank; when kernel blocks
/// throw, the rank owning the first failing block (ranks in order, then blocks) rethrows its
/// own exception and every other rank throws `RemoteError`. A rank-local failure (an
/// allocation, starting the pool's threads, file I/O) is agreed the same way before anything
/// could wait on that rank (`RemoteError::block()` is then `RemoteError::no_block`). MPI must be
/// initialised. Only the thread that calls a function makes MPI calls (the pool's workers never
/// do), so `MPI_THREAD_FUNNELED` is enough when that is the main thread (`MPI_THREAD_SERIALIZED`
/// otherwise). Calls on one layout must not overlap in time (they are collective).

#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/reduce.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/metrics.hpp>
#include <dashi/mpi/detail/checkpoint.hpp>
#include <dashi/mpi/detail/failure.hpp>
#include <dashi/mpi/detail/layout.hpp>
#include <dashi/mpi/detail/reduce.hpp>
#include <dashi/mpi/detail/scatter.hpp>
#include <dashi/mpi/detail/slab_run.hpp>
#include <dashi/partition.hpp>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace dashi::mpi {

namespace detail {

/// One synchronisation step by step, from its input `sync.src` (which it leaves as it was)
/// into `sync.dst`, agreeing on the failures of each step: the failure a run with
/// `steps_per_sync = 1` reports. Used when a temporally blocked synchronisation failed
/// (rare), to report the canonical failure — or, when no step fails this way, its result.
template <class K>
void rerun_step_by_step(ThreadPool& pool, const LayoutResources& resources, MPI_Comm cart,
                        const Neighbours& peers, const K& kernel, const SlabSync& blocked) {
  const MPI_Comm comm = resources.internal.get();
  TernaryField spare;
  agree_on_local_step(comm, [&] { spare = TernaryField::uninitialized(blocked.src.shape()); });
  const std::array<TernarySpan, 2> buffers = {blocked.dst, spare.span()};
  SlabSync sync = blocked;
  sync.steps = 1;
  for (std::size_t step = 0; step < blocked.steps; ++step) {
    sync.dst = buffers[(blocked.steps - 1 - step) % 2];
    agree_on_failures(comm, run_slab_sync(pool, kernel, sync, cart, resources.row.get(), peers));
    sync.src = sync.dst.view();
  }
}

/// The executors' driver: `steps` applications in synchronisations of `steps_per_sync`,
/// each exchanging `halo × steps` rows once, ping-ponging between `result` (allocated here)
/// and a spare slab so that the last one lands in `result`. Arguments are checked by the
/// caller. Every rank-local step (allocations, the blocks' bookkeeping, starting the pool's
/// threads, the kernel) is agreed before anything waits on the rank, so that no rank is
/// left waiting for one that failed. A failed temporally blocked synchronisation is re-run
/// step by step, so that the failure reported never depends on `steps_per_sync`.
template <class K>
void run_distributed(ThreadPool& pool, const SlabLayout& layout, const K& kernel, TernaryView local,
                     TernaryField& result, std::size_t halo, std::size_t steps,
                     std::size_t steps_per_sync, const ParallelOptions& options, bool single_step) {
  const LayoutResources& resources = LayoutAccess::resources(layout);
  const MPI_Comm comm = resources.internal.get();
  const MPI_Comm cart = options.boundary == Boundary::periodic ? resources.periodic_cart.get()
                                                               : resources.clip_cart.get();
  const Neighbours peers = neighbours(cart);
  if (layout.size() == 1 && options.boundary == Boundary::clip) {
    // Nothing is exchanged: cap the depth as the single-process executor does (any halo).
    steps_per_sync = ::dashi::detail::effective_steps_per_sync(
        steps_per_sync, halo, local.shape().rows(), options.boundary);
  }
  const std::size_t row_elems = local.shape().row_elems();
  const std::size_t depth = halo * std::min(steps, steps_per_sync);
  const bool copy_only = steps == 0 || layout.global_shape().size() == 0;
  const std::size_t syncs = copy_only ? 0 : ::dashi::detail::sync_count(steps, steps_per_sync);
  std::vector<std::int8_t> before;
  std::vector<std::int8_t> after;
  TernaryField spare;
  agree_on_local_step(comm, [&] {
    result = TernaryField::uninitialized(local.shape());
    if (!copy_only) {
      before.resize(peers.previous != MPI_PROC_NULL ? depth * row_elems : 0);
      after.resize(peers.next != MPI_PROC_NULL ? depth * row_elems : 0);
      if (syncs > 1) {
        spare = TernaryField::uninitialized(local.shape());
      }
    }
  });
  TernarySpan output = result.span();
  if (copy_only) {
    std::copy_n(local.data(), local.size(), output.data());
    return;
  }
  const std::array<TernarySpan, 2> buffers = {output, spare.span()};
  SlabSync sync;
  sync.src = local;
  sync.halo = halo;
  sync.single_step = single_step;
  sync.options = options;
  sync.options.boundary = Boundary::clip;
  sync.options.halo = halo;
  sync.before = before.data();
  sync.after = after.data();
  sync.first_site = layout.first_row() * row_elems;
  std::size_t done = 0;
  for (std::size_t s = 0; s < syncs; ++s) {
    sync.steps = std::min(steps_per_sync, steps - done);
    sync.dst = buffers[(syncs - 1 - s) % 2];
    const Failure failure = run_slab_sync(pool, kernel, sync, cart, resources.row.get(), peers);
    const FirstFailure first = find_first_failure(comm, failure);
    if (first.rank >= 0) {
      if (sync.steps == 1) {
        throw_first_failure(comm, first, failure);
      }
      rerun_step_by_step(pool, resources, cart, peers, kernel, sync);
    }
    done += sync.steps;
    sync.src = sync.dst.view();
  }
}

}  // namespace detail

/// Collective: `kernel` applied once to the global field whose rows this rank holds in
/// `local` (of `layout.local_shape()`); returns this rank's rows of the result. `halo` rows
/// (the option, or the kernel's radius) are exchanged with the neighbouring ranks — none at
/// clipped ends, across the first and last rank with `Boundary::periodic` (also when there
/// is one rank) — while the rank's interior blocks (those needing no halo) run on `pool`; the
/// blocks at the slab's edges run when the rows have arrived. Equals the matching rows of
/// `run_kernel_parallel` on the global field byte for byte, for any rank count, split,
/// workers and block size (both may differ between ranks).
///
/// Throws the same `std::invalid_argument` on every rank when a slab has the wrong shape, the
/// halo is below the radius, `block_sites` and `block_elems` differ, a slab is thinner than
/// the halo it must send (every rank owns at least `halo` rows when there is more than one
/// rank or the boundary is periodic), or the halo or boundary differ between ranks. When kernel
/// blocks throw (or break the contract), the rank owning the first failing block (ranks in order,
/// then its blocks) rethrows its own exception and every other rank throws `RemoteError`; a
/// `KernelContractError` names the global site and the block of the global field's partition,
/// as `run_kernel_parallel` does. A rank that cannot allocate or start its pool's threads
/// throws its `std::bad_alloc` / `std::system_error` and the others `RemoteError`; the layout
/// and communicator stay usable. `std::runtime_error` when MPI fails. One rank with
/// `Boundary::clip` exchanges nothing and accepts any halo.
/// Only the calling thread calls MPI.
template <class K>
[[nodiscard]] TernaryField run_kernel_distributed(ThreadPool& pool, const SlabLayout& layout,
                                                  const K& kernel, TernaryView local,
                                                  const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  const std::size_t halo = detail::check_run_arguments<K>(layout, local, options, 1, 1,
                                                          "dashi::mpi::run_kernel_distributed");
  TernaryField output;
  detail::run_distributed(pool, layout, kernel, local, output, halo, 1, 1, options, true);
  return output;
}

/// `run_kernel_distributed` on `default_thread_pool()`.
template <class K>
[[nodiscard]] TernaryField run_kernel_distributed(const SlabLayout& layout, const K& kernel,
                                                  TernaryView local,
                                                  const ParallelOptions& options = {}) {
  return run_kernel_distributed(default_thread_pool(), layout, kernel, local, options);
}

/// Collective: `kernel` applied `steps` times (0: a copy), returning this rank's rows.
/// Communication-avoiding: each synchronisation exchanges `halo × steps_per_sync` rows once
/// and advances `steps_per_sync` steps (the redundant halo work of temporal blocking).
/// Equals `steps` single-process applications byte for byte for every `steps_per_sync`,
/// split, workers and block size. Throws like `run_kernel_distributed` (slabs must be at
/// least `halo × min(steps, steps_per_sync)` rows thick; `steps_per_sync` 0 is invalid; steps
/// and `steps_per_sync` must agree between ranks); a failure is that of the earliest step,
/// then the lowest rank, then its lowest block, as in a step-by-step run.
template <class K>
[[nodiscard]] TernaryField run_kernel_iterated_distributed(ThreadPool& pool,
                                                           const SlabLayout& layout,
                                                           const K& kernel, TernaryView local,
                                                           std::size_t steps,
                                                           const IterateOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  const std::size_t halo =
      detail::check_run_arguments<K>(layout, local, options, steps, options.steps_per_sync,
                                     "dashi::mpi::run_kernel_iterated_distributed");
  TernaryField output;
  detail::run_distributed(pool, layout, kernel, local, output, halo, steps, options.steps_per_sync,
                          options, false);
  return output;
}

/// `run_kernel_iterated_distributed` on `default_thread_pool()`.
template <class K>
[[nodiscard]] TernaryField run_kernel_iterated_distributed(const SlabLayout& layout,
                                                           const K& kernel, TernaryView local,
                                                           std::size_t steps,
                                                           const IterateOptions& options = {}) {
  return run_kernel_iterated_distributed(default_thread_pool(), layout, kernel, local, steps,
                                         options);
}

/// Collective: the exact L1 defect `sum |pre - post|` of the global fields whose rows this
/// rank holds, the same value on every rank (an integer sum: order-free), computed on
/// `default_thread_pool()`. Throws the same `std::invalid_argument` on every rank when a slab
/// does not have the layout's local shape; a rank that cannot allocate or start the pool's
/// threads throws its `std::bad_alloc` / `std::system_error` and the others `RemoteError`;
/// `std::runtime_error` when MPI fails.
[[nodiscard]] inline std::uint64_t defect_aggregate(const SlabLayout& layout, TernaryView pre_local,
                                                    TernaryView post_local) {
  const char* where = "dashi::mpi::defect_aggregate";
  std::string error;
  if (!(pre_local.shape() == layout.local_shape()) ||
      !(post_local.shape() == layout.local_shape())) {
    error = std::string(where) + ": rank " + std::to_string(layout.rank()) +
            " passed slabs of shapes " + pre_local.shape().to_string() + " and " +
            post_local.shape().to_string() + ", its rows are " + layout.local_shape().to_string();
  }
  const MPI_Comm comm = detail::LayoutAccess::resources(layout).internal.get();
  detail::agree(comm, where, error, {});
  std::uint64_t total = 0;
  detail::agree_on_local_step(comm,
                              [&] { total = ::dashi::defect_aggregate(pre_local, post_local); });
  detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_UINT64_T, MPI_SUM, comm),
                    "MPI_Allreduce");
  return total;
}

/// Collective: `reduce_parallel` over the global field whose rows this rank holds, bit for
/// bit, on every rank, for any split — also for floating-point `combine`. The blocks are
/// those of the global field's partition (`block_sites` or its earlier spelling `block_elems`,
/// 0 → `reduce_block_elems`; it must agree between ranks, `num_workers` may differ); blocks
/// straddling ranks are assembled on the rank owning their first row, every block result is
/// sent to every rank, and each rank folds them from `init` in block order. `T` must be
/// trivially copyable and default constructible (its bytes travel).
///
/// Throws the same `std::invalid_argument` on every rank for a slab of the wrong shape,
/// block sizes differing between ranks, or `block_sites` and `block_elems` differing on a
/// rank; the same `std::length_error` when all block results together exceed `INT_MAX` bytes
/// (use larger blocks). When `map_block` throws, the rank owning the lowest failing block
/// rethrows its exception and the others throw `RemoteError` naming that (global) block; a
/// rank that cannot allocate or start its pool's threads throws its `std::bad_alloc` /
/// `std::system_error` and the others `RemoteError`. `std::runtime_error` when MPI fails;
/// what `combine` throws (on every rank alike, as every rank folds the same results).
template <class T, class Map, class Combine>
[[nodiscard]] T reduce_distributed(ThreadPool& pool, const SlabLayout& layout, TernaryView local,
                                   Map map_block, Combine combine, T init,
                                   const ParallelOptions& options = {}) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>,
                "dashi::mpi::reduce_distributed: T must be trivially copyable and default "
                "constructible, as its bytes are sent between ranks");
  static_assert(std::is_invocable_r_v<T, Map&, TernaryView>,
                "dashi::mpi::reduce_distributed: map_block must be callable as T(TernaryView)");
  static_assert(std::is_invocable_r_v<T, Combine&, T, T>,
                "dashi::mpi::reduce_distributed: combine must be callable as T(T, T)");
  const char* where = "dashi::mpi::reduce_distributed";
  std::string error;
  if (!(local.shape() == layout.local_shape())) {
    error = std::string(where) + ": rank " + std::to_string(layout.rank()) +
            " passed a slab of shape " + local.shape().to_string() + ", its rows are " +
            layout.local_shape().to_string();
  }
  const std::size_t block_sites = detail::requested_block_sites(options, error);
  const std::array<detail::Agreed, 1> agreed = {{{"block_elems", block_sites}}};
  detail::agree(detail::LayoutAccess::resources(layout).internal.get(), where, error, agreed);
  const Partition partition(layout.global_shape(),
                            block_sites == 0 ? reduce_block_elems : block_sites);
  detail::ReduceBuffers<T> buffers;
  if (partition.block_count() != 0) {
    detail::allocate_reduce_buffers(layout, partition, buffers);
    const detail::Failure failure = detail::map_owned_blocks<T>(
        pool, layout, local, map_block, partition, options.num_workers, buffers);
    detail::agree_on_failures(detail::LayoutAccess::resources(layout).internal.get(), failure);
    detail::all_block_results(layout, partition.rows_per_block(), buffers);
  }
  std::vector<T>& results = buffers.all;
  T accumulator = std::move(init);
  for (T& result : results) {
    accumulator = combine(std::move(accumulator), std::move(result));
  }
  return accumulator;
}

/// `reduce_distributed` on `default_thread_pool()`; throws like the pool overload.
template <class T, class Map, class Combine>
[[nodiscard]] T reduce_distributed(const SlabLayout& layout, TernaryView local, Map map_block,
                                   Combine combine, T init, const ParallelOptions& options = {}) {
  return reduce_distributed<T>(default_thread_pool(), layout, local, std::move(map_block),
                               std::move(combine), std::move(init), options);
}

/// Collective: writes the global field whose rows this rank holds in `local` as a PQ-FS file
/// at `path` (docs/PQ_FORMAT.md §3), byte-identical to `pq::write_file` of the global field with
/// the same `sb_bytes`, without gathering the field: the superblock chain is planned from
/// per-rank counts, each rank encodes the superblocks starting in its rows (receiving the
/// sites of a superblock that runs into later ranks) and writes them at their offsets with
/// positioned writes on their own descriptors (the ranks share the file system). Atomic like
/// the single-process writer: rank 0 creates a temporary file beside `path`, the ranks write,
/// sync and close it, and rank 0 renames it into place once all have written and syncs the
/// folder, so `path` holds the old file or the complete new one. Any path `pq::write_file`
/// accepts works (no MPI-IO is involved). `num_workers` of
/// the options is not used. Throws the same `std::invalid_argument` on every rank for a slab
/// of the wrong shape, a bad `sb_bytes`, `sb_bytes` or `path` differing between ranks, or
/// bytes that are not trits where `pq::write_file` refuses them, and
/// the same `std::runtime_error` on every rank when the file cannot be written (no
/// temporary file is left behind); a rank that cannot allocate its superblocks throws
/// `std::bad_alloc` and the others `RemoteError`.
inline void write_file(const SlabLayout& layout, const std::filesystem::path& path,
                       TernaryView local, const pq::FileOptions& options = {}) {
  detail::write_pqfs(layout, path, local, options);
}

/// Collective: this rank's rows of the PQ-FS file at `path` (any file, whoever wrote it),
/// decoding only the superblocks that hold them. Throws the same `std::invalid_argument` on
/// every rank when the file's shape is not the layout's global shape; when a rank cannot open
/// or read the file (`pq::FormatError`, `std::system_error`) or allocate its rows
/// (`std::bad_alloc`), the lowest such rank rethrows its own exception and the others throw
/// `RemoteError` (with `block()` `RemoteError::no_block`).
[[nodiscard]] inline TernaryField read_slab(const SlabLayout& layout,
                                            const std::filesystem::path& path) {
  const char* where = "dashi::mpi::read_slab";
  const MPI_Comm comm = detail::LayoutAccess::resources(layout).internal.get();
  std::string shape_error;
  TernaryField rows;
  const detail::Failure failure = detail::attempt_local([&] {
    const pq::PqFile file(path);
    if (!(file.shape() == layout.global_shape())) {
      shape_error = std::string(where) + ": " + path.string() + " holds a field of shape " +
                    file.shape().to_string() + ", the layout's global shape is " +
                    layout.global_shape().to_string();
    } else {
      rows = file.read_rows(layout.first_row(), layout.row_count());
    }
  });
  detail::agree_on_failures(comm, failure);
  detail::agree(comm, where, shape_error, {});
  return rows;
}

}  // namespace dashi::mpi
