// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Byte-for-byte comparison of two fields, with a message naming the first difference.

#include <cstddef>
#include <cstring>
#include <dashi/carrier.hpp>
#include <string>

namespace dashi_test {

/// Empty when the fields are equal (shape and every site); otherwise the shapes or the
/// first differing site.
inline std::string first_difference(dashi::TernaryView actual, dashi::TernaryView expected) {
  if (!(actual.shape() == expected.shape())) {
    return "shape " + actual.shape().to_string() + " != expected " + expected.shape().to_string();
  }
  if (actual.size() == 0 || std::memcmp(actual.data(), expected.data(), actual.size()) == 0) {
    return {};
  }
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (actual.value(i) != expected.value(i)) {
      return "site " + std::to_string(i) + " of " + std::to_string(actual.size()) + ": got " +
             std::to_string(actual.value(i)) + ", expected " + std::to_string(expected.value(i));
    }
  }
  return {};
}

}  // namespace dashi_test
