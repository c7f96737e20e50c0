// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Bytes to planes and back, 64 sites per word: `pack_run` turns a run of trit bytes into
/// support and sign words (and reports whether a byte was not a trit), `unpack_run` the
/// reverse. AVX-512 moves 64 sites per instruction (`vptestmb` / `vpmovb2m` one way,
/// merge-masked byte moves the other), AVX2 32 (`vpcmpeqb` + `vpmovmskb`, `vpshufb` +
/// `vpcmpeqb`), and the portable path 8 per word with multiply-gather arithmetic. A run's
/// last, partial word goes through a zeroed 64-byte buffer. Thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/bits/detail/lanes.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/vectors.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::bits::detail {

inline constexpr std::uint64_t byte_lsbs = 0x0101010101010101ULL;

/// Bit 0 of each byte of `x`, byte i to bit i.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
gather_byte_lsbs(std::uint64_t x) noexcept {
  return ((x & byte_lsbs) * 0x0102040810204080ULL) >> 56;
}

/// Byte i is 1 where bit i of the low byte of `bits` is set, else 0.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
spread_to_bytes(std::uint64_t bits) noexcept {
  const std::uint64_t selected = ((bits & 0xFFU) * byte_lsbs) & 0x8040201008040201ULL;
  return (((selected + 0x7F7F7F7F7F7F7F7FULL) & 0x8080808080808080ULL) >> 7);
}

/// One word of 64 trit bytes at `p` (little-endian words of 8 bytes); returns non-zero
/// when a byte is not a trit.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
pack_word_portable(const std::int8_t* p, std::uint64_t& s, std::uint64_t& g) noexcept {
  std::uint64_t bad = 0;
  s = 0;
  g = 0;
  for (std::ptrdiff_t chunk = 0; chunk < 8; ++chunk) {
    std::uint64_t x = 0;
    std::memcpy(&x, p + 8 * chunk, sizeof x);
    // x + 1 in each byte (no carry between bytes) is 0, 1 or 2 exactly for trits: neither
    // a bit above the lowest two nor both of those.
    const std::uint64_t plus_one =
        ((x & 0x7F7F7F7F7F7F7F7FULL) + byte_lsbs) ^ (x & 0x8080808080808080ULL);
    bad |= (plus_one & 0xFCFCFCFCFCFCFCFCULL) | (plus_one & (plus_one >> 1) & byte_lsbs);
    s |= gather_byte_lsbs(x) << (8 * chunk);
    g |= gather_byte_lsbs(x & ~(x >> 1)) << (8 * chunk);
  }
  return bad;
}

/// The 64 bytes of the sites of one support / sign word pair.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void unpack_word_portable(
    std::uint64_t s, std::uint64_t g, std::int8_t* p) noexcept {
  for (std::ptrdiff_t chunk = 0; chunk < 8; ++chunk) {
    const std::uint64_t s8 = spread_to_bytes(s >> (8 * chunk));
    const std::uint64_t g8 = spread_to_bytes(g >> (8 * chunk));
    const std::uint64_t bytes = s8 * 0xFFU - g8 * 0xFEU;  // 0xFF (-1) on support, 0x01 (+1) on sign
    std::memcpy(p + 8 * chunk, &bytes, sizeof bytes);
  }
}

#if DASHI_DETAIL_X86

/// One word from 64 trit bytes, 32 at a time (AVX2).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t
pack_word_avx2(const std::int8_t* p, std::uint64_t& s, std::uint64_t& g) noexcept {
  using dashi::detail::x86::u8x32;
  std::uint64_t bad = 0;
  s = 0;
  g = 0;
  for (std::ptrdiff_t half = 0; half < 2; ++half) {
    const u8x32 x = dashi::detail::x86::load32(p + 32 * half);
    const auto sx = reinterpret_cast<dashi::detail::bytes32>(x);
    const auto zero = reinterpret_cast<u8x32>(x == 0);
    const auto positive = reinterpret_cast<u8x32>(sx > 0);
    const auto in_range = reinterpret_cast<u8x32>((x + 1) <= 2);
    const auto shift = 32 * half;
    s |= std::uint64_t{~dashi::detail::x86::sign_bits(zero)} << shift;
    g |= std::uint64_t{dashi::detail::x86::sign_bits(positive)} << shift;
    bad |= std::uint64_t{~dashi::detail::x86::sign_bits(in_range)};
  }
  return bad;
}

/// The 64 bytes of one word pair, 32 at a time (AVX2).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void unpack_word_avx2(
    std::uint64_t s, std::uint64_t g, std::int8_t* p) noexcept {
  using dashi::detail::uints32;
  using dashi::detail::x86::u8x32;
  const u8x32 byte_of_bit = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                             2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  const u8x32 bit_of_byte = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
                             1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  for (std::ptrdiff_t half = 0; half < 2; ++half) {
    const auto s32 = static_cast<std::uint32_t>(s >> (32 * half));
    const auto g32 = static_cast<std::uint32_t>(g >> (32 * half));
    const auto sb = reinterpret_cast<u8x32>(uints32{} + s32);
    const auto gb = reinterpret_cast<u8x32>(uints32{} + g32);
    const u8x32 s8 = (dashi::detail::x86::shuffle_bytes(sb, byte_of_bit) & bit_of_byte) != 0;
    const u8x32 g8 = (dashi::detail::x86::shuffle_bytes(gb, byte_of_bit) & bit_of_byte) != 0;
    dashi::detail::x86::store32(p + 32 * half, s8 ^ (g8 & 0xFE));
  }
}

