// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The greedy superblock plan of PQ-FS (docs/PQ_FORMAT.md §3): per-64-site-word support counts
/// and the fill rule that turns them into superblocks. The plan is a pure function of the
/// counts and `sb_bytes`, decided from partial data where it can be, so a streaming or
/// distributed writer produces the same superblocks as `write_file`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/pq/detail/file_layout.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>
#include <span>
#include <vector>

namespace dashi::pq::detail {

/// Number of non-zero bytes of the 8 in `x`. Branch-free SWAR, any byte order. A function of
/// its own rather than a lambda: a lambda has no target attribute, so in a wider unit it would
/// be compiled with the unit's flags and called from the portable loop.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline int nonzero_bytes8(
    std::uint64_t x) noexcept {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  return static_cast<int>(popcount64((((x & low7) + low7) | x) & high));
}

/// Number of supported (non-zero) sites in each 64-site word of `src[0, sites)`: `counts`
/// receives ceil(sites / 64) entries. Branch-free SWAR, any byte order.
DASHI_DETAIL_TARGET_PORTABLE inline void count_words_portable(const std::int8_t* src,
                                                              std::size_t sites,
                                                              std::uint8_t* counts) noexcept {
  const std::size_t full = sites / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const std::int8_t* word = src + 64 * w;
    int count = 0;
    for (std::size_t g = 0; g < 8; ++g) {
      std::uint64_t x = 0;
      std::memcpy(&x, word + 8 * g, sizeof x);
      count += nonzero_bytes8(x);
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
/// AVX2 form of `count_words_portable`. Not inlined, so no caller without a target attribute
/// compiles it with the unit's flags.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void count_words_avx2(
    const std::int8_t* src, std::size_t sites, std::uint8_t* counts) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::size_t full = sites / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const x86::u8x32 lo = x86::load32(src + 64 * w);
    const x86::u8x32 hi = x86::load32(src + 64 * w + 32);
    const std::uint32_t zero_lo = x86::sign_bits(reinterpret_cast<x86::u8x32>(lo == 0));
    const std::uint32_t zero_hi = x86::sign_bits(reinterpret_cast<x86::u8x32>(hi == 0));
    const std::uint64_t zeros = std::uint64_t{zero_lo} | (std::uint64_t{zero_hi} << 32);
    counts[w] = static_cast<std::uint8_t>(64 - x86::popcnt(zeros));
  }
  if (sites % 64 != 0) {
    count_words_portable(src + 64 * full, sites % 64, counts + full);
  }
}

/// AVX-512 form of `count_words_portable` (`vptestmb` of each byte with itself). Not
/// inlined, as `count_words_avx2`.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void count_words_avx512(
    const std::int8_t* src, std::size_t sites, std::uint8_t* counts) noexcept {
  namespace x86 = dashi::detail::x86;
  const std::size_t full = sites / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const x86::u8x64 v = x86::load64(src + 64 * w);
    counts[w] = static_cast<std::uint8_t>(x86::popcnt(x86::test_bytes(v, v)));
  }
  if (const std::size_t tail = sites % 64; tail != 0) {
    const std::uint64_t live = x86::bzhi(~std::uint64_t{0}, tail);
    const x86::u8x64 v = x86::load64_masked(src + 64 * full, live);
    counts[full] = static_cast<std::uint8_t>(x86::popcnt(x86::test_bytes(v, v)));
  }
}
#endif

/// Number of supported (non-zero) sites in each 64-site word of `src[0, sites)`: `counts`
/// receives ceil(sites / 64) entries. Thread-safe; allocates nothing. Compiled for the
/// portable target, so the portable loop inlined here never takes the unit's flags.
DASHI_DETAIL_TARGET_PORTABLE inline void count_words(const std::int8_t* src, std::size_t sites,
                                                     std::uint8_t* counts) noexcept {
  dashi::detail::dispatch<DASHI_DETAIL_PATHS(&count_words_portable, &count_words_avx2,
                                             &count_words_avx512)>(dashi::detail::active_isa(), src,
                                                                   sites, counts);
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
