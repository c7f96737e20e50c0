// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Shapes and fields built by the tests: a shape from a run-time list of extents, constant
/// fields, deep copies and row ranges (seeded random fields: support/seeded.hpp). Each
/// function throws what the carrier throws (CarrierError on bad extents, std::bad_alloc);
/// thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <initializer_list>
#include <span>

#include "support/seeded.hpp"

namespace dashi_test {

/// Shape from a run-time list of extents.
inline dashi::Shape make_shape(std::initializer_list<std::size_t> extents) {
  return dashi::Shape::from_extents(std::span<const std::size_t>(extents.begin(), extents.size()));
}

/// Field of `shape` with every site set to `value`.
inline dashi::TernaryField constant_field(const dashi::Shape& shape, std::int8_t value) {
  dashi::TernaryField field = dashi::TernaryField::uninitialized(shape);
  std::fill_n(field.data(), field.size(), value);
  return field;
}

/// A deep copy of `view` as an owning field.
inline dashi::TernaryField copy_of(dashi::TernaryView view) {
  dashi::TernaryField field = dashi::TernaryField::uninitialized(view.shape());
  std::copy_n(view.data(), view.size(), field.data());
  return field;
}

/// Rows `[first, first + count)` of `field` as an owning field.
inline dashi::TernaryField copy_rows(dashi::TernaryView field, std::size_t first,
                                     std::size_t count) {
  return copy_of(field.rows(first, count));
}

}  // namespace dashi_test
