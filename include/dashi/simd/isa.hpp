// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The bottom of the SIMD layer (`include/dashi/simd/`, internal): the one place that decides
/// which instruction sets the library's SIMD code may use. The layer's other files are
/// vectors.hpp (the vector types), x86.hpp (the compiler builtins), dispatch.hpp (the
/// run-time choice of entry point), cpu_features.hpp (vendor, family, fast `pext`/`pdep`) and
/// cpu_relax.hpp (the spin-wait hint); no file outside this folder calls a builtin of an
/// instruction set (generic ones such as `__builtin_expect` are used elsewhere), defines a
/// vector type or queries the CPU's features (the hygiene label's `simd-layer` test checks
/// the first two).
///
/// - `DASHI_DETAIL_X86` is 1 when x86-64 code paths with target attributes are compiled
///   in (x86-64 with GCC or Clang), else 0. `<immintrin.h>` is then included here, at
///   global scope.
/// - Target attributes, the only spellings in the library, each naming an *exact* instruction
///   set: `DASHI_DETAIL_TARGET_PORTABLE`, `DASHI_DETAIL_TARGET_AVX2_EXACT`,
///   `DASHI_DETAIL_TARGET_AVX512_EXACT` and `DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT` switch the
///   features of their level on and every feature above it off, so the body is the same
///   whatever the unit's `-m` / `-march` flags are (the linker may keep any unit's copy of an
///   inline function for all of them; an attribute that only added features would let a
///   `-march=native` unit's AVX2 copy contain AVX-512). Exact functions use the vector
///   extensions and the compiler's builtins (`__builtin_ia32_*`, spelled per compiler in
///   x86.hpp), never the `<immintrin.h>` wrappers, which cannot be inlined into them in a
///   wider unit (a compile error). Write `[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE`
///   on shared loop bodies: they inline into the exact AVX2 / AVX-512 entry points (a subset
///   of their features) and are compiled again there with the wider instructions. Portable
///   fallbacks are always exact, so no unit's flags can put AVX into them. An entry point
///   called from a function without a target attribute is `[[gnu::noinline]]`: inlined
///   there, it would be compiled with that caller's (the unit's) flags.
/// - `active_isa()` is the level the run-time dispatch uses: the best the CPU supports,
///   capped by the environment variable `DASHI_ISA` (`portable`, `avx2` or `avx512`; any
///   other value, or none, leaves the level uncapped). It is read once per process, so a
///   test binary run again under a different `DASHI_ISA` exercises every path.
///
/// Detection uses `__builtin_cpu_supports` only (it also checks that the OS saves the AVX
/// state); the header includes no CPU-id or OS header. Elsewhere (other CPUs or compilers)
/// the level is always `Isa::portable` and the target macros expand to nothing.

#include <cstdlib>
#include <initializer_list>
#include <string_view>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  include <immintrin.h>
#  define DASHI_DETAIL_X86 1
/// Base x86-64 (SSE2) and nothing else (exact).
#  define DASHI_DETAIL_TARGET_PORTABLE                                       \
    [[gnu::target(                                                           \
        "no-sse3,no-popcnt,no-bmi,no-bmi2,no-lzcnt,no-movbe,no-f16c,no-fma," \
        "no-adx,no-aes,no-pclmul,no-gfni,no-vaes,no-vpclmulqdq,no-sha,"      \
        "no-avxvnni")]]
/// Exactly the AVX2 level: nothing of AVX-512 or later, whatever the unit's flags.
#  define DASHI_DETAIL_TARGET_AVX2_EXACT                                      \
    [[gnu::target(                                                            \
        "avx2,bmi,bmi2,popcnt,lzcnt,fma,f16c,movbe,no-avx512f,no-adx,no-aes," \
        "no-pclmul,no-gfni,no-vaes,no-vpclmulqdq,no-sha,no-avxvnni")]]
/// Exactly the AVX-512 level: no later AVX-512 extension, whatever the unit's flags.
#  define DASHI_DETAIL_TARGET_AVX512_EXACT                                     \
    [[gnu::target(                                                             \
        "avx2,bmi,bmi2,popcnt,lzcnt,fma,f16c,movbe,avx512f,avx512bw,avx512vl," \
        "avx512dq,avx512cd,no-avx512vbmi,no-avx512vbmi2,no-avx512vpopcntdq,"   \
        "no-avx512bitalg,no-avx512ifma,no-avx512vnni,no-avx512bf16,"           \
        "no-avx512fp16,no-avx512vp2intersect,no-adx,no-aes,no-pclmul,no-gfni," \
        "no-vaes,no-vpclmulqdq,no-sha,no-avxvnni")]]
