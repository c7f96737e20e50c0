// SPDX-License-Identifier: Apache-2.0
// Unit tests of `run_kernel_iterated` and `iterate_to_fixed_point`
// (<dashi/execution/iterate.hpp>): options and their errors, empty and small (inline)
// fields, fixed points at and across synchronisation boundaries, max_steps, contract checks
// on every step, exceptions, nested calls, and the Python families
// test_iterated_convergence and test_kernel_non_idempotence.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/iterate.hpp>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

// ---------------------------------------------------------------------------------------
// Options and degenerate inputs.

TEST(RunKernelIterated, ZeroStepsReturnsACopy) {
  const TernaryField x = random_field(make_shape({40, 1000}), 0.3, 1);
  for (const std::size_t spp : {1U, 3U}) {
    IterateOptions options;
    options.steps_per_sync = spp;
    TernaryField a = dashi::run_kernel_iterated(kernels::SignFlip{}, x.view(), 0, options);
    TernaryField b =
        dashi::run_kernel_iterated(wide_pool(), kernels::LeftNeighbor{}, x.view(), 0, options);
    EXPECT_EQ(a, x);
    EXPECT_EQ(b, x);
    EXPECT_NE(a.data(), x.data()) << "a copy, not the input's memory";
    a.data()[0] = static_cast<std::int8_t>(-a.data()[0] + (a.data()[0] == 0 ? 1 : 0));
    EXPECT_NE(a, x) << "the copy is independent of the input";
  }
}

TEST(RunKernelIterated, StepsPerSyncZeroThrows) {
  const TernaryField x = random_field(make_shape({100}), 0.3, 2);
  IterateOptions options;
  options.steps_per_sync = 0;
  EXPECT_THROW((void)dashi::run_kernel_iterated(kernels::SignFlip{}, x.view(), 3, options),
               std::invalid_argument);
  EXPECT_THROW(
      (void)dashi::iterate_to_fixed_point(wide_pool(), kernels::SignFlip{}, x.view(), 3, options),
      std::invalid_argument);
}

TEST(RunKernelIterated, HaloBelowRadiusThrows) {
  const TernaryField x = random_field(make_shape({100}), 0.3, 3);
  IterateOptions options;
  options.halo = 1;
  EXPECT_THROW((void)dashi::run_kernel_iterated(dashi_test::AxisRadius2{}, x.view(), 2, options),
               std::invalid_argument);
  EXPECT_THROW((void)dashi::iterate_to_fixed_point(dashi_test::AxisRadius2{}, x.view(), 2, options),
               std::invalid_argument);
  options.halo = 2;
  EXPECT_NO_THROW(
      (void)dashi::run_kernel_iterated(dashi_test::AxisRadius2{}, x.view(), 2, options));
}

TEST(RunKernelIterated, EmptyFields) {
  for (const Shape& shape :
       {make_shape({0}), make_shape({0, 5}), make_shape({4, 0}), make_shape({0, 2, 3})}) {
    const TernaryField x = TernaryField::zeros(shape);
    IterateOptions options;
    options.steps_per_sync = 2;
    const TernaryField r =
        dashi::run_kernel_iterated(kernels::LeftNeighbor{}, x.view(), 5, options);
    EXPECT_EQ(r.shape(), shape);
    const auto f = dashi::iterate_to_fixed_point(kernels::SignFlip{}, x.view(), 5, options);
    EXPECT_EQ(f.field.shape(), shape);
    EXPECT_TRUE(f.converged) << shape.to_string();
    EXPECT_EQ(f.steps, 0U) << shape.to_string();
  }
}

TEST(RunKernelIterated, DesignatedInitialiserOfTheBase) {
  // IterateOptions derives from ParallelOptions: the base is initialised as a nested brace.
  const IterateOptions options{{.num_workers = 2, .block_elems = 64}, 4};
  EXPECT_EQ(options.num_workers, 2U);
  EXPECT_EQ(options.block_elems, 64U);
  EXPECT_EQ(options.steps_per_sync, 4U);
  const TernaryField x = random_field(make_shape({50, 700}), 0.2, 4);
  EXPECT_EQ(dashi::run_kernel_iterated(kernels::LeftNeighbor{}, x.view(), 9, options),
            dashi_test::reference_iterate(kernels::LeftNeighbor{}, x.view(), 9));
}

// ---------------------------------------------------------------------------------------
// Small fields (run inline on the calling thread, still block by block).

