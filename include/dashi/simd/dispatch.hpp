// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The run-time choice of entry point, written once for every kernel, scan and codec of the
/// library. A routine with instruction-set paths has one entry point per level, each on its
/// exact target (isa.hpp): `f_portable`, `f_avx2`, `f_avx512` (the AVX-512 one on
/// `DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT` where it needs VBMI; its level then comes from
/// `avx512_vbmi_active()`). Its dispatch is one line:
///
///     return dispatch<DASHI_DETAIL_PATHS(&f_portable, &f_avx2, &f_avx512)>(active_isa(), args...);
///
/// `dispatch` calls the entry point of the highest level at or below `isa` that the routine
/// has (`nullptr` for a level it has no entry point for), directly: the entry points are
/// template arguments, so there is no indirect call. `DASHI_DETAIL_PATHS` names the AVX2 and
/// AVX-512 entry points only where they exist (`DASHI_DETAIL_X86`). Calling with a level
/// above `active_isa()` (or, for VBMI entry points, without `avx512_vbmi_active()`) is the
/// caller's error: tests pass each level they have checked can run. Thread-safe; throws what
/// the entry point throws.

#include <dashi/simd/isa.hpp>
#include <type_traits>

#if DASHI_DETAIL_X86
/// The entry points of one routine, portable, AVX2 and AVX-512, as `dispatch`'s arguments.
#  define DASHI_DETAIL_PATHS(portable, avx2, avx512) portable, avx2, avx512
#else
#  define DASHI_DETAIL_PATHS(portable, avx2, avx512) portable, nullptr, nullptr
#endif

namespace dashi::detail {

/// Calls `Avx512(args...)` when `isa` is `Isa::avx512`, else `Avx2(args...)` when `isa` is
/// at least `Isa::avx2`, else `Portable(args...)`, skipping levels given as `nullptr`. Always
/// inlined (on the portable target, so it inlines into callers of every target): a direct
/// call of the chosen entry point.
template <auto Portable, auto Avx2, auto Avx512, class... Args>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline decltype(auto) dispatch(Isa isa,
                                                                                   Args&&... args) {
  if constexpr (!std::is_null_pointer_v<decltype(Avx512)>) {
    if (isa >= Isa::avx512) {
      return Avx512(static_cast<Args&&>(args)...);
    }
  }
  if constexpr (!std::is_null_pointer_v<decltype(Avx2)>) {
    if (isa >= Isa::avx2) {
      return Avx2(static_cast<Args&&>(args)...);
    }
  }
  (void)isa;
  return Portable(static_cast<Args&&>(args)...);
}

}  // namespace dashi::detail
