// SPDX-License-Identifier: Apache-2.0
// Unit tests of `compose` (<dashi/kernels/compose.hpp>): radius and contract_proven
// traits, order of application, equality with the kernels applied one after another
// (monolithic and through `run_kernel_parallel` for every worker count and block size),
// functional-form and nested compositions, errors, and thread safety.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernels/compose.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

using dashi::kernel_contract_proven_v;
using dashi::kernel_radius_v;

/// Radius-3 into kernel that does not declare `contract_proven`.
struct LeftByThree {
  static constexpr std::size_t radius = 3;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t back = 3 * in.shape().row_elems();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const int left = i >= back ? in.value(i - back) : 0;
      out.data()[i] = in.value(i) == 0 ? std::int8_t{0} : dashi_test::sign_of(in.value(i) + left);
    }
  }
};

// ---------------------------------------------------------------------------------------
// Traits.

// The radius and contract_proven traits of `compose` are compile-time facts:
// tests/compile/compose_traits_compile.cpp.

// ---------------------------------------------------------------------------------------
// Monolithic semantics.

TEST(Compose, AppliesLeftToRight) {
  // ClampNonnegative then SignFlip: positives become -1, negatives 0. The other order:
  // negatives become +1, positives 0.
  const TernaryField x = TernaryField::from_signed({1, -1, 0, 1, -1});
  EXPECT_EQ(dashi::apply_kernel(dashi::compose(kernels::ClampNonnegative{}, kernels::SignFlip{}),
                                x.view()),
            TernaryField::from_signed({-1, 0, 0, -1, 0}));
  EXPECT_EQ(dashi::apply_kernel(dashi::compose(kernels::SignFlip{}, kernels::ClampNonnegative{}),
                                x.view()),
            TernaryField::from_signed({0, 1, 0, 0, 1}));
}

/// The kernels applied one after another with `apply_kernel` (no compose involved).
template <class... K>
TernaryField one_after_another(TernaryView x, const K&... kernels) {
  TernaryField state = dashi_test::copy_of(x);
  ((state = dashi::apply_kernel(kernels, state.view())), ...);
  return state;
}

TEST(Compose, EqualsTheKernelsOneAfterAnother) {
  std::uint64_t seed = 1;
  for (const Shape& shape : {make_shape({1}), make_shape({64}), make_shape({1, 7}),
                             make_shape({9, 13}), make_shape({4, 5, 6}), make_shape({150, 150})}) {
    const TernaryField x = random_field(shape, 0.2, ++seed);
    EXPECT_EQ(
        dashi::apply_kernel(
            dashi::compose(kernels::LeftNeighbor{}, AxisRadius2{}, kernels::SignFlip{}), x.view()),
        one_after_another(x.view(), kernels::LeftNeighbor{}, AxisRadius2{}, kernels::SignFlip{}))
        << shape.to_string();
    EXPECT_EQ(dashi::apply_kernel(dashi::compose(FunctionalStencil{}, LeftByThree{},
                                                 FunctionalSignFlip{}, FunctionalStencil{}),
                                  x.view()),
              one_after_another(x.view(), FunctionalStencil{}, LeftByThree{}, FunctionalSignFlip{},
                                FunctionalStencil{}))
        << shape.to_string();
    // Nested: compose(compose(a, b), compose(c)) == a, b, c.
    EXPECT_EQ(
        dashi::apply_kernel(dashi::compose(dashi::compose(AxisRadius2{}, FunctionalStencil{}),
                                           dashi::compose(kernels::LeftNeighbor{})),
                            x.view()),
        one_after_another(x.view(), AxisRadius2{}, FunctionalStencil{}, kernels::LeftNeighbor{}))
        << shape.to_string();
    // A single kernel.
    EXPECT_EQ(dashi::apply_kernel(dashi::compose(AxisRadius2{}), x.view()),
              dashi::apply_kernel(AxisRadius2{}, x.view()))
        << shape.to_string();
    if (shape.rank() == 2) {
      EXPECT_EQ(dashi::apply_kernel(dashi::compose(kernels::Majority3x3{}, FunctionalStencil{},
                                                   kernels::Majority3x3{}),
                                    x.view()),
                one_after_another(x.view(), kernels::Majority3x3{}, FunctionalStencil{},
                                  kernels::Majority3x3{}))
          << shape.to_string();
    }
  }
}

