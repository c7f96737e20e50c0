// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The words of `check_kernel`'s failures: which field is being checked (`FieldContext`), the
/// first site where two results differ, the site as an index, and the message of
/// `KernelCheckError` built from them.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/testing/check_options.hpp>
#include <dashi/testing/kernel_check_error.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dashi::testing::detail {

/// The byte every output buffer is filled with before a kernel writes it: a site that still
/// holds it was not written.
inline constexpr std::int8_t poison = 85;
/// The byte of the second run of the purity check (its output must not depend on what the
/// buffer held).
inline constexpr std::int8_t other_poison = -86;

/// What every message of one checked field names.
struct FieldContext {
  const CheckOptions* options = nullptr;  ///< the check's options
  Shape shape;                            ///< the field's shape
  std::size_t field = 0;                  ///< its number in the check's list of shapes
  std::size_t radius = 0;                 ///< the kernel's declared radius
};

/// Site `site` of `shape` as an index: "(4, 0, 2)". Throws `std::bad_alloc`.
[[nodiscard]] inline std::string site_index(const Shape& shape, std::size_t site) {
  std::vector<std::size_t> index(shape.rank());
  for (std::size_t axis = shape.rank(); axis-- > 0;) {
    const std::size_t extent = shape[axis] == 0 ? 1 : shape[axis];
    index[axis] = site % extent;
    site /= extent;
  }
  std::string text = "(";
  for (std::size_t axis = 0; axis < index.size(); ++axis) {
    text += (axis == 0 ? "" : ", ") + std::to_string(index[axis]);
  }
  return text + ")";
}

/// The first site at which `a` and `b` (same size) differ, if any.
[[nodiscard]] inline std::optional<std::size_t> first_difference(TernaryView a,
                                                                 TernaryView b) noexcept {
  const std::int8_t* x = a.data();
  const std::int8_t* y = b.data();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (x[i] != y[i]) {
      return i;
    }
  }
  return std::nullopt;
}

/// A value as the message shows it; the poison bytes are named.
[[nodiscard]] inline std::string value_text(std::int8_t value) {
  std::string text = std::to_string(static_cast<int>(value));
  if (value == poison || value == other_poison) {
    text += " (the byte the output held before the run: the site was not written)";
  }
  return text;
}

/// The site and values lines of a message: `site` is a site of the field of `shape`.
[[nodiscard]] inline std::string site_lines(const Shape& shape, std::size_t site,
                                            const std::string& first_name, std::int8_t first,
                                            const std::string& second_name, std::int8_t second) {
  return "  first differing site: " + std::to_string(site) + ", index " +
         detail::site_index(shape, site) + "\n  values: " + first_name + " " +
         detail::value_text(first) + ", " + second_name + " " + detail::value_text(second) + "\n";
}

/// Throws `KernelCheckError`: property `property` broke on the field of `context`, as
/// `what` says, for a run with `run_options`; `details` holds further lines (site, values).
[[noreturn]] inline void fail(const FieldContext& context, const std::string& property,
                              const std::string& what, const std::string& run_options,
                              const std::string& details) {
  throw KernelCheckError(
      "dashi::testing::check_kernel: property '" + property + "' failed: " + what +
      "\n  shape: " + context.shape.to_string() + " (field " + std::to_string(context.field) +
      " of the check, declared radius " + std::to_string(context.radius) + ")" + "\n  options: " +
      run_options + "\n  check options: " + detail::describe(*context.options) + "\n" + details);
}

}  // namespace dashi::testing::detail
