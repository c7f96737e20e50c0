// SPDX-License-Identifier: Apache-2.0
// Unit tests of <dashi/partition.hpp>: Partition, split_with_halo, crop_halo, recombine.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/partition.hpp>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

using dashi::Block;
using dashi::Partition;

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// ----------------------------------------------------------------------------------------
// Partition

struct CountCase {
  Shape shape;
  std::size_t block_elems;
  std::size_t rows_per_block;
  std::size_t blocks;
};

TEST(Partition, BlockCountsOfDocumentedCases) {
  const std::vector<CountCase> cases = {
      {Shape{10}, 3, 3, 4},      // rows 0-2, 3-5, 6-8, 9
      {Shape{10}, 1, 1, 10},     //
      {Shape{10}, 10, 10, 1},    //
      {Shape{10}, 100, 100, 1},  // larger than the field: one block
      {Shape{10, 4}, 4, 1, 10},  // one slice of 4 sites per block
      {Shape{10, 4}, 5, 2, 5},   // 5 sites round up to 2 whole slices
      {Shape{10, 4}, 8, 2, 5},   //
      {Shape{10, 4}, 9, 3, 4},   //
      {Shape{10, 4}, 1, 1, 10},  // fewer sites than a slice: still one slice
      {Shape{7, 3, 2}, 13, 3, 3}, {Shape{1}, 1, 1, 1},    {Shape{0}, 5, 5, 0},
      {Shape{0, 5}, 5, 1, 0},     {Shape{5, 0}, 3, 3, 0},
  };
  for (const auto& c : cases) {
    const Partition p(c.shape, c.block_elems);
    EXPECT_EQ(p.rows_per_block(), c.rows_per_block)
        << c.shape.to_string() << " block_elems=" << c.block_elems;
    EXPECT_EQ(p.block_count(), c.blocks) << c.shape.to_string() << " block_elems=" << c.block_elems;
  }
}

TEST(Partition, BlocksTileAxisZeroWithClippedHalos) {
  for (std::size_t rows = 0; rows <= 25; ++rows) {
    for (const std::size_t row_elems :
         {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}}) {
      const Shape shape{rows, row_elems};
      for (std::size_t block_elems = 1; block_elems <= 30; ++block_elems) {
        const Partition p(shape, block_elems);
        const std::size_t rpb = std::max<std::size_t>(1, ceil_div(block_elems, row_elems));
        ASSERT_EQ(p.rows_per_block(), rpb);
        ASSERT_EQ(p.block_count(), ceil_div(rows, rpb));
        for (std::size_t halo = 0; halo <= 4; ++halo) {
          std::size_t next_row = 0;
          for (std::size_t i = 0; i < p.block_count(); ++i) {
            const Block b = p.block(i, halo);
            SCOPED_TRACE("shape=" + shape.to_string() +
                         " block_elems=" + std::to_string(block_elems) +
                         " halo=" + std::to_string(halo) + " block=" + std::to_string(i));
            ASSERT_EQ(b.index, i);
            ASSERT_EQ(b.first_row, next_row);
            ASSERT_GE(b.row_count, 1U);
            if (i + 1 < p.block_count()) {
              ASSERT_EQ(b.row_count, rpb);
            } else {
              ASSERT_LE(b.row_count, rpb);
            }
            const std::size_t end = b.first_row + b.row_count;
            const std::size_t halo_first = b.first_row >= halo ? b.first_row - halo : 0;
            const std::size_t halo_end = std::min(rows, end + halo);
            ASSERT_EQ(b.halo_first_row, halo_first);
            ASSERT_EQ(b.halo_row_count, halo_end - halo_first);
            ASSERT_EQ(b.halo_before(), b.first_row - halo_first);
            next_row = end;
          }
          ASSERT_EQ(next_row, p.block_count() == 0 ? 0 : rows);
        }
      }
    }
  }
}

TEST(Partition, DependsOnlyOnShapeAndBlockElems) {
  const Shape shape{97, 5};
  for (const std::size_t block_elems : {std::size_t{1}, std::size_t{12}, std::size_t{37}}) {
    const Partition a(shape, block_elems);
    const Partition b(Shape{97, 5}, block_elems);
    ASSERT_EQ(a.block_count(), b.block_count());
    for (std::size_t i = 0; i < a.block_count(); ++i) {
      EXPECT_EQ(a.block(i, 2), b.block(i, 2));
    }
  }
}