TEST(Compose, SixteenStagesUseTheirScratchCorrectly) {
  // Stages alternate between the two scratch buffers: a long chain checks the ping-pong.
  const TernaryField x = random_field(make_shape({30, 40}), 0.1, 3);
  const auto chain =
      dashi::compose(AxisRadius2{}, FunctionalStencil{}, AxisRadius2{}, kernels::SignFlip{},
                     AxisRadius2{}, FunctionalStencil{}, AxisRadius2{}, kernels::LeftNeighbor{});
  const auto twice = dashi::compose(chain, chain);
  static_assert(kernel_radius_v<decltype(twice)> == 2 * 11);
  EXPECT_EQ(dashi::apply_kernel(twice, x.view()),
            one_after_another(
                x.view(), AxisRadius2{}, FunctionalStencil{}, AxisRadius2{}, kernels::SignFlip{},
                AxisRadius2{}, FunctionalStencil{}, AxisRadius2{}, kernels::LeftNeighbor{},
                AxisRadius2{}, FunctionalStencil{}, AxisRadius2{}, kernels::SignFlip{},
                AxisRadius2{}, FunctionalStencil{}, AxisRadius2{}, kernels::LeftNeighbor{}));
}

// ---------------------------------------------------------------------------------------
// Through the executor.

/// workers × block sizes, both pools, against the kernels applied one after another.
template <class Chain>
void sweep_parallel(const Chain& chain, const std::string& name, const TernaryField& x,
                    const TernaryField& expected) {
  const std::size_t row = x.shape().row_elems();
  FailureBudget budget;
  std::size_t run = 0;
  for (const std::size_t workers : {1U, 2U, 3U, 8U}) {
    for (const std::size_t block : {row, 3 * row + 1, std::size_t{0}, 2 * x.size()}) {
      ParallelOptions options;
      options.num_workers = workers;
      options.block_elems = block;
      const TernaryField result =
          run++ % 2 == 0 ? dashi::run_kernel_parallel(chain, x.view(), options)
                         : dashi::run_kernel_parallel(wide_pool(), chain, x.view(), options);
      const std::string diff = first_difference(result.view(), expected.view());
      if (!diff.empty()) {
        ADD_FAILURE() << name << " shape=" << x.shape().to_string() << " " << describe(options)
                      << ": " << diff;
        if (!budget.fail()) {
          return;
        }
      }
    }
  }
}

