// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The AVX2 and AVX-512 PQ kernels (x86-64, GCC/Clang): `encode_avx2` / `decode_avx2<Stream>`
/// on the exact `DASHI_DETAIL_TARGET_AVX2_EXACT` level and `encode_avx512` /
/// `decode_avx512<Stream>` on `DASHI_DETAIL_TARGET_AVX512_EXACT`, whatever the unit's flags
/// (the library needs no global `-mavx2`, and a `-march=native` unit's AVX2 copy holds no
/// AVX-512). Same contract as the portable kernels in `portable.hpp`; the driver's dispatch
/// calls them only at a level `codec_isa()` allows.
///
/// The loops are written once (`DASHI_DETAIL_PQ_VECTOR_KERNELS`) over four word operations
/// that each level has, with the vector operations of `simd/x86.hpp`:
/// - `masks64_<level>` / `masks64_tail_<level>`: the support and positive-sign words of 64
///   trits (support is bit 0 of each byte, negative bit 7: the portable rule, so every path
///   agrees on any bytes); the tail reads only `[0, tail)`.
/// - `sites64_<level><Stream>` / `sites64_tail_<level>`: the 64 trit bytes of one word from
///   its two masks (value = 2 * positive - support: the bytes 0x00, 0xFF or 0x01); the tail
///   writes only `[0, tail)`.
///
/// Encode: per word, the masks, then the sign bits of its supported sites, `pext(positive,
/// support)`, appended to Q. Decode: per word, `pdep` the next popcount(support) sign bits
/// into place, then the bytes. AVX2 reads and writes 32 bytes at a time and expands masks with
/// a broadcast, byte shuffle and bit test, its tails through a padded buffer; AVX-512 reads
/// and writes 64 bytes with k-register masks, its tails with masked loads and stores.
/// Pure functions of their arguments: thread-safe for distinct outputs, no throw.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::pq::detail {

#if DASHI_DETAIL_X86

/// Appends the sign bits of one word (its positive-sign bits at its supported sites, packed
/// with `pext`) to the sign stream.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void append_signs(
    std::uint64_t support, std::uint64_t positive, std::uint64_t* q, std::size_t& index,
    std::uint64_t& acc, std::uint64_t& fill) noexcept {
  namespace x86 = dashi::detail::x86;
  append_bits(q, index, acc, fill, x86::pext(positive, support), x86::popcnt(support));
}

/// The positive-sign word of the next word, whose support is `support`: its sign bits read
/// from Q at `q_bit` and deposited at its supported sites with `pdep`; `q_bit` advances past
/// them.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t take_signs(
    const std::uint64_t* q, std::uint64_t& q_bit, std::uint64_t support) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::uint64_t positive = x86::pdep(read_bits64(q, q_bit), support);
  q_bit += x86::popcnt(support);
  return positive;
}

/// How many words ahead of the input the encoders prefetch: hardware prefetchers alone leave
/// one core well short of memory bandwidth (2 KiB measured best on Zen 3).
inline constexpr std::size_t prefetch_words = 32;

/// Inputs of at least this many sites (beyond a core's L2) are prefetched.
inline constexpr std::size_t prefetch_min_sites = std::size_t{1} << 21;

// ---- AVX2 word operations ----------------------------------------------------------------

/// Support and positive-sign words of the 64 trits at `src`, 32 bytes at a time.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void masks64_avx2(
    const std::int8_t* src, std::uint64_t& support, std::uint64_t& positive) noexcept {
  namespace x86 = dashi::detail::x86;
  const x86::u8x32 lo = x86::load32(src);
  const x86::u8x32 hi = x86::load32(src + 32);
  // A 16-bit shift by 7 moves bit 0 of every byte to bit 7 of the same byte.
  const std::uint32_t sup_lo =
      x86::sign_bits(reinterpret_cast<x86::u8x32>(reinterpret_cast<x86::u16x16>(lo) << 7));
  const std::uint32_t sup_hi =
      x86::sign_bits(reinterpret_cast<x86::u8x32>(reinterpret_cast<x86::u16x16>(hi) << 7));
  const std::uint32_t neg_lo = x86::sign_bits(lo);
  const std::uint32_t neg_hi = x86::sign_bits(hi);
  support = std::uint64_t{sup_lo} | (std::uint64_t{sup_hi} << 32);
  positive = support & ~(std::uint64_t{neg_lo} | (std::uint64_t{neg_hi} << 32));
}

