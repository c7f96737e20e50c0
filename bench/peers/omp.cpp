// SPDX-License-Identifier: Apache-2.0
// The OpenMP peers: the shipped inner loop in one share per thread, the plain loop under
// `parallel for`, and an empty region. Real bodies only when built with OpenMP.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <exception>
#include <stdexcept>

#include "plain.hpp"
#include "runtimes.hpp"
#include "same_loop.hpp"

#if defined(DASHI_BENCH_HAVE_OPENMP)
#  include <omp.h>
#endif

namespace dashi_bench::peers {

namespace detail {

#if defined(DASHI_BENCH_HAVE_OPENMP)
bool have_omp() noexcept { return true; }
#else
bool have_omp() noexcept { return false; }
#endif

#if defined(DASHI_BENCH_HAVE_OPENMP)

void run_omp(KernelId k, dashi::TernaryView in, dashi::TernarySpan out, std::size_t threads) {
  const std::size_t rows = in.shape().rows();
  std::exception_ptr error;
  with_kernel(k, [&](const auto& kernel) {
#  pragma omp parallel num_threads(static_cast <int>(threads))
    {
      const auto id = static_cast<std::size_t>(omp_get_thread_num());
      const auto count = static_cast<std::size_t>(omp_get_num_threads());
      const RowRange share = share_of(rows, id, count);
      try {
        apply_rows(kernel, in, out, share.first, share.count);
      } catch (...) {
#  pragma omp critical(dashi_bench_omp_error)
        error = std::current_exception();
      }
    }
  });
  if (error) {
    std::rethrow_exception(error);
  }
}

void empty_omp(std::size_t threads) {
#  pragma omp parallel num_threads(static_cast <int>(threads))
  {
    // Nothing to do; the barrier keeps the compiler from dropping the empty region.
    asm volatile("" ::: "memory");
  }
}

#else

void run_omp(KernelId, dashi::TernaryView, dashi::TernarySpan, std::size_t) {
  throw std::logic_error("dashicore_bench: built without OpenMP");
}
void empty_omp(std::size_t) { throw std::logic_error("dashicore_bench: built without OpenMP"); }

#endif

}  // namespace detail

#if defined(DASHI_BENCH_HAVE_OPENMP)
void plain_omp(KernelId k, const std::int8_t* in, std::int8_t* out, std::size_t n, int threads) {
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
    default:
      return;
  }
}
#else
void plain_omp(KernelId, const std::int8_t*, std::int8_t*, std::size_t, int) {
  throw std::logic_error("dashicore_bench: built without OpenMP");
}
#endif

bool available(Runtime runtime) noexcept {
  switch (runtime) {
    case Runtime::omp:
      return detail::have_omp();
    case Runtime::tbb:
    case Runtime::tbb_static:
      return detail::have_tbb();
    case Runtime::std_par:
      return detail::have_std_par();
  }
  return false;
}

void run_same_loop(Runtime runtime, KernelId k, dashi::TernaryView in, dashi::TernarySpan out,
                   std::size_t threads) {
  if (runtime == Runtime::omp) {
    detail::run_omp(k, in, out, threads);
  } else {
    detail::run_tbb(runtime, k, in, out, threads);
  }
}

void run_empty(Runtime runtime, std::size_t threads) {
  if (runtime == Runtime::omp) {
    detail::empty_omp(threads);
  } else {
    detail::empty_tbb(threads);
  }
}

}  // namespace dashi_bench::peers
