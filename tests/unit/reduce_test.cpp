// SPDX-License-Identifier: Apache-2.0
// Unit tests of `reduce_parallel` (<dashi/execution/reduce.hpp>): the result depends only
// on the data and block_elems — a floating-point fold is identical for every worker count,
// repetition and completion order, while a fold with another grouping gives other bits —;
// it is a left fold from `init` in block-index order; the automatic block size is
// `reduce_block_elems`; the lowest failing block's exception reaches the caller.

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/reduce.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

using dashi::Partition;

const std::vector<std::size_t> all_workers = {1, 2, 3, 4, 8};

/// Global index of the first site of `block` inside `field`.
std::size_t offset_of(TernaryView block, TernaryView field) {
  return static_cast<std::size_t>(block.data() - field.data());
}

/// A term whose magnitude varies over many orders, so that floating-point sums depend on
/// their grouping: 1 / (1 + (i mod 9973) + value) scaled by a power of 2 varying with i.
double term(std::size_t i, std::int8_t value) {
  const double scale = static_cast<double>(std::uint64_t{1} << (i % 23));
  return scale / (1.0 + static_cast<double>(i % 9973) + 0.5 * static_cast<double>(value));
}

/// Block sum of `term` over the sites of the block, in site order.
struct TermSum {
  TernaryView field;
  double operator()(TernaryView block) const {
    const std::size_t first = offset_of(block, field);
    double sum = 0.0;
    for (std::size_t i = 0; i < block.size(); ++i) {
      sum += term(first + i, block.value(i));
    }
    return sum;
  }
};

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }

/// The block results of `TermSum` over the partition of `field` that `reduce_parallel`
/// uses (computed here, serially).
std::vector<double> block_sums(TernaryView field, std::size_t block_elems) {
  const Partition partition(field.shape(),
                            block_elems == 0 ? dashi::reduce_block_elems : block_elems);
  std::vector<double> sums;
  for (std::size_t b = 0; b < partition.block_count(); ++b) {
    const dashi::Block block = partition.block(b, 0);
    sums.push_back(TermSum{field}(field.rows(block.first_row, block.row_count)));
  }
  return sums;
}

