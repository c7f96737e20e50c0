// SPDX-License-Identifier: Apache-2.0
// Unit tests of <dashi/kernel.hpp>: the shipped kernels against scalar references,
// apply_kernel and its contract checks, kernel_radius_v.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/detail/stencil_simd.hpp>
#include <dashi/kernel.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

/// Lengths around the 32-byte vector width and the 64-byte scan chunks, plus a large one.
std::vector<std::size_t> lengths() {
  std::vector<std::size_t> n;
  for (std::size_t i = 0; i <= 130; ++i) {
    n.push_back(i);
  }
  n.push_back(4095);
  n.push_back(100003);
  return n;
}

/// Applies `ref(v)` site by site.
template <class F>
TernaryField pointwise_reference(TernaryView in, F ref) {
  TernaryField out = TernaryField::uninitialized(in.shape());
  for (std::size_t i = 0; i < in.size(); ++i) {
    out.data()[i] = static_cast<std::int8_t>(ref(in.value(i)));
  }
  return out;
}

/// LeftNeighbor written from the Python LeftNeighbor: on support sign(s[i] + s[i-1]) along
/// axis 0, with 0 past the view's first slice.
TernaryField left_neighbor_reference(TernaryView in) {
  TernaryField out = TernaryField::uninitialized(in.shape());
  const std::size_t stride = in.shape().row_elems();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int left = i >= stride ? in.value(i - stride) : 0;
    const int sum = in.value(i) + left;
    out.data()[i] = in.value(i) == 0 ? std::int8_t{0} : dashi_test::sign_of(sum);
  }
  return out;
}

/// Majority3x3 written with explicit (row, col) loops.
TernaryField majority_reference(TernaryView in) {
  const auto rows = static_cast<long long>(in.shape()[0]);
  const auto cols = static_cast<long long>(in.shape()[1]);
  TernaryField out = TernaryField::uninitialized(in.shape());
  for (long long r = 0; r < rows; ++r) {
    for (long long c = 0; c < cols; ++c) {
      const auto at = [&](long long rr, long long cc) -> int {
        if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) {
          return 0;
        }
        return in.value(static_cast<std::size_t>(rr * cols + cc));
      };
      int sum = 0;
      for (long long dr = -1; dr <= 1; ++dr) {
        for (long long dc = -1; dc <= 1; ++dc) {
          sum += at(r + dr, c + dc);
        }
      }
      const auto i = static_cast<std::size_t>(r * cols + c);
      out.data()[i] = at(r, c) == 0 ? std::int8_t{0} : dashi_test::sign_of(sum);
    }
  }
  return out;
}

void expect_same(TernaryView actual, TernaryView expected, const std::string& context) {
  EXPECT_EQ(first_difference(actual, expected), "") << context;
}

// ----------------------------------------------------------------------------------------
// Documented examples

TEST(Kernels, SignFlipExample) {
  const TernaryField in = TernaryField::from_signed({1, 0, -1});
  EXPECT_EQ(dashi::apply_kernel(kernels::SignFlip{}, in), TernaryField::from_signed({-1, 0, 1}));
}

TEST(Kernels, ClampNonnegativeExample) {
  const TernaryField in = TernaryField::from_signed({1, -1, -1, 0});
  EXPECT_EQ(dashi::apply_kernel(kernels::ClampNonnegative{}, in),
            TernaryField::from_signed({1, 0, 0, 0}));
}

TEST(Kernels, LeftNeighborExample) {
  // s = [1, 0, -1, 1, -1]: site 0 has no left neighbour (0): sign(1) = 1; site 2:
  // sign(-1 + 0) = -1; site 3: sign(1 - 1) = 0; site 4: sign(-1 + 1) = 0.
  const TernaryField in = TernaryField::from_signed({1, 0, -1, 1, -1});
  EXPECT_EQ(dashi::apply_kernel(kernels::LeftNeighbor{}, in),
            TernaryField::from_signed({1, 0, -1, 0, 0}));
}