TEST(Compose, RunKernelParallelEqualsTheKernelsOneAfterAnother) {
  {
    const TernaryField x = random_field(make_shape({40'009}), 0.2, 4);
    sweep_parallel(
        dashi::compose(kernels::LeftNeighbor{}, AxisRadius2{}, kernels::SignFlip{}),
        "compose(LeftNeighbor, AxisRadius2, SignFlip)", x,
        one_after_another(x.view(), kernels::LeftNeighbor{}, AxisRadius2{}, kernels::SignFlip{}));
  }
  {
    const TernaryField x = random_field(make_shape({211, 197}), 0.2, 5);
    sweep_parallel(
        dashi::compose(kernels::Majority3x3{}, FunctionalStencil{}, LeftByThree{}),
        "compose(Majority3x3, FunctionalStencil, LeftByThree)", x,
        one_after_another(x.view(), kernels::Majority3x3{}, FunctionalStencil{}, LeftByThree{}));
    sweep_parallel(dashi::compose(dashi::compose(FunctionalSignFlip{}, kernels::Majority3x3{}),
                                  dashi::compose(AxisRadius2{}, FunctionalStencil{})),
                   "compose(compose(FunctionalSignFlip, Majority3x3), compose(AxisRadius2, "
                   "FunctionalStencil))",
                   x,
                   one_after_another(x.view(), FunctionalSignFlip{}, kernels::Majority3x3{},
                                     AxisRadius2{}, FunctionalStencil{}));
  }
  {
    const TernaryField x = random_field(make_shape({41, 29, 31}), 0.2, 6);
    sweep_parallel(dashi::compose(FunctionalStencil{}, FunctionalStencil{}, FunctionalSignFlip{}),
                   "compose(FunctionalStencil, FunctionalStencil, FunctionalSignFlip)", x,
                   one_after_another(x.view(), FunctionalStencil{}, FunctionalStencil{},
                                     FunctionalSignFlip{}));
  }
}

TEST(Compose, AHaloBelowTheSumIsRejected) {
  const TernaryField x = random_field(make_shape({100}), 0.2, 7);
  ParallelOptions options;
  options.halo = 2;  // each kernel's own radius, not the chain's
  EXPECT_THROW((void)dashi::run_kernel_parallel(dashi::compose(AxisRadius2{}, AxisRadius2{}),
                                                x.view(), options),
               std::invalid_argument);
  options.halo = 4;
  EXPECT_EQ(
      dashi::run_kernel_parallel(dashi::compose(AxisRadius2{}, AxisRadius2{}), x.view(), options),
      one_after_another(x.view(), AxisRadius2{}, AxisRadius2{}));
}

// ---------------------------------------------------------------------------------------
// Errors.

TEST(Compose, ErrorsOfTheKernelsReachTheCaller) {
  const TernaryField one_d = random_field(make_shape({50}), 0.2, 8);
  // Majority3x3 throws on a field that is not 2-D, also as the second stage.
  EXPECT_THROW((void)dashi::apply_kernel(
                   dashi::compose(kernels::SignFlip{}, kernels::Majority3x3{}), one_d.view()),
               std::invalid_argument);
  EXPECT_THROW((void)dashi::run_kernel_parallel(
                   dashi::compose(kernels::SignFlip{}, kernels::Majority3x3{}), one_d.view()),
               std::invalid_argument);
  // A functional stage that changes the shape.
  EXPECT_THROW((void)dashi::apply_kernel(dashi::compose(kernels::SignFlip{}, WrongShapeKernel{}),
                                         one_d.view()),
               KernelContractError);
  EXPECT_THROW((void)dashi::run_kernel_parallel(
                   dashi::compose(WrongShapeKernel{}, kernels::SignFlip{}), one_d.view()),
               KernelContractError);
  // Support created by the chain is caught on its output.
  const TernaryField with_zeros = TernaryField::from_signed({1, 0, -1, 0});
  EXPECT_THROW((void)dashi::run_kernel_parallel(
                   dashi::compose(kernels::SignFlip{}, FillOnesKernel{}), with_zeros.view()),
               KernelContractError);
}

/// Functional radius-0 kernel that returns a wrong shape unless its view starts at
/// `base`: with a clipped, radius-0 partition every block but block 0 fails.
struct WrongShapeAwayFromBase {
  const std::int8_t* base = nullptr;
  TernaryField operator()(TernaryView in) const {
    if (in.data() == base) {
      return dashi_test::copy_of(in);
    }
    return TernaryField::zeros(Shape{in.size() + 1});
  }
};

TEST(Compose, ShapeErrorsNameTheFailingBlock) {
  // KernelContractError messages name the block: the lowest failing one is block 1, and a
  // composition must not change that.
  const TernaryField x = random_field(make_shape({100}), 0.2, 30);
  ParallelOptions options;
  options.block_elems = 10;
  const WrongShapeAwayFromBase kernel{x.data()};
  std::string plain;
  try {
    (void)dashi::run_kernel_parallel(kernel, x.view(), options);
  } catch (const KernelContractError& error) {
    plain = error.what();
  }
  EXPECT_NE(plain.find("block 1 "), std::string::npos) << plain;
  std::string composed;
  try {
    (void)dashi::run_kernel_parallel(dashi::compose(kernel, kernels::SignFlip{}), x.view(),
                                     options);
  } catch (const KernelContractError& error) {
    composed = error.what();
  }
  EXPECT_NE(composed.find("block 1 "), std::string::npos) << composed;
}

// ---------------------------------------------------------------------------------------
// Thread safety and nesting.

TEST(Compose, ConcurrentCallsOfOneComposedKernel) {
  // Each thread's intermediates live in its own scratch.
  const auto chain = dashi::compose(AxisRadius2{}, FunctionalStencil{}, kernels::LeftNeighbor{});
  std::vector<TernaryField> inputs;
  std::vector<TernaryField> expected;
  for (std::uint64_t t = 0; t < 4; ++t) {
    inputs.push_back(random_field(make_shape({100 + 17 * t, 90 + t}), 0.2, 20 + t));
    expected.push_back(one_after_another(inputs.back().view(), AxisRadius2{}, FunctionalStencil{},
                                         kernels::LeftNeighbor{}));
  }
  std::vector<int> mismatches(inputs.size(), 0);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      threads.emplace_back([&, t] {
        for (int repeat = 0; repeat < 20; ++repeat) {
          if (!(dashi::apply_kernel(chain, inputs[t].view()) == expected[t])) {
            ++mismatches[t];
          }
        }
      });
    }
  }
  for (std::size_t t = 0; t < inputs.size(); ++t) {
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  }
}

/// Radius-1 kernel whose body runs `run_kernel_parallel` (a composed kernel) on its own
/// block: the nested call uses the same thread's scratch one level deeper.
struct NestedParallel {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    ParallelOptions options;
    options.block_elems = in.shape().row_elems();
    dashi::run_kernel_parallel(wide_pool(),
                               dashi::compose(kernels::LeftNeighbor{}, kernels::SignFlip{}), in,
                               out, options);
  }
};

