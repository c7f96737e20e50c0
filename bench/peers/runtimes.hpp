// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The parallel runtimes the executor is compared with: OpenMP, oneTBB `parallel_for` (its
/// default partitioner and `static_partitioner`) and `std::for_each(std::execution::par)`.
/// Every one of them runs the shipped kernel's own inner loop through `apply_rows`
/// (`same_loop.hpp`), so a ratio against the executor measures scheduling, not code
/// generation. Each runtime is compiled in only when the build found it (`omp.cpp`,
/// `tbb.cpp`); `available` says which ones are.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>

#include "../common/kernels.hpp"

namespace dashi_bench::peers {

enum class Runtime : std::uint8_t {
  omp,         ///< `#pragma omp parallel num_threads(T)`: one contiguous share per thread
  tbb,         ///< `tbb::parallel_for` over the executor's automatic blocks, default partitioner
  tbb_static,  ///< `tbb::parallel_for` with `tbb::static_partitioner`: one share per thread
  std_par      ///< `std::for_each(std::execution::par)` over the executor's automatic blocks
};

/// True when `runtime` is compiled into this binary.
[[nodiscard]] bool available(Runtime runtime) noexcept;

/// Runs kernel `k` over the whole of `in` into `out` on `threads` threads of `runtime`
/// (the calling thread included; TBB and the parallel algorithm run in a task arena of that
/// size). Throws `std::logic_error` for a runtime that is not built in, and what the kernel
/// throws.
void run_same_loop(Runtime runtime, KernelId k, dashi::TernaryView in, dashi::TernarySpan out,
                   std::size_t threads);

/// Dispatch and join of an empty parallel region on `threads` threads of `runtime` (no
/// std::par form: it has no region of its own).
void run_empty(Runtime runtime, std::size_t threads);

namespace detail {
void run_omp(KernelId k, dashi::TernaryView in, dashi::TernarySpan out, std::size_t threads);
void empty_omp(std::size_t threads);
void run_tbb(Runtime runtime, KernelId k, dashi::TernaryView in, dashi::TernarySpan out,
             std::size_t threads);
void empty_tbb(std::size_t threads);
bool have_omp() noexcept;
bool have_tbb() noexcept;
bool have_std_par() noexcept;
}  // namespace detail

}  // namespace dashi_bench::peers
