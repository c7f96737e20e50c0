// SPDX-License-Identifier: Apache-2.0
#pragma once

// Refusing thread creation on one MPI rank. Including this header interposes pthread_create
// for the whole executable (the program's own definition comes before the C library's), so
// include it from exactly one file of an executable whose default pool has not started yet.
// Interposition is used because RLIMIT_NPROC does not bind root, which CI containers run as.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <dashi/mpi.hpp>
#include <system_error>

#include "support/mpi.hpp"

namespace dashi_test {

/// While true, pthread_create fails with EAGAIN in this process.
inline std::atomic<bool> refuse_threads{false};

/// Runs `call` (a collective) with thread creation refused on rank `failing` only, and
/// expects that rank to throw `std::system_error` and every other rank a `RemoteError`
/// naming it outside any block. Threads may start again afterwards.
template <class Call>
void expect_refusal_agreed(int failing, Call&& call) {
  bool system_error = false;
  int remote_rank = -1;
  std::size_t remote_block = 0;
  refuse_threads.store(world_rank() == failing);
  try {
    call();
    ADD_FAILURE() << "nothing was thrown";
  } catch (const std::system_error&) {
    system_error = true;
  } catch (const dashi::mpi::RemoteError& e) {
    remote_rank = e.rank();
    remote_block = e.block();
  }
  refuse_threads.store(false);
  if (world_rank() == failing) {
    EXPECT_TRUE(system_error) << "the rank that cannot start threads throws std::system_error";
  } else {
    EXPECT_EQ(remote_rank, failing);
    EXPECT_EQ(remote_block, dashi::mpi::RemoteError::no_block);
  }
}

}  // namespace dashi_test

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attributes,
                              void* (*start)(void*), void* argument) {
  if (dashi_test::refuse_threads.load()) {
    return EAGAIN;
  }
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Create>(::dlsym(RTLD_NEXT, "pthread_create"));
  return real(thread, attributes, start, argument);
}
