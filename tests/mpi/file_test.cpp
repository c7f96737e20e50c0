// SPDX-License-Identifier: Apache-2.0
// Collective PQ-FS checkpoints: dashi::mpi::write_file produces the same bytes as
// pq::write_file of the global field (written by each rank itself, from the same seeded
// field), for every split — superblocks and 64-site words straddling ranks, empty slabs —
// every support fraction and superblock size; read_slab gives each rank its rows; errors are
// collective and leave no temporary file.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstddef>
#include <dashi/mpi.hpp>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/fields.hpp"
#include "support/mpi.hpp"
#include "support/seeded.hpp"

namespace {

using namespace dashi_test;

using dashi::mpi::SlabLayout;

/// A file name of this test run (distinct per rank count: the rank counts run in parallel).
std::filesystem::path test_file(const std::string& name, bool per_rank = false) {
  const std::filesystem::path dir =
      std::filesystem::path(DASHICORE_MPI_TEST_DIR) / ("files_np" + std::to_string(world_size()));
  std::filesystem::create_directories(dir);
  return dir / (name + (per_rank ? "_rank" + std::to_string(world_rank()) : "") + ".pqfs");
}

/// The file's bytes; empty when it cannot be read (never throws, unlike
/// dashi_test::read_bytes: a missing file then fails the comparison on its rank while every
/// rank stays in step for the next collective call).
std::vector<char> bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Temporary files left beside `path` (named after its file name, perhaps cut short, then
/// ".tmp").
std::size_t leftovers(const std::filesystem::path& path) {
  const std::string stem = path.filename().string().substr(0, 40);
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name.find(stem) != std::string::npos && name.find(".tmp") != std::string::npos) {
      ++count;
    }
  }
  return count;
}

TEST(WriteFile, ByteIdenticalToTheSingleProcessWriterForEverySplit) {
  struct Case {
    Shape shape;
    unsigned percent;
    std::uint32_t sb_bytes;
  };
  const Case cases[] = {{Shape{100003}, 30, 4096},    {Shape{317, 301}, 100, 4096},
                        {Shape{70, 9, 150}, 0, 4096}, {Shape{250, 130}, 55, 8192},
                        {Shape{61}, 50, 4096},        {Shape{0, 7}, 0, 4096},
                        {Shape{100003}, 70, 65536},   {Shape{2000, 37}, 15, 16384}};
  for (const Case& c : cases) {
    const TernaryField global = dashi_test::percent_field(c.shape, c.percent, 40 + c.percent);
    // The reference: the single-process writer, run by every rank on its own copy.
    const auto reference = test_file("reference", true);
    dashi::pq::write_file(reference, global, {.sb_bytes = c.sb_bytes});
    const std::vector<char> expected = bytes_of(reference);
    for (const auto& split : dashi_test::splits(c.shape.rows(), world_size(), true)) {
      const SlabLayout layout = dashi_test::make_layout(c.shape, split);
      const TernaryView local = dashi_test::my_rows(layout, global);
      const auto path = test_file("distributed");
      dashi::mpi::write_file(layout, path, local, {.sb_bytes = c.sb_bytes});
      EXPECT_TRUE(bytes_of(path) == expected)
          << "shape " << c.shape.to_string() << " " << c.percent << "% sb_bytes " << c.sb_bytes
          << " split " << split.name << ": " << bytes_of(path).size() << " bytes, expected "
          << expected.size();
      EXPECT_EQ(leftovers(path), 0U);
      const TernaryField mine = dashi::mpi::read_slab(layout, path);
      EXPECT_EQ(dashi_test::my_rows_differ(layout, mine, global), "") << split.name;
      MPI_Barrier(MPI_COMM_WORLD);  // nobody reads while the next split overwrites the file
    }
  }
}

