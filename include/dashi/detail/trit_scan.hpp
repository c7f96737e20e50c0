// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Scans over trit bytes (validity: `first_non_trit`, support count: `count_nonzero`), each
/// with three entry points of exact targets chosen at run time by `active_isa()` (see
/// simd/isa.hpp and simd/dispatch.hpp):
///
/// - `*_portable` and `*_avx2`: one `always_inline` `DASHI_DETAIL_TARGET_PORTABLE` body
///   compiled twice, the validity scan on 16-byte vectors (portable) or 32-byte ones (AVX2);
/// - `*_avx512`: 64-byte vectors with masks in k registers (`vpcmpub` / `vpcmpb`), the bad
///   byte located with `tzcnt` and the support counted with `popcnt` of the mask, the tail
///   read with one masked load.
///
/// Every entry point is thread-safe (it only reads its range) and throws nothing.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/vectors.hpp>
#include <dashi/simd/x86.hpp>
#include <optional>

namespace dashi::detail {

/// True when `v` is one of -1, 0, +1. On the portable target, so it inlines into the exact
/// entry points of every level (without a target it could stay a call there, compiled with
/// the unit's flags).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE constexpr bool is_trit(
    std::int8_t v) noexcept {
  return static_cast<std::uint8_t>(v + 1) <= 2;
}

/// True when some byte of `data[0, n)`, `n` a multiple of 64, is not a trit (above 1 or below
/// -1: signed byte compares), OR-ed over the whole range without a branch. `Bytes` is
/// `bytes16` for the portable entry point (native in every x86-64 target; 32-byte vectors
/// would be lowered element-wise there) and `bytes32` for the AVX2 one.
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
  return first_non_trit_generic<bytes16>(data, n);
}
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
count_nonzero_portable(const std::int8_t* data, std::size_t n) noexcept {
  return count_nonzero_generic(data, n);
}

#if DASHI_DETAIL_X86
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::size_t
first_non_trit_avx2(const std::int8_t* data, std::size_t n) noexcept {
  return first_non_trit_generic<bytes32>(data, n);
}
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::size_t
count_nonzero_avx2(const std::int8_t* data, std::size_t n) noexcept {
  return count_nonzero_generic(data, n);
}

/// The mask of the lanes of `v` above 2 (unsigned; one compare into a k register).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
lanes_above_two(const ubytes64& v) noexcept {
  return x86::bytes_above(v, ubytes64{} + 2);
}

/// The mask of the lanes of `v` that are not trits: `v + 1` above 2 as unsigned bytes.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
non_trit_lanes(const ubytes64& v) noexcept {
  return lanes_above_two(v + 1);
}

/// True when some byte of `data[0, n)`, `n` a multiple of 64, is not a trit: the unsigned
/// maximum of `v + 1` over the range (one add and one `vpmaxub` per 64 bytes, no branch),
/// compared with 2 once.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline bool
any_non_trit_avx512(const std::int8_t* data, std::size_t n) noexcept {
  ubytes64 high{};
  for (std::size_t i = 0; i < n; i += 64) {
    const ubytes64 shifted = x86::load64(data + i) + 1;
    high = high > shifted ? high : shifted;
  }
  return lanes_above_two(high) != 0;
}

/// `first_non_trit_generic` over 64-byte vectors: 4 KiB blocks scanned without a branch,
/// then the block holding a bad byte, and the tail, 64 bytes at a time with the index from
/// the compare mask (the last partial vector read with a masked load).
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::size_t
first_non_trit_avx512(const std::int8_t* data, std::size_t n) noexcept {
  constexpr std::size_t block = 4096;
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    if (any_non_trit_avx512(data + i, block)) {
      break;
    }
  }
  ubytes64 v{};
  for (; i + 64 <= n; i += 64) {
    v = x86::load64(data + i);
    const std::uint64_t bad = non_trit_lanes(v);
    if (bad != 0) {
      return i + x86::lowest_set_bit(bad);
    }
  }
  if (i < n) {
    // Zeros past the end are trits.
    v = x86::load64_masked(data + i, x86::bzhi(~0ULL, n - i));
    const std::uint64_t bad = non_trit_lanes(v);
    if (bad != 0) {
      return i + x86::lowest_set_bit(bad);
    }
  }
  return n;
}

/// `count_nonzero_generic` over 64-byte vectors: the population count of each vector's
/// non-zero mask, the tail with a masked load.
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::size_t
count_nonzero_avx512(const std::int8_t* data, std::size_t n) noexcept {
  std::size_t count = 0;
  ubytes64 v{};
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    v = x86::load64(data + i);
    count += static_cast<std::size_t>(x86::popcnt(x86::nonzero_bytes(v)));
  }
  if (i < n) {
    v = x86::load64_masked(data + i, x86::bzhi(~0ULL, n - i));
    count += static_cast<std::size_t>(x86::popcnt(x86::nonzero_bytes(v)));
  }
  return count;
}
#endif

/// Index of the first byte of `data[0, n)` that is not a trit, or nothing; AVX-512 or AVX2
/// when active.
[[nodiscard]] inline std::optional<std::size_t> first_non_trit(const std::int8_t* data,
                                                               std::size_t n) noexcept {
  const std::size_t at =
      dispatch<DASHI_DETAIL_PATHS(&first_non_trit_portable, &first_non_trit_avx2,
                                  &first_non_trit_avx512)>(active_isa(), data, n);
  if (at == n) {
    return std::nullopt;
  }
  return at;
}

/// Number of non-zero bytes in `data[0, n)`; AVX-512 or AVX2 when active.
[[nodiscard]] inline std::size_t count_nonzero(const std::int8_t* data, std::size_t n) noexcept {
  return dispatch<DASHI_DETAIL_PATHS(&count_nonzero_portable, &count_nonzero_avx2,
                                     &count_nonzero_avx512)>(active_isa(), data, n);
}

}  // namespace dashi::detail
