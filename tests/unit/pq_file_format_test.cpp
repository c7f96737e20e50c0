// SPDX-License-Identifier: Apache-2.0
// Hostile PQ-FS input: truncation at every length and every single-bit flip of a small
// multi-superblock file, the named malformations of docs/PQ_FORMAT.md §3 (each crafted with valid
// CRCs so the intended check is the one that fires), and random multi-byte damage. Every
// case must raise dashi::pq::FormatError naming the field (and the superblock).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/files.hpp"
#include "support/pq_file_reference.hpp"

namespace {

using namespace dashi_test;

using dashi::pq::FormatError;
using dashi::pq::PqFile;

constexpr std::size_t sb = 4096;

/// The file every test damages: 39999 sites in 201 rows, 80% supported, in 4096-byte
/// superblocks (three of them, the last one partial).
class PqFileFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    field_ = dashi_test::random_field(dashi_test::make_shape({201, 199}), 0.2, 77);
    path_ = dir_ / "hostile.pqfs";
    dashi::pq::write_file(path_, field_, {.sb_bytes = sb});
    original_ = dashi_test::read_bytes(path_);
    count_ = static_cast<std::size_t>(load(original_, 72, 8));
  }

  [[nodiscard]] static std::size_t base(std::size_t index) { return 4096 + index * sb; }

  /// Writes `bytes`, opens and reads the whole file with `workers` threads; expects a
  /// FormatError on `field` naming superblock `index` (-1: the file header). Returns the
  /// message.
  std::string expect_error(const Bytes& bytes, const std::set<std::string>& fields, int index,
                           std::size_t workers = 1) {
    dashi_test::write_bytes(path_, bytes);
    try {
      const PqFile file(path_, {.num_workers = workers});
      (void)file.read_all();
    } catch (const FormatError& error) {
      std::string message = error.what();
      EXPECT_TRUE(fields.count(error.field()) == 1)
          << "field '" << error.field() << "' not expected: " << message;
      const bool names_superblock = message.find(", superblock ") != std::string::npos;
      if (index < 0) {
        EXPECT_FALSE(names_superblock) << message;
      } else {
        EXPECT_NE(message.find(", superblock " + std::to_string(index) + ":"), std::string::npos)
            << message;
      }
      EXPECT_NE(message.find(path_.string()), std::string::npos) << message;
      return message;
    } catch (const std::exception& error) {
      ADD_FAILURE() << "expected FormatError, got: " << error.what();
      return {};
    }
    ADD_FAILURE() << "expected FormatError on " << *fields.begin() << ", the file was accepted";
    return {};
  }

  dashi_test::TempDir dir_;
  TernaryField field_;
  std::filesystem::path path_;
  Bytes original_;
  std::size_t count_ = 0;
};

TEST_F(PqFileFormat, TheFileIsWhatTheTestsAssume) {
  ASSERT_EQ(count_, 3U);
  ASSERT_EQ(original_.size(), 4096 + 3 * sb);
  EXPECT_EQ(PqFile(path_).read_all(), field_);
  EXPECT_NE(load(original_, base(2) + 32, 4) % 8, 0U);  // the last P byte has unused bits
}

TEST_F(PqFileFormat, TruncationAtEveryLength) {
  const int fd = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (std::size_t length = original_.size(); length-- > 0;) {
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(length)), 0);
    try {
      const PqFile file(path_);
      (void)file.read_all();
      ADD_FAILURE() << "a file truncated to " << length << " bytes was accepted";
    } catch (const FormatError& error) {
      EXPECT_STREQ(error.field(), length < 4096 ? "file_header" : "file_length") << length;
    } catch (const std::exception& error) {
      ADD_FAILURE() << "truncated to " << length << ": " << error.what();
    }
  }
  ::close(fd);
}

