// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// PQ on the executor: `run_kernel_parallel(kernel, const pq::PackedField&, options)` runs a
/// kernel packed in → packed out, and `pq::roundtrip(kernel)` wraps a kernel so that its
/// block is packed and unpacked around it. Dense stays the reference: `decode` of the
/// packed result equals the dense executor's result, byte for byte.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/advance.hpp>
#include <dashi/bits/detail/contract.hpp>
#include <dashi/bits/kernel.hpp>
#include <dashi/bits/pq.hpp>
#include <dashi/carrier.hpp>
#include <dashi/detail/periodic_rows.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/partition.hpp>
#include <dashi/pq/codec.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace dashi::pq::detail {

/// Decodes rows `[first_row, first_row + count)` of `input`, taken modulo its rows (so
/// a range may wrap around the end), into `dst`.
inline void decode_rows_wrapped(const PackedField& input, std::ptrdiff_t first_row,
                                std::size_t count, std::int8_t* dst) {
  const auto rows = static_cast<std::ptrdiff_t>(input.shape().rows());
  const std::size_t row_elems = input.shape().row_elems();
  const auto start = static_cast<std::size_t>(((first_row % rows) + rows) % rows);
  dashi::detail::for_each_periodic_run(static_cast<std::size_t>(rows), start, count,
                                       [&](std::size_t row, std::size_t at, std::size_t run) {
                                         decode_sites(input, row * row_elems, run * row_elems,
                                                      dst + at * row_elems);
                                       });
}

