// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Population counts with one body in every translation unit: `popcount64` is portable
/// SWAR whatever the `-m` flags (GCC lowers `std::popcount` to a library call without
/// `-mpopcnt`, and an inline body that changed with the flags would break the ODR), and
/// `popcount_words` picks the POPCNT instruction at run time (`active_isa()`).

#include <cstddef>
#include <cstdint>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::pq::detail {

/// Number of set bits of `x`. Portable, branch-free, constexpr.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE constexpr std::uint64_t
popcount64(std::uint64_t x) noexcept {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return (x * 0x0101010101010101ULL) >> 56;
}

/// Set bits of `words[0, count)`, portable.
[[nodiscard]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t popcount_words_portable(
    const std::uint64_t* words, std::size_t count) noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    total += popcount64(words[i]);
  }
  return total;
}

#if DASHI_DETAIL_X86
/// Set bits of `words[0, count)` with the POPCNT instruction (the AVX2 level has it). Not
/// inlined, so no caller without a target attribute compiles it with the unit's flags.
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t
popcount_words_popcnt(const std::uint64_t* words, std::size_t count) noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    total += dashi::detail::x86::popcnt(words[i]);
  }
  return total;
}
#endif

/// Set bits of `words[0, count)`: POPCNT at the AVX2 level and above, portable otherwise.
/// Compiled for the portable target, so the portable loop inlined here never takes the
/// unit's flags. Thread-safe.
[[nodiscard]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t popcount_words(
    const std::uint64_t* words, std::size_t count) noexcept {
  return dashi::detail::dispatch<DASHI_DETAIL_PATHS(
      &popcount_words_portable, &popcount_words_popcnt, nullptr)>(dashi::detail::active_isa(),
                                                                  words, count);
}

}  // namespace dashi::pq::detail
