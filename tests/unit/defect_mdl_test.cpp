// SPDX-License-Identifier: Apache-2.0
// Unit tests of defect and MDL (<dashi/metrics.hpp>): `defect_local`,
// `defect_aggregate` (exact against a plain loop), `is_fixed_point`, `mdl_score` (bit for
// bit the Python `mdl.score`), `mdl_compare`, and ports of the Python defect, MDL and
// kernel test families (each test named after the Python test it ports).

#include <gtest/gtest.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/execution/iterate.hpp>
#include <dashi/metrics.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

using dashi::MdlChoice;

/// Plain loop: sum over sites of |pre - post|.
std::uint64_t plain_l1(TernaryView pre, TernaryView post) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < pre.size(); ++i) {
    const int d = pre.value(i) - post.value(i);
    sum += static_cast<std::uint64_t>(d < 0 ? -d : d);
  }
  return sum;
}

/// True when the two doubles have the same bits.
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// The Python `mdl.score` expression: `count(support) + count(sign != 0) * 0.01`, with
/// both counts taken by plain loops.
double python_score(TernaryView x) {
  std::size_t support = 0;
  std::size_t signs = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    support += x.support(i) ? std::size_t{1} : std::size_t{0};
    signs += x.sign(i) != 0 ? std::size_t{1} : std::size_t{0};
  }
  return static_cast<double>(support) + static_cast<double>(signs) * 0.01;
}

