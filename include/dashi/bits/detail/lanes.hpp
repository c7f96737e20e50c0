// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Word vectors for the bit-sliced loops: `LanesW` is W 64-bit words (one logic
/// instruction for 64 W sites), written with the compilers' vector extensions so one loop
/// body serves every instruction set: W = 2 on the portable path (SSE2 on x86-64, plain
/// words elsewhere), 4 on AVX2 and 8 on AVX-512, where the compiler fuses the logic into
/// `vpternlogq`. Loops are `always_inline` `DASHI_DETAIL_TARGET_PORTABLE` templates over the
/// vector type, instantiated in exact-target entry points by `dispatch_bits` (see
/// `simd/isa.hpp` and `simd/dispatch.hpp` for why entry points are exact and not inlined). Pure
/// functions: thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/vectors.hpp>

namespace dashi::bits::detail {

/// 2, 4 and 8 words as one vector (`simd/vectors.hpp`).
using Lanes2 = dashi::detail::uwords16;
using Lanes4 = dashi::detail::uwords32;
using Lanes8 = dashi::detail::uwords64;

/// Words in the vector type `V`.
template <class V>
inline constexpr std::size_t lanes_of = sizeof(V) / sizeof(std::uint64_t);

// Vectors are taken by reference and returned through out-parameters: a vector of 32 or 64
// bytes passed by value in a function without AVX would change its ABI (GCC's -Wpsabi).
// Fixed-size arrays in the loops are C arrays: std::array's accessors are functions, which
// an exact-target loop must not call (they would be compiled with the unit's flags).

/// `v` = the `lanes_of<V>` words at `p` (any alignment).
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load(
    V& v, const std::uint64_t* p) noexcept {
  std::memcpy(&v, p, sizeof v);
}

/// Stores `lanes_of<V>` words at `p` (any alignment).
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store(std::uint64_t* p,
                                                                      const V& v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// Words `[k, k + lanes)` of the row `row` of `count` words into `out`, 0 outside the row:
/// the edge case of `load_row`, out of line so that the vector loops stay straight.
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline void copy_row_words(
    std::uint64_t* out, std::ptrdiff_t lanes, const std::uint64_t* row, std::ptrdiff_t k,
    std::ptrdiff_t count) noexcept {
  for (std::ptrdiff_t i = 0; i < lanes; ++i) {
    out[i] = k + i >= 0 && k + i < count ? row[k + i] : 0;
  }
}

/// Stores the first `count - k` of `lanes` words at `row + k`: the edge case of `store_row`.
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline void store_row_words(
    std::uint64_t* row, std::ptrdiff_t k, std::ptrdiff_t count,
    const std::uint64_t* words) noexcept {
  for (std::ptrdiff_t i = 0; k + i < count; ++i) {
    row[k + i] = words[i];
  }
}

/// `v` = words `[k, k + lanes)` of the row `row` of `count` words, reading 0 outside the row.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load_row(
    V& v, const std::uint64_t* row, std::ptrdiff_t k, std::ptrdiff_t count) noexcept {
  constexpr auto lanes = static_cast<std::ptrdiff_t>(lanes_of<V>);
  if (__builtin_expect(k >= 0 && k + lanes <= count, 1)) {
    load(v, row + k);
    return;
  }
  if (k >= count || k + lanes <= 0) {
    v = V{};
    return;
  }
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  std::uint64_t words[lanes_of<V>];
  // (see lanes.hpp)
  copy_row_words(words, lanes, row, k, count);
  std::memcpy(&v, words, sizeof v);
}

/// Stores the words of `v` that fall in `[k, count)` of the row `row`.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store_row(std::uint64_t* row,
                                                                          std::ptrdiff_t k,
                                                                          std::ptrdiff_t count,
                                                                          const V& v) noexcept {
  constexpr auto lanes = static_cast<std::ptrdiff_t>(lanes_of<V>);
  if (__builtin_expect(k + lanes <= count, 1)) {
    store(row + k, v);
    return;
  }
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  std::uint64_t words[lanes_of<V>];
  // (see lanes.hpp)
  std::memcpy(words, &v, sizeof v);
  store_row_words(row, k, count, words);
}

/// `out`: each site takes the bit of the site before it, `(x << 1)` with the top bit of the
/// word before carried in; `before` holds the words one position earlier.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void from_previous_site(
    V& out, const V& x, const V& before) noexcept {
  out = (x << 1) | (before >> 63);
}

/// `out`: each site takes the bit of the site after it; `after` holds the words one
/// position later.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void from_next_site(
    V& out, const V& x, const V& after) noexcept {
  out = (x >> 1) | (after << 63);
}

/// `here` = words `[at, at + lanes)` of a run of `count` words (0 outside it) and
/// `previous` = the same sites' previous sites (`from_previous_site`).
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load_with_previous(
    V& here, V& previous, const std::uint64_t* run, std::ptrdiff_t at,
    std::ptrdiff_t count) noexcept {
  V before;
  load_row(here, run, at, count);
  load_row(before, run, at - 1, count);
  from_previous_site(previous, here, before);
}

/// `next` = the next sites of words `[at, at + lanes)` (`here`) of a run of `count` words.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load_next(
    V& next, const V& here, const std::uint64_t* run, std::ptrdiff_t at,
    std::ptrdiff_t count) noexcept {
  V after;
  load_row(after, run, at + 1, count);
  from_next_site(next, here, after);
}

/// Calls `Body::template run<V>(args...)` with the widest word vector the dispatch allows,
/// from an exact-target entry point. `Body::run` must be `[[gnu::always_inline]]
/// DASHI_DETAIL_TARGET_PORTABLE` and call only such functions.
template <class Body, class... Args>
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE void run_portable(Args... args) noexcept {
  Body::template run<Lanes2>(args...);
}
template <class Body, class... Args>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void run_avx2(Args... args) noexcept {
  Body::template run<Lanes4>(args...);
}
template <class Body, class... Args>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT void run_avx512(Args... args) noexcept {
  Body::template run<Lanes8>(args...);
}

/// The dispatch of the bit-sliced loops: `Body` on the widest word vector the level of
/// `dashi::detail::active_isa()` allows.
template <class Body, class... Args>
inline void dispatch_bits(Args... args) noexcept {
  [[maybe_unused]] constexpr auto portable = &run_portable<Body, Args...>;
  [[maybe_unused]] constexpr auto avx2 = &run_avx2<Body, Args...>;
  [[maybe_unused]] constexpr auto avx512 = &run_avx512<Body, Args...>;
  dashi::detail::dispatch<DASHI_DETAIL_PATHS(portable, avx2, avx512)>(dashi::detail::active_isa(),
                                                                      args...);
}

}  // namespace dashi::bits::detail