TEST(Partition, AutomaticBlockSize) {
  const std::size_t elems = dashi::auto_block_elems();
  EXPECT_GE(elems, std::size_t{1} << 15);
  EXPECT_LE(elems, std::size_t{1} << 20);
  EXPECT_EQ(dashi::auto_block_elems(), elems);  // constant for the process
  for (const Shape& shape : {Shape{1000000}, Shape{3000, 333}, Shape{7}, Shape{2, 1 << 21}}) {
    const Partition automatic(shape, 0);
    const Partition explicit_size(shape, elems);
    EXPECT_EQ(automatic.rows_per_block(), explicit_size.rows_per_block()) << shape.to_string();
    EXPECT_EQ(automatic.block_count(), explicit_size.block_count()) << shape.to_string();
  }
}

/// Records the rows each kernel call receives, as (first row in the input, row count).
struct RecordingKernel {
  static constexpr std::size_t radius = 1;
  const std::int8_t* base = nullptr;
  std::size_t input_size = 0;
  std::size_t row_elems = 1;
  std::mutex* mutex = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>>* calls = nullptr;
  bool* outside_input = nullptr;

  void operator()(TernaryView in, TernarySpan out) const {
    dashi::kernels::LeftNeighbor{}(in, out);
    const std::lock_guard lock(*mutex);
    if (in.data() < base || in.data() + in.size() > base + input_size) {
      *outside_input = true;  // a copy: dense blocks must be views into the input
    }
    calls->emplace_back(static_cast<std::size_t>(in.data() - base) / row_elems, in.shape().rows());
  }
};

TEST(Partition, ExecutorRunsExactlyThePartitionWhateverTheWorkers) {
  const TernaryField input = random_field(Shape{5003, 11}, 0.3, 42);  // > inline threshold
  for (const std::size_t block_elems : {std::size_t{1}, std::size_t{500}, std::size_t{0}}) {
    std::vector<std::pair<std::size_t, std::size_t>> expected;
    for (const auto& hb : dashi::split_with_halo(input, block_elems, 1)) {
      expected.emplace_back(hb.block.halo_first_row, hb.block.halo_row_count);
    }
    for (const std::size_t workers :
         {std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{8}}) {
      dashi::ThreadPool pool(workers);
      std::mutex mutex;
      std::vector<std::pair<std::size_t, std::size_t>> calls;
      bool outside = false;
      const RecordingKernel kernel{input.data(), input.size(), 11, &mutex, &calls, &outside};
      const TernaryField out = dashi::run_kernel_parallel(
          pool, kernel, input, {.num_workers = workers, .block_elems = block_elems});
      std::sort(calls.begin(), calls.end());
      EXPECT_EQ(calls, expected) << "workers=" << workers << " block_elems=" << block_elems;
      EXPECT_FALSE(outside) << "a block was not a view into the input";
      EXPECT_EQ(out, dashi::apply_kernel(dashi::kernels::LeftNeighbor{}, input));
    }
  }
}

// ----------------------------------------------------------------------------------------
// split_with_halo / crop_halo / recombine

TEST(SplitWithHalo, ViewsPointIntoTheInput) {
  const TernaryField input = random_field(Shape{23, 3}, 0.3, 1);
  for (const std::size_t halo : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{30}}) {
    const auto blocks = dashi::split_with_halo(input, 7, halo);  // 3 rows per block
    ASSERT_EQ(blocks.size(), 8U);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const auto& hb = blocks[i];
      EXPECT_EQ(hb.block, Partition(input.shape(), 7).block(i, halo));
      EXPECT_EQ(hb.input.data(), input.data() + hb.block.halo_first_row * 3);
      EXPECT_EQ(hb.input.shape(), (Shape{hb.block.halo_row_count, 3}));
    }
  }
  EXPECT_TRUE(dashi::split_with_halo(TernaryField::zeros(Shape{0, 4}), 3, 1).empty());
  EXPECT_TRUE(dashi::split_with_halo(TernaryField::zeros(Shape{4, 0}), 3, 1).empty());
}

TEST(CropHalo, ReturnsTheCoreRows) {
  const TernaryField input = random_field(Shape{20, 2}, 0.3, 2);
  for (const auto& hb : dashi::split_with_halo(input, 6, 2)) {
    const TernaryView core = dashi::crop_halo(hb.block, hb.input);
    EXPECT_EQ(core.shape(), (Shape{hb.block.row_count, 2}));
    EXPECT_EQ(core.data(), input.data() + hb.block.first_row * 2);
  }
  const Block b = Partition(input.shape(), 6).block(1, 2);
  EXPECT_THROW((void)dashi::crop_halo(b, input.rows(0, b.halo_row_count + 1)),
               std::invalid_argument);
}

