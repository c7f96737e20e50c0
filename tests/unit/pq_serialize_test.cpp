// SPDX-License-Identifier: Apache-2.0
// PQ serialisation (docs/PQ_FORMAT.md §2): exact layout, CRC-32C, and hostile input —
// every truncation, every single-bit flip, and each named field check.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/bytes.hpp"
#include "support/names.hpp"
#include "support/seeded.hpp"

namespace {

using namespace dashi_test;

namespace pq = dashi::pq;
using Bytes = std::vector<std::byte>;

/// Recomputes both CRCs after an edit, so the structural checks behind them are reached.
void reseal(Bytes& b) {
  store(b, 80, dashi::pq::detail::crc32c(b.data() + 128, b.size() - 128), 4);
  store(b, 84, dashi::pq::detail::crc32c(b.data(), 84), 4);
}

/// `from_bytes` throws `FormatError` naming `field`, with the field and "byte offset"
/// in the message.
testing::AssertionResult rejected_as(const Bytes& b, const std::string& field) {
  try {
    (void)pq::from_bytes(b);
  } catch (const pq::FormatError& e) {
    const std::string what = e.what();
    if (e.field() != field) {
      return testing::AssertionFailure()
             << "rejected as '" << e.field() << "', expected '" << field << "': " << what;
    }
    if (what.find("'" + field + "'") == std::string::npos ||
        what.find("byte offset " + std::to_string(e.offset())) == std::string::npos) {
      return testing::AssertionFailure() << "message lacks the field or offset: " << what;
    }
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "accepted";
}

/// The 100-site 2-D field (10 × 10, B = 64) used by the exhaustive tests:
/// P at 128, Q at 192, O (3 words) at 256, 320 bytes in all.
Bytes small_buffer() {
  const TernaryField field = random_field(Shape{10, 10}, 0.6, 77);
  const pq::PackedField packed = pq::encode(field, {.block_sites = 64});
  EXPECT_GT(packed.support_count(), 0U);
  EXPECT_LT(packed.support_count(), 63U);
  return pq::to_bytes(packed);
}

TEST(Crc32c, CheckValueOnEveryPath) {
  const char* text = "123456789";
  EXPECT_EQ(dashi::pq::detail::crc32c(text, 9, 0, /*portable=*/true), 0xE3069283U);
  EXPECT_EQ(dashi::pq::detail::crc32c(text, 9), 0xE3069283U);
  EXPECT_EQ(dashi::pq::detail::crc32c(text, 0), 0U);
  if (dashi::detail::supported_isa() < dashi::detail::Isa::avx2) {
    GTEST_SKIP() << "this CPU lacks the AVX2 level: only the table path was checked";
  }
#if DASHI_DETAIL_X86
  EXPECT_EQ(
      ~dashi::pq::detail::crc32c_raw_sse42(~0U, reinterpret_cast<const unsigned char*>(text), 9),
      0xE3069283U);
#endif
}

TEST(Crc32c, PathsAgreeAndContinue) {
  std::mt19937_64 rng(1);
  std::vector<unsigned char> data(600);
  for (auto& c : data) {
    c = static_cast<unsigned char>(rng() & 0xFFU);
  }
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t size = 0; size + offset <= data.size(); size += 7) {
      const std::uint32_t table = dashi::pq::detail::crc32c(data.data() + offset, size, 0, true);
      ASSERT_EQ(dashi::pq::detail::crc32c(data.data() + offset, size), table)
          << offset << " " << size;
      const std::size_t half = size / 3;
      const std::uint32_t first = dashi::pq::detail::crc32c(data.data() + offset, half);
      ASSERT_EQ(dashi::pq::detail::crc32c(data.data() + offset + half, size - half, first), table);
    }
  }
}

