// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// AVX2 + BMI2 PQ kernels (x86-64, GCC/Clang), compiled for the exact
/// `DASHI_DETAIL_TARGET_AVX2_EXACT` level whatever the unit's flags, so the library needs no
/// global `-mavx2` and a `-march=native` unit's copy holds no AVX-512. Same contract as the
/// portable kernels in `portable.hpp`; call them only when the dispatch picks
/// `CodecPath::avx2`.
///
/// Encode: per 64 sites, support = ~movemask(v == 0), negative = movemask(v),
/// sign bits of the supported sites = pext(positive, support), appended to Q.
/// Decode: per 64 sites, pdep the next popcount(support) sign bits into place and
/// expand both masks to bytes (broadcast, byte shuffle, bit test): value =
/// support - 2 * positive in two's complement bytes, i.e. 0x00, 0xFF or 0x01.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::pq::detail {

#if DASHI_DETAIL_X86

/// Support and positive-sign words of 64 trits: support is bit 0 of each byte (set in
/// 0x01 and 0xFF, clear in 0x00), negative is bit 7 — the same rule as the portable
/// path, so both agree on any bytes.
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

/// Appends the sign bits of one word (its positive-sign bits at its supported sites, packed
/// with `pext`) to the sign stream. Shared by the AVX2 and AVX-512 encoders.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void append_signs(
    std::uint64_t support, std::uint64_t positive, std::uint64_t* q, std::size_t& index,
    std::uint64_t& acc, std::uint64_t& fill) noexcept {
  namespace x86 = dashi::detail::x86;
  append_bits(q, index, acc, fill, x86::pext(positive, support), x86::popcnt(support));
}

/// The positive-sign word of the next word, whose support is `support`: its sign bits read
/// from Q at `q_bit` and deposited at its supported sites with `pdep`; `q_bit` advances past
/// them. Shared by the AVX2 and AVX-512 decoders.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t take_signs(
    const std::uint64_t* q, std::uint64_t& q_bit, std::uint64_t support) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::uint64_t positive = x86::pdep(read_bits64(q, q_bit), support);
  q_bit += x86::popcnt(support);
  return positive;
}

/// How many words ahead of the input the AVX2 and AVX-512 encoders prefetch: hardware prefetchers
/// alone leave one core well short of memory bandwidth (2 KiB measured best on Zen 3).
inline constexpr std::size_t prefetch_words = 32;

/// Packs one word: stores its support word and appends its sign bits.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void encode_word_avx2(
    const std::int8_t* src, std::uint64_t* p, std::uint64_t* q, std::size_t& index,
    std::uint64_t& acc, std::uint64_t& fill) noexcept {
  std::uint64_t support = 0;
  std::uint64_t positive = 0;
  masks64_avx2(src, support, positive);
  *p = support;
  append_signs(support, positive, q, index, acc, fill);
}

/// Inputs of at least this many sites (beyond a core's L2) are prefetched.
inline constexpr std::size_t prefetch_min_sites = std::size_t{1} << 21;

/// AVX2 + BMI2 encode kernel body; `Prefetch` for inputs streamed from memory.
template <bool Prefetch>
DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t encode_avx2_impl(
    const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,
    unsigned block_shift, std::uint64_t* offsets) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::size_t full = count / 64;
  const std::size_t words_per_block = std::size_t{1} << block_shift;
  std::uint64_t acc = 0;
  std::uint64_t fill = 0;
  std::size_t index = 0;  // the stream holds 64 * index + fill bits
  std::size_t k = 0;
  while (k < full) {
    offsets[k >> block_shift] = 64 * std::uint64_t{index} + fill;
    const std::size_t block_end = full < k + words_per_block ? full : k + words_per_block;
    for (; k + 2 <= block_end; k += 2) {
      if constexpr (Prefetch) {
        // Stays in bounds.
        const std::size_t ahead = k + prefetch_words < full - 2 ? k + prefetch_words : full - 2;
        x86::prefetch_t0(src + 64 * ahead);
        x86::prefetch_t0(src + 64 * ahead + 64);
      }
      encode_word_avx2(src + 64 * k, p + k, q, index, acc, fill);
      encode_word_avx2(src + 64 * k + 64, p + k + 1, q, index, acc, fill);
    }
    if (k < block_end) {
      encode_word_avx2(src + 64 * k, p + k, q, index, acc, fill);
      ++k;
    }
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    if ((full & (words_per_block - 1)) == 0) {
      offsets[full >> block_shift] = 64 * std::uint64_t{index} + fill;
    }
    // A C array: `std::array`'s accessors would be calls here in a wider unit (see
    // `TableParts` in rule1d.hpp).
    alignas(32) std::int8_t padded[64] = {};  // NOLINT(modernize-avoid-c-arrays)
    std::memcpy(padded, src + 64 * full, tail);
    encode_word_avx2(padded, p + full, q, index, acc, fill);
  }
  q[index] = acc;  // the bits of the last, partly filled word
  return 64 * std::uint64_t{index} + fill;
}

/// AVX2 + BMI2 encode kernel. Not inlined: the dispatch that calls it has no target
/// attribute, and inlined there it would be compiled with the unit's flags.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t encode_avx2(
    const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,
    unsigned block_shift, std::uint64_t* offsets) noexcept {
  if (count >= prefetch_min_sites) {
    return encode_avx2_impl<true>(src, count, p, q, block_shift, offsets);
  }
  return encode_avx2_impl<false>(src, count, p, q, block_shift, offsets);
}

/// Writes 64 sites from their support and positive-sign words.
/// With `Stream`, `dst` must be 32-byte aligned and the stores bypass the caches.
template <bool Stream>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void write_sites64_avx2(
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

/// AVX2 + BMI2 decode kernel. With `Stream` (for outputs much larger than the
/// caches) `dst` must be 32-byte aligned and full words are written with
/// non-temporal stores, fenced before returning. Not inlined, as `encode_avx2`.
template <bool Stream>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void decode_avx2(
    const std::uint64_t* p, std::size_t count, const std::uint64_t* q, std::uint64_t q_bit,
    std::int8_t* dst) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::size_t full = count / 64;
  for (std::size_t k = 0; k < full; ++k) {
    const std::uint64_t positive = take_signs(q, q_bit, p[k]);
    write_sites64_avx2<Stream>(p[k], positive, dst + 64 * k);
  }
  if constexpr (Stream) {
    x86::store_fence();
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    const std::uint64_t positive = take_signs(q, q_bit, p[full]);
    alignas(32) std::int8_t padded[64];  // NOLINT(modernize-avoid-c-arrays): as in encode
    write_sites64_avx2<false>(p[full], positive, padded);
    std::memcpy(dst + 64 * full, padded, tail);
  }
}

#endif  // DASHI_DETAIL_X86

}  // namespace dashi::pq::detail
