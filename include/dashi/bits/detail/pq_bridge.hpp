// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Between PQ and planes without a byte per site: PQ's P bitset *is* the support plane (of
/// the field read as one run), and its Q stream is the sign plane with the off-support bits
/// squeezed out. `pq_read` expands a run of sites into plane bits (support copied, signs
/// deposited at the support bits with `pdep`); `pq_write` squeezes plane bits into P words,
/// a sign stream (`pext`) and block offsets. BMI2 paths on x86-64 (chosen at run time, as
/// the AVX2 level), word loops elsewhere. Thread-safe for distinct outputs, no throw.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/copy_bits.hpp>
#include <dashi/bits/detail/plane_run.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/simd/cpu_features.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::bits::detail {

/// The low bits of `x` deposited at the set bits of `mask` (a portable `pdep`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
deposit_portable(std::uint64_t x, std::uint64_t mask) noexcept {
  std::uint64_t out = 0;
  for (std::uint64_t bit = 1; mask != 0; bit += bit) {
    if ((x & bit) != 0) {
      out |= mask & (0 - mask);
    }
    mask &= mask - 1;
  }
  return out;
}

/// The bits of `x` at the set bits of `mask`, packed to the low end (a portable `pext`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
extract_portable(std::uint64_t x, std::uint64_t mask) noexcept {
  std::uint64_t out = 0;
  for (std::uint64_t bit = 1; mask != 0; bit += bit) {
    if ((x & mask & (0 - mask)) != 0) {
      out |= bit;
    }
    mask &= mask - 1;
  }
  return out;
}

/// The 64 bits of Q from bit `qpos` (Q has two readable zero words past its end), without a
/// branch: `pdep` takes only as many of them as the support word has set bits.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t sign_window(
    const std::uint64_t* q, std::uint64_t qpos) noexcept {
  const std::uint64_t* w = q + qpos / 64;
  const auto shift = static_cast<unsigned>(qpos % 64);
  return (w[0] >> shift) | ((w[1] << 1) << (63 - shift));
}