TEST_F(PqFileFormat, EverySingleBitFlip) {
  const int fd = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::size_t rejected = 0;
  for (std::size_t offset = 0; offset < original_.size(); ++offset) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      const auto flipped = static_cast<std::uint8_t>(original_[offset] ^ (1U << bit));
      ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(offset)), 1);
      // Alternate the worker count so the parallel path sees flips too.
      const std::size_t workers = (offset + bit) % 4 == 0 ? 3 : 1;
      try {
        const PqFile file(path_, {.num_workers = workers});
        (void)file.read_all();
        ADD_FAILURE() << "flip of bit " << bit << " at byte " << offset << " was accepted";
      } catch (const FormatError& error) {
        ++rejected;
        if (offset >= 4096) {
          const std::string expected = ", superblock " + std::to_string((offset - 4096) / sb) + ":";
          EXPECT_NE(std::string(error.what()).find(expected), std::string::npos)
              << "byte " << offset << ": " << error.what();
        }
      } catch (const std::exception& error) {
        ADD_FAILURE() << "byte " << offset << " bit " << bit << ": " << error.what();
      }
      ASSERT_EQ(::pwrite(fd, &original_[offset], 1, static_cast<off_t>(offset)), 1);
    }
  }
  ::close(fd);
  EXPECT_EQ(rejected, 8 * original_.size());
  EXPECT_EQ(PqFile(path_).read_all(), field_);
}

TEST_F(PqFileFormat, EveryBitFlipAlsoFailsAFullRowRead) {
  // read_rows over every row reads every superblock too; sample a flip per 8 bytes.
  const int fd = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (std::size_t offset = 0; offset < original_.size(); offset += 7) {
    const auto flipped = static_cast<std::uint8_t>(original_[offset] ^ (1U << (offset % 8)));
    ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(offset)), 1);
    EXPECT_THROW(
        {
          const PqFile file(path_, {.num_workers = 2});
          (void)file.read_rows(0, 201);
        },
        FormatError)
        << "byte " << offset;
    ASSERT_EQ(::pwrite(fd, &original_[offset], 1, static_cast<off_t>(offset)), 1);
  }
  ::close(fd);
}

// ---- file header ------------------------------------------------------------------------

TEST_F(PqFileFormat, ShortFiles) {
  expect_error({}, {"file_header"}, -1);
  expect_error(Bytes(original_.begin(), original_.begin() + 100), {"file_header"}, -1);
  expect_error(Bytes(original_.begin(), original_.begin() + 4095), {"file_header"}, -1);
}

TEST_F(PqFileFormat, WrongMagic) {
  Bytes b = original_;
  b[0] = 'X';
  expect_error(b, {"magic"}, -1);
  // A PQ serialised buffer is not a PQ-FS file.
  b = original_;
  b[7] = '1';
  expect_error(b, {"magic"}, -1);
}

TEST_F(PqFileFormat, UnknownVersion) {
  for (const std::uint64_t version : {0U, 2U, 0xFFFFFFFFU}) {
    Bytes b = original_;
    store(b, 8, version, 4);
    dashi_test::fix_file_crc(b);
    expect_error(b, {"version"}, -1);
  }
}

TEST_F(PqFileFormat, UnknownFileFlagBits) {
  for (const unsigned bit : {0U, 1U, 2U, 31U}) {
    Bytes b = original_;
    store(b, 12, std::uint64_t{1} << bit, 4);
    dashi_test::fix_file_crc(b);
    expect_error(b, {"flags"}, -1);
  }
}

TEST_F(PqFileFormat, BadRankAndSuperblockSize) {
  for (const std::uint64_t rank : {0U, 5U, 1000U}) {
    Bytes b = original_;
    store(b, 16, rank, 4);
    dashi_test::fix_file_crc(b);
    expect_error(b, {"rank"}, -1);
  }
  for (const std::uint64_t size : {0U, 2048U, 4097U, 6144U, (1U << 28) + 4096U}) {
    Bytes b = original_;
    store(b, 20, size, 4);
    dashi_test::fix_file_crc(b);
    expect_error(b, {"sb_bytes"}, -1);
  }
  // A valid but different SB_BYTES: the length no longer matches.
  Bytes b = original_;
  store(b, 20, 8192, 4);
  dashi_test::fix_file_crc(b);
  expect_error(b, {"file_length"}, -1);
}

TEST_F(PqFileFormat, ExtentsInconsistentWithTheSiteCount) {
  Bytes b = original_;
  store(b, 24, 202, 8);  // 202 x 199 != 39999
  dashi_test::fix_file_crc(b);
  expect_error(b, {"n_sites"}, -1);
  b = original_;
  store(b, 40, 3, 8);  // an extent past rank 2
  dashi_test::fix_file_crc(b);
  expect_error(b, {"extents"}, -1);
  b = original_;
  store(b, 24, std::uint64_t{1} << 40, 8);
  store(b, 32, std::uint64_t{1} << 40, 8);  // more sites than memory can hold
  dashi_test::fix_file_crc(b);
  expect_error(b, {"extents"}, -1);
  b = original_;
  store(b, 56, 40000, 8);
  dashi_test::fix_file_crc(b);
  expect_error(b, {"n_sites"}, -1);
}

