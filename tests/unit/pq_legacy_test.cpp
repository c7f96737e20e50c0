// SPDX-License-Identifier: Apache-2.0
// Legacy 2-bit codec (docs/PQ_FORMAT.md §4): the vectors written by the Python pq.py, the
// documented Python facts, and rejection of malformed buffers.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/legacy.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace pq = dashi::pq;
using dashi::Shape;
using dashi::TernaryField;

struct Vector {
  int line = 0;
  std::string name;
  std::vector<std::size_t> extents;
  std::vector<int> values;
  std::string hex;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) {
    parts.push_back(part);
  }
  if (!text.empty() && text.back() == sep) {
    parts.emplace_back();
  }
  return parts;
}

std::vector<Vector> load_vectors() {
  std::ifstream in(std::string(DASHICORE_TEST_DATA_DIR) + "/legacy_pq_vectors.txt");
  EXPECT_TRUE(in.good()) << "cannot open " << DASHICORE_TEST_DATA_DIR << "/legacy_pq_vectors.txt";
  std::vector<Vector> vectors;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const std::vector<std::string> fields = split(line, ';');
    if (fields.size() != 4) {
      ADD_FAILURE() << "line " << number << ": expected 4 fields, got " << fields.size();
      continue;
    }
    Vector v;
    v.line = number;
    v.name = fields[0];
    for (const std::string& e : split(fields[1], ',')) {
      v.extents.push_back(std::stoul(e));
    }
    if (!fields[2].empty()) {
      for (const std::string& x : split(fields[2], ',')) {
        v.values.push_back(std::stoi(x));
      }
    }
    v.hex = fields[3];
    vectors.push_back(v);
  }
  return vectors;
}

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  constexpr const char* digits = "0123456789abcdef";
  std::string hex;
  for (const std::uint8_t b : bytes) {
    hex += digits[b >> 4];
    hex += digits[b & 0xFU];
  }
  return hex;
}

testing::AssertionResult rejected_as(std::span<const std::uint8_t> bytes, const Shape& shape,
                                     const std::string& field) {
  try {
    (void)pq::legacy::decode_2bit(bytes, shape);
  } catch (const pq::FormatError& e) {
    if (e.field() != field) {
      return testing::AssertionFailure()
             << "rejected as '" << e.field() << "', expected '" << field << "': " << e.what();
    }
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "accepted";
}

TEST(PqLegacy, ReadsAndWritesThePythonVectors) {
  const std::vector<Vector> vectors = load_vectors();
  ASSERT_GE(vectors.size(), std::size_t{19});
  std::size_t well_formed = 0;
  for (const Vector& v : vectors) {
    SCOPED_TRACE("line " + std::to_string(v.line) + " (" + v.name + ")");
    const Shape shape = Shape::from_extents(v.extents);
    ASSERT_EQ(v.values.size(), shape.size());
    const std::size_t expected_hex = 2 * ((2 * shape.size() + 7) / 8);
    const std::vector<std::uint8_t> bytes = from_hex(v.hex);
    if (v.hex.size() != expected_hex) {
      // Not a buffer the Python encoder can write: it must be rejected.
      EXPECT_TRUE(rejected_as(bytes, shape, "length")) << "hex of " << v.hex.size() << " digits";
      continue;
    }
    ++well_formed;
    const TernaryField field = TernaryField::from_signed(v.values, shape);
    EXPECT_EQ(to_hex(pq::legacy::encode_2bit(field)), v.hex);
    const TernaryField decoded = pq::legacy::decode_2bit(bytes, shape);
    for (std::size_t i = 0; i < field.size(); ++i) {
      ASSERT_EQ(decoded.value(i), field.value(i)) << "first bad site " << i;
    }
    EXPECT_EQ(decoded.shape(), shape);
  }
  RecordProperty("well_formed_vectors", static_cast<int>(well_formed));
  EXPECT_EQ(well_formed, vectors.size())
      << "the data file holds malformed vectors (rejected above)";
}

TEST(PqLegacy, MatchesThePythonFacts) {
  const TernaryField field = TernaryField::from_signed({1, 0, -1, 1, -1});
  const std::vector<std::uint8_t> bytes = pq::legacy::encode_2bit(field);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0x92, 0x01}));
  EXPECT_TRUE(pq::legacy::decode_2bit(bytes, Shape{5}) == field);
}

TEST(PqLegacy, RejectsCode3AtEverySite) {
  for (std::size_t site = 0; site < 9; ++site) {
    std::vector<std::uint8_t> bytes = pq::legacy::encode_2bit(TernaryField::zeros(Shape{9}));
    bytes[site / 4] |= static_cast<std::uint8_t>(3U << (2 * (site % 4)));
    EXPECT_TRUE(rejected_as(bytes, Shape{9}, "code")) << "site " << site;
  }
  const std::vector<std::uint8_t> ones = {0xFF};
  EXPECT_TRUE(rejected_as(ones, Shape{4}, "code"));
}

TEST(PqLegacy, RejectsWrongLengths) {
  const std::vector<std::uint8_t> bytes = {0x92, 0x01, 0x00};
  EXPECT_TRUE(rejected_as(std::span(bytes).first(1), Shape{5}, "length"));
  EXPECT_TRUE(rejected_as(std::span(bytes).first(0), Shape{5}, "length"));
  EXPECT_TRUE(rejected_as(bytes, Shape{5}, "length"));
  EXPECT_TRUE(rejected_as(std::span(bytes).first(1), Shape{0}, "length"));
  EXPECT_TRUE(rejected_as(std::span(bytes).first(1), Shape{2, 2, 2}, "length"));
}

TEST(PqLegacy, RejectsBitsPastTheLastSite) {
  for (unsigned bit = 2; bit < 8; ++bit) {
    const std::vector<std::uint8_t> bytes = {0x92, static_cast<std::uint8_t>(0x01U | (1U << bit))};
    EXPECT_TRUE(rejected_as(bytes, Shape{5}, "padding")) << "bit " << bit;
  }
  const std::vector<std::uint8_t> code3_in_padding = {0x00, 0x0C};
  EXPECT_TRUE(rejected_as(code3_in_padding, Shape{5}, "padding"));
}

TEST(PqLegacy, HandlesTheEmptyField) {
  EXPECT_TRUE(pq::legacy::encode_2bit(TernaryField::zeros(Shape{0})).empty());
  EXPECT_EQ(pq::legacy::decode_2bit({}, Shape{3, 0}).size(), std::size_t{0});
}

TEST(PqLegacy, RoundTripsRandomFieldsAndAgreesWithPq) {
  std::mt19937_64 rng(99);
  for (std::size_t n = 0; n < 300; ++n) {
    std::vector<std::int8_t> values(n);
    for (auto& v : values) {
      v = static_cast<std::int8_t>(static_cast<int>(rng() % 3) - 1);
    }
    const TernaryField field = TernaryField::from_signed(std::span<const std::int8_t>(values));
    const std::vector<std::uint8_t> bytes = pq::legacy::encode_2bit(field);
    ASSERT_EQ(bytes.size(), (2 * n + 7) / 8);
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned code = (bytes[i / 4] >> (2 * (i % 4))) & 3U;
      ASSERT_EQ(code, values[i] == 0 ? 0U : values[i] < 0 ? 1U : 2U) << "site " << i;
    }
    const TernaryField back = pq::legacy::decode_2bit(bytes, Shape{n});
    ASSERT_TRUE(back == field) << "n = " << n;
    ASSERT_TRUE(back == pq::decode(pq::encode(field))) << "n = " << n;
  }
}

}  // namespace
