// SPDX-License-Identifier: Apache-2.0
// A rank that cannot allocate never hangs the others: with its address space limited
// (RLIMIT_AS at its current size plus a little) one rank fails inside a collective call —
// the blocks' bookkeeping of a run or an iteration, a reduction's per-block results, a
// writer's superblocks, the rows of read_slab / scatter / gather — and throws std::bad_alloc
// while every other rank throws RemoteError naming it; the next call works. CTest runs this
// with a short timeout, so a hang fails.
#include <gtest/gtest.h>
#include <malloc.h>
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <dashi/mpi.hpp>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>
#include <string>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::RemoteError;
using dashi::mpi::SlabLayout;

/// Large blocks always come from fresh mappings: glibc's threshold for them is fixed (its
/// dynamic threshold would let a block freed by an earlier test serve a later allocation
/// from address space already held, which a limit cannot refuse).
const bool fixed_mmap_threshold = [] { return ::mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1; }();

/// Bytes of address space this process holds now (/proc/self/statm).
std::size_t address_space_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// Limits this process's address space (the soft RLIMIT_AS) to its current size plus
/// `headroom` bytes; the limit is restored on destruction.
class AddressSpaceLimit {
 public:
  explicit AddressSpaceLimit(std::size_t headroom) {
    ::getrlimit(RLIMIT_AS, &saved_);
    rlimit limited = saved_;
    limited.rlim_cur = static_cast<rlim_t>(address_space_bytes() + headroom);
    EXPECT_EQ(::setrlimit(RLIMIT_AS, &limited), 0);
  }
  AddressSpaceLimit(const AddressSpaceLimit&) = delete;
  AddressSpaceLimit& operator=(const AddressSpaceLimit&) = delete;
  ~AddressSpaceLimit() { ::setrlimit(RLIMIT_AS, &saved_); }

 private:
  rlimit saved_{};
};

/// Headroom of the limited rank: every allocation the tests make fail is at least 4 times it.
constexpr std::size_t headroom = std::size_t{8} << 20;

/// Runs `call` on every rank, `failing` with its address space limited: expects `failing`
/// to throw std::bad_alloc and every other rank RemoteError naming it, outside any block.
template <class F>
void expect_allocation_failure_agreed(int failing, F&& call) {
  ASSERT_TRUE(fixed_mmap_threshold);
  bool bad_alloc = false;
  int remote_rank = -1;
  std::size_t remote_block = 0;
  std::string remote_message;
  {
    std::optional<AddressSpaceLimit> limit;
    if (world_rank() == failing) {
      limit.emplace(headroom);
    }
    try {
      call();
      ADD_FAILURE() << "nothing was thrown";
    } catch (const std::bad_alloc&) {
      bad_alloc = true;
    } catch (const RemoteError& e) {
      remote_rank = e.rank();
      remote_block = e.block();
      remote_message = e.message();
    }
  }
  if (world_rank() == failing) {
    EXPECT_TRUE(bad_alloc) << "rank " << failing << " should have thrown std::bad_alloc";
  } else {
    EXPECT_EQ(remote_rank, failing);
    EXPECT_EQ(remote_block, RemoteError::no_block);
    EXPECT_NE(remote_message.find("bad_alloc"), std::string::npos) << remote_message;
  }
}

/// A started pool, so that the limited rank fails to allocate, not to start threads.
dashi::ThreadPool& started_pool() {
  dashi::ThreadPool& pool = pool_of(1);
  pool.parallel_for(
      64, [](std::size_t) {}, 2);
  return pool;
}

/// Rows × 1 field with 2^20 rows per rank: with one row per block, the limited rank's
/// per-block bookkeeping (tens of MB) cannot fit its headroom; its slab (2 MB) can.
Shape one_site_rows() {
  return Shape{(std::size_t{1} << 20) * static_cast<std::size_t>(world_size()), 1};
}

TEST(AllocationFailure, RunAndIterate) {
  if (world_size() < 2) {
    GTEST_SKIP() << "one rank has no one to hang";
  }
  dashi::ThreadPool& pool = started_pool();
  const Shape shape = one_site_rows();
  const TernaryField global = random_field(shape, 0.5, 41);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = my_rows(layout, global);
  dashi::ParallelOptions options;
  options.block_elems = 1;
  expect_allocation_failure_agreed(1, [&] {
    (void)dashi::mpi::run_kernel_distributed(pool, layout, dashi::kernels::SignFlip{}, local,
                                             options);
  });
  for (const std::size_t per_sync : {1U, 2U}) {
    dashi::IterateOptions iterate;
    iterate.block_elems = 1;
    iterate.steps_per_sync = per_sync;
    expect_allocation_failure_agreed(world_size() - 1, [&] {
      (void)dashi::mpi::run_kernel_iterated_distributed(pool, layout, dashi::kernels::SignFlip{},
                                                        local, 3, iterate);
    });
  }
  // The next call works.
  const TernaryField out =
      dashi::mpi::run_kernel_distributed(pool, layout, dashi::kernels::SignFlip{}, local, options);
  EXPECT_EQ(
      my_rows_differ(layout, out.view(),
                     dashi::run_kernel_parallel(dashi::kernels::SignFlip{}, global.view()).view()),
      "");
}