/// The packed executor. Tasks are ranges of whole PQ blocks of about `block_sites` sites
/// (a pure function of the shape, the PQ block size and `block_sites`); each decodes the
/// rows covering its sites plus the halo into the thread's scratch, runs the kernel there,
/// checks the contract and packs its sites.
template <class K>
PackedField run_kernel_packed(ThreadPool& pool, const K& kernel, const PackedField& input,
                              const ParallelOptions& options) {
  static_assert(AnyKernel<K> || bits::BitKernel<K>, DASHI_KERNEL_REQUIREMENT);
  constexpr std::size_t radius = kernel_radius_v<K>;
  const std::size_t halo = options.halo.value_or(radius);
  if (halo < radius) {
    throw std::invalid_argument("dashi::run_kernel_parallel: halo " + std::to_string(halo) +
                                " is below the kernel's radius " + std::to_string(radius));
  }
  const Shape& shape = input.shape();
  const std::size_t n = shape.size();
  const std::size_t row_elems = shape.row_elems();
  const std::size_t rows = shape.rows();
  const std::size_t block_sites = input.block_sites();
  const std::size_t requested = options.requested_block_sites();
  const std::size_t elems = requested == 0 ? auto_block_elems() : requested;
  const std::size_t blocks_per_task =
      std::max<std::size_t>(1, elems / block_sites + (elems % block_sites != 0));
  TaskPlan plan;
  plan.blocks = input.block_count();
  plan.tasks = std::max<std::size_t>(
      1, plan.blocks / blocks_per_task + (plan.blocks % blocks_per_task != 0));
  const std::size_t threads = dashi::detail::resolve_threads(pool, options.num_workers, n);
  const Isa isa = codec_isa();
  const auto shift = static_cast<unsigned>(std::countr_zero(input.block_sites()) - 6);
  const bool periodic = options.boundary == Boundary::periodic && halo != 0;
  if (periodic) {
    // Each side wraps as many times as it must; the extended block of the largest task
    // (at most all rows plus both halos) must be a shape memory could hold.
    constexpr auto limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
    const std::size_t row_limit = row_elems == 0 ? limit : limit / row_elems;
    if (rows > row_limit || halo > (row_limit - rows) / 2) {
      throw std::invalid_argument("dashi::run_kernel_parallel: periodic halo " +
                                  std::to_string(halo) + " around " + std::to_string(rows) +
                                  " rows of shape " + shape.to_string() +
                                  " gives a block larger than memory can hold");
    }
  }
  const bool check = options.check_contract && !kernel_contract_proven_v<K>;
  // The rows a task needs: its sites' rows plus the halo (clipped, or wrapping around).
  struct TaskRows {
    std::size_t first = 0;   // first row of the extended block (taken mod rows)
    std::size_t count = 0;   // rows of the extended block
    std::size_t offset = 0;  // the task's first site inside the extended block
  };
  const auto task_rows = [&](std::size_t first, std::size_t count) {
    const std::size_t row_first = first / row_elems;
    const std::size_t row_end = (first + count + row_elems - 1) / row_elems;
    const std::size_t ext_first = periodic ? row_first : row_first - std::min(halo, row_first);
    // Clipped: a halo beyond the field stops at its ends (no sum can wrap).
    const std::size_t ext_end =
        periodic ? row_end + 2 * halo : row_end + std::min(halo, rows - row_end);
    const std::size_t halo_before = periodic ? halo : row_first - ext_first;
    return TaskRows{periodic ? (row_first + rows - halo % rows) % rows : ext_first,
                    ext_end - ext_first, first - row_first * row_elems + halo_before * row_elems};
  };
  // One task: its sites [first, first + count) through `run(task, first, count, rows)`,
  // which returns the packed words (P, the sign stream, the block offsets) it wrote.
  const auto tasks = [&](const auto& run) {
    return [&](std::size_t task, std::size_t first, std::size_t count, std::uint64_t* p,
               std::uint64_t* stream, std::uint64_t* offsets) -> std::uint64_t {
      if (count == 0) {
        return 0;
      }
      const dashi::detail::ScratchLease::Level level;
      const dashi::detail::CurrentBlock current(task);
      return run(task, first, count, task_rows(first, count), p, stream, offsets);
    };
  };
  const auto parallel_for = [&](std::size_t count, const auto& body) {
    pool.parallel_for(count, body, threads);
  };
  if constexpr (bits::BitKernel<K>) {
    // Through bit planes: PQ -> planes -> kernel -> planes -> PQ, no byte per site.
    const auto on_planes = [&](std::size_t task, std::size_t first, std::size_t count,
                               const TaskRows& ext, std::uint64_t* p, std::uint64_t* stream,
                               std::uint64_t* offsets) {
      const Shape ext_shape = shape.with_rows(ext.count);
      const bits::detail::ScratchPlanes in(ext_shape, 0);
      const bits::detail::ScratchPlanes out(ext_shape, 1);
      const bits::BitSpan in_planes = in.span();
      bits::detail::clear_last_words(in_planes);  // their padding bits stay 0
      for (std::size_t done = 0, row = ext.first; done < ext.count;) {
        const std::size_t run = std::min(ext.count - done, rows - row);
        bits::detail::read_packed(input, row * row_elems, run * row_elems, in_planes,
                                  done * row_elems);
        done += run;
        row = 0;
      }
      kernel.bits(in_planes.view(), out.span());
      const bits::detail::ConstPlaneRun result = bits::detail::run_of(out.span().view());
      if (check) {
        bits::detail::check_bit_contract_sites(bits::detail::run_of(in_planes.view()), result,
                                               ext.offset, count, task, first);
      }
      return bits::detail::pq_write(result, ext.offset, count, p, stream, shift, offsets);
    };
    return build_packed(shape, input.block_sites(), plan, parallel_for, tasks(on_planes));
  } else {
    const auto on_bytes = [&](std::size_t task, std::size_t first, std::size_t count,
                              const TaskRows& ext, std::uint64_t* p, std::uint64_t* stream,
                              std::uint64_t* offsets) {
      const dashi::detail::ScratchLease in(ext.count * row_elems, 0);
      const dashi::detail::ScratchLease out(ext.count * row_elems, 1);
      decode_rows_wrapped(input, static_cast<std::ptrdiff_t>(ext.first), ext.count, in.data());
      const Shape ext_shape = shape.with_rows(ext.count);
      dashi::detail::apply_into(kernel, TernaryView::unchecked(in.data(), ext_shape),
                                TernarySpan::unchecked(out.data(), ext_shape));
      if (check) {
        dashi::detail::check_contract(in.data() + ext.offset, out.data() + ext.offset, count, task,
                                      first);
      }
      return encode_kernel(isa, out.data() + ext.offset, count, p, stream, shift, offsets);
    };
    return build_packed(shape, input.block_sites(), plan, parallel_for, tasks(on_bytes));
  }
}

}  // namespace dashi::pq::detail