/// `np.rot90` of a 2-D field (counter-clockwise): out[r][c] = in[c][cols - 1 - r].
TernaryField rot90(TernaryView x) {
  const std::size_t rows = x.shape()[0];
  const std::size_t cols = x.shape()[1];
  TernaryField out = TernaryField::uninitialized(Shape{cols, rows});
  for (std::size_t r = 0; r < cols; ++r) {
    for (std::size_t c = 0; c < rows; ++c) {
      out.data()[r * rows + c] = x.value(c * cols + (cols - 1 - r));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// defect_local.

TEST(DefectLocal, ValuesOfEveryPair) {
  const TernaryField pre = TernaryField::from_signed({-1, -1, -1, 0, 0, 0, 1, 1, 1});
  const TernaryField post = TernaryField::from_signed({-1, 0, 1, -1, 0, 1, -1, 0, 1});
  const std::vector<std::uint8_t> expected = {0, 1, 2, 1, 0, 1, 2, 1, 0};
  EXPECT_EQ(dashi::defect_local(pre.view(), post.view()), expected);
  EXPECT_EQ(dashi::defect_aggregate(pre.view(), post.view()), 8U);
}

TEST(DefectLocal, ShapeMismatchThrowsCarrierError) {
  const TernaryField a = TernaryField::zeros(Shape{2, 3});
  const TernaryField b = TernaryField::zeros(Shape{3, 2});
  const TernaryField c = TernaryField::zeros(Shape{6});
  const TernaryField d = TernaryField::zeros(Shape{7});
  for (const auto& [x, y] : {std::pair{&a, &b}, std::pair{&a, &c}, std::pair{&c, &d}}) {
    EXPECT_THROW((void)dashi::defect_local(x->view(), y->view()), CarrierError);
    EXPECT_THROW((void)dashi::defect_aggregate(x->view(), y->view()), CarrierError);
    EXPECT_THROW((void)dashi::defect_aggregate(y->view(), x->view()), CarrierError);
  }
  try {
    (void)dashi::defect_local(a.view(), b.view());
  } catch (const CarrierError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("matching shapes"), std::string::npos) << message;
    EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(3, 2)"), std::string::npos) << message;
  }
}

TEST(DefectLocal, MatchesAPlainLoop) {
  std::uint64_t seed = 1;
  for (const Shape& shape : {make_shape({0}), make_shape({1}), make_shape({333}),
                             make_shape({17, 19}), make_shape({3, 4, 5})}) {
    const TernaryField pre = random_field(shape, 0.3, ++seed);
    const TernaryField post = random_field(shape, 0.3, ++seed);
    const auto local = dashi::defect_local(pre.view(), post.view());
    ASSERT_EQ(local.size(), shape.size());
    for (std::size_t i = 0; i < local.size(); ++i) {
      const int d = pre.value(i) - post.value(i);
      ASSERT_EQ(local[i], d < 0 ? -d : d) << shape.to_string() << " site " << i;
    }
  }
}

// ---------------------------------------------------------------------------------------
// defect_aggregate.

TEST(DefectAggregate, ExactOnRandomAndExtremeFields) {
  // Sizes around the 32-byte vectors, the 127-vector flushes of the byte counters
  // (4064 sites) and the 65536-site blocks of the reduction, up to a million sites, and a
  // 2-D field whose blocks are single rows of 600 000 sites.
  std::vector<Shape> shapes;
  for (std::size_t n = 0; n <= 70; ++n) {
    shapes.push_back(Shape{n});
  }
  for (const std::size_t n : {4'063U, 4'064U, 4'065U, 8'128U, 8'129U, 32'767U, 32'768U, 32'769U,
                              65'535U, 65'536U, 65'537U, 131'073U, 1'000'000U}) {
    shapes.push_back(Shape{n});
  }
  shapes.push_back(make_shape({2, 600'000}));
  shapes.push_back(make_shape({1'000, 1'000}));
  shapes.push_back(make_shape({10, 100, 1'000}));
  std::uint64_t seed = 100;
  for (const Shape& shape : shapes) {
    const TernaryField pre = random_field(shape, 0.3, ++seed);
    const TernaryField post = random_field(shape, 0.3, ++seed);
    ASSERT_EQ(dashi::defect_aggregate(pre.view(), post.view()), plain_l1(pre.view(), post.view()))
        << shape.to_string();
    // All +1 against all -1: 2 on every site, the largest per-site defect.
    const TernaryField plus = dashi_test::constant_field(shape, 1);
    const TernaryField minus = dashi_test::constant_field(shape, -1);
    ASSERT_EQ(dashi::defect_aggregate(plus.view(), minus.view()), 2 * shape.size())
        << shape.to_string();
    ASSERT_EQ(dashi::defect_aggregate(minus.view(), plus.view()), 2 * shape.size())
        << shape.to_string();
    ASSERT_EQ(dashi::defect_aggregate(pre.view(), pre.view()), 0U) << shape.to_string();
  }
}

TEST(DefectAggregate, SubViewsAndTheSumOfTheLocalDefect) {
  const TernaryField pre = random_field(make_shape({500, 300}), 0.2, 3);
  const TernaryField post = dashi::apply_kernel(kernels::Majority3x3{}, pre.view());
  std::uint64_t local_sum = 0;
  for (const std::uint8_t d : dashi::defect_local(pre.view(), post.view())) {
    local_sum += d;
  }
  EXPECT_EQ(dashi::defect_aggregate(pre.view(), post.view()), local_sum);
  // Views of rows in the middle of the fields (not at the start of an allocation).
  EXPECT_EQ(dashi::defect_aggregate(pre.rows(123, 250), post.rows(123, 250)),
            plain_l1(pre.rows(123, 250), post.rows(123, 250)));
}

TEST(DefectAggregate, ConcurrentCallersOnTheDefaultPool) {
  // defect_aggregate runs on the default pool; callers on several threads share it.
  const TernaryField pre = random_field(make_shape({1'000'000}), 0.3, 4);
  const TernaryField post = random_field(make_shape({1'000'000}), 0.3, 5);
  const std::uint64_t expected = plain_l1(pre.view(), post.view());
  std::vector<std::uint64_t> results(4);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < results.size(); ++t) {
      threads.emplace_back([&, t] {
        for (int repeat = 0; repeat < 3; ++repeat) {
          results[t] = dashi::defect_aggregate(pre.view(), post.view());
          if (results[t] != expected) {
            return;
          }
        }
      });
    }
  }
  for (std::size_t t = 0; t < results.size(); ++t) {
    EXPECT_EQ(results[t], expected) << "thread " << t;
  }
}

// ---------------------------------------------------------------------------------------
// is_fixed_point.

TEST(IsFixedPoint, AgreesWithOneApplication) {
  const TernaryField x = random_field(make_shape({300, 200}), 0.3, 6);
  EXPECT_TRUE(dashi::is_fixed_point(kernels::Clamp{}, x.view()));
  EXPECT_TRUE(dashi::is_fixed_point(IdentityKernel{}, x.view()));
  EXPECT_FALSE(dashi::is_fixed_point(kernels::SignFlip{}, x.view()));
  EXPECT_TRUE(dashi::is_fixed_point(kernels::SignFlip{}, TernaryField::zeros(x.shape()).view()));
  EXPECT_FALSE(dashi::is_fixed_point(kernels::Majority3x3{}, x.view()));
  const auto fixed = dashi::iterate_to_fixed_point(kernels::Majority3x3{}, x.view(), 100);
  ASSERT_TRUE(fixed.converged);
  EXPECT_TRUE(dashi::is_fixed_point(kernels::Majority3x3{}, fixed.field.view()));
  // With options: the periodic fixed point is not the clipped one.
  dashi::IterateOptions periodic;
  periodic.boundary = dashi::Boundary::periodic;
  const auto fixed_periodic =
      dashi::iterate_to_fixed_point(kernels::Majority3x3{}, x.view(), 100, periodic);
  ASSERT_TRUE(fixed_periodic.converged);
  EXPECT_TRUE(dashi::is_fixed_point(kernels::Majority3x3{}, fixed_periodic.field.view(), periodic));
  ASSERT_NE(fixed_periodic.field, fixed.field);
  EXPECT_FALSE(dashi::is_fixed_point(kernels::Majority3x3{}, fixed.field.view(), periodic));
}

// ---------------------------------------------------------------------------------------
// MDL.

TEST(MdlScore, ThreeSitesScoreThreePointZeroThree) {
  const TernaryField x = TernaryField::from_signed({1, 0, -1, 0, 1});
  EXPECT_TRUE(same_bits(dashi::mdl_score(x.view()), 3.03));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(dashi::mdl_score(x.view())),
            std::bit_cast<std::uint64_t>(0x1.83d70a3d70a3dp+1));
}

TEST(MdlScore, BitForBitThePythonExpression) {
  // float(n + n * 0.01) as printed by Python (float.hex()) for n supported sites.
  const std::vector<std::pair<std::size_t, double>> python = {{0, 0x0.0p+0},
                                                              {1, 0x1.028f5c28f5c29p+0},
                                                              {2, 0x1.028f5c28f5c29p+1},
                                                              {3, 0x1.83d70a3d70a3dp+1},
                                                              {7, 0x1.c47ae147ae148p+2},
                                                              {10, 0x1.4333333333333p+3},
                                                              {33, 0x1.0aa3d70a3d70ap+5},
                                                              {100, 0x1.9400000000000p+6},
                                                              {999, 0x1.f87eb851eb852p+9},
                                                              {12'345, 0x1.85a399999999ap+13},
                                                              {65'537, 0x1.02905eb851eb8p+16},
                                                              {1'000'003, 0x1.ed2a60f5c28f6p+19}};
  for (const auto& [support, score] : python) {
    // `support` supported sites among twice as many, alternating signs.
    TernaryField x = TernaryField::zeros(Shape{2 * support + 1});
    for (std::size_t k = 0; k < support; ++k) {
      x.data()[2 * k + 1] = static_cast<std::int8_t>(k % 2 == 0 ? 1 : -1);
    }
    EXPECT_TRUE(same_bits(dashi::mdl_score(x.view()), score))
        << support << " sites: " << dashi::mdl_score(x.view()) << " vs Python " << score;
  }
  // Random fields of many sizes against the expression on plain-loop counts.
  std::uint64_t seed = 7;
  for (std::size_t n = 0; n < 300; n += 7) {
    const TernaryField x = random_field(Shape{n * n + n}, 0.4, ++seed);
    ASSERT_TRUE(same_bits(dashi::mdl_score(x.view()), python_score(x.view()))) << "n=" << n * n + n;
  }
}

TEST(MdlCompare, LowerScoreWinsEqualScoresTie) {
  const TernaryField sparse = TernaryField::from_signed({1, 0, 0, 0});
  const TernaryField dense = TernaryField::from_signed({1, -1, 0, 1});
  const TernaryField other_sparse = TernaryField::from_signed({0, 0, -1, 0});
  EXPECT_EQ(dashi::mdl_compare(sparse.view(), dense.view()), MdlChoice::a);
  EXPECT_EQ(dashi::mdl_compare(dense.view(), sparse.view()), MdlChoice::b);
  EXPECT_EQ(dashi::mdl_compare(sparse.view(), other_sparse.view()), MdlChoice::tie);
  EXPECT_EQ(dashi::mdl_compare(dense.view(), dense.view()), MdlChoice::tie);
  // Only the support counts: shapes may differ.
  const TernaryField long_sparse = TernaryField::zeros(Shape{1'000});
  EXPECT_EQ(dashi::mdl_compare(long_sparse.view(), sparse.view()), MdlChoice::a);
}

// ---------------------------------------------------------------------------------------
// Ports of the Python package's test families (docs/design.md §0).

TEST(PythonPortDefect, test_non_negative) {
  std::uint64_t seed = 20;
  for (int trial = 0; trial < 20; ++trial) {
    const TernaryField pre = random_field(make_shape({8, 9}), 0.3, ++seed);
    const TernaryField post = dashi::apply_kernel(kernels::LeftNeighbor{}, pre.view());
    for (const std::uint8_t d : dashi::defect_local(pre.view(), post.view())) {
      ASSERT_LE(d, 2);  // unsigned: >= 0 by type, and never above 2
    }
    EXPECT_GE(dashi::defect_aggregate(pre.view(), post.view()), 0U);
  }
}

TEST(PythonPortDefect, test_zero_iff_fixed_point) {
  const TernaryField x = random_field(make_shape({6, 7}), 0.3, 30);
  // Identity: x is a fixed point, zero defect.
  const TernaryField same = dashi::apply_kernel(IdentityKernel{}, x.view());
  EXPECT_EQ(dashi::defect_aggregate(x.view(), same.view()), 0U);
  EXPECT_TRUE(dashi::is_fixed_point(IdentityKernel{}, x.view()));
  // SignFlip on a field with support: not a fixed point, positive defect (2 per site).
  const TernaryField flipped = dashi::apply_kernel(kernels::SignFlip{}, x.view());
  EXPECT_EQ(dashi::defect_aggregate(x.view(), flipped.view()), 2 * x.count_support());
  EXPECT_FALSE(dashi::is_fixed_point(kernels::SignFlip{}, x.view()));
  // Both directions on many fields and kernels.
  std::uint64_t seed = 31;
  for (int trial = 0; trial < 30; ++trial) {
    const TernaryField y = random_field(make_shape({5, 5}), 0.5, ++seed);
    const TernaryField post = dashi::apply_kernel(kernels::Majority3x3{}, y.view());
    EXPECT_EQ(dashi::defect_aggregate(y.view(), post.view()) == 0,
              dashi::is_fixed_point(kernels::Majority3x3{}, y.view()))
        << "trial " << trial;
    EXPECT_EQ(dashi::defect_aggregate(y.view(), post.view()) == 0, post == y);
  }
}

TEST(PythonPortDefect, test_shape_alignment) {
  const TernaryField x = random_field(make_shape({4, 3, 2}), 0.3, 40);
  const TernaryField post = dashi::apply_kernel(kernels::LeftNeighbor{}, x.view());
  EXPECT_EQ(dashi::defect_local(x.view(), post.view()).size(), x.shape().size());
  const TernaryField shorter = TernaryField::zeros(Shape{4, 3, 1});
  EXPECT_THROW((void)dashi::defect_local(x.view(), shorter.view()), CarrierError);
  EXPECT_THROW((void)dashi::defect_aggregate(x.view(), shorter.view()), CarrierError);
}

TEST(PythonPortDefect, test_monotonicity_under_kernel) {
  // Erode on ones (2, 2): the defect along the trajectory never increases (1, 1, 1, 1, 0).
  TernaryField state = TernaryField::from_signed({1, 1, 1, 1}, Shape{2, 2});
  std::vector<std::uint64_t> defects;
  for (int step = 0; step < 6; ++step) {
    const TernaryField next = dashi::apply_kernel(OneStepErodeKernel{}, state.view());
    defects.push_back(dashi::defect_aggregate(state.view(), next.view()));
    state = next;
  }
  EXPECT_EQ(defects, (std::vector<std::uint64_t>{1, 1, 1, 1, 0, 0}));
  for (std::size_t k = 1; k < defects.size(); ++k) {
    EXPECT_LE(defects[k], defects[k - 1]);
  }
}

TEST(PythonPortDefect, test_defect_localisation) {
  // The local defect is non-zero exactly where the kernel changed the state.
  const TernaryField x = random_field(make_shape({40, 50}), 0.3, 50);
  const TernaryField post = dashi::apply_kernel(kernels::LeftNeighbor{}, x.view());
  const auto local = dashi::defect_local(x.view(), post.view());
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(local[i] != 0, x.value(i) != post.value(i)) << "site " << i;
  }
  // One opposite pair along axis 0: LeftNeighbor clears the second site only.
  TernaryField pair = TernaryField::zeros(Shape{6, 4});
  pair.data()[2 * 4 + 1] = 1;   // (2, 1)
  pair.data()[3 * 4 + 1] = -1;  // (3, 1)
  const TernaryField after = dashi::apply_kernel(kernels::LeftNeighbor{}, pair.view());
  const auto pair_local = dashi::defect_local(pair.view(), after.view());
  std::set<std::size_t> nonzero;
  for (std::size_t i = 0; i < pair_local.size(); ++i) {
    if (pair_local[i] != 0) {
      nonzero.insert(i);
    }
  }
  EXPECT_EQ(nonzero, (std::set<std::size_t>{3 * 4 + 1}));
  EXPECT_EQ(pair_local[3 * 4 + 1], 1);
}

TEST(PythonPortMdl, test_non_negative) {
  std::uint64_t seed = 60;
  for (int trial = 0; trial < 20; ++trial) {
    const TernaryField x = random_field(make_shape({7, 3}), 0.4, ++seed);
    EXPECT_GE(dashi::mdl_score(x.view()), 0.0);
  }
  EXPECT_EQ(dashi::mdl_score(TernaryField::zeros(Shape{5}).view()), 0.0);
  EXPECT_EQ(dashi::mdl_score(TernaryField().view()), 0.0);
}

TEST(PythonPortMdl, test_invariance_under_admissibility) {
  // rot90 (an admissible transform) keeps the score, bit for bit.
  const TernaryField two = TernaryField::from_signed({1, 0, -1, 1}, Shape{2, 2});
  const TernaryField rotated = rot90(two.view());
  EXPECT_EQ(rotated, TernaryField::from_signed({0, 1, 1, -1}, Shape{2, 2}));
  EXPECT_TRUE(same_bits(dashi::mdl_score(two.view()), dashi::mdl_score(rotated.view())));
  const TernaryField x = random_field(make_shape({13, 29}), 0.3, 70);
  TernaryField r = rot90(x.view());
  for (int turn = 0; turn < 4; ++turn) {
    EXPECT_TRUE(same_bits(dashi::mdl_score(x.view()), dashi::mdl_score(r.view()))) << turn;
    EXPECT_EQ(dashi::mdl_compare(x.view(), r.view()), MdlChoice::tie);
    r = rot90(r.view());
  }
}

TEST(PythonPortMdl, test_comparison_total_order) {
  // Every pair compares to exactly one of a, b, tie, consistently in both directions, and
  // the order is transitive.
  std::vector<TernaryField> fields;
  std::uint64_t seed = 80;
  for (int k = 0; k < 12; ++k) {
    fields.push_back(random_field(make_shape({3, 3}), 0.2 + 0.05 * k, ++seed));
  }
  for (const TernaryField& a : fields) {
    for (const TernaryField& b : fields) {
      const MdlChoice ab = dashi::mdl_compare(a.view(), b.view());
      const MdlChoice ba = dashi::mdl_compare(b.view(), a.view());
      EXPECT_TRUE(ab == MdlChoice::a || ab == MdlChoice::b || ab == MdlChoice::tie);
      EXPECT_EQ(ab == MdlChoice::a, ba == MdlChoice::b);
      EXPECT_EQ(ab == MdlChoice::tie, ba == MdlChoice::tie);
      EXPECT_EQ(dashi::mdl_compare(a.view(), b.view()), ab) << "deterministic";
      for (const TernaryField& c : fields) {
        if (ab != MdlChoice::b && dashi::mdl_compare(b.view(), c.view()) != MdlChoice::b) {
          EXPECT_NE(dashi::mdl_compare(a.view(), c.view()), MdlChoice::b) << "transitive";
        }
      }
    }
  }
}

TEST(PythonPortKernel, test_idempotence_if_declared) {
  // Clamp is idempotent: applying it twice leaves zero defect between the two results.
  const TernaryField x = random_field(make_shape({10, 10}), 0.3, 90);
  const TernaryField once = dashi::apply_kernel(kernels::Clamp{}, x.view());
  const TernaryField twice = dashi::apply_kernel(kernels::Clamp{}, once.view());
  EXPECT_EQ(dashi::defect_aggregate(once.view(), twice.view()), 0U);
  EXPECT_EQ(dashi::defect_aggregate(
                once.view(), dashi::run_kernel_iterated(kernels::Clamp{}, x.view(), 2).view()),
            0U);
}

TEST(PythonPortKernel, test_fixed_point_zero_defect) {
  const TernaryField x = random_field(make_shape({10, 10}), 0.3, 91);
  const TernaryField post = dashi::apply_kernel(IdentityKernel{}, x.view());
  EXPECT_EQ(dashi::defect_aggregate(x.view(), post.view()), 0U);
  for (const std::uint8_t d : dashi::defect_local(x.view(), post.view())) {
    EXPECT_EQ(d, 0);
  }
  EXPECT_TRUE(dashi::is_fixed_point(IdentityKernel{}, x.view()));
}

}  // namespace
