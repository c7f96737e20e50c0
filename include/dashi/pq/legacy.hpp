// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The 2-bit form of the original Python `pq.py` (docs/PQ_FORMAT.md §4): site `i` at bit
/// offset `2 * (i % 4)` of byte `i / 4`; code 0 = no support, 1 = −1, 2 = +1, 3 invalid.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/format_error.hpp>
#include <span>
#include <string>
#include <vector>

namespace dashi::pq::detail {

/// Byte → its four sites as 4 little-endian int8 values (code 3 decodes as 0; the
/// caller rejects it first).
[[nodiscard]] constexpr std::array<std::uint32_t, 256> make_legacy_2bit_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t sites = 0;
    for (std::uint32_t k = 0; k < 4; ++k) {
      const std::uint32_t code = (byte >> (2 * k)) & 3U;
      const std::uint32_t value = code == 1 ? 0xFFU : code == 2 ? 0x01U : 0x00U;
      sites |= value << (8 * k);
    }
    table[byte] = sites;
  }
  return table;
}

inline constexpr std::array<std::uint32_t, 256> legacy_2bit_table = make_legacy_2bit_table();

/// 2-bit code of a trit: 0 → 0, −1 → 1, +1 → 2.
[[nodiscard]] constexpr unsigned legacy_2bit_code(std::int8_t value) noexcept {
  return static_cast<unsigned>(value != 0) + static_cast<unsigned>(value > 0);
}

}  // namespace dashi::pq::detail

namespace dashi::pq::legacy {

/// Encodes `field` in the legacy 2-bit form: `ceil(2n / 8)` bytes, row-major, bits
/// past site n zero — byte for byte what the Python `encode_carrier_to_pq` writes.
/// O(n). Throws `std::bad_alloc`. Thread-safe.
[[nodiscard]] inline std::vector<std::uint8_t> encode_2bit(TernaryView field) {
  const std::size_t n = field.size();
  const std::int8_t* values = field.data();
  std::vector<std::uint8_t> out((n + 3) / 4);
  const std::size_t full = n / 4;
  for (std::size_t i = 0; i < full; ++i) {
    const std::int8_t* v = values + 4 * i;
    out[i] = static_cast<std::uint8_t>(
        detail::legacy_2bit_code(v[0]) | detail::legacy_2bit_code(v[1]) << 2 |
        detail::legacy_2bit_code(v[2]) << 4 | detail::legacy_2bit_code(v[3]) << 6);
  }
  if (n % 4 != 0) {
    unsigned byte = 0;
    for (std::size_t k = 0; k < n % 4; ++k) {
      byte |= detail::legacy_2bit_code(values[4 * full + k]) << (2 * k);
    }
    out[full] = static_cast<std::uint8_t>(byte);
  }
  return out;
}

/// Decodes a legacy 2-bit buffer into a field of `shape`. Throws `FormatError` when
/// the length is not `ceil(2n / 8)` (field "length"), a code is 3 (field "code",
/// naming the site), or bits past site n are not zero (field "padding"); `std::bad_alloc`.
/// O(n). Thread-safe.
[[nodiscard]] inline TernaryField decode_2bit(std::span<const std::uint8_t> bytes, Shape shape) {
  constexpr const char* where = "dashi::pq::legacy::decode_2bit";
  const std::size_t n = shape.size();
  const std::size_t expected = n / 4 + static_cast<std::size_t>(n % 4 != 0);
  if (bytes.size() != expected) {
    throw FormatError(where, "length", std::min(bytes.size(), expected),
                      std::to_string(bytes.size()) + " bytes, but " + std::to_string(n) +
                          " sites of shape " + shape.to_string() + " need exactly " +
                          std::to_string(expected) +
                          (bytes.size() < expected ? " (truncated)" : ""));
  }
  TernaryField field = TernaryField::uninitialized(shape);
  std::int8_t* out = field.data();
  const std::size_t full = n / 4;
  const auto reject_code = [&](std::size_t i) {
    const unsigned byte = bytes[i];
    for (unsigned k = 0; k < 4; ++k) {
      if (((byte >> (2 * k)) & 3U) == 3U) {
        constexpr const char* hex = "0123456789abcdef";
        throw FormatError(where, "code", i,
                          "code 3 is invalid (site " + std::to_string(4 * i + k) + ", byte 0x" +
                              hex[byte >> 4] + hex[byte & 0xFU] + ")");
      }
    }
  };
  for (std::size_t i = 0; i < full; ++i) {
    const unsigned byte = bytes[i];
    if ((byte & (byte >> 1) & 0x55U) != 0) {
      reject_code(i);
    }
    std::uint32_t sites = detail::legacy_2bit_table[byte];
    if constexpr (std::endian::native == std::endian::big) {
      sites = ((sites & 0xFFU) << 24) | ((sites & 0xFF00U) << 8) | ((sites >> 8) & 0xFF00U) |
              (sites >> 24);
    }
    std::memcpy(out + 4 * i, &sites, 4);
  }
  if (const std::size_t rest = n % 4; rest != 0) {
    const unsigned byte = bytes[full];
    if ((byte >> (2 * rest)) != 0) {
      throw FormatError(where, "padding", full,
                        "bits past site " + std::to_string(n - 1) + " must be 0");
    }
    if ((byte & (byte >> 1) & 0x55U) != 0) {
      reject_code(full);
    }
    for (std::size_t k = 0; k < rest; ++k) {
      out[4 * full + k] =
          static_cast<std::int8_t>((detail::legacy_2bit_table[byte] >> (8 * k)) & 0xFFU);
    }
  }
  return field;
}

}  // namespace dashi::pq::legacy
