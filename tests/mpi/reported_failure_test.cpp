// SPDX-License-Identifier: Apache-2.0
// The failure a distributed run reports is the one a single process reports: a contract
// breach names the global site and the global block, with the single-process message
// (RemoteError keeps the failing rank's own block); with temporal blocking the failure is
// that of a step-by-step run (the same message, the same rank rethrowing, the same ranks
// throwing RemoteError); and one clipped rank accepts any halo the single process does.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/mpi.hpp>
#include <stdexcept>
#include <string>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::RemoteError;
using dashi::mpi::SlabLayout;

/// Radius 1: every row of the view but the first takes the row above it (the first is
/// copied). A lone +1 thus creates support right below it: a contract breach.
struct ShiftDown {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    const std::size_t width = in.shape().row_elems();
    std::copy_n(in.data(), std::min(width, in.size()), out.data());
    if (in.size() > width) {
      std::copy_n(in.data(), in.size() - width, out.data() + width);
    }
  }
};

/// What one rank saw of a distributed call: the exception text it threw itself, or the
/// RemoteError's rank, block and message.
struct Outcome {
  std::string own;
  int remote_rank = -1;
  std::size_t remote_block = 0;
  std::string remote_message;
};

template <class E, class F>
Outcome outcome_of(F&& call) {
  Outcome outcome;
  try {
    call();
    ADD_FAILURE() << "nothing was thrown";
  } catch (const RemoteError& e) {
    outcome.remote_rank = e.rank();
    outcome.remote_block = e.block();
    outcome.remote_message = e.message();
  } catch (const E& e) {
    outcome.own = e.what();
  }
  return outcome;
}

TEST(ReportedFailure, ContractBreachNamesTheGlobalSiteAndBlock) {
  const int p = world_size();
  const auto up = static_cast<std::size_t>(p);
  const Shape shape{12 * up, 7};
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const std::size_t last_first = layout.first_row(p - 1);
  // A marker in the middle of the last rank's rows (an interior block there) and one in the
  // last row of the rank before it (the breach then lies in the last rank's edge block).
  std::vector<std::size_t> markers = {last_first + 5};
  if (p > 1) {
    markers.push_back(last_first - 1);
  }
  for (const std::size_t marker : markers) {
    TernaryField global = TernaryField::zeros(shape);
    global.data()[marker * 7 + 3] = 1;
    const TernaryView local = my_rows(layout, global);
    const std::size_t breach_row = marker + 1;
    const int owner = layout.owner_of_row(breach_row);
    dashi::IterateOptions options;
    options.block_elems = 14;  // two rows per block
    for (const std::size_t per_sync : {0U, 1U, 2U}) {
      SCOPED_TRACE("marker row " + std::to_string(marker) + ", steps_per_sync " +
                   std::to_string(per_sync) + " (0: one application)");
      options.steps_per_sync = std::max<std::size_t>(per_sync, 1);
      const std::string expected = message_of<dashi::KernelContractError>([&] {
        if (per_sync == 0) {
          (void)dashi::run_kernel_parallel(ShiftDown{}, global.view(), options);
        } else {
          (void)dashi::run_kernel_iterated(ShiftDown{}, global.view(), 3, options);
        }
      });
      EXPECT_NE(expected.find("at site " + std::to_string(breach_row * 7 + 3) + " in block " +
                              std::to_string(breach_row / 2)),
                std::string::npos)
          << expected;
      const Outcome seen = outcome_of<dashi::KernelContractError>([&] {
        if (per_sync == 0) {
          (void)dashi::mpi::run_kernel_distributed(layout, ShiftDown{}, local, options);
        } else {
          (void)dashi::mpi::run_kernel_iterated_distributed(layout, ShiftDown{}, local, 3, options);
        }
      });
      if (world_rank() == owner) {
        EXPECT_EQ(seen.own, expected);
      } else {
        EXPECT_EQ(seen.remote_rank, owner);
        EXPECT_EQ(seen.remote_message, expected);
        EXPECT_EQ(seen.remote_block, (breach_row - layout.first_row(owner)) / 2)
            << "RemoteError names the failing rank's own block";
      }
    }
  }
}