TEST(PqSerialize, WritesTheDocumentedLayout) {
  const TernaryField field = TernaryField::from_signed({1, 0, -1});
  const Bytes b = pq::to_bytes(pq::encode(field, {.block_sites = 64}));
  ASSERT_EQ(b.size(), std::size_t{320});
  EXPECT_EQ(std::memcmp(b.data(), "DASHIPQ1", 8), 0);
  EXPECT_EQ(load(b, 8, 4), 1U);    // version
  EXPECT_EQ(load(b, 12, 4), 1U);   // flags
  EXPECT_EQ(load(b, 16, 4), 1U);   // rank
  EXPECT_EQ(load(b, 20, 4), 64U);  // block_sites
  EXPECT_EQ(load(b, 24, 8), 3U);
  EXPECT_EQ(load(b, 32, 8), 0U);
  EXPECT_EQ(load(b, 40, 8), 0U);
  EXPECT_EQ(load(b, 48, 8), 0U);
  EXPECT_EQ(load(b, 56, 8), 3U);    // n_sites
  EXPECT_EQ(load(b, 64, 8), 2U);    // n_support
  EXPECT_EQ(load(b, 72, 8), 320U);  // total length
  EXPECT_EQ(load(b, 80, 4), dashi::pq::detail::crc32c(b.data() + 128, 192));
  EXPECT_EQ(load(b, 84, 4), dashi::pq::detail::crc32c(b.data(), 84));
  for (std::size_t i = 88; i < 128; ++i) {
    EXPECT_EQ(b[i], std::byte{0}) << "reserved byte " << i;
  }
  EXPECT_EQ(load(b, 128, 8), 0b101U);  // P: sites 0 and 2
  EXPECT_EQ(load(b, 192, 8), 0b01U);   // Q: +1 then -1
  EXPECT_EQ(load(b, 256, 8), 0U);      // O[0]
  EXPECT_EQ(load(b, 264, 8), 2U);      // O[1] = S
  const std::vector<std::pair<std::size_t, std::size_t>> padding = {
      {136, 192}, {200, 256}, {272, 320}};
  for (const auto& [from, to] : padding) {
    for (std::size_t i = from; i < to; ++i) {
      EXPECT_EQ(b[i], std::byte{0}) << "padding byte " << i;
    }
  }
}

TEST(PqSerialize, EmptyFieldHasOnlyHeaderAndOffsets) {
  const Bytes b = pq::to_bytes(pq::PackedField{});
  ASSERT_EQ(b.size(), std::size_t{192});
  EXPECT_EQ(load(b, 56, 8), 0U);
  EXPECT_TRUE(pq::from_bytes(b) == pq::PackedField{});
  const Bytes b2 = pq::to_bytes(pq::encode(TernaryField::zeros(Shape{4, 0, 3})));
  EXPECT_EQ(pq::from_bytes(b2).shape(), (Shape{4, 0, 3}));
  // An empty shape may have a huge extent (as large as `Shape` allows).
  const Shape wide{std::size_t{0}, std::size_t{1} << 62, std::size_t{1}};
  EXPECT_EQ(pq::from_bytes(pq::to_bytes(pq::encode(TernaryField::zeros(wide)))).shape(), wide);
}

TEST(PqSerialize, RoundTripsShapesSparsitiesAndBlockSizes) {
  const std::vector<Shape> shapes = {Shape{1},          Shape{63},      Shape{64},
                                     Shape{65},         Shape{7, 13},   Shape{3, 5, 7},
                                     Shape{2, 3, 4, 5}, Shape{300, 301}};
  std::uint64_t seed = 10;
  for (const Shape& shape : shapes) {
    for (const double zeros : {0.0, 0.5, 0.9, 1.0}) {
      for (const std::uint32_t block : {64U, 4096U, 65536U}) {
        const TernaryField field = random_field(shape, zeros, seed++);
        const pq::PackedField packed = pq::encode(field, {.block_sites = block});
        const Bytes b = pq::to_bytes(packed);
        ASSERT_EQ(b.size() % 64, 0U);
        const pq::PackedField back = pq::from_bytes(b);
        ASSERT_TRUE(back == packed) << shape.to_string() << ", B = " << block;
        ASSERT_TRUE(pq::decode(back) == field) << shape.to_string() << ", B = " << block;
        // Any alignment of the input buffer.
        Bytes shifted(b.size() + 1);
        std::memcpy(shifted.data() + 1, b.data(), b.size());
        ASSERT_TRUE(pq::from_bytes(std::span<const std::byte>(shifted).subspan(1)) == packed);
      }
    }
  }
}

TEST(PqSerialize, RejectsEveryTruncation) {
  const Bytes b = small_buffer();
  ASSERT_EQ(b.size(), std::size_t{320});
  for (std::size_t length = 0; length < b.size(); ++length) {
    const Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(length));
    ASSERT_TRUE(rejected_as(cut, length < 128 ? "header" : "total_length")) << "length " << length;
  }
  EXPECT_NO_THROW((void)pq::from_bytes(b));
}

