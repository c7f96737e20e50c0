// SPDX-License-Identifier: Apache-2.0
// Unit tests of <dashi/carrier.hpp>: trit, Shape, TernaryField, TernaryView, TernarySpan,
// fingerprint.

// The range form of `from_signed` compares each value with -1; instantiating it with an
// unsigned value type makes the header itself raise -Wsign-compare (see the test
// TernaryField.FromSignedRejectsLargeUnsignedValues). The pragma keeps this file buildable
// with -Werror so that the behaviour can be tested.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <dashi/carrier.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

std::vector<std::int8_t> as_vector(std::span<const std::int8_t> values) {
  return {values.begin(), values.end()};
}

// ----------------------------------------------------------------------------------------
// trit

TEST(Trit, ValuesAreBalancedTernary) {
  static_assert(std::is_same_v<std::underlying_type_t<dashi::trit>, std::int8_t>);
  EXPECT_EQ(static_cast<int>(dashi::trit::neg), -1);
  EXPECT_EQ(static_cast<int>(dashi::trit::zero), 0);
  EXPECT_EQ(static_cast<int>(dashi::trit::pos), 1);
}

// ----------------------------------------------------------------------------------------
// Shape

TEST(Shape, RanksOneToFour) {
  const Shape s1{7};
  EXPECT_EQ(s1.rank(), 1U);
  EXPECT_EQ(s1[0], 7U);
  EXPECT_EQ(s1.size(), 7U);
  EXPECT_EQ(s1.rows(), 7U);
  EXPECT_EQ(s1.row_elems(), 1U);

  const Shape s2{3, 5};
  EXPECT_EQ(s2.rank(), 2U);
  EXPECT_EQ(s2[0], 3U);
  EXPECT_EQ(s2[1], 5U);
  EXPECT_EQ(s2.size(), 15U);
  EXPECT_EQ(s2.rows(), 3U);
  EXPECT_EQ(s2.row_elems(), 5U);

  const Shape s3{4, 3, 2};
  EXPECT_EQ(s3.rank(), 3U);
  EXPECT_EQ(s3.size(), 24U);
  EXPECT_EQ(s3.row_elems(), 6U);

  const Shape s4{2, 3, 4, 5};
  EXPECT_EQ(s4.rank(), 4U);
  EXPECT_EQ(s4[3], 5U);
  EXPECT_EQ(s4.size(), 120U);
  EXPECT_EQ(s4.rows(), 2U);
  EXPECT_EQ(s4.row_elems(), 60U);
  const std::vector<std::size_t> extents(s4.extents().begin(), s4.extents().end());
  EXPECT_EQ(extents, (std::vector<std::size_t>{2, 3, 4, 5}));
}

TEST(Shape, DefaultIsEmptyOneDimensional) {
  const Shape s;
  EXPECT_EQ(s.rank(), 1U);
  EXPECT_EQ(s.size(), 0U);
  EXPECT_EQ(s, Shape{0});
}

TEST(Shape, ZeroExtentsGiveEmptyShapes) {
  EXPECT_EQ((Shape{0, 5}).size(), 0U);
  EXPECT_EQ((Shape{0, 5}).row_elems(), 5U);
  EXPECT_EQ((Shape{5, 0}).size(), 0U);
  EXPECT_EQ((Shape{5, 0}).rows(), 5U);
  EXPECT_EQ((Shape{5, 0}).row_elems(), 0U);
  EXPECT_FALSE((Shape{0, 5}) == (Shape{5, 0}));
}

TEST(Shape, EqualityComparesRankAndExtents) {
  EXPECT_EQ((Shape{3, 5}), (Shape{3, 5}));
  EXPECT_FALSE((Shape{3, 5}) == (Shape{5, 3}));
  EXPECT_FALSE((Shape{5}) == (Shape{5, 1}));
  EXPECT_FALSE((Shape{5, 1}) == (Shape{5, 1, 1}));
}

TEST(Shape, FromExtentsAcceptsRanksOneToFour) {
  for (std::size_t rank = 1; rank <= 4; ++rank) {
    std::vector<std::size_t> extents(rank);
    for (std::size_t axis = 0; axis < rank; ++axis) {
      extents[axis] = axis + 2;
    }
    const Shape s = Shape::from_extents(extents);
    EXPECT_EQ(s.rank(), rank);
    std::size_t product = 1;
    for (std::size_t axis = 0; axis < rank; ++axis) {
      EXPECT_EQ(s[axis], axis + 2);
      product *= axis + 2;
    }
    EXPECT_EQ(s.size(), product);
  }
  EXPECT_EQ(make_shape({3, 5}), (Shape{3, 5}));
}