/// `masks64_avx2` of the `tail` (< 64) trits at `src`, through a zero-padded copy.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void masks64_tail_avx2(
    const std::int8_t* src, std::size_t tail, std::uint64_t& support,
    std::uint64_t& positive) noexcept {
  // A C array: `std::array`'s accessors would be calls here in a wider unit (see
  // `TableParts` in rule1d.hpp).
  alignas(32) std::int8_t padded[64] = {};  // NOLINT(modernize-avoid-c-arrays)
  std::memcpy(padded, src, tail);
  masks64_avx2(padded, support, positive);
}

/// Writes the 64 sites of one word from its support and positive-sign words. With `Stream`,
/// `dst` must be 32-byte aligned and the stores bypass the caches.
template <bool Stream>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void sites64_avx2(
    std::uint64_t support, std::uint64_t positive, std::int8_t* dst) noexcept {
  namespace x86 = dashi::detail::x86;
  // Byte i of the low (high) half takes mask byte i / 8 (4 + i / 8); the shuffle works
  // within 128-bit lanes, and every 64-bit element holds the whole broadcast mask.
  const x86::u8x32 pick_lo = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                              2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  const x86::u8x32 pick_hi = {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,  //
                              6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7};
  const auto bit =
      reinterpret_cast<x86::u8x32>(x86::w64x4{} + static_cast<long long>(0x8040201008040201ULL));
  const auto s = reinterpret_cast<x86::u8x32>(x86::w64x4{} + static_cast<long long>(support));
  const auto v = reinterpret_cast<x86::u8x32>(x86::w64x4{} + static_cast<long long>(positive));
  const auto s_lo = reinterpret_cast<x86::u8x32>((x86::shuffle_bytes(s, pick_lo) & bit) == bit);
  const auto s_hi = reinterpret_cast<x86::u8x32>((x86::shuffle_bytes(s, pick_hi) & bit) == bit);
  const auto v_lo = reinterpret_cast<x86::u8x32>((x86::shuffle_bytes(v, pick_lo) & bit) == bit);
  const auto v_hi = reinterpret_cast<x86::u8x32>((x86::shuffle_bytes(v, pick_hi) & bit) == bit);
  // -1 where supported, then -(-1) - (-1) = +1 where also positive.
  const x86::u8x32 out_lo = s_lo - v_lo - v_lo;
  const x86::u8x32 out_hi = s_hi - v_hi - v_hi;
  if constexpr (Stream) {
    x86::stream32(dst, out_lo);
    x86::stream32(dst + 32, out_hi);
  } else {
    x86::store32(dst, out_lo);
    x86::store32(dst + 32, out_hi);
  }
}

/// The first `tail` (< 64) sites of `sites64_avx2`, through a padded buffer.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void sites64_tail_avx2(
    std::uint64_t support, std::uint64_t positive, std::int8_t* dst, std::size_t tail) noexcept {
  alignas(32) std::int8_t padded[64];  // NOLINT(modernize-avoid-c-arrays): as in masks64_tail
  sites64_avx2<false>(support, positive, padded);
  std::memcpy(dst, padded, tail);
}

// ---- AVX-512 word operations -------------------------------------------------------------

/// Support and positive-sign masks of the 64 trits in `v`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void masks_of_avx512(
    dashi::detail::x86::u8x64 v, std::uint64_t& support, std::uint64_t& positive) noexcept {
  namespace x86 = dashi::detail::x86;
  support = x86::test_bytes(v, x86::u8x64{} + 1);
  positive = support & ~x86::sign_bits(v);
}

