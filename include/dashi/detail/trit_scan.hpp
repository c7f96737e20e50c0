// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace dashi::detail {

/// True when `v` is one of -1, 0, +1.
[[nodiscard]] constexpr bool is_trit(std::int8_t v) noexcept {
  return static_cast<std::uint8_t>(v + 1) <= 2;
}

/// Index of the first byte of `data[0, n)` that is not a trit, or nothing.
/// Scans 64-byte chunks with a branch-free reduction first, so valid input runs at
/// memory speed.
[[nodiscard]] inline std::optional<std::size_t> first_non_trit(const std::int8_t* data,
                                                               std::size_t n) noexcept {
  std::size_t i = 0;
  constexpr std::size_t chunk = 64;
  for (; i + chunk <= n; i += chunk) {
    unsigned bad = 0;
    for (std::size_t j = 0; j < chunk; ++j) {
      bad |= static_cast<unsigned>(!is_trit(data[i + j]));
    }
    if (bad != 0) {
      break;
    }
  }
  for (; i < n; ++i) {
    if (!is_trit(data[i])) {
      return i;
    }
  }
  return std::nullopt;
}

/// Number of non-zero bytes in `data[0, n)`.
[[nodiscard]] inline std::size_t count_nonzero(const std::int8_t* data, std::size_t n) noexcept {
  std::size_t count = 0;
  constexpr std::size_t chunk = 4096;  // keeps the inner counter from overflowing
  for (std::size_t i = 0; i < n; i += chunk) {
    const std::size_t end = (n - i < chunk) ? n : i + chunk;
    std::uint32_t partial = 0;
    for (std::size_t j = i; j < end; ++j) {
      partial += static_cast<std::uint32_t>(data[j] != 0);
    }
    count += partial;
  }
  return count;
}

}  // namespace dashi::detail
