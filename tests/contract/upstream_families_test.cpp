// SPDX-License-Identifier: Apache-2.0
// Ports of the CPU-relevant test families of the Python reference (dashiCORE tests/):
// carrier, kernel, kernel invariants, kernel partitioning and violations. Each test is named
// after the Python test it ports (CamelCase of `test_<name>`, the Python path in a comment).
// The Python ValueError maps to dashi::CarrierError for carriers and to
// dashi::KernelContractError for kernel outputs.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <dashi/execution/cpu_parallel.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

/// The Python `Carrier.support` of a field.
std::vector<bool> support_of(TernaryView v) {
  std::vector<bool> s(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    s[i] = v.support(i);
  }
  return s;
}

/// The Python `Carrier.sign` of a field.
std::vector<int> sign_of(TernaryView v) {
  std::vector<int> s(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    s[i] = v.sign(i);
  }
  return s;
}

/// `Carrier.validate()` on a kernel output: every value a trit, and the support/sign
/// factorisation rebuilds the same field.
void expect_valid_carrier(TernaryView v, const std::string& context) {
  std::vector<std::uint8_t> support(v.size());
  std::vector<std::int8_t> sign(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    support[i] = v.support(i) ? 1 : 0;
    sign[i] = static_cast<std::int8_t>(v.sign(i));
  }
  EXPECT_NO_THROW({
    const TernaryField rebuilt = TernaryField::from_support_sign(support, sign, v.shape());
    EXPECT_TRUE(rebuilt.view() == v) << context;
  }) << context;
}

/// L1 defect `sum |pre - post|` (the Python defect.aggregate(local(pre, post))), computed
/// here only to port the kernel tests that are phrased with it.
std::size_t l1_defect(TernaryView pre, TernaryView post) {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < pre.size(); ++i) {
    sum += static_cast<std::size_t>(std::abs(pre.value(i) - post.value(i)));
  }
  return sum;
}

// ========================================================================================
// tests/carrier/test_carrier.py

// test_carrier.py::test_carrier_from_signed_roundtrip
TEST(UpstreamCarrier, CarrierFromSignedRoundtrip) {
  const std::vector<std::int8_t> signed_values{-1, 0, 1, 1, 0, -1};
  const TernaryField carrier =
      TernaryField::from_signed(std::span<const std::int8_t>(signed_values));
  EXPECT_EQ(carrier.to_signed(), signed_values);
}

