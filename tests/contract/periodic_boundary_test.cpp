// SPDX-License-Identifier: Apache-2.0
// Contract of `Boundary::periodic` (docs/design.md §4b): the result of
// `run_kernel_parallel` equals the kernel applied to the field padded periodically along
// axis 0 by the halo, then cropped; `run_kernel_iterated` equals that step repeated. The
// padded field is built by hand (support/references.hpp), independently of the executor.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

const std::vector<std::size_t> all_workers = {1, 2, 3, 8};

/// One axis-0 slice, an odd size that is not a whole number of slices, automatic, larger
/// than the field.
std::vector<std::size_t> block_sizes(const Shape& shape) {
  const std::size_t row = shape.row_elems();
  return {row, row == 1 ? 1001 : 2 * row + 1, 0, 2 * shape.size() + 1};
}

/// Fields with at most this many rows also get halos longer than the field (a block then
/// holds the field several times around; on long fields with one-row blocks every block
/// would copy the whole field, at great cost and showing nothing short fields do not).
constexpr std::size_t short_field_rows = 16;

/// Halos: the radius and one above; for short fields also more than the field's rows and
/// more than twice them.
template <class K>
std::vector<std::size_t> halos(const Shape& shape) {
  constexpr std::size_t radius = dashi::kernel_radius_v<K>;
  if (shape.rows() > short_field_rows) {
    return {radius, radius + 1, radius + 3};
  }
  return {radius, radius + 1, shape.rows() + 3, 2 * shape.rows() + radius + 1};
}

