// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Bit-sliced building blocks of the 2-D neighbourhood kernels (`Majority3x3`,
/// `Totalistic2D`): the 3 x 3 counts of +1 and -1 sites as 4-bit numbers held in four
/// planes each, computed as vertical sums of three rows (2 bits) added across three
/// columns; and the row loop that feeds them. Pure functions: thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/lanes.hpp>

namespace dashi::bits::detail {

/// A full adder of three bit planes: `sum` (weight 1) and `carry` (weight 2, the majority).
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void full_add(V& sum, V& carry,
                                                                         const V& a, const V& b,
                                                                         const V& c) noexcept {
  sum = a ^ b ^ c;
  carry = (a & b) | (c & (a | b));
}

// The loops below keep every vector in a named local or a reference to one: arrays and
// structs of vectors would stay in memory (too large for the compiler to split).

/// The three rows around an output row: pointers and word counts (0 for a row beyond the
/// field, which then reads 0).
struct RowTriple {
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  const std::uint64_t* s[3];
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  const std::uint64_t* g[3];
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  std::ptrdiff_t words[3];
  std::ptrdiff_t row_words;
};

/// The +1 and -1 counts (0..3, two bits each) of the columns of three sites at words
/// `[k, k + lanes)` of the three rows.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void column_counts(
    V& pos_lo, V& pos_hi, V& neg_lo, V& neg_hi, const RowTriple& rows, std::ptrdiff_t k) noexcept {
  V s0;
  V s1;
  V s2;
  V g0;
  V g1;
  V g2;
  load_row(s0, rows.s[0], k, rows.words[0]);
  load_row(g0, rows.g[0], k, rows.words[0]);
  load_row(s1, rows.s[1], k, rows.words[1]);
  load_row(g1, rows.g[1], k, rows.words[1]);
  load_row(s2, rows.s[2], k, rows.words[2]);
  load_row(g2, rows.g[2], k, rows.words[2]);
  full_add(pos_lo, pos_hi, g0, g1, g2);  // +1 sites: the sign plane
  full_add(neg_lo, neg_hi, s0 & ~g0, s1 & ~g1, s2 & ~g2);
}

/// The sum over columns j-1, j, j+1 of a 2-bit column count, 0..9 in the 4 bits `b0`..`b3`:
/// `lo` and `hi` are the count's planes at the current words, `*_before` the same one word
/// earlier and `*_after` one word later.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void sum_across(
    V& b0, V& b1, V& b2, V& b3, const V& lo_before, const V& lo, const V& lo_after,
    const V& hi_before, const V& hi, const V& hi_after) noexcept {
  V lo_left;
  V lo_right;
  V hi_left;
  V hi_right;
  from_previous_site(lo_left, lo, lo_before);
  from_next_site(lo_right, lo, lo_after);
  from_previous_site(hi_left, hi, hi_before);
  from_next_site(hi_right, hi, hi_after);
  V carry_lo;  // weight 2
  V sum_hi;    // weight 2
  V carry_hi;  // weight 4
  full_add(b0, carry_lo, lo_left, lo, lo_right);
  full_add(sum_hi, carry_hi, hi_left, hi, hi_right);
  const V carry_mid = sum_hi & carry_lo;  // weight 4
  b1 = sum_hi ^ carry_lo;
  b2 = carry_hi ^ carry_mid;
  b3 = carry_hi & carry_mid;
}

/// Words of a row handled per chunk by `for_each_count3x3`.
inline constexpr std::ptrdiff_t count_chunk_words = 64;

