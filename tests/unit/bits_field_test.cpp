// SPDX-License-Identifier: Apache-2.0
// Bit planes as a carrier: layout, views, pack / unpack, validate, fingerprint, and the PQ
// bridge, each against the dense field it stands for.

#include <gtest/gtest.h>

#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/pq/codec.hpp>
#include <vector>

#include "support/fields.hpp"

namespace {

using dashi::Shape;
using dashi::TernaryField;
using dashi::bits::BitField;
using dashi_test::message_of;
using dashi_test::random_field;

/// The shapes whose layout matters: word edges, one row, one column, N-d, empty.
std::vector<Shape> layout_shapes() {
  return {Shape{0},        Shape{1},          Shape{63},          Shape{64},      Shape{65},
          Shape{127},      Shape{128},        Shape{129},         Shape{1000},    Shape{1, 1},
          Shape{1, 63},    Shape{1, 64},      Shape{1, 65},       Shape{5, 1},    Shape{7, 5},
          Shape{33, 130},  Shape{64, 64},     Shape{3, 0},        Shape{0, 9},    Shape{3, 4, 5},
          Shape{2, 3, 70}, Shape{2, 2, 2, 2}, Shape{3, 1, 1, 65}, Shape{100, 200}};
}

TEST(BitField, LayoutPutsEachSliceOnAWord) {
  EXPECT_EQ(BitField::zeros(Shape{65}).slices(), 1U);
  EXPECT_EQ(BitField::zeros(Shape{65}).slice_words(), 2U);
  EXPECT_EQ(BitField::zeros(Shape{7, 5}).slices(), 7U);
  EXPECT_EQ(BitField::zeros(Shape{7, 5}).slice_words(), 1U);
  EXPECT_EQ(BitField::zeros(Shape{3, 2, 65}).slice_words(), 3U);  // 130 sites per slice
  EXPECT_EQ(BitField::zeros(Shape{3, 2, 65}).words(), 9U);
  EXPECT_EQ(BitField::zeros(Shape{0}).words(), 0U);
  const BitField field = BitField::zeros(Shape{7, 100});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(field.support().data()) % 64, 0U);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(field.sign().data()) % 64, 0U);
  EXPECT_EQ(field.count_support(), 0U);
}

TEST(BitField, PackPlacesSupportAndSignBits) {
  const TernaryField dense =
      TernaryField::from_signed({1, 0, -1, 1, 0, 0, -1, 1, 1, 0}, Shape{2, 5});
  const BitField planes = dashi::bits::pack(dense);
  // Slice 0: sites 0..4 = 1, 0, -1, 1, 0; slice 1 starts on the next word.
  EXPECT_EQ(planes.support()[0], 0b01101U);
  EXPECT_EQ(planes.sign()[0], 0b01001U);
  EXPECT_EQ(planes.support()[1], 0b01110U);
  EXPECT_EQ(planes.sign()[1], 0b01100U);
  EXPECT_EQ(planes.count_support(), dense.count_support());
  for (std::size_t i = 0; i < dense.size(); ++i) {
    EXPECT_EQ(planes.value(i), dense.values()[i]) << "site " << i;
  }
}

TEST(BitField, PackAndUnpackAreInverseOnEveryShape) {
  std::uint64_t seed = 1;
  for (const Shape& shape : layout_shapes()) {
    for (const double sparsity : {0.0, 0.5, 1.0}) {
      const TernaryField dense = random_field(shape, sparsity, ++seed);
      const BitField planes = dashi::bits::pack(dense);
      EXPECT_NO_THROW(dashi::bits::validate(planes)) << shape.to_string();
      EXPECT_EQ(dashi::bits::unpack(planes), dense) << shape.to_string();
      EXPECT_EQ(planes.count_support(), dense.count_support()) << shape.to_string();
      EXPECT_EQ(dashi::bits::fingerprint(planes), dashi::fingerprint(dense)) << shape.to_string();
      BitField again = BitField::zeros(shape);
      dashi::bits::pack_into(dense, again.span());
      EXPECT_EQ(again, planes) << shape.to_string();
    }
  }
}

TEST(BitField, FingerprintCoversFieldsLargerThanItsBuffer) {
  for (const Shape& shape : {Shape{10000}, Shape{3, 4099}, Shape{5000, 3}, Shape{2, 2, 2049}}) {
    const TernaryField dense = random_field(shape, 0.4, 7);
    EXPECT_EQ(dashi::bits::fingerprint(dashi::bits::pack(dense)), dashi::fingerprint(dense))
        << shape.to_string();
  }
}

TEST(BitField, PackNamesTheFirstValueThatIsNotATrit) {
  std::vector<std::int8_t> values(300, 1);
  values[200] = 7;
  values[250] = -5;
  const auto view = dashi::TernaryView::unchecked(values.data(), Shape{3, 100});
  const std::string message =
      message_of<dashi::CarrierError>([&] { (void)dashi::bits::pack(view); });
  EXPECT_NE(message.find("index 200"), std::string::npos) << message;
  EXPECT_NE(message.find("value 7"), std::string::npos) << message;
  for (const std::int8_t bad :
       {std::int8_t{2}, std::int8_t{-2}, std::int8_t{127}, std::int8_t{-128}, std::int8_t{64}}) {
    std::vector<std::int8_t> one(130, 0);
    one[129] = bad;  // in the last, partial word
    const auto v = dashi::TernaryView::unchecked(one.data(), Shape{130});
    EXPECT_THROW((void)dashi::bits::pack(v), dashi::CarrierError) << int{bad};
  }
}