TEST_F(PqFileFormat, HugeSiteCountsAreRejectedBeforeAnyAllocation) {
  // 2^40 sites claimed by a 16 KiB file: the superblock count cannot hold them.
  Bytes b = original_;
  store(b, 16, 1, 4);
  store(b, 24, std::uint64_t{1} << 40, 8);
  store(b, 32, 0, 8);
  store(b, 56, std::uint64_t{1} << 40, 8);
  dashi_test::fix_file_crc(b);
  expect_error(b, {"superblock_count"}, -1);
  // And with a superblock count to match, the file length gives it away.
  store(b, 72, (std::uint64_t{1} << 40) / 32256 + 1, 8);
  dashi_test::fix_file_crc(b);
  expect_error(b, {"file_length"}, -1);
}

TEST_F(PqFileFormat, SupportCountInconsistent) {
  Bytes b = original_;
  store(b, 64, 40000, 8);  // more than n_sites
  dashi_test::fix_file_crc(b);
  expect_error(b, {"n_support"}, -1);
  b = original_;
  store(b, 64, load(b, 64, 8) - 1, 8);  // plausible, but not what the superblocks hold
  dashi_test::fix_file_crc(b);
  expect_error(b, {"n_support"}, -1);
}

TEST_F(PqFileFormat, SuperblockCountInconsistent) {
  Bytes b = original_;
  store(b, 72, 100000, 8);
  dashi_test::fix_file_crc(b);
  expect_error(b, {"superblock_count"}, -1);
  // One superblock more, with a copy of the last one appended: the former last
  // superblock no longer ends where a middle one may.
  b = original_;
  store(b, 72, 4, 8);
  dashi_test::fix_file_crc(b);
  b.insert(b.end(), original_.begin() + static_cast<std::ptrdiff_t>(base(2)), original_.end());
  expect_error(b, {"site_count"}, 2);
  // One fewer, the last superblock dropped: superblock 1 now has to end the field.
  b = original_;
  store(b, 72, 2, 8);
  dashi_test::fix_file_crc(b);
  b.resize(base(2));
  expect_error(b, {"site_count"}, 1);
  // Zero superblocks for a non-empty field.
  b = Bytes(original_.begin(), original_.begin() + 4096);
  store(b, 72, 0, 8);
  dashi_test::fix_file_crc(b);
  expect_error(b, {"superblock_count"}, -1);
}

TEST_F(PqFileFormat, TrailingBytes) {
  Bytes b = original_;
  b.push_back(0);
  expect_error(b, {"file_length"}, -1);
  b = original_;
  b.resize(b.size() + sb, 0);
  expect_error(b, {"file_length"}, -1);
}

TEST_F(PqFileFormat, NonZeroFileHeaderPadding) {
  for (const std::size_t offset : {84U, 100U, 2048U, 4095U}) {
    Bytes b = original_;
    b[offset] = 0x01;
    expect_error(b, {"padding"}, -1);
  }
}

TEST_F(PqFileFormat, WrongFileHeaderCrc) {
  Bytes b = original_;
  b[81] ^= 0x40;
  expect_error(b, {"header_crc"}, -1);
}

// ---- superblocks ------------------------------------------------------------------------

TEST_F(PqFileFormat, SuperblockMagicVersionAndFlags) {
  for (std::size_t index = 0; index < 3; ++index) {
    Bytes b = original_;
    b[base(index) + 3] = 'x';
    expect_error(b, {"magic"}, static_cast<int>(index));
    b = original_;
    store(b, base(index) + 8, 2, 4);
    dashi_test::fix_superblock_crcs(b, base(index));
    expect_error(b, {"version"}, static_cast<int>(index));
    for (const std::uint64_t flags : {0U, 3U, 5U, 0x80000001U}) {
      b = original_;
      store(b, base(index) + 12, flags, 4);
      dashi_test::fix_superblock_crcs(b, base(index));
      expect_error(b, {"flags"}, static_cast<int>(index));
    }
  }
}

