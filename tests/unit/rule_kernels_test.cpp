// SPDX-License-Identifier: Apache-2.0
// Unit tests of the rule kernels (<dashi/kernels/rule1d.hpp>, <dashi/kernels/totalistic2d.hpp>):
// every instruction-set path the CPU has against scalar references written here, on random
// tables and fields of every radius, rank and edge size; Majority3x3 as one Totalistic2D
// table; determinism through run_kernel_parallel; refused tables.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/rule_paths.hpp"

namespace {

using namespace dashi_test;

using dashi::detail::Isa;

/// A random valid table of `size` entries: entries whose centre digit (`centre_of(e)`) is 0
/// are 0, the others uniform in {-1, 0, 1}.
template <class CentreIsZero>
std::vector<std::int8_t> random_table(std::size_t size, std::uint64_t seed,
                                      CentreIsZero centre_is_zero) {
  Rng rng(seed);
  std::vector<std::int8_t> table(size);
  for (std::size_t e = 0; e < size; ++e) {
    table[e] = centre_is_zero(e) ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return table;
}

std::size_t pow3(std::size_t e) {
  std::size_t p = 1;
  while (e-- != 0) {
    p *= 3;
  }
  return p;
}

std::vector<std::int8_t> random_rule1d_table(std::size_t radius, std::uint64_t seed) {
  const std::size_t size = pow3(2 * radius + 1);
  return random_table(size, seed, [&](std::size_t e) { return (e / pow3(radius)) % 3 == 1; });
}

std::vector<std::int8_t> random_totalistic_table(std::uint64_t seed) {
  return random_table(51, seed, [](std::size_t e) { return e / 17 == 1; });
}

/// Scalar reference of Rule1D: the neighbourhood along axis 0, read as base-3 digits.
TernaryField rule1d_reference(std::size_t radius, const std::vector<std::int8_t>& table,
                              TernaryView in) {
  TernaryField out = TernaryField::zeros(in.shape());
  const std::size_t stride = in.shape().row_elems();
  const std::size_t rows = in.shape().rows();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t row = i / stride;
    std::size_t index = 0;
    for (std::size_t k = 0; k <= 2 * radius; ++k) {
      const auto r = static_cast<long long>(row + k) - static_cast<long long>(radius);
      int value = 0;
      if (r >= 0 && r < static_cast<long long>(rows)) {
        value = in.value(static_cast<std::size_t>(r) * stride + i % stride);
      }
      index = index * 3 + static_cast<std::size_t>(value + 1);
    }
    out.data()[i] = table[index];
  }
  return out;
}

/// Scalar reference of Totalistic2D: table[x + 1][sum of the 8 neighbours + 8].
TernaryField totalistic_reference(const std::vector<std::int8_t>& table, TernaryView in) {
  TernaryField out = TernaryField::zeros(in.shape());
  const auto rows = static_cast<long long>(in.shape()[0]);
  const auto cols = static_cast<long long>(in.shape()[1]);
  for (long long r = 0; r < rows; ++r) {
    for (long long c = 0; c < cols; ++c) {
      int sum = 0;
      for (long long dr = -1; dr <= 1; ++dr) {
        for (long long dc = -1; dc <= 1; ++dc) {
          const long long rr = r + dr;
          const long long cc = c + dc;
          if ((dr != 0 || dc != 0) && rr >= 0 && rr < rows && cc >= 0 && cc < cols) {
            sum += in.value(static_cast<std::size_t>(rr * cols + cc));
          }
        }
      }
      const int x = in.value(static_cast<std::size_t>(r * cols + c));
      out.data()[r * cols + c] = table[static_cast<std::size_t>((x + 1) * 17 + sum + 8)];
    }
  }
  return out;
}

template <std::size_t R>
void check_rule1d_on(const std::vector<Shape>& shapes, std::uint64_t seed) {
  for (std::uint64_t t = 0; t < 4; ++t) {
    const std::vector<std::int8_t> table = random_rule1d_table(R, seed + 100 * t);
    const kernels::Rule1D<R> rule(table);
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      for (const double sparsity : {0.0, 0.5}) {
        const TernaryField in = random_field(shapes[s], sparsity, seed + 7 * s + t);
        const TernaryField expected = rule1d_reference(R, table, in.view());
        for (const Isa isa : available_rule_isas()) {
          TernaryField out = TernaryField::zeros(in.shape());
          rule.apply_with(isa, in.view(), out.span());
          ASSERT_EQ(first_difference(out.view(), expected.view()), "")
              << "Rule1D<" << R << "> on " << rule_isa_name(isa) << ", shape "
              << in.shape().to_string() << ", table " << t;
        }
        TernaryField out = TernaryField::zeros(in.shape());
        rule(in.view(), out.span());
        ASSERT_EQ(first_difference(out.view(), expected.view()), "")
            << "Rule1D<" << R << ">::operator() on shape " << in.shape().to_string();
      }
    }
  }
}

