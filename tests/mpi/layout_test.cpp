// SPDX-License-Identifier: Apache-2.0
// SlabLayout (balanced and user splits, collective checks), the row datatypes and
// scatter/gather.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <dashi/mpi.hpp>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/mpi.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::SlabLayout;

TEST(SlabLayout, BalancedOwnershipRule) {
  const int p = world_size();
  for (const std::size_t rows :
       {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{97}, std::size_t{1000}}) {
    const SlabLayout layout(MPI_COMM_WORLD, Shape{rows, 3});
    EXPECT_EQ(layout.size(), p);
    EXPECT_EQ(layout.rank(), world_rank());
    EXPECT_EQ(layout.comm(), MPI_COMM_WORLD);
    EXPECT_EQ(layout.global_shape(), (Shape{rows, 3}));
    std::size_t covered = 0;
    for (int r = 0; r < p; ++r) {
      const auto ur = static_cast<std::size_t>(r);
      const auto up = static_cast<std::size_t>(p);
      EXPECT_EQ(layout.first_row(r), rows * ur / up) << "rows " << rows << " rank " << r;
      EXPECT_EQ(layout.row_count(r), rows * (ur + 1) / up - rows * ur / up);
      EXPECT_EQ(layout.first_row(r), covered);
      covered += layout.row_count(r);
    }
    EXPECT_EQ(covered, rows);
    EXPECT_EQ(layout.local_shape(), (Shape{layout.row_count(), 3}));
    for (std::size_t row = 0; row < rows; ++row) {
      const int owner = layout.owner_of_row(row);
      EXPECT_LE(layout.first_row(owner), row);
      EXPECT_LT(row, layout.first_row(owner) + layout.row_count(owner));
    }
  }
}

TEST(SlabLayout, UserSplitWithEmptySlabs) {
  const int p = world_size();
  std::vector<std::size_t> split(static_cast<std::size_t>(p), 0);
  split.back() = 4;
  split.front() += 3;  // p == 1: the one rank owns all 7
  const SlabLayout layout(MPI_COMM_WORLD, Shape{7}, split);
  EXPECT_EQ(layout.row_count(0), split.front());
  EXPECT_EQ(layout.first_row(p - 1), 7 - split.back());
  for (std::size_t row = 0; row < 7; ++row) {
    EXPECT_EQ(layout.owner_of_row(row), row < split.front() ? 0 : p - 1);
  }
}

TEST(SlabLayout, BadSplitsThrowTheSameErrorEverywhere) {
  const int p = world_size();
  const auto up = static_cast<std::size_t>(p);
  const std::string short_sum = message_of<std::invalid_argument>([&] {
    const std::vector<std::size_t> split(up, 1);  // adds up to p, the field has p + 1 rows
    const SlabLayout layout(MPI_COMM_WORLD, Shape{up + 1}, split);
  });
  EXPECT_NE(short_sum.find("adds up to " + std::to_string(p)), std::string::npos) << short_sum;
  EXPECT_TRUE(same_on_every_rank(short_sum));

  const std::string wrong_size = message_of<std::invalid_argument>([&] {
    const std::vector<std::size_t> split(up + 1, 1);
    const SlabLayout layout(MPI_COMM_WORLD, Shape{up + 1}, split);
  });
  EXPECT_NE(wrong_size.find("entries for " + std::to_string(p) + " ranks"), std::string::npos)
      << wrong_size;
  EXPECT_TRUE(same_on_every_rank(wrong_size));

  // Only the last rank disagrees about the split: every rank throws.
  if (p > 1) {
    const std::string differs = message_of<std::invalid_argument>([&] {
      std::vector<std::size_t> split(up, 2);
      if (world_rank() == p - 1) {
        split[0] = 1;
        split[1] = 3;
      }
      const SlabLayout layout(MPI_COMM_WORLD, Shape{2 * up}, split);
    });
    EXPECT_NE(differs.find("split (rows_per_rank) differs between ranks"), std::string::npos)
        << differs;
    EXPECT_TRUE(same_on_every_rank(differs));
  }
  // The communicator stays usable: the next layout works.
  const SlabLayout good(MPI_COMM_WORLD, Shape{up});
  EXPECT_EQ(good.row_count(), 1U);
}

