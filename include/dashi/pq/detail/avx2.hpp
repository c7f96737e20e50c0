// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// AVX2 + BMI2 PQ kernels (x86-64, GCC/Clang), compiled with per-function target
/// attributes (`DASHI_DETAIL_TARGET_AVX2`) so the library needs no global `-mavx2`. Same contract
/// as the portable kernels in `portable.hpp`; call them only when the dispatch picks
/// `CodecPath::avx2`.
///
/// Encode: per 64 sites, support = ~movemask(v == 0), negative = movemask(v),
/// sign bits of the supported sites = pext(positive, support), appended to Q.
/// Decode: per 64 sites, pdep the next popcount(support) sign bits into place and
/// expand both masks to bytes (broadcast, byte shuffle, bit test): value =
/// support - 2 * positive in two's complement bytes, i.e. 0x00, 0xFF or 0x01.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/cpu_dispatch.hpp>
#include <dashi/pq/detail/portable.hpp>

namespace dashi::pq::detail {

#if DASHI_DETAIL_X86

/// Support and positive-sign words of 64 trits: support is bit 0 of each byte (set in
/// 0x01 and 0xFF, clear in 0x00), negative is bit 7 — the same rule as the portable
/// path, so both agree on any bytes.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2 inline void masks64_avx2(
    const std::int8_t* src, std::uint64_t& support, std::uint64_t& positive) noexcept {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 32));
  // A 16-bit shift by 7 moves bit 0 of every byte to bit 7 of the same byte.
  const auto sup_lo = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_slli_epi16(lo, 7)));
  const auto sup_hi = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_slli_epi16(hi, 7)));
  const auto neg_lo = static_cast<std::uint32_t>(_mm256_movemask_epi8(lo));
  const auto neg_hi = static_cast<std::uint32_t>(_mm256_movemask_epi8(hi));
  support = std::uint64_t{sup_lo} | (std::uint64_t{sup_hi} << 32);
  positive = support & ~(std::uint64_t{neg_lo} | (std::uint64_t{neg_hi} << 32));
}

/// How many words ahead of the input the encoder prefetches: hardware prefetchers
/// alone leave one core well short of memory bandwidth (2 KiB measured best on Zen 3).
inline constexpr std::size_t prefetch_words = 32;

/// Packs one word: stores its support word and appends its sign bits.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2 inline void encode_word_avx2(
    const std::int8_t* src, std::uint64_t* p, std::uint64_t* q, std::size_t& index,
    std::uint64_t& acc, std::uint64_t& fill) noexcept {
  std::uint64_t support = 0;
  std::uint64_t positive = 0;
  masks64_avx2(src, support, positive);
  *p = support;
  append_bits(q, index, acc, fill, _pext_u64(positive, support),
              static_cast<std::uint64_t>(_mm_popcnt_u64(support)));
}

/// Inputs of at least this many sites (beyond a core's L2) are prefetched.
inline constexpr std::size_t prefetch_min_sites = std::size_t{1} << 21;