TEST(Shape, FromExtentsRejectsRankZeroAndFive) {
  const std::vector<std::size_t> none;
  const std::vector<std::size_t> five{1, 2, 3, 4, 5};
  const std::string m0 = message_of<CarrierError>([&] { (void)Shape::from_extents(none); });
  EXPECT_NE(m0.find("rank 0"), std::string::npos) << m0;
  const std::string m5 = message_of<CarrierError>([&] { (void)Shape::from_extents(five); });
  EXPECT_NE(m5.find("rank 5"), std::string::npos) << m5;
}

TEST(Shape, NegativeExtentsThrow) {
  EXPECT_THROW((Shape{-1}), CarrierError);
  EXPECT_THROW((Shape{3, -2}), CarrierError);
  EXPECT_THROW((Shape{3, 2, 1, -7}), CarrierError);
  const std::string message = message_of<CarrierError>([] { (void)Shape{4, -3}; });
  EXPECT_NE(message.find("-3"), std::string::npos) << message;
  // Negative values of other signed types.
  EXPECT_THROW((Shape{static_cast<long long>(-5)}), CarrierError);
  EXPECT_THROW((Shape{static_cast<short>(-1), 2}), CarrierError);
}

TEST(Shape, SizeOverflowThrows) {
  const std::size_t big = std::size_t{1} << 32;
  EXPECT_THROW((Shape{big, big}), CarrierError);
  EXPECT_THROW((Shape{std::numeric_limits<std::size_t>::max(), std::size_t{2}}), CarrierError);
  EXPECT_THROW((Shape{std::size_t{1} << 21, std::size_t{1} << 21, std::size_t{1} << 21}),
               CarrierError);
  const std::vector<std::size_t> extents{big, big};
  EXPECT_THROW((void)Shape::from_extents(extents), CarrierError);
  // The largest sizes that fit do not throw.
  EXPECT_NO_THROW((Shape{std::size_t{1} << 31, std::size_t{1} << 31}));
}

TEST(Shape, WithRowsReplacesAxisZero) {
  const Shape s{4, 3, 2};
  const Shape t = s.with_rows(9);
  EXPECT_EQ(t, (Shape{9, 3, 2}));
  EXPECT_EQ(s, (Shape{4, 3, 2}));  // unchanged
  EXPECT_EQ(s.with_rows(0).size(), 0U);
  EXPECT_EQ((Shape{5}).with_rows(2), (Shape{2}));
  EXPECT_THROW((void)(Shape{1, std::size_t{1} << 40}).with_rows(std::size_t{1} << 40),
               CarrierError);
}

TEST(Shape, ToString) {
  EXPECT_EQ((Shape{3, 5}).to_string(), "(3, 5)");
  EXPECT_EQ((Shape{7}).to_string(), "(7)");
  EXPECT_EQ((Shape{2, 3, 4, 5}).to_string(), "(2, 3, 4, 5)");
  EXPECT_EQ((Shape{0, 5}).to_string(), "(0, 5)");
}

// ----------------------------------------------------------------------------------------
// TernaryField construction

TEST(TernaryField, FromSignedInt8Span) {
  const std::vector<std::int8_t> values{1, 0, -1, -1, 0, 1, 1};
  const TernaryField f = TernaryField::from_signed(std::span<const std::int8_t>(values));
  EXPECT_EQ(f.shape(), (Shape{7}));
  EXPECT_EQ(f.size(), 7U);
  EXPECT_EQ(as_vector(f.values()), values);
  EXPECT_EQ(f.to_signed(), values);
}

TEST(TernaryField, FromSignedInt8SpanWithShape) {
  const std::vector<std::int8_t> values{1, 0, -1, -1, 0, 1};
  const TernaryField f =
      TernaryField::from_signed(std::span<const std::int8_t>(values), Shape{2, 3});
  EXPECT_EQ(f.shape(), (Shape{2, 3}));
  EXPECT_EQ(f.to_signed(), values);
}

TEST(TernaryField, FromSignedVectorOfInt) {
  const std::vector<int> values{-1, 0, 1, 1};
  const TernaryField f = TernaryField::from_signed(values);
  EXPECT_EQ(f.shape(), (Shape{4}));
  EXPECT_EQ(f.to_signed(), (std::vector<std::int8_t>{-1, 0, 1, 1}));
  const TernaryField g = TernaryField::from_signed(values, Shape{2, 2});
  EXPECT_EQ(g.shape(), (Shape{2, 2}));
  EXPECT_EQ(g.to_signed(), f.to_signed());
}

