// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The OpenMP peer: the serial peer's loops under `#pragma omp parallel for
/// schedule(static)` with a given thread count. Compiled in only when CMake finds OpenMP
/// (`DASHI_BENCH_HAVE_OPENMP`).

#include <cstddef>
#include <cstdint>

#include "serial.hpp"

#if defined(DASHI_BENCH_HAVE_OPENMP)
#  include <omp.h>

namespace dashi_bench::peers {

/// Runs kernel `k` over the whole 1-D field with `threads` OpenMP threads, each loop a
/// `parallel for schedule(static)`, as a user would write it by hand.
inline void run_omp(KernelId k, const std::int8_t* in, std::int8_t* out, std::size_t n,
                    int threads) noexcept {
  const auto count = static_cast<std::ptrdiff_t>(n);
  switch (k) {
    case KernelId::sign_flip:
#  pragma omp parallel for schedule(static) num_threads(threads)
      for (std::ptrdiff_t i = 0; i < count; ++i) {
        out[i] = static_cast<std::int8_t>(-in[i]);
      }
      return;
    case KernelId::clamp:
#  pragma omp parallel for schedule(static) num_threads(threads)
      for (std::ptrdiff_t i = 0; i < count; ++i) {
        out[i] = static_cast<std::int8_t>((in[i] > 0) - (in[i] < 0));
      }
      return;
    case KernelId::left_neighbor:
      if (count == 0) {
        return;
      }
      out[0] = in[0];
#  pragma omp parallel for schedule(static) num_threads(threads)
      for (std::ptrdiff_t i = 1; i < count; ++i) {
        const int sum = in[i] + in[i - 1];
        const int sign = (sum > 0) - (sum < 0);
        out[i] = static_cast<std::int8_t>(in[i] == 0 ? 0 : sign);
      }
      return;
    case KernelId::majority3x3:  // 2-D: the bench never asks a peer for it
      return;
  }
}

}  // namespace dashi_bench::peers

#endif  // DASHI_BENCH_HAVE_OPENMP