/// AVX2 + BMI2 encode kernel body; `Prefetch` for inputs streamed from memory.
template <bool Prefetch>
DASHI_DETAIL_TARGET_AVX2 inline std::uint64_t encode_avx2_impl(const std::int8_t* src,
                                                               std::size_t count, std::uint64_t* p,
                                                               std::uint64_t* q,
                                                               unsigned block_shift,
                                                               std::uint64_t* offsets) noexcept {
  const std::size_t full = count / 64;
  const std::size_t words_per_block = std::size_t{1} << block_shift;
  std::uint64_t acc = 0;
  std::uint64_t fill = 0;
  std::size_t index = 0;  // the stream holds 64 * index + fill bits
  std::size_t k = 0;
  while (k < full) {
    offsets[k >> block_shift] = 64 * std::uint64_t{index} + fill;
    const std::size_t block_end = std::min(full, k + words_per_block);
    for (; k + 2 <= block_end; k += 2) {
      if constexpr (Prefetch) {
        const std::size_t ahead = std::min(k + prefetch_words, full - 2);  // stays in bounds
        _mm_prefetch(reinterpret_cast<const char*>(src + 64 * ahead), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(src + 64 * ahead + 64), _MM_HINT_T0);
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
    alignas(32) std::array<std::int8_t, 64> padded{};
    std::memcpy(padded.data(), src + 64 * full, tail);
    encode_word_avx2(padded.data(), p + full, q, index, acc, fill);
  }
  q[index] = acc;  // the bits of the last, partly filled word
  return 64 * std::uint64_t{index} + fill;
}

/// AVX2 + BMI2 encode kernel.
DASHI_DETAIL_TARGET_AVX2 inline std::uint64_t encode_avx2(const std::int8_t* src, std::size_t count,
                                                          std::uint64_t* p, std::uint64_t* q,
                                                          unsigned block_shift,
                                                          std::uint64_t* offsets) noexcept {
  if (count >= prefetch_min_sites) {
    return encode_avx2_impl<true>(src, count, p, q, block_shift, offsets);
  }
  return encode_avx2_impl<false>(src, count, p, q, block_shift, offsets);
}

/// Writes 64 sites from their support and positive-sign words.
/// With `Stream`, `dst` must be 32-byte aligned and the stores bypass the caches.
template <bool Stream>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2 inline void write_sites64_avx2(
    std::uint64_t support, std::uint64_t positive, std::int8_t* dst) noexcept {
  // Byte i of the low (high) half takes mask byte i / 8 (4 + i / 8); the shuffle works
  // within 128-bit lanes, and every 64-bit element holds the whole broadcast mask.
  const __m256i pick_lo = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                           2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i pick_hi = _mm256_setr_epi8(4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,  //
                                           6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  const __m256i s = _mm256_set1_epi64x(static_cast<long long>(support));
  const __m256i v = _mm256_set1_epi64x(static_cast<long long>(positive));
  const __m256i s_lo =
      _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(s, pick_lo), bit), bit);
  const __m256i s_hi =
      _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(s, pick_hi), bit), bit);
  const __m256i v_lo =
      _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(v, pick_lo), bit), bit);
  const __m256i v_hi =
      _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(v, pick_hi), bit), bit);
  // -1 where supported, then -(-1) - (-1) = +1 where also positive.
  const __m256i out_lo = _mm256_sub_epi8(_mm256_sub_epi8(s_lo, v_lo), v_lo);
  const __m256i out_hi = _mm256_sub_epi8(_mm256_sub_epi8(s_hi, v_hi), v_hi);
  if constexpr (Stream) {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst), out_lo);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 32), out_hi);
  } else {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), out_lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 32), out_hi);
  }
}

/// AVX2 + BMI2 decode kernel. With `Stream` (for outputs much larger than the
/// caches) `dst` must be 32-byte aligned and full words are written with
/// non-temporal stores, fenced before returning.
template <bool Stream>
DASHI_DETAIL_TARGET_AVX2 inline void decode_avx2(const std::uint64_t* p, std::size_t count,
                                                 const std::uint64_t* q, std::uint64_t q_bit,
                                                 std::int8_t* dst) noexcept {
  const std::size_t full = count / 64;
  for (std::size_t k = 0; k < full; ++k) {
    const std::uint64_t support = p[k];
    const std::uint64_t positive = _pdep_u64(read_bits64(q, q_bit), support);
    q_bit += static_cast<std::uint64_t>(_mm_popcnt_u64(support));
    write_sites64_avx2<Stream>(support, positive, dst + 64 * k);
  }
  if constexpr (Stream) {
    _mm_sfence();
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    const std::uint64_t support = p[full];
    const std::uint64_t positive = _pdep_u64(read_bits64(q, q_bit), support);
    alignas(32) std::array<std::int8_t, 64> padded{};
    write_sites64_avx2<false>(support, positive, padded.data());
    std::memcpy(dst + 64 * full, padded.data(), tail);
  }
}

#endif  // DASHI_DETAIL_X86

}  // namespace dashi::pq::detail
