// SPDX-License-Identifier: Apache-2.0
// <dashi/pq/adapters.hpp>: the packed executor's options and errors, huge halos on both
// boundaries, and the round-trip kernel. References are computed densely and by hand
// (support/references.hpp pads periodic fields independently of the executor).

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/compare.hpp"
#include "support/fields.hpp"

namespace {

using namespace dashi_test;

namespace pq = dashi::pq;

constexpr std::size_t huge = std::numeric_limits<std::size_t>::max();

ThreadPool& pool() { return dashi_test::pool_of(3); }

TernaryField packed_run(const auto& kernel, const TernaryField& field, ParallelOptions options,
                        std::uint32_t block_sites = 64) {
  const pq::PackedField packed = pq::encode(field.view(), {.block_sites = block_sites});
  const pq::PackedField result = dashi::run_kernel_parallel(pool(), kernel, packed, options);
  EXPECT_EQ(result.block_sites(), block_sites);
  return pq::decode(result);
}

TEST(PqAdapters, ClipHaloBeyondTheFieldIsClipped) {
  const TernaryField field = dashi_test::random_field(Shape{37, 5}, 0.4, 11);
  const dashi_test::AxisStencil2 kernel;
  const TernaryField expected = dashi::apply_kernel(kernel, field.view());
  for (const std::size_t halo : {std::size_t{2}, std::size_t{36}, std::size_t{37},
                                 std::size_t{1000}, huge / 2, huge - 1, huge}) {
    for (const std::size_t block_elems : {std::size_t{1}, std::size_t{64}, std::size_t{0}}) {
      const ParallelOptions options{
          .num_workers = 3, .block_elems = block_elems, .halo = halo, .boundary = Boundary::clip};
      const TernaryField got = packed_run(kernel, field, options);
      ASSERT_EQ(dashi_test::first_difference(got.view(), expected.view()), "")
          << "halo " << halo << ", block_elems " << block_elems;
    }
  }
}

TEST(PqAdapters, PeriodicHaloWrapsAsManyTimesAsItMust) {
  const TernaryField field = dashi_test::random_field(Shape{9, 7}, 0.5, 12);
  const dashi_test::CrossStencil kernel;
  for (const std::size_t halo :
       {std::size_t{1}, std::size_t{8}, std::size_t{9}, std::size_t{3 * 9 + 1}, std::size_t{100}}) {
    const TernaryField expected = dashi_test::periodic_reference(kernel, field.view(), halo);
    for (const std::size_t block_elems : {std::size_t{1}, std::size_t{0}}) {
      const ParallelOptions options{.num_workers = 2,
                                    .block_elems = block_elems,
                                    .halo = halo,
                                    .boundary = Boundary::periodic};
      const TernaryField got = packed_run(kernel, field, options);
      ASSERT_EQ(dashi_test::first_difference(got.view(), expected.view()), "")
          << "halo " << halo << ", block_elems " << block_elems;
    }
  }
}

TEST(PqAdapters, PeriodicHaloLargerThanMemoryThrowsInvalidArgument) {
  const TernaryField field = dashi_test::random_field(Shape{9, 7}, 0.5, 13);
  for (const std::size_t halo : {huge, huge - 1, huge / 2, huge / 4, huge / 14}) {
    const ParallelOptions options{.num_workers = 2, .halo = halo, .boundary = Boundary::periodic};
    EXPECT_THROW((void)packed_run(dashi_test::CrossStencil{}, field, options),
                 std::invalid_argument)
        << "halo " << halo;
  }
}

TEST(PqAdapters, HaloBelowTheRadiusIsRejected) {
  const TernaryField field = dashi_test::random_field(Shape{8, 8}, 0.5, 14);
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    try {
      (void)packed_run(dashi_test::AxisStencil2{}, field, {.halo = 1, .boundary = boundary});
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("radius 2"), std::string::npos) << error.what();
    }
  }
}

TEST(PqAdapters, ContractViolationNamesTheBlockLikeTheDenseExecutor) {
  const TernaryField field = dashi_test::random_field(Shape{4096}, 0.5, 15);
  const ParallelOptions options{.num_workers = 2, .block_elems = 512};
  std::string dense_message;
  try {
    (void)dashi::run_kernel_parallel(pool(), dashi_test::FillOnesKernel{}, field.view(), options);
  } catch (const dashi::KernelContractError& error) {
    dense_message = error.what();
  }
  ASSERT_FALSE(dense_message.empty());
  try {
    (void)packed_run(dashi_test::FillOnesKernel{}, field, options);
    ADD_FAILURE() << "no exception";
  } catch (const dashi::KernelContractError& error) {
    EXPECT_EQ(std::string(error.what()), dense_message);
  }
  // Without the check the kernel's output is packed as it is.
  ParallelOptions unchecked = options;
  unchecked.check_contract = false;
  const TernaryField ones = packed_run(dashi_test::FillOnesKernel{}, field, unchecked);
  const std::vector<std::int8_t> all_ones(field.size(), 1);
  const TernaryField expected =
      TernaryField::from_signed(std::span<const std::int8_t>(all_ones), field.shape());
  EXPECT_EQ(dashi_test::first_difference(ones.view(), expected.view()), "");
}

TEST(PqAdapters, EmptyFieldsGiveEmptyPackedFields) {
  for (const Shape shape : {Shape{0}, Shape{0, 5}, Shape{4, 0}}) {
    const TernaryField field = TernaryField::zeros(shape);
    const TernaryField got = packed_run(dashi_test::CrossStencil{}, field, {.halo = huge});
    EXPECT_EQ(got.shape(), shape);
  }
}

TEST(PqAdapters, RoundtripKernelIsObservationallyTheKernel) {
  const TernaryField field = dashi_test::random_field(Shape{33, 17}, 0.3, 16);
  for (const std::uint32_t block : {64U, 128U, 4096U}) {
    const auto wrapped = pq::roundtrip(dashi::kernels::Majority3x3{}, {.block_sites = block});
    static_assert(decltype(wrapped)::radius == dashi::kernel_radius_v<dashi::kernels::Majority3x3>);
    const TernaryField expected = dashi::apply_kernel(dashi::kernels::Majority3x3{}, field.view());
    const TernaryField got = dashi::apply_kernel(wrapped, field.view());
    ASSERT_EQ(dashi_test::first_difference(got.view(), expected.view()), "") << block;
    const TernaryField parallel = dashi::run_kernel_parallel(
        pool(), wrapped, field.view(), {.num_workers = 3, .block_elems = 5 * 17});
    ASSERT_EQ(dashi_test::first_difference(parallel.view(), expected.view()), "") << block;
  }
}

TEST(PqAdapters, RoundtripRejectsABadBlockSize) {
  const TernaryField field = dashi_test::random_field(Shape{8}, 0.5, 17);
  const auto wrapped = pq::roundtrip(dashi::kernels::SignFlip{}, {.block_sites = 100});
  EXPECT_THROW((void)dashi::apply_kernel(wrapped, field.view()), std::invalid_argument);
}

}  // namespace
