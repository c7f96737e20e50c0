// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// AVX-512 (F/BW/VL) + BMI2 PQ kernels (x86-64, GCC/Clang), compiled for the exact
/// `DASHI_DETAIL_TARGET_AVX512_EXACT` level whatever the unit's flags. Same contract as the
/// portable kernels in `portable.hpp`; call them only when the dispatch picks `CodecPath::avx512`.
///
/// Encode: per 64 sites, one 64-byte load; support = `vptestmb` of bit 0, negative =
/// `vpmovb2m` (bit 7), sign bits of the supported sites = `pext(positive, support)`,
/// appended to Q. Decode: per 64 sites, `pdep` the next popcount(support) sign bits into
/// place, then two masked moves: -1 where supported, +1 where also positive. Tails use
/// masked loads and stores, so no byte outside `[0, count)` is touched.

#include <cstddef>
#include <cstdint>
#include <dashi/pq/detail/avx2.hpp>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::pq::detail {

#if DASHI_DETAIL_X86

/// Support and positive-sign masks of the 64 trits in `v` (the same rule as the other
/// paths: support is bit 0, negative is bit 7).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void masks64_avx512(
    dashi::detail::x86::u8x64 v, std::uint64_t& support, std::uint64_t& positive) noexcept {
  namespace x86 = dashi::detail::x86;
  support = x86::test_bytes(v, x86::u8x64{} + 1);
  positive = support & ~x86::sign_bits(v);
}

/// Packs word `k` (its 64 trits in `v`): records the block offset when `k` starts a block,
/// stores the support word and appends the sign bits.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void encode_word_avx512(
    std::size_t k, dashi::detail::x86::u8x64 v, std::uint64_t* p, std::uint64_t* q,
    unsigned block_shift, std::uint64_t* offsets, std::size_t& index, std::uint64_t& acc,
    std::uint64_t& fill) noexcept {
  if ((k & ((std::size_t{1} << block_shift) - 1)) == 0) {
    offsets[k >> block_shift] = 64 * std::uint64_t{index} + fill;
  }
  std::uint64_t support = 0;
  std::uint64_t positive = 0;
  masks64_avx512(v, support, positive);
  p[k] = support;
  append_signs(support, positive, q, index, acc, fill);
}

/// AVX-512 encode kernel body; `Prefetch` for inputs streamed from memory.
template <bool Prefetch>
DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t encode_avx512_impl(
    const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,
    unsigned block_shift, std::uint64_t* offsets) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::size_t full = count / 64;
  std::uint64_t acc = 0;
  std::uint64_t fill = 0;
  std::size_t index = 0;  // the stream holds 64 * index + fill bits
  for (std::size_t k = 0; k < full; ++k) {
    if constexpr (Prefetch) {
      const std::size_t ahead = k + prefetch_words < full - 1 ? k + prefetch_words : full - 1;
      x86::prefetch_t0(src + 64 * ahead);
    }
    encode_word_avx512(k, x86::load64(src + 64 * k), p, q, block_shift, offsets, index, acc, fill);
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    const std::uint64_t live = x86::bzhi(~std::uint64_t{0}, tail);
    encode_word_avx512(full, x86::load64_masked(src + 64 * full, live), p, q, block_shift, offsets,
                       index, acc, fill);
  }
  q[index] = acc;  // the bits of the last, partly filled word
  return 64 * std::uint64_t{index} + fill;
}

/// AVX-512 encode kernel. Not inlined: the dispatch that calls it has no target attribute,
/// and inlined there it would be compiled with the unit's flags.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t encode_avx512(
    const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,
    unsigned block_shift, std::uint64_t* offsets) noexcept {
  if (count >= prefetch_min_sites) {
    return encode_avx512_impl<true>(src, count, p, q, block_shift, offsets);
  }
  return encode_avx512_impl<false>(src, count, p, q, block_shift, offsets);
}

/// The 64 trit bytes of one word from its support and positive-sign masks.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline dashi::detail::x86::
    u8x64
    sites64_avx512(std::uint64_t support, std::uint64_t positive) noexcept {
  namespace x86 = dashi::detail::x86;
  const x86::u8x64 negative = x86::move_bytes(x86::u8x64{}, support, x86::u8x64{} + 0xFF);
  return x86::move_bytes(negative, positive, x86::u8x64{} + 1);
}

/// AVX-512 decode kernel. With `Stream` (for outputs much larger than the caches) `dst`
/// must be 64-byte aligned and full words are written with non-temporal stores, fenced
/// before returning. Not inlined, as `encode_avx512`.
template <bool Stream>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void decode_avx512(
    const std::uint64_t* p, std::size_t count, const std::uint64_t* q, std::uint64_t q_bit,
    std::int8_t* dst) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::size_t full = count / 64;
  for (std::size_t k = 0; k < full; ++k) {
    const std::uint64_t positive = take_signs(q, q_bit, p[k]);
    const x86::u8x64 sites = sites64_avx512(p[k], positive);
    if constexpr (Stream) {
      x86::stream64(dst + 64 * k, sites);
    } else {
      x86::store64(dst + 64 * k, sites);
    }
  }
  if constexpr (Stream) {
    x86::store_fence();
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    const std::uint64_t positive = take_signs(q, q_bit, p[full]);
    const std::uint64_t live = x86::bzhi(~std::uint64_t{0}, tail);
    x86::store64_masked(dst + 64 * full, live, sites64_avx512(p[full], positive));
  }
}

#endif  // DASHI_DETAIL_X86

}  // namespace dashi::pq::detail