/// PQ to planes and back; `DEPOSIT` / `EXTRACT` / `POPCOUNT` are the `pdep` / `pext` /
/// `popcnt` of the level, each compiled for it (`std::popcount` has no target attribute: in a
/// unit with wider flags it would stay a call compiled with those flags). `TARGET` is an
/// attribute, which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define DASHI_DETAIL_BITS_PQ_BRIDGE(SUFFIX, TARGET, DEPOSIT, EXTRACT, POPCOUNT)                \
  /* Sites [site, site + count) of the packed field (P words `p`, Q words `q`, `qpos` the Q */ \
  /* position of `site`) into sites [at, at + count) of `run`; returns the next Q position. */ \
  [[gnu::noinline]] TARGET inline std::uint64_t pq_read_##SUFFIX(                              \
      const std::uint64_t* p, const std::uint64_t* q, std::size_t site, std::uint64_t qpos,    \
      std::size_t count, PlaneRun run, std::size_t at) noexcept {                              \
    RunCursor cursor = cursor_at(at, run.slice_sites);                                         \
    while (count != 0) {                                                                       \
      const std::size_t take = piece_at(cursor, run.slice_sites, count);                       \
      const std::uint64_t support =                                                            \
          site % 64 == 0 && take == 64 ? p[site / 64] : read_bits(p, site, take);              \
      const auto supported = static_cast<std::size_t>(POPCOUNT(support));                      \
      const std::uint64_t signs = DEPOSIT(sign_window(q, qpos), support);                      \
      const std::size_t word = cursor.slice * run.slice_words + cursor.bit / 64;               \
      if (take == 64) {                                                                        \
        run.s[word] = support;                                                                 \
        run.g[word] = signs;                                                                   \
      } else {                                                                                 \
        const std::size_t shift = cursor.bit % 64;                                             \
        const std::uint64_t mask = ((std::uint64_t{1} << take) - 1) << shift;                  \
        run.s[word] = (run.s[word] & ~mask) | (support << shift);                              \
        run.g[word] = (run.g[word] & ~mask) | (signs << shift);                                \
      }                                                                                        \
      advance(cursor, take, run.slice_sites);                                                  \
      site += take;                                                                            \
      qpos += supported;                                                                       \
      count -= take;                                                                           \
    }                                                                                          \
    return qpos;                                                                               \
  }                                                                                            \
  /* Sites [at, at + count) of `run` (at a word of the packed field: `count` from a block */   \
  /* start) into P words `p`, the sign stream `stream` from bit 0, and `offsets` of the */     \
  /* blocks of 2^(6 + shift) sites relative to the first; returns the supported sites. */      \
  [[gnu::noinline]] TARGET inline std::uint64_t pq_write_##SUFFIX(                             \
      ConstPlaneRun run, std::size_t at, std::size_t count, std::uint64_t* p,                  \
      std::uint64_t* stream, unsigned shift, std::uint64_t* offsets) noexcept {                \
    std::uint64_t total = 0;                                                                   \
    RunCursor cursor = cursor_at(at, run.slice_sites);                                         \
    const std::size_t words = count / 64 + (count % 64 != 0);                                  \
    for (std::size_t w = 0; w < words; ++w) {                                                  \
      if ((w & ((std::size_t{1} << shift) - 1)) == 0) {                                        \
        offsets[w >> shift] = total;                                                           \
      }                                                                                        \
      const std::size_t want = count - 64 * w < 64 ? count - 64 * w : 64;                      \
      std::uint64_t support = 0;                                                               \
      std::uint64_t sign = 0;                                                                  \
      gather_run(run, cursor, want, support, sign);                                            \
      p[w] = support;                                                                          \
      const std::uint64_t bits = EXTRACT(sign, support);                                       \
      const std::size_t used = total % 64;                                                     \
      if (used == 0) {                                                                         \
        stream[total / 64] = bits;                                                             \
      } else {                                                                                 \
        stream[total / 64] |= bits << used;                                                    \
        stream[total / 64 + 1] = bits >> (64 - used);                                          \
      }                                                                                        \
      total += static_cast<std::uint64_t>(POPCOUNT(support));                                  \
    }                                                                                          \
    return total;                                                                              \
  }

DASHI_DETAIL_BITS_PQ_BRIDGE(portable, DASHI_DETAIL_TARGET_PORTABLE, deposit_portable,
                            extract_portable, dashi::pq::detail::popcount64)
#if DASHI_DETAIL_X86
DASHI_DETAIL_BITS_PQ_BRIDGE(bmi2, DASHI_DETAIL_TARGET_AVX2_EXACT, dashi::detail::x86::pdep,
                            dashi::detail::x86::pext, dashi::detail::x86::popcnt)
#endif
// NOLINTEND(bugprone-macro-parentheses)
#undef DASHI_DETAIL_BITS_PQ_BRIDGE

/// See `pq_read_portable`.
inline std::uint64_t pq_read(const std::uint64_t* p, const std::uint64_t* q, std::size_t site,
                             std::uint64_t qpos, std::size_t count, PlaneRun run,
                             std::size_t at) noexcept {
  return dashi::detail::dispatch<DASHI_DETAIL_PATHS(
      &pq_read_portable, &pq_read_bmi2, &pq_read_bmi2)>(dashi::detail::pext_pdep_isa(), p, q, site,
                                                        qpos, count, run, at);
}

/// See `pq_write_portable`.
inline std::uint64_t pq_write(ConstPlaneRun run, std::size_t at, std::size_t count,
                              std::uint64_t* p, std::uint64_t* stream, unsigned shift,
                              std::uint64_t* offsets) noexcept {
  return dashi::detail::dispatch<DASHI_DETAIL_PATHS(
      &pq_write_portable, &pq_write_bmi2, &pq_write_bmi2)>(dashi::detail::pext_pdep_isa(), run, at,
                                                           count, p, stream, shift, offsets);
}

}  // namespace dashi::bits::detail
