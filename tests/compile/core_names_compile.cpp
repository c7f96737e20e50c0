// SPDX-License-Identifier: Apache-2.0
// No library header includes a CPU-id header (the CPU facts come from __builtin_cpu_supports
// and an inline `cpuid`), so the user's translation unit stays free of the ~150 macros of
// <cpuid.h> (`bit_AVX2`, `signature_AMD_ebx`, ...). That the core headers include no OS
// header directly either is checked by the `hygiene` tests on the include tree (the
// standard library itself may include <unistd.h>, as libstdc++'s <atomic> does for its
// futex waits).

#include <dashi/carrier.hpp>
#include <dashi/dashi.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/reduce.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/kernels/compose.hpp>
#include <dashi/metrics.hpp>
#include <dashi/partition.hpp>
#include <dashi/simd/cpu_features.hpp>

#if defined(bit_AVX2) || defined(bit_SSE4_2) || defined(signature_AMD_ebx) || defined(__cpuid)
#  error "a dashi header included <cpuid.h>"
#endif

namespace {

/// A user enumeration with names <cpuid.h> defines as macros.
enum class UserBits { bit_AVX2, bit_SSE4_2, bit_BMI2 };

static_assert(static_cast<int>(UserBits::bit_BMI2) == 2);

}  // namespace
