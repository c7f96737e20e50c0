// SPDX-License-Identifier: Apache-2.0
// reduce_distributed equals reduce_parallel over the global field bit for bit (a
// floating-point, non-associative, non-commutative combine), and defect_aggregate equals the
// single-process defect, on every rank, for every split, block size and workers per rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/execution/iterate.hpp>
#include <dashi/mpi.hpp>
#include <string>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::SlabLayout;

/// A block's result: a floating-point moment (order-sensitive when folded) and its sites.
struct Moment {
  double weighted = 0.0;
  std::uint64_t sites = 0;
};

Moment map_moment(TernaryView block) {
  Moment m;
  for (std::size_t i = 0; i < block.size(); ++i) {
    m.weighted += static_cast<double>(block.value(i)) / static_cast<double>(i + 3);
  }
  m.sites = block.size();
  return m;
}

/// Neither associative nor commutative: any reordering of the fold changes the bits.
Moment fold_moment(Moment a, Moment b) {
  return {a.weighted * 0.7310585786300049 + b.weighted * 1.0000001 +
              1e-9 * static_cast<double>(b.sites),
          a.sites * 3 + b.sites};
}

bool same_bits(const Moment& a, const Moment& b) {
  return std::memcmp(&a.weighted, &b.weighted, sizeof(double)) == 0 && a.sites == b.sites;
}

TEST(ReduceDistributed, BitForBitEqualToReduceParallelForEverySplit) {
  dashi::ThreadPool pool(2);
  for (const Shape& shape : {Shape{211}, Shape{37, 11}, Shape{5, 3, 7}, Shape{0, 3}}) {
    const TernaryField global = dashi_test::random_field(shape, 0.4, 5 + shape.size());
    const std::size_t row = shape.row_elems();
    for (const std::size_t block_elems : {row, 4 * row + 3, std::size_t{0}}) {
      const Moment expected = dashi::reduce_parallel(pool, global.view(), map_moment, fold_moment,
                                                     Moment{0.5, 1}, {.block_elems = block_elems});
      for (const auto& split : dashi_test::splits(shape.rows(), world_size(), true)) {
        const SlabLayout layout = dashi_test::make_layout(shape, split);
        const TernaryView local = dashi_test::my_rows(layout, global);
        const dashi::ParallelOptions options{
            .num_workers = 1 + static_cast<std::size_t>(world_rank()) % 3,
            .block_elems = block_elems};
        const Moment got =
            world_rank() % 2 == 0
                ? dashi::mpi::reduce_distributed(pool, layout, local, map_moment, fold_moment,
                                                 Moment{0.5, 1}, options)
                : dashi::mpi::reduce_distributed(layout, local, map_moment, fold_moment,
                                                 Moment{0.5, 1}, options);
        EXPECT_TRUE(same_bits(got, expected))
            << "shape " << shape.to_string() << " block_elems " << block_elems << " split "
            << split.name << ": got " << got.weighted << "/" << got.sites << ", expected "
            << expected.weighted << "/" << expected.sites;
      }
    }
  }
}

TEST(DefectAggregate, EqualsTheSingleProcessDefectOnEveryRank) {
  for (const Shape& shape : {Shape{301}, Shape{41, 13}}) {
    const TernaryField pre = dashi_test::random_field(shape, 0.3, 9);
    const TernaryField post = dashi::run_kernel_iterated(dashi::kernels::LeftNeighbor{}, pre, 3);
    const std::uint64_t expected = dashi::defect_aggregate(pre, post);
    ASSERT_GT(expected, 0U);
    for (const auto& split : dashi_test::splits(shape.rows(), world_size(), true)) {
      const SlabLayout layout = dashi_test::make_layout(shape, split);
      EXPECT_EQ(dashi::mpi::defect_aggregate(layout, dashi_test::my_rows(layout, pre),
                                             dashi_test::my_rows(layout, post)),
                expected)
          << split.name;
    }
  }
}

}  // namespace
