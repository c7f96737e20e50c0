// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The shapes `check_kernel` runs a kernel on: every rank 1–4, the lengths at which vector
/// loops and blocks change (1, 63, 64, 65), awkward 2-D and N-d extents, one row, one column,
/// and for each rank a field of about `max_sites` sites.

#include <algorithm>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <initializer_list>
#include <vector>

namespace dashi::testing::detail {

/// The shapes of a check limited to `max_sites` sites, small ones first, without repeats.
/// Throws `std::bad_alloc`.
[[nodiscard]] inline std::vector<Shape> check_shapes(std::size_t max_sites) {
  std::vector<Shape> shapes;
  const auto add = [&](const Shape& shape) {
    if (shape.size() != 0 && shape.size() <= max_sites &&
        std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) {
      shapes.push_back(shape);
    }
  };
  for (const std::size_t n :
       std::initializer_list<std::size_t>{1, 2, 3, 63, 64, 65, 127, 1031, 4099}) {
    add(Shape{n});
  }
  add(Shape{1, 1});
  add(Shape{1, 65});  // one row
  add(Shape{65, 1});  // one column
  add(Shape{2, 3});
  add(Shape{7, 13});
  add(Shape{64, 63});
  add(Shape{65, 64});
  add(Shape{3, 1000});
  add(Shape{1, 1, 1});
  add(Shape{5, 3, 7});
  add(Shape{13, 1, 5});
  add(Shape{2, 64, 3});
  add(Shape{64, 2, 1});
  add(Shape{1, 1, 1, 1});
  add(Shape{3, 2, 5, 2});
  add(Shape{9, 1, 4, 3});
  add(Shape{17, 3, 2, 5});
  // About max_sites sites for each rank (fields above the executor's inline threshold run
  // on several threads).
  add(Shape{max_sites});
  add(Shape{max_sites / 67, 67});
  add(Shape{max_sites / 77, 11, 7});
  add(Shape{max_sites / 60, 3, 4, 5});
  return shapes;
}

}  // namespace dashi::testing::detail
