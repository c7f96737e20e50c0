// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// A hand-written AVX-512BW + BMI2 PQ codec loop: the yardstick the library's codec is
/// measured against (same output layout as docs/PQ_FORMAT.md §1: P words, the Q sign stream,
/// O block offsets). No dispatch, no tasks, no checks: call only on a CPU with
/// AVX-512F/BW and BMI2 (`pq_reference::available()`). Shared by the bench and the codec
/// speed program in tests/scale.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace pq_reference {

/// True when this CPU runs the reference loops.
inline bool available() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0 &&
         __builtin_cpu_supports("bmi2") != 0 && __builtin_cpu_supports("popcnt") != 0;
}

/// Packs `n` sites (a multiple of 64) of `src` into `p` (n / 64 words), `q` (n / 64 + 1
/// words) and `o` (one offset per block of `1 << block_shift` words, plus the total);
/// returns the number of supported sites.
__attribute__((target("avx512f,avx512bw,bmi2,popcnt"))) inline std::uint64_t encode(
    const std::int8_t* src, std::size_t n, std::uint64_t* p, std::uint64_t* q, std::uint64_t* o,
    unsigned block_shift) {
  const std::size_t words = n / 64;
  const std::size_t block_mask = (std::size_t{1} << block_shift) - 1;
  const __m512i one = _mm512_set1_epi8(1);
  std::uint64_t acc = 0;
  unsigned fill = 0;
  std::size_t index = 0;
  for (std::size_t k = 0; k < words; ++k) {
    if ((k & block_mask) == 0) {
      o[k >> block_shift] = 64 * index + fill;
    }
    const __m512i v = _mm512_loadu_si512(src + 64 * k);
    const std::uint64_t support = _mm512_test_epi8_mask(v, one);
    const std::uint64_t positive = support & ~static_cast<std::uint64_t>(_mm512_movepi8_mask(v));
    p[k] = support;
    const std::uint64_t bits = _pext_u64(positive, support);
    const auto count = static_cast<unsigned>(_mm_popcnt_u64(support));
    acc |= bits << fill;
    if (fill + count >= 64) {
      q[index++] = acc;
      acc = fill == 0 ? 0 : bits >> (64 - fill);
    }
    fill = (fill + count) & 63U;
  }
  q[index] = acc;
  const std::uint64_t total = 64 * index + fill;
  o[(words + block_mask) >> block_shift] = total;
  return total;
}

/// Unpacks `n` sites (a multiple of 64) from `p` and `q` (readable one word past the
/// signs) into `dst`.
__attribute__((target("avx512f,avx512bw,bmi2,popcnt"))) inline void decode(const std::uint64_t* p,
                                                                           const std::uint64_t* q,
                                                                           std::size_t n,
                                                                           std::int8_t* dst) {
  const std::size_t words = n / 64;
  const __m512i minus = _mm512_set1_epi8(-1);
  const __m512i plus = _mm512_set1_epi8(1);
  std::uint64_t bit = 0;
  for (std::size_t k = 0; k < words; ++k) {
    const std::uint64_t support = p[k];
    const std::size_t w = bit >> 6;
    const unsigned shift = bit & 63U;
    const std::uint64_t bits = shift == 0 ? q[w] : (q[w] >> shift) | (q[w + 1] << (64 - shift));
    const std::uint64_t positive = _pdep_u64(bits, support);
    bit += static_cast<std::uint64_t>(_mm_popcnt_u64(support));
    const __m512i sites =
        _mm512_mask_mov_epi8(_mm512_maskz_mov_epi8(support, minus), positive, plus);
    _mm512_storeu_si512(dst + 64 * k, sites);
  }
}

}  // namespace pq_reference