TEST(AllocationFailure, Reduce) {
  if (world_size() < 2) {
    GTEST_SKIP() << "one rank has no one to hang";
  }
  dashi::ThreadPool& pool = started_pool();
  const Shape shape = one_site_rows();
  const TernaryField global = random_field(shape, 0.5, 43);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = my_rows(layout, global);
  const auto support = [](TernaryView block) {
    std::uint64_t count = 0;
    for (std::size_t i = 0; i < block.size(); ++i) {
      count += block.data()[i] != 0 ? 1U : 0U;
    }
    return count;
  };
  const auto plus = [](std::uint64_t a, std::uint64_t b) { return a + b; };
  dashi::ParallelOptions options;
  options.block_elems = 1;
  expect_allocation_failure_agreed(1, [&] {
    (void)dashi::mpi::reduce_distributed<std::uint64_t>(pool, layout, local, support, plus, 0,
                                                        options);
  });
  options.block_elems = 4096;
  EXPECT_EQ(
      dashi::mpi::reduce_distributed<std::uint64_t>(pool, layout, local, support, plus, 0, options),
      dashi::reduce_parallel<std::uint64_t>(global.view(), support, plus, 0, options));
}

std::filesystem::path fault_file(const std::string& name) {
  return std::filesystem::path(DASHICORE_MPI_TEST_DIR) /
         ("fault_" + name + "_np" + std::to_string(world_size()) + ".pq");
}

TEST(AllocationFailure, WriteFile) {
  if (world_size() < 2) {
    GTEST_SKIP() << "one rank has no one to hang";
  }
  // Superblocks of 2^28 bytes: the whole field is one, built by rank 0, which cannot
  // allocate it.
  const Shape shape{3000, 100};
  const TernaryField global = random_field(shape, 0.5, 47);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = my_rows(layout, global);
  const std::filesystem::path path = fault_file("write");
  expect_allocation_failure_agreed(0, [&] {
    dashi::mpi::write_file(layout, path, local, {.sb_bytes = std::uint64_t{1} << 28});
  });
  EXPECT_FALSE(std::filesystem::exists(path));
  dashi::mpi::write_file(layout, path, local);
  EXPECT_EQ(my_rows_differ(layout, dashi::mpi::read_slab(layout, path).view(), global.view()), "");
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    std::filesystem::remove(path);
  }
}

/// Rows of 4096 sites, 2^13 per rank: a slab of 32 MB, four times the headroom.
Shape wide_rows() {
  return Shape{(std::size_t{1} << 13) * static_cast<std::size_t>(world_size()), 4096};
}

TEST(AllocationFailure, ReadSlabScatterGather) {
  if (world_size() < 2) {
    GTEST_SKIP() << "one rank has no one to hang";
  }
  const Shape shape = wide_rows();
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const std::filesystem::path path = fault_file("read");
  TernaryField global;
  if (world_rank() == 0) {
    global = TernaryField::zeros(shape);
    dashi::pq::write_file(path, global);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  expect_allocation_failure_agreed(1, [&] { (void)dashi::mpi::read_slab(layout, path); });
  expect_allocation_failure_agreed(1, [&] { (void)dashi::mpi::scatter(layout, global.view(), 0); });
  const TernaryField local = TernaryField::zeros(layout.local_shape());
  expect_allocation_failure_agreed(0, [&] { (void)dashi::mpi::gather(layout, local.view(), 0); });
  // The next calls work.
  const SlabLayout small(MPI_COMM_WORLD, Shape{static_cast<std::size_t>(world_size()) * 3, 5});
  const TernaryField small_global = random_field(small.global_shape(), 0.5, 53);
  const TernaryField mine = dashi::mpi::scatter(small, small_global.view(), 0);
  EXPECT_EQ(my_rows_differ(small, mine.view(), small_global.view()), "");
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    std::filesystem::remove(path);
  }
}

}  // namespace