TEST(Kernels, Majority3x3Example) {
  // Centre site -1 surrounded by eight +1: the vote is +1. Corner (0,0) = +1 sees
  // itself, (0,1) = +1, (1,0) = +1 and the centre -1: sum 2 → +1.
  const TernaryField in = TernaryField::from_signed({1, 1, 1, 1, -1, 1, 1, 1, 1}, Shape{3, 3});
  EXPECT_EQ(dashi::apply_kernel(kernels::Majority3x3{}, in),
            TernaryField::from_signed({1, 1, 1, 1, 1, 1, 1, 1, 1}, Shape{3, 3}));
  // A tie gives 0: [[1, -1]] sums to 0 at both sites.
  const TernaryField tie = TernaryField::from_signed({1, -1}, Shape{1, 2});
  EXPECT_EQ(dashi::apply_kernel(kernels::Majority3x3{}, tie), TernaryField::zeros(Shape{1, 2}));
}

// ----------------------------------------------------------------------------------------
// Shipped kernels against scalar references (all lengths, so vector tails are covered)

TEST(Kernels, PointwiseKernelsMatchScalarReferences) {
  std::uint64_t seed = 1;
  for (const std::size_t n : lengths()) {
    for (const double sparsity : {0.0, 0.4}) {
      const TernaryField in = random_field(Shape{n}, sparsity, seed++);
      const std::string context =
          "n=" + std::to_string(n) + " sparsity=" + std::to_string(sparsity);
      expect_same(dashi::apply_kernel(kernels::SignFlip{}, in),
                  pointwise_reference(in, [](int v) { return -v; }), "SignFlip " + context);
      expect_same(dashi::apply_kernel(kernels::Clamp{}, in),
                  pointwise_reference(in, [](int v) { return (v > 0) - (v < 0); }),
                  "Clamp " + context);
      expect_same(dashi::apply_kernel(kernels::ClampNonnegative{}, in),
                  pointwise_reference(in, [](int v) { return v < 0 ? 0 : v; }),
                  "ClampNonnegative " + context);
    }
  }
}

TEST(Kernels, PointwiseKernelsWorkOnUnalignedViews) {
  const TernaryField in = random_field(Shape{1000}, 0.3, 3);
  for (std::size_t first = 0; first < 40; ++first) {
    const TernaryView sub = in.rows(first, 1000 - first - 3);
    TernaryField out = TernaryField::uninitialized(sub.shape());
    kernels::SignFlip{}(sub, out.span());
    expect_same(out, pointwise_reference(sub, [](int v) { return -v; }),
                "first=" + std::to_string(first));
  }
}

TEST(Kernels, PointwiseKernelsWithStreamingStores) {
  // Outputs the executor declares large stream their stores past the first 32-byte
  // boundary: every length and alignment must still give the reference.
  const TernaryField in = random_field(Shape{5000}, 0.3, 4);
  TernaryField out = TernaryField::zeros(Shape{5000});
  const dashi::detail::StreamingOutput streaming(out.data(), out.data() + out.size());
  for (const std::size_t first : {0U, 1U, 7U, 31U, 32U, 33U}) {
    for (const std::size_t n : {1024U, 1025U, 1055U, 2048U, 4000U}) {
      const TernaryView sub = in.rows(first, n);
      const TernarySpan sub_out = out.span().rows(first, n);
      ASSERT_TRUE(dashi::detail::stream_stores(sub_out.data(), n));
      kernels::SignFlip{}(sub, sub_out);
      TernaryField copy = TernaryField::uninitialized(sub.shape());
      std::copy_n(sub_out.data(), n, copy.data());
      expect_same(copy, pointwise_reference(sub, [](int v) { return -v; }),
                  "first=" + std::to_string(first) + " n=" + std::to_string(n));
    }
  }
}

