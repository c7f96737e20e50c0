// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The check that input values are trits, at memory speed: a branch-free vector scan (an
/// AVX2 clone chosen at run time on x86-64) that only falls back to a byte loop to name the
/// first bad site.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/cpu_dispatch.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <optional>

namespace dashi_python {

namespace detail {

using ubytes32 = std::uint8_t __attribute__((vector_size(32)));
using sbytes32 = std::int8_t __attribute__((vector_size(32)));

/// True when some byte of `[p, p + n)` is outside {-1, 0, 1}: `v + 1` (wrapping) above 2.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline bool any_non_trit_generic(
    const std::int8_t* p, std::size_t n) noexcept {
  const ubytes32 one = ubytes32{} + 1;
  const ubytes32 two = ubytes32{} + 2;
  sbytes32 bad{};
  ubytes32 a{};
  ubytes32 b{};
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    std::memcpy(&a, p + i, sizeof a);
    std::memcpy(&b, p + i + 32, sizeof b);
    bad |= reinterpret_cast<sbytes32>((a + one) > two);
    bad |= reinterpret_cast<sbytes32>((b + one) > two);
  }
  std::uint64_t words[4];
  std::memcpy(words, &bad, sizeof words);
  if ((words[0] | words[1] | words[2] | words[3]) != 0) {
    return true;
  }
  for (; i < n; ++i) {
    if (!dashi::detail::is_trit(p[i])) {
      return true;
    }
  }
  return false;
}

[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline bool any_non_trit_portable(
    const std::int8_t* p, std::size_t n) noexcept {
  return any_non_trit_generic(p, n);
}

#if DASHI_DETAIL_X86
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2 inline bool any_non_trit_avx2(const std::int8_t* p,
                                                                         std::size_t n) noexcept {
  return any_non_trit_generic(p, n);
}
#endif

}  // namespace detail

/// Index of the first byte of `[p, p + n)` outside {-1, 0, 1}, or nothing. Thread-safe.
[[nodiscard]] inline std::optional<std::size_t> first_non_trit(const std::int8_t* p,
                                                               std::size_t n) noexcept {
#if DASHI_DETAIL_X86
  const bool bad = dashi::detail::active_isa() >= dashi::detail::Isa::avx2
                       ? detail::any_non_trit_avx2(p, n)
                       : detail::any_non_trit_portable(p, n);
#else
  const bool bad = detail::any_non_trit_portable(p, n);
#endif
  if (!bad) {
    return std::nullopt;
  }
  return dashi::detail::first_non_trit(p, n);
}

}  // namespace dashi_python