TEST(TernaryField, FromSignedVectorOfDoubleAcceptsExactTrits) {
  const std::vector<double> values{1.0, -1.0, 0.0, -0.0};
  const TernaryField f = TernaryField::from_signed(values);
  EXPECT_EQ(f.to_signed(), (std::vector<std::int8_t>{1, -1, 0, 0}));
}

TEST(TernaryField, FromSignedVectorOfDoubleRejectsFractions) {
  const std::vector<double> values{1.0, 0.2, -0.7};
  const std::string message =
      message_of<CarrierError>([&] { (void)TernaryField::from_signed(values); });
  EXPECT_EQ(number_after(message, "index"), 1U) << message;
  EXPECT_NE(message.find("0.2"), std::string::npos) << message;
}

TEST(TernaryField, FromSignedRejectsNanAndInfinity) {
  const std::vector<double> nan{0.0, std::nan("")};
  EXPECT_THROW((void)TernaryField::from_signed(nan), CarrierError);
  const std::vector<double> inf{std::numeric_limits<double>::infinity()};
  EXPECT_THROW((void)TernaryField::from_signed(inf), CarrierError);
  const std::vector<float> close{1.0F, 0.99999994F};
  EXPECT_THROW((void)TernaryField::from_signed(close), CarrierError);
}

TEST(TernaryField, FromSignedInitializerList) {
  const TernaryField f = TernaryField::from_signed({1, 0, -1});
  EXPECT_EQ(f.shape(), (Shape{3}));
  EXPECT_EQ(f.to_signed(), (std::vector<std::int8_t>{1, 0, -1}));
  const TernaryField g = TernaryField::from_signed({1, 0, -1, 1}, Shape{2, 2});
  EXPECT_EQ(g.shape(), (Shape{2, 2}));
  EXPECT_EQ(g.to_signed(), (std::vector<std::int8_t>{1, 0, -1, 1}));
  EXPECT_THROW((void)TernaryField::from_signed({1, 3}), CarrierError);
  EXPECT_THROW((void)TernaryField::from_signed({1, 0, 1}, Shape{2, 2}), CarrierError);
}

TEST(TernaryField, FromSignedOtherArithmeticTypes) {
  const std::vector<long long> ll{-1, 1, 0};
  EXPECT_EQ(TernaryField::from_signed(ll).to_signed(), (std::vector<std::int8_t>{-1, 1, 0}));
  const std::array<float, 2> fl{-1.0F, 1.0F};
  EXPECT_EQ(TernaryField::from_signed(fl).to_signed(), (std::vector<std::int8_t>{-1, 1}));
  const std::vector<short> bad{0, 0, 300};
  const std::string message =
      message_of<CarrierError>([&] { (void)TernaryField::from_signed(bad); });
  EXPECT_EQ(number_after(message, "index"), 2U) << message;
  EXPECT_NE(message.find("300"), std::string::npos) << message;
  const std::vector<std::uint8_t> bytes{0, 1, 255};
  EXPECT_THROW((void)TernaryField::from_signed(bytes), CarrierError);
}

// Unsigned values are not -1: 4294967295u must be rejected like any other non-trit.
TEST(TernaryField, FromSignedRejectsLargeUnsignedValues) {
  const std::vector<unsigned> u32{0U, 1U, std::numeric_limits<unsigned>::max()};
  EXPECT_THROW((void)TernaryField::from_signed(u32), CarrierError)
      << "4294967295u was accepted as a trit";
  const std::vector<unsigned long long> u64{std::numeric_limits<unsigned long long>::max()};
  EXPECT_THROW((void)TernaryField::from_signed(u64), CarrierError)
      << "18446744073709551615ull was accepted as a trit";
}

