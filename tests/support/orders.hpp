// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Orders in which a sweep submits or combines blocks: forward, reversed and seeded
/// shuffles (support/seeded.hpp, so every platform runs the same orders). Throw only
/// std::bad_alloc; thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/seeded.hpp"

namespace dashi_test {

/// `0, 1, ..., n - 1`.
inline std::vector<std::size_t> forward_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  return order;
}

/// `n - 1, ..., 1, 0`.
inline std::vector<std::size_t> reversed_order(std::size_t n) {
  auto order = forward_order(n);
  std::reverse(order.begin(), order.end());
  return order;
}

/// Fisher–Yates shuffle of `[0, n)` with a portable generator.
inline std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed) {
  auto order = forward_order(n);
  Rng rng(seed);
  for (std::size_t i = n; i > 1; --i) {
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  return order;
}

struct NamedOrder {
  std::string name;
  std::vector<std::size_t> order;
};

/// The submission orders of the sweeps: forward, reversed and three seeded shuffles.
inline std::vector<NamedOrder> block_orders(std::size_t blocks) {
  std::vector<NamedOrder> orders;
  orders.push_back({"forward", forward_order(blocks)});
  orders.push_back({"reversed", reversed_order(blocks)});
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    orders.push_back({"shuffle" + std::to_string(seed), shuffled_order(blocks, seed)});
  }
  return orders;
}

}  // namespace dashi_test
