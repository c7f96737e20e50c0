// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The bit-sliced loops of the shipped stencils: `LeftNeighbor` (along axis 0: the previous
/// site of the run for rank 1, the previous slice otherwise) and `Majority3x3` (rank 2).
/// Each computes a window of output rows from the whole input, reading 0 beyond the input's
/// edges. Thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/lanes.hpp>
#include <dashi/bits/detail/neighbourhood.hpp>

namespace dashi::bits::detail {

/// On support, `sign(s[i] + s[i-1])`: the site keeps its sign unless the previous site has
/// the opposite one (then 0).
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void left_neighbor_words(
    const V& s, const V& g, const V& prev_s, const V& prev_g, V& out_s, V& out_g) noexcept {
  out_s = s & ~(prev_s & (g ^ prev_g));
  out_g = g & out_s;
}

/// `LeftNeighbor` on a 1-D run of `in_words` words: output words `[first_word, first_word +
/// out_words)` into `out_s`, `out_g`.
struct LeftNeighborRun {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(
      const std::uint64_t* s, const std::uint64_t* g, std::size_t in_words, std::size_t first_word,
      std::uint64_t* out_s, std::uint64_t* out_g, std::size_t out_words) noexcept {
    constexpr std::size_t lanes = lanes_of<V>;
    const auto count = static_cast<std::ptrdiff_t>(in_words);
    for (std::size_t k = 0; k < out_words; k += lanes) {
      const auto at = static_cast<std::ptrdiff_t>(first_word + k);
      V cs;
      V cg;
      V ps;
      V pg;
      load_with_previous(cs, ps, s, at, count);
      load_with_previous(cg, pg, g, at, count);
      V os;
      V og;
      left_neighbor_words(cs, cg, ps, pg, os, og);
      store_row(out_s, static_cast<std::ptrdiff_t>(k), static_cast<std::ptrdiff_t>(out_words), os);
      store_row(out_g, static_cast<std::ptrdiff_t>(k), static_cast<std::ptrdiff_t>(out_words), og);
    }
  }
};

/// `LeftNeighbor` across slices of `slice_words` words: output rows `[first_row, first_row +
/// out_rows)` into `out_s`, `out_g`. The site's neighbour is the same word one slice up, so
/// the rows run as one flat loop.
struct LeftNeighborSlices {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(
      const std::uint64_t* s, const std::uint64_t* g, std::size_t slice_words,
      std::size_t first_row, std::uint64_t* out_s, std::uint64_t* out_g,
      std::size_t out_rows) noexcept {
    constexpr std::size_t lanes = lanes_of<V>;
    const std::size_t words = out_rows * slice_words;
    const std::uint64_t* cs = s + first_row * slice_words;
    const std::uint64_t* cg = g + first_row * slice_words;
    std::size_t k = 0;
    if (first_row == 0) {  // the first slice has no neighbour: it is copied
      for (; k < slice_words && k < words; ++k) {
        out_s[k] = cs[k];
        out_g[k] = cg[k];
      }
    }
    for (; k + lanes <= words; k += lanes) {
      V s_here;
      V g_here;
      V s_up;
      V g_up;
      load(s_here, cs + k);
      load(g_here, cg + k);
      load(s_up, cs + k - slice_words);
      load(g_up, cg + k - slice_words);
      V os;
      V og;
      left_neighbor_words(s_here, g_here, s_up, g_up, os, og);
      store(out_s + k, os);
      store(out_g + k, og);
    }
    for (; k < words; ++k) {
      std::uint64_t os = 0;
      std::uint64_t og = 0;
      left_neighbor_words<std::uint64_t>(cs[k], cg[k], cs[k - slice_words], cg[k - slice_words], os,
                                         og);
      out_s[k] = os;
      out_g[k] = og;
    }
  }
};

/// Writes one row of `Majority3x3` from the 3 x 3 counts: on support the sign of
/// (+1 count) - (-1 count), 0 on a tie.
template <class V>
struct MajorityRowWriter {
  const std::uint64_t* centre_s;
  std::uint64_t* out_s;
  std::uint64_t* out_g;
  std::ptrdiff_t row_words;

  /// The output at words `[k, k + lanes)` from the 4-bit counts `p` (+1) and `n` (-1).
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void put(std::ptrdiff_t k, const V& p0,
                                                               const V& p1, const V& p2,
                                                               const V& p3, const V& n0,
                                                               const V& n1, const V& n2,
                                                               const V& n3) noexcept {
    // p > n and p == n, from the top bit down.
    const V eq3 = ~(p3 ^ n3);
    const V eq2 = ~(p2 ^ n2);
    const V eq1 = ~(p1 ^ n1);
    const V eq0 = ~(p0 ^ n0);
    const V greater = (p3 & ~n3) | (eq3 & ((p2 & ~n2) | (eq2 & ((p1 & ~n1) | (eq1 & p0 & ~n0)))));
    const V equal = eq3 & eq2 & eq1 & eq0;
    V s;
    load_row(s, centre_s, k, row_words);
    const V out_support = s & ~equal;
    const V out_sign = s & greater;
    store_row(out_s, k, row_words, out_support);
    store_row(out_g, k, row_words, out_sign);
  }
};

/// `Majority3x3` on `rows` x (`row_words` words) planes: output rows `[first_row, first_row +
/// out_rows)` into `out_s`, `out_g` (rows of `row_words` words).
struct MajorityRows {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(
      const std::uint64_t* s, const std::uint64_t* g, std::size_t rows, std::size_t row_words,
      std::size_t first_row, std::uint64_t* out_s, std::uint64_t* out_g,
      std::size_t out_rows) noexcept {
    for (std::size_t i = 0; i < out_rows; ++i) {
      const std::size_t row = first_row + i;
      const RowTriple triple = row_triple(s, g, rows, row_words, row);
      MajorityRowWriter<V> writer{s + row * row_words, out_s + i * row_words, out_g + i * row_words,
                                  static_cast<std::ptrdiff_t>(row_words)};
      for_each_count3x3<V>(triple, writer);
    }
  }
};

}  // namespace dashi::bits::detail
