// SPDX-License-Identifier: Apache-2.0
// Failures never hang or abort: bad arguments throw the same std::invalid_argument on every
// rank; when kernel blocks throw, the rank owning the first failing block rethrows its own
// exception and every other rank throws RemoteError naming that rank, block and message; the
// next call works. CTest runs this with a timeout, so a hang fails.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/mpi.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::RemoteError;
using dashi::mpi::SlabLayout;

/// Radius-1 copy that throws on the ranks of `failing`, in every block from `from_block` on
/// (of that rank's own partition), with a message naming the rank and block.
struct ThrowingKernel {
  static constexpr std::size_t radius = 1;
  int rank = 0;
  std::vector<int> failing;
  std::size_t from_block = 0;
  void operator()(TernaryView in, TernarySpan out) const {
    const std::size_t block = dashi::detail::CurrentBlock::index();
    if (std::find(failing.begin(), failing.end(), rank) != failing.end() && block >= from_block) {
      throw std::runtime_error("kernel failed on rank " + std::to_string(rank) + " block " +
                               std::to_string(block));
    }
    std::copy_n(in.data(), in.size(), out.data());
  }
};

/// Throws an `int` on every block of rank 0: not a std::exception.
struct ThrowsInt {
  void operator()(TernaryView in, TernarySpan out) const {
    if (dashi_test::world_rank() == 0) {
      throw 42;
    }
    std::copy_n(in.data(), in.size(), out.data());
  }
};

TEST(CollectiveChecks, SlabThinnerThanTheHalo) {
  const int p = world_size();
  const auto up = static_cast<std::size_t>(p);
  const Shape shape{4 * up, 3};
  const TernaryField global = dashi_test::random_field(shape, 0.3, 3);
  // Rank 0 owns one row, the kernel has radius 2.
  std::vector<std::size_t> split(up, 4);
  split[0] = 1;
  split[up - 1] += 3;
  const SlabLayout layout(MPI_COMM_WORLD, shape, split);
  const TernaryView local = dashi_test::my_rows(layout, global);
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    if (p == 1 && boundary == Boundary::clip) {
      continue;  // one rank with open ends exchanges nothing: any thickness will do
    }
    if (p == 1) {
      // One rank owns all 4 rows: too thin for a deep iteration across the periodic wrap.
      const std::string deep = message_of<std::invalid_argument>([&] {
        const TernaryField out = dashi::mpi::run_kernel_iterated_distributed(
            layout, dashi::kernels::LeftNeighbor{}, local, 10, {{.boundary = boundary}, 5});
      });
      EXPECT_NE(deep.find("owns 4 rows, fewer than the 5 halo rows (halo 1 × steps_per_sync 5)"),
                std::string::npos)
          << deep;
      EXPECT_TRUE(same_on_every_rank(deep));
      continue;
    }
    const std::string text = message_of<std::invalid_argument>([&] {
      const TernaryField out = dashi::mpi::run_kernel_distributed(
          layout, dashi_test::AxisStencil2{}, local, {.boundary = boundary});
    });
    const std::string expected = "rank 0 owns 1 rows, fewer than the 2 halo rows";
    EXPECT_NE(text.find(expected), std::string::npos) << text;
    EXPECT_TRUE(same_on_every_rank(text));
  }
  // The next call works.
  const SlabLayout balanced(MPI_COMM_WORLD, shape);
  const TernaryField out = dashi::mpi::run_kernel_distributed(
      balanced, dashi::kernels::SignFlip{}, dashi_test::my_rows(balanced, global));
  EXPECT_EQ(out.shape(), balanced.local_shape());
}

