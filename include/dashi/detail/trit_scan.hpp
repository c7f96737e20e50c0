// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Scans over trit bytes (validity, support count): each body is one `always_inline`
/// `DASHI_DETAIL_TARGET_PORTABLE` function compiled into a portable and an AVX2 entry point
/// with exact targets, chosen at run time (see cpu_dispatch.hpp).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/cpu_dispatch.hpp>
#include <optional>

namespace dashi::detail {

/// True when `v` is one of -1, 0, +1.
[[nodiscard]] constexpr bool is_trit(std::int8_t v) noexcept {
  return static_cast<std::uint8_t>(v + 1) <= 2;
}

/// Signed byte vectors (GCC/Clang vector extensions) for the branch-free scan below: 16 bytes,
/// native in every x86-64 target, for the portable entry point (32-byte vectors would be lowered
/// element-wise there), 32 bytes for the AVX2 one.
using scan_bytes16 = std::int8_t __attribute__((vector_size(16)));
using scan_bytes32 = std::int8_t __attribute__((vector_size(32)));

/// True when some byte of `data[0, n)`, `n` a multiple of 64, is not a trit (above 1 or below
/// -1: signed byte compares), OR-ed over the whole range without a branch.
template <class Bytes>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline bool any_non_trit_64s(
    const std::int8_t* data, std::size_t n) noexcept {
  const Bytes one = Bytes{} + 1;
  const Bytes minus_one = Bytes{} - 1;
  Bytes bad{};
  for (std::size_t i = 0; i < n; i += 64) {
    for (std::size_t j = 0; j < 64; j += sizeof(Bytes)) {
      Bytes v{};
      std::memcpy(&v, data + i + j, sizeof v);
      bad |= reinterpret_cast<Bytes>((v > one) | (v < minus_one));
    }
  }
  std::uint64_t words[sizeof(Bytes) / 8];  // NOLINT(modernize-avoid-c-arrays): the lanes, reduced
  std::memcpy(words, &bad, sizeof words);
  std::uint64_t any = 0;
  for (const std::uint64_t word : words) {
    any |= word;
  }
  return any != 0;
}

/// Index of the first byte of `data[0, n)` that is not a trit, or `n`. Valid input is scanned
/// in 4 KiB blocks without a branch (memory speed); only the block holding a bad byte, and the
/// tail, are searched byte by byte.
template <class Bytes>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
first_non_trit_generic(const std::int8_t* data, std::size_t n) noexcept {
  constexpr std::size_t block = 4096;
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    if (any_non_trit_64s<Bytes>(data + i, block)) {
      break;
    }
  }
  for (; i < n; ++i) {
    if (!is_trit(data[i])) {
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
  return first_non_trit_generic<scan_bytes16>(data, n);
}
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
count_nonzero_portable(const std::int8_t* data, std::size_t n) noexcept {
  return count_nonzero_generic(data, n);
}

#if DASHI_DETAIL_X86
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::size_t
first_non_trit_avx2(const std::int8_t* data, std::size_t n) noexcept {
  return first_non_trit_generic<scan_bytes32>(data, n);
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
