// SPDX-License-Identifier: Apache-2.0
// mpi::defect_aggregate on a rank whose default pool cannot start its threads never hangs the
// others: this executable interposes pthread_create (the process's own definition comes
// before the C library's) and refuses it on one rank while the local defect first needs the
// default pool's workers; that rank throws std::system_error and every other rank RemoteError
// naming it; once threads may start again, the same call gives the exact defect. The default
// pool must not have started before the test: keep this file to this test.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <dashi/mpi.hpp>
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
  bool system_error = false;
  int remote_rank = -1;
  std::size_t remote_block = 0;
  refuse_threads.store(world_rank() == failing);
  try {
    (void)dashi::mpi::defect_aggregate(layout, pre_local, post_local);
    ADD_FAILURE() << "nothing was thrown";
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
  const std::uint64_t expected = dashi::defect_aggregate(pre.view(), post.view());
  EXPECT_EQ(dashi::mpi::defect_aggregate(layout, pre_local, post_local), expected);
}

}  // namespace