/// Places one bad value at each position of fields of several lengths (around the 64-byte
/// chunks of the vectorised scan) and checks that the message names that index and value.
TEST(TernaryField, FromSignedNamesFirstBadIndexAndValue) {
  const std::int8_t bad_values[] = {2, -2, 42, 127, -128};
  std::size_t k = 0;
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{63}, std::size_t{64},
                              std::size_t{65}, std::size_t{200}}) {
    for (std::size_t pos = 0; pos < n; ++pos) {
      auto values = random_values(n, 0.3, 1000 + n);
      const std::int8_t bad = bad_values[k++ % 5];
      values[pos] = bad;
      if (pos + 3 < n) {
        values[pos + 3] = 9;  // a later bad value must not be the one reported
      }
      SCOPED_TRACE("n=" + std::to_string(n) + " pos=" + std::to_string(pos));
      const std::string m8 = message_of<CarrierError>(
          [&] { (void)TernaryField::from_signed(std::span<const std::int8_t>(values)); });
      EXPECT_EQ(number_after(m8, "index"), pos) << m8;
      EXPECT_NE(m8.find("value " + std::to_string(bad)), std::string::npos) << m8;

      const std::vector<int> ints(values.begin(), values.end());
      const std::string mi =
          message_of<CarrierError>([&] { (void)TernaryField::from_signed(ints); });
      EXPECT_EQ(number_after(mi, "index"), pos) << mi;
      EXPECT_NE(mi.find("value " + std::to_string(bad)), std::string::npos) << mi;
    }
  }
}

/// The same around the scan's 4 KiB blocks: a bad value in the first or last byte of a block,
/// in the tail after the last whole block, or in a later block than a valid one.
TEST(TernaryField, FromSignedNamesFirstBadIndexAcrossScanBlocks) {
  for (const std::size_t n :
       {std::size_t{4095}, std::size_t{4096}, std::size_t{4097}, std::size_t{3 * 4096 + 100}}) {
    const auto clean = random_values(n, 0.5, 77 + n);
    for (const std::size_t pos :
         {std::size_t{0}, std::size_t{63}, std::size_t{4095}, std::size_t{4096}, std::size_t{8191},
          std::size_t{8192}, std::size_t{3 * 4096}, n - 1}) {
      if (pos >= n) {
        continue;
      }
      auto values = clean;
      values[pos] = -3;
      if (pos + 1 < n) {
        values[n - 1] = 5;  // a later bad value must not be the one reported
      }
      SCOPED_TRACE("n=" + std::to_string(n) + " pos=" + std::to_string(pos));
      const std::string message = message_of<CarrierError>(
          [&] { (void)TernaryField::from_signed(std::span<const std::int8_t>(values)); });
      EXPECT_EQ(number_after(message, "index"), pos) << message;
    }
    EXPECT_NO_THROW((void)TernaryField::from_signed(std::span<const std::int8_t>(clean)));
  }
}

TEST(TernaryField, SizeShapeMismatchThrows) {
  const std::vector<std::int8_t> six{1, 0, -1, 1, 0, -1};
  const std::string message = message_of<CarrierError>([&] {
    (void)TernaryField::from_signed(std::span<const std::int8_t>(six), Shape{2, 2});
  });
  EXPECT_NE(message.find('6'), std::string::npos) << message;
  EXPECT_NE(message.find("(2, 2)"), std::string::npos) << message;
  const std::vector<int> ints{1, 0, -1};
  EXPECT_THROW((void)TernaryField::from_signed(ints, Shape{4}), CarrierError);
  EXPECT_THROW((void)TernaryField::from_signed(ints, Shape{0, 3}), CarrierError);
  EXPECT_NO_THROW((void)TernaryField::from_signed(std::vector<int>{}, Shape{0, 3}));
  static_assert(std::is_base_of_v<std::invalid_argument, CarrierError>);
}

TEST(TernaryField, EmptyFields) {
  for (const Shape& shape : {Shape{0}, Shape{0, 5}, Shape{5, 0}, Shape{2, 0, 3}}) {
    const TernaryField f = TernaryField::from_signed(std::span<const std::int8_t>{}, shape);
    EXPECT_EQ(f.shape(), shape);
    EXPECT_EQ(f.size(), 0U);
    EXPECT_TRUE(f.empty());
    EXPECT_EQ(f.count_support(), 0U);
    EXPECT_TRUE(f.to_signed().empty());
    EXPECT_EQ(f, TernaryField::zeros(shape));
  }
  EXPECT_FALSE(TernaryField::zeros(Shape{0, 5}) == TernaryField::zeros(Shape{5, 0}));
  const TernaryField d;
  EXPECT_EQ(d.shape(), (Shape{0}));
}

// ----------------------------------------------------------------------------------------
// from_support_sign: validated like the Python Carrier(support, sign).