/// Exactly the AVX-512 level plus VBMI, VBMI2, VPOPCNTDQ and BITALG (Ice Lake, Zen 4 and
/// later): no later extension, whatever the unit's flags; use only where
/// `avx512_vbmi_active()`.
#  define DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT                                \
    [[gnu::target(                                                             \
        "avx2,bmi,bmi2,popcnt,lzcnt,fma,f16c,movbe,avx512f,avx512bw,avx512vl," \
        "avx512dq,avx512cd,avx512vbmi,avx512vbmi2,avx512vpopcntdq,"            \
        "avx512bitalg,no-avx512ifma,no-avx512vnni,no-avx512bf16,"              \
        "no-avx512fp16,no-avx512vp2intersect,no-adx,no-aes,no-pclmul,no-gfni," \
        "no-vaes,no-vpclmulqdq,no-sha,no-avxvnni")]]
#else
#  define DASHI_DETAIL_X86 0
#  define DASHI_DETAIL_TARGET_PORTABLE
#  define DASHI_DETAIL_TARGET_AVX2_EXACT
#  define DASHI_DETAIL_TARGET_AVX512_EXACT
#  define DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT
#endif

namespace dashi::detail {

/// Instruction-set levels of the run-time dispatch, in increasing order.
enum class Isa : unsigned char {
  portable,  ///< base target only (SSE2 on x86-64)
  avx2,      ///< `DASHI_DETAIL_TARGET_AVX2_EXACT`
  avx512,    ///< `DASHI_DETAIL_TARGET_AVX512_EXACT`
};

/// `"portable"`, `"avx2"` or `"avx512"`: the spelling `DASHI_ISA` accepts, and the one name
/// table of the levels (the rule kernels' and the codec's paths are levels too).
[[nodiscard]] constexpr const char* isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
    case Isa::portable:
      break;
  }
  return "portable";
}

/// The best level the running CPU supports, ignoring `DASHI_ISA`. Thread-safe.
[[nodiscard]] inline Isa supported_isa() noexcept {
#if DASHI_DETAIL_X86
  __builtin_cpu_init();
  // Every CPU with AVX2 and BMI2 also has LZCNT, F16C, FMA and MOVBE (which Clang's
  // __builtin_cpu_supports cannot all name).
  const bool v3 = __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("bmi") != 0 &&
                  __builtin_cpu_supports("bmi2") != 0 && __builtin_cpu_supports("popcnt") != 0 &&
                  __builtin_cpu_supports("fma") != 0;
  if (!v3) {
    return Isa::portable;
  }
  const bool v4 =
      __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0 &&
      __builtin_cpu_supports("avx512vl") != 0 && __builtin_cpu_supports("avx512dq") != 0 &&
      __builtin_cpu_supports("avx512cd") != 0;
  return v4 ? Isa::avx512 : Isa::avx2;
#else
  return Isa::portable;
#endif
}

/// The cap a `DASHI_ISA` value names, or `Isa::avx512` (no cap) for anything else.
[[nodiscard]] constexpr Isa isa_cap(std::string_view value) noexcept {
  for (const Isa isa : {Isa::portable, Isa::avx2}) {
    if (value == isa_name(isa)) {
      return isa;
    }
  }
  return Isa::avx512;
}

/// The level the dispatch uses: `supported_isa()` capped by `DASHI_ISA`, decided on first
/// use and constant for the process. Thread-safe.
[[nodiscard]] inline Isa active_isa() noexcept {
  static const Isa isa = [] {
    const Isa best = supported_isa();
    const char* value = std::getenv("DASHI_ISA");  // NOLINT(concurrency-mt-unsafe): read once
    const Isa cap = value != nullptr ? isa_cap(value) : Isa::avx512;
    return cap < best ? cap : best;
  }();
  return isa;
}

/// True when functions marked `DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT` may run: the active level
/// is `Isa::avx512` and the CPU has VBMI, VBMI2, VPOPCNTDQ and BITALG. Thread-safe.
[[nodiscard]] inline bool avx512_vbmi_active() noexcept {
#if DASHI_DETAIL_X86
  static const bool active =
      active_isa() == Isa::avx512 && __builtin_cpu_supports("avx512vbmi") != 0 &&
      __builtin_cpu_supports("avx512vbmi2") != 0 &&
      __builtin_cpu_supports("avx512vpopcntdq") != 0 && __builtin_cpu_supports("avx512bitalg") != 0;
  return active;
#else
  return false;
#endif
}

}  // namespace dashi::detail
