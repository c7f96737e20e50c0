// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The naive step loop that `dashi::run_kernel_iterated` is compared with, and the
/// monolithic reference every row of the bench must equal.

#include <algorithm>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <utility>

#include "kernels.hpp"

namespace dashi_bench {

/// What a user writes without `run_kernel_iterated`: `steps` calls of the executor,
/// ping-ponging between two caller-owned buffers of the input's shape (no allocation).
/// Returns the buffer that holds the last step (the input itself for 0 steps).
template <class K>
[[nodiscard]] dashi::TernaryView naive_step_loop(dashi::ThreadPool& pool, const K& kernel,
                                                 dashi::TernaryView input, std::size_t steps,
                                                 const dashi::ParallelOptions& options,
                                                 dashi::TernarySpan a, dashi::TernarySpan b) {
  dashi::TernaryView from = input;
  for (std::size_t step = 0; step < steps; ++step) {
    dashi::run_kernel_parallel(pool, kernel, from, a, options);
    from = a.view();
    std::swap(a, b);
  }
  return from;
}

/// The reference of the suite: `kernel` applied `steps` times with `dashi::apply_kernel`
/// on the calling thread.
template <class K>
[[nodiscard]] dashi::TernaryField monolithic_steps(const K& kernel, dashi::TernaryView input,
                                                   std::size_t steps) {
  dashi::TernaryField state = dashi::TernaryField::uninitialized(input.shape());
  std::copy_n(input.data(), input.size(), state.data());
  for (std::size_t step = 0; step < steps; ++step) {
    state = dashi::apply_kernel(kernel, state.view());
  }
  return state;
}

}  // namespace dashi_bench