TEST(TernaryField, FromSupportSignBuildsTheSignedField) {
  const std::vector<std::uint8_t> support{1, 0, 1, 1, 0, 0};
  const std::vector<std::int8_t> sign{-1, 0, 1, 1, 0, 0};
  const TernaryField f = TernaryField::from_support_sign(support, sign, Shape{2, 3});
  EXPECT_EQ(f, TernaryField::from_signed({-1, 0, 1, 1, 0, 0}, Shape{2, 3}));
  const std::array<bool, 3> bools{true, false, true};
  const std::vector<std::int8_t> sign3{1, 0, -1};
  EXPECT_EQ(TernaryField::from_support_sign(std::span<const bool>(bools), sign3, Shape{3}),
            TernaryField::from_signed({1, 0, -1}));
}

TEST(TernaryField, FromSupportSignRejectsDifferentSizes) {
  const std::vector<std::uint8_t> support{1, 0};
  const std::vector<std::int8_t> sign{1, 0, 0};
  const std::string m = message_of<CarrierError>(
      [&] { (void)TernaryField::from_support_sign(support, sign, Shape{3}); });
  EXPECT_NE(m.find("identical shape"), std::string::npos) << m;
}

TEST(TernaryField, FromSupportSignRejectsShapeMismatch) {
  const std::vector<std::uint8_t> support{1, 0, 1};
  const std::vector<std::int8_t> sign{1, 0, 1};
  EXPECT_THROW((void)TernaryField::from_support_sign(support, sign, Shape{2, 2}), CarrierError);
}

TEST(TernaryField, FromSupportSignRejectsNonBooleanSupport) {
  const std::vector<std::uint8_t> support{1, 0, 2};
  const std::vector<std::int8_t> sign{1, 0, 1};
  const std::string m = message_of<CarrierError>(
      [&] { (void)TernaryField::from_support_sign(support, sign, Shape{3}); });
  EXPECT_NE(m.find("support must be boolean"), std::string::npos) << m;
  EXPECT_EQ(number_after(m, "index"), 2U) << m;
}

TEST(TernaryField, FromSupportSignRejectsSignOutsideTrits) {
  const std::vector<std::uint8_t> support{1, 1, 0};
  const std::vector<std::int8_t> sign{1, 2, 0};
  const std::string m = message_of<CarrierError>(
      [&] { (void)TernaryField::from_support_sign(support, sign, Shape{3}); });
  EXPECT_EQ(number_after(m, "index"), 1U) << m;
  EXPECT_NE(m.find("value 2"), std::string::npos) << m;
}

TEST(TernaryField, FromSupportSignRejectsSignOffSupport) {
  const std::vector<std::uint8_t> support{1, 0, 0};
  const std::vector<std::int8_t> sign{1, 0, -1};
  const std::string m = message_of<CarrierError>(
      [&] { (void)TernaryField::from_support_sign(support, sign, Shape{3}); });
  EXPECT_NE(m.find("zero wherever support is 0"), std::string::npos) << m;
  EXPECT_EQ(number_after(m, "index"), 2U) << m;
}

TEST(TernaryField, FromSupportSignRejectsZeroSignOnSupport) {
  const std::vector<std::uint8_t> support{1, 1, 0};
  const std::vector<std::int8_t> sign{1, 0, 0};
  const std::string m = message_of<CarrierError>(
      [&] { (void)TernaryField::from_support_sign(support, sign, Shape{3}); });
  EXPECT_NE(m.find("wherever support is 1"), std::string::npos) << m;
  EXPECT_EQ(number_after(m, "index"), 1U) << m;
}

/// When several checks fail at once, the first check in the Python order decides:
/// identical shape → support boolean → sign in {-1,0,1} → sign zero off support →
/// sign ±1 on support (each over the whole field), whatever the sites' positions.
TEST(TernaryField, FromSupportSignChecksInThePythonOrder) {
  const auto message = [](std::vector<std::uint8_t> support, std::vector<std::int8_t> sign) {
    return message_of<CarrierError>(
        [&] { (void)TernaryField::from_support_sign(support, sign, Shape{support.size()}); });
  };
  // Sizes differ and support is not boolean: the size check comes first.
  EXPECT_NE(message({2, 0}, {1, 0, 0}).find("identical shape"), std::string::npos);
  // Bad sign value at index 0, bad support at index 1: support is checked first.
  EXPECT_NE(message({1, 2}, {7, 1}).find("support must be boolean"), std::string::npos);
  // Off-support sign at index 0, bad sign value at index 1: the value range comes first.
  {
    const std::string m = message({0, 1}, {1, 9});
    EXPECT_NE(m.find("value 9"), std::string::npos) << m;
  }
  // Zero sign on support at index 0, nonzero sign off support at index 1: Python raises
  // "sign must be zero wherever support is False" before looking at supported sites.
  {
    const std::string m = message({1, 0}, {0, 1});
    EXPECT_NE(m.find("zero wherever support is 0"), std::string::npos) << m;
    EXPECT_EQ(number_after(m, "index"), 1U) << m;
  }
}

