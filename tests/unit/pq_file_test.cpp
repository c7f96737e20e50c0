// SPDX-License-Identifier: Apache-2.0
// PQ-FS files: exact bytes against an independent reference writer, the greedy fill rule
// against brute force, round trips over ranks and sparsities, worker-count independence,
// row reads that touch only the superblocks they need, atomic writes and I/O errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "support/fields.hpp"
#include "support/files.hpp"
#include "support/pq_file_reference.hpp"

namespace {

using namespace dashi_test;

using dashi::pq::FileOptions;
using dashi::pq::FormatError;
using dashi::pq::PqFile;
using dashi::pq::write_file;

/// Fields of ranks 1-4, with sizes that are and are not multiples of 8 and 64.
std::vector<Shape> test_shapes() {
  return {make_shape({1}),          make_shape({7}),
          make_shape({64}),         make_shape({65}),
          make_shape({100003}),     make_shape({317, 129}),
          make_shape({64, 64}),     make_shape({13, 17, 19}),
          make_shape({5, 6, 7, 8}), make_shape({3, 1, 1, 40000})};
}

TEST(PqFile, MatchesTheReferenceWriterByteForByte) {
  const TempDir dir;
  std::uint64_t seed = 1;
  for (const Shape& shape : test_shapes()) {
    for (const double sparsity : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      for (const std::uint32_t sb : {4096U, 8192U, 65536U}) {
        const TernaryField field = random_field(shape, sparsity, seed++);
        const auto path = dir / "f.pqfs";
        write_file(path, field, {.sb_bytes = sb});
        const Bytes expected = dashi_test::reference_file(field, sb);
        const Bytes actual = read_bytes(path);
        ASSERT_EQ(actual.size(), expected.size()) << shape.to_string() << " s=" << sparsity;
        const auto mismatch = std::mismatch(actual.begin(), actual.end(), expected.begin());
        ASSERT_TRUE(mismatch.first == actual.end())
            << shape.to_string() << " sparsity " << sparsity << " sb_bytes " << sb
            << ": first differing byte " << (mismatch.first - actual.begin());
      }
    }
  }
}

TEST(PqFile, SuperblockSizesFollowTheBruteForceFillRule) {
  const TempDir dir;
  // Sparsity varies along the field so superblock sizes vary too.
  dashi_test::Rng rng(7);
  std::vector<std::int8_t> values(600000);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double density = 0.5 + 0.5 * std::sin(static_cast<double>(i) / 9000.0);
    values[i] = rng.unit() < density ? ((rng.next() & 1U) != 0 ? std::int8_t{1} : std::int8_t{-1})
                                     : std::int8_t{0};
  }
  const TernaryField field = TernaryField::from_signed(std::span<const std::int8_t>(values));
  for (const std::uint32_t sb : {4096U, 12288U, 262144U}) {
    const auto path = dir / "fill.pqfs";
    write_file(path, field, {.sb_bytes = sb});
    const Bytes b = read_bytes(path);
    const std::vector<std::uint64_t> expected = dashi_test::reference_fill(values, sb);
    ASSERT_EQ(dashi_test::load(b, 72, 8), expected.size());
    std::uint64_t first = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::size_t base = 4096 + i * sb;
      EXPECT_EQ(dashi_test::load(b, base + 24, 8), first) << "superblock " << i;
      EXPECT_EQ(dashi_test::load(b, base + 32, 4), expected[i]) << "superblock " << i;
      first += expected[i];
    }
  }
}

