// SPDX-License-Identifier: Apache-2.0
// Contract of the packed executor (<dashi/pq/adapters.hpp>, docs/design.md §5): for every
// worker count, block size, PQ block size and boundary, the packed result is byte for byte
// `encode` of the monolithic dense result (the kernel applied to the whole field, or to
// the field padded periodically by hand), with the input's block size.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <string>
#include <vector>

#include "support/compare.hpp"
#include "support/fields.hpp"

namespace {

using namespace dashi_test;

namespace pq = dashi::pq;

template <class K>
void sweep(const K& kernel, const std::string& name) {
  // Fields above 2^15 sites run on several threads; smaller ones on the calling thread.
  const std::vector<Shape> shapes = {Shape{1000}, Shape{37, 29}, Shape{9, 8, 7}, Shape{3, 64},
                                     Shape{301, 203}};
  std::uint64_t seed = 100;
  for (const Shape& shape : shapes) {
    const TernaryField field = dashi_test::random_field(shape, 0.4, seed++);
    for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
      const std::size_t halo = dashi::kernel_radius_v<K>;
      const TernaryField reference =
          boundary == Boundary::clip ? dashi::apply_kernel(kernel, field.view())
                                     : dashi_test::periodic_reference(kernel, field.view(), halo);
      for (const std::uint32_t block : {64U, 128U, 4096U}) {
        const pq::PackedField input = pq::encode(field.view(), {.block_sites = block});
        const pq::PackedField expected = pq::encode(reference.view(), {.block_sites = block});
        for (const std::size_t workers : {1U, 2U, 3U, 8U}) {
          for (const std::size_t block_elems : {std::size_t{1}, std::size_t{317}, std::size_t{0}}) {
            const ParallelOptions options{
                .num_workers = workers, .block_elems = block_elems, .boundary = boundary};
            const pq::PackedField got =
                dashi::run_kernel_parallel(wide_pool(), kernel, input, options);
            ASSERT_TRUE(got == expected)
                << name << " " << shape.to_string() << " B=" << block << " "
                << dashi_test::describe(options) << ": "
                << dashi_test::first_difference(pq::decode(got).view(), reference.view());
            ASSERT_EQ(pq::to_bytes(got), pq::to_bytes(expected));
          }
        }
      }
    }
  }
}

TEST(PqPackedExecutor, SignFlipMatchesTheMonolithicRunByteForByte) {
  sweep(dashi::kernels::SignFlip{}, "SignFlip");
}

TEST(PqPackedExecutor, RadiusOneStencilMatchesTheMonolithicRunByteForByte) {
  sweep(dashi_test::CrossStencil{}, "CrossStencil");
}

TEST(PqPackedExecutor, RadiusTwoStencilMatchesTheMonolithicRunByteForByte) {
  sweep(dashi_test::AxisStencil2{}, "AxisStencil2");
}

TEST(PqPackedExecutor, CheckedRadiusZeroKernelMatchesMonolithicRunByteForByte) {
  sweep(dashi_test::RowMajority{}, "RowMajority");
}

TEST(PqPackedExecutor, FunctionalKernelMatchesTheMonolithicRunByteForByte) {
  sweep(dashi_test::FunctionalRightProduct{}, "FunctionalRightProduct");
}

TEST(PqPackedExecutor, DefaultPoolOverloadMatchesThePoolOverload) {
  const TernaryField field = dashi_test::random_field(Shape{300, 50}, 0.5, 7);
  const pq::PackedField input = pq::encode(field.view(), {.block_sites = 256});
  const ParallelOptions options{.num_workers = 2, .block_elems = 1000};
  EXPECT_TRUE(
      dashi::run_kernel_parallel(dashi::kernels::Majority3x3{}, input, options) ==
      dashi::run_kernel_parallel(wide_pool(), dashi::kernels::Majority3x3{}, input, options));
}

}  // namespace