// ----------------------------------------------------------------------------------------
// Accessors

TEST(TernaryField, Zeros) {
  for (const Shape& shape :
       {Shape{1}, Shape{100}, Shape{7, 9}, Shape{3, 4, 5}, Shape{2, 2, 2, 2}}) {
    const TernaryField z = TernaryField::zeros(shape);
    EXPECT_EQ(z.shape(), shape);
    EXPECT_EQ(z.count_support(), 0U);
    EXPECT_EQ(z.to_signed(), std::vector<std::int8_t>(shape.size(), 0));
  }
}

TEST(TernaryField, ToSignedRoundtrip) {
  std::uint64_t seed = 1;
  for (const Shape& shape :
       {Shape{1}, Shape{1000}, Shape{31, 17}, Shape{5, 4, 3}, Shape{3, 2, 2, 5}}) {
    for (const double sparsity : {0.0, 0.5, 0.9, 1.0}) {
      const auto values = random_values(shape.size(), sparsity, seed++);
      const TernaryField f = TernaryField::from_signed(std::span<const std::int8_t>(values), shape);
      EXPECT_EQ(f.to_signed(), values) << shape.to_string();
      EXPECT_EQ(TernaryField::from_signed(std::span<const std::int8_t>(f.to_signed()), shape), f);
    }
  }
}

TEST(TernaryField, SupportAndSignAccessors) {
  const TernaryField f = random_field(Shape{13, 11}, 0.4, 7);
  const TernaryView v = f.view();
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::int8_t x = f.values()[i];
    EXPECT_EQ(f.value(i), x);
    EXPECT_EQ(f.support(i), x != 0);
    EXPECT_EQ(f.sign(i), static_cast<int>(x));
    EXPECT_EQ(v.support(i), x != 0);
    EXPECT_EQ(v.sign(i), static_cast<int>(x));
    if (f.support(i)) {
      EXPECT_TRUE(f.sign(i) == 1 || f.sign(i) == -1);
    } else {
      EXPECT_EQ(f.sign(i), 0);
    }
  }
}

TEST(TernaryField, CountSupport) {
  std::uint64_t seed = 11;
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{31}, std::size_t{4095},
                              std::size_t{4096}, std::size_t{4097}, std::size_t{20000}}) {
    for (const double sparsity : {0.0, 0.3, 1.0}) {
      const auto values = random_values(n, sparsity, seed++);
      std::size_t expected = 0;
      for (const auto x : values) {
        expected += x != 0 ? 1U : 0U;
      }
      const TernaryField f = TernaryField::from_signed(std::span<const std::int8_t>(values));
      EXPECT_EQ(f.count_support(), expected) << "n=" << n << " sparsity=" << sparsity;
      EXPECT_EQ(f.view().count_support(), expected);
    }
  }
}

TEST(TernaryField, CopyIsDeepAndEqual) {
  const TernaryField f = random_field(Shape{20, 3}, 0.3, 5);
  TernaryField g = f;
  EXPECT_EQ(g, f);
  EXPECT_NE(g.data(), f.data());
  g.data()[4] = static_cast<std::int8_t>(g.data()[4] == 1 ? -1 : 1);
  EXPECT_FALSE(g == f);
  TernaryField h;
  h = f;
  EXPECT_EQ(h, f);
  TernaryField moved = std::move(h);
  EXPECT_EQ(moved, f);
}

TEST(TernaryField, StorageIsCacheLineAligned) {
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{3}, std::size_t{100}, std::size_t{4097}}) {
    const TernaryField f = TernaryField::zeros(Shape{n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f.data()) % 64, 0U) << n;
  }
}

TEST(TernaryField, ViewsAndSpans) {
  TernaryField f = random_field(Shape{6, 4}, 0.3, 9);
  const TernaryView v = f.view();
  EXPECT_EQ(v.shape(), f.shape());
  EXPECT_EQ(v.data(), f.data());
  EXPECT_TRUE(v == f.view());
  const TernaryView implicit = f;
  EXPECT_EQ(implicit.data(), f.data());

  TernarySpan s = f.span();
  s.values()[5] = 0;
  s.values()[6] = -1;
  EXPECT_EQ(f.value(5), 0);
  EXPECT_EQ(f.value(6), -1);
  const TernaryView from_span = s;
  EXPECT_EQ(from_span.data(), f.data());
  EXPECT_EQ(s.view().shape(), f.shape());
  EXPECT_EQ(s.count_support(), f.count_support());
}

