// SPDX-License-Identifier: Apache-2.0
// A rank whose default pool cannot start its threads never hangs the others: this executable
// interposes pthread_create (the process's own definition comes before the C library's),
// refuses it on one rank while a distributed run first needs the default pool's workers,
// and expects that rank to throw std::system_error and every other rank RemoteError naming
// it; once threads may start again, the same call works. Interposition is used because
// RLIMIT_NPROC does not bind root, which the CI containers run as. The default pool must not
// have started before the first test: keep this file to these tests.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <dashi/mpi.hpp>
#include <string>
#include <system_error>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

std::atomic<bool> refuse_threads{false};

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attributes,
                              void* (*start)(void*), void* argument) {
  if (refuse_threads.load()) {
    return EAGAIN;
  }
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Create>(::dlsym(RTLD_NEXT, "pthread_create"));
  return real(thread, attributes, start, argument);
}

namespace {

using namespace dashi_test;

using dashi::mpi::RemoteError;
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
  bool system_error = false;
  int remote_rank = -1;
  std::size_t remote_block = 0;
  refuse_threads.store(world_rank() == failing);
  try {
    (void)dashi::mpi::run_kernel_distributed(layout, kernel, local, {.block_elems = 4096});
  } catch (const std::system_error&) {
    system_error = true;
  } catch (const RemoteError& e) {
    remote_rank = e.rank();
    remote_block = e.block();
  }
  refuse_threads.store(false);
  if (world_rank() == failing) {
    EXPECT_TRUE(system_error) << "the rank that cannot start threads throws std::system_error";
  } else {
    EXPECT_EQ(remote_rank, failing);
    EXPECT_EQ(remote_block, RemoteError::no_block);
  }
  // Threads may start again: the same call works (the pool starts now).
  const TernaryField out =
      dashi::mpi::run_kernel_distributed(layout, kernel, local, {.block_elems = 4096});
  EXPECT_EQ(
      my_rows_differ(layout, out.view(), dashi::run_kernel_parallel(kernel, global.view()).view()),
      "");
}

}  // namespace
