// SPDX-License-Identifier: Apache-2.0
// A rank whose default pool cannot start its threads never hangs the others: thread creation
// is refused on one rank (support/refused_threads.hpp) while a distributed run first needs the
// default pool's workers; that rank throws std::system_error and every other rank RemoteError
// naming it; once threads may start again, the same call works. The default pool must not
// have started before the first test: keep this file to these tests.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstddef>
#include <dashi/mpi.hpp>
#include <string>

#include "support/fields.hpp"
#include "support/mpi.hpp"
#include "support/refused_threads.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::SlabLayout;

TEST(ThreadStartFailure, RefusedOnOneRankIsAgreed) {
  if (world_size() < 2) {
    GTEST_SKIP() << "one rank has no one to hang";
  }
  ASSERT_GE(dashi::default_thread_pool().size(), 1U);
  const int failing = world_size() - 1;
  // Enough sites per rank (2^16) for the default pool to need its workers.
  const Shape shape{256 * static_cast<std::size_t>(world_size()), 256};
  const TernaryField global = random_field(shape, 0.5, 59);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = my_rows(layout, global);
  const dashi::kernels::LeftNeighbor kernel;
  expect_refusal_agreed(failing, [&] {
    (void)dashi::mpi::run_kernel_distributed(layout, kernel, local, {.block_sites = 4096});
  });
  // Threads may start again: the same call works (the pool starts now).
  const TernaryField out =
      dashi::mpi::run_kernel_distributed(layout, kernel, local, {.block_sites = 4096});
  EXPECT_EQ(
      my_rows_differ(layout, out.view(), dashi::run_kernel_parallel(kernel, global.view()).view()),
      "");
}

}  // namespace