TEST(Kernels, PointwiseKernelsStreamLargeOutputs) {
  const std::size_t n = dashi::detail::streaming_store_bytes + 77;
  const TernaryField in = random_field(Shape{n}, 0.4, 5);
  TernaryField out = TernaryField::uninitialized(Shape{n - 3});
  ASSERT_TRUE(dashi::detail::stream_stores(out.data() + 3, n - 6));
  const TernaryView sub = in.rows(3, n - 6);
  kernels::Clamp{}(sub, out.span().rows(3, n - 6));
  EXPECT_TRUE(std::equal(sub.data(), sub.data() + sub.size(), out.data() + 3));
  EXPECT_FALSE(dashi::detail::stream_stores(out.data(), 4096));  // small and not declared
}

TEST(Kernels, ClampIsIdentityOnValidCarriers) {
  for (const Shape& shape : {Shape{77}, Shape{9, 13}, Shape{3, 4, 5}}) {
    const TernaryField in = random_field(shape, 0.3, 17);
    EXPECT_EQ(dashi::apply_kernel(kernels::Clamp{}, in), in) << shape.to_string();
  }
}

TEST(Kernels, LeftNeighborMatchesReference) {
  std::uint64_t seed = 100;
  for (const Shape& shape : {Shape{0}, Shape{1}, Shape{2}, Shape{100}, Shape{1, 9}, Shape{17, 9},
                             Shape{5, 4, 3}, Shape{3, 2, 2, 2}}) {
    const TernaryField in = random_field(shape, 0.3, seed++);
    expect_same(dashi::apply_kernel(kernels::LeftNeighbor{}, in), left_neighbor_reference(in),
                shape.to_string());
  }
}

TEST(Kernels, LeftNeighborTreatsTheViewEdgeAsTheBoundary) {
  const TernaryField in = random_field(Shape{50, 3}, 0.2, 5);
  for (std::size_t first = 0; first < 10; ++first) {
    const TernaryView sub = in.rows(first, 20);
    TernaryField out = TernaryField::uninitialized(sub.shape());
    kernels::LeftNeighbor{}(sub, out.span());
    expect_same(out, left_neighbor_reference(sub), "first=" + std::to_string(first));
  }
}

TEST(Kernels, Majority3x3MatchesReference) {
  std::uint64_t seed = 200;
  for (const Shape& shape : {Shape{0, 0}, Shape{0, 4}, Shape{4, 0}, Shape{1, 1}, Shape{1, 9},
                             Shape{9, 1}, Shape{2, 2}, Shape{7, 9}, Shape{40, 33}}) {
    for (const double sparsity : {0.0, 0.3, 0.8}) {
      const TernaryField in = random_field(shape, sparsity, seed++);
      expect_same(dashi::apply_kernel(kernels::Majority3x3{}, in), majority_reference(in),
                  shape.to_string() + " sparsity=" + std::to_string(sparsity));
    }
  }
}

/// The stencil loops of each instruction set this CPU runs: the portable one always, the
/// AVX2 clone when the CPU has AVX2 (the kernels call the best of them).
struct StencilPath {
  const char* name;
  void (*left_neighbor)(const std::int8_t*, std::int8_t*, std::size_t, std::size_t, bool) noexcept;
  void (*majority3x3)(const std::int8_t*, std::int8_t*, std::size_t, std::size_t, std::size_t,
                      std::size_t) noexcept;
};

std::vector<StencilPath> stencil_paths() {
  std::vector<StencilPath> paths = {
      {"portable", dashi::detail::left_neighbor_portable, dashi::detail::majority3x3_portable}};
#if DASHI_DETAIL_X86
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx2) {
    paths.push_back({"avx2", dashi::detail::left_neighbor_avx2, dashi::detail::majority3x3_avx2});
  }
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx512) {
    paths.push_back(
        {"avx512", dashi::detail::left_neighbor_avx512, dashi::detail::majority3x3_avx512});
  }
#endif
  return paths;
}