std::vector<Shape> rule1d_shapes(std::size_t radius) {
  std::vector<Shape> shapes;
  // Rank 1: every length around the edges and the vector widths.
  for (std::size_t n = 0; n <= 2 * radius + 3; ++n) {
    shapes.emplace_back(n);
  }
  for (const std::size_t n : {31U, 32U, 33U, 63U, 64U, 65U, 66U, 127U, 129U, 1000U, 4099U}) {
    shapes.emplace_back(n);
  }
  // Ranks 2 to 4, along axis 0 (edge rows included when rows <= 2R).
  for (std::size_t rows = 1; rows <= 2 * radius + 2; ++rows) {
    shapes.emplace_back(rows, 70U);
  }
  shapes.emplace_back(40U, 33U);
  shapes.emplace_back(9U, 130U);
  shapes.emplace_back(7U, 3U, 11U);
  shapes.emplace_back(2U, 5U, 3U);
  shapes.emplace_back(5U, 2U, 3U, 7U);
  shapes.emplace_back(0U, 4U);
  return shapes;
}

TEST(Rule1D, RadiusOneMatchesScalarReferenceOnEveryPath) {
  check_rule1d_on<1>(rule1d_shapes(1), 11);
}
TEST(Rule1D, RadiusTwoMatchesScalarReferenceOnEveryPath) {
  check_rule1d_on<2>(rule1d_shapes(2), 22);
}
TEST(Rule1D, RadiusThreeMatchesScalarReferenceOnEveryPath) {
  check_rule1d_on<3>(rule1d_shapes(3), 33);
}

TEST(Rule1D, DeclaresRadiusAndContract) {
  static_assert(dashi::kernel_radius_v<kernels::Rule1D<1>> == 1);
  static_assert(dashi::kernel_radius_v<kernels::Rule1D<2>> == 2);
  static_assert(dashi::kernel_radius_v<kernels::Rule1D<3>> == 3);
  static_assert(dashi::kernel_contract_proven_v<kernels::Rule1D<2>>);
  static_assert(dashi::IntoKernel<kernels::Rule1D<1>>);
  EXPECT_EQ(kernels::Rule1D<1>::table_size, 27U);
  EXPECT_EQ(kernels::Rule1D<2>::table_size, 243U);
  EXPECT_EQ(kernels::Rule1D<3>::table_size, 2187U);
}

TEST(Rule1D, IdentityTableIsTheIdentityAndLeftNeighborIsATable) {
  // Identity: the centre digit. LeftNeighbor: on support sign(x[i] + x[i-1]).
  std::vector<std::int8_t> identity(27);
  std::vector<std::int8_t> left(27);
  for (std::size_t e = 0; e < 27; ++e) {
    const int prev = static_cast<int>(e / 9) - 1;
    const int centre = static_cast<int>((e / 3) % 3) - 1;
    identity[e] = static_cast<std::int8_t>(centre);
    const int sum = prev + centre;
    left[e] = centre == 0 ? std::int8_t{0} : static_cast<std::int8_t>((sum > 0) - (sum < 0));
  }
  const TernaryField in = random_field(Shape{3000U}, 0.3, 5);
  EXPECT_EQ(dashi::apply_kernel(kernels::Rule1D<1>(identity), in.view()), in);
  const TernaryField in2 = random_field(Shape{50U, 61U}, 0.3, 6);
  EXPECT_EQ(first_difference(dashi::apply_kernel(kernels::Rule1D<1>(left), in2.view()).view(),
                             dashi::apply_kernel(kernels::LeftNeighbor{}, in2.view()).view()),
            "");
}

