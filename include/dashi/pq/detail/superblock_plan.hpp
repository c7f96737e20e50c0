// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The greedy superblock plan of PQ-FS (PQ_FORMAT.md §3): per-64-site-word support counts
/// and the fill rule that turns them into superblocks. The plan is a pure function of the
/// counts and `sb_bytes`, decided from partial data where it can be, so a streaming or
/// distributed writer produces the same superblocks as `write_file`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/cpu_dispatch.hpp>
#include <dashi/pq/detail/file_layout.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <span>
#include <vector>

namespace dashi::pq::detail {

/// Number of supported (non-zero) sites in each 64-site word of `src[0, sites)`: `counts`
/// receives ceil(sites / 64) entries. Branch-free SWAR, any byte order.
DASHI_DETAIL_TARGET_PORTABLE inline void count_words_portable(const std::int8_t* src,
                                                              std::size_t sites,
                                                              std::uint8_t* counts) noexcept {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  const auto nonzero = [](std::uint64_t x) {
    return static_cast<int>(popcount64((((x & low7) + low7) | x) & high));
  };
  const std::size_t full = sites / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const std::int8_t* word = src + 64 * w;
    int count = 0;
    for (std::size_t g = 0; g < 8; ++g) {
      std::uint64_t x = 0;
      std::memcpy(&x, word + 8 * g, sizeof x);
      count += nonzero(x);
    }
    counts[w] = static_cast<std::uint8_t>(count);
  }
  if (const std::size_t tail = sites % 64; tail != 0) {
    int count = 0;
    for (std::size_t j = 0; j < tail; ++j) {
      count += static_cast<int>(src[64 * full + j] != 0);
    }
    counts[full] = static_cast<std::uint8_t>(count);
  }
}

#if DASHI_DETAIL_X86
/// AVX2 form of `count_words_portable`.
DASHI_DETAIL_TARGET_AVX2 inline void count_words_avx2(const std::int8_t* src, std::size_t sites,
                                                      std::uint8_t* counts) noexcept {
  const std::size_t full = sites / 64;
  const __m256i zero = _mm256_setzero_si256();
  for (std::size_t w = 0; w < full; ++w) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64 * w));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64 * w + 32));
    const auto zero_lo =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, zero)));
    const auto zero_hi =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, zero)));
    const std::uint64_t zeros = std::uint64_t{zero_lo} | (std::uint64_t{zero_hi} << 32);
    counts[w] = static_cast<std::uint8_t>(64 - _mm_popcnt_u64(zeros));
  }
  if (sites % 64 != 0) {
    count_words_portable(src + 64 * full, sites % 64, counts + full);
  }
}

/// AVX-512 form of `count_words_portable` (`vptestmb` of each byte with itself).
DASHI_DETAIL_TARGET_AVX512 inline void count_words_avx512(const std::int8_t* src, std::size_t sites,
                                                          std::uint8_t* counts) noexcept {
  const std::size_t full = sites / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const __m512i v = _mm512_loadu_si512(src + 64 * w);
    counts[w] = static_cast<std::uint8_t>(_mm_popcnt_u64(_mm512_test_epi8_mask(v, v)));
  }
  if (const std::size_t tail = sites % 64; tail != 0) {
    const __mmask64 live = _bzhi_u64(~std::uint64_t{0}, static_cast<unsigned>(tail));
    const __m512i v = _mm512_maskz_loadu_epi8(live, src + 64 * full);
    counts[full] = static_cast<std::uint8_t>(_mm_popcnt_u64(_mm512_test_epi8_mask(v, v)));
  }
}
#endif

/// Number of supported (non-zero) sites in each 64-site word of `src[0, sites)`: `counts`
/// receives ceil(sites / 64) entries. Thread-safe; allocates nothing.
inline void count_words(const std::int8_t* src, std::size_t sites, std::uint8_t* counts) noexcept {
#if DASHI_DETAIL_X86
  if (dashi::detail::active_isa() == dashi::detail::Isa::avx512) {
    count_words_avx512(src, sites, counts);
    return;
  }
  if (dashi::detail::active_isa() == dashi::detail::Isa::avx2) {
    count_words_avx2(src, sites, counts);
    return;
  }
#endif
  count_words_portable(src, sites, counts);
}

/// One superblock decided by the planner.
struct SuperblockPlanEntry {
  std::uint64_t first_site = 0;  ///< global index of its first site
  std::uint64_t sites = 0;       ///< site_count
  std::uint64_t support = 0;     ///< support_count
  std::uint64_t offset = 0;      ///< index of its first site in the planned data
};

/// The greedy fill rule over data that starts at global site `first_site` (a multiple of
/// 64) with `remaining` sites left in the field, of which `available` are at hand;
/// `counts` holds the supported sites of each 64-site word of the available data (the
/// last, partial word is counted only when `available == remaining`). Each superblock
/// takes the largest c that fits among `remaining - planned` and every multiple of 64
/// below it. Appends every superblock that the available data decides to `out` and
/// returns the sites they cover: a superblock whose next candidate size would need data
/// past `available` stays undecided. O(available / 64).
inline std::uint64_t plan_superblocks(std::span<const std::uint8_t> counts, std::uint64_t available,
                                      std::uint64_t remaining, std::uint64_t sb_bytes,
                                      std::uint64_t first_site,
                                      std::vector<SuperblockPlanEntry>& out) {
  std::uint64_t planned = 0;
  std::size_t word = 0;
  while (planned < remaining) {
    const std::uint64_t left = remaining - planned;
    std::uint64_t sites = 0;
    std::uint64_t support = 0;
    bool decided = false;
    for (;;) {
      const std::uint64_t candidate = std::min<std::uint64_t>(sites + 64, left);
      if (planned + candidate > available) {
        break;  // whether it fits depends on data not yet at hand
      }
      const std::uint64_t with = support + counts[word];
      if (!sb_fits(candidate, with, sb_bytes)) {
        decided = true;
        break;
      }
      sites = candidate;
      support = with;
      ++word;
      if (sites == left) {
        decided = true;
        break;
      }
    }
    if (!decided) {
      return planned;
    }
    out.push_back({first_site + planned, sites, support, planned});
    planned += sites;
  }
  return planned;
}

}  // namespace dashi::pq::detail