TEST(CollectiveChecks, ShapesAndOptionsDifferingBetweenRanks) {
  const int p = world_size();
  const bool last = world_rank() == p - 1;
  const Shape shape{6 * static_cast<std::size_t>(p), 4};
  const TernaryField global = dashi_test::random_field(shape, 0.3, 4);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = dashi_test::my_rows(layout, global);
  const dashi::kernels::LeftNeighbor kernel;

  const std::string slab = message_of<std::invalid_argument>([&] {
    const TernaryField wrong = TernaryField::zeros(Shape{6, last ? 5U : 4U});
    const TernaryField out = dashi::mpi::run_kernel_distributed(layout, kernel, wrong);
  });
  EXPECT_NE(slab.find("rank " + std::to_string(p - 1) + " passed a slab of shape (6, 5)"),
            std::string::npos)
      << slab;
  EXPECT_TRUE(same_on_every_rank(slab));

  const std::string below = message_of<std::invalid_argument>([&] {
    const TernaryField out = dashi::mpi::run_kernel_distributed(layout, dashi_test::AxisStencil2{},
                                                                local, {.halo = last ? 1U : 2U});
  });
  EXPECT_NE(below.find("halo 1 is below the kernel's radius 2"), std::string::npos) << below;
  EXPECT_TRUE(same_on_every_rank(below));

  if (p > 1) {
    const std::string halo = message_of<std::invalid_argument>([&] {
      const TernaryField out =
          dashi::mpi::run_kernel_distributed(layout, kernel, local, {.halo = last ? 3U : 1U});
    });
    EXPECT_NE(halo.find("the halo differs between ranks (from 1 to 3)"), std::string::npos) << halo;
    EXPECT_TRUE(same_on_every_rank(halo));

    const std::string boundary = message_of<std::invalid_argument>([&] {
      const TernaryField out = dashi::mpi::run_kernel_distributed(
          layout, kernel, local, {.boundary = last ? Boundary::periodic : Boundary::clip});
    });
    EXPECT_NE(boundary.find("the boundary differs between ranks"), std::string::npos) << boundary;
    EXPECT_TRUE(same_on_every_rank(boundary));

    const std::string per_sync = message_of<std::invalid_argument>([&] {
      dashi::IterateOptions options;
      options.steps_per_sync = last ? 2 : 1;
      const TernaryField out =
          dashi::mpi::run_kernel_iterated_distributed(layout, kernel, local, 4, options);
    });
    EXPECT_NE(per_sync.find("steps_per_sync differs between ranks (from 1 to 2)"),
              std::string::npos)
        << per_sync;
    EXPECT_TRUE(same_on_every_rank(per_sync));

    const std::string steps = message_of<std::invalid_argument>([&] {
      const TernaryField out =
          dashi::mpi::run_kernel_iterated_distributed(layout, kernel, local, last ? 5 : 4);
    });
    EXPECT_NE(steps.find("the number of steps differs between ranks (from 4 to 5)"),
              std::string::npos)
        << steps;
    EXPECT_TRUE(same_on_every_rank(steps));

    const std::string block_elems = message_of<std::invalid_argument>([&] {
      const auto sum = dashi::mpi::reduce_distributed(
          layout, local, [](TernaryView b) { return b.count_support(); },
          [](std::size_t a, std::size_t b) { return a + b; }, std::size_t{0},
          {.block_elems = last ? 8U : 4U});
      EXPECT_EQ(sum, 0U);
    });
    EXPECT_NE(block_elems.find("block_elems differs between ranks (from 4 to 8)"),
              std::string::npos)
        << block_elems;
    EXPECT_TRUE(same_on_every_rank(block_elems));
  }
  const std::string zero = message_of<std::invalid_argument>([&] {
    dashi::IterateOptions options;
    options.steps_per_sync = 0;
    const TernaryField out =
        dashi::mpi::run_kernel_iterated_distributed(layout, kernel, local, 4, options);
  });
  EXPECT_NE(zero.find("steps_per_sync must be at least 1"), std::string::npos) << zero;
  EXPECT_TRUE(same_on_every_rank(zero));
}

TEST(CollectiveChecks, BlockSitesAndBlockElemsDifferingOnOneRank) {
  // Only the last rank's options are contradictory: every rank must throw its complaint
  // (none may be left waiting for that rank).
  const int p = world_size();
  const bool last = world_rank() == p - 1;
  const Shape shape{6 * static_cast<std::size_t>(p), 4};
  const TernaryField global = dashi_test::random_field(shape, 0.3, 5);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = dashi_test::my_rows(layout, global);
  dashi::ParallelOptions options;
  options.block_sites = 8;
  options.block_elems = last ? 4 : 0;
  const std::string expected = "block_sites = 8 and block_elems = 4 differ";

  const std::string run = message_of<std::invalid_argument>([&] {
    const TernaryField out =
        dashi::mpi::run_kernel_distributed(layout, dashi::kernels::LeftNeighbor{}, local, options);
  });
  EXPECT_NE(run.find(expected), std::string::npos) << run;
  EXPECT_TRUE(same_on_every_rank(run));

  const std::string reduce = message_of<std::invalid_argument>([&] {
    const auto sum = dashi::mpi::reduce_distributed(
        layout, local, [](TernaryView b) { return b.count_support(); },
        [](std::size_t a, std::size_t b) { return a + b; }, std::size_t{0}, options);
    EXPECT_EQ(sum, 0U);
  });
  EXPECT_NE(reduce.find(expected), std::string::npos) << reduce;
  EXPECT_TRUE(same_on_every_rank(reduce));
}