TEST(PqFile, PlannerDecidesTheSameSuperblocksFromPartialData) {
  // Planning in pieces (as the streaming writer does) equals planning everything at once.
  dashi_test::Rng rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const std::uint64_t n = 1 + rng.below(300000);
    std::vector<std::uint8_t> counts((n + 63) / 64);
    for (std::size_t w = 0; w < counts.size(); ++w) {
      const std::uint64_t sites = std::min<std::uint64_t>(64, n - 64 * w);
      counts[w] = static_cast<std::uint8_t>(rng.below(static_cast<std::size_t>(sites) + 1));
    }
    const std::uint64_t sb = 4096 * (1 + rng.below(3));
    std::vector<dashi::pq::detail::SuperblockPlanEntry> whole;
    ASSERT_EQ(dashi::pq::detail::plan_superblocks(counts, n, n, sb, 0, whole), n);
    std::vector<dashi::pq::detail::SuperblockPlanEntry> pieces;
    std::uint64_t done = 0;
    std::uint64_t available = 0;
    while (done < n) {
      available = std::min(n, available + 1 + rng.below(50000));
      const std::uint64_t words = available == n ? counts.size() : available / 64;
      const std::span<const std::uint8_t> part(counts.data() + done / 64,
                                               static_cast<std::size_t>(words - done / 64));
      std::vector<dashi::pq::detail::SuperblockPlanEntry> out;
      const std::uint64_t planned =
          dashi::pq::detail::plan_superblocks(part, available - done, n - done, sb, done, out);
      for (const auto& entry : out) {
        pieces.push_back(entry);
      }
      done += planned;
    }
    ASSERT_EQ(whole.size(), pieces.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(whole[i].first_site, pieces[i].first_site);
      EXPECT_EQ(whole[i].sites, pieces[i].sites);
      EXPECT_EQ(whole[i].support, pieces[i].support);
    }
  }
}

TEST(PqFile, RoundTripsEveryRankAndSparsity) {
  const TempDir dir;
  std::uint64_t seed = 100;
  for (const Shape& shape : test_shapes()) {
    for (const double sparsity : {0.0, 0.3, 0.5, 0.97, 1.0}) {
      const TernaryField field = random_field(shape, sparsity, seed++);
      const auto path = dir / "rt.pqfs";
      write_file(path, field, {.sb_bytes = 4096});
      const PqFile file(path);
      EXPECT_EQ(file.shape(), shape);
      EXPECT_EQ(file.size(), shape.size());
      EXPECT_EQ(file.support_count(), field.count_support());
      EXPECT_EQ(file.sb_bytes(), 4096U);
      EXPECT_EQ(std::filesystem::file_size(path), 4096 + file.superblock_count() * 4096);
      const TernaryField back = file.read_all();
      ASSERT_EQ(back, field) << shape.to_string() << " sparsity " << sparsity;
    }
  }
}

TEST(PqFile, BytesDoNotDependOnTheWorkerCount) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({1000, 1003}), 0.5, 21);
  write_file(dir / "ref.pqfs", field, {.sb_bytes = 8192, .num_workers = 1});
  const Bytes reference = read_bytes(dir / "ref.pqfs");
  for (const std::size_t workers : {2U, 3U, 8U, 0U}) {
    write_file(dir / "w.pqfs", field, {.sb_bytes = 8192, .num_workers = workers});
    EXPECT_EQ(read_bytes(dir / "w.pqfs"), reference) << workers << " workers";
    const PqFile file(dir / "w.pqfs", {.num_workers = workers});
    EXPECT_EQ(file.read_all(), field) << workers << " workers";
    EXPECT_EQ(file.read_rows(17, 555), copy_rows(field, 17, 555)) << workers << " workers";
  }
}

TEST(PqFile, EmptyFieldsHaveNoSuperblocks) {
  const TempDir dir;
  for (const Shape& shape :
       {make_shape({0}), make_shape({5, 0}), make_shape({0, 3, 3}), make_shape({2, 2, 0, 2})}) {
    const TernaryField field = TernaryField::zeros(shape);
    write_file(dir / "e.pqfs", field);
    const Bytes b = read_bytes(dir / "e.pqfs");
    ASSERT_EQ(b.size(), 4096U);
    EXPECT_EQ(b, dashi_test::reference_file(field, 262144));
    EXPECT_EQ(dashi_test::load(b, 72, 8), 0U);
    const PqFile file(dir / "e.pqfs");
    EXPECT_EQ(file.shape(), shape);
    EXPECT_EQ(file.superblock_count(), 0U);
    EXPECT_EQ(file.read_all(), field);
    EXPECT_EQ(file.read_rows(0, shape.rows()).shape(), shape);
  }
}

