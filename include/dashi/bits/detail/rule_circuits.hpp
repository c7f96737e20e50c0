// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Rule tables compiled to logic: `Rule1Circuit` (the 27 entries of a radius-1 `Rule1D`)
/// and `TotalisticCircuit` (the 51 entries of `Totalistic2D`) hold one all-ones or all-zero
/// word per table entry and output plane; their loops select among them with multiplexer
/// trees driven by the neighbourhood's planes, 512 sites per `vpternlogq` on AVX-512. The
/// circuits are built once, at the kernel's construction, from a validated table (no entry
/// creates support). Thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/lanes.hpp>
#include <dashi/bits/detail/neighbourhood.hpp>

namespace dashi::bits::detail {

/// All ones when `on`, else 0.
[[nodiscard]] constexpr std::uint64_t word_mask(bool on) noexcept {
  return on ? ~std::uint64_t{0} : std::uint64_t{0};
}

/// A radius-1 rule along axis 0: `mask[plane][centre is +1][left + 1][right + 1]`, plane 0
/// the output support, plane 1 the output sign. The centre 0 row is not stored: a valid table
/// maps it to 0.
struct Rule1Circuit {
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  std::uint64_t mask[2][2][3][3] = {};

  /// From a validated 27-entry table indexed `9 (left + 1) + 3 (centre + 1) + (right + 1)`.
  [[nodiscard]] static Rule1Circuit compile(const std::int8_t* table) noexcept {
    Rule1Circuit c;
    for (int centre = 0; centre < 2; ++centre) {
      for (int l = 0; l < 3; ++l) {
        for (int r = 0; r < 3; ++r) {
          const std::int8_t out = table[9 * l + 3 * (centre == 1 ? 2 : 0) + r];
          c.mask[0][centre][l][r] = word_mask(out != 0);
          c.mask[1][centre][l][r] = word_mask(out > 0);
        }
      }
    }
    return c;
  }

  /// `out` = one centre sign's 9 entries `m[left + 1][right + 1]` selected by the left and
  /// right planes: each trit is chosen by its support, then its sign.
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void by_neighbours(
      // NOLINTNEXTLINE(modernize-avoid-c-arrays): rows of a mask table (see lanes.hpp)
      V& out, const std::uint64_t (*m)[3], const V& ls, const V& lg, const V& rs,
      const V& rg) noexcept {
    const V left_neg = (rs & ((rg & m[0][2]) | (~rg & m[0][0]))) | (~rs & m[0][1]);
    const V left_zero = (rs & ((rg & m[1][2]) | (~rg & m[1][0]))) | (~rs & m[1][1]);
    const V left_pos = (rs & ((rg & m[2][2]) | (~rg & m[2][0]))) | (~rs & m[2][1]);
    out = (ls & ((lg & left_pos) | (~lg & left_neg))) | (~ls & left_zero);
  }