TEST(Totalistic2D, MatchesScalarReferenceOnEveryPath) {
  std::vector<Shape> shapes;
  for (std::size_t rows = 0; rows <= 4; ++rows) {
    for (const std::size_t cols :
         {0U, 1U, 2U, 3U, 32U, 33U, 34U, 35U, 64U, 65U, 66U, 67U, 97U, 98U, 130U, 200U}) {
      shapes.emplace_back(rows, cols);
    }
  }
  shapes.emplace_back(37U, 101U);
  for (std::uint64_t t = 0; t < 6; ++t) {
    const std::vector<std::int8_t> table = random_totalistic_table(900 + t);
    const kernels::Totalistic2D rule(table);
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      const TernaryField in = random_field(shapes[s], t % 2 == 0 ? 0.0 : 0.4, 31 * s + t);
      const TernaryField expected = totalistic_reference(table, in.view());
      for (const Isa isa : available_rule_isas()) {
        TernaryField out = TernaryField::zeros(in.shape());
        rule.apply_with(isa, in.view(), out.span());
        ASSERT_EQ(first_difference(out.view(), expected.view()), "")
            << "Totalistic2D on " << rule_isa_name(isa) << ", shape " << in.shape().to_string()
            << ", table " << t;
      }
    }
  }
}

TEST(Totalistic2D, RefusesFieldsThatAreNot2D) {
  const kernels::Totalistic2D rule(std::vector<std::int8_t>(51, 0));
  const TernaryField in = random_field(Shape{10U}, 0.0, 1);
  TernaryField out = TernaryField::zeros(in.shape());
  EXPECT_THROW(rule(in.view(), out.span()), std::invalid_argument);
}

// The library's majority table, entry by entry where it matters: row 1 (centre 0) all 0;
// otherwise the sign of the 3x3 sum x + n, 0 on a tie; a constant expression.
static_assert(kernels::Totalistic2D::majority_table()[17 + 16] == 0);  // centre 0, n = 8
static_assert(kernels::Totalistic2D::majority_table()[34 + 0] == -1);  // x = 1, n = -8
static_assert(kernels::Totalistic2D::majority_table()[0 + 16] == 1);   // x = -1, n = 8

TEST(Totalistic2D, MajorityTableEntries) {
  const auto table = kernels::Totalistic2D::majority_table();
  for (int x = -1; x <= 1; ++x) {
    for (int n = -8; n <= 8; ++n) {
      const auto e = static_cast<std::size_t>(17 * (x + 1) + n + 8);
      const int total = x + n;
      const int expected = x == 0 ? 0 : total > 0 ? 1 : total < 0 ? -1 : 0;
      EXPECT_EQ(table[e], expected) << "x=" << x << ", neighbour sum " << n;
    }
  }
}

TEST(Totalistic2D, Majority3x3IsOneTable) {
  const kernels::Totalistic2D rule(kernels::Totalistic2D::majority_table());
  for (const Shape& shape :
       {Shape{1U, 1U}, Shape{2U, 70U}, Shape{64U, 64U}, Shape{123U, 257U}, Shape{500U, 3U}}) {
    for (const double sparsity : {0.0, 0.3, 0.8}) {
      const TernaryField in = random_field(shape, sparsity, shape.size());
      const TernaryField expected = dashi::apply_kernel(kernels::Majority3x3{}, in.view());
      for (const Isa isa : available_rule_isas()) {
        TernaryField out = TernaryField::zeros(in.shape());
        rule.apply_with(isa, in.view(), out.span());
        ASSERT_EQ(first_difference(out.view(), expected.view()), "")
            << rule_isa_name(isa) << " on " << shape.to_string();
      }
      EXPECT_EQ(dashi::run_kernel_parallel(rule, in.view(), {.num_workers = 3, .block_elems = 999}),
                expected);
    }
  }
}

template <class K>
void check_determinism(const K& kernel, const TernaryField& in) {
  const TernaryField monolithic = dashi::apply_kernel(kernel, in.view());
  const std::uint64_t print = dashi::fingerprint(monolithic.view());
  dashi::ThreadPool pool(4);
  for (const std::size_t workers : {1U, 2U, 3U, 8U}) {
    for (const std::size_t block : {1U, 777U, 0U}) {
      const dashi::ParallelOptions options{.num_workers = workers, .block_elems = block};
      const TernaryField result = dashi::run_kernel_parallel(pool, kernel, in.view(), options);
      ASSERT_EQ(first_difference(result.view(), monolithic.view()), "")
          << dashi_test::describe(options);
      ASSERT_EQ(dashi::fingerprint(result.view()), print);
      const TernaryField periodic = dashi::run_kernel_parallel(
          pool, kernel, in.view(),
          {.num_workers = workers, .block_elems = block, .boundary = dashi::Boundary::periodic});
      const std::size_t halo = dashi::kernel_radius_v<K>;
      const TernaryField padded = dashi_test::pad_periodic(in.view(), halo);
      const TernaryField expected = dashi_test::copy_rows(
          dashi::apply_kernel(kernel, padded.view()).view(), halo, in.shape().rows());
      ASSERT_EQ(first_difference(periodic.view(), expected.view()), "")
          << "periodic, " << dashi_test::describe(options);
    }
  }
}