TEST(PqSerialize, RejectsEverySingleBitFlip) {
  const Bytes b = small_buffer();
  for (std::size_t bit = 0; bit < 8 * b.size(); ++bit) {
    Bytes flipped = b;
    flipped[bit / 8] ^= static_cast<std::byte>(1U << (bit % 8));
    EXPECT_THROW((void)pq::from_bytes(flipped), pq::FormatError)
        << "flipping bit " << bit % 8 << " of byte " << bit / 8 << " was accepted";
  }
}

TEST(PqSerialize, RejectsTrailingBytes) {
  Bytes b = small_buffer();
  b.push_back(std::byte{0});
  EXPECT_TRUE(rejected_as(b, "total_length"));
  b.resize(b.size() + 63);
  EXPECT_TRUE(rejected_as(b, "total_length"));
}

struct NamedCase {
  const char* name;
  const char* field;
  std::function<void(Bytes&)> edit;
  bool reseal = true;
};

/// Rewrites the header as a consistent 1-D field of 2^60 sites without support (far more
/// than the buffer holds).
void huge_consistent_field(Bytes& b) {
  store(b, 16, 1, 4);
  store(b, 24, std::uint64_t{1} << 60, 8);
  store(b, 32, 0, 8);
  store(b, 56, std::uint64_t{1} << 60, 8);
  store(b, 64, 0, 8);
}

TEST(PqSerialize, RejectsEachBadFieldByName) {
  const std::vector<NamedCase> cases = {
      {"magic", "magic", [](Bytes& b) { b[7] = std::byte{'2'}; }},
      {"version 2", "version", [](Bytes& b) { store(b, 8, 2, 4); }},
      {"version 0", "version", [](Bytes& b) { store(b, 8, 0, 4); }},
      {"flags 0", "flags", [](Bytes& b) { store(b, 12, 0, 4); }},
      {"flags 3", "flags", [](Bytes& b) { store(b, 12, 3, 4); }},
      {"flags high bit", "flags", [](Bytes& b) { store(b, 12, 0x80000001U, 4); }},
      {"rank 0", "rank", [](Bytes& b) { store(b, 16, 0, 4); }},
      {"rank 5", "rank", [](Bytes& b) { store(b, 16, 5, 4); }},
      {"block 0", "block_sites", [](Bytes& b) { store(b, 20, 0, 4); }},
      {"block 32", "block_sites", [](Bytes& b) { store(b, 20, 32, 4); }},
      {"block 100", "block_sites", [](Bytes& b) { store(b, 20, 100, 4); }},
      {"block 131072", "block_sites", [](Bytes& b) { store(b, 20, 131072, 4); }},
      {"extent past rank", "extents", [](Bytes& b) { store(b, 40, 1, 8); }},
      {"last extent past rank", "extents", [](Bytes& b) { store(b, 48, 7, 8); }},
      {"extents overflow", "extents",
       [](Bytes& b) {
         store(b, 24, std::uint64_t{1} << 40, 8);
         store(b, 32, std::uint64_t{1} << 40, 8);
       }},
      {"extents disagree with n_sites", "n_sites", [](Bytes& b) { store(b, 24, 11, 8); }},
      {"n_sites", "n_sites", [](Bytes& b) { store(b, 56, 101, 8); }},
      {"n_support above n_sites", "n_support", [](Bytes& b) { store(b, 64, 101, 8); }},
      {"huge consistent field, small buffer", "total_length", huge_consistent_field},
      {"huge consistent field and length, small buffer", "total_length",
       [](Bytes& b) {
         huge_consistent_field(b);
         const auto layout = dashi::pq::detail::buffer_layout(std::uint64_t{1} << 60, 0, 64);
         ASSERT_TRUE(layout.has_value());
         store(b, 72, layout->total, 8);
       }},
      {"total_length", "total_length", [](Bytes& b) { store(b, 72, 384, 8); }},
      {"reserved", "reserved", [](Bytes& b) { b[100] = std::byte{1}; }},
      {"reserved last", "reserved", [](Bytes& b) { b[127] = std::byte{0x80}; }},
      {"header crc", "header_crc", [](Bytes& b) { b[84] ^= std::byte{1}; }, false},
      {"payload crc", "payload_crc",
       [](Bytes& b) {
         b[80] ^= std::byte{1};
         store(b, 84, dashi::pq::detail::crc32c(b.data(), 84), 4);  // header CRC covers byte 80
       },
       false},
      {"payload bytes", "payload_crc", [](Bytes& b) { b[130] ^= std::byte{4}; }, false},
      {"P bit past n", "P", [](Bytes& b) { b[128 + 15] |= std::byte{0x80}; }},
      {"P padding", "P padding", [](Bytes& b) { b[128 + 16] = std::byte{1}; }},
      {"Q bit past S", "Q", [](Bytes& b) { b[192 + 7] |= std::byte{0x80}; }},
      {"Q padding", "Q padding", [](Bytes& b) { b[192 + 63] = std::byte{1}; }},
      {"O[0] not zero", "O", [](Bytes& b) { store(b, 256, 1, 8); }},
      {"O[1] off by one", "O", [](Bytes& b) { store(b, 264, load(b, 264, 8) + 1, 8); }},
      {"O not monotone", "O", [](Bytes& b) { store(b, 264, ~std::uint64_t{0}, 8); }},
      {"O[nb] not S", "O", [](Bytes& b) { store(b, 272, load(b, 272, 8) - 1, 8); }},
      {"O padding", "O padding", [](Bytes& b) { b[256 + 24] = std::byte{1}; }},
      {"n_support not popcount(P)", "n_support",
       [](Bytes& b) { store(b, 64, load(b, 64, 8) + 1, 8); }},
  };
  for (const NamedCase& c : cases) {
    Bytes b = small_buffer();
    c.edit(b);
    if (c.reseal) {
      reseal(b);
    }
    EXPECT_TRUE(rejected_as(b, c.field)) << c.name;
  }
}