TEST(PqFile, ReadRowsMatchesEveryRowRange) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({61, 997}), 0.4, 5);
  write_file(dir / "r.pqfs", field, {.sb_bytes = 4096});
  for (const std::size_t workers : {1U, 3U}) {
    const PqFile file(dir / "r.pqfs", {.num_workers = workers});
    ASSERT_GT(file.superblock_count(), 3U);
    for (std::size_t first = 0; first <= 61; ++first) {
      for (std::size_t count = 0; first + count <= 61; ++count) {
        ASSERT_EQ(file.read_rows(first, count), copy_rows(field, first, count))
            << "rows " << first << " + " << count << ", " << workers << " workers";
      }
    }
  }
}

TEST(PqFile, ReadRowsOfRankOneAtEveryOffset) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({70001}), 0.5, 6);
  write_file(dir / "r1.pqfs", field, {.sb_bytes = 4096});
  const PqFile file(dir / "r1.pqfs");
  dashi_test::Rng rng(3);
  for (int trial = 0; trial < 3000; ++trial) {
    const std::size_t first = rng.below(70001);
    const std::size_t count = rng.below(std::min<std::size_t>(70001 - first, 40000) + 1);
    ASSERT_EQ(file.read_rows(first, count), copy_rows(field, first, count))
        << "rows " << first << " + " << count;
  }
}

TEST(PqFile, ReadRowsOutOfRangeThrows) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({10, 10}), 0.5, 8);
  write_file(dir / "o.pqfs", field);
  const PqFile file(dir / "o.pqfs");
  EXPECT_THROW((void)file.read_rows(11, 0), std::out_of_range);
  EXPECT_THROW((void)file.read_rows(5, 6), std::out_of_range);
  EXPECT_THROW((void)file.read_rows(0, 11), std::out_of_range);
  EXPECT_THROW((void)file.read_rows(1, SIZE_MAX), std::out_of_range);
  EXPECT_EQ(file.read_rows(10, 0).size(), 0U);
  EXPECT_EQ(file.read_rows(0, 10), field);
}

TEST(PqFile, ReadRowsReadsOnlyTheSuperblocksHoldingItsRows) {
  // Every superblock that does not hold one of the rows gets a damaged payload (its header
  // stays valid, so the binary search may read it): a read that decoded one would throw.
  // Damaging one superblock that does hold a row must be noticed.
  const TempDir dir;
  const TernaryField field = random_field(make_shape({4000, 1000}), 0.5, 9);
  const auto path = dir / "big.pqfs";
  write_file(path, field, {.sb_bytes = 4096});
  const Bytes original = read_bytes(path);
  const std::uint64_t count = dashi_test::load(original, 72, 8);
  ASSERT_GT(count, 150U);
  const auto payload_byte = [](std::uint64_t index) {
    return static_cast<std::size_t>(4096 + index * 4096 + 64);  // the first P byte
  };
  dashi_test::Rng rng(4);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t first = rng.below(4000);
    const std::size_t rows = 1 + rng.below(std::min<std::size_t>(4000 - first, 30));
    const std::uint64_t lo = first * 1000;
    const std::uint64_t hi = (first + rows) * 1000;
    Bytes damaged = original;
    std::vector<std::uint64_t> holding;
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint64_t start =
          dashi_test::load(original, static_cast<std::size_t>(4096 + i * 4096 + 24), 8);
      const std::uint64_t sites =
          dashi_test::load(original, static_cast<std::size_t>(4096 + i * 4096 + 32), 4);
      if (start < hi && start + sites > lo) {
        holding.push_back(i);
      } else {
        damaged[payload_byte(i)] ^= 0x01;
      }
    }
    ASSERT_FALSE(holding.empty());
    dashi_test::write_bytes(path, damaged);
    ASSERT_EQ(PqFile(path).read_rows(first, rows), copy_rows(field, first, rows))
        << "rows " << first << " + " << rows;
    damaged[payload_byte(holding[rng.below(holding.size())])] ^= 0x01;
    dashi_test::write_bytes(path, damaged);
    EXPECT_THROW((void)PqFile(path).read_rows(first, rows), FormatError);
  }
}

