// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Iterated kernels with temporal blocking (`run_kernel_iterated`, `iterate_to_fixed_point`),
/// plus the rest of the iteration toolkit: `compose`, `reduce_parallel`, defect and MDL.
///
/// With `steps_per_sync = s`, each block carries a halo of `halo × s` rows and advances `s`
/// steps on its own (the valid rows shrink by the halo at each step) before the blocks are
/// recombined: fewer synchronisations and cache-resident steps for some redundant halo
/// work. The result equals applying the kernel `steps` times monolithically, byte for byte.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/detail/periodic_rows.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/reduce.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/kernels/compose.hpp>
#include <dashi/metrics.hpp>
#include <dashi/partition.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi {

/// Options of `run_kernel_iterated`: the executor's, plus the temporal blocking depth.
struct IterateOptions : ParallelOptions {
  /// Steps each block advances between two synchronisations (≥ 1). Never changes the result.
  std::size_t steps_per_sync = 1;
};

/// Result of `iterate_to_fixed_point`.
struct IterationResult {
  TernaryField field;      ///< the state after `steps` kernel applications
  std::size_t steps = 0;   ///< applications after which the state stopped changing (or max)
  bool converged = false;  ///< true when an application within `max_steps` changed nothing
};

namespace detail {

/// Per-block record of the steps of one synchronisation at which the block's core did not
/// change (bit j-1 set ⇔ step j left the core as it was).
using StepMask = std::vector<std::uint64_t>;

/// The first failure of a block during one synchronisation: the step it happened at.
struct StepFailure {
  std::size_t step = std::numeric_limits<std::size_t>::max();
  std::exception_ptr error;
};

/// Advances block `index` by `steps` steps from `src` and writes its core into `dst`.
/// `unchanged`, when not null, receives the step mask of the core; `step_reached` follows
/// the step being computed (so that a failure can be placed in time).
template <class K>
void advance_block(const K& kernel, TernaryView src, TernarySpan dst, const Partition& partition,
                   std::size_t index, std::size_t halo, std::size_t steps,
                   const ParallelOptions& options, StepMask* unchanged, std::size_t& step_reached) {
  const ScratchLease::Level level;
  const CurrentBlock current_block(index);
  const std::size_t row_elems = src.shape().row_elems();
  const std::size_t rows = src.shape().rows();
  const std::size_t depth = halo * steps;
  const bool periodic = options.boundary == Boundary::periodic && halo != 0;
  const Block block = partition.block(index, periodic ? 0 : depth);
  const std::size_t ext_rows = periodic ? block.row_count + 2 * depth : block.halo_row_count;
  const ScratchLease first(ext_rows * row_elems, 0);
  const ScratchLease second(ext_rows * row_elems, 1);
  const Shape ext_shape = src.shape().with_rows(ext_rows);
  TernaryView current;
  std::size_t core_first = 0;  // first core row inside the extended rows
  if (periodic) {
    copy_rows_periodic(src.data(), rows, row_elems,
                       periodic_row_before(block.first_row, depth, rows), first.data(), ext_rows);
    current = TernaryView::unchecked(first.data(), ext_shape);
    core_first = depth;
  } else {
    current = src.rows(block.halo_first_row, block.halo_row_count);
    core_first = block.halo_before();
  }
  // A side is a true edge (valid rows never shrink there) only for clipped halos at the
  // field's ends.
  const bool low_edge = !periodic && block.halo_first_row == 0;
  const bool high_edge = !periodic && block.halo_first_row + block.halo_row_count == rows;
  const bool check = options.check_contract && !kernel_contract_proven_v<K>;
  std::size_t low = 0;
  std::size_t high = ext_rows;
  const std::size_t core_sites = block.row_count * row_elems;
  const std::array<std::int8_t*, 2> targets = {periodic ? second.data() : first.data(),
                                               periodic ? first.data() : second.data()};
  std::int8_t* const dst_core = dst.data() + block.first_row * row_elems;
  bool wrote_dst = false;
  for (std::size_t step = 0; step < steps; ++step) {
    step_reached = step;
    // The last step writes straight into `dst` when its rows are exactly the core (no halo,
    // or a block clipped at both field ends) or the kernel can write the core rows alone
    // (`RowWindowKernel`); earlier steps ping-pong in scratch.
    const bool exact = low == core_first && high - low == block.row_count;
    const bool direct = step + 1 == steps && (exact || RowWindowKernel<K>);
    std::int8_t* const target = targets[step % 2];
    const TernaryView in = current.rows(low, high - low);
    // A large `dst` written directly will not stay in cache: let byte maps stream it.
    const bool stream = direct && !check && dst.size() >= streaming_store_bytes;
    const StreamingOutput streaming(stream ? dst_core : nullptr,
                                    stream ? dst_core + core_sites : nullptr);
    if constexpr (RowWindowKernel<K>) {
      if (direct && !exact) {
        kernel.into_rows(in, core_first - low,
                         TernarySpan::unchecked(dst_core, src.shape().with_rows(block.row_count)));
      }
    }
    if (!direct || exact) {
      apply_into(kernel, in,
                 TernarySpan::unchecked(direct ? dst_core : target + low * row_elems, in.shape()));
    }
    const std::int8_t* core_in = current.data() + core_first * row_elems;
    const std::int8_t* core_out = direct ? dst_core : target + core_first * row_elems;
    if (check) {
      check_contract(core_in, core_out, core_sites, index, block.first_row * row_elems);
    }
    if (unchanged != nullptr && std::memcmp(core_in, core_out, core_sites) == 0) {
      (*unchanged)[step / 64] |= std::uint64_t{1} << (step % 64);
    }
    wrote_dst = direct;
    current = TernaryView::unchecked(target, ext_shape);
    low += low_edge ? 0 : halo;
    high -= high_edge ? 0 : halo;
  }
  if (!wrote_dst) {
    std::memcpy(dst_core, current.data() + core_first * row_elems, core_sites);
  }
}

/// One synchronisation of `count` steps from `from` into `to`, run step by step as with
/// `steps_per_sync = 1` (through a scratch field): rethrows the failure such a run reports
/// (earliest step, then lowest block), or leaves the synchronisation's result in `to` and
/// its step masks in `masks` when no step fails this way.
template <class K>
void rerun_step_by_step(ThreadPool& pool, const K& kernel, TernaryView from, TernarySpan to,
                        const Partition& partition, std::size_t halo, std::size_t count,
                        const ParallelOptions& options, std::vector<StepMask>& masks,
                        std::size_t threads) {
  const std::size_t blocks = partition.block_count();
  TernaryField scratch = TernaryField::uninitialized(from.shape());
  const std::array<TernarySpan, 2> buffers = {to, scratch.span()};
  std::vector<StepFailure> failures(blocks);
  std::vector<StepMask> step_masks(masks.empty() ? 0 : blocks, StepMask(1, 0));
  for (StepMask& mask : masks) {
    mask.assign((count + 63) / 64, 0);
  }
  TernaryView current = from;
  for (std::size_t step = 0; step < count; ++step) {
    const TernarySpan next = buffers[(count - 1 - step) % 2];
    for (StepMask& mask : step_masks) {
      mask[0] = 0;
    }
    pool.parallel_for(
        blocks,
        [&](std::size_t index) {
          std::size_t step_reached = 0;
          try {
            advance_block(kernel, current, next, partition, index, halo, 1, options,
                          step_masks.empty() ? nullptr : &step_masks[index], step_reached);
          } catch (...) {
            failures[index] = {0, std::current_exception()};
          }
        },
        threads);
    for (const StepFailure& failure : failures) {
      if (failure.error) {
        std::rethrow_exception(failure.error);  // the lowest failing block of this step
      }
    }
    for (std::size_t b = 0; b < step_masks.size(); ++b) {
      masks[b][step / 64] |= (step_masks[b][0] & 1U) << (step % 64);
    }
    current = next.view();
  }
}

/// What the iteration driver did: the applications after which the state stopped changing
/// (or all of them) and whether it converged.
struct IterationCount {
  std::size_t steps = 0;
  bool converged = false;
};

/// Synchronisations of a run of `steps` applications, `steps_per_sync` at a time.
/// `steps_per_sync >= 1`; written without `steps + steps_per_sync - 1`, which can wrap.
[[nodiscard]] constexpr std::size_t sync_count(std::size_t steps,
                                               std::size_t steps_per_sync) noexcept {
  return steps / steps_per_sync + (steps % steps_per_sync != 0 ? 1 : 0);
}

/// Steps per synchronisation actually used: `steps_per_sync` capped so that a block's
/// extended rows (`halo × steps` on each side) never exceed what the boundary can give.
/// Clipped halos stop at the field's edges, so only the product must not wrap; periodic
/// ones are copied row by row, so they reach at most once around the field. The result
/// does not depend on `steps_per_sync`, so capping it changes nothing but the work.
[[nodiscard]] constexpr std::size_t effective_steps_per_sync(std::size_t steps_per_sync,
                                                             std::size_t halo, std::size_t rows,
                                                             Boundary boundary) noexcept {
  if (halo == 0) {
    return steps_per_sync;
  }
  const std::size_t reach = boundary == Boundary::periodic
                                ? std::max(halo, rows)
                                : std::numeric_limits<std::size_t>::max();
  return std::max<std::size_t>(1, std::min(steps_per_sync, reach / halo));
}

/// Checks the options, the output and (when given) the spare buffer of an iteration;
/// returns the halo.
template <class K>
std::size_t checked_iteration(TernaryView input, TernarySpan output, const TernarySpan* spare,
                              const IterateOptions& options) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  if (options.steps_per_sync == 0) {
    throw std::invalid_argument("dashi::run_kernel_iterated: steps_per_sync must be at least 1");
  }
  const std::size_t halo = checked_halo<K>(input, output, options);
  if (spare != nullptr) {
    if (!(spare->shape() == input.shape())) {
      throw std::invalid_argument("dashi::run_kernel_iterated: spare shape " +
                                  spare->shape().to_string() + " differs from input shape " +
                                  input.shape().to_string());
    }
    if (overlaps(input, *spare) || overlaps(output.view(), *spare)) {
      throw std::invalid_argument(
          "dashi::run_kernel_iterated: the spare buffer overlaps the input or the output");
    }
  }
  return halo;
}