TEST(ReduceParallel, FloatingPointResultIndependentOfWorkersAndRepetitions) {
  const TernaryField x = random_field(make_shape({500, 257}), 0.3, 1);
  for (const std::size_t block_elems : {std::size_t{0}, std::size_t{4'099}}) {
    // The left fold from init, in block-index order, computed serially.
    double expected = 0.25;
    for (const double s : block_sums(x.view(), block_elems)) {
      expected = expected + s;
    }
    for (int repeat = 0; repeat < 8; ++repeat) {
      for (const std::size_t workers : all_workers) {
        ParallelOptions options;
        options.num_workers = workers;
        options.block_elems = block_elems;
        const auto plus = [](double a, double b) { return a + b; };
        const double on_wide =
            dashi::reduce_parallel(wide_pool(), x.view(), TermSum{x.view()}, plus, 0.25, options);
        const double on_default =
            dashi::reduce_parallel(x.view(), TermSum{x.view()}, plus, 0.25, options);
        ASSERT_EQ(bits(on_wide), bits(expected))
            << "given pool, workers=" << workers << " block_elems=" << block_elems
            << " repeat=" << repeat << ": " << on_wide << " vs " << expected;
        ASSERT_EQ(bits(on_default), bits(expected))
            << "default pool, workers=" << workers << " block_elems=" << block_elems
            << " repeat=" << repeat;
      }
    }
  }
}

TEST(ReduceParallel, FloatingPointResultIndependentOfCompletionOrder) {
  // Blocks sleep for seeded, varying times so that they finish in a different order on
  // every repetition; the fold must not follow the completion order.
  const TernaryField x = random_field(make_shape({600, 229}), 0.3, 2);
  const std::size_t block_elems = 229 * 25;
  double expected = 0.0;
  for (const double s : block_sums(x.view(), block_elems)) {
    expected += s;
  }
  const std::size_t blocks = Partition(x.shape(), block_elems).block_count();
  ASSERT_GE(blocks, 20U);
  for (std::uint64_t repeat = 0; repeat < 6; ++repeat) {
    const auto map = [&](TernaryView block) {
      const std::size_t index = offset_of(block, x.view()) / block_elems;
      dashi_test::Rng rng(repeat * 1'000 + index);
      std::this_thread::sleep_for(std::chrono::microseconds(rng.below(400)));
      return TermSum{x.view()}(block);
    };
    ParallelOptions options;
    options.num_workers = 8;
    options.block_elems = block_elems;
    const double result = dashi::reduce_parallel(
        wide_pool(), x.view(), map, [](double a, double b) { return a + b; }, 0.0, options);
    ASSERT_EQ(bits(result), bits(expected)) << "repeat=" << repeat;
  }
}

TEST(ReduceParallel, AnotherGroupingGivesOtherBits) {
  // The data makes the fold order visible: if reduce_parallel combined in completion
  // order, in a tree, or with another partition, the tests above would catch it.
  const TernaryField x = random_field(make_shape({1'000, 257}), 0.3, 1);
  const std::vector<double> sums = block_sums(x.view(), 4'099);
  ASSERT_GE(sums.size(), 8U);
  double left = 0.25;
  for (const double s : sums) {
    left = left + s;
  }
  double reversed = 0.25;
  for (auto it = sums.rbegin(); it != sums.rend(); ++it) {
    reversed = reversed + *it;
  }
  // Pairwise tree over the block results.
  std::vector<double> level = sums;
  while (level.size() > 1) {
    std::vector<double> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      next.push_back(level[i] + level[i + 1]);
    }
    if (level.size() % 2 == 1) {
      next.push_back(level.back());
    }
    level = next;
  }
  const double tree = 0.25 + level[0];
  // One running sum over all sites (no blocks).
  double flat = 0.25;
  for (std::size_t i = 0; i < x.size(); ++i) {
    flat += term(i, x.value(i));
  }
  const ParallelOptions options{.num_workers = 4, .block_elems = 4'099};
  const double actual = dashi::reduce_parallel(
      wide_pool(), x.view(), TermSum{x.view()}, [](double a, double b) { return a + b; }, 0.25,
      options);
  EXPECT_EQ(bits(actual), bits(left));
  EXPECT_NE(bits(actual), bits(reversed));
  EXPECT_NE(bits(actual), bits(tree));
  EXPECT_NE(bits(actual), bits(flat));
  // Another block size is another grouping: the result depends on block_elems.
  const double other_blocks = dashi::reduce_parallel(
      wide_pool(), x.view(), TermSum{x.view()}, [](double a, double b) { return a + b; }, 0.25,
      ParallelOptions{.num_workers = 4, .block_elems = 257 * 5});
  EXPECT_NE(bits(actual), bits(other_blocks));
}

TEST(ReduceParallel, LeftFoldInBlockIndexOrder) {
  // A non-commutative, non-associative combine: string concatenation of block indices.
  const TernaryField x = random_field(make_shape({500, 97}), 0.3, 3);
  const std::size_t block_elems = 97 * 11 + 5;  // 12 rows per block
  const std::size_t rows_per_block = Partition(x.shape(), block_elems).rows_per_block();
  ASSERT_EQ(rows_per_block, 12U);
  std::string expected = "init";
  for (std::size_t b = 0; b * rows_per_block < 500; ++b) {
    expected = "(" + expected + "," + std::to_string(b) + ")";
  }
  for (int repeat = 0; repeat < 5; ++repeat) {
    for (const std::size_t workers : all_workers) {
      const ParallelOptions options{.num_workers = workers, .block_elems = block_elems};
      const std::string folded = dashi::reduce_parallel(
          wide_pool(), x.view(),
          [&](TernaryView block) {
            return std::to_string(offset_of(block, x.view()) / (rows_per_block * 97));
          },
          [](std::string a, std::string b) { return "(" + a + "," + b + ")"; }, std::string("init"),
          options);
      ASSERT_EQ(folded, expected) << "workers=" << workers;
    }
  }
  // The same with a hash: a * 31 + b in uint64, init 7.
  std::uint64_t hash = 7;
  for (std::size_t b = 0; b * rows_per_block < 500; ++b) {
    hash = hash * 31 + (b + 1);
  }
  for (const std::size_t workers : all_workers) {
    const ParallelOptions options{.num_workers = workers, .block_elems = block_elems};
    const std::uint64_t result = dashi::reduce_parallel(
        x.view(),
        [&](TernaryView block) {
          return std::uint64_t{offset_of(block, x.view()) / (rows_per_block * 97) + 1};
        },
        [](std::uint64_t a, std::uint64_t b) { return a * 31 + b; }, std::uint64_t{7}, options);
    EXPECT_EQ(result, hash) << "workers=" << workers;
  }
}

TEST(ReduceParallel, BlocksAreThePartitionWithoutHalo) {
  // map_block sees exactly the core rows of each block: offsets and sizes, in order.
  using Extents = std::vector<std::pair<std::size_t, std::size_t>>;
  for (const Shape& shape :
       {make_shape({100'003}), make_shape({123, 456}), make_shape({7, 8, 9})}) {
    const TernaryField x = random_field(shape, 0.3, 4);
    for (const std::size_t block_elems : {std::size_t{1}, std::size_t{1'001}, std::size_t{0}}) {
      const Partition partition(shape, block_elems == 0 ? dashi::reduce_block_elems : block_elems);
      Extents expected;
      for (std::size_t b = 0; b < partition.block_count(); ++b) {
        const dashi::Block block = partition.block(b, 0);
        expected.emplace_back(block.first_row * shape.row_elems(),
                              block.row_count * shape.row_elems());
      }
      const Extents seen = dashi::reduce_parallel(
          x.view(),
          [&](TernaryView block) {
            EXPECT_EQ(block.shape().with_rows(0), shape.with_rows(0));
            return Extents{{offset_of(block, x.view()), block.size()}};
          },
          [](Extents a, const Extents& b) {
            a.insert(a.end(), b.begin(), b.end());
            return a;
          },
          Extents{}, ParallelOptions{.num_workers = 3, .block_elems = block_elems});
      EXPECT_TRUE(seen == expected)
          << shape.to_string() << " block_elems=" << block_elems << ": " << seen.size()
          << " blocks seen, " << expected.size() << " expected";
    }
  }
}

TEST(ReduceParallel, DefaultBlockSizeIsReduceBlockElems) {
  // Block sizes are counted through the fold: 0 selects reduce_block_elems, whatever the
  // executor's cache-derived automatic size.
  static_assert(dashi::reduce_block_elems == std::size_t{1} << 16);
  for (const Shape& shape :
       {make_shape({1'000'000}), make_shape({3'000, 333}), make_shape({5, 200'000})}) {
    const TernaryField x = TernaryField::zeros(shape);
    const auto sizes = [&](std::size_t block_elems) {
      return dashi::reduce_parallel(
          x.view(), [](TernaryView block) { return std::to_string(block.size()) + ","; },
          [](std::string a, const std::string& b) { return a + b; }, std::string(),
          ParallelOptions{.block_elems = block_elems});
    };
    EXPECT_EQ(sizes(0), sizes(dashi::reduce_block_elems)) << shape.to_string();
    // Not the executor's cache-derived automatic size (where the two partitions differ).
    if (Partition(shape, dashi::auto_block_elems()).rows_per_block() !=
        Partition(shape, dashi::reduce_block_elems).rows_per_block()) {
      EXPECT_NE(sizes(0), sizes(dashi::auto_block_elems())) << shape.to_string();
    }
    const std::size_t rows_per_block = Partition(shape, dashi::reduce_block_elems).rows_per_block();
    EXPECT_EQ(sizes(0).substr(0, sizes(0).find(',')),
              std::to_string(std::min(rows_per_block, shape.rows()) * shape.row_elems()))
        << shape.to_string();
  }
}

TEST(ReduceParallel, EmptyFieldReturnsInit) {
  for (const Shape& shape : {make_shape({0}), make_shape({0, 4}), make_shape({3, 0})}) {
    const TernaryField x = TernaryField::zeros(shape);
    int calls = 0;
    const double r = dashi::reduce_parallel(
        x.view(),
        [&](TernaryView) {
          ++calls;
          return 1.0;
        },
        [](double a, double b) { return a + b; }, 42.5);
    EXPECT_EQ(r, 42.5) << shape.to_string();
    EXPECT_EQ(calls, 0) << shape.to_string();
  }
}

TEST(ReduceParallel, MoveOnlyAndNonDefaultConstructibleResults) {
  struct Count {
    explicit Count(std::size_t v) : value(v) {}
    std::size_t value;
  };
  const TernaryField x = random_field(make_shape({200, 300}), 0.4, 5);
  const Count support = dashi::reduce_parallel(
      x.view(), [](TernaryView block) { return Count(block.count_support()); },
      [](Count a, Count b) { return Count(a.value + b.value); }, Count(0),
      ParallelOptions{.num_workers = 2, .block_elems = 3'000});
  EXPECT_EQ(support.value, x.count_support());
  const auto owned = dashi::reduce_parallel(
      x.view(), [](TernaryView block) { return std::make_unique<std::size_t>(block.size()); },
      [](std::unique_ptr<std::size_t> a, std::unique_ptr<std::size_t> b) {
        *a += *b;
        return a;
      },
      std::make_unique<std::size_t>(0), ParallelOptions{.num_workers = 3, .block_elems = 1'000});
  EXPECT_EQ(*owned, x.size());
}

TEST(ReduceParallel, LowestFailingBlockDecidesTheException) {
  const TernaryField x = random_field(make_shape({400, 250}), 0.3, 6);
  const std::size_t block_elems = 250 * 5;
  for (int repeat = 0; repeat < 10; ++repeat) {
    for (const std::size_t workers : all_workers) {
      const auto map = [&](TernaryView block) -> std::uint64_t {
        const std::size_t index = offset_of(block, x.view()) / block_elems;
        if (index == 7 || index == 30 || index == 31 || index == 79) {
          throw std::runtime_error("block " + std::to_string(index));
        }
        return block.count_support();
      };
      try {
        (void)dashi::reduce_parallel(
            wide_pool(), x.view(), map, [](std::uint64_t a, std::uint64_t b) { return a + b; },
            std::uint64_t{0}, ParallelOptions{.num_workers = workers, .block_elems = block_elems});
        ADD_FAILURE() << "no exception, workers=" << workers;
      } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()), "block 7") << "workers=" << workers;
      }
    }
  }
  // The pool is still usable; an exception from combine reaches the caller too.
  EXPECT_EQ(dashi::reduce_parallel(
                wide_pool(), x.view(),
                [](TernaryView block) { return std::uint64_t{block.count_support()}; },
                [](std::uint64_t a, std::uint64_t b) { return a + b; }, std::uint64_t{0},
                ParallelOptions{.num_workers = 8, .block_elems = block_elems}),
            x.count_support());
  EXPECT_THROW((void)dashi::reduce_parallel(
                   x.view(), [](TernaryView) { return 1; },
                   [](int a, int b) -> int {
                     if (a + b > 3) {
                       throw std::overflow_error("combine");
                     }
                     return a + b;
                   },
                   0, ParallelOptions{.block_elems = block_elems}),
               std::overflow_error);
}

}  // namespace