template <class K>
void check_small(const K& kernel, const std::string& name, const TernaryField& x) {
  const auto trajectory = dashi_test::reference_trajectory(kernel, x.view(), 9);
  const std::size_t row = x.shape().row_elems();
  for (const std::size_t steps : {0U, 1U, 2U, 3U, 5U, 9U}) {
    for (const std::size_t spp : {1U, 2U, 3U, 4U, 8U, 20U}) {
      for (const std::size_t block : {row, 2 * row + 1, std::size_t{0}, x.size() + 1}) {
        IterateOptions options;
        options.steps_per_sync = spp;
        options.block_elems = block;
        const TernaryField r = dashi::run_kernel_iterated(kernel, x.view(), steps, options);
        const std::string diff = first_difference(r.view(), trajectory[steps].view());
        ASSERT_EQ(diff, "") << name << " shape=" << x.shape().to_string() << " steps=" << steps
                            << " " << describe(options);
      }
    }
  }
}

TEST(RunKernelIterated, SmallFieldsEqualTheStepLoop) {
  std::uint64_t seed = 10;
  for (const Shape& shape :
       {make_shape({1}), make_shape({2}), make_shape({17}), make_shape({300})}) {
    const TernaryField x = random_field(shape, 0.2, ++seed);
    check_small(kernels::SignFlip{}, "SignFlip", x);
    check_small(kernels::LeftNeighbor{}, "LeftNeighbor", x);
    check_small(dashi_test::AxisRadius2{}, "AxisRadius2", x);
    check_small(dashi_test::FunctionalStencil{}, "FunctionalStencil", x);
  }
  for (const Shape& shape : {make_shape({1, 9}), make_shape({3, 4}), make_shape({23, 19})}) {
    const TernaryField x = random_field(shape, 0.2, ++seed);
    check_small(kernels::Majority3x3{}, "Majority3x3", x);
    check_small(dashi::compose(kernels::Majority3x3{}, dashi_test::AxisRadius2{}),
                "compose(Majority3x3, AxisRadius2)", x);
  }
  check_small(dashi_test::AxisRadius2{}, "AxisRadius2",
              random_field(make_shape({6, 5, 4}), 0.2, 3));
}

TEST(RunKernelIterated, RepeatedCallsAndBothOverloadsAgree) {
  const TernaryField x = random_field(make_shape({211, 199}), 0.2, 5);
  IterateOptions options;
  options.steps_per_sync = 3;
  options.block_elems = 1000;
  const TernaryField first =
      dashi::run_kernel_iterated(kernels::Majority3x3{}, x.view(), 11, options);
  for (int repeat = 0; repeat < 5; ++repeat) {
    options.num_workers = repeat % 2 == 0 ? 8 : 2;
    EXPECT_EQ(
        dashi::run_kernel_iterated(wide_pool(), kernels::Majority3x3{}, x.view(), 11, options),
        first)
        << describe(options);
    EXPECT_EQ(dashi::run_kernel_iterated(kernels::Majority3x3{}, x.view(), 11, options), first)
        << describe(options);
  }
  EXPECT_EQ(first, dashi_test::reference_iterate(kernels::Majority3x3{}, x.view(), 11));
}

TEST(RunKernelIterated, IntoOverloadEqualsTheStepLoopAndReusesItsBuffers) {
  const TernaryField x = random_field(make_shape({157, 33}), 0.3, 9);
  TernaryField output = TernaryField::uninitialized(x.shape());
  TernaryField spare = TernaryField::uninitialized(x.shape());
  // Steps and depths giving one, an odd and an even number of synchronisations.
  for (const std::size_t steps : {0U, 1U, 4U, 5U, 12U}) {
    for (const std::size_t depth : {1U, 2U, 4U, 8U}) {
      for (const std::size_t block : {0U, 33U, 500U}) {
        IterateOptions options;
        options.steps_per_sync = depth;
        options.block_elems = block;
        options.num_workers = 3;
        dashi::run_kernel_iterated(wide_pool(), kernels::Majority3x3{}, x.view(), steps,
                                   output.span(), spare.span(), options);
        EXPECT_EQ(first_difference(output.view(), dashi_test::reference_iterate(
                                                      kernels::Majority3x3{}, x.view(), steps)),
                  "")
            << "steps=" << steps << " " << describe(options);
      }
    }
  }
}

