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
#include <utility>

namespace dashi::bits::detail {

/// `out` = lanes `[Offset, Offset + lanes)` of the concatenation `a, b`.
template <class V, std::size_t Offset, std::size_t... I>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void window_of(
    V& out, const V& a, const V& b, std::index_sequence<I...> /*lanes*/) noexcept {
  out = __builtin_shufflevector(a, b, static_cast<int>(Offset + I)...);
}

/// `out` = the words one position earlier than `cur`: the last of `prev`, then `cur` but its
/// last.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void words_before(
    V& out, const V& prev, const V& cur) noexcept {
  window_of<V, lanes_of<V> - 1>(out, prev, cur, std::make_index_sequence<lanes_of<V>>{});
}

/// `out` = the words one position later than `cur`: `cur` but its first, then the first of
/// `next`.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void words_after(
    V& out, const V& cur, const V& next) noexcept {
  window_of<V, 1>(out, cur, next, std::make_index_sequence<lanes_of<V>>{});
}

/// A full adder of three bit planes: `sum` (weight 1) and `carry` (weight 2, the majority).
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void full_add(V& sum, V& carry,
                                                                         const V& a, const V& b,
                                                                         const V& c) noexcept {
  sum = a ^ b ^ c;
  carry = (a & b) | (c & (a | b));
}

/// The +1 and -1 counts of one column of three sites, 0..3 each, as two bits.
template <class V>
struct ColumnCounts {
  V pos_lo;
  V pos_hi;
  V neg_lo;
  V neg_hi;
};

/// A 4-bit count per site, bit i in `bit[i]`.
template <class V>
struct Count4 {
  V bit[4];
};

/// The three rows around an output row: pointers and word counts (0 for a row beyond the
/// field, which then reads 0).
struct RowTriple {
  const std::uint64_t* s[3];
  const std::uint64_t* g[3];
  std::ptrdiff_t words[3];
  std::ptrdiff_t row_words;
};

/// `c` = the column counts of words `[k, k + lanes)` of the three rows.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void column_counts(
    ColumnCounts<V>& c, const RowTriple& rows, std::ptrdiff_t k) noexcept {
  V pos[3];
  V neg[3];
  for (int r = 0; r < 3; ++r) {
    V s;
    load_row(s, rows.s[r], k, rows.words[r]);
    load_row(pos[r], rows.g[r], k, rows.words[r]);
    neg[r] = s & ~pos[r];
  }
  full_add(c.pos_lo, c.pos_hi, pos[0], pos[1], pos[2]);
  full_add(c.neg_lo, c.neg_hi, neg[0], neg[1], neg[2]);
}

/// `sum` = the sum over columns j-1, j, j+1 of a 2-bit column count (`lo`, `hi` planes of
/// the previous, current and next word vectors): 0..9 in 4 bits.
template <class V>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void sum_across(
    Count4<V>& sum, const V& lo_prev, const V& lo, const V& lo_next, const V& hi_prev, const V& hi,
    const V& hi_next) noexcept {
  V before;
  V after;
  V lo_left;
  V lo_right;
  V hi_left;
  V hi_right;
  words_before(before, lo_prev, lo);
  words_after(after, lo, lo_next);
  from_previous_site(lo_left, lo, before);
  from_next_site(lo_right, lo, after);
  words_before(before, hi_prev, hi);
  words_after(after, hi, hi_next);
  from_previous_site(hi_left, hi, before);
  from_next_site(hi_right, hi, after);
  V carry_lo;  // weight 2
  V sum_hi;    // weight 2
  V carry_hi;  // weight 4
  full_add(sum.bit[0], carry_lo, lo_left, lo, lo_right);
  full_add(sum_hi, carry_hi, hi_left, hi, hi_right);
  const V carry_mid = sum_hi & carry_lo;  // weight 4
  sum.bit[1] = sum_hi ^ carry_lo;
  sum.bit[2] = carry_hi ^ carry_mid;
  sum.bit[3] = carry_hi & carry_mid;
}

/// The 3 x 3 counts of +1 and -1 sites around each site of one word vector.
template <class V>
struct Counts3x3 {
  Count4<V> pos;
  Count4<V> neg;
};

/// Walks the word vectors of one output row, calling `emit.put(k, counts)` for each: the
/// column counts roll through previous / current / next so each is computed once.
template <class V, class Emit>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void for_each_count3x3(
    const RowTriple& rows, Emit& emit) noexcept {
  constexpr auto lanes = static_cast<std::ptrdiff_t>(lanes_of<V>);
  ColumnCounts<V> prev{V{}, V{}, V{}, V{}};
  ColumnCounts<V> cur;
  ColumnCounts<V> next;
  column_counts(cur, rows, 0);
  for (std::ptrdiff_t k = 0; k < rows.row_words; k += lanes) {
    column_counts(next, rows, k + lanes);
    Counts3x3<V> counts;
    sum_across(counts.pos, prev.pos_lo, cur.pos_lo, next.pos_lo, prev.pos_hi, cur.pos_hi,
               next.pos_hi);
    sum_across(counts.neg, prev.neg_lo, cur.neg_lo, next.neg_lo, prev.neg_hi, cur.neg_hi,
               next.neg_hi);
    emit.put(k, counts);
    prev = cur;
    cur = next;
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
