// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Run-time CPU feature detection used to pick SIMD code paths. On anything but
/// x86-64 with GCC or Clang every feature reads as absent, so callers fall back to
/// their portable code.

#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  include <cpuid.h>
/// Defined to 1 when x86-64 code paths with `__attribute__((target))` are compiled in.
#  define DASHI_DETAIL_X86_DISPATCH 1
#else
#  define DASHI_DETAIL_X86_DISPATCH 0
#endif

namespace dashi::detail {

/// CPU vendors that matter for the choice of code path.
enum class CpuVendor : std::uint8_t { other, intel, amd, hygon };

/// What the running CPU offers (all false off x86-64). Filled once per process.
struct CpuFeatures {
  CpuVendor vendor = CpuVendor::other;
  std::uint32_t family = 0;  ///< display family (base + extended family)
  bool sse42 = false;        ///< SSE4.2, including the CRC32 instruction
  bool popcnt = false;
  bool avx2 = false;
  bool bmi2 = false;
  bool fast_pext_pdep = false;  ///< BMI2 present and `pext`/`pdep` not microcoded
};

/// True when `pext`/`pdep` run in hardware at full speed. They exist but are
/// microcoded (about 20x slower, data dependent) on AMD before Zen 3 (family < 0x19)
/// and on Hygon (Zen 1 derived), so those CPUs take the portable path.
[[nodiscard]] constexpr bool pext_pdep_is_fast(bool bmi2, CpuVendor vendor,
                                               std::uint32_t family) noexcept {
  if (!bmi2) {
    return false;
  }
  if (vendor == CpuVendor::hygon) {
    return false;
  }
  return !(vendor == CpuVendor::amd && family < 0x19);
}

/// Queries the CPU (cpuid and `__builtin_cpu_supports`, which also checks that the
/// OS saves AVX state). Thread-safe; prefer the cached `cpu_features()`.
[[nodiscard]] inline CpuFeatures detect_cpu_features() noexcept {
  CpuFeatures features;
#if DASHI_DETAIL_X86_DISPATCH
  __builtin_cpu_init();
  features.sse42 = __builtin_cpu_supports("sse4.2") != 0;
  features.popcnt = __builtin_cpu_supports("popcnt") != 0;
  features.avx2 = __builtin_cpu_supports("avx2") != 0;
  features.bmi2 = __builtin_cpu_supports("bmi2") != 0;
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) != 0) {
    // The vendor string is EBX, EDX, ECX: "AuthenticAMD", "HygonGenuine", "GenuineIntel".
    if (ebx == 0x68747541U && edx == 0x69746e65U && ecx == 0x444d4163U) {
      features.vendor = CpuVendor::amd;
    } else if (ebx == 0x6f677948U && edx == 0x6e65476eU && ecx == 0x656e6975U) {
      features.vendor = CpuVendor::hygon;
    } else if (ebx == 0x756e6547U && edx == 0x49656e69U && ecx == 0x6c65746eU) {
      features.vendor = CpuVendor::intel;
    }
  }
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0) {
    const std::uint32_t base = (eax >> 8) & 0xFU;
    features.family = base == 0xFU ? base + ((eax >> 20) & 0xFFU) : base;
  }
  features.fast_pext_pdep = pext_pdep_is_fast(features.bmi2, features.vendor, features.family);
#endif
  return features;
}

/// The features of the running CPU, detected on first use. Thread-safe.
[[nodiscard]] inline const CpuFeatures& cpu_features() noexcept {
  static const CpuFeatures features = detect_cpu_features();
  return features;
}

}  // namespace dashi::detail