TEST(TernaryField, RowsSubViews) {
  const TernaryField f = random_field(Shape{10, 3, 2}, 0.3, 21);
  for (std::size_t first = 0; first <= 10; ++first) {
    for (std::size_t count = 0; first + count <= 10; ++count) {
      const TernaryView sub = f.rows(first, count);
      EXPECT_EQ(sub.shape(), (Shape{count, 3, 2}));
      EXPECT_EQ(sub.data(), f.data() + first * 6);
      for (std::size_t i = 0; i < sub.size(); ++i) {
        ASSERT_EQ(sub.value(i), f.value(first * 6 + i));
      }
      const TernaryView again = f.view().rows(first, count);
      EXPECT_TRUE(again == sub);
    }
  }
  EXPECT_THROW((void)f.rows(0, 11), std::out_of_range);
  EXPECT_THROW((void)f.rows(11, 0), std::out_of_range);
  EXPECT_THROW((void)f.rows(5, 6), std::out_of_range);
  EXPECT_THROW((void)f.rows(std::numeric_limits<std::size_t>::max(), 2), std::out_of_range);
  EXPECT_THROW((void)f.view().rows(3, std::numeric_limits<std::size_t>::max()), std::out_of_range);
}

TEST(TernarySpan, RowsWriteOnlyTheirSlices) {
  TernaryField f = TernaryField::zeros(Shape{5, 4});
  TernarySpan rows = f.span().rows(2, 2);
  EXPECT_EQ(rows.shape(), (Shape{2, 4}));
  for (auto& x : rows.values()) {
    x = 1;
  }
  for (std::size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f.value(i), (i >= 8 && i < 16) ? 1 : 0) << i;
  }
  EXPECT_THROW((void)f.span().rows(4, 2), std::out_of_range);
}

TEST(TernaryView, CheckedConstructorRejectsNonTrits) {
  std::vector<std::int8_t> values{1, 0, -1, 1};
  const TernaryView ok(values, Shape{2, 2});
  EXPECT_EQ(ok.shape(), (Shape{2, 2}));
  EXPECT_EQ(ok.data(), values.data());
  values[2] = 3;
  const std::string m = message_of<CarrierError>([&] { (void)TernaryView(values, Shape{2, 2}); });
  EXPECT_EQ(number_after(m, "index"), 2U) << m;
  EXPECT_NE(m.find("value 3"), std::string::npos) << m;
  values[2] = -1;
  EXPECT_THROW((void)TernaryView(values, Shape{3}), CarrierError);
  // Unchecked views skip the check; TernarySpan accepts any bytes (it is an output buffer).
  std::vector<std::int8_t> garbage{9, 9};
  EXPECT_EQ(TernaryView::unchecked(garbage.data(), Shape{2}).size(), 2U);
  EXPECT_NO_THROW((void)TernarySpan(garbage, Shape{2}));
  EXPECT_THROW((void)TernarySpan(garbage, Shape{3}), CarrierError);
}

TEST(TernaryView, EqualityComparesShapeAndBytes) {
  const TernaryField a = TernaryField::from_signed({1, 0, -1, 1, 0, -1});
  const TernaryField b = TernaryField::from_signed({1, 0, -1, 1, 0, -1}, Shape{2, 3});
  EXPECT_FALSE(a.view() == b.view());
  const TernaryField c = TernaryField::from_signed({1, 0, -1, 1, 0, -1});
  EXPECT_TRUE(a.view() == c.view());
  EXPECT_EQ(first_difference(a, c), "");
  const TernaryField d = TernaryField::from_signed({1, 0, -1, 1, 1, -1});
  EXPECT_FALSE(a == d);
  EXPECT_NE(first_difference(a, d), "");
}

// ----------------------------------------------------------------------------------------
// fingerprint