/// The fields of the periodic sweeps: large (parallel) and small (inline) 1-D and 2-D
/// fields, one-row fields, and a 3-D field.
std::vector<TernaryField> fields(bool two_d_only) {
  std::vector<TernaryField> out;
  std::uint64_t seed = 100;
  const std::vector<Shape> one_d = {make_shape({33'001}), make_shape({7}), make_shape({1}),
                                    make_shape({2})};
  const std::vector<Shape> two_d = {make_shape({181, 223}), make_shape({1, 40'003}),
                                    make_shape({2, 20'011}), make_shape({5, 9}),
                                    make_shape({1, 6})};
  if (!two_d_only) {
    for (const Shape& shape : one_d) {
      out.push_back(random_field(shape, 0.2, ++seed));
    }
  }
  for (const Shape& shape : two_d) {
    out.push_back(random_field(shape, 0.2, ++seed));
  }
  if (!two_d_only) {
    out.push_back(random_field(make_shape({37, 31, 37}), 0.2, ++seed));
  }
  return out;
}

/// halo × workers × block size (the combinations whose index sum is a multiple of 4:
/// every pair of parameter values occurs), given pool and default pool, returning and
/// into overloads.
template <class K>
void sweep_parallel(const K& kernel, const std::string& kernel_name, bool two_d_only = false) {
  FailureBudget budget;
  for (const TernaryField& x : fields(two_d_only)) {
    const auto halo_list = halos<K>(x.shape());
    const auto blocks = block_sizes(x.shape());
    for (std::size_t hi = 0; hi < halo_list.size(); ++hi) {
      const TernaryField expected =
          dashi_test::reference_step(kernel, x.view(), Boundary::periodic, halo_list[hi]);
      for (std::size_t wi = 0; wi < all_workers.size(); ++wi) {
        for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
          if ((hi + wi + bi) % 4 != 0) {
            continue;
          }
          ParallelOptions options;
          options.num_workers = all_workers[wi];
          options.block_elems = blocks[bi];
          options.halo = halo_list[hi];
          options.boundary = Boundary::periodic;
          const int form = static_cast<int>((hi + wi) % 3);
          TernaryField result;
          if (form == 0) {
            result = dashi::run_kernel_parallel(kernel, x.view(), options);
          } else if (form == 1) {
            result = dashi::run_kernel_parallel(wide_pool(), kernel, x.view(), options);
          } else {
            result = TernaryField::zeros(x.shape());
            dashi::run_kernel_parallel(wide_pool(), kernel, x.view(), result.span(), options);
          }
          const std::string diff = first_difference(result.view(), expected.view());
          if (!diff.empty()) {
            ADD_FAILURE() << kernel_name << " shape=" << x.shape().to_string() << " "
                          << describe(options) << " overload=" << form << ": " << diff;
            if (!budget.fail()) {
              return;
            }
          }
        }
      }
    }
  }
}

TEST(PeriodicBoundary, HandComputedLeftNeighbor) {
  // x = [-1, 1, 1]: periodically the left neighbour of site 0 is site 2.
  const TernaryField x = TernaryField::from_signed({-1, 1, 1});
  ParallelOptions options;
  options.boundary = Boundary::periodic;
  EXPECT_EQ(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, x.view(), options),
            TernaryField::from_signed({0, 0, 1}));
  // Clipped, site 0 has no left neighbour and keeps its value.
  EXPECT_EQ(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, x.view()),
            TernaryField::from_signed({-1, 0, 1}));
  // One row: its own left neighbour, so LeftNeighbor keeps it (sign(2 s) = s).
  const TernaryField row = TernaryField::from_signed({-1, 0, 1}, Shape{1, 3});
  EXPECT_EQ(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, row.view(), options), row);
}

TEST(PeriodicBoundary, HandComputedMajority3x3) {
  // Column 0 of rows 0, 1 and 3 vote against row 0's +1 only when row 3 wraps around.
  const TernaryField x = TernaryField::from_signed({1, 0,    //
                                                    -1, 0,   //
                                                    0, 0,    //
                                                    -1, 0},  //
                                                   Shape{4, 2});
  ParallelOptions options;
  options.boundary = Boundary::periodic;
  const TernaryField periodic =
      dashi::run_kernel_parallel(kernels::Majority3x3{}, x.view(), options);
  const TernaryField clipped = dashi::run_kernel_parallel(kernels::Majority3x3{}, x.view());
  // Site (0,0): periodic neighbourhood sum 1 - 1 - 1 = -1; clipped 1 - 1 = 0.
  EXPECT_EQ(periodic.value(0), -1);
  EXPECT_EQ(clipped.value(0), 0);
  // Site (3,0): periodic sum -1 + 0 + 1 = 0 (row 0 wraps in); clipped -1 + 0 = -1.
  EXPECT_EQ(periodic.value(6), 0);
  EXPECT_EQ(clipped.value(6), -1);
}

TEST(PeriodicBoundary, DiffersFromClipWhereTheEdgesMeet) {
  // Guards the sweeps against a boundary option that would be ignored.
  const TernaryField x = random_field(make_shape({181, 223}), 0.2, 7);
  ParallelOptions options;
  options.boundary = Boundary::periodic;
  options.num_workers = 2;
  const TernaryField periodic =
      dashi::run_kernel_parallel(kernels::Majority3x3{}, x.view(), options);
  const TernaryField clipped = dashi::run_kernel_parallel(kernels::Majority3x3{}, x.view());
  EXPECT_NE(periodic, clipped);
  // Away from rows 0 and rows - 1 the two agree.
  EXPECT_EQ(periodic.rows(1, 179), clipped.rows(1, 179));
  EXPECT_NE(periodic.rows(0, 1), clipped.rows(0, 1));
}

TEST(PeriodicBoundary, RunKernelParallelLeftNeighbor) {
  sweep_parallel(kernels::LeftNeighbor{}, "LeftNeighbor");
}

TEST(PeriodicBoundary, RunKernelParallelRadius2) {
  sweep_parallel(dashi_test::AxisRadius2{}, "AxisRadius2");
}

TEST(PeriodicBoundary, RunKernelParallelMajority3x3) {
  sweep_parallel(kernels::Majority3x3{}, "Majority3x3", true);
}

TEST(PeriodicBoundary, RunKernelParallelFunctionalForm) {
  sweep_parallel(dashi_test::FunctionalStencil{}, "FunctionalStencil");
}

TEST(PeriodicBoundary, RunKernelParallelPointwiseWithHalo) {
  // Radius 0: a periodic halo (1, rows + 3, ...) must not change a pointwise result.
  sweep_parallel(kernels::SignFlip{}, "SignFlip");
  sweep_parallel(dashi_test::FunctionalSignFlip{}, "FunctionalSignFlip");
}

TEST(PeriodicBoundary, RunKernelParallelComposed) {
  sweep_parallel(dashi::compose(kernels::LeftNeighbor{}, dashi_test::AxisRadius2{}),
                 "compose(LeftNeighbor, AxisRadius2)");
}

/// run_kernel_iterated with Boundary::periodic: the periodic step repeated, for steps ×
/// steps_per_sync × halo, with workers and block sizes cycling.
template <class K>
void sweep_iterated(const K& kernel, const std::string& kernel_name, bool two_d_only = false) {
  constexpr std::size_t radius = dashi::kernel_radius_v<K>;
  FailureBudget budget;
  std::size_t run = 0;
  for (const TernaryField& x : fields(two_d_only)) {
    const auto trajectory =
        dashi_test::reference_trajectory(kernel, x.view(), 5, Boundary::periodic, radius);
    const auto blocks = block_sizes(x.shape());
    // Each sync carries halo × steps_per_sync rows: keep that short on fields with many rows.
    const std::size_t long_halo =
        x.shape().rows() > short_field_rows ? radius + 2 : x.shape().rows() + 1;
    for (const std::size_t halo : {radius, long_halo}) {
      // (steps, steps_per_sync): one sync, syncs of equal length, a shorter last sync.
      for (const auto& [steps, spp] :
           {std::pair<std::size_t, std::size_t>{1, 1}, {2, 2}, {5, 1}, {5, 2}, {5, 4}}) {
        IterateOptions options;
        options.num_workers = all_workers[run % all_workers.size()];
        options.block_elems = blocks[(run / 2) % blocks.size()];
        options.halo = halo;
        options.boundary = Boundary::periodic;
        options.steps_per_sync = spp;
        const bool use_default = run % 3 == 0;
        ++run;
        const TernaryField result =
            use_default ? dashi::run_kernel_iterated(kernel, x.view(), steps, options)
                        : dashi::run_kernel_iterated(wide_pool(), kernel, x.view(), steps, options);
        const std::string diff = first_difference(result.view(), trajectory[steps].view());
        if (!diff.empty()) {
          ADD_FAILURE() << kernel_name << " shape=" << x.shape().to_string() << " steps=" << steps
                        << " " << describe(options) << ": " << diff;
          if (!budget.fail()) {
            return;
          }
        }
      }
    }
  }
}

TEST(PeriodicBoundary, RunKernelIteratedLeftNeighbor) {
  sweep_iterated(kernels::LeftNeighbor{}, "LeftNeighbor");
}

TEST(PeriodicBoundary, RunKernelIteratedRadius2) {
  sweep_iterated(dashi_test::AxisRadius2{}, "AxisRadius2");
}

TEST(PeriodicBoundary, RunKernelIteratedMajority3x3) {
  sweep_iterated(kernels::Majority3x3{}, "Majority3x3", true);
}

TEST(PeriodicBoundary, RunKernelIteratedFunctionalForm) {
  sweep_iterated(dashi_test::FunctionalStencil{}, "FunctionalStencil");
}

TEST(PeriodicBoundary, RunKernelIteratedTranslationEquivariance) {
  // On a periodic domain, shifting the input by whole rows shifts the result: a check that
  // does not rely on the padded reference at all.
  const TernaryField x = random_field(make_shape({97, 411}), 0.2, 8);
  const std::size_t shift = 31;
  const TernaryField shifted = [&] {
    TernaryField out = TernaryField::uninitialized(x.shape());
    const std::size_t rows = x.shape().rows();
    const std::size_t cols = x.shape().row_elems();
    for (std::size_t r = 0; r < rows; ++r) {
      std::copy_n(x.data() + r * cols, cols, out.data() + ((r + shift) % rows) * cols);
    }
    return out;
  }();
  IterateOptions options;
  options.boundary = Boundary::periodic;
  options.num_workers = 3;
  options.block_elems = 5 * 411;
  options.steps_per_sync = 3;
  const TernaryField a = dashi::run_kernel_iterated(kernels::Majority3x3{}, x.view(), 7, options);
  const TernaryField b =
      dashi::run_kernel_iterated(kernels::Majority3x3{}, shifted.view(), 7, options);
  for (std::size_t r = 0; r < 97; ++r) {
    ASSERT_EQ(a.rows(r, 1), b.rows((r + shift) % 97, 1)) << "row " << r;
  }
}

}  // namespace