/// Support and positive-sign words of the 64 trits at `src`: one 64-byte load.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void masks64_avx512(
    const std::int8_t* src, std::uint64_t& support, std::uint64_t& positive) noexcept {
  masks_of_avx512(dashi::detail::x86::load64(src), support, positive);
}

/// `masks64_avx512` of the `tail` (< 64) trits at `src`: a masked load, so no byte past
/// `src + tail` is read.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void masks64_tail_avx512(
    const std::int8_t* src, std::size_t tail, std::uint64_t& support,
    std::uint64_t& positive) noexcept {
  namespace x86 = dashi::detail::x86;
  masks_of_avx512(x86::load64_masked(src, x86::bzhi(~std::uint64_t{0}, tail)), support, positive);
}

/// The 64 trit bytes of one word from its support and positive-sign masks: two masked moves,
/// -1 where supported, then +1 where also positive.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline dashi::detail::x86::
    u8x64
    bytes_of_avx512(std::uint64_t support, std::uint64_t positive) noexcept {
  namespace x86 = dashi::detail::x86;
  const x86::u8x64 negative = x86::move_bytes(x86::u8x64{}, support, x86::u8x64{} + 0xFF);
  return x86::move_bytes(negative, positive, x86::u8x64{} + 1);
}

/// Writes the 64 sites of one word. With `Stream`, `dst` must be 64-byte aligned and the
/// store bypasses the caches.
template <bool Stream>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void sites64_avx512(
    std::uint64_t support, std::uint64_t positive, std::int8_t* dst) noexcept {
  namespace x86 = dashi::detail::x86;
  if constexpr (Stream) {
    x86::stream64(dst, bytes_of_avx512(support, positive));
  } else {
    x86::store64(dst, bytes_of_avx512(support, positive));
  }
}

/// The first `tail` (< 64) sites of `sites64_avx512`: a masked store, so no byte past
/// `dst + tail` is touched.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void sites64_tail_avx512(
    std::uint64_t support, std::uint64_t positive, std::int8_t* dst, std::size_t tail) noexcept {
  namespace x86 = dashi::detail::x86;
  x86::store64_masked(dst, x86::bzhi(~std::uint64_t{0}, tail), bytes_of_avx512(support, positive));
}

// ---- the kernels, written once -----------------------------------------------------------

