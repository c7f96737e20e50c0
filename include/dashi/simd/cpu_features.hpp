// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The CPU facts beyond the instruction-set level of isa.hpp: vendor, family and whether
/// `pext`/`pdep` are fast, and `pext_pdep_isa()`, the level of the dispatch of code built
/// on those two instructions (the PQ codec and the bit planes' PQ bridge). On anything but
/// x86-64 with GCC or Clang every feature reads as absent, and the library's portable paths
/// run (they need only the GCC/Clang vector extensions, see vectors.hpp).

#include <cstdint>
#include <dashi/simd/isa.hpp>

namespace dashi::detail {

/// CPU vendors that matter for the choice of code path.
enum class CpuVendor : std::uint8_t { other, intel, amd, hygon };

/// What the running CPU offers (all false off x86-64). Filled once per process. `avx2`
/// follows `active_isa()`, so `DASHI_ISA=portable` switches it off too.
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

#if DASHI_DETAIL_X86
/// Registers of `cpuid` leaf `leaf` (sub-leaf 0), by inline assembly so that no CPU-id
/// header enters the user's translation unit.
struct CpuidRegisters {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
};
[[nodiscard]] inline CpuidRegisters cpuid(unsigned leaf) noexcept {
  CpuidRegisters r;
  __asm__ volatile("cpuid"
                   : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                   : "a"(leaf), "c"(0U));
  return r;
}
#endif

/// Queries the CPU (`__builtin_cpu_supports`, which also checks that the OS saves AVX
/// state, and `cpuid` for vendor and family). Thread-safe; prefer the cached
/// `cpu_features()`.
[[nodiscard]] inline CpuFeatures detect_cpu_features() noexcept {
  CpuFeatures features;
#if DASHI_DETAIL_X86
  __builtin_cpu_init();
  features.sse42 = __builtin_cpu_supports("sse4.2") != 0;
  features.popcnt = __builtin_cpu_supports("popcnt") != 0;
  features.avx2 = active_isa() >= Isa::avx2;
  features.bmi2 = __builtin_cpu_supports("bmi2") != 0;
  const CpuidRegisters leaf0 = cpuid(0);
  {
    const unsigned ebx = leaf0.ebx;
    const unsigned ecx = leaf0.ecx;
    const unsigned edx = leaf0.edx;
    // The vendor string is EBX, EDX, ECX: "AuthenticAMD", "HygonGenuine", "GenuineIntel".
    if (ebx == 0x68747541U && edx == 0x69746e65U && ecx == 0x444d4163U) {
      features.vendor = CpuVendor::amd;
    } else if (ebx == 0x6f677948U && edx == 0x6e65476eU && ecx == 0x656e6975U) {
      features.vendor = CpuVendor::hygon;
    } else if (ebx == 0x756e6547U && edx == 0x49656e69U && ecx == 0x6c65746eU) {
      features.vendor = CpuVendor::intel;
    }
  }
  if (leaf0.eax >= 1) {
    const unsigned eax = cpuid(1).eax;
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

/// The level of the dispatch of code whose AVX2 and AVX-512 paths are built on `pext` and
/// `pdep`: `active_isa()` (so `DASHI_ISA` caps it), or `Isa::portable` where those two are
/// microcoded (see `pext_pdep_is_fast`). Decided on first use. Thread-safe.
[[nodiscard]] inline Isa pext_pdep_isa() noexcept {
  static const Isa isa = cpu_features().fast_pext_pdep ? active_isa() : Isa::portable;
  return isa;
}

}  // namespace dashi::detail