/// Runs `kernel` (single application or iterated) and checks the failure semantics: the
/// first failing rank rethrows its own exception (naming `block`), the others RemoteError.
void expect_first_failure(const SlabLayout& layout, const ThrowingKernel& kernel, TernaryView local,
                          int first_rank, std::size_t block, bool iterated,
                          const dashi::IterateOptions& options) {
  const std::string own =
      "kernel failed on rank " + std::to_string(first_rank) + " block " + std::to_string(block);
  bool threw = false;
  try {
    const TernaryField out =
        iterated ? dashi::mpi::run_kernel_iterated_distributed(layout, kernel, local, 3, options)
                 : dashi::mpi::run_kernel_distributed(layout, kernel, local, options);
  } catch (const RemoteError& e) {
    threw = true;
    EXPECT_NE(world_rank(), first_rank) << "the failing rank must rethrow its own exception";
    EXPECT_EQ(e.rank(), first_rank);
    EXPECT_EQ(e.block(), block);
    EXPECT_EQ(e.message(), own);
    EXPECT_NE(std::string(e.what()).find(own), std::string::npos) << e.what();
  } catch (const std::runtime_error& e) {
    threw = true;
    EXPECT_EQ(world_rank(), first_rank) << e.what();
    EXPECT_EQ(std::string(e.what()), own);
  }
  EXPECT_TRUE(threw);
}

TEST(KernelFailures, FirstFailingRankRethrowsOthersThrowRemoteError) {
  const int p = world_size();
  const Shape shape{10 * static_cast<std::size_t>(p), 3};
  const TernaryField global = dashi_test::random_field(shape, 0.3, 5);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = dashi_test::my_rows(layout, global);
  std::vector<std::vector<int>> plans = {{0}, {p - 1}};
  if (p > 2) {
    plans.push_back({p - 1, 1});  // two ranks fail: the lower one wins
  }
  for (const bool iterated : {false, true}) {
    for (const auto& failing : plans) {
      // Block 0 is an edge block (it needs the previous rank's rows), block 4 an interior
      // one, with one-row blocks; workers differ between ranks.
      for (const std::size_t from_block : {std::size_t{0}, std::size_t{4}}) {
        for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
          ThrowingKernel kernel{world_rank(), failing, from_block};
          dashi::IterateOptions options;
          options.num_workers = 1 + static_cast<std::size_t>(world_rank()) % 2;
          options.block_elems = 3;
          options.boundary = boundary;
          options.steps_per_sync = 2;
          expect_first_failure(layout, kernel, local,
                               *std::min_element(failing.begin(), failing.end()), from_block,
                               iterated, options);
        }
      }
    }
  }
  // The communicator stays usable: the next call works and is right.
  const ThrowingKernel harmless{world_rank(), {}, 0};
  const TernaryField out = dashi::mpi::run_kernel_distributed(layout, harmless, local);
  EXPECT_EQ(dashi_test::first_difference(out, local), "");
}

/// SignFlip that throws when its view holds a +1: a rank whose rows are all -1 fails only at
/// step 1 (after the first flip), a rank holding a +1 fails at step 0.
struct ThrowsOnPositive {
  void operator()(TernaryView in, TernarySpan out) const {
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in.value(i) > 0) {
        throw std::runtime_error("a positive site");
      }
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
  }
};