TEST_F(PqFileFormat, ZeroedSuperblock) {
  Bytes b = original_;
  std::fill(b.begin() + static_cast<std::ptrdiff_t>(base(1)),
            b.begin() + static_cast<std::ptrdiff_t>(base(2)), 0);
  expect_error(b, {"magic"}, 1);
}

TEST_F(PqFileFormat, SuperblocksOutOfOrder) {
  // Swapped: each carries the other's index.
  Bytes b = original_;
  std::swap_ranges(b.begin() + static_cast<std::ptrdiff_t>(base(0)),
                   b.begin() + static_cast<std::ptrdiff_t>(base(1)),
                   b.begin() + static_cast<std::ptrdiff_t>(base(1)));
  expect_error(b, {"index"}, 0);
  // Superblock 0 repeated as superblock 1 with its index rewritten.
  b = original_;
  std::copy(original_.begin() + static_cast<std::ptrdiff_t>(base(0)),
            original_.begin() + static_cast<std::ptrdiff_t>(base(1)),
            b.begin() + static_cast<std::ptrdiff_t>(base(1)));
  store(b, base(1) + 16, 1, 8);
  dashi_test::fix_superblock_crcs(b, base(1));
  expect_error(b, {"first_site"}, 1);
  expect_error(b, {"first_site"}, 1, 3);
  // A gap: superblock 1 starts 64 sites late.
  b = original_;
  store(b, base(1) + 24, load(b, base(1) + 24, 8) + 64, 8);
  dashi_test::fix_superblock_crcs(b, base(1));
  expect_error(b, {"first_site", "site_count"}, 1);
  // Superblock 0 must start at site 0.
  b = original_;
  store(b, base(0) + 24, 64, 8);
  dashi_test::fix_superblock_crcs(b, base(0));
  expect_error(b, {"first_site"}, 0);
}

TEST_F(PqFileFormat, SuperblockCountsInconsistent) {
  const auto crafted = [&](std::size_t index, std::size_t offset, std::uint64_t value,
                           std::size_t size) {
    Bytes b = original_;
    store(b, base(index) + offset, value, size);
    dashi_test::fix_superblock_crcs(b, base(index));
    return b;
  };
  const int last = 2;
  expect_error(crafted(0, 32, 0, 4), {"site_count"}, 0);
  expect_error(crafted(0, 32, load(original_, base(0) + 32, 4) + 1, 4), {"site_count"}, 0);
  expect_error(crafted(2, 32, load(original_, base(2) + 32, 4) - 1, 4), {"site_count"}, last);
  expect_error(crafted(2, 32, load(original_, base(2) + 32, 4) + 1, 4), {"site_count"}, last);
  expect_error(crafted(1, 36, load(original_, base(1) + 32, 4) + 1, 4), {"support_count"}, 1);
  expect_error(crafted(1, 40, 128, 4), {"p_offset"}, 1);
  expect_error(crafted(1, 44, load(original_, base(1) + 44, 4) + 1, 4), {"p_bytes"}, 1);
  expect_error(crafted(1, 48, load(original_, base(1) + 48, 4) + 64, 4), {"q_offset"}, 1);
  expect_error(crafted(1, 52, load(original_, base(1) + 52, 4) - 1, 4), {"q_bits"}, 1);
  // support_count and q_bits lowered together: the payload no longer agrees.
  Bytes b = original_;
  const std::uint64_t k = load(b, base(1) + 36, 4);
  store(b, base(1) + 36, k - 9, 4);
  store(b, base(1) + 52, k - 9, 4);
  dashi_test::fix_superblock_crcs(b, base(1));
  expect_error(b, {"support_count", "Q", "padding"}, 1);
  // A superblock that claims more sites than fit in SB_BYTES.
  b = crafted(0, 32, load(original_, base(0) + 32, 4) + std::uint64_t{64 * 64}, 4);
  store(b, base(0) + 44, (load(b, base(0) + 32, 4) + 7) / 8, 4);
  store(b, base(0) + 48, (64 + load(b, base(0) + 44, 4) + 63) / 64 * 64, 4);
  dashi_test::fix_superblock_crcs(b, base(0));
  expect_error(b, {"site_count"}, 0);
}