TEST(PqFile, ReadRowsIgnoresCorruptionOutsideItsSuperblocks) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({400, 1000}), 0.5, 10);
  const auto path = dir / "c.pqfs";
  write_file(path, field, {.sb_bytes = 4096});
  Bytes b = read_bytes(path);
  const std::uint64_t count = dashi_test::load(b, 72, 8);
  ASSERT_GT(count, 10U);
  // Damage the payload of the last superblock: read_all fails, the first rows still read.
  b[4096 + static_cast<std::size_t>(count - 1) * 4096 + 100] ^= 0x10;
  dashi_test::write_bytes(path, b);
  const PqFile file(path);
  EXPECT_THROW((void)file.read_all(), FormatError);
  EXPECT_EQ(file.read_rows(0, 100), copy_rows(field, 0, 100));
  EXPECT_EQ(file.read_rows(150, 50), copy_rows(field, 150, 50));
  EXPECT_THROW((void)file.read_rows(399, 1), FormatError);
}

TEST(PqFile, ConcurrentReadsFromOneFile) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({300, 1000}), 0.5, 12);
  write_file(dir / "t.pqfs", field, {.sb_bytes = 4096});
  const PqFile file(dir / "t.pqfs");
  std::vector<std::jthread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      dashi_test::Rng rng(static_cast<std::uint64_t>(t));
      for (int i = 0; i < 50; ++i) {
        const std::size_t first = rng.below(300);
        const std::size_t rows = rng.below(300 - first + 1);
        if (file.read_rows(first, rows) != copy_rows(field, first, rows)) {
          ++failures;
        }
      }
    });
  }
  threads.clear();
  EXPECT_EQ(failures.load(), 0);
}

TEST(PqFile, MoveKeepsTheFileReadable) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({50, 50}), 0.5, 13);
  write_file(dir / "m.pqfs", field);
  PqFile a(dir / "m.pqfs");
  PqFile b = std::move(a);
  EXPECT_EQ(b.read_all(), field);
  EXPECT_EQ(b.path(), dir / "m.pqfs");
}

TEST(PqFile, InvalidSuperblockSizesAreRejected) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({100}), 0.5, 14);
  for (const std::uint32_t sb :
       {0U, 1U, 2048U, 4095U, 4097U, 6144U, 12289U, (1U << 28) + 4096U, 0xFFFFF000U}) {
    EXPECT_THROW(write_file(dir / "x.pqfs", field, {.sb_bytes = sb}), std::invalid_argument) << sb;
    EXPECT_THROW(dashi::pq::FileWriter(dir / "x.pqfs", field.shape(), {.sb_bytes = sb}),
                 std::invalid_argument);
  }
  EXPECT_TRUE(dir.entries().empty());
  // The bounds themselves are valid.
  write_file(dir / "x.pqfs", field, {.sb_bytes = 4096});
  const dashi::pq::FileWriter largest(dir / "y.pqfs", field.shape(), {.sb_bytes = 1U << 28});
}

TEST(PqFile, WriteReplacesAnExistingFile) {
  const TempDir dir;
  const auto path = dir / "replace.pqfs";
  const TernaryField first = random_field(make_shape({1000}), 0.5, 15);
  const TernaryField second = random_field(make_shape({20, 30}), 0.2, 16);
  write_file(path, first);
  write_file(path, second);
  EXPECT_EQ(PqFile(path).read_all(), second);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"replace.pqfs"});
}