TEST(Kernels, LeftNeighborPathsMatchReferenceAcrossVectorTails) {
  std::uint64_t seed = 300;
  for (const StencilPath& path : stencil_paths()) {
    for (const std::size_t stride : {1U, 2U, 3U, 31U, 32U, 33U, 70U}) {
      for (const std::size_t rows : {0U, 1U, 2U, 3U, 5U, 17U}) {
        const TernaryField in = random_field(Shape{rows, stride}, 0.3, seed++);
        TernaryField out = TernaryField::uninitialized(in.shape());
        path.left_neighbor(in.data(), out.data(), in.size(), stride, false);
        expect_same(out, left_neighbor_reference(in),
                    std::string(path.name) + " " + in.shape().to_string());
      }
    }
  }
}

TEST(Kernels, Majority3x3PathsMatchReferenceAcrossVectorTails) {
  std::uint64_t seed = 400;
  for (const StencilPath& path : stencil_paths()) {
    for (std::size_t cols = 1; cols <= 100; ++cols) {
      for (const std::size_t rows : {1U, 2U, 3U, 4U}) {
        for (const double sparsity : {0.0, 0.5}) {
          const TernaryField in = random_field(Shape{rows, cols}, sparsity, seed++);
          TernaryField out = TernaryField::uninitialized(in.shape());
          path.majority3x3(in.data(), out.data(), rows, cols, 0, rows);
          expect_same(out, majority_reference(in),
                      std::string(path.name) + " " + in.shape().to_string());
        }
      }
    }
  }
}

TEST(Kernels, Majority3x3RejectsFieldsThatAreNot2D) {
  EXPECT_THROW((void)dashi::apply_kernel(kernels::Majority3x3{}, TernaryField::zeros(Shape{9})),
               std::invalid_argument);
  EXPECT_THROW(
      (void)dashi::apply_kernel(kernels::Majority3x3{}, TernaryField::zeros(Shape{3, 3, 3})),
      std::invalid_argument);
}

TEST(Kernels, NoShippedKernelCreatesSupport) {
  std::uint64_t seed = 300;
  for (const Shape& shape : {Shape{1000}, Shape{31, 29}}) {
    for (const double sparsity : {0.0, 0.5, 0.95}) {
      const TernaryField in = random_field(shape, sparsity, seed++);
      const auto check = [&](const TernaryField& out, const char* name) {
        for (std::size_t i = 0; i < in.size(); ++i) {
          if (out.support(i) && !in.support(i)) {
            ADD_FAILURE() << name << " created support at site " << i;
            return;
          }
        }
      };
      // check_contract=false so that a violation is found by this test, not the checker.
      check(dashi::apply_kernel(kernels::SignFlip{}, in, false), "SignFlip");
      check(dashi::apply_kernel(kernels::Clamp{}, in, false), "Clamp");
      check(dashi::apply_kernel(kernels::ClampNonnegative{}, in, false), "ClampNonnegative");
      check(dashi::apply_kernel(kernels::LeftNeighbor{}, in, false), "LeftNeighbor");
      if (shape.rank() == 2) {
        check(dashi::apply_kernel(kernels::Majority3x3{}, in, false), "Majority3x3");
      }
    }
  }
}

TEST(Kernels, ShippedKernelsArePure) {
  const TernaryField in = random_field(Shape{64, 33}, 0.3, 99);
  const TernaryField copy = in;
  const auto first = dashi::apply_kernel(kernels::Majority3x3{}, in);
  for (int run = 0; run < 5; ++run) {
    EXPECT_EQ(dashi::apply_kernel(kernels::Majority3x3{}, in), first);
    EXPECT_EQ(dashi::apply_kernel(kernels::LeftNeighbor{}, in),
              dashi::apply_kernel(kernels::LeftNeighbor{}, in));
  }
  EXPECT_EQ(in, copy);  // the input is never written
}