TEST_F(PqFileFormat, NonZeroSuperblockPadding) {
  std::size_t gaps = 0;
  for (std::size_t index = 0; index < 3; ++index) {
    const std::size_t p_end = 64 + static_cast<std::size_t>(load(original_, base(index) + 44, 4));
    const auto q_offset = static_cast<std::size_t>(load(original_, base(index) + 48, 4));
    const std::size_t q_end =
        q_offset + static_cast<std::size_t>((load(original_, base(index) + 52, 4) + 7) / 8);
    if (p_end < q_offset) {
      ++gaps;
      Bytes b = original_;
      b[base(index) + q_offset - 1] = 0x80;
      expect_error(b, {"padding"}, static_cast<int>(index));
    }
    if (q_end < sb) {
      ++gaps;
      Bytes b = original_;
      b[base(index) + sb - 1] = 0x01;
      expect_error(b, {"padding"}, static_cast<int>(index));
      b = original_;
      b[base(index) + q_end] = 0x01;
      expect_error(b, {"padding"}, static_cast<int>(index));
    }
  }
  EXPECT_GE(gaps, 2U);
}

TEST_F(PqFileFormat, UnusedBitsOfTheLastPAndQBytes) {
  // The last superblock holds 39999 - 2 * ... sites, not a multiple of 8.
  const std::uint64_t sites = load(original_, base(2) + 32, 4);
  ASSERT_NE(sites % 8, 0U);
  Bytes b = original_;
  b[base(2) + 64 + static_cast<std::size_t>(sites / 8)] |= 0x80;
  dashi_test::fix_superblock_crcs(b, base(2));
  expect_error(b, {"P"}, 2);
  bool tested_q = false;
  for (std::size_t index = 0; index < 3; ++index) {
    const std::uint64_t k = load(original_, base(index) + 52, 4);
    if (k % 8 == 0) {
      continue;
    }
    b = original_;
    const auto q_offset = static_cast<std::size_t>(load(original_, base(index) + 48, 4));
    b[base(index) + q_offset + static_cast<std::size_t>(k / 8)] |= 0x80;
    dashi_test::fix_superblock_crcs(b, base(index));
    expect_error(b, {"Q"}, static_cast<int>(index));
    tested_q = true;
  }
  EXPECT_TRUE(tested_q) << "no superblock has a partial last Q byte; change the seed";
}

TEST_F(PqFileFormat, CrcMismatches) {
  for (std::size_t index = 0; index < 3; ++index) {
    Bytes b = original_;
    b[base(index) + 61] ^= 0x01;
    expect_error(b, {"header_crc"}, static_cast<int>(index));
    b = original_;
    b[base(index) + 57] ^= 0x01;
    expect_error(b, {"payload_crc"}, static_cast<int>(index));
    b = original_;
    b[base(index) + 64] ^= 0x01;  // a P bit
    expect_error(b, {"payload_crc"}, static_cast<int>(index));
  }
}

TEST_F(PqFileFormat, FileShrunkAfterOpening) {
  const PqFile file(path_);
  std::filesystem::resize_file(path_, base(1) + 100);
  EXPECT_THROW((void)file.read_all(), FormatError);
  EXPECT_THROW((void)file.read_rows(200, 1), FormatError);
}

TEST_F(PqFileFormat, RandomDamageIsAlwaysRejected) {
  dashi_test::Rng rng(99);
  const int fd = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (int trial = 0; trial < 3000; ++trial) {
    Bytes b = original_;
    const std::size_t changes = 1 + rng.below(8);
    for (std::size_t c = 0; c < changes; ++c) {
      b[rng.below(b.size())] = static_cast<std::uint8_t>(rng.next());
    }
    if (b == original_) {
      continue;
    }
    ASSERT_EQ(::pwrite(fd, b.data(), b.size(), 0), static_cast<ssize_t>(b.size()));
    try {
      const PqFile file(path_, {.num_workers = 1 + static_cast<std::size_t>(trial % 3)});
      (void)file.read_all();
      ADD_FAILURE() << "damaged file accepted (trial " << trial << ")";
    } catch (const FormatError&) {
    } catch (const std::exception& error) {
      ADD_FAILURE() << "trial " << trial << ": " << error.what();
    }
  }
  ::close(fd);
}

}  // namespace
