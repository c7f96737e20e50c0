// SPDX-License-Identifier: Apache-2.0
// Determinism contract of <dashi/execution/iterate.hpp>: `run_kernel_iterated` equals the
// monolithic step loop byte for byte, and `iterate_to_fixed_point` reports the same first
// fixed point as the monolithic loop, for every steps_per_sync, worker count, block size,
// halo and boundary, on fields large enough to run in parallel (> 32768 sites).

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/iterate.hpp>
#include <string>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

constexpr std::size_t parallel_threshold = std::size_t{1} << 15;

/// A pool of 7 workers: with the calling thread, up to 8 threads work on one call.
const std::vector<std::size_t> all_steps = {0, 1, 2, 3, 7, 16};
const std::vector<std::size_t> all_steps_per_sync = {1, 2, 3, 4, 8};
const std::vector<std::size_t> all_workers = {1, 2, 3, 8};

/// Block sizes of the sweeps: one axis-0 slice, an odd size that is not a whole number of
/// slices, automatic (0), and larger than the field (one block).
std::vector<std::size_t> block_sizes(const Shape& shape) {
  const std::size_t row = shape.row_elems();
  return {row, 3 * row + (row % 2 == 0 ? 1 : 2) + 2 * (row == 1 ? 499 : 0), 0,
          2 * shape.size() + 1};
}

/// Runs `run_kernel_iterated` on the wide pool or, for `use_default`, on the default pool.
template <class K>
TernaryField iterated(bool use_default, const K& kernel, TernaryView x, std::size_t steps,
                      const IterateOptions& options) {
  return use_default ? dashi::run_kernel_iterated(kernel, x, steps, options)
                     : dashi::run_kernel_iterated(wide_pool(), kernel, x, steps, options);
}

/// How much of the parameter product a sweep runs.
enum class Coverage {
  full,     ///< every combination (480 runs)
  pairwise  ///< 60 runs that still hold every pair of values of any two parameters
};

/// Sweep steps × steps_per_sync × workers × block size for one kernel and field, against
/// the monolithic trajectory. `pairwise` runs, for every (steps, steps_per_sync) pair, the
/// workers (si + pi) mod 4 with the blocks (2 si + pi) mod 4 and (2 si + pi + 1) mod 4: a
/// covering array of strength 2 (every pair of values of any two of the four parameters
/// occurs). Both overloads take part.
template <class K>
void sweep_iterated(const K& kernel, const std::string& kernel_name, const TernaryField& x,
                    Coverage coverage = Coverage::pairwise) {
  ASSERT_GT(x.size(), parallel_threshold) << "field too small to run in parallel";
  const auto trajectory = dashi_test::reference_trajectory(kernel, x.view(), 16);
  const auto blocks = block_sizes(x.shape());
  FailureBudget budget;
  for (std::size_t si = 0; si < all_steps.size(); ++si) {
    for (std::size_t pi = 0; pi < all_steps_per_sync.size(); ++pi) {
      for (std::size_t wi = 0; wi < all_workers.size(); ++wi) {
        for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
          const bool in_cover =
              wi == (si + pi) % 4 && (bi == (2 * si + pi) % 4 || bi == (2 * si + pi + 1) % 4);
          if (coverage == Coverage::pairwise && !in_cover) {
            continue;
          }
          IterateOptions options;
          options.num_workers = all_workers[wi];
          options.block_elems = blocks[bi];
          options.steps_per_sync = all_steps_per_sync[pi];
          const std::size_t steps = all_steps[si];
          const bool use_default = (si + bi) % 2 == 0;
          const TernaryField result = iterated(use_default, kernel, x.view(), steps, options);
          const std::string diff = first_difference(result.view(), trajectory[steps].view());
          if (!diff.empty()) {
            ADD_FAILURE() << kernel_name << " shape=" << x.shape().to_string() << " steps=" << steps
                          << " " << describe(options)
                          << (use_default ? " default pool" : " given pool") << ": " << diff;
            if (!budget.fail()) {
              return;
            }
          }
        }
      }
    }
  }
}