TEST(RuleKernels, DeterministicThroughRunKernelParallel) {
  check_determinism(kernels::Rule1D<1>(random_rule1d_table(1, 1)),
                    random_field(Shape{40000U}, 0.3, 1));
  check_determinism(kernels::Rule1D<2>(random_rule1d_table(2, 2)),
                    random_field(Shape{300U, 130U}, 0.3, 2));
  check_determinism(kernels::Rule1D<3>(random_rule1d_table(3, 3)),
                    random_field(Shape{90U, 7U, 50U}, 0.3, 3));
  check_determinism(kernels::Totalistic2D(random_totalistic_table(4)),
                    random_field(Shape{250U, 170U}, 0.3, 4));
}

TEST(RuleKernels, RefuseBadTablesNamingTheEntry) {
  std::vector<std::int8_t> table = random_rule1d_table(1, 9);
  EXPECT_NE(message_of<std::invalid_argument>([&] {
              kernels::Rule1D<1>(std::span(table).first(26));
            }).find("26 entries"),
            std::string::npos);
  EXPECT_NE(
      message_of<std::invalid_argument>([&] { kernels::Rule1D<2>{table}; }).find("expected 243"),
      std::string::npos);
  // A value outside {-1, 0, 1}, at an entry whose centre is supported.
  table[2] = 2;  // digits 0,0,2: x[i-1]=-1, x[i]=-1, x[i+1]=1
  std::string text = message_of<std::invalid_argument>([&] { kernels::Rule1D<1>{table}; });
  EXPECT_NE(text.find("table entry 2 "), std::string::npos) << text;
  EXPECT_NE(text.find("not a trit"), std::string::npos) << text;
  table[2] = 0;
  // Support creation: entry 13 is the all-zero neighbourhood.
  table[13] = -1;
  text = message_of<std::invalid_argument>([&] { kernels::Rule1D<1>{table}; });
  EXPECT_NE(text.find("table entry 13 "), std::string::npos) << text;
  EXPECT_NE(text.find("create support"), std::string::npos) << text;
  EXPECT_NE(text.find("x[i-1]=0, x[i]=0, x[i+1]=0"), std::string::npos) << text;
  table[13] = 0;
  EXPECT_NO_THROW(kernels::Rule1D<1>{table});

  std::vector<std::int8_t> big = random_rule1d_table(3, 10);
  big[pow3(3)] = 1;  // digits ...0 1 0 0 0: centre digit 1 -> centre 0
  text = message_of<std::invalid_argument>([&] { kernels::Rule1D<3>{big}; });
  EXPECT_NE(text.find("table entry 27 "), std::string::npos) << text;

  std::vector<std::int8_t> total = random_totalistic_table(11);
  EXPECT_NE(message_of<std::invalid_argument>([&] {
              kernels::Totalistic2D(std::span(total).first(50));
            }).find("50 entries"),
            std::string::npos);
  total[17 + 4] = 1;
  text = message_of<std::invalid_argument>([&] { kernels::Totalistic2D{total}; });
  EXPECT_NE(text.find("table entry 21 "), std::string::npos) << text;
  EXPECT_NE(text.find("create support"), std::string::npos) << text;
  total[21] = 0;
  total[50] = -7;
  text = message_of<std::invalid_argument>([&] { kernels::Totalistic2D{total}; });
  EXPECT_NE(text.find("table entry 50 "), std::string::npos) << text;
  EXPECT_NE(text.find("not a trit"), std::string::npos) << text;
}

TEST(RuleKernels, IsaCapFromTheEnvironmentIsHonoured) {
  const char* cap = std::getenv("DASHI_ISA");  // NOLINT(concurrency-mt-unsafe)
  if (cap == nullptr) {
    GTEST_SKIP() << "DASHI_ISA not set";
  }
  const std::string name(cap);
  if (name == "portable") {
    EXPECT_EQ(dashi::detail::rule_isa(), Isa::portable);
  } else if (name == "avx2") {
    EXPECT_LE(dashi::detail::rule_isa(), Isa::avx2);
  }
}

}  // namespace
