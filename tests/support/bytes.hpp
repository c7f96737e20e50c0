// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Little-endian fields of byte buffers (`std::uint8_t` or `std::byte`), read and written
/// the slow, obvious way so that tests can craft and inspect the formats' headers. The
/// caller keeps `offset + size` inside the buffer and `size <= 8`; throw nothing;
/// thread-safe on distinct buffers.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dashi_test {

/// The `size`-byte little-endian unsigned number at `offset`.
template <class Byte>
std::uint64_t load(const std::vector<Byte>& b, std::size_t offset, std::size_t size) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) {
    value |= std::uint64_t{static_cast<std::uint8_t>(b[offset + i])} << (8 * i);
  }
  return value;
}

/// Writes the low `size` bytes of `value` at `offset`, little-endian.
template <class Byte>
void store(std::vector<Byte>& b, std::size_t offset, std::uint64_t value,
           std::size_t size) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    b[offset + i] = static_cast<Byte>((value >> (8 * i)) & 0xFFU);
  }
}

}  // namespace dashi_test