// test_carrier.py::test_carrier_support_sign_separation
TEST(UpstreamCarrier, CarrierSupportSignSeparation) {
  const TernaryField carrier = TernaryField::from_signed({-1, 0, 1});
  EXPECT_EQ(support_of(carrier), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(sign_of(carrier), (std::vector<int>{-1, 0, 1}));
  for (std::size_t i = 0; i < carrier.size(); ++i) {
    if (carrier.support(i)) {
      EXPECT_TRUE(carrier.sign(i) == -1 || carrier.sign(i) == 1) << i;
    } else {
      EXPECT_EQ(carrier.sign(i), 0) << i;
    }
  }
}

// test_carrier.py::test_carrier_rejects_illegal_values
TEST(UpstreamCarrier, CarrierRejectsIllegalValues) {
  const std::vector<std::int8_t> signed_values{2, -2, 42};
  EXPECT_THROW((void)TernaryField::from_signed(std::span<const std::int8_t>(signed_values)),
               CarrierError);
  EXPECT_THROW((void)TernaryField::from_signed({2, -2, 42}), CarrierError);
}

// test_carrier.py::test_carrier_shape_preservation (the Python 2×2 case, and a (4, 3, 2)
// shape)
TEST(UpstreamCarrier, CarrierShapePreservation) {
  const TernaryField two_d = TernaryField::from_signed({1, 0, -1, 0}, Shape{2, 2});
  EXPECT_EQ(two_d.shape(), (Shape{2, 2}));
  const TernaryField three_d = dashi_test::random_field(Shape{4, 3, 2}, 0.3, 1);
  EXPECT_EQ(three_d.shape(), (Shape{4, 3, 2}));
  const TernaryField rebuilt =
      TernaryField::from_signed(std::span<const std::int8_t>(three_d.to_signed()), Shape{4, 3, 2});
  EXPECT_EQ(rebuilt.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(rebuilt, three_d);
  // Kernels keep it, in one piece or block-parallel.
  EXPECT_EQ(dashi::apply_kernel(kernels::SignFlip{}, three_d).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(
      dashi::run_kernel_parallel(kernels::LeftNeighbor{}, three_d, {.block_elems = 5}).shape(),
      (Shape{4, 3, 2}));
}

// ========================================================================================
// tests/kernel/test_kernel.py (mock kernels of dashi_core/testing/mock_kernels.py)

TernaryField sample_state() { return TernaryField::from_signed({1, 0, -1, 1}, Shape{2, 2}); }

// test_kernel.py::test_kernel_shape_preserving
TEST(UpstreamKernel, KernelShapePreserving) {
  const TernaryField state = sample_state();
  EXPECT_EQ(dashi::apply_kernel(dashi_test::IdentityKernel{}, state).shape(), state.shape());
  EXPECT_EQ(dashi::apply_kernel(dashi_test::ZeroKernel{}, state).shape(), state.shape());
  EXPECT_EQ(dashi::apply_kernel(kernels::Clamp{}, state).shape(), state.shape());
  EXPECT_EQ(dashi::apply_kernel(dashi_test::OneStepErodeKernel{}, state).shape(), state.shape());
  EXPECT_EQ(dashi::apply_kernel(dashi_test::AdmissibilityNeutralKernel{}, state).shape(),
            state.shape());
}

// test_kernel.py::test_kernel_valid_output
TEST(UpstreamKernel, KernelValidOutput) {
  const TernaryField state = sample_state();
  expect_valid_carrier(dashi::apply_kernel(dashi_test::ZeroKernel{}, state), "ZeroKernel");
  expect_valid_carrier(dashi::apply_kernel(kernels::Clamp{}, state), "ClampKernel");
  const TernaryField eroded = dashi::apply_kernel(dashi_test::OneStepErodeKernel{}, state);
  expect_valid_carrier(eroded, "OneStepErodeKernel");
  // Erode clears exactly the first supported site in row-major order.
  EXPECT_EQ(eroded, TernaryField::from_signed({0, 0, -1, 1}, Shape{2, 2}));
}

// test_kernel.py::test_kernel_fixed_point_zero_defect
TEST(UpstreamKernel, KernelFixedPointZeroDefect) {
  const TernaryField state = sample_state();
  const TernaryField post = dashi::apply_kernel(dashi_test::IdentityKernel{}, state);
  EXPECT_EQ(l1_defect(state, post), 0U);
  EXPECT_EQ(post, state);
  // And a kernel that moves the state has a positive defect.
  EXPECT_GT(l1_defect(state, dashi::apply_kernel(dashi_test::OneStepErodeKernel{}, state)), 0U);
}

// test_kernel.py::test_kernel_idempotence_if_declared
TEST(UpstreamKernel, KernelIdempotenceIfDeclared) {
  const TernaryField state = sample_state();
  const TernaryField first = dashi::apply_kernel(kernels::Clamp{}, state);
  const TernaryField second = dashi::apply_kernel(kernels::Clamp{}, first);
  EXPECT_EQ(l1_defect(first, second), 0U);
  EXPECT_EQ(first, second);
}

// ========================================================================================
// tests/kernel/test_kernel_invariants.py

// test_kernel_invariants.py::test_carrier_closure_and_totality
TEST(UpstreamKernelInvariants, CarrierClosureAndTotality) {
  const TernaryField carrier = TernaryField::from_signed({1, 0, -1, 1});
  const TernaryField out = dashi::apply_kernel(kernels::SignFlip{}, carrier);
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_TRUE(out.value(i) >= -1 && out.value(i) <= 1) << i;
  }
  EXPECT_EQ(support_of(out), support_of(carrier));
  // Also on large random fields, block-parallel.
  const TernaryField big = dashi_test::random_field(Shape{100000}, 0.3, 2);
  const TernaryField big_out =
      dashi::run_kernel_parallel(kernels::SignFlip{}, big, {.block_elems = 777});
  EXPECT_EQ(support_of(big_out), support_of(big));
}

// test_kernel_invariants.py::test_support_monotonicity_neighbor_kernel
TEST(UpstreamKernelInvariants, SupportMonotonicityNeighborKernel) {
  const std::vector<std::uint8_t> support{1, 0, 1};
  const std::vector<std::int8_t> sign{1, 0, -1};
  const TernaryField carrier = TernaryField::from_support_sign(support, sign, Shape{3});
  const TernaryField out = dashi::apply_kernel(kernels::LeftNeighbor{}, carrier);
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_LE(out.support(i), carrier.support(i)) << i;
  }
  EXPECT_EQ(support_of(out), (std::vector<bool>{true, false, true}));
  // Random fields, block-parallel: out ≤ in everywhere.
  const TernaryField big = dashi_test::random_field(Shape{70001}, 0.4, 3);
  const TernaryField big_out =
      dashi::run_kernel_parallel(kernels::LeftNeighbor{}, big, {.block_elems = 1000});
  for (std::size_t i = 0; i < big.size(); ++i) {
    ASSERT_LE(big_out.support(i), big.support(i)) << i;
  }
}

// test_kernel_invariants.py::test_involution_sign_flip
TEST(UpstreamKernelInvariants, InvolutionSignFlip) {
  const TernaryField carrier = TernaryField::from_signed({1, -1, 0, 1});
  const TernaryField once = dashi::apply_kernel(kernels::SignFlip{}, carrier);
  const TernaryField twice = dashi::apply_kernel(kernels::SignFlip{}, once);
  EXPECT_EQ(twice.to_signed(), carrier.to_signed());
  EXPECT_EQ(support_of(twice), support_of(carrier));
  EXPECT_FALSE(once == carrier);  // an involution, not the identity
  const TernaryField big = dashi_test::random_field(Shape{333, 333}, 0.3, 4);
  const dashi::ParallelOptions options{.block_elems = 1000};
  EXPECT_EQ(dashi::run_kernel_parallel(
                kernels::SignFlip{}, dashi::run_kernel_parallel(kernels::SignFlip{}, big, options),
                options),
            big);
}

// test_kernel_invariants.py::test_idempotent_clamp (ClampNonnegative in the Python test;
// the shipped Clamp too)
TEST(UpstreamKernelInvariants, IdempotentClamp) {
  const TernaryField carrier = TernaryField::from_signed({1, -1, -1, 0});
  const TernaryField once = dashi::apply_kernel(kernels::ClampNonnegative{}, carrier);
  const TernaryField twice = dashi::apply_kernel(kernels::ClampNonnegative{}, once);
  EXPECT_EQ(twice.to_signed(), once.to_signed());
  EXPECT_EQ(support_of(twice), support_of(once));
  EXPECT_EQ(once, TernaryField::from_signed({1, 0, 0, 0}));
  const TernaryField big = dashi_test::random_field(Shape{50000}, 0.3, 5);
  for (const auto& [name, once_big, twice_big] :
       {std::tuple{"ClampNonnegative", dashi::apply_kernel(kernels::ClampNonnegative{}, big),
                   dashi::apply_kernel(kernels::ClampNonnegative{},
                                       dashi::apply_kernel(kernels::ClampNonnegative{}, big))},
        std::tuple{
            "Clamp", dashi::apply_kernel(kernels::Clamp{}, big),
            dashi::apply_kernel(kernels::Clamp{}, dashi::apply_kernel(kernels::Clamp{}, big))}}) {
    EXPECT_EQ(once_big, twice_big) << name;
  }
}

// test_kernel_invariants.py::test_purity_repeatability
TEST(UpstreamKernelInvariants, PurityRepeatability) {
  const TernaryField carrier = TernaryField::from_signed({1, -1, 0, 1});
  const TernaryField copy = carrier;
  std::vector<TernaryField> outs;
  for (int run = 0; run < 5; ++run) {
    outs.push_back(dashi::apply_kernel(kernels::ClampNonnegative{}, carrier));
  }
  for (const auto& out : outs) {
    EXPECT_EQ(out.to_signed(), outs.front().to_signed());
    EXPECT_EQ(support_of(out), support_of(outs.front()));
  }
  EXPECT_EQ(carrier, copy);
  // The executor is just as repeatable, on a field large enough to be multi-threaded.
  const TernaryField big = dashi_test::random_field(Shape{120000}, 0.3, 6);
  const TernaryField first =
      dashi::run_kernel_parallel(kernels::ClampNonnegative{}, big, {.block_elems = 999});
  for (int run = 0; run < 5; ++run) {
    EXPECT_EQ(dashi::run_kernel_parallel(kernels::ClampNonnegative{}, big, {.block_elems = 999}),
              first);
  }
}

// test_kernel_invariants.py::test_defect_monotonicity_under_clamp
TEST(UpstreamKernelInvariants, DefectMonotonicityUnderClamp) {
  const TernaryField carrier = TernaryField::from_signed({1, -1, -1, 1});
  const TernaryField post = dashi::apply_kernel(kernels::ClampNonnegative{}, carrier);
  const TernaryField post_twice = dashi::apply_kernel(kernels::ClampNonnegative{}, post);
  EXPECT_GE(l1_defect(carrier, post), l1_defect(post, post_twice));
  EXPECT_EQ(l1_defect(carrier, post), 2U);  // two -1 sites moved to 0
}

// test_kernel_invariants.py::test_validate_kernel_output_blocks_support_creation
TEST(UpstreamKernelInvariants, ValidateKernelOutputBlocksSupportCreation) {
  const TernaryField carrier = TernaryField::from_signed({1, 0});
  EXPECT_THROW((void)dashi::apply_kernel(dashi_test::FillOnesKernel{}, carrier),
               KernelContractError);
  EXPECT_THROW((void)dashi::run_kernel_parallel(dashi_test::FillOnesKernel{}, carrier),
               KernelContractError);
  const auto bad_functional = [](TernaryView in) {
    std::vector<int> ones(in.size(), 1);
    return TernaryField::from_signed(ones, in.shape());
  };
  EXPECT_THROW((void)dashi::apply_kernel(bad_functional, carrier), KernelContractError);
  EXPECT_THROW((void)dashi::run_kernel_parallel(bad_functional, carrier), KernelContractError);
}

// ========================================================================================
// tests/kernel/test_kernel_partitioning.py

// The Python `_split_contiguous` + kernel + `_recombine` is dashi_test::blockwise:
// split_with_halo, crop_halo and recombine, running the blocks in a given order.
// test_kernel_partitioning.py::test_disjoint_partition_equivalence
TEST(UpstreamKernelPartitioning, DisjointPartitionEquivalence) {
  const TernaryField carrier = TernaryField::from_signed({1, -1, 0, 1, -1, 1, 0, -1});
  const TernaryField full = dashi::apply_kernel(kernels::SignFlip{}, carrier);
  // num_blocks = 4 → block_size = ceil(8 / 4) = 2.
  ASSERT_EQ(dashi::split_with_halo(carrier, 2, 0).size(), 4U);
  const TernaryField recombined =
      blockwise(kernels::SignFlip{}, carrier, 2, 0, dashi_test::forward_order(4));
  EXPECT_EQ(recombined.to_signed(), full.to_signed());
  EXPECT_EQ(support_of(recombined), support_of(full));
  EXPECT_EQ(dashi::run_kernel_parallel(kernels::SignFlip{}, carrier,
                                       {.num_workers = 4, .block_elems = 2}),
            full);
}

// test_kernel_partitioning.py::test_scheduling_invariance
TEST(UpstreamKernelPartitioning, SchedulingInvariance) {
  const TernaryField carrier = TernaryField::from_signed({1, -1, 0, 1, -1, 1, 0, -1});
  const auto orders = dashi_test::block_orders(4);  // forward, reversed, 3 seeded shuffles
  ASSERT_EQ(orders.size(), 5U);
  const TernaryField first = blockwise(kernels::SignFlip{}, carrier, 2, 0, orders.front().order);
  dashi::ThreadPool pool(4);
  for (const auto& order : orders) {
    const TernaryField out = blockwise(kernels::SignFlip{}, carrier, 2, 0, order.order);
    EXPECT_EQ(out.to_signed(), first.to_signed()) << order.name;
    EXPECT_EQ(support_of(out), support_of(first)) << order.name;
    TernaryField parallel = TernaryField::zeros(carrier.shape());
    dashi::detail::run_kernel_parallel_ordered(pool, kernels::SignFlip{}, carrier, parallel.span(),
                                               {.num_workers = 4, .block_elems = 2}, order.order);
    EXPECT_EQ(parallel, first) << order.name;
  }
}

// test_kernel_partitioning.py::test_halo_partition_equivalence
TEST(UpstreamKernelPartitioning, HaloPartitionEquivalence) {
  const TernaryField carrier = TernaryField::from_signed({1, 0, -1, 1, -1, 0, 1});
  const TernaryField full = dashi::apply_kernel(kernels::LeftNeighbor{}, carrier);
  const TernaryField recombined =
      blockwise(kernels::LeftNeighbor{}, carrier, 3, 1, dashi_test::forward_order(3));
  EXPECT_EQ(recombined.to_signed(), full.to_signed());
  EXPECT_EQ(support_of(recombined), support_of(full));
  EXPECT_EQ(
      dashi::run_kernel_parallel(kernels::LeftNeighbor{}, carrier, {.block_elems = 3, .halo = 1}),
      full);
  // Without the halo the seams are wrong: site 3 loses its left neighbour.
  EXPECT_FALSE(blockwise(kernels::LeftNeighbor{}, carrier, 3, 0, dashi_test::forward_order(3)) ==
               full);
}

// The Python package's test_kernel_parallel_cpu, named but never written there
// (docs/design.md §0): the pool runner equals the monolithic run.
TEST(UpstreamKernelPartitioning, KernelParallelCpu) {
  const TernaryField x = dashi_test::random_field(Shape{100000}, 0.5, 9);
  dashi::ThreadPool pool(4);
  EXPECT_EQ(dashi::run_kernel_parallel(pool, kernels::SignFlip{}, x, {.num_workers = 4}),
            dashi::apply_kernel(kernels::SignFlip{}, x));
  EXPECT_EQ(dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, x,
                                       {.num_workers = 4, .block_elems = 4096, .halo = 1}),
            dashi::apply_kernel(kernels::LeftNeighbor{}, x));
}