/// Walks the word vectors of one output row, calling `emit.put(k, p0, p1, p2, p3, n0, n1,
/// n2, n3)` for each with the 3 x 3 counts of +1 (`p`) and -1 (`n`) sites as 4-bit numbers.
/// Works in chunks of `count_chunk_words` words: first the column counts of the chunk (and of
/// the words on each side) into an L1 buffer, then the sums across columns, whose
/// neighbouring words are unaligned loads from that buffer (no lane shuffles).
template <class V, class Emit>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void for_each_count3x3(
    const RowTriple& rows, Emit& emit) noexcept {
  constexpr auto lanes = static_cast<std::ptrdiff_t>(lanes_of<V>);
  constexpr std::ptrdiff_t pad = lanes;  // words before and after the chunk in the buffer
  constexpr std::ptrdiff_t stride = count_chunk_words + 2 * pad;
  // pos_lo, pos_hi, neg_lo, neg_hi
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  alignas(64) std::uint64_t buffer[static_cast<std::size_t>(4 * stride)];
  std::uint64_t* const pos_lo = buffer + pad;
  std::uint64_t* const pos_hi = buffer + stride + pad;
  std::uint64_t* const neg_lo = buffer + 2 * stride + pad;
  std::uint64_t* const neg_hi = buffer + 3 * stride + pad;
  for (std::ptrdiff_t k0 = 0; k0 < rows.row_words; k0 += count_chunk_words) {
    const std::ptrdiff_t n =
        rows.row_words - k0 < count_chunk_words ? rows.row_words - k0 : count_chunk_words;
    // Column counts of words [k0 - pad, k0 + n + pad): 0 beyond the row, so the pads are
    // cleared first and computed only where the row goes on.
    for (std::ptrdiff_t j = 0; j < pad; ++j) {
      pos_lo[j - pad] = 0;
      pos_hi[j - pad] = 0;
      neg_lo[j - pad] = 0;
      neg_hi[j - pad] = 0;
      pos_lo[n + j] = 0;
      pos_hi[n + j] = 0;
      neg_lo[n + j] = 0;
      neg_hi[n + j] = 0;
    }
    const std::ptrdiff_t from = k0 == 0 ? 0 : -pad;
    const std::ptrdiff_t to = k0 + n >= rows.row_words ? n : n + pad;
    for (std::ptrdiff_t j = from; j < to; j += lanes) {
      V pl;
      V ph;
      V nl;
      V nh;
      column_counts(pl, ph, nl, nh, rows, k0 + j);
      store(pos_lo + j, pl);
      store(pos_hi + j, ph);
      store(neg_lo + j, nl);
      store(neg_hi + j, nh);
    }
    for (std::ptrdiff_t j = 0; j < n; j += lanes) {
      V pl_b;
      V pl;
      V pl_a;
      V ph_b;
      V ph;
      V ph_a;
      V nl_b;
      V nl;
      V nl_a;
      V nh_b;
      V nh;
      V nh_a;
      load(pl_b, pos_lo + j - 1);
      load(pl, pos_lo + j);
      load(pl_a, pos_lo + j + 1);
      load(ph_b, pos_hi + j - 1);
      load(ph, pos_hi + j);
      load(ph_a, pos_hi + j + 1);
      load(nl_b, neg_lo + j - 1);
      load(nl, neg_lo + j);
      load(nl_a, neg_lo + j + 1);
      load(nh_b, neg_hi + j - 1);
      load(nh, neg_hi + j);
      load(nh_a, neg_hi + j + 1);
      V p0;
      V p1;
      V p2;
      V p3;
      V n0;
      V n1;
      V n2;
      V n3;
      sum_across(p0, p1, p2, p3, pl_b, pl, pl_a, ph_b, ph, ph_a);
      sum_across(n0, n1, n2, n3, nl_b, nl, nl_a, nh_b, nh, nh_a);
      emit.put(k0 + j, p0, p1, p2, p3, n0, n1, n2, n3);
    }
  }
}

/// The three rows of a 2-D plane pair around row `row` (of `rows`, `row_words` words each).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline RowTriple row_triple(
    const std::uint64_t* s, const std::uint64_t* g, std::size_t rows, std::size_t row_words,
    std::size_t row) noexcept {
  RowTriple t{};
  t.row_words = static_cast<std::ptrdiff_t>(row_words);
  for (int r = 0; r < 3; ++r) {
    const std::size_t at = row + static_cast<std::size_t>(r);  // row - 1 + r, shifted by one
    const bool inside = at >= 1 && at - 1 < rows;
    const std::size_t offset = inside ? (at - 1) * row_words : 0;
    t.s[r] = s + offset;
    t.g[r] = g + offset;
    t.words[r] = inside ? t.row_words : 0;
  }
  return t;
}

}  // namespace dashi::bits::detail
