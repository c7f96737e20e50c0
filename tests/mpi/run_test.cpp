// SPDX-License-Identifier: Apache-2.0
// run_kernel_distributed and run_kernel_iterated_distributed: every rank's rows equal the
// matching rows of the single-process result, which each rank computes itself from the same
// seeded global field (no gathering). Sweeps: splits × boundaries × kernels (pointwise,
// radius 1 and 2, 2-D stencils, functional form, compose, an unproven kernel) × workers and
// block sizes that differ between ranks × steps and steps_per_sync.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstddef>
#include <dashi/execution/iterate.hpp>
#include <dashi/mpi.hpp>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::SlabLayout;

dashi::ThreadPool& rank_pool() { return dashi_test::pool_of(2); }

/// Options of variant `v` on this rank: workers and block sizes differ between ranks (one
/// row, an odd number of sites, automatic).
template <class Options>
Options rank_options(std::size_t v, const Shape& shape, Boundary boundary) {
  const auto r = static_cast<std::size_t>(world_rank()) + v;
  const std::size_t row = shape.row_elems();
  const std::size_t blocks[3] = {row, 3 * row + 1, 0};
  Options options;
  options.num_workers = 1 + r % 3;
  options.block_elems = blocks[r % 3];
  options.boundary = boundary;
  return options;
}

/// True when every rank's slab can send `depth` rows (the executors reject it otherwise).
bool split_fits(const SlabLayout& layout, std::size_t depth, Boundary boundary) {
  if (depth == 0 || (layout.size() == 1 && boundary == Boundary::clip)) {
    return true;
  }
  for (int r = 0; r < layout.size(); ++r) {
    if (layout.row_count(r) < depth) {
      return false;
    }
  }
  return true;
}

std::string where(const std::string& kernel, const Shape& shape, const std::string& split,
                  Boundary boundary, std::size_t v) {
  return kernel + " shape " + shape.to_string() + " split " + split +
         (boundary == Boundary::clip ? " clip" : " periodic") + " variant " + std::to_string(v) +
         " at " + std::to_string(world_size()) + " ranks";
}

template <class K>
void sweep_single(const std::string& name, const K& kernel, const Shape& shape,
                  std::size_t halo_extra = 0) {
  const TernaryField global = dashi_test::random_field(shape, 0.3, 1000 + shape.size());
  const std::size_t halo = dashi::kernel_radius_v<K> + halo_extra;
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    const TernaryField expected = dashi_test::reference_iterate(kernel, global, 1, boundary, halo);
    for (const auto& split : dashi_test::splits(shape.rows(), world_size(), halo == 0)) {
      const SlabLayout layout = dashi_test::make_layout(shape, split);
      if (!split_fits(layout, halo, boundary)) {
        continue;
      }
      const TernaryView local = dashi_test::my_rows(layout, global);
      for (std::size_t v = 0; v < 3; ++v) {
        auto options = rank_options<dashi::ParallelOptions>(v, shape, boundary);
        if (halo_extra != 0) {
          options.halo = halo;
        }
        const TernaryField mine =
            v == 2
                ? dashi::mpi::run_kernel_distributed(layout, kernel, local, options)
                : dashi::mpi::run_kernel_distributed(rank_pool(), layout, kernel, local, options);
        EXPECT_EQ(dashi_test::my_rows_differ(layout, mine, expected), "")
            << where(name, shape, split.name, boundary, v);
      }
    }
  }
}

TEST(RunKernelDistributed, PointwiseKernels) {
  sweep_single("SignFlip", dashi::kernels::SignFlip{}, Shape{61});
  sweep_single("SignFlip", dashi::kernels::SignFlip{}, Shape{29, 13});
  sweep_single("RowMajority", dashi_test::RowMajority{}, Shape{23, 9});
  sweep_single("FunctionalSignFlip", dashi_test::FunctionalSignFlip{}, Shape{17, 3, 4});
}

TEST(RunKernelDistributed, StencilsAlongAxis0) {
  sweep_single("LeftNeighbor", dashi::kernels::LeftNeighbor{}, Shape{61});
  sweep_single("LeftNeighbor", dashi::kernels::LeftNeighbor{}, Shape{19, 3, 2});
  sweep_single("AxisStencil2", dashi_test::AxisStencil2{}, Shape{61});
  sweep_single("AxisStencil2", dashi_test::AxisStencil2{}, Shape{27, 5});
  sweep_single("FunctionalRightProduct", dashi_test::FunctionalRightProduct{}, Shape{25, 6});
}

TEST(RunKernelDistributed, TwoDimensionalStencils) {
  sweep_single("Majority3x3", dashi::kernels::Majority3x3{}, Shape{29, 13});
  sweep_single("CrossStencil", dashi_test::CrossStencil{}, Shape{26, 11});
}

TEST(RunKernelDistributed, ComposeAndWiderHalo) {
  sweep_single("compose(LeftNeighbor, AxisStencil2)",
               dashi::compose(dashi::kernels::LeftNeighbor{}, dashi_test::AxisStencil2{}),
               Shape{47, 3});
  sweep_single("Majority3x3 with halo 3", dashi::kernels::Majority3x3{}, Shape{40, 9}, 2);
}

TEST(RunKernelDistributed, EmptyField) {
  const Shape shape{0, 5};
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryField local = TernaryField::zeros(layout.local_shape());
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    const TernaryField mine = dashi::mpi::run_kernel_distributed(
        layout, dashi::kernels::Majority3x3{}, local, {.boundary = boundary});
    EXPECT_EQ(mine.shape(), layout.local_shape());
  }
}

template <class K>
void sweep_iterated(const std::string& name, const K& kernel, const Shape& shape) {
  const TernaryField global = dashi_test::random_field(shape, 0.25, 77 + shape.size());
  const std::size_t halo = dashi::kernel_radius_v<K>;
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    for (const std::size_t steps : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
      const TernaryField expected =
          dashi_test::reference_iterate(kernel, global, steps, boundary, halo);
      for (const std::size_t per_sync :
           {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{8}}) {
        for (const auto& split : dashi_test::splits(shape.rows(), world_size(), false)) {
          const SlabLayout layout = dashi_test::make_layout(shape, split);
          if (!split_fits(layout, halo * std::min(steps, per_sync), boundary)) {
            continue;
          }
          const TernaryView local = dashi_test::my_rows(layout, global);
          const std::size_t v = (steps + per_sync) % 3;
          auto options = rank_options<dashi::IterateOptions>(v, shape, boundary);
          options.steps_per_sync = per_sync;
          const TernaryField mine = dashi::mpi::run_kernel_iterated_distributed(
              rank_pool(), layout, kernel, local, steps, options);
          EXPECT_EQ(dashi_test::my_rows_differ(layout, mine, expected), "")
              << where(name, shape, split.name, boundary, v) << " steps " << steps
              << " steps_per_sync " << per_sync;
        }
      }
    }
  }
}

TEST(RunKernelIteratedDistributed, EqualsStepByStepForEveryStepsPerSync) {
  sweep_iterated("LeftNeighbor", dashi::kernels::LeftNeighbor{}, Shape{160});
  sweep_iterated("AxisStencil2", dashi_test::AxisStencil2{}, Shape{150, 2});
  sweep_iterated("Majority3x3", dashi::kernels::Majority3x3{}, Shape{72, 11});
  sweep_iterated("RowMajority", dashi_test::RowMajority{}, Shape{30, 7});
  sweep_iterated("compose(SignFlip, CrossStencil)",
                 dashi::compose(dashi::kernels::SignFlip{}, dashi_test::CrossStencil{}),
                 Shape{64, 5});
}

}  // namespace