TEST(Fingerprint, EqualFieldsGiveEqualFingerprints) {
  const TernaryField a = random_field(Shape{123, 7}, 0.4, 77);
  const TernaryField b = random_field(Shape{123, 7}, 0.4, 77);
  ASSERT_NE(a.data(), b.data());
  EXPECT_EQ(dashi::fingerprint(a), dashi::fingerprint(b));
  const TernaryField copy = a;
  EXPECT_EQ(dashi::fingerprint(copy), dashi::fingerprint(a));
  EXPECT_EQ(dashi::fingerprint(a), dashi::fingerprint(a));  // repeatable
  // A sub-view and a copy of the same rows print alike.
  const TernaryField rows = dashi_test::copy_rows(a, 10, 50);
  EXPECT_EQ(dashi::fingerprint(a.rows(10, 50)), dashi::fingerprint(rows));
}

TEST(Fingerprint, ChangesWhenAnySingleValueChanges) {
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9}, std::size_t{31},
        std::size_t{32}, std::size_t{33}, std::size_t{64}, std::size_t{100}}) {
    const TernaryField base = random_field(Shape{n}, 0.3, 500 + n);
    const std::uint64_t print = dashi::fingerprint(base);
    for (std::size_t i = 0; i < n; ++i) {
      for (const std::int8_t v : {std::int8_t{-1}, std::int8_t{0}, std::int8_t{1}}) {
        if (v == base.value(i)) {
          continue;
        }
        TernaryField changed = base;
        changed.data()[i] = v;
        EXPECT_NE(dashi::fingerprint(changed), print) << "n=" << n << " site=" << i;
      }
    }
  }
}

TEST(Fingerprint, ChangesWithTheShape) {
  const std::vector<std::int8_t> values{1, 0, -1, 1, 1, -1};
  const std::span<const std::int8_t> v(values);
  std::set<std::uint64_t> prints;
  for (const Shape& shape : {Shape{6}, Shape{2, 3}, Shape{3, 2}, Shape{6, 1}, Shape{1, 6},
                             Shape{1, 2, 3}, Shape{1, 1, 1, 6}}) {
    prints.insert(dashi::fingerprint(TernaryField::from_signed(v, shape)));
  }
  EXPECT_EQ(prints.size(), 7U);
  std::set<std::uint64_t> empty;
  for (const Shape& shape : {Shape{0}, Shape{0, 5}, Shape{5, 0}, Shape{0, 0}, Shape{0, 1, 1}}) {
    empty.insert(dashi::fingerprint(TernaryField::zeros(shape)));
  }
  EXPECT_EQ(empty.size(), 5U);
  // All-zero fields of different lengths differ.
  EXPECT_NE(dashi::fingerprint(TernaryField::zeros(Shape{40})),
            dashi::fingerprint(TernaryField::zeros(Shape{41})));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// One size rule for every constructor, whatever the order of the axes.

namespace {

TEST(ShapeSizeRule, ZeroExtentDoesNotHideAnOverflowInTheOtherAxes) {
  const std::size_t big = std::size_t{1} << 32;
  const std::size_t huge = std::size_t{1} << 63;
  EXPECT_THROW(dashi::Shape(std::size_t{0}, big, big), dashi::CarrierError);
  EXPECT_THROW(dashi::Shape(big, big, std::size_t{0}), dashi::CarrierError);
  EXPECT_THROW(dashi::Shape(big, std::size_t{0}, big), dashi::CarrierError);
  EXPECT_THROW(dashi::Shape(std::size_t{0}, huge), dashi::CarrierError);
  const std::size_t zero_then_max[] = {0, std::numeric_limits<std::size_t>::max()};
  EXPECT_THROW((void)dashi::Shape::from_extents(zero_then_max), dashi::CarrierError);
  EXPECT_FALSE(dashi::detail::extents_fit(zero_then_max));
  EXPECT_THROW((void)dashi::Shape(std::size_t{1}, big, big / 2).with_rows(2), dashi::CarrierError);
  EXPECT_THROW((void)dashi::Shape(std::size_t{1}, big, big / 2).with_rows(0).with_rows(2),
               dashi::CarrierError);
  // The largest accepted products, with and without zero extents.
  const auto limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  EXPECT_NO_THROW(dashi::Shape(std::size_t{0}, limit));
  EXPECT_NO_THROW(dashi::Shape(limit, std::size_t{0}));
  EXPECT_NO_THROW(dashi::Shape(std::size_t{0}, big, big / 2 - 1));
  EXPECT_EQ(dashi::Shape(std::size_t{0}, big, big / 4).row_elems(), big * (big / 4));
  const std::size_t fits[] = {0, big, big / 4, 1};
  EXPECT_TRUE(dashi::detail::extents_fit(fits));
}

}  // namespace