TEST(WriteFile, ByteIdenticalAroundWordAndSuperblockSizes) {
  // 4096-byte superblocks hold at most 8 * (4096 - 64) = 32256 sites; every 64-site word
  // is split between ranks by the one-row-per-rank splits of a 1-D field.
  const std::size_t sizes[] = {1, 63, 64, 65, 129, 32255, 32256, 32257, 32320, 70001};
  const unsigned percents[] = {0, 3, 50, 97, 100};
  for (const std::size_t n : sizes) {
    for (const unsigned percent : percents) {
      const Shape shape{n};
      const TernaryField global = dashi_test::percent_field(shape, percent, 7 + n + percent);
      const auto reference = test_file("sweep_reference", true);
      dashi::pq::write_file(reference, global, {.sb_bytes = 4096});
      const std::vector<char> expected = bytes_of(reference);
      for (const auto& split : dashi_test::splits(n, world_size(), true)) {
        const SlabLayout layout = dashi_test::make_layout(shape, split);
        const auto path = test_file("sweep");
        dashi::mpi::write_file(layout, path, dashi_test::my_rows(layout, global),
                               {.sb_bytes = 4096});
        EXPECT_TRUE(bytes_of(path) == expected)
            << n << " sites, " << percent << "% split " << split.name;
        MPI_Barrier(MPI_COMM_WORLD);
      }
    }
  }
}

