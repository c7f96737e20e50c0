// SPDX-License-Identifier: Apache-2.0
// The seeded generators of tests/support are byte-stable: the fuzz corpora and the values
// recorded in the tests depend on their exact sequences, so any change to SplitMix64, the
// field makers or the block orders fails here first (the digests were recorded from the
// generators as they stand; SplitMix64's first outputs are the published ones).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <span>
#include <string>
#include <vector>

#include "support/names.hpp"
#include "support/orders.hpp"
#include "support/seeded.hpp"

namespace {

using namespace dashi_test;

/// FNV-1a of `bytes`, continuing from `digest`.
std::uint64_t fnv(std::span<const std::uint8_t> bytes,
                  std::uint64_t digest = 1469598103934665603ULL) {
  for (const std::uint8_t b : bytes) {
    digest = (digest ^ b) * 1099511628211ULL;
  }
  return digest;
}

/// FNV-1a of `value`'s eight little-endian bytes, continuing from `digest`.
std::uint64_t fnv_u64(std::uint64_t value, std::uint64_t digest) {
  std::uint8_t bytes[8];
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  return fnv(bytes, digest);
}

std::uint64_t digest_of(const dashi::TernaryField& field) {
  return fnv({reinterpret_cast<const std::uint8_t*>(field.data()), field.size()});
}

std::uint64_t digest_of(const std::vector<std::size_t>& order,
                        std::uint64_t digest = 1469598103934665603ULL) {
  for (const std::size_t i : order) {
    digest = fnv_u64(i, digest);
  }
  return digest;
}

TEST(SeededSupport, SplitMix64FirstOutputs) {
  Rng zero(0);
  EXPECT_EQ(zero.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(zero.next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(zero.next(), 0x06C45D188009454FULL);
  Rng other(0x0123456789ABCDEFULL);
  EXPECT_EQ(other.next(), 0x157A3807A48FAA9DULL);
  EXPECT_EQ(other.next(), 0xD573529B34A1D093ULL);
}

TEST(SeededSupport, BelowAndUnitSequences) {
  Rng rng(42);
  std::uint64_t digest = 1469598103934665603ULL;
  for (std::size_t i = 0; i < 1000; ++i) {
    const std::size_t below = rng.below(i + 1);
    ASSERT_LE(below, i);
    digest = fnv_u64(below, digest);
    const double unit = rng.unit();
    ASSERT_TRUE(unit >= 0.0 && unit < 1.0);
    digest = fnv_u64(static_cast<std::uint64_t>(unit * 0x1.0p53), digest);
  }
  EXPECT_EQ(digest, 0xF12C7E469C482308ULL);
}

TEST(SeededSupport, PercentFields) {
  EXPECT_EQ(digest_of(dashi_test::percent_field(Shape{37, 29}, 0, 40)), 0x0DE4676892AEF259ULL);
  EXPECT_EQ(digest_of(dashi_test::percent_field(Shape{37, 29}, 30, 70)), 0x8F785AE8DF2137B8ULL);
  EXPECT_EQ(digest_of(dashi_test::percent_field(Shape{37, 29}, 100, 140)), 0x9CF19E0E4AF382B0ULL);
}

TEST(SeededSupport, RandomFields) {
  EXPECT_EQ(digest_of(dashi_test::random_field(Shape{13, 17, 19}, 0.0, 7)), 0x99CE2F29325D2B54ULL);
  EXPECT_EQ(digest_of(dashi_test::random_field(Shape{13, 17, 19}, 0.3, 7)), 0xD55ECDDE9BE54CD1ULL);
  EXPECT_EQ(digest_of(dashi_test::random_field(Shape{13, 17, 19}, 1.0, 7)), 0x4D442C77978ED091ULL);
  const auto values = dashi_test::random_values(4199, 0.3, 7);
  const dashi::TernaryField field = dashi_test::random_field(Shape{13, 17, 19}, 0.3, 7);
  EXPECT_EQ(std::vector<std::int8_t>(field.values().begin(), field.values().end()), values);
}

TEST(SeededSupport, BlockOrders) {
  EXPECT_EQ(digest_of(dashi_test::shuffled_order(1000, 5)), 0xDB9900D516A23203ULL);
  std::uint64_t digest = 1469598103934665603ULL;
  for (const auto& named : dashi_test::block_orders(29)) {
    digest =
        fnv({reinterpret_cast<const std::uint8_t*>(named.name.data()), named.name.size()}, digest);
    digest = digest_of(named.order, digest);
  }
  EXPECT_EQ(digest, 0xF086CBCC18A51139ULL);
}

}  // namespace