TEST(BitField, ShapeMismatchesAreRefused) {
  const TernaryField dense = random_field(Shape{4, 4}, 0.5, 3);
  BitField planes = BitField::zeros(Shape{16});
  EXPECT_THROW(dashi::bits::pack_into(dense, planes.span()), std::invalid_argument);
  TernaryField out = TernaryField::zeros(Shape{4, 5});
  EXPECT_THROW(dashi::bits::unpack_into(dashi::bits::pack(dense), out.span()),
               std::invalid_argument);
}

TEST(BitField, ValidateNamesASignOffSupportAndAPaddingBit) {
  BitField planes = dashi::bits::pack(random_field(Shape{3, 70}, 0.5, 9));
  planes.span().support_words()[2] &= ~std::uint64_t{0x10};  // slice 1, word 0, bit 4: site 74
  planes.span().sign_words()[2] |= 0x10;
  const std::string stray = message_of<dashi::CarrierError>([&] { dashi::bits::validate(planes); });
  EXPECT_NE(stray.find("sign bit set off support at site 74"), std::string::npos) << stray;

  BitField padded = dashi::bits::pack(random_field(Shape{3, 70}, 0.5, 9));
  padded.span().support_words()[3] |= std::uint64_t{1} << 10;  // slice 1, bit 64 + 10 >= 70
  const std::string padding =
      message_of<dashi::CarrierError>([&] { dashi::bits::validate(padded); });
  EXPECT_NE(padding.find("padding bit 10 of word 1 of slice 1"), std::string::npos) << padding;
}

TEST(BitView, RowsOfOneDimensionalFieldsNeverSplitAWord) {
  const BitField planes = dashi::bits::pack(random_field(Shape{200}, 0.3, 4));
  const auto rows = planes.view().rows(64, 136);  // to the end
  EXPECT_EQ(rows.shape(), Shape{136});
  EXPECT_EQ(dashi::bits::unpack(rows), dashi::bits::unpack(planes).rows(64, 136));
  EXPECT_EQ(planes.view().rows(128, 64).size(), 64U);
  EXPECT_THROW((void)planes.view().rows(1, 63), std::invalid_argument);
  EXPECT_THROW((void)planes.view().rows(64, 65), std::invalid_argument);
  EXPECT_THROW((void)planes.view().rows(192, 9), std::out_of_range);
  const BitField grid = dashi::bits::pack(random_field(Shape{9, 70}, 0.3, 4));
  EXPECT_EQ(dashi::bits::unpack(grid.view().rows(3, 4)), dashi::bits::unpack(grid).rows(3, 4));
  EXPECT_THROW((void)grid.view().rows(8, 2), std::out_of_range);
}

TEST(BitField, EqualityComparesShapesAndPlanes) {
  const TernaryField dense = random_field(Shape{6, 7}, 0.5, 5);
  EXPECT_EQ(dashi::bits::pack(dense), dashi::bits::pack(dense));
  EXPECT_FALSE(dashi::bits::pack(dense) == dashi::bits::pack(random_field(Shape{6, 7}, 0.5, 6)));
  EXPECT_FALSE(dashi::bits::pack(dense) ==
               dashi::bits::pack(TernaryField::from_signed(dense.values(), Shape{7, 6})));
  const BitField copy = dashi::bits::pack(dense);
  BitField moved = copy;
  EXPECT_EQ(moved, copy);
}

TEST(BitPq, ToPqIsByteIdenticalToEncodeAndFromPqInvertsIt) {
  std::uint64_t seed = 100;
  for (const Shape& shape : layout_shapes()) {
    for (const double sparsity : {0.0, 0.3, 0.9}) {
      const TernaryField dense = random_field(shape, sparsity, ++seed);
      const BitField planes = dashi::bits::pack(dense);
      for (const std::uint32_t block : {64U, 128U, 4096U}) {
        const dashi::pq::PqOptions options{.block_sites = block};
        const dashi::pq::PackedField packed = dashi::pq::encode(dense, options);
        EXPECT_EQ(dashi::bits::to_pq(planes, options), packed) << shape.to_string();
        EXPECT_EQ(dashi::pq::to_bytes(dashi::bits::to_pq(planes, options)),
                  dashi::pq::to_bytes(packed))
            << shape.to_string();
        EXPECT_EQ(dashi::bits::from_pq(packed), planes) << shape.to_string();
      }
    }
  }
}

TEST(BitPq, ToPqIsTheSameForAnyWorkerCount) {
  const TernaryField dense = random_field(Shape{300, 1031}, 0.5, 77);
  const BitField planes = dashi::bits::pack(dense);
  const dashi::pq::PackedField reference = dashi::pq::encode(dense, {.block_sites = 1024});
  for (const std::size_t workers : {1U, 2U, 3U, 8U}) {
    EXPECT_EQ(dashi::bits::to_pq(planes, {.block_sites = 1024, .num_workers = workers}), reference)
        << workers;
  }
  EXPECT_THROW((void)dashi::bits::to_pq(planes, {.block_sites = 100}), std::invalid_argument);
}

}  // namespace