  /// `out` = output plane `p` on the centre's support, from the neighbourhood planes: a
  /// multiplexer tree over right, left and centre.
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void plane(V& out, int p, const V& ls,
                                                                 const V& lg, const V& cs,
                                                                 const V& cg, const V& rs,
                                                                 const V& rg) const noexcept {
    V neg;  // where the centre is -1
    V pos;  // where it is +1
    by_neighbours(neg, mask[p][0], ls, lg, rs, rg);
    by_neighbours(pos, mask[p][1], ls, lg, rs, rg);
    out = cs & ((cg & pos) | (~cg & neg));
  }
};

/// `Rule1Circuit` on a 1-D run of `in_words` words: output words `[first_word, first_word +
/// out_words)`; the neighbours are the adjacent sites.
struct Rule1Run {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(
      const Rule1Circuit* circuit, const std::uint64_t* s, const std::uint64_t* g,
      std::size_t in_words, std::size_t first_word, std::uint64_t* out_s, std::uint64_t* out_g,
      std::size_t out_words) noexcept {
    constexpr std::size_t lanes = lanes_of<V>;
    const auto count = static_cast<std::ptrdiff_t>(in_words);
    const auto out_count = static_cast<std::ptrdiff_t>(out_words);
    for (std::size_t k = 0; k < out_words; k += lanes) {
      const auto at = static_cast<std::ptrdiff_t>(first_word + k);
      V cs;
      V cg;
      V ls;
      V lg;
      V rs;
      V rg;
      load_with_previous(cs, ls, s, at, count);
      load_with_previous(cg, lg, g, at, count);
      load_next(rs, cs, s, at, count);
      load_next(rg, cg, g, at, count);
      V os;
      V og;
      circuit->plane(os, 0, ls, lg, cs, cg, rs, rg);
      circuit->plane(og, 1, ls, lg, cs, cg, rs, rg);
      store_row(out_s, static_cast<std::ptrdiff_t>(k), out_count, os);
      store_row(out_g, static_cast<std::ptrdiff_t>(k), out_count, og);
    }
  }
};

/// `Rule1Circuit` across slices of `slice_words` words (`total_words` in the input): output
/// rows `[first_row, first_row + out_rows)`; the neighbours are the same word one slice up
/// and one slice down, 0 beyond the input.
struct Rule1Slices {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(
      const Rule1Circuit* circuit, const std::uint64_t* s, const std::uint64_t* g,
      std::size_t total_words, std::size_t slice_words, std::size_t first_row, std::uint64_t* out_s,
      std::uint64_t* out_g, std::size_t out_rows) noexcept {
    constexpr std::size_t lanes = lanes_of<V>;
    const auto count = static_cast<std::ptrdiff_t>(total_words);
    const auto step = static_cast<std::ptrdiff_t>(slice_words);
    const auto out_count = static_cast<std::ptrdiff_t>(out_rows * slice_words);
    const auto base = static_cast<std::ptrdiff_t>(first_row * slice_words);
    for (std::ptrdiff_t k = 0; k < out_count; k += static_cast<std::ptrdiff_t>(lanes)) {
      const std::ptrdiff_t at = base + k;
      // left support, left sign, centre support, centre sign, right support, right sign
      // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
      V n[6];
      for (int i = 0; i < 3; ++i) {
        load_row(n[2 * i], s, at + (i - 1) * step, count);
        load_row(n[2 * i + 1], g, at + (i - 1) * step, count);
      }
      V os;
      V og;
      circuit->plane(os, 0, n[0], n[1], n[2], n[3], n[4], n[5]);
      circuit->plane(og, 1, n[0], n[1], n[2], n[3], n[4], n[5]);
      store_row(out_s, k, out_count, os);
      store_row(out_g, k, out_count, og);
    }
  }
};

/// A 2-D totalistic rule: `mask[plane][centre is +1][x]` for the 5-bit index
/// `x = (+1 count) + 15 - (-1 count)` over the 3 x 3 neighbourhood (the centre included),
/// which is the sum of the 8 neighbours plus the centre, plus 15.
struct TotalisticCircuit {
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): read in exact-target loops (see lanes.hpp)
  std::uint64_t mask[2][2][32] = {};

  /// From a validated 51-entry table `table[3][17]` (`out = table[centre + 1][sum + 8]`).
  [[nodiscard]] static TotalisticCircuit compile(const std::int8_t* table) noexcept {
    TotalisticCircuit c;
    for (int centre = 0; centre < 2; ++centre) {
      const int value = centre == 1 ? 1 : -1;
      for (int x = 0; x < 32; ++x) {
        const int sum = x - 15 - value;  // the 8 neighbours' sum
        if (sum < -8 || sum > 8) {
          continue;  // no neighbourhood gives this index
        }
        const std::int8_t out = table[17 * (value + 1) + (sum + 8)];
        c.mask[0][centre][x] = word_mask(out != 0);
        c.mask[1][centre][x] = word_mask(out > 0);
      }
    }
    return c;
  }