/// Radius-1 identity that throws when a row of +1 lies right above a row of -1 in its view,
/// naming the view row and the view's rows.
struct ThrowsOnStripes {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    const std::size_t rows = in.shape().rows();
    const std::size_t width = in.shape().row_elems();
    const auto row_is = [&](std::size_t r, std::int8_t value) {
      return std::all_of(in.data() + r * width, in.data() + (r + 1) * width,
                         [&](std::int8_t v) { return v == value; });
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

TEST(ReportedFailure, StepsPerSyncNeverChangesTheFailure) {
  const int p = world_size();
  if (p < 2) {
    GTEST_SKIP() << "the stripes straddle two ranks";
  }
  // 16 rows per rank, blocks of 8 rows; the stripes are rank 1's first two rows, which rank
  // 0's last block computes too once two steps run per synchronisation.
  const Shape shape{16 * static_cast<std::size_t>(p), 8};
  TernaryField global = random_field(shape, 0.5, 61);
  std::fill_n(global.data() + 16 * 8, 8, std::int8_t{1});
  std::fill_n(global.data() + 17 * 8, 8, std::int8_t{-1});
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = my_rows(layout, global);
  dashi::IterateOptions options;
  options.block_elems = 64;
  const Outcome step_by_step = outcome_of<std::runtime_error>([&] {
    (void)dashi::mpi::run_kernel_iterated_distributed(layout, ThrowsOnStripes{}, local, 4, options);
  });
  if (world_rank() == 1) {
    EXPECT_EQ(step_by_step.own, "stripes at view row 1 of a 10-row view");
  } else {
    EXPECT_EQ(step_by_step.remote_rank, 1);
    EXPECT_EQ(step_by_step.remote_block, 0U);
  }
  for (const std::size_t per_sync : {2U, 3U, 4U}) {
    SCOPED_TRACE("steps_per_sync " + std::to_string(per_sync));
    options.steps_per_sync = per_sync;
    const Outcome blocked = outcome_of<std::runtime_error>([&] {
      (void)dashi::mpi::run_kernel_iterated_distributed(layout, ThrowsOnStripes{}, local, 4,
                                                        options);
    });
    EXPECT_EQ(blocked.own, step_by_step.own);
    EXPECT_EQ(blocked.remote_rank, step_by_step.remote_rank);
    EXPECT_EQ(blocked.remote_block, step_by_step.remote_block);
    EXPECT_EQ(blocked.remote_message, step_by_step.remote_message);
  }
}

TEST(ReportedFailure, OneClippedRankAcceptsAnyHalo) {
  // One rank (its own communicator) with open ends exchanges nothing: any halo the single
  // process accepts, also one no MPI count could say.
  const Shape shape{40, 6};
  const TernaryField global = random_field(shape, 0.5, 67);
  const SlabLayout alone(MPI_COMM_SELF, shape);
  const dashi::kernels::LeftNeighbor kernel;
  for (const std::size_t halo : {std::size_t{1} << 31, std::size_t{1} << 40}) {
    dashi::IterateOptions options;
    options.halo = halo;
    options.block_elems = 24;
    const TernaryField once =
        dashi::mpi::run_kernel_distributed(alone, kernel, global.view(), options);
    EXPECT_EQ(first_difference(once.view(),
                               dashi::run_kernel_parallel(kernel, global.view(), options).view()),
              "");
    options.steps_per_sync = 3;
    const TernaryField iterated =
        dashi::mpi::run_kernel_iterated_distributed(alone, kernel, global.view(), 5, options);
    EXPECT_EQ(
        first_difference(iterated.view(),
                         dashi::run_kernel_iterated(kernel, global.view(), 5, options).view()),
        "");
  }
}

}  // namespace
