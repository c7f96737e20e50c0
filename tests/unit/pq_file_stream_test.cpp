// SPDX-License-Identifier: Apache-2.0
// The streaming PQ-FS writer: byte-identical to write_file under every chunking (one row
// at a time, fixed and random chunk sizes, chunks that cross the internal staging
// threshold), every rank and worker count; atomic commit; misuse errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/files.hpp"
#include "support/pq_file_reference.hpp"

namespace {

using namespace dashi_test;

using dashi::pq::FileOptions;
using dashi::pq::FileWriter;
using dashi::pq::PqFile;
using dashi::pq::write_file;

/// Writes `field` through a FileWriter in chunks of `chunk(i)` rows (i = chunk number).
template <class Chunk>
void stream(const std::filesystem::path& path, const TernaryField& field,
            const FileOptions& options, Chunk chunk) {
  FileWriter writer(path, field.shape(), options);
  std::size_t row = 0;
  for (std::size_t i = 0; row < field.shape().rows(); ++i) {
    const std::size_t rows = std::min(chunk(i), field.shape().rows() - row);
    writer.append(field.rows(row, rows));
    row += rows;
    EXPECT_EQ(writer.rows_appended(), row);
  }
  writer.finish();
}

TEST(FileWriter, EveryChunkingGivesTheBytesOfWriteFile) {
  const TempDir dir;
  std::uint64_t seed = 1;
  for (const Shape& shape : {make_shape({20011}), make_shape({211, 97}), make_shape({9, 11, 13}),
                             make_shape({3, 4, 5, 67})}) {
    for (const double sparsity : {0.0, 0.5, 1.0}) {
      const TernaryField field = random_field(shape, sparsity, seed++);
      for (const std::uint32_t sb : {4096U, 8192U}) {
        write_file(dir / "ref.pqfs", field, {.sb_bytes = sb});
        const Bytes reference = read_bytes(dir / "ref.pqfs");
        for (const std::size_t fixed : {1U, 2U, 3U, 7U, 64U, 1000U, 1U << 30}) {
          stream(dir / "s.pqfs", field, {.sb_bytes = sb}, [&](std::size_t) { return fixed; });
          ASSERT_EQ(read_bytes(dir / "s.pqfs"), reference)
              << shape.to_string() << " sparsity " << sparsity << " sb " << sb << " chunks of "
              << fixed;
        }
        dashi_test::Rng rng(seed);
        stream(dir / "s.pqfs", field, {.sb_bytes = sb, .num_workers = 3},
               [&](std::size_t) { return 1 + rng.below(shape.rows()); });
        ASSERT_EQ(read_bytes(dir / "s.pqfs"), reference) << shape.to_string() << " random chunks";
      }
    }
  }
}

TEST(FileWriter, ChunksAcrossTheStagingThreshold) {
  // About 1.5 M sites with 4 KiB superblocks: many flushes from the staging buffer and
  // many straight from the caller's rows, in every order.
  const TempDir dir;
  const TernaryField field = random_field(make_shape({1500007}), 0.5, 42);
  for (const std::size_t workers : {1U, 2U, 5U}) {
    write_file(dir / "ref.pqfs", field, {.sb_bytes = 4096, .num_workers = workers});
    const Bytes reference = read_bytes(dir / "ref.pqfs");
    if (workers == 1) {
      ASSERT_EQ(reference, dashi_test::reference_file(field, 4096));
    }
    dashi_test::Rng rng(workers);
    const std::vector<std::size_t> sizes = {1,     63,    64,    65,     4095,  30000,
                                            48479, 48480, 48481, 100000, 250000};
    stream(dir / "s.pqfs", field, {.sb_bytes = 4096, .num_workers = workers},
           [&](std::size_t i) { return sizes[i % sizes.size()]; });
    EXPECT_EQ(read_bytes(dir / "s.pqfs"), reference) << workers << " workers, cycled sizes";
    stream(dir / "s.pqfs", field, {.sb_bytes = 4096, .num_workers = workers},
           [&](std::size_t) { return 1 + rng.below(200000); });
    EXPECT_EQ(read_bytes(dir / "s.pqfs"), reference) << workers << " workers, random sizes";
  }
}

TEST(FileWriter, OneSiteRowsAtATimeWithDefaultSuperblocks) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({5000001}), 0.3, 43);
  write_file(dir / "ref.pqfs", field);
  stream(dir / "s.pqfs", field, {}, [](std::size_t) { return std::size_t{1}; });
  EXPECT_EQ(read_bytes(dir / "s.pqfs"), read_bytes(dir / "ref.pqfs"));
  EXPECT_EQ(PqFile(dir / "s.pqfs").read_all(), field);
}