TEST(Kernels, ShippedKernelsDeclareTheirContractProven) {
  // The executor skips the per-block check for these; their outputs are checked here on
  // every valid input pattern (all 3^k combinations of a small window) and random fields.
  static_assert(dashi::kernel_contract_proven_v<kernels::SignFlip>);
  static_assert(dashi::kernel_contract_proven_v<kernels::Clamp>);
  static_assert(dashi::kernel_contract_proven_v<kernels::ClampNonnegative>);
  static_assert(dashi::kernel_contract_proven_v<kernels::LeftNeighbor>);
  static_assert(dashi::kernel_contract_proven_v<kernels::Majority3x3>);
  // Every 3x3 pattern (3^9 fields) through Majority3x3 and, flattened, the 1-D kernels.
  std::vector<std::int8_t> values(9);
  for (int code = 0; code < 19683; ++code) {
    int c = code;
    for (auto& v : values) {
      v = static_cast<std::int8_t>(c % 3 - 1);
      c /= 3;
    }
    const TernaryField f2 =
        TernaryField::from_signed(std::span<const std::int8_t>(values), Shape{3, 3});
    const TernaryField f1 = TernaryField::from_signed(std::span<const std::int8_t>(values));
    ASSERT_NO_THROW((void)dashi::apply_kernel(kernels::Majority3x3{}, f2)) << code;
    ASSERT_NO_THROW((void)dashi::apply_kernel(kernels::LeftNeighbor{}, f1)) << code;
    ASSERT_NO_THROW((void)dashi::apply_kernel(kernels::LeftNeighbor{}, f2)) << code;
    ASSERT_NO_THROW((void)dashi::apply_kernel(kernels::SignFlip{}, f1)) << code;
    ASSERT_NO_THROW((void)dashi::apply_kernel(kernels::Clamp{}, f1)) << code;
    ASSERT_NO_THROW((void)dashi::apply_kernel(kernels::ClampNonnegative{}, f1)) << code;
  }
}

TEST(Kernels, RadiusOfShippedKernels) {
  EXPECT_EQ(dashi::kernel_radius_v<kernels::SignFlip>, 0U);
  EXPECT_EQ(dashi::kernel_radius_v<kernels::Clamp>, 0U);
  EXPECT_EQ(dashi::kernel_radius_v<kernels::ClampNonnegative>, 0U);
  EXPECT_EQ(dashi::kernel_radius_v<kernels::LeftNeighbor>, 1U);
  EXPECT_EQ(dashi::kernel_radius_v<kernels::Majority3x3>, 1U);
  EXPECT_EQ(dashi::kernel_radius_v<const kernels::LeftNeighbor&>, 1U);
  EXPECT_EQ(dashi::kernel_radius_v<dashi_test::AxisStencil2>, 2U);
}

// ----------------------------------------------------------------------------------------
// apply_kernel and the contract checks

TEST(ApplyKernel, FunctionalKernelsAreAccepted) {
  const TernaryField in = random_field(Shape{21, 5}, 0.3, 8);
  EXPECT_EQ(dashi::apply_kernel(dashi_test::FunctionalSignFlip{}, in),
            dashi::apply_kernel(kernels::SignFlip{}, in));
  const auto lambda = [](TernaryView v) { return TernaryField::zeros(v.shape()); };
  EXPECT_EQ(dashi::apply_kernel(lambda, in), TernaryField::zeros(in.shape()));
}

/// A type with both forms: the into form (SignFlip) must be the one used.
struct BothForms {
  void operator()(TernaryView in, TernarySpan out) const { kernels::SignFlip{}(in, out); }
  TernaryField operator()(TernaryView in) const {
    return TernaryField::from_signed(in.values(), in.shape());
  }
};

TEST(ApplyKernel, IntoFormWinsWhenBothAreDeclared) {
  const TernaryField in = TernaryField::from_signed({1, 0, -1});
  EXPECT_EQ(dashi::apply_kernel(BothForms{}, in), TernaryField::from_signed({-1, 0, 1}));
}