TEST(RunKernelIterated, OutputsLargeEnoughToStreamEqualTheStepLoop) {
  // Halo-free blocks write their last step straight into the output, with streaming stores
  // when it is at least detail::streaming_store_bytes.
  const TernaryField x = random_field(Shape{dashi::detail::streaming_store_bytes + 33}, 0.3, 12);
  const auto chain = dashi::compose(kernels::SignFlip{}, kernels::ClampNonnegative{});
  const TernaryField expected = dashi_test::reference_iterate(chain, x.view(), 3);
  for (const std::size_t depth : {1U, 3U}) {
    IterateOptions options;
    options.steps_per_sync = depth;
    options.num_workers = 2;
    EXPECT_EQ(first_difference(dashi::run_kernel_iterated(wide_pool(), chain, x.view(), 3, options),
                               expected),
              "")
        << describe(options);
  }
}

TEST(RunKernelIterated, IntoOverloadLeavesTheSpareAloneWithinOneSync) {
  const TernaryField x = random_field(Shape{5000}, 0.3, 10);
  TernaryField output = TernaryField::uninitialized(x.shape());
  TernaryField spare = TernaryField::zeros(x.shape());
  spare.data()[17] = 1;
  const TernaryField before = spare;
  IterateOptions options;
  options.steps_per_sync = 4;
  options.block_elems = 256;
  dashi::run_kernel_iterated(wide_pool(), kernels::LeftNeighbor{}, x.view(), 4, output.span(),
                             spare.span(), options);
  EXPECT_EQ(spare, before);
  EXPECT_EQ(output, dashi_test::reference_iterate(kernels::LeftNeighbor{}, x.view(), 4));
}

