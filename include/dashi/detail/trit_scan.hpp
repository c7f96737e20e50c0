// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Scans over trit bytes (validity, support count): each body is one `always_inline`
/// `DASHI_DETAIL_TARGET_PORTABLE` function compiled into a portable and an AVX2 entry point
/// with exact targets, chosen at run time (see cpu_dispatch.hpp).

#include <cstddef>
#include <cstdint>
#include <dashi/detail/cpu_dispatch.hpp>
#include <optional>

namespace dashi::detail {

/// True when `v` is one of -1, 0, +1.
[[nodiscard]] constexpr bool is_trit(std::int8_t v) noexcept {
  return static_cast<std::uint8_t>(v + 1) <= 2;
}

/// Index of the first byte of `data[0, n)` that is not a trit, or `n`. Scans 64-byte chunks
/// with a branch-free reduction first, so valid input runs at memory speed.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
first_non_trit_generic(const std::int8_t* data, std::size_t n) noexcept {
  std::size_t i = 0;
  constexpr std::size_t chunk = 64;
  for (; i + chunk <= n; i += chunk) {
    unsigned bad = 0;
    for (std::size_t j = 0; j < chunk; ++j) {
      bad |= static_cast<unsigned>(static_cast<std::uint8_t>(data[i + j] + 1) > 2);
    }
    if (bad != 0) {
      break;
    }
  }
  for (; i < n; ++i) {
    if (static_cast<std::uint8_t>(data[i] + 1) > 2) {
      return i;
    }
  }
  return n;
}

/// Number of non-zero bytes in `data[0, n)`.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
count_nonzero_generic(const std::int8_t* data, std::size_t n) noexcept {
  std::size_t count = 0;
  constexpr std::size_t chunk = 4096;  // keeps the inner counter from overflowing
  for (std::size_t i = 0; i < n; i += chunk) {
    const std::size_t end = (n - i < chunk) ? n : i + chunk;
    std::uint32_t partial = 0;
    for (std::size_t j = i; j < end; ++j) {
      partial += static_cast<std::uint32_t>(data[j] != 0);
    }
    count += partial;
  }
  return count;
}

[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
first_non_trit_portable(const std::int8_t* data, std::size_t n) noexcept {
  return first_non_trit_generic(data, n);
}
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
count_nonzero_portable(const std::int8_t* data, std::size_t n) noexcept {
  return count_nonzero_generic(data, n);
}

#if DASHI_DETAIL_X86
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::size_t
first_non_trit_avx2(const std::int8_t* data, std::size_t n) noexcept {
  return first_non_trit_generic(data, n);
}
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::size_t
count_nonzero_avx2(const std::int8_t* data, std::size_t n) noexcept {
  return count_nonzero_generic(data, n);
}
#endif

/// Index of the first byte of `data[0, n)` that is not a trit, or nothing.
[[nodiscard]] inline std::optional<std::size_t> first_non_trit(const std::int8_t* data,
                                                               std::size_t n) noexcept {
#if DASHI_DETAIL_X86
  const std::size_t at =
      active_isa() >= Isa::avx2 ? first_non_trit_avx2(data, n) : first_non_trit_portable(data, n);
#else
  const std::size_t at = first_non_trit_portable(data, n);
#endif
  if (at == n) {
    return std::nullopt;
  }
  return at;
}

/// Number of non-zero bytes in `data[0, n)`.
[[nodiscard]] inline std::size_t count_nonzero(const std::int8_t* data, std::size_t n) noexcept {
#if DASHI_DETAIL_X86
  if (active_isa() >= Isa::avx2) {
    return count_nonzero_avx2(data, n);
  }
#endif
  return count_nonzero_portable(data, n);
}

}  // namespace dashi::detail
