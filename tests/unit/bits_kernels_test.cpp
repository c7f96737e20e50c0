// SPDX-License-Identifier: Apache-2.0
// The bit-sliced forms of the shipped kernels against their dense twins: every shape that
// matters, every row window, and every entry of the rule tables. The suite runs under each
// DASHI_ISA cap (CTest), so each instruction-set path is compared with the dense result.

#include <gtest/gtest.h>

#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/kernel.hpp>
#include <string>
#include <vector>

#include "support/fields.hpp"

namespace {

using dashi::Shape;
using dashi::TernaryField;
using dashi::bits::BitField;
using dashi_test::random_field;
using dashi_test::Rng;

std::vector<Shape> any_rank_shapes() {
  return {Shape{1},          Shape{2},     Shape{63},     Shape{64},      Shape{65},
          Shape{129},        Shape{1000},  Shape{1, 1},   Shape{1, 65},   Shape{65, 1},
          Shape{7, 5},       Shape{9, 64}, Shape{9, 130}, Shape{3, 4, 5}, Shape{2, 3, 70},
          Shape{2, 2, 2, 9}, Shape{0},     Shape{4, 0}};
}

std::vector<Shape> grid_shapes() {
  return {Shape{1, 1},   Shape{1, 63},   Shape{1, 64},   Shape{1, 65}, Shape{2, 2},
          Shape{3, 3},   Shape{5, 1},    Shape{7, 63},   Shape{7, 64}, Shape{7, 65},
          Shape{9, 130}, Shape{33, 511}, Shape{4, 1000}, Shape{0, 5},  Shape{5, 0}};
}

/// The dense into form of `kernel` on `field`.
template <class K>
TernaryField dense_of(const K& kernel, const TernaryField& field) {
  TernaryField out = TernaryField::uninitialized(field.shape());
  kernel(field.view(), out.span());
  return out;
}

/// The bit form of `kernel` on `field`, unpacked; the output planes are checked canonical.
template <class K>
TernaryField bits_of(const K& kernel, const TernaryField& field) {
  const BitField in = dashi::bits::pack(field);
  BitField out = BitField::zeros(field.shape());
  // Poison the output: the kernel must write every word, padding included.
  for (std::uint64_t& w : out.span().support_words()) {
    w = ~std::uint64_t{0};
  }
  for (std::uint64_t& w : out.span().sign_words()) {
    w = 0x5555555555555555ULL;
  }
  kernel.bits(in.view(), out.span());
  dashi::bits::validate(out);
  return dashi::bits::unpack(out);
}

/// Every window `[first, stop)` of the row-window form equals those rows of the
/// whole result (rank 1: windows on words).
template <class K>
void expect_windows_match(const K& kernel, const TernaryField& field) {
  const BitField in = dashi::bits::pack(field);
  BitField whole = BitField::zeros(field.shape());
  kernel.bits(in.view(), whole.span());
  const std::size_t rows = field.shape().rows();
  const std::size_t step = field.shape().rank() == 1 ? 64 : 1;
  for (std::size_t first = 0; first < rows; first += step) {
    for (std::size_t end = first + step;; end += step) {
      const std::size_t stop = std::min(end, rows);
      BitField window = BitField::zeros(field.shape().with_rows(stop - first));
      kernel.bits_rows(in.view(), first, window.span());
      dashi::bits::validate(window);
      ASSERT_EQ(window.view(), whole.view().rows(first, stop - first))
          << field.shape().to_string() << " rows [" << first << ", " << stop << ")";
      if (stop == rows) {
        break;
      }
    }
  }
}

template <class K>
void expect_bits_match_dense(const K& kernel, const std::vector<Shape>& shapes,
                             const std::string& name) {
  std::uint64_t seed = 11;
  for (const Shape& shape : shapes) {
    for (const double sparsity : {0.0, 0.4, 0.9}) {
      const TernaryField field = random_field(shape, sparsity, ++seed);
      ASSERT_EQ(bits_of(kernel, field), dense_of(kernel, field))
          << name << " on " << shape.to_string() << " sparsity " << sparsity;
    }
  }
}

TEST(BitKernels, PointwiseKernelsMatchTheirDenseForms) {
  static_assert(dashi::bits::BitKernel<dashi::kernels::SignFlip>);
  static_assert(dashi::bits::BitKernel<dashi::kernels::Clamp>);
  static_assert(dashi::bits::BitKernel<dashi::kernels::ClampNonnegative>);
  expect_bits_match_dense(dashi::kernels::SignFlip{}, any_rank_shapes(), "SignFlip");
  expect_bits_match_dense(dashi::kernels::Clamp{}, any_rank_shapes(), "Clamp");
  expect_bits_match_dense(dashi::kernels::ClampNonnegative{}, any_rank_shapes(),
                          "ClampNonnegative");
}

TEST(BitKernels, LeftNeighborMatchesItsDenseFormInEveryWindow) {
  static_assert(dashi::bits::BitRowWindowKernel<dashi::kernels::LeftNeighbor>);
  expect_bits_match_dense(dashi::kernels::LeftNeighbor{}, any_rank_shapes(), "LeftNeighbor");
  for (const Shape& shape : {Shape{1}, Shape{64}, Shape{200}, Shape{9, 70}, Shape{4, 3, 3}}) {
    expect_windows_match(dashi::kernels::LeftNeighbor{}, random_field(shape, 0.3, 5));
  }
}

TEST(BitKernels, Majority3x3MatchesItsDenseFormInEveryWindow) {
  static_assert(dashi::bits::BitRowWindowKernel<dashi::kernels::Majority3x3>);
  expect_bits_match_dense(dashi::kernels::Majority3x3{}, grid_shapes(), "Majority3x3");
  for (const Shape& shape : {Shape{1, 1}, Shape{6, 65}, Shape{9, 130}}) {
    expect_windows_match(dashi::kernels::Majority3x3{}, random_field(shape, 0.3, 5));
  }
  const BitField line = dashi::bits::pack(random_field(Shape{100}, 0.5, 1));
  BitField out = BitField::zeros(Shape{100});
  EXPECT_THROW(dashi::kernels::Majority3x3{}.bits(line.view(), out.span()), std::invalid_argument);
}

/// A valid radius-1 table: random trits, 0 where the centre is 0.
std::vector<std::int8_t> random_rule_table(Rng& rng) {
  std::vector<std::int8_t> table(27);
  for (std::size_t e = 0; e < 27; ++e) {
    table[e] = (e / 3) % 3 == 1 ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return table;
}

/// Every neighbourhood (l, c, r) laid out along axis 0 of `rank` 1 or 2: for rank 1 as
/// [l, c, r, 0] per entry, for rank 2 as three rows with one column per entry.
TernaryField every_neighbourhood(std::size_t rank) {
  std::vector<std::int8_t> values;
  if (rank == 1) {
    for (std::size_t e = 0; e < 27; ++e) {
      values.push_back(static_cast<std::int8_t>(e / 9) - 1);
      values.push_back(static_cast<std::int8_t>((e / 3) % 3) - 1);
      values.push_back(static_cast<std::int8_t>(e % 3) - 1);
      values.push_back(0);
    }
    return TernaryField::from_signed(values, Shape{values.size()});
  }
  for (std::size_t row = 0; row < 3; ++row) {
    for (std::size_t e = 0; e < 27; ++e) {
      const std::size_t digit = row == 0 ? e / 9 : row == 1 ? (e / 3) % 3 : e % 3;
      values.push_back(static_cast<std::int8_t>(digit) - 1);
    }
  }
  return TernaryField::from_signed(values, Shape{3, 27});
}

TEST(BitKernels, Rule1CircuitGivesEveryTableEntryOnEveryNeighbourhood) {
  static_assert(dashi::bits::BitRowWindowKernel<dashi::kernels::Rule1D<1>>);
  static_assert(!dashi::bits::BitKernel<dashi::kernels::Rule1D<2>>);
  Rng rng(42);
  std::vector<std::vector<std::int8_t>> tables;
  for (std::size_t e = 0; e < 27; ++e) {  // each entry alone, at +1 and at -1
    if ((e / 3) % 3 == 1) {
      continue;
    }
    for (const std::int8_t v : {std::int8_t{1}, std::int8_t{-1}}) {
      std::vector<std::int8_t> table(27, 0);
      table[e] = v;
      tables.push_back(table);
    }
  }
  for (int i = 0; i < 200; ++i) {
    tables.push_back(random_rule_table(rng));
  }
  for (const auto& table : tables) {
    const dashi::kernels::Rule1D<1> rule(table);
    for (const std::size_t rank : {1U, 2U}) {
      const TernaryField field = every_neighbourhood(rank);
      const TernaryField out = bits_of(rule, field);
      ASSERT_EQ(out, dense_of(rule, field));
      for (std::size_t e = 0; e < 27; ++e) {
        const std::size_t centre = rank == 1 ? 4 * e + 1 : 27 + e;
        ASSERT_EQ(out.values()[centre], table[e]) << "entry " << e << " rank " << rank;
      }
    }
  }
  expect_bits_match_dense(dashi::kernels::Rule1D<1>(random_rule_table(rng)), any_rank_shapes(),
                          "Rule1D<1>");
  for (const Shape& shape : {Shape{300}, Shape{9, 70}, Shape{5, 2, 3}}) {
    expect_windows_match(dashi::kernels::Rule1D<1>(random_rule_table(rng)),
                         random_field(shape, 0.3, 8));
  }
}

/// A valid totalistic table: random trits, row 1 (centre 0) all 0.
std::vector<std::int8_t> random_totalistic_table(Rng& rng) {
  std::vector<std::int8_t> table(51);
  for (std::size_t e = 0; e < 51; ++e) {
    table[e] = e / 17 == 1 ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return table;
}

TEST(BitKernels, TotalisticCircuitGivesEveryTableEntryForEveryNeighbourMix) {
  static_assert(dashi::bits::BitRowWindowKernel<dashi::kernels::Totalistic2D>);
  // One 3 x 3 patch per (centre, +1 count p, -1 count q), p + q <= 8, 4 columns apart so
  // patches never see each other.
  struct Patch {
    int centre;
    int sum;
  };
  std::vector<Patch> patches;
  for (const int centre : {-1, 1}) {
    for (int p = 0; p <= 8; ++p) {
      for (int q = 0; p + q <= 8; ++q) {
        patches.push_back({centre, p - q});
      }
    }
  }
  const std::size_t cols = 4 * patches.size();
  std::vector<std::int8_t> values(3 * cols, 0);
  std::size_t at = 0;
  for (const int centre : {-1, 1}) {
    for (int p = 0; p <= 8; ++p) {
      for (int q = 0; p + q <= 8; ++q, ++at) {
        const std::size_t c = 4 * at + 1;
        values[cols + c] = static_cast<std::int8_t>(centre);
        int placed = 0;
        for (std::size_t r = 0; r < 3; ++r) {
          for (std::size_t dc = 0; dc < 3; ++dc) {
            if (r == 1 && dc == 1) {
              continue;
            }
            values[r * cols + c - 1 + dc] = static_cast<std::int8_t>(placed < p       ? 1
                                                                     : placed < p + q ? -1
                                                                                      : 0);
            ++placed;
          }
        }
      }
    }
  }
  const TernaryField field = TernaryField::from_signed(values, Shape{3, cols});
  Rng rng(7);
  for (int i = 0; i < 100; ++i) {
    const std::vector<std::int8_t> table = random_totalistic_table(rng);
    const dashi::kernels::Totalistic2D rule(table);
    const TernaryField out = bits_of(rule, field);
    ASSERT_EQ(out, dense_of(rule, field));
    for (std::size_t k = 0; k < patches.size(); ++k) {
      const auto entry =
          static_cast<std::size_t>(17 * (patches[k].centre + 1) + patches[k].sum + 8);
      ASSERT_EQ(out.values()[cols + 4 * k + 1], table[entry])
          << "centre " << patches[k].centre << " sum " << patches[k].sum;
    }
  }
  expect_bits_match_dense(dashi::kernels::Totalistic2D(random_totalistic_table(rng)), grid_shapes(),
                          "Totalistic2D");
  for (const Shape& shape : {Shape{1, 1}, Shape{6, 65}, Shape{9, 130}}) {
    expect_windows_match(dashi::kernels::Totalistic2D(random_totalistic_table(rng)),
                         random_field(shape, 0.3, 5));
  }
}

}  // namespace