TEST(ApplyKernel, SupportCreationRaisesKernelContractError) {
  const TernaryField in = TernaryField::from_signed({1, 1, 0, -1, 0});
  try {
    (void)dashi::apply_kernel(dashi_test::FillOnesKernel{}, in);
    FAIL() << "expected KernelContractError";
  } catch (const KernelContractError& e) {
    const std::string m = e.what();
    EXPECT_EQ(number_after(m, "site"), 2U) << m;  // the first site with input 0
    EXPECT_EQ(number_after(m, "block"), 0U) << m;
  }
  static_assert(std::is_base_of_v<std::logic_error, KernelContractError>);
}

TEST(ApplyKernel, NonTritOutputRaisesKernelContractError) {
  const auto writes_five = [](TernaryView in, TernarySpan out) {
    std::copy_n(in.data(), in.size(), out.data());
    out.data()[in.size() - 1] = 5;
  };
  const TernaryField in = random_field(Shape{100}, 0.0, 4);
  try {
    (void)dashi::apply_kernel(writes_five, in);
    FAIL() << "expected KernelContractError";
  } catch (const KernelContractError& e) {
    const std::string m = e.what();
    EXPECT_EQ(number_after(m, "site"), 99U) << m;
    EXPECT_NE(m.find('5'), std::string::npos) << m;
  }
}

TEST(ApplyKernel, ContractCheckCanBeSkipped) {
  const TernaryField in = TernaryField::from_signed({1, 0, -1, 0});
  const TernaryField out = dashi::apply_kernel(dashi_test::FillOnesKernel{}, in, false);
  EXPECT_EQ(out, TernaryField::from_signed({1, 1, 1, 1}));
}

TEST(ApplyKernel, ShapeDriftAlwaysRaises) {
  const TernaryField in = TernaryField::from_signed({1, 0});
  for (const bool check : {true, false}) {
    try {
      (void)dashi::apply_kernel(dashi_test::WrongShapeKernel{}, in, check);
      FAIL() << "expected KernelContractError (check_contract=" << check << ")";
    } catch (const KernelContractError& e) {
      const std::string m = e.what();
      EXPECT_EQ(number_after(m, "block"), 0U) << m;
      EXPECT_NE(m.find("(2)"), std::string::npos) << m;
      EXPECT_NE(m.find("(3)"), std::string::npos) << m;
    }
  }
}

TEST(ApplyKernel, KernelExceptionsPassThroughUnchanged) {
  const auto thrower = [](TernaryView, TernarySpan) { throw std::out_of_range("kernel says no"); };
  try {
    (void)dashi::apply_kernel(thrower, TernaryField::zeros(Shape{3}));
    FAIL() << "expected std::out_of_range";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "kernel says no");
  }
}

TEST(ApplyKernel, EmptyFields) {
  for (const Shape& shape : {Shape{0}, Shape{0, 5}, Shape{5, 0}}) {
    EXPECT_EQ(dashi::apply_kernel(kernels::SignFlip{}, TernaryField::zeros(shape)),
              TernaryField::zeros(shape));
    EXPECT_EQ(dashi::apply_kernel(kernels::LeftNeighbor{}, TernaryField::zeros(shape)),
              TernaryField::zeros(shape));
  }
}