// ========================================================================================
// tests/violations/

// violations/test_illegal_carrier_states.py::test_illegal_carrier_states_rejected
TEST(UpstreamViolations, IllegalCarrierStatesRejected) {
  const std::vector<std::uint8_t> support{1, 1};
  const std::vector<std::int8_t> sign{2, 0};
  EXPECT_THROW((void)TernaryField::from_support_sign(support, sign, Shape{2}), CarrierError);
  // The digest's second case: sign 0 on a supported site.
  const std::vector<std::int8_t> zero_on_support{1, 0};
  EXPECT_THROW((void)TernaryField::from_support_sign(support, zero_on_support, Shape{2}),
               CarrierError);
}

// violations/test_shape_drift.py::test_shape_drift_detected
TEST(UpstreamViolations, ShapeDriftDetected) {
  const TernaryField state = TernaryField::from_signed({1, 0});
  EXPECT_THROW((void)dashi::apply_kernel(dashi_test::WrongShapeKernel{}, state),
               KernelContractError);
  EXPECT_THROW((void)dashi::run_kernel_parallel(dashi_test::WrongShapeKernel{}, state),
               KernelContractError);
  const TernaryField big = dashi_test::random_field(Shape{100000}, 0.3, 10);
  EXPECT_THROW(
      (void)dashi::run_kernel_parallel(dashi_test::WrongShapeKernel{}, big, {.block_elems = 1000}),
      KernelContractError);
}

// violations/test_support_creation.py::test_kernel_must_not_create_support
TEST(UpstreamViolations, KernelMustNotCreateSupport) {
  const TernaryField empty = TernaryField::zeros(Shape{2, 2});
  EXPECT_THROW((void)dashi::apply_kernel(dashi_test::FillOnesKernel{}, empty), KernelContractError);
  EXPECT_THROW((void)dashi::run_kernel_parallel(dashi_test::FillOnesKernel{}, empty),
               KernelContractError);
}

// violations/test_support_sign_collapse.py::test_support_sign_collapse_rejected
TEST(UpstreamViolations, SupportSignCollapseRejected) {
  const std::vector<double> bad{0.2, -0.7, 0.0};
  EXPECT_THROW((void)TernaryField::from_signed(bad), CarrierError);
}

}  // namespace