TEST(PqFile, WritesRelativeToTheCurrentFolder) {
  const TempDir dir;
  const auto saved = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const TernaryField field = random_field(make_shape({100}), 0.5, 17);
  write_file("here.pqfs", field);
  EXPECT_EQ(PqFile("here.pqfs").read_all(), field);
  std::filesystem::current_path(saved);
}

TEST(PqFile, LongFileNamesThatTheSystemAcceptsWork) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({300}), 0.5, 18);
  for (const std::size_t length : {std::size_t{240}, std::size_t{245}, std::size_t{255}}) {
    const std::string name = std::string(length - 5, 'n') + ".pqfs";
    write_file(dir / name, field);
    EXPECT_EQ(PqFile(dir / name).read_all(), field) << length;
    dashi::pq::FileWriter writer(dir / name, field.shape());
    writer.append(field);
    writer.finish();
    EXPECT_EQ(PqFile(dir / name).read_all(), field) << length;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{name}) << "no temporary file is left";
    std::filesystem::remove(dir / name);
  }
}

TEST(PqFile, WhatTheWriterAcceptsTheReaderAccepts) {
  // Empty fields whose other extents are huge: whatever `Shape` accepts is written, and
  // the file written is read back with the same shape.
  const TempDir dir;
  constexpr std::size_t big = std::size_t{1} << 62;
  for (const std::vector<std::size_t>& extents :
       std::vector<std::vector<std::size_t>>{{0, std::size_t{1} << 63},
                                             {0, big, 3},
                                             {0, std::size_t{1} << 32, std::size_t{1} << 32},
                                             {5, 0, big},
                                             {0, ~std::size_t{0}}}) {
    Shape shape;
    try {
      shape = Shape::from_extents(extents);
    } catch (const dashi::CarrierError&) {
      continue;  // not a shape, so nothing to write
    }
    const TernaryField field = TernaryField::zeros(shape);
    const auto path = dir / "empty.pqfs";
    write_file(path, field);
    const PqFile file(path);
    EXPECT_EQ(file.shape(), shape) << shape.to_string();
    EXPECT_EQ(file.read_all().shape(), shape);
  }
}

// ---- I/O errors -----------------------------------------------------------------------

template <class F>
std::system_error expect_system_error(F&& f) {
  try {
    f();
  } catch (const std::system_error& error) {
    return error;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "expected std::system_error, got: " << error.what();
    return std::system_error(std::error_code());
  }
  ADD_FAILURE() << "expected std::system_error, nothing thrown";
  return std::system_error(std::error_code());
}

TEST(PqFile, MissingFileOrFolderIsASystemErrorNamingThePath) {
  const TempDir dir;
  const auto missing = dir / "missing.pqfs";
  const auto open_error = expect_system_error([&] { const PqFile file(missing); });
  EXPECT_EQ(open_error.code(), std::errc::no_such_file_or_directory);
  EXPECT_NE(std::string(open_error.what()).find(missing.string()), std::string::npos)
      << open_error.what();
  const auto nowhere = dir / "no" / "such" / "folder" / "f.pqfs";
  const TernaryField field = random_field(make_shape({10}), 0.5, 18);
  const auto write_error = expect_system_error([&] { write_file(nowhere, field); });
  EXPECT_EQ(write_error.code(), std::errc::no_such_file_or_directory);
  EXPECT_NE(std::string(write_error.what()).find(nowhere.string()), std::string::npos)
      << write_error.what();
}

TEST(PqFile, AFolderInsteadOfAFileIsASystemError) {
  const TempDir dir;
  const auto folder = dir / "sub";
  std::filesystem::create_directory(folder);
  const auto read_error = expect_system_error([&] { const PqFile file(folder); });
  EXPECT_EQ(read_error.code(), std::errc::is_a_directory);
  EXPECT_NE(std::string(read_error.what()).find(folder.string()), std::string::npos);
  const TernaryField field = random_field(make_shape({10}), 0.5, 19);
  const auto write_error = expect_system_error([&] { write_file(folder, field); });
  EXPECT_EQ(write_error.code(), std::errc::is_a_directory);
  EXPECT_NE(std::string(write_error.what()).find(folder.string()), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_directory(folder));
}