TEST(Compose, ComposedKernelsMayNestExecutorCalls) {
  const TernaryField x = random_field(make_shape({300, 160}), 0.2, 9);
  const TernaryField expected = one_after_another(x.view(), AxisRadius2{}, kernels::LeftNeighbor{},
                                                  kernels::SignFlip{}, FunctionalStencil{});
  const auto chain = dashi::compose(AxisRadius2{}, NestedParallel{}, FunctionalStencil{});
  for (const std::size_t workers : {1U, 3U, 8U}) {
    ParallelOptions options;
    options.num_workers = workers;
    options.block_elems = 160 * 4;
    EXPECT_EQ(dashi::run_kernel_parallel(wide_pool(), chain, x.view(), options), expected)
        << describe(options);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Contract violations inside the chain fail like the kernels applied one after another.

namespace {

/// Writes 1 everywhere: creates support wherever the input has none (not contract-proven).
struct CreatesSupport {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = 1;
    }
  }
};

/// Writes 0 everywhere: never breaks the contract, and hides what came before it.
struct RemovesSupport {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = 0;
    }
  }
};

TEST(ComposeContract, ViolationInsideTheChainIsReportedWithItsStage) {
  ThreadPool pool(2);
  const TernaryField x = random_field(make_shape({64, 4}), 0.5, 77);
  // Applied one after another, the first kernel fails.
  EXPECT_THROW((void)dashi::run_kernel_parallel(pool, CreatesSupport{}, x.view()),
               KernelContractError);
  for (const std::size_t block_elems : {0U, 16U}) {
    try {
      (void)dashi::run_kernel_parallel(pool, dashi::compose(CreatesSupport{}, RemovesSupport{}),
                                       x.view(), {.block_elems = block_elems});
      ADD_FAILURE() << "compose(CreatesSupport, RemovesSupport) returned a result";
    } catch (const KernelContractError& error) {
      EXPECT_NE(std::string(error.what()).find("stage 1 of 2"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("created support"), std::string::npos)
          << error.what();
    }
  }
  // The stage is named wherever it sits in the chain, also when called directly.
  try {
    (void)dashi::apply_kernel(
        dashi::compose(kernels::SignFlip{}, RemovesSupport{}, CreatesSupport{}), x.view(), false);
    ADD_FAILURE() << "a chain ending in CreatesSupport returned a result";
  } catch (const KernelContractError& error) {
    EXPECT_NE(std::string(error.what()).find("stage 3 of 3"), std::string::npos) << error.what();
  }
  // A chain of kernels that keep the contract is unaffected.
  const TernaryField ok = dashi::run_kernel_parallel(
      pool, dashi::compose(kernels::SignFlip{}, RemovesSupport{}), x.view());
  EXPECT_EQ(ok.count_support(), 0U);
}

}  // namespace
