// SPDX-License-Identifier: Apache-2.0
// Failure contract of <dashi/execution/iterate.hpp>: `steps_per_sync` never changes which
// failure is reported. With temporal blocking a block also computes its neighbours' halo
// rows, so a kernel that throws on a pattern lying in the next block's first rows sees it
// from the lower block too; the failure reported is still that of a step-by-step run
// (earliest step, then lowest block), message for message.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/execution/iterate.hpp>
#include <stdexcept>
#include <string>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

/// Radius-1 identity that throws when a row of +1 lies right above a row of -1 in the view
/// it is given, naming the view row and the view's rows (so the message says which block's
/// window saw it).
struct ThrowsOnStripes {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    const std::size_t rows = in.shape().rows();
    const std::size_t width = in.shape().row_elems();
    const auto row_is = [&](std::size_t r, std::int8_t value) {
      for (std::size_t j = 0; j < width; ++j) {
        if (in.data()[r * width + j] != value) {
          return false;
        }
      }
      return true;
    };
    for (std::size_t r = 0; r + 1 < rows; ++r) {
      if (row_is(r, 1) && row_is(r + 1, -1)) {
        throw std::runtime_error("stripes at view row " + std::to_string(r) + " of a " +
                                 std::to_string(rows) + "-row view");
      }
    }
    std::copy_n(in.data(), in.size(), out.data());
  }
};

/// A sparse field of `rows` × 8 with the stripes at rows `at` and `at + 1`.
TernaryField striped(std::size_t rows, std::size_t at) {
  TernaryField field = random_field(Shape{rows, 8}, 0.5, 19);
  for (std::size_t j = 0; j < 8; ++j) {
    field.data()[at * 8 + j] = 1;
    field.data()[(at + 1) * 8 + j] = -1;
  }
  return field;
}

TEST(IterateFailure, TemporalBlockingReportsTheStepByStepFailure) {
  // Blocks of 8 rows: the stripes are rows 0 and 1 of block 1, inside block 0's halo of
  // 2 rows once two steps run per synchronisation.
  const TernaryField x = striped(64, 8);
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    IterateOptions options;
    options.block_elems = 64;
    options.boundary = boundary;
    const std::string expected = message_of<std::runtime_error>([&] {
      (void)dashi::run_kernel_iterated(wide_pool(), ThrowsOnStripes{}, x.view(), 4, options);
    });
    EXPECT_EQ(expected, "stripes at view row 1 of a 10-row view");
    for (const std::size_t per_sync : {2U, 3U, 4U, 8U}) {
      options.steps_per_sync = per_sync;
      for (const std::size_t workers : {1U, 3U}) {
        options.num_workers = workers;
        SCOPED_TRACE("steps_per_sync " + std::to_string(per_sync) + ", workers " +
                     std::to_string(workers));
        EXPECT_EQ(message_of<std::runtime_error>([&] {
                    (void)dashi::run_kernel_iterated(wide_pool(), ThrowsOnStripes{}, x.view(), 4,
                                                     options);
                  }),
                  expected);
        EXPECT_EQ(message_of<std::runtime_error>([&] {
                    (void)dashi::iterate_to_fixed_point(wide_pool(), ThrowsOnStripes{}, x.view(), 6,
                                                        options);
                  }),
                  expected);
        TernaryField output = TernaryField::uninitialized(x.shape());
        TernaryField spare = TernaryField::uninitialized(x.shape());
        EXPECT_EQ(message_of<std::runtime_error>([&] {
                    dashi::run_kernel_iterated(wide_pool(), ThrowsOnStripes{}, x.view(), 4,
                                               output.span(), spare.span(), options);
                  }),
                  expected);
      }
    }
  }
}

/// Identity that throws when its view has more than `limit` rows: only the wider windows of
/// temporal blocking fail, a step-by-step run never does.
struct ThrowsOnWideViews {
  static constexpr std::size_t radius = 1;
  std::size_t limit = 0;
  void operator()(TernaryView in, TernarySpan out) const {
    if (in.shape().rows() > limit) {
      throw std::runtime_error("a view of " + std::to_string(in.shape().rows()) + " rows");
    }
    std::copy_n(in.data(), in.size(), out.data());
  }
};

TEST(IterateFailure, ASynchronisationThatNeverFailsStepByStepGivesItsResult) {
  const TernaryField x = random_field(Shape{64, 8}, 0.5, 23);
  IterateOptions options;
  options.block_elems = 64;  // windows of at most 10 rows step by step, 12 with two steps
  const ThrowsOnWideViews kernel{10};
  const TernaryField reference =
      dashi::run_kernel_iterated(wide_pool(), kernel, x.view(), 5, options);
  options.steps_per_sync = 2;
  const TernaryField blocked =
      dashi::run_kernel_iterated(wide_pool(), kernel, x.view(), 5, options);
  EXPECT_EQ(first_difference(blocked.view(), reference.view()), "");
  const dashi::IterationResult fixed =
      dashi::iterate_to_fixed_point(wide_pool(), kernel, x.view(), 5, options);
  EXPECT_EQ(fixed.steps, 0U);  // the identity changes nothing at the first step
  EXPECT_TRUE(fixed.converged);
}

}  // namespace