/// The iteration driver: `steps` applications from `input` in synchronisations of
/// `steps_per_sync`, ping-ponging between `output` and `spare` so that the last one lands in
/// `output` (`spare` is not touched when one synchronisation is enough). With
/// `stop_at_fixed_point`, stops after the first synchronisation in which some step changed
/// nothing. Buffers are checked by `checked_iteration` first.
template <class K>
IterationCount iterate_into(ThreadPool& pool, const K& kernel, TernaryView input, std::size_t steps,
                            TernarySpan output, TernarySpan spare, const IterateOptions& options,
                            std::size_t halo, bool stop_at_fixed_point) {
  if (steps == 0 || input.size() == 0) {
    std::copy_n(input.data(), input.size(), output.data());
    return {0, input.size() == 0};
  }
  const Partition partition(input.shape(), options.requested_block_sites());
  const std::size_t blocks = partition.block_count();
  const std::size_t threads = resolve_threads(pool, options.num_workers, input.size());
  std::vector<StepMask> masks(stop_at_fixed_point ? blocks : 0);
  std::vector<StepFailure> failures(blocks);
  const std::size_t per_sync = effective_steps_per_sync(options.steps_per_sync, halo,
                                                        input.shape().rows(), options.boundary);
  const std::size_t syncs = sync_count(steps, per_sync);
  const std::array<TernarySpan, 2> buffers = {output, spare};
  TernaryView from = input;
  std::size_t done = 0;
  for (std::size_t sync = 0; sync < syncs; ++sync) {
    const std::size_t count = std::min(per_sync, steps - done);
    const TernarySpan to = buffers[(syncs - 1 - sync) % 2];
    for (StepMask& mask : masks) {
      mask.assign((count + 63) / 64, 0);
    }
    std::fill(failures.begin(), failures.end(), StepFailure{});
    pool.parallel_for(
        blocks,
        [&](std::size_t index) {
          std::size_t step_reached = 0;
          try {
            advance_block(kernel, from, to, partition, index, halo, count, options,
                          masks.empty() ? nullptr : &masks[index], step_reached);
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
        [](const StepFailure& a, const StepFailure& b) { return a.step < b.step; });
    if (first_failure != failures.end() && first_failure->error) {
      if (count == 1) {
        std::rethrow_exception(first_failure->error);
      }
      rerun_step_by_step(pool, kernel, from, to, partition, halo, count, options, masks, threads);
    }
    if (stop_at_fixed_point) {
      for (std::size_t step = 0; step < count; ++step) {
        const bool all_unchanged = std::all_of(masks.begin(), masks.end(), [&](const StepMask& m) {
          return ((m[step / 64] >> (step % 64)) & 1U) != 0;
        });
        if (all_unchanged) {
          if (to.data() != output.data()) {
            std::copy_n(to.data(), to.size(), output.data());
          }
          return {done + step, true};
        }
      }
    }
    done += count;
    from = to.view();
  }
  return {steps, false};
}

/// The allocating form: a fresh result field, and a spare one only when the iteration
/// needs more than one synchronisation.
template <class K>
IterationResult iterate(ThreadPool& pool, const K& kernel, TernaryView input, std::size_t steps,
                        const IterateOptions& options, bool stop_at_fixed_point) {
  IterationResult result;
  result.field = TernaryField::uninitialized(input.shape());
  const std::size_t halo = checked_iteration<K>(input, result.field.span(), nullptr, options);
  TernaryField spare;
  const std::size_t per_sync = effective_steps_per_sync(options.steps_per_sync, halo,
                                                        input.shape().rows(), options.boundary);
  if (steps != 0 && input.size() != 0 && sync_count(steps, per_sync) > 1) {
    spare = TernaryField::uninitialized(input.shape());
  }
  const IterationCount count = iterate_into(pool, kernel, input, steps, result.field.span(),
                                            spare.span(), options, halo, stop_at_fixed_point);
  result.steps = count.steps;
  result.converged = count.converged;
  return result;
}

}  // namespace detail

/// `kernel` applied `steps` times to `input` (0 steps: a copy), block-parallel on `pool`
/// with temporal blocking of `options.steps_per_sync` steps. Equals `steps` monolithic
/// applications byte for byte, for any workers, block size, order and `steps_per_sync`.
/// Allocates the result, a spare ping-pong field when more than one synchronisation is
/// needed (`steps > steps_per_sync`, where `Boundary::periodic` caps `steps_per_sync` at
/// `rows / halo`, at least 1), a few words per block, and per-thread scratch reused across
/// calls; nothing per step. Throws `std::invalid_argument` for bad options (also
/// `steps_per_sync == 0`), `std::bad_alloc`, `KernelContractError`, and what the kernel
/// throws: the failure of the earliest step, and within it of the lowest block, as in a
/// step-by-step run (a failed temporally blocked synchronisation is re-run step by step,
/// through one field-sized scratch, to find it, so `steps_per_sync` never changes which
/// failure is reported; the fast path is unchanged). Thread-safe like `run_kernel_parallel`.
template <class K>
[[nodiscard]] TernaryField run_kernel_iterated(ThreadPool& pool, const K& kernel, TernaryView input,
                                               std::size_t steps,
                                               const IterateOptions& options = {}) {
  return detail::iterate(pool, kernel, input, steps, options, false).field;
}

/// `kernel` applied `steps` times to `input`, written into the caller-owned `output`, with
/// `spare` as the second ping-pong buffer: no field-sized allocation unless a temporally
/// blocked synchronisation fails (it is then re-run through one field-sized scratch), so a
/// loop of calls reuses the same memory. `output` and `spare` have the input's shape and
/// overlap neither the input nor each other; `spare` is left with unspecified trits (it is
/// not touched when one synchronisation suffices: `steps <= steps_per_sync`, the latter
/// capped as in the allocating overload for `Boundary::periodic`). Same result, throws and
/// thread safety as the allocating overload, plus `std::invalid_argument` for a bad `output`
/// or `spare`; on a throw both buffers hold unspecified trits.
template <class K>
void run_kernel_iterated(ThreadPool& pool, const K& kernel, TernaryView input, std::size_t steps,
                         TernarySpan output, TernarySpan spare,
                         const IterateOptions& options = {}) {
  const std::size_t halo = detail::checked_iteration<K>(input, output, &spare, options);
  detail::iterate_into(pool, kernel, input, steps, output, spare, options, halo, false);
}

/// `run_kernel_iterated` on `default_thread_pool()`. Throws like the pool overload, and
/// `std::system_error` when the default pool's workers cannot start.
template <class K>
[[nodiscard]] TernaryField run_kernel_iterated(const K& kernel, TernaryView input,
                                               std::size_t steps,
                                               const IterateOptions& options = {}) {
  return detail::iterate(default_thread_pool(), kernel, input, steps, options, false).field;
}

/// Applies `kernel` until an application changes nothing (zero defect) or `max_steps`
/// applications were made. `steps` is the number of applications after which the state was
/// a fixed point (so `run_kernel_iterated(kernel, input, steps)` gives the same field), and
/// `converged` says whether an application within `max_steps` changed nothing: a field that
/// becomes a fixed point at exactly `max_steps` is returned with `converged == false`, as no
/// application beyond `max_steps` is made. Detection is exact and deterministic; with
/// `steps_per_sync = s` up to `s - 1` extra applications run past the fixed point (they
/// change nothing). Throws like `run_kernel_iterated`.
template <class K>
[[nodiscard]] IterationResult iterate_to_fixed_point(ThreadPool& pool, const K& kernel,
                                                     TernaryView input, std::size_t max_steps,
                                                     const IterateOptions& options = {}) {
  return detail::iterate(pool, kernel, input, max_steps, options, true);
}

/// `iterate_to_fixed_point` on `default_thread_pool()`. Throws like the pool overload, and
/// `std::system_error` when the default pool's workers cannot start.
template <class K>
[[nodiscard]] IterationResult iterate_to_fixed_point(const K& kernel, TernaryView input,
                                                     std::size_t max_steps,
                                                     const IterateOptions& options = {}) {
  return detail::iterate(default_thread_pool(), kernel, input, max_steps, options, true);
}

}  // namespace dashi