const Shape shape_1d = make_shape({33'001});
const Shape shape_2d = make_shape({181, 223});
const Shape shape_3d = make_shape({37, 31, 37});

TEST(IterateDeterminism, SignFlipAllRanks) {
  // An involution: even step counts give the input back, odd ones its negation.
  for (const Shape& shape : {shape_1d, shape_2d, shape_3d}) {
    const TernaryField x = random_field(shape, 0.3, 11);
    sweep_iterated(kernels::SignFlip{}, "SignFlip", x,
                   shape == shape_2d ? Coverage::full : Coverage::pairwise);
    const TernaryField seven = dashi::run_kernel_iterated(kernels::SignFlip{}, x.view(), 7);
    const TernaryField eight = dashi::run_kernel_iterated(kernels::SignFlip{}, x.view(), 8);
    EXPECT_EQ(eight, x) << shape.to_string();
    EXPECT_EQ(seven, dashi::apply_kernel(kernels::SignFlip{}, x.view())) << shape.to_string();
  }
}

TEST(IterateDeterminism, LeftNeighborAllRanks) {
  for (const Shape& shape : {shape_1d, shape_2d, shape_3d}) {
    sweep_iterated(kernels::LeftNeighbor{}, "LeftNeighbor", random_field(shape, 0.2, 12));
  }
}

TEST(IterateDeterminism, Radius2Stencil) {
  // 2-D: in HaloAboveRadiusAndBothBoundaries (composed) and ComposedChain.
  for (const Shape& shape : {shape_1d, shape_3d}) {
    sweep_iterated(dashi_test::AxisRadius2{}, "AxisRadius2", random_field(shape, 0.15, 13));
  }
}

TEST(IterateDeterminism, Majority3x3) {
  sweep_iterated(kernels::Majority3x3{}, "Majority3x3", random_field(shape_2d, 0.25, 14));
  // A one-row 2-D field: a single block whatever block_elems is, and every halo clipped.
  sweep_iterated(kernels::Majority3x3{}, "Majority3x3",
                 random_field(make_shape({1, 32'771}), 0.25, 15));
}

TEST(IterateDeterminism, FunctionalFormKernel) {
  sweep_iterated(dashi_test::FunctionalStencil{}, "FunctionalStencil",
                 random_field(shape_2d, 0.2, 17));
  sweep_iterated(dashi_test::FunctionalSignFlip{}, "FunctionalSignFlip",
                 random_field(shape_3d, 0.2, 18));
}

TEST(IterateDeterminism, ComposedChain) {
  // Radius 1 + 2 + 0 = 3: each sync needs a halo of 3 × steps_per_sync slices.
  const auto chain =
      dashi::compose(kernels::LeftNeighbor{}, dashi_test::AxisRadius2{}, kernels::SignFlip{});
  static_assert(dashi::kernel_radius_v<decltype(chain)> == 3);
  sweep_iterated(chain, "compose(LeftNeighbor, AxisRadius2, SignFlip)",
                 random_field(shape_3d, 0.2, 19));
  const auto planar =
      dashi::compose(kernels::Majority3x3{}, dashi_test::FunctionalStencil{}, kernels::SignFlip{});
  sweep_iterated(planar, "compose(Majority3x3, FunctionalStencil, SignFlip)",
                 random_field(shape_2d, 0.2, 20));
}

/// Sweep of halo (above the radius) × boundary × a reduced set of the other parameters (the
/// halo equal to the radius is in the sweeps above for clip, and in
/// periodic_boundary_test.cpp for periodic).
template <class K>
void sweep_halo_boundary(const K& kernel, const std::string& kernel_name, const TernaryField& x) {
  ASSERT_GT(x.size(), parallel_threshold);
  constexpr std::size_t radius = dashi::kernel_radius_v<K>;
  const std::vector<std::size_t> halos = {radius + 1, radius + 3};
  const std::vector<std::size_t> steps_list = {3, 7};
  const std::vector<std::size_t> spp_list = {1, 3};
  const auto blocks = block_sizes(x.shape());
  const std::vector<std::pair<std::size_t, std::size_t>> runs = {
      {2, blocks[0]}, {3, blocks[1]}, {8, blocks[2]}, {1, blocks[1]}};
  FailureBudget budget;
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    // The monolithic periodic reference pads by the radius: a halo above it must not change
    // the result.
    const auto trajectory = dashi_test::reference_trajectory(kernel, x.view(), 7, boundary, radius);
    for (std::size_t hi = 0; hi < halos.size(); ++hi) {
      for (std::size_t ti = 0; ti < steps_list.size(); ++ti) {
        for (std::size_t pi = 0; pi < spp_list.size(); ++pi) {
          for (std::size_t r = 0; r < runs.size(); ++r) {
            if ((hi + ti + pi + r) % 2 != 0) {
              continue;  // every pair of parameter values still occurs
            }
            const std::size_t halo = halos[hi];
            const std::size_t steps = steps_list[ti];
            const std::size_t spp = spp_list[pi];
            IterateOptions options;
            options.num_workers = runs[r].first;
            options.block_elems = runs[r].second;
            options.halo = halo;
            options.boundary = boundary;
            options.steps_per_sync = spp;
            const bool use_default = r % 2 == 0;
            const TernaryField result = iterated(use_default, kernel, x.view(), steps, options);
            const std::string diff = first_difference(result.view(), trajectory[steps].view());
            if (!diff.empty()) {
              ADD_FAILURE() << kernel_name << " shape=" << x.shape().to_string()
                            << " steps=" << steps << " " << describe(options) << ": " << diff;
              if (!budget.fail()) {
                return;
              }
            }
          }
        }
      }
    }
  }
}

TEST(IterateDeterminism, HaloAboveRadiusAndBothBoundaries) {
  sweep_halo_boundary(kernels::LeftNeighbor{}, "LeftNeighbor", random_field(shape_2d, 0.2, 21));
  sweep_halo_boundary(dashi_test::AxisRadius2{}, "AxisRadius2", random_field(shape_1d, 0.2, 22));
  // Radius 0 with a halo: blocks then carry halo rows (and periodic padding) they never need.
  sweep_halo_boundary(kernels::SignFlip{}, "SignFlip", random_field(shape_3d, 0.2, 24));
  sweep_halo_boundary(dashi::compose(kernels::Majority3x3{}, dashi_test::FunctionalStencil{}),
                      "compose(Majority3x3, FunctionalStencil)", random_field(shape_2d, 0.2, 26));
}

// ---------------------------------------------------------------------------------------
// iterate_to_fixed_point.

/// steps_per_sync × workers × block size: the reported steps are the monolithic first
/// fixed point k, `converged` is set, and the field is x_k, which is also what
/// `run_kernel_iterated(k)` gives.
template <class K>
void sweep_fixed_point(const K& kernel, const std::string& kernel_name, const TernaryField& x,
                       Boundary boundary, std::size_t min_steps) {
  ASSERT_GT(x.size(), parallel_threshold);
  constexpr std::size_t max_steps = 200;
  const auto reference = dashi_test::reference_fixed_point(kernel, x.view(), max_steps, boundary);
  ASSERT_TRUE(reference.found) << kernel_name << ": the reference did not converge";
  // The fixture must take several syncs of the largest steps_per_sync to be meaningful.
  ASSERT_GE(reference.steps, min_steps) << kernel_name << " " << x.shape().to_string();
  {
    IterateOptions options;
    options.boundary = boundary;
    const TernaryField again =
        dashi::run_kernel_iterated(kernel, x.view(), reference.steps, options);
    EXPECT_EQ(first_difference(again.view(), reference.state.view()), "")
        << kernel_name << " run_kernel_iterated(k = " << reference.steps << ")";
  }
  FailureBudget budget;
  for (std::size_t pi = 0; pi < all_steps_per_sync.size(); ++pi) {
    for (std::size_t wi = 0; wi < all_workers.size(); ++wi) {
      const auto blocks = block_sizes(x.shape());
      for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
        if (bi != (pi + wi) % 4) {
          continue;  // 20 of the 80 combinations, every pair of parameter values included
        }
        IterateOptions options;
        options.num_workers = all_workers[wi];
        options.block_elems = blocks[bi];
        options.steps_per_sync = all_steps_per_sync[pi];
        options.boundary = boundary;
        const bool use_default = (pi + wi) % 2 == 0;
        const dashi::IterationResult result =
            use_default
                ? dashi::iterate_to_fixed_point(kernel, x.view(), max_steps, options)
                : dashi::iterate_to_fixed_point(wide_pool(), kernel, x.view(), max_steps, options);
        const std::string diff = first_difference(result.field.view(), reference.state.view());
        if (result.steps != reference.steps || !result.converged || !diff.empty()) {
          ADD_FAILURE() << kernel_name << " shape=" << x.shape().to_string() << " "
                        << describe(options) << (use_default ? " default pool" : " given pool")
                        << ": steps " << result.steps << " (expected " << reference.steps
                        << "), converged " << result.converged << ", field: " << diff;
          if (!budget.fail()) {
            return;
          }
        }
      }
    }
  }
}

TEST(IterateToFixedPointDeterminism, ErosionRadius1OneD) {
  // Zeros are rare so that runs of equal signs are long: k is the longest run.
  const TernaryField x = random_field(shape_1d, 0.02, 31);
  sweep_fixed_point(dashi_test::SameSignBehind<1>{}, "SameSignBehind<1>", x, Boundary::clip, 9);
}

TEST(IterateToFixedPointDeterminism, ErosionRadius2TwoDPeriodic) {
  const TernaryField x = random_field(shape_2d, 0.02, 32);
  sweep_fixed_point(dashi_test::SameSignBehind<2>{}, "SameSignBehind<2>", x, Boundary::periodic, 4);
}

TEST(IterateToFixedPointDeterminism, Majority3x3) {
  const TernaryField x = random_field(shape_2d, 0.1, 33);
  sweep_fixed_point(kernels::Majority3x3{}, "Majority3x3", x, Boundary::clip, 2);
  sweep_fixed_point(kernels::Majority3x3{}, "Majority3x3", x, Boundary::periodic, 2);
}

TEST(IterateToFixedPointDeterminism, FunctionalFormAndComposedKernels) {
  const TernaryField x3 = random_field(shape_3d, 0.02, 34);
  sweep_fixed_point(dashi_test::FunctionalSameSignBehind{}, "FunctionalSameSignBehind", x3,
                    Boundary::clip, 4);
  const TernaryField x2 = random_field(shape_2d, 0.05, 35);
  sweep_fixed_point(dashi::compose(dashi_test::SameSignBehind<1>{}, kernels::Majority3x3{}),
                    "compose(SameSignBehind<1>, Majority3x3)", x2, Boundary::periodic, 3);
}

TEST(IterateToFixedPointDeterminism, MaxStepsWithoutConvergence) {
  // SignFlip never reaches a fixed point on a field with support.
  const TernaryField x = random_field(shape_2d, 0.3, 36);
  const TernaryField flipped = dashi::apply_kernel(kernels::SignFlip{}, x.view());
  FailureBudget budget;
  for (const std::size_t max_steps : {1U, 5U, 16U}) {
    for (const std::size_t spp : all_steps_per_sync) {
      for (const std::size_t workers : all_workers) {
        IterateOptions options;
        options.num_workers = workers;
        options.steps_per_sync = spp;
        options.block_elems = 7 * x.shape().row_elems() + 3;
        const auto result = dashi::iterate_to_fixed_point(wide_pool(), kernels::SignFlip{},
                                                          x.view(), max_steps, options);
        const TernaryField& expected = max_steps % 2 == 0 ? x : flipped;
        const std::string diff = first_difference(result.field.view(), expected.view());
        if (result.converged || result.steps != max_steps || !diff.empty()) {
          ADD_FAILURE() << "SignFlip max_steps=" << max_steps << " " << describe(options)
                        << ": converged " << result.converged << ", steps " << result.steps
                        << ", field: " << diff;
          if (!budget.fail()) {
            return;
          }
        }
      }
    }
  }
}

}  // namespace