TEST(ContractCheck, NamesTheGlobalSiteAndTheBlock) {
  // detail::check_contract reports the first bad site, offset by the block's first site.
  std::vector<std::int8_t> in(300, 1);
  std::vector<std::int8_t> out(300, 1);
  in[200] = 0;
  out[200] = -1;  // support created at local site 200
  out[250] = 3;   // a later non-trit must not be the one reported
  try {
    dashi::detail::check_contract(in.data(), out.data(), in.size(), 7, 4000);
    FAIL() << "expected KernelContractError";
  } catch (const KernelContractError& e) {
    const std::string m = e.what();
    EXPECT_EQ(number_after(m, "site"), 4200U) << m;
    EXPECT_EQ(number_after(m, "block"), 7U) << m;
  }
  // Valid outputs of every length pass (vector tails included).
  for (std::size_t n = 0; n <= 70; ++n) {
    const std::vector<std::int8_t> a(n, -1);
    const std::vector<std::int8_t> b(n, 0);
    EXPECT_NO_THROW(dashi::detail::check_contract(a.data(), b.data(), n, 0, 0)) << n;
  }
  // A violation in the last site of every length is found.
  for (std::size_t n = 1; n <= 70; ++n) {
    std::vector<std::int8_t> a(n, 0);
    std::vector<std::int8_t> b(n, 0);
    b[n - 1] = 1;
    EXPECT_THROW(dashi::detail::check_contract(a.data(), b.data(), n, 0, 0), KernelContractError)
        << n;
    b[n - 1] = 127;
    a[n - 1] = 1;
    EXPECT_THROW(dashi::detail::check_contract(a.data(), b.data(), n, 0, 0), KernelContractError)
        << n;
    b[n - 1] = 2;
    a[n - 1] = -1;
    EXPECT_THROW(dashi::detail::check_contract(a.data(), b.data(), n, 0, 0), KernelContractError)
        << n;
  }
}

/// A kernel writing -128 (the one int8 value whose magnitude does not fit in int8) is a
/// contract violation like any other non-trit, wherever the value lands (vector body or
/// tail, supported site or not). Under -fsanitize=undefined this must not overflow.
TEST(ContractCheck, MinusOneHundredTwentyEightIsRejected) {
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{31}, std::size_t{64}, std::size_t{100}, std::size_t{200}}) {
    for (const std::size_t pos : {std::size_t{0}, n / 2, n - 1}) {
      for (const std::int8_t in_value : {std::int8_t{0}, std::int8_t{1}, std::int8_t{-1}}) {
        const std::vector<std::int8_t> in(n, in_value);
        std::vector<std::int8_t> out(in);
        out[pos] = -128;
        try {
          dashi::detail::check_contract(in.data(), out.data(), n, 3, 1000);
          ADD_FAILURE() << "-128 accepted: n=" << n << " pos=" << pos;
        } catch (const KernelContractError& e) {
          EXPECT_EQ(number_after(e.what(), "site"), 1000 + pos) << e.what();
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------------------
// The test kernels of support/kernels.hpp keep the contract (so sweeps may rely on them).

TEST(TestKernels, KeepTheContract) {
  std::uint64_t seed = 900;
  for (const Shape& shape : {Shape{1}, Shape{500}, Shape{17, 13}, Shape{5, 6, 7}}) {
    for (const double sparsity : {0.0, 0.5}) {
      const TernaryField in = random_field(shape, sparsity, seed++);
      EXPECT_NO_THROW((void)dashi::apply_kernel(dashi_test::AxisStencil2{}, in));
      EXPECT_NO_THROW((void)dashi::apply_kernel(dashi_test::CrossStencil{}, in));
      EXPECT_NO_THROW((void)dashi::apply_kernel(dashi_test::FunctionalRightProduct{}, in));
      EXPECT_NO_THROW((void)dashi::apply_kernel(dashi_test::FunctionalSignFlip{}, in));
    }
  }
}

TEST(TestKernels, StencilsDependOnTheirNeighbours) {
  // A single supported site with supported neighbours at distance 2: AxisStencil2 must see
  // them (the weights make the result differ from the site's own sign).
  const TernaryField in = TernaryField::from_signed({-1, 0, 1, 0, -1});
  // Weights for offsets -2..+2 are {1, -1, 1, 2, -1}; sites 1 and 3 are 0.
  // Site 0: self 1*(-1), offset +2: (-1)*1 → sum -2 → -1.
  // Site 2: offset -2: 1*(-1), self 1*1, offset +2: (-1)*(-1) → sum 1 → +1.
  // Site 4: offset -2: 1*1, self 1*(-1) → sum 0 → 0 (off by the clipped right edge).
  EXPECT_EQ(dashi::apply_kernel(dashi_test::AxisStencil2{}, in),
            TernaryField::from_signed({-1, 0, 1, 0, 0}));
}

}  // namespace