/// One word from 64 trit bytes (AVX-512).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
pack_word_avx512(const std::int8_t* p, std::uint64_t& s, std::uint64_t& g) noexcept {
  using dashi::detail::x86::u8x64;
  const u8x64 x = dashi::detail::x86::load64(p);
  const u8x64 ones = u8x64{} + 1;
  s = dashi::detail::x86::test_bytes(x, x);
  g = dashi::detail::x86::test_bytes(x, ones) & ~dashi::detail::x86::sign_bits(x);
  return dashi::detail::x86::sign_bits(reinterpret_cast<u8x64>((x + ones) > 2));
}

/// The 64 bytes of one word pair (AVX-512).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void unpack_word_avx512(
    std::uint64_t s, std::uint64_t g, std::int8_t* p) noexcept {
  using dashi::detail::x86::u8x64;
  const u8x64 negative = dashi::detail::x86::move_bytes(u8x64{}, s, u8x64{} + 0xFF);
  dashi::detail::x86::store64(p, dashi::detail::x86::move_bytes(negative, g, u8x64{} + 1));
}

#endif  // DASHI_DETAIL_X86

/// The loops over a run of `n` sites, around a per-word `PackWord` / `UnpackWord` (`TARGET`
/// is an attribute, which parentheses would break).
// NOLINTBEGIN(bugprone-macro-parentheses)
#define DASHI_DETAIL_BITS_PACK_LOOPS(SUFFIX, TARGET)                                              \
  [[nodiscard]] [[gnu::noinline]] TARGET inline bool pack_run_##SUFFIX(                           \
      const std::int8_t* in, std::size_t n, std::uint64_t* s, std::uint64_t* g) noexcept {        \
    std::uint64_t bad = 0;                                                                        \
    std::size_t w = 0;                                                                            \
    for (; 64 * w + 64 <= n; ++w) {                                                               \
      bad |= pack_word_##SUFFIX(in + 64 * w, s[w], g[w]);                                         \
    }                                                                                             \
    if (64 * w < n) {                                                                             \
      alignas(64) std::int8_t last[64] = {}; /* NOLINT(modernize-avoid-c-arrays) */               \
      std::memcpy(last, in + 64 * w, n - 64 * w);                                                 \
      bad |= pack_word_##SUFFIX(last, s[w], g[w]);                                                \
    }                                                                                             \
    return bad != 0;                                                                              \
  }                                                                                               \
  [[gnu::noinline]] TARGET inline void unpack_run_##SUFFIX(                                       \
      const std::uint64_t* s, const std::uint64_t* g, std::size_t n, std::int8_t* out) noexcept { \
    std::size_t w = 0;                                                                            \
    for (; 64 * w + 64 <= n; ++w) {                                                               \
      unpack_word_##SUFFIX(s[w], g[w], out + 64 * w);                                             \
    }                                                                                             \
    if (64 * w < n) {                                                                             \
      alignas(64) std::int8_t last[64]; /* NOLINT(modernize-avoid-c-arrays) */                    \
      unpack_word_##SUFFIX(s[w], g[w], last);                                                     \
      std::memcpy(out + 64 * w, last, n - 64 * w);                                                \
    }                                                                                             \
  }

DASHI_DETAIL_BITS_PACK_LOOPS(portable, DASHI_DETAIL_TARGET_PORTABLE)
#if DASHI_DETAIL_X86
DASHI_DETAIL_BITS_PACK_LOOPS(avx2, DASHI_DETAIL_TARGET_AVX2_EXACT)
DASHI_DETAIL_BITS_PACK_LOOPS(avx512, DASHI_DETAIL_TARGET_AVX512_EXACT)
#endif
// NOLINTEND(bugprone-macro-parentheses)
#undef DASHI_DETAIL_BITS_PACK_LOOPS

/// Packs `n` trit bytes into `ceil(n / 64)` support and sign words (padding bits 0);
/// returns false when a byte is not a trit (the words are then unspecified).
[[nodiscard]] inline bool pack_run(const std::int8_t* in, std::size_t n, std::uint64_t* s,
                                   std::uint64_t* g) noexcept {
  return !dashi::detail::dispatch<DASHI_DETAIL_PATHS(
      &pack_run_portable, &pack_run_avx2, &pack_run_avx512)>(dashi::detail::active_isa(), in, n, s,
                                                             g);
}

/// Unpacks `n` sites from canonical support and sign words into trit bytes.
inline void unpack_run(const std::uint64_t* s, const std::uint64_t* g, std::size_t n,
                       std::int8_t* out) noexcept {
  dashi::detail::dispatch<DASHI_DETAIL_PATHS(&unpack_run_portable, &unpack_run_avx2,
                                             &unpack_run_avx512)>(dashi::detail::active_isa(), s, g,
                                                                  n, out);
}

}  // namespace dashi::bits::detail