TEST(FileWriter, EmptyFields) {
  const TempDir dir;
  for (const Shape& shape : {make_shape({0}), make_shape({4, 0}), make_shape({0, 5})}) {
    const TernaryField field = TernaryField::zeros(shape);
    write_file(dir / "ref.pqfs", field);
    FileWriter writer(dir / "s.pqfs", shape);
    for (std::size_t row = 0; row < shape.rows(); ++row) {
      writer.append(field.rows(row, 1));
    }
    writer.finish();
    EXPECT_EQ(read_bytes(dir / "s.pqfs"), read_bytes(dir / "ref.pqfs")) << shape.to_string();
  }
}

TEST(FileWriter, NothingAppearsUntilFinish) {
  const TempDir dir;
  const auto path = dir / "late.pqfs";
  const TernaryField field = random_field(make_shape({200, 1000}), 0.5, 44);
  FileWriter writer(path, field.shape(), {.sb_bytes = 4096});
  writer.append(field.rows(0, 150));
  EXPECT_FALSE(std::filesystem::exists(path));
  writer.append(field.rows(150, 50));
  EXPECT_FALSE(std::filesystem::exists(path));
  writer.finish();
  EXPECT_EQ(PqFile(path).read_all(), field);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"late.pqfs"});
}

TEST(FileWriter, AbandonedWriterRemovesItsTemporaryFile) {
  const TempDir dir;
  const auto path = dir / "kept.pqfs";
  const TernaryField old_field = random_field(make_shape({300}), 0.5, 45);
  write_file(path, old_field);
  const Bytes before = read_bytes(path);
  const TernaryField field = random_field(make_shape({200, 1000}), 0.5, 46);
  {
    FileWriter writer(path, field.shape(), {.sb_bytes = 4096});
    writer.append(field.rows(0, 120));
    EXPECT_EQ(dir.entries().size(), 2U);  // the target and the temporary file
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"kept.pqfs"});
  EXPECT_EQ(read_bytes(path), before);
}

TEST(FileWriter, MisuseIsReported) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({10, 20}), 0.5, 47);
  FileWriter writer(dir / "m.pqfs", field.shape());
  const TernaryField wrong = random_field(make_shape({2, 21}), 0.5, 48);
  EXPECT_THROW(writer.append(wrong), std::invalid_argument);
  const TernaryField wrong_rank = random_field(make_shape({20}), 0.5, 49);
  EXPECT_THROW(writer.append(wrong_rank), std::invalid_argument);
  writer.append(field.rows(0, 6));
  EXPECT_THROW(writer.append(field.rows(0, 5)), std::out_of_range);
  EXPECT_THROW(writer.finish(), std::logic_error);  // 6 of 10 rows
  writer.append(field.rows(6, 4));                  // still usable
  writer.finish();
  EXPECT_THROW(writer.append(field.rows(0, 1)), std::logic_error);
  EXPECT_THROW(writer.finish(), std::logic_error);
  EXPECT_EQ(PqFile(dir / "m.pqfs").read_all(), field);
}

TEST(FileWriter, MovedWritersCarryOn) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({100, 100}), 0.5, 50);
  FileWriter first(dir / "mv.pqfs", field.shape(), {.sb_bytes = 4096});
  first.append(field.rows(0, 40));
  FileWriter second = std::move(first);
  // A moved-from writer refuses further use.
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_THROW(first.append(field.rows(40, 1)), std::logic_error);
  second.append(field.rows(40, 60));
  second.finish();
  write_file(dir / "ref.pqfs", field, {.sb_bytes = 4096});
  EXPECT_EQ(read_bytes(dir / "mv.pqfs"), read_bytes(dir / "ref.pqfs"));
}

}  // namespace