TEST(KernelFailures, IteratedFailuresOfTheEarliestStepComeFirst) {
  const int p = world_size();
  if (p < 2) {
    GTEST_SKIP() << "needs two ranks";
  }
  const Shape shape{6 * static_cast<std::size_t>(p), 4};
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  // Rank 0: all -1 (fails at step 1); the others: random with +1s (fail at step 0).
  const TernaryField local =
      world_rank() == 0
          ? dashi_test::copy_rows(
                dashi::run_kernel_parallel(
                    dashi::kernels::SignFlip{},
                    TernaryField::from_signed(std::vector<int>(layout.local_shape().size(), 1),
                                              layout.local_shape())),
                0, layout.row_count())
          : dashi_test::percent_field(layout.local_shape(), 60, 11);
  for (const std::size_t per_sync : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
    dashi::IterateOptions options;
    options.steps_per_sync = per_sync;
    try {
      const TernaryField out = dashi::mpi::run_kernel_iterated_distributed(
          layout, ThrowsOnPositive{}, local, 4, options);
      ADD_FAILURE() << "the kernel fails";
    } catch (const RemoteError& e) {
      EXPECT_NE(world_rank(), 1) << "steps_per_sync " << per_sync;
      EXPECT_EQ(e.rank(), 1) << "rank 1 fails at step 0, rank 0 only at step 1; steps_per_sync "
                             << per_sync;
      EXPECT_EQ(e.message(), "a positive site");
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(world_rank(), 1) << e.what() << " steps_per_sync " << per_sync;
    }
  }
}

TEST(KernelFailures, ContractViolationAndForeignExceptions) {
  const Shape shape{8 * static_cast<std::size_t>(world_size()), 5};
  const TernaryField global = dashi_test::random_field(shape, 0.5, 6);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = dashi_test::my_rows(layout, global);
  try {
    const TernaryField out =
        dashi::mpi::run_kernel_distributed(layout, dashi_test::FillOnesKernel{}, local);
    ADD_FAILURE() << "a kernel creating support must fail";
  } catch (const RemoteError& e) {
    EXPECT_NE(world_rank(), 0);
    EXPECT_EQ(e.rank(), 0);
    EXPECT_EQ(e.block(), 0U);
    EXPECT_NE(e.message().find("created support"), std::string::npos) << e.message();
  } catch (const dashi::KernelContractError& e) {
    EXPECT_EQ(world_rank(), 0) << e.what();
  }
  try {
    const TernaryField out = dashi::mpi::run_kernel_distributed(layout, ThrowsInt{}, local);
    ADD_FAILURE() << "rank 0 throws";
  } catch (const RemoteError& e) {
    EXPECT_NE(world_rank(), 0);
    EXPECT_EQ(e.message(), "an exception not derived from std::exception");
  } catch (const int& value) {
    EXPECT_EQ(world_rank(), 0);
    EXPECT_EQ(value, 42);
  }
}

TEST(KernelFailures, ReduceMapFailureNamesTheGlobalBlock) {
  const Shape shape{7 + 13 * static_cast<std::size_t>(world_size()), 2};
  const TernaryField global = dashi_test::random_field(shape, 0.3, 7);
  for (const auto& split : dashi_test::splits(shape.rows(), world_size(), true)) {
    const SlabLayout layout = dashi_test::make_layout(shape, split);
    const TernaryView local = dashi_test::my_rows(layout, global);
    // Blocks of 3 rows (6 sites): block 5 holds rows 15-17; the map fails on blocks ≥ 5.
    const std::size_t failing_block = 5;
    const int owner = layout.owner_of_row(failing_block * 3);
    const std::size_t base = layout.first_row();
    auto map = [&](TernaryView block) -> std::uint64_t {
      // The global block of `block`, from its first row: a view into `local`, or the
      // assembled last block starting in this slab (blocks of 3 rows of 2 sites).
      const bool in_local = local.size() != 0 && block.data() >= local.data() &&
                            block.data() < local.data() + local.size();
      const std::size_t row = in_local
                                  ? base + static_cast<std::size_t>(block.data() - local.data()) / 2
                                  : (base + local.shape().rows() - 1) / 3 * 3;
      if (row / 3 >= failing_block) {
        throw std::out_of_range("map failed at block " + std::to_string(row / 3));
      }
      return block.count_support();
    };
    try {
      const std::uint64_t total = dashi::mpi::reduce_distributed(
          layout, local, map, [](std::uint64_t a, std::uint64_t b) { return a + b; },
          std::uint64_t{0}, {.block_elems = 6});
      ADD_FAILURE() << "the map fails on block 5; got " << total;
    } catch (const RemoteError& e) {
      EXPECT_NE(world_rank(), owner) << split.name;
      EXPECT_EQ(e.rank(), owner) << split.name;
      EXPECT_EQ(e.block(), failing_block) << split.name;
      EXPECT_EQ(e.message(), "map failed at block 5") << split.name;
    } catch (const std::out_of_range& e) {
      EXPECT_EQ(world_rank(), owner) << split.name;
      EXPECT_EQ(std::string(e.what()), "map failed at block 5") << split.name;
    }
  }
}

}  // namespace