TEST(RunKernelIterated, IntoOverloadRejectsBadBuffers) {
  TernaryField x = random_field(Shape{64, 4}, 0.3, 11);
  TernaryField output = TernaryField::uninitialized(x.shape());
  TernaryField spare = TernaryField::uninitialized(x.shape());
  TernaryField short_field = TernaryField::uninitialized(Shape{63, 4});
  auto message_of = [&](TernarySpan out, TernarySpan extra) {
    try {
      dashi::run_kernel_iterated(wide_pool(), kernels::LeftNeighbor{}, x.view(), 3, out, extra);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("no exception");
  };
  EXPECT_NE(message_of(short_field.span(), spare.span()).find("output shape"), std::string::npos);
  EXPECT_NE(message_of(output.span(), short_field.span()).find("spare shape"), std::string::npos);
  EXPECT_NE(message_of(output.span(), output.span()).find("spare buffer overlaps"),
            std::string::npos);
  EXPECT_NE(message_of(output.span(), x.span()).find("spare buffer overlaps"), std::string::npos);
  EXPECT_NE(message_of(x.span(), spare.span()).find("overlaps the input"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// iterate_to_fixed_point.

/// A 1-D field whose runs of equal signs have lengths cycling through 1..longest
/// (separated by a zero, signs alternating between runs): `SameSignBehind<1>` erases one
/// site of each run per step, so its first fixed point (all zeros) is at exactly
/// k = `longest` steps.
TernaryField runs_field(std::size_t sites, std::size_t longest) {
  TernaryField x = TernaryField::zeros(Shape{sites});
  std::size_t i = 0;
  std::size_t length = 1;
  std::int8_t sign = 1;
  while (i < sites) {
    for (std::size_t j = 0; j < length && i < sites; ++j) {
      x.data()[i++] = sign;
    }
    ++i;  // a zero between runs
    sign = static_cast<std::int8_t>(-sign);
    length = length % longest + 1;
  }
  return x;
}

TEST(IterateToFixedPoint, StepsAtAndAcrossSyncBoundaries) {
  // k = longest run, around multiples of every steps_per_sync: the fixed point is found in
  // the first step of a sync, its last step, or its middle.
  for (const std::size_t k : {1U, 2U, 3U, 4U, 7U, 8U, 9U, 12U, 16U, 17U}) {
    const TernaryField x = runs_field(40'000, k);
    const auto reference =
        dashi_test::reference_fixed_point(dashi_test::SameSignBehind<1>{}, x.view(), 100);
    ASSERT_TRUE(reference.found);
    ASSERT_EQ(reference.steps, k);
    std::size_t run = 0;
    for (const std::size_t spp : {1U, 2U, 3U, 4U, 8U, 16U}) {
      IterateOptions options;
      options.steps_per_sync = spp;
      options.num_workers = std::size_t{1} << (run++ % 4);  // 1, 2, 4, 8
      options.block_elems = 997;
      const auto result = dashi::iterate_to_fixed_point(
          wide_pool(), dashi_test::SameSignBehind<1>{}, x.view(), 100, options);
      EXPECT_TRUE(result.converged) << "k=" << k << " " << describe(options);
      EXPECT_EQ(result.steps, k) << describe(options);
      EXPECT_EQ(first_difference(result.field.view(), reference.state.view()), "")
          << "k=" << k << " " << describe(options);
    }
  }
}

TEST(IterateToFixedPoint, MoreThanSixtyFourStepsPerSync) {
  // The per-block record of unchanged steps spans several 64-bit words.
  for (const std::size_t k : {63U, 64U, 65U, 100U}) {
    const TernaryField x = runs_field(40'000, k);
    for (const std::size_t spp : {64U, 65U, 70U, 130U}) {
      IterateOptions options;
      options.steps_per_sync = spp;
      options.num_workers = 3;
      options.block_elems = 4'001;
      const auto result = dashi::iterate_to_fixed_point(
          wide_pool(), dashi_test::SameSignBehind<1>{}, x.view(), 1'000, options);
      EXPECT_TRUE(result.converged) << "k=" << k << " " << describe(options);
      EXPECT_EQ(result.steps, k) << describe(options);
      EXPECT_EQ(result.field, TernaryField::zeros(x.shape()))
          << "k=" << k << " " << describe(options);
    }
  }
}

TEST(IterateToFixedPoint, AlreadyAFixedPointTakesZeroSteps) {
  const TernaryField x = random_field(make_shape({300, 200}), 0.3, 6);
  for (const std::size_t spp : {1U, 4U}) {
    IterateOptions options;
    options.steps_per_sync = spp;
    const auto clamp = dashi::iterate_to_fixed_point(kernels::Clamp{}, x.view(), 10, options);
    EXPECT_TRUE(clamp.converged);
    EXPECT_EQ(clamp.steps, 0U);
    EXPECT_EQ(clamp.field, x);
    const TernaryField zeros = TernaryField::zeros(x.shape());
    const auto flip = dashi::iterate_to_fixed_point(kernels::SignFlip{}, zeros.view(), 10, options);
    EXPECT_TRUE(flip.converged) << "zero state: a fixed point of every kernel";
    EXPECT_EQ(flip.steps, 0U);
    EXPECT_EQ(flip.field, zeros);
  }
}

TEST(IterateToFixedPoint, MaxStepsBelowTheFixedPoint) {
  const std::size_t k = 9;
  const TernaryField x = runs_field(40'000, k);
  const auto trajectory =
      dashi_test::reference_trajectory(dashi_test::SameSignBehind<1>{}, x.view(), k + 1);
  for (const std::size_t max_steps : {1U, 5U, 8U}) {
    for (const std::size_t spp : {1U, 3U, 8U}) {
      IterateOptions options;
      options.steps_per_sync = spp;
      const auto result = dashi::iterate_to_fixed_point(dashi_test::SameSignBehind<1>{}, x.view(),
                                                        max_steps, options);
      EXPECT_FALSE(result.converged) << "max_steps=" << max_steps << " " << describe(options);
      EXPECT_EQ(result.steps, max_steps);
      EXPECT_EQ(result.field, trajectory[max_steps]) << "max_steps=" << max_steps;
    }
  }
}

TEST(IterateToFixedPoint, MaxStepsEqualToTheFixedPointNeverExceedsMaxSteps) {
  // With max_steps == k the state x_k is a fixed point, but showing it takes application
  // k + 1, which max_steps forbids: the result is x_k after k steps, not reported as
  // converged, the same for every steps_per_sync. One more allowed step reports it.
  const std::size_t k = 8;
  const TernaryField x = runs_field(40'000, k);
  const TernaryField zeros = TernaryField::zeros(x.shape());
  for (const std::size_t spp : {1U, 2U, 3U, 8U, 9U}) {
    IterateOptions options;
    options.steps_per_sync = spp;
    const auto at_k =
        dashi::iterate_to_fixed_point(dashi_test::SameSignBehind<1>{}, x.view(), k, options);
    EXPECT_EQ(at_k.steps, k) << describe(options);
    EXPECT_EQ(at_k.field, zeros) << describe(options);
    EXPECT_FALSE(at_k.converged) << describe(options);
    const auto above =
        dashi::iterate_to_fixed_point(dashi_test::SameSignBehind<1>{}, x.view(), k + 1, options);
    EXPECT_EQ(above.steps, k) << describe(options);
    EXPECT_TRUE(above.converged) << describe(options);
  }
}

TEST(IterateToFixedPoint, ZeroMaxStepsAppliesNothing) {
  const TernaryField x = random_field(make_shape({1000}), 0.3, 7);
  const auto result = dashi::iterate_to_fixed_point(kernels::SignFlip{}, x.view(), 0);
  EXPECT_EQ(result.steps, 0U);
  EXPECT_EQ(result.field, x);
}

TEST(IterateToFixedPoint, FieldEqualsRunKernelIteratedForTheReportedSteps) {
  const TernaryField x = random_field(make_shape({190, 190}), 0.1, 8);
  for (const std::size_t spp : {1U, 2U, 5U}) {
    IterateOptions options;
    options.steps_per_sync = spp;
    options.num_workers = 3;
    const auto result =
        dashi::iterate_to_fixed_point(kernels::Majority3x3{}, x.view(), 100, options);
    ASSERT_TRUE(result.converged);
    EXPECT_EQ(result.field,
              dashi::run_kernel_iterated(kernels::Majority3x3{}, x.view(), result.steps, options));
    EXPECT_TRUE(dashi::is_fixed_point(kernels::Majority3x3{}, result.field.view()));
    if (result.steps > 0) {
      const TernaryField before =
          dashi::run_kernel_iterated(kernels::Majority3x3{}, x.view(), result.steps - 1, options);
      EXPECT_FALSE(dashi::is_fixed_point(kernels::Majority3x3{}, before.view()))
          << "steps must be the first fixed point";
    }
  }
}

// Port of the Python test_iterated_convergence (named by the Python package, never written
// there: docs/design.md §0): a contractive kernel iterated from x0 reaches a fixed point with
// zero defect, its defect is non-increasing along the way, and the reported step count is the
// number of sites. The kernel is the Python OneStepErodeKernel (clears the first supported
// site in row-major order): not local, so it runs as a single block.
TEST(PythonPortKernel, test_iterated_convergence) {
  const TernaryField ones = TernaryField::from_signed({1, 1, 1, 1}, Shape{2, 2});
  IterateOptions single_block;
  single_block.block_elems = 1'000;
  const auto result =
      dashi::iterate_to_fixed_point(OneStepErodeKernel{}, ones.view(), 50, single_block);
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(result.steps, 4U);
  EXPECT_EQ(result.field, TernaryField::zeros(Shape{2, 2}));
  std::uint64_t previous = ~std::uint64_t{0};
  TernaryField state = dashi_test::copy_of(ones.view());
  for (std::size_t step = 0; step <= result.steps; ++step) {
    const TernaryField next = dashi::apply_kernel(OneStepErodeKernel{}, state.view());
    const std::uint64_t defect = dashi::defect_aggregate(state.view(), next.view());
    EXPECT_LE(defect, previous) << "step " << step;
    previous = defect;
    state = next;
  }
  EXPECT_EQ(previous, 0U);
  // A local kernel on a parallel-sized field: the fixed point has zero defect.
  const TernaryField x = random_field(make_shape({200, 200}), 0.1, 9);
  const auto majority = dashi::iterate_to_fixed_point(kernels::Majority3x3{}, x.view(), 100);
  ASSERT_TRUE(majority.converged);
  const TernaryField after = dashi::apply_kernel(kernels::Majority3x3{}, majority.field.view());
  EXPECT_EQ(dashi::defect_aggregate(majority.field.view(), after.view()), 0U);
}

// Port of the Python test_kernel_non_idempotence (missing upstream): kernels that do not
// declare idempotence are shown not to be, through the iterated executor.
TEST(PythonPortKernel, test_kernel_non_idempotence) {
  const TernaryField ones = TernaryField::from_signed({1, 1, 1, 1}, Shape{2, 2});
  IterateOptions single_block;
  single_block.block_elems = 1'000;
  EXPECT_NE(dashi::run_kernel_iterated(OneStepErodeKernel{}, ones.view(), 2, single_block),
            dashi::run_kernel_iterated(OneStepErodeKernel{}, ones.view(), 1, single_block));
  const TernaryField x = random_field(make_shape({100, 500}), 0.3, 10);
  const TernaryField once = dashi::run_kernel_iterated(kernels::SignFlip{}, x.view(), 1);
  const TernaryField twice = dashi::run_kernel_iterated(kernels::SignFlip{}, x.view(), 2);
  EXPECT_NE(once, twice) << "SignFlip is an involution, not idempotent";
  EXPECT_EQ(twice, x);
  // Clamp is idempotent: K(K x) == K x.
  EXPECT_EQ(dashi::run_kernel_iterated(kernels::Clamp{}, x.view(), 2),
            dashi::run_kernel_iterated(kernels::Clamp{}, x.view(), 1));
}

// ---------------------------------------------------------------------------------------
// Contract checks, exceptions, nesting.

/// Acts as SignFlip, but when the first site of its view is -1 it also writes +1 on the
/// first site of the view whose input is 0 (support creation). On a field whose rows all
/// start with +1 the first step is clean and the second one breaks the contract.
struct CreatesSupportOnSecondStep {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
    if (in.size() != 0 && in.value(0) == -1) {
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (in.value(i) == 0) {
          out.data()[i] = 1;
          break;
        }
      }
    }
  }
};

TEST(RunKernelIterated, ContractCheckedOnEveryStepOfASync) {
  // Rows of 400 sites: +1, 0, +1, 0, ...
  TernaryField x = TernaryField::uninitialized(Shape{100, 400});
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = static_cast<std::int8_t>(i % 2 == 0 ? 1 : 0);
  }
  for (const std::size_t spp : {1U, 2U, 4U}) {
    for (const std::size_t workers : {1U, 8U}) {
      IterateOptions options;
      options.steps_per_sync = spp;
      options.num_workers = workers;
      options.block_elems = 400 * 7;
      EXPECT_EQ(dashi::run_kernel_iterated(wide_pool(), CreatesSupportOnSecondStep{}, x.view(), 1,
                                           options),
                dashi::apply_kernel(kernels::SignFlip{}, x.view()))
          << describe(options);
      try {
        (void)dashi::run_kernel_iterated(wide_pool(), CreatesSupportOnSecondStep{}, x.view(), 2,
                                         options);
        ADD_FAILURE() << "no KernelContractError, " << describe(options);
      } catch (const KernelContractError& error) {
        // The step loop fails at global site 1 (block 0), the first 0 of the field.
        const std::string message = error.what();
        EXPECT_NE(message.find("at site 1 in block 0"), std::string::npos)
            << message << " " << describe(options);
      }
      EXPECT_THROW((void)dashi::iterate_to_fixed_point(wide_pool(), CreatesSupportOnSecondStep{},
                                                       x.view(), 5, options),
                   KernelContractError)
          << describe(options);
      options.check_contract = false;
      EXPECT_NO_THROW((void)dashi::run_kernel_iterated(wide_pool(), CreatesSupportOnSecondStep{},
                                                       x.view(), 2, options))
          << describe(options);
    }
  }
}

/// Radius-0 kernel (SignFlip) that throws `std::runtime_error("block B")` on the blocks
/// listed in `failing`, identified from where its view lies in `base` (valid on the first
/// step, when blocks of a radius-0 kernel are read straight from the input).
struct ThrowsOnBlocks {
  const std::int8_t* base = nullptr;
  std::size_t sites = 0;
  std::size_t block_sites = 1;
  std::set<std::size_t> failing;
  void operator()(TernaryView in, TernarySpan out) const {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
    if (in.data() >= base && in.data() < base + sites) {
      const auto block = static_cast<std::size_t>(in.data() - base) / block_sites;
      if (failing.count(block) != 0) {
        throw std::runtime_error("block " + std::to_string(block));
      }
    }
  }
};

TEST(RunKernelIterated, LowestFailingBlockDecidesTheException) {
  const TernaryField x = random_field(make_shape({300, 250}), 0.3, 11);
  const std::size_t block_sites = 250 * 4;
  const ThrowsOnBlocks kernel{x.data(), x.size(), block_sites, {5, 9, 40, 70}};
  for (int repeat = 0; repeat < 10; ++repeat) {
    for (const std::size_t workers : {1U, 2U, 3U, 8U}) {
      IterateOptions options;
      options.num_workers = workers;
      options.block_elems = block_sites;
      options.steps_per_sync = 1 + static_cast<std::size_t>(repeat % 3);
      try {
        (void)dashi::run_kernel_iterated(wide_pool(), kernel, x.view(), 3, options);
        ADD_FAILURE() << "no exception, " << describe(options);
      } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()), "block 5") << describe(options);
      }
      try {
        (void)dashi::iterate_to_fixed_point(wide_pool(), kernel, x.view(), 3, options);
        ADD_FAILURE() << "no exception, " << describe(options);
      } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()), "block 5") << describe(options);
      }
    }
  }
  // The pool is still usable.
  EXPECT_EQ(dashi::run_kernel_iterated(wide_pool(), kernels::SignFlip{}, x.view(), 3),
            dashi::apply_kernel(kernels::SignFlip{}, x.view()));
}