// dashi_test::blockwise runs a kernel block by block (in a given order), crops and recombines
// in index order.
TEST(Recombine, BlockwiseEqualsMonolithic) {
  std::uint64_t seed = 10;
  for (const Shape& shape : {Shape{1}, Shape{101}, Shape{37, 9}, Shape{11, 4, 3}}) {
    const TernaryField input = random_field(shape, 0.3, seed++);
    for (const std::size_t block_elems :
         {std::size_t{1}, std::size_t{5}, std::size_t{37}, std::size_t{1000}}) {
      const std::size_t n = Partition(shape, block_elems).block_count();
      for (const auto& order : dashi_test::block_orders(n)) {
        const std::string context = shape.to_string() +
                                    " block_elems=" + std::to_string(block_elems) +
                                    " order=" + order.name;
        for (const std::size_t extra : {std::size_t{0}, std::size_t{3}}) {
          EXPECT_EQ(first_difference(blockwise(dashi::kernels::LeftNeighbor{}, input, block_elems,
                                               1 + extra, order.order),
                                     dashi::apply_kernel(dashi::kernels::LeftNeighbor{}, input)),
                    "")
              << "LeftNeighbor " << context;
          EXPECT_EQ(first_difference(blockwise(dashi_test::AxisStencil2{}, input, block_elems,
                                               2 + extra, order.order),
                                     dashi::apply_kernel(dashi_test::AxisStencil2{}, input)),
                    "")
              << "AxisStencil2 " << context;
          EXPECT_EQ(first_difference(blockwise(dashi_test::CrossStencil{}, input, block_elems,
                                               1 + extra, order.order),
                                     dashi::apply_kernel(dashi_test::CrossStencil{}, input)),
                    "")
              << "CrossStencil " << context;
          if (shape.rank() == 2) {
            EXPECT_EQ(first_difference(blockwise(dashi::kernels::Majority3x3{}, input, block_elems,
                                                 1 + extra, order.order),
                                       dashi::apply_kernel(dashi::kernels::Majority3x3{}, input)),
                      "")
                << "Majority3x3 " << context;
          }
        }
      }
    }
  }
}

TEST(Recombine, HaloBelowTheRadiusBreaksEquivalence) {
  // The halo is what makes blockwise runs exact: without it, the stencil sees a cut.
  const TernaryField input = random_field(Shape{200}, 0.0, 3);
  const auto order = dashi_test::forward_order(Partition(input.shape(), 10).block_count());
  EXPECT_FALSE(blockwise(dashi::kernels::LeftNeighbor{}, input, 10, 0, order) ==
               dashi::apply_kernel(dashi::kernels::LeftNeighbor{}, input));
}

TEST(Recombine, WritesCoresInOrder) {
  const TernaryField a = TernaryField::from_signed({1, 0}, Shape{1, 2});
  const TernaryField b = TernaryField::from_signed({-1, -1, 0, 1}, Shape{2, 2});
  const std::vector<TernaryView> cores{a, b};
  EXPECT_EQ(dashi::recombine(cores, Shape{3, 2}),
            TernaryField::from_signed({1, 0, -1, -1, 0, 1}, Shape{3, 2}));
  TernaryField out = TernaryField::zeros(Shape{3, 2});
  dashi::recombine(cores, out.span());
  EXPECT_EQ(out, TernaryField::from_signed({1, 0, -1, -1, 0, 1}, Shape{3, 2}));
}

TEST(Recombine, Errors) {
  const TernaryField two = TernaryField::zeros(Shape{2, 3});
  const TernaryField wide = TernaryField::zeros(Shape{1, 4});
  const TernaryField rank3 = TernaryField::zeros(Shape{1, 3, 1});
  // Slices of another shape.
  EXPECT_THROW((void)dashi::recombine(std::vector<TernaryView>{two, wide}, Shape{3, 3}),
               std::invalid_argument);
  EXPECT_THROW((void)dashi::recombine(std::vector<TernaryView>{rank3}, Shape{1, 3}),
               std::invalid_argument);
  // More rows than the output.
  EXPECT_THROW((void)dashi::recombine(std::vector<TernaryView>{two, two}, Shape{3, 3}),
               std::invalid_argument);
  // Fewer rows than the output.
  EXPECT_THROW((void)dashi::recombine(std::vector<TernaryView>{two}, Shape{3, 3}),
               std::invalid_argument);
  EXPECT_THROW((void)dashi::recombine(std::vector<TernaryView>{}, Shape{3}), std::invalid_argument);
  TernaryField out = TernaryField::zeros(Shape{3, 3});
  EXPECT_THROW(dashi::recombine(std::vector<TernaryView>{two}, out.span()), std::invalid_argument);
  // Empty outputs need no cores.
  EXPECT_NO_THROW((void)dashi::recombine(std::vector<TernaryView>{}, Shape{0}));
  EXPECT_NO_THROW((void)dashi::recombine(std::vector<TernaryView>{}, Shape{0, 5}));
}

}  // namespace