namespace dashi {

/// Runs `kernel` on a packed field, packed in → packed out, on `pool`: each worker decodes
/// the rows it needs (its sites plus the halo) into its own scratch, runs the kernel and
/// packs its sites. A kernel with a bit form (`bits::BitKernel`) runs on bit planes: PQ →
/// planes → kernel → planes → PQ, no byte per site on the way; other kernels on bytes. The result
/// has the input's block size, and `pq::decode(result)` equals `run_kernel_parallel(pool, kernel,
/// pq::decode(input), options)` byte for byte, for any workers and `block_sites` (tasks are whole
/// PQ blocks of about `block_sites` sites). Throws like the dense overloads
/// (`std::invalid_argument`, `KernelContractError`, the lowest failing task's exception) and
/// `std::bad_alloc`. Thread-safe.
template <class K>
[[nodiscard]] pq::PackedField run_kernel_parallel(ThreadPool& pool, const K& kernel,
                                                  const pq::PackedField& input,
                                                  const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K> || bits::BitKernel<K>, DASHI_KERNEL_REQUIREMENT);
  return pq::detail::run_kernel_packed(pool, kernel, input, options);
}

/// The packed overload on `default_thread_pool()`. Throws like the pool overload, and
/// `std::system_error` when the default pool's workers cannot start.
template <class K>
[[nodiscard]] pq::PackedField run_kernel_parallel(const K& kernel, const pq::PackedField& input,
                                                  const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K> || bits::BitKernel<K>, DASHI_KERNEL_REQUIREMENT);
  return pq::detail::run_kernel_packed(default_thread_pool(), kernel, input, options);
}

namespace pq {

/// A kernel whose block is packed and unpacked around `K`: the block is encoded and
/// decoded before the kernel sees it, and its output is encoded and decoded before it is
/// written. Observationally identical to `K` (PQ is lossless); used to measure and test
/// the codec inside real pipelines. Same radius and contract as `K`.
template <class K>
class RoundtripKernel {
 public:
  static constexpr std::size_t radius = kernel_radius_v<K>;
  static constexpr bool contract_proven = kernel_contract_proven_v<K>;

  /// Wraps `kernel`; the round trips use `options.block_sites` and run on the calling thread
  /// (`options.num_workers` is ignored: the kernel already runs inside a parallel block).
  explicit RoundtripKernel(K kernel, PqOptions options = {})
      : kernel_(std::move(kernel)), options_(options) {
    options_.num_workers = 1;  // already inside a parallel block
  }

  /// Throws what `K` or the codec throws, and `std::bad_alloc` (each call allocates a packed
  /// and a dense field).
  void operator()(TernaryView in, TernarySpan out) const {
    PackedField packed;
    TernaryField unpacked = TernaryField::uninitialized(in.shape());
    encode_into(in, packed, options_);
    decode_into(packed, unpacked.span(), options_);
    dashi::detail::apply_into(kernel_, unpacked.view(), out);
    encode_into(TernaryView::unchecked(out.data(), out.shape()), packed, options_);
    decode_into(packed, out, options_);
  }

 private:
  K kernel_;
  PqOptions options_;
};

/// Wraps `kernel` so its block is packed and unpacked around it (see `RoundtripKernel`).
template <class K>
[[nodiscard]] RoundtripKernel<K> roundtrip(K kernel, PqOptions options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  return RoundtripKernel<K>(std::move(kernel), options);
}

}  // namespace pq

}  // namespace dashi