TEST(SlabLayout, ShapesDifferingBetweenRanksThrowEverywhere) {
  const int p = world_size();
  if (p == 1) {
    GTEST_SKIP() << "needs two ranks";
  }
  const std::string text = message_of<std::invalid_argument>([&] {
    const SlabLayout layout(MPI_COMM_WORLD, world_rank() == 1 ? Shape{8, 4} : Shape{8, 5});
  });
  EXPECT_NE(text.find("global shape differs between ranks"), std::string::npos) << text;
  EXPECT_TRUE(same_on_every_rank(text));
}

TEST(RowDatatype, LargeFormCoversEveryByte) {
  // The form used for rows of more than INT_MAX bytes, exercised with small pieces: a run of
  // pieces followed by a remainder, and a run without remainder.
  for (const std::size_t bytes : {std::size_t{1000}, std::size_t{994}, std::size_t{7}}) {
    const dashi::mpi::detail::Datatype type = dashi::mpi::detail::bytes_type(bytes, 7);
    int size = 0;
    MPI_Type_size(type.get(), &size);
    EXPECT_EQ(static_cast<std::size_t>(size), bytes);
    MPI_Aint lb = 0;
    MPI_Aint extent = 0;
    MPI_Type_get_extent(type.get(), &lb, &extent);
    EXPECT_EQ(lb, 0);
    EXPECT_EQ(static_cast<std::size_t>(extent), bytes);
    std::vector<unsigned char> sent(2 * bytes);
    std::iota(sent.begin(), sent.end(), static_cast<unsigned char>(world_rank()));
    std::vector<unsigned char> received(2 * bytes, 0);
    MPI_Sendrecv(sent.data(), 2, type.get(), world_rank(), 0, received.data(), 2, type.get(),
                 world_rank(), 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    EXPECT_EQ(received, sent);
  }
}

TEST(ScatterGather, RoundTripForEverySplitAndRoot) {
  const int p = world_size();
  for (const Shape& shape : {Shape{37}, Shape{23, 17}, Shape{9, 3, 5}, Shape{0, 4}}) {
    const TernaryField global = dashi_test::random_field(shape, 0.3, 11 + shape.size());
    for (const auto& split : dashi_test::splits(shape.rows(), p, true)) {
      const SlabLayout layout = dashi_test::make_layout(shape, split);
      for (int root = 0; root < p; ++root) {
        // Only the root's field is read: the others pass an empty one.
        const TernaryField local = dashi::mpi::scatter(
            layout, world_rank() == root ? global.view() : TernaryField{}, root);
        EXPECT_EQ(dashi_test::my_rows_differ(layout, local, global), "")
            << split.name << " root " << root << " shape " << shape.to_string();
        const TernaryField back = dashi::mpi::gather(layout, local, root);
        if (world_rank() == root) {
          EXPECT_EQ(dashi_test::first_difference(back, global), "") << split.name;
        } else {
          EXPECT_EQ(back.size(), 0U);
        }
      }
    }
  }
}

TEST(ScatterGather, BadArgumentsThrowEverywhere) {
  const int p = world_size();
  const SlabLayout layout(MPI_COMM_WORLD, Shape{4 * static_cast<std::size_t>(p), 3});
  const std::string bad_root = message_of<std::invalid_argument>(
      [&] { const TernaryField local = dashi::mpi::scatter(layout, TernaryField{}, p); });
  EXPECT_NE(bad_root.find("root " + std::to_string(p) + " is not a rank"), std::string::npos);
  EXPECT_TRUE(same_on_every_rank(bad_root));
  const std::string bad_field = message_of<std::invalid_argument>([&] {
    const TernaryField wrong = TernaryField::zeros(Shape{3, 3});
    const TernaryField local = dashi::mpi::scatter(layout, wrong, 0);
  });
  EXPECT_NE(bad_field.find("the root's field has shape (3, 3)"), std::string::npos) << bad_field;
  EXPECT_TRUE(same_on_every_rank(bad_field));
  const std::string bad_slab = message_of<std::invalid_argument>([&] {
    const TernaryField wrong = TernaryField::zeros(Shape{world_rank() == p - 1 ? 5U : 4U, 3});
    const TernaryField global = dashi::mpi::gather(layout, wrong, 0);
  });
  EXPECT_NE(bad_slab.find("rank " + std::to_string(p - 1) + " passed a slab of shape (5, 3)"),
            std::string::npos)
      << bad_slab;
  EXPECT_TRUE(same_on_every_rank(bad_slab));
}

}  // namespace