TEST(PqFile, NoPermissionIsASystemError) {
  const TempDir dir;
  const TernaryField field = random_field(make_shape({10}), 0.5, 20);
  // /proc refuses new files to everyone, root included.
  const auto proc_error = expect_system_error([&] { write_file("/proc/dashi.pqfs", field); });
  EXPECT_NE(std::string(proc_error.what()).find("/proc/dashi.pqfs"), std::string::npos);
  if (::geteuid() == 0) {
    return;  // root ignores permission bits
  }
  write_file(dir / "locked.pqfs", field);
  std::filesystem::permissions(dir / "locked.pqfs", std::filesystem::perms::none);
  const auto read_error = expect_system_error([&] { const PqFile file(dir / "locked.pqfs"); });
  EXPECT_EQ(read_error.code(), std::errc::permission_denied);
  const auto ro = dir / "ro";
  std::filesystem::create_directory(ro);
  std::filesystem::permissions(
      ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const auto write_error = expect_system_error([&] { write_file(ro / "f.pqfs", field); });
  EXPECT_EQ(write_error.code(), std::errc::permission_denied);
  std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
}

/// A failed write (here: the file size limit, as a full disk would) leaves neither a
/// partial file nor a temporary file, and does not touch the file already there.
TEST(PqFile, AFailedWriteLeavesTheExistingFileIntact) {
  const TempDir dir;
  const auto path = dir / "keep.pqfs";
  const TernaryField small = random_field(make_shape({100}), 0.5, 22);
  write_file(path, small);
  const Bytes before = read_bytes(path);
  const TernaryField large = random_field(make_shape({4000, 1000}), 0.5, 23);

  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &previous), 0);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit limited = saved;
  limited.rlim_cur = 200000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::system_error error(std::error_code{});
  bool thrown = false;
  try {
    write_file(path, large, {.sb_bytes = 4096, .num_workers = 2});
  } catch (const std::system_error& e) {
    error = e;
    thrown = true;
  }
  // Streaming too: the failure surfaces in append, and the writer cleans up.
  bool stream_thrown = false;
  try {
    dashi::pq::FileWriter writer(path, large.shape(), {.sb_bytes = 4096});
    writer.append(large.rows(0, 2000));
    writer.append(large.rows(2000, 2000));
    writer.finish();
  } catch (const std::system_error&) {
    stream_thrown = true;
  }
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  ASSERT_EQ(::sigaction(SIGXFSZ, &previous, nullptr), 0);
  ASSERT_TRUE(thrown);
  EXPECT_TRUE(stream_thrown);
  EXPECT_EQ(error.code(), std::errc::file_too_large) << error.what();
  EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.pqfs"});
}

/// A truly full file system: a 64 KiB tmpfs (needs the right to mount; skipped without).
TEST(PqFile, AFullFileSystemIsASystemError) {
  const TempDir dir;
  const auto mount_point = dir / "tiny";
  std::filesystem::create_directory(mount_point);
  if (::geteuid() != 0 || ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (the file size limit test covers the path)";
  }
  struct Unmount {
    std::filesystem::path point;
    ~Unmount() { ::umount2(point.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  const auto path = mount_point / "full.pqfs";
  const TernaryField small = random_field(make_shape({100}), 0.5, 24);
  write_file(path, small, {.sb_bytes = 4096});
  const Bytes before = read_bytes(path);
  const TernaryField large = random_field(make_shape({1000, 1000}), 0.5, 25);
  const auto error = expect_system_error([&] { write_file(path, large, {.sb_bytes = 4096}); });
  EXPECT_EQ(error.code(), std::errc::no_space_on_device) << error.what();
  EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  EXPECT_EQ(read_bytes(path), before);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(mount_point)) {
    left.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{"full.pqfs"});
}

}  // namespace