/// The encode and decode kernels of one level over its word operations (`TARGET` is an
/// attribute, which parentheses would break). The entry points are not inlined: the dispatch
/// that calls them has no target attribute, and inlined there they would be compiled with
/// the unit's flags.
///
/// Encode: block by block (the offset of each block first), two words per step, prefetching
/// `prefetch_words` ahead with `Prefetch` (inputs streamed from memory), the tail word last.
/// Decode: with `Stream` (outputs much larger than the caches) `dst` must be aligned to the
/// level's vector width and full words are written with non-temporal stores, fenced before
/// the tail and the return.
// NOLINTBEGIN(bugprone-macro-parentheses)
#  define DASHI_DETAIL_PQ_VECTOR_KERNELS(LEVEL, TARGET)                                         \
    template <bool Prefetch>                                                                    \
    TARGET inline std::uint64_t encode_##LEVEL##_impl(                                          \
        const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,          \
        unsigned block_shift, std::uint64_t* offsets) noexcept {                                \
      namespace x86 = dashi::detail::x86;                                                       \
      const std::size_t full = count / 64;                                                      \
      const std::size_t words_per_block = std::size_t{1} << block_shift;                        \
      std::uint64_t acc = 0;                                                                    \
      std::uint64_t fill = 0;                                                                   \
      std::size_t index = 0; /* the stream holds 64 * index + fill bits */                      \
      std::uint64_t support = 0;                                                                \
      std::uint64_t positive = 0;                                                               \
      std::size_t k = 0;                                                                        \
      while (k < full) {                                                                        \
        offsets[k >> block_shift] = 64 * std::uint64_t{index} + fill;                           \
        const std::size_t block_end = full < k + words_per_block ? full : k + words_per_block;  \
        for (; k + 2 <= block_end; k += 2) {                                                    \
          if constexpr (Prefetch) { /* stays in bounds */                                       \
            const std::size_t ahead =                                                           \
                k + prefetch_words < full - 2 ? k + prefetch_words : full - 2;                  \
            x86::prefetch_t0(src + 64 * ahead);                                                 \
            x86::prefetch_t0(src + 64 * ahead + 64);                                            \
          }                                                                                     \
          masks64_##LEVEL(src + 64 * k, support, positive);                                     \
          p[k] = support;                                                                       \
          append_signs(support, positive, q, index, acc, fill);                                 \
          masks64_##LEVEL(src + 64 * k + 64, support, positive);                                \
          p[k + 1] = support;                                                                   \
          append_signs(support, positive, q, index, acc, fill);                                 \
        }                                                                                       \
        if (k < block_end) {                                                                    \
          masks64_##LEVEL(src + 64 * k, support, positive);                                     \
          p[k] = support;                                                                       \
          append_signs(support, positive, q, index, acc, fill);                                 \
          ++k;                                                                                  \
        }                                                                                       \
      }                                                                                         \
      if (const std::size_t tail = count % 64; tail != 0) {                                     \
        if ((full & (words_per_block - 1)) == 0) {                                              \
          offsets[full >> block_shift] = 64 * std::uint64_t{index} + fill;                      \
        }                                                                                       \
        masks64_tail_##LEVEL(src + 64 * full, tail, support, positive);                         \
        p[full] = support;                                                                      \
        append_signs(support, positive, q, index, acc, fill);                                   \
      }                                                                                         \
      q[index] = acc; /* the bits of the last, partly filled word */                            \
      return 64 * std::uint64_t{index} + fill;                                                  \
    }                                                                                           \
                                                                                                \
    [[gnu::noinline]] TARGET inline std::uint64_t encode_##LEVEL(                               \
        const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,          \
        unsigned block_shift, std::uint64_t* offsets) noexcept {                                \
      if (count >= prefetch_min_sites) {                                                        \
        return encode_##LEVEL##_impl<true>(src, count, p, q, block_shift, offsets);             \
      }                                                                                         \
      return encode_##LEVEL##_impl<false>(src, count, p, q, block_shift, offsets);              \
    }                                                                                           \
                                                                                                \
    template <bool Stream>                                                                      \
    [[gnu::noinline]] TARGET inline void decode_##LEVEL(                                        \
        const std::uint64_t* p, std::size_t count, const std::uint64_t* q, std::uint64_t q_bit, \
        std::int8_t* dst) noexcept {                                                            \
      const std::size_t full = count / 64;                                                      \
      for (std::size_t k = 0; k < full; ++k) {                                                  \
        const std::uint64_t positive = take_signs(q, q_bit, p[k]);                              \
        sites64_##LEVEL<Stream>(p[k], positive, dst + 64 * k);                                  \
      }                                                                                         \
      if constexpr (Stream) {                                                                   \
        dashi::detail::x86::store_fence();                                                      \
      }                                                                                         \
      if (const std::size_t tail = count % 64; tail != 0) {                                     \
        const std::uint64_t positive = take_signs(q, q_bit, p[full]);                           \
        sites64_tail_##LEVEL(p[full], positive, dst + 64 * full, tail);                         \
      }                                                                                         \
    }

DASHI_DETAIL_PQ_VECTOR_KERNELS(avx2, DASHI_DETAIL_TARGET_AVX2_EXACT)
DASHI_DETAIL_PQ_VECTOR_KERNELS(avx512, DASHI_DETAIL_TARGET_AVX512_EXACT)
// NOLINTEND(bugprone-macro-parentheses)
#  undef DASHI_DETAIL_PQ_VECTOR_KERNELS

#endif  // DASHI_DETAIL_X86

}  // namespace dashi::pq::detail