/// SignFlip that throws when its view holds four consecutive +1: the message carries
/// the four values that follow them, so it tells which occurrence was found. A pure
/// function of the view's contents (radius 0).
struct PatternAlarm {
  void operator()(TernaryView in, TernarySpan out) const {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
    for (std::size_t i = 0; i + 8 <= in.size(); ++i) {
      if (in.value(i) == 1 && in.value(i + 1) == 1 && in.value(i + 2) == 1 &&
          in.value(i + 3) == 1) {
        std::string next;
        for (std::size_t k = 4; k < 8; ++k) {
          next += in.value(i + k) == 1 ? '+' : (in.value(i + k) == 0 ? '0' : '-');
        }
        throw std::runtime_error("++++ then " + next);
      }
    }
  }
};

TEST(RunKernelIterated, ExceptionIndependentOfStepsPerSync) {
  // Pattern 1, 0, -1, 0, ... with two insertions, in blocks 2 and 5 of 1000 sites:
  // block 2 holds - - - - 0 - 0 - (harmless at step 1; flipped, it alarms at step 2),
  // block 5 holds + + + + + 0 + 0 (alarms at step 1).
  // The step loop fails at step 1 in block 5: "++++ then +0+0". Applying the kernel
  // `steps` times must report that failure whatever steps_per_sync is; with temporal
  // blocking, block 2's failure at step 2 belongs to a later step than block 5's.
  TernaryField x = TernaryField::uninitialized(Shape{40'000});
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int8_t base[4] = {1, 0, -1, 0};
    x.data()[i] = base[i % 4];
  }
  const std::int8_t early[8] = {1, 1, 1, 1, 1, 0, 1, 0};
  const std::int8_t late[8] = {-1, -1, -1, -1, 0, -1, 0, -1};
  std::copy_n(late, 8, x.data() + 2'000);
  std::copy_n(early, 8, x.data() + 5'000);
  std::string step_loop;
  try {
    TernaryField state = dashi_test::copy_of(x.view());
    for (int step = 0; step < 4; ++step) {
      state = dashi::run_kernel_parallel(PatternAlarm{}, state.view(),
                                         {.num_workers = 2, .block_elems = 1'000});
    }
  } catch (const std::runtime_error& error) {
    step_loop = error.what();
  }
  ASSERT_EQ(step_loop, "++++ then +0+0");
  for (const std::size_t spp : {1U, 2U, 3U, 4U}) {
    for (const std::size_t workers : {1U, 8U}) {
      IterateOptions options;
      options.num_workers = workers;
      options.block_elems = 1'000;
      options.steps_per_sync = spp;
      std::string iterated;
      try {
        (void)dashi::run_kernel_iterated(wide_pool(), PatternAlarm{}, x.view(), 4, options);
      } catch (const std::runtime_error& error) {
        iterated = error.what();
      }
      EXPECT_EQ(iterated, step_loop) << "run_kernel_iterated " << describe(options);
      std::string fixed_point;
      try {
        (void)dashi::iterate_to_fixed_point(wide_pool(), PatternAlarm{}, x.view(), 4, options);
      } catch (const std::runtime_error& error) {
        fixed_point = error.what();
      }
      EXPECT_EQ(fixed_point, step_loop) << "iterate_to_fixed_point " << describe(options);
    }
  }
}

/// Radius-1 kernel that runs an iterated kernel on its own block (nested call).
struct NestedIterated {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    IterateOptions options;
    options.block_elems = in.shape().row_elems();
    options.steps_per_sync = 2;
    const TernaryField r = dashi::run_kernel_iterated(kernels::LeftNeighbor{}, in, 1, options);
    std::copy_n(r.data(), r.size(), out.data());
  }
};

TEST(RunKernelIterated, KernelsMayCallTheIteratorThemselves) {
  const TernaryField x = random_field(make_shape({300, 200}), 0.2, 12);
  const TernaryField expected = dashi_test::reference_iterate(kernels::LeftNeighbor{}, x.view(), 4);
  for (const std::size_t workers : {2U, 8U}) {
    IterateOptions options;
    options.num_workers = workers;
    options.block_elems = 200 * 3;
    options.steps_per_sync = 2;
    EXPECT_EQ(dashi::run_kernel_iterated(wide_pool(), NestedIterated{}, x.view(), 4, options),
              expected);
    EXPECT_EQ(dashi::run_kernel_iterated(NestedIterated{}, x.view(), 4, options), expected);
  }
}

TEST(RunKernelIterated, ConcurrentCallersGetTheSameResult) {
  const TernaryField x = random_field(make_shape({200, 250}), 0.2, 13);
  const TernaryField expected =
      dashi_test::reference_iterate(dashi_test::AxisRadius2{}, x.view(), 6);
  std::vector<TernaryField> results(4);
  {
    std::vector<std::jthread> callers;
    for (std::size_t t = 0; t < results.size(); ++t) {
      callers.emplace_back([&, t] {
        IterateOptions options;
        options.steps_per_sync = t + 1;
        options.block_elems = 250 * (t + 1);
        results[t] =
            t % 2 == 0 ? dashi::run_kernel_iterated(dashi_test::AxisRadius2{}, x.view(), 6, options)
                       : dashi::run_kernel_iterated(wide_pool(), dashi_test::AxisRadius2{},
                                                    x.view(), 6, options);
      });
    }
  }
  for (std::size_t t = 0; t < results.size(); ++t) {
    EXPECT_EQ(first_difference(results[t].view(), expected.view()), "") << "caller " << t;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Extreme options: steps_per_sync and halo near SIZE_MAX give the monolithic result.

namespace {

constexpr std::size_t size_max = std::numeric_limits<std::size_t>::max();

TEST(IterateExtremes, HugeStepsPerSyncStillRunsEveryStep) {
  ThreadPool pool(3);
  const TernaryField x = random_field(make_shape({37, 5}), 0.3, 901);
  const dashi::kernels::LeftNeighbor kernel;
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    for (const std::size_t steps : {1U, 2U, 3U, 5U}) {
      const TernaryField expected =
          dashi_test::reference_iterate(kernel, x.view(), steps, boundary);
      for (const std::size_t per_sync : {size_max, size_max - 1, size_max / 2 + 1}) {
        const IterateOptions options{{.block_elems = 40, .boundary = boundary}, per_sync};
        const std::string where = std::string(dashi_test::boundary_name(boundary)) + " steps " +
                                  std::to_string(steps) + " per_sync " + std::to_string(per_sync);
        const TernaryField result =
            dashi::run_kernel_iterated(pool, kernel, x.view(), steps, options);
        EXPECT_EQ(first_difference(result.view(), expected.view()), "") << where;
        TernaryField output = TernaryField::zeros(x.shape());
        TernaryField spare = TernaryField::zeros(x.shape());
        dashi::run_kernel_iterated(pool, kernel, x.view(), steps, output.span(), spare.span(),
                                   options);
        EXPECT_EQ(first_difference(output.view(), expected.view()), "") << "into, " << where;
      }
    }
  }
}

TEST(IterateExtremes, UnboundedFixedPointSearchWithTemporalBlockingConverges) {
  ThreadPool pool(3);
  const dashi::kernels::Majority3x3 kernel;
  const TernaryField x = random_field(make_shape({41, 23}), 0.2, 902);
  const dashi_test::ReferenceFixedPoint expected =
      dashi_test::reference_fixed_point(kernel, x.view(), 10000);
  ASSERT_TRUE(expected.found);
  for (const std::size_t per_sync : {1U, 2U, 8U}) {
    const IterateOptions options{{.block_elems = 23 * 5}, per_sync};
    const dashi::IterationResult result =
        dashi::iterate_to_fixed_point(pool, kernel, x.view(), size_max, options);
    EXPECT_TRUE(result.converged) << "per_sync " << per_sync;
    EXPECT_EQ(result.steps, expected.steps) << "per_sync " << per_sync;
    EXPECT_EQ(first_difference(result.field.view(), expected.state.view()), "")
        << "per_sync " << per_sync;
  }
}

TEST(IterateExtremes, HugeHaloGivesTheRadiusResultOnBothBoundaries) {
  ThreadPool pool(3);
  const dashi::kernels::LeftNeighbor kernel;
  const TernaryField x = random_field(make_shape({7, 3}), 0.3, 903);
  const std::size_t rows = x.shape().rows();
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    const TernaryField one_step = dashi_test::reference_step(kernel, x.view(), boundary, 1);
    const TernaryField four_steps = dashi_test::reference_iterate(kernel, x.view(), 4, boundary);
    for (const std::size_t halo :
         {rows - 1, rows, rows + 1, 3 * rows + 2, size_max / 2, size_max - 1, size_max}) {
      const std::string where =
          std::string(dashi_test::boundary_name(boundary)) + " halo " + std::to_string(halo);
      const dashi::ParallelOptions parallel{.block_elems = 6, .halo = halo, .boundary = boundary};
      const TernaryField once = dashi::run_kernel_parallel(pool, kernel, x.view(), parallel);
      EXPECT_EQ(first_difference(once.view(), one_step.view()), "") << where;
      for (const std::size_t per_sync : {1U, 3U, 64U}) {
        const TernaryField iterated = dashi::run_kernel_iterated(
            pool, kernel, x.view(), 4, IterateOptions{parallel, per_sync});
        EXPECT_EQ(first_difference(iterated.view(), four_steps.view()), "")
            << where << " per_sync " << per_sync;
      }
    }
  }
}

}  // namespace