TEST(PqSerialize, SurvivesRandomHostileEdits) {
  std::mt19937_64 rng(2024);
  const std::vector<Bytes> bases = {
      small_buffer(),
      pq::to_bytes(pq::encode(random_field(Shape{3, 50}, 0.2, 5), {.block_sites = 64}))};
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    Bytes b = bases[static_cast<std::size_t>(trial) % 2];
    const std::size_t edits = 1 + rng() % 4;
    for (std::size_t e = 0; e < edits; ++e) {
      const std::size_t at = rng() % b.size();
      b[at] = (rng() % 2 == 0) ? static_cast<std::byte>(rng() & 0xFFU)
                               : b[at] ^ static_cast<std::byte>(1U << (rng() % 8));
    }
    if (rng() % 3 != 0) {
      reseal(b);
    }
    try {
      const pq::PackedField packed = pq::from_bytes(b);
      ++accepted;  // a valid buffer: it must be canonical
      ASSERT_EQ(pq::to_bytes(packed), b) << "trial " << trial;
    } catch (const pq::FormatError&) {
      ++rejected;  // the expected outcome for almost every edit
    }
  }
  EXPECT_EQ(accepted + rejected, 4000U);
  RecordProperty("accepted", static_cast<int>(accepted));
}

TEST(PqSerialize, AcceptsExactlyTheExtentsThatShapeAccepts) {
  // The extents of empty fields, edited into a valid buffer: `from_bytes` must agree with
  // the `Shape` constructors, which are the one rule for what a shape is.
  constexpr std::uint64_t all = ~std::uint64_t{0};
  const std::vector<std::vector<std::uint64_t>> cases = {
      {0, all},
      {0, std::uint64_t{1} << 63},
      {0, (std::uint64_t{1} << 63) - 1},
      {0, std::uint64_t{1} << 62},
      {0, std::uint64_t{1} << 32, std::uint64_t{1} << 32},
      {std::uint64_t{1} << 32, std::uint64_t{1} << 32, 0},
      {0, 3, all},
  };
  for (const auto& extents : cases) {
    const Shape base = extents.size() == 2 ? Shape{0, 1} : Shape{0, 1, 1};
    Bytes b = pq::to_bytes(pq::encode(TernaryField::zeros(base)));
    for (std::size_t axis = 0; axis < extents.size(); ++axis) {
      store(b, 24 + 8 * axis, extents[axis], 8);
    }
    reseal(b);
    std::vector<std::size_t> sizes(extents.begin(), extents.end());
    bool shape_accepts = true;
    try {
      (void)Shape::from_extents(sizes);
    } catch (const dashi::CarrierError&) {
      shape_accepts = false;
    }
    std::string text;
    for (const std::uint64_t e : extents) {
      text += std::to_string(e) + " ";
    }
    if (shape_accepts) {
      EXPECT_EQ(pq::from_bytes(b).shape(), Shape::from_extents(sizes)) << text;
    } else {
      EXPECT_TRUE(rejected_as(b, "extents")) << text;
    }
  }
}

}  // namespace
