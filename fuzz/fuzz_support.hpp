// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Shared pieces of the fuzz harnesses: an invariant check that aborts with a message
/// (so libFuzzer records a crash), an independent table-driven CRC-32C used to repair the
/// checksums of mutated inputs, and little-endian helpers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace dashi_fuzz {

/// Aborts with `what` when `ok` is false: a broken invariant is a crash for the fuzzer.
inline void require(bool ok, const char* harness, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "%s: invariant broken: %s\n", harness, what.c_str());
    std::abort();
  }
}

/// Byte table of CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), written
/// independently of the library's implementation.
[[nodiscard]] constexpr std::array<std::uint32_t, 256> make_crc_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ ((crc & 1U) != 0 ? 0x82F63B78U : 0U);
    }
    table[b] = crc;
  }
  return table;
}

inline constexpr std::array<std::uint32_t, 256> crc_table = make_crc_table();

/// CRC-32C of `size` bytes (init and final xor 0xFFFFFFFF); `previous` continues an
/// earlier CRC over the bytes before these.
[[nodiscard]] inline std::uint32_t crc32c(const std::uint8_t* data, std::size_t size,
                                          std::uint32_t previous = 0) noexcept {
  std::uint32_t crc = ~previous;
  for (std::size_t i = 0; i < size; ++i) {
    crc = (crc >> 8) ^ crc_table[(crc ^ data[i]) & 0xFFU];
  }
  return ~crc;
}

static_assert(crc_table[1] == 0xF26B8303U, "CRC-32C byte table");

/// Little-endian load of `bytes` (≤ 8) bytes.
[[nodiscard]] inline std::uint64_t load_le(const std::uint8_t* src, std::size_t bytes) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(src[i]) << (8 * i);
  }
  return value;
}

/// Little-endian store of the low `bytes` (≤ 8) bytes of `value`.
inline void store_le(std::uint8_t* dst, std::uint64_t value, std::size_t bytes) noexcept {
  for (std::size_t i = 0; i < bytes; ++i) {
    dst[i] = static_cast<std::uint8_t>((value >> (8 * i)) & 0xFFU);
  }
}

}  // namespace dashi_fuzz
