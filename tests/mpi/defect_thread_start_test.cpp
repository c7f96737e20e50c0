// SPDX-License-Identifier: Apache-2.0
// mpi::defect_aggregate on a rank whose default pool cannot start its threads never hangs the
// others: thread creation is refused on one rank (support/refused_threads.hpp) while the local
// defect first needs the default pool's workers; that rank throws std::system_error and every
// other rank RemoteError naming it; once threads may start again, the same call gives the
// exact defect. The default pool must not have started before the test: keep this file to
// this test.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <dashi/mpi.hpp>

#include "support/fields.hpp"
#include "support/mpi.hpp"
#include "support/refused_threads.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::SlabLayout;

TEST(DefectThreadStartFailure, RefusedOnOneRankIsAgreed) {
  if (world_size() < 2) {
    GTEST_SKIP() << "one rank has no one to hang";
  }
  ASSERT_GE(dashi::default_thread_pool().size(), 1U);
  const int failing = world_size() - 1;
  // 2^17 sites per rank: two blocks of the reduction, enough for the default pool to need
  // its workers.
  const Shape shape{512 * static_cast<std::size_t>(world_size()), 256};
  const TernaryField pre = random_field(shape, 0.5, 61);
  const TernaryField post = random_field(shape, 0.5, 62);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView pre_local = my_rows(layout, pre);
  const TernaryView post_local = my_rows(layout, post);
  expect_refusal_agreed(failing,
                        [&] { (void)dashi::mpi::defect_aggregate(layout, pre_local, post_local); });
  // Threads may start again: the same call works (the pool starts now).
  const std::uint64_t expected = dashi::defect_aggregate(pre.view(), post.view());
  EXPECT_EQ(dashi::mpi::defect_aggregate(layout, pre_local, post_local), expected);
}

}  // namespace