TEST(ReadSlab, ReadsAnyFileAndChecksItsShape) {
  const Shape shape{203, 77};
  const TernaryField global = dashi_test::percent_field(shape, 40, 8);
  const auto path = test_file("single_writer");
  if (world_rank() == 0) {
    dashi::pq::write_file(path, global, {.sb_bytes = 4096});
  }
  MPI_Barrier(MPI_COMM_WORLD);
  for (const auto& split : dashi_test::splits(shape.rows(), world_size(), true)) {
    const SlabLayout layout = dashi_test::make_layout(shape, split);
    EXPECT_EQ(dashi_test::my_rows_differ(layout, dashi::mpi::read_slab(layout, path), global), "")
        << split.name;
  }
  const SlabLayout other(MPI_COMM_WORLD, Shape{203, 76});
  try {
    const TernaryField rows = dashi::mpi::read_slab(other, path);
    ADD_FAILURE() << "a file of another shape must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("holds a field of shape (203, 77)"), std::string::npos)
        << e.what();
  }
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  try {
    const TernaryField rows = dashi::mpi::read_slab(layout, test_file("missing"));
    ADD_FAILURE() << "a missing file must be an error";
  } catch (const dashi::mpi::RemoteError& e) {
    EXPECT_NE(world_rank(), 0);
    EXPECT_EQ(e.rank(), 0);
  } catch (const std::exception& e) {
    EXPECT_EQ(world_rank(), 0) << e.what();
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(WriteFile, ErrorsAreCollectiveAndLeaveNoTemporaryFile) {
  const Shape shape{40, 10};
  const TernaryField global = dashi_test::percent_field(shape, 40, 9);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = dashi_test::my_rows(layout, global);
  try {
    dashi::mpi::write_file(layout, test_file("bad_sb"), local, {.sb_bytes = 5000});
    ADD_FAILURE() << "sb_bytes 5000 is not a multiple of 4096";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("dashi::mpi::write_file: sb_bytes must be a multiple of "
                                         "4096 in [4096, 2^28], got 5000"),
              std::string::npos)
        << e.what();
  }
  // Bytes that are not trits: the collective writer refuses them exactly when the
  // single-process writer does, on every rank.
  TernaryField broken = TernaryField::zeros(shape);
  broken.data()[broken.size() - 1] = -100;
  bool refused = false;
  try {
    dashi::pq::write_file(test_file("not_trits_reference", true), broken, {.sb_bytes = 4096});
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  EXPECT_TRUE(refused) << "the single-process writer accepts the byte -100";
  if (world_rank() == 0) {
    std::filesystem::remove(test_file("not_trits"));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  try {
    dashi::mpi::write_file(layout, test_file("not_trits"), dashi_test::my_rows(layout, broken),
                           {.sb_bytes = 4096});
    EXPECT_FALSE(refused) << "the byte -100 must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(refused) << e.what();
    EXPECT_NE(std::string(e.what()).find("not trits"), std::string::npos) << e.what();
    EXPECT_FALSE(std::filesystem::exists(test_file("not_trits")));
  }
  EXPECT_EQ(leftovers(test_file("not_trits")), 0U);
  // The longest name the folder accepts: the temporary name must fit too.
  const auto longest = test_file("").parent_path() / std::string(255, 'n');
  dashi::mpi::write_file(layout, longest, local);
  EXPECT_EQ(dashi_test::my_rows_differ(layout, dashi::mpi::read_slab(layout, longest), global), "");
  EXPECT_EQ(leftovers(longest), 0U);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    std::filesystem::remove(longest);
  }
  const auto unreachable = test_file("no_such_directory") / "file.pqfs";
  try {
    dashi::mpi::write_file(layout, unreachable, local);
    ADD_FAILURE() << "a file in a missing directory cannot be written";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create"), std::string::npos) << e.what();
  }
  // An existing file is replaced whole.
  const auto path = test_file("replaced");
  dashi::mpi::write_file(layout, path, TernaryField::zeros(layout.local_shape()));
  dashi::mpi::write_file(layout, path, local);
  EXPECT_EQ(dashi_test::my_rows_differ(layout, dashi::mpi::read_slab(layout, path), global), "");
  EXPECT_EQ(leftovers(path), 0U);
}

/// A path of exactly `length` characters below this run's folder whose file name has
/// `name_length` characters (folders of up to 200 characters in between).
std::filesystem::path path_of_length(std::size_t length, std::size_t name_length) {
  std::filesystem::path folder = test_file("").parent_path() / "deep";
  const auto room = [&] { return length - folder.string().size() - 1 - name_length - 1; };
  while (room() > 200) {
    folder /= std::string(200, 'd');
  }
  folder /= std::string(room(), 'e');
  const std::filesystem::path path = folder / std::string(name_length, 'n');
  EXPECT_EQ(path.string().size(), length);
  return path;
}

TEST(WriteFile, AnyPathTheSingleProcessWriterTakes) {
  const int p = world_size();
  const Shape shape{9 * static_cast<std::size_t>(p), 70};
  const TernaryField global = dashi_test::random_field(shape, 0.4, 71);
  const SlabLayout layout(MPI_COMM_WORLD, shape);
  const TernaryView local = dashi_test::my_rows(layout, global);
  const std::filesystem::path reference = test_file("long_path_reference");
  if (world_rank() == 0) {
    dashi::pq::write_file(reference, global, {.sb_bytes = 4096});
  }
  // 4,000 characters with a short name, and with a name of 255 characters (NAME_MAX).
  for (const std::size_t name_length : {8U, 255U}) {
    const std::filesystem::path path = path_of_length(4000, name_length);
    if (world_rank() == 0) {
      std::filesystem::create_directories(path.parent_path());
    }
    MPI_Barrier(MPI_COMM_WORLD);
    dashi::mpi::write_file(layout, path, local, {.sb_bytes = 4096});
    EXPECT_EQ(bytes_of(path), bytes_of(reference)) << "name of " << name_length;
    EXPECT_EQ(dashi_test::my_rows_differ(layout, dashi::mpi::read_slab(layout, path), global), "");
    EXPECT_EQ(leftovers(path), 0U);
  }
  // Past PATH_MAX: the same clean exception on every rank, as the single-process writer
  // refuses it.
  const std::filesystem::path too_long = path_of_length(4200, 255);
  if (world_rank() == 0) {
    std::filesystem::create_directories(too_long.parent_path());
    EXPECT_THROW(dashi::pq::write_file(too_long, global), std::system_error);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string refused =
      message_of<std::runtime_error>([&] { dashi::mpi::write_file(layout, too_long, local); });
  EXPECT_NE(refused.find("cannot create"), std::string::npos) << refused;
  EXPECT_TRUE(same_on_every_rank(refused));
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    std::filesystem::remove_all(test_file("").parent_path() / "deep");
    std::filesystem::remove(reference);
  }
}

}  // namespace