  /// `out` = the leaves `m[0 .. 2^(Bit + 1))` selected by the index bits `x0` .. `x<Bit>`.
  template <int Bit, class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void select(V& out,
                                                                         const std::uint64_t* m,
                                                                         const V& x0, const V& x1,
                                                                         const V& x2, const V& x3,
                                                                         const V& x4) noexcept {
    if constexpr (Bit == 0) {
      out = (x0 & m[1]) | (~x0 & m[0]);
    } else {
      V high;
      V low;
      select<Bit - 1>(high, m + (1 << Bit), x0, x1, x2, x3, x4);
      select<Bit - 1>(low, m, x0, x1, x2, x3, x4);
      const V& x = Bit == 1 ? x1 : Bit == 2 ? x2 : Bit == 3 ? x3 : x4;
      out = (x & high) | (~x & low);
    }
  }
};

/// Writes one row of `Totalistic2D` from the 3 x 3 counts.
template <class V>
struct TotalisticRowWriter {
  const TotalisticCircuit* circuit;
  const std::uint64_t* centre_s;
  const std::uint64_t* centre_g;
  std::uint64_t* out_s;
  std::uint64_t* out_g;
  std::ptrdiff_t row_words;

  /// The output at words `[k, k + lanes)` from the 4-bit counts `p` (+1) and `n` (-1).
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void put(std::ptrdiff_t k, const V& p0,
                                                               const V& p1, const V& p2,
                                                               const V& p3, const V& n0,
                                                               const V& n1, const V& n2,
                                                               const V& n3) noexcept {
    // x = p + (15 - n): a 4-bit ripple adder with the complemented count, 5 bits out.
    V x0;
    V x1;
    V x2;
    V x3;
    V x4;
    V c0;
    V c1;
    V c2;
    x0 = p0 ^ ~n0;
    c0 = p0 & ~n0;
    full_add(x1, c1, p1, ~n1, c0);
    full_add(x2, c2, p2, ~n2, c1);
    full_add(x3, x4, p3, ~n3, c2);
    V s;
    V g;
    load_row(s, centre_s, k, row_words);
    load_row(g, centre_g, k, row_words);
    V support_neg;
    V support_pos;
    V sign_neg;
    V sign_pos;
    TotalisticCircuit::select<4>(support_neg, circuit->mask[0][0], x0, x1, x2, x3, x4);
    TotalisticCircuit::select<4>(support_pos, circuit->mask[0][1], x0, x1, x2, x3, x4);
    TotalisticCircuit::select<4>(sign_neg, circuit->mask[1][0], x0, x1, x2, x3, x4);
    TotalisticCircuit::select<4>(sign_pos, circuit->mask[1][1], x0, x1, x2, x3, x4);
    const V support = s & ((g & support_pos) | (~g & support_neg));
    const V sign = s & ((g & sign_pos) | (~g & sign_neg));
    store_row(out_s, k, row_words, support);
    store_row(out_g, k, row_words, sign);
  }
};

/// `Totalistic2D` on `rows` x (`row_words` words) planes: output rows `[first_row, first_row
/// + out_rows)` into `out_s`, `out_g`.
struct TotalisticRows {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(
      const TotalisticCircuit* circuit, const std::uint64_t* s, const std::uint64_t* g,
      std::size_t rows, std::size_t row_words, std::size_t first_row, std::uint64_t* out_s,
      std::uint64_t* out_g, std::size_t out_rows) noexcept {
    for (std::size_t i = 0; i < out_rows; ++i) {
      const std::size_t row = first_row + i;
      const RowTriple triple = row_triple(s, g, rows, row_words, row);
      TotalisticRowWriter<V> writer{circuit,
                                    s + row * row_words,
                                    g + row * row_words,
                                    out_s + i * row_words,
                                    out_g + i * row_words,
                                    static_cast<std::ptrdiff_t>(row_words)};
      for_each_count3x3<V>(triple, writer);
    }
  }
};

}  // namespace dashi::bits::detail
