// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final xor
/// 0xFFFFFFFF): the SSE4.2 `crc32` instruction at the AVX2 dispatch level and above, a
/// slicing-by-8 table otherwise. The check value of ASCII "123456789" is 0xE3069283.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>

namespace dashi::pq::detail {

/// Reflected CRC-32C polynomial.
inline constexpr std::uint32_t crc32c_polynomial = 0x82F63B78U;

/// Slicing-by-8 tables: `table[0]` is the classic byte table, `table[k][b]` is the
/// CRC of byte `b` followed by `k` zero bytes.
[[nodiscard]] constexpr std::array<std::array<std::uint32_t, 256>, 8>
make_crc32c_tables() noexcept {
  std::array<std::array<std::uint32_t, 256>, 8> table{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ ((crc & 1U) != 0 ? crc32c_polynomial : 0U);
    }
    table[0][b] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t b = 0; b < 256; ++b) {
      const std::uint32_t prev = table[k - 1][b];
      table[k][b] = (prev >> 8) ^ table[0][prev & 0xFFU];
    }
  }
  return table;
}

inline constexpr std::array<std::array<std::uint32_t, 256>, 8> crc32c_tables = make_crc32c_tables();

/// Advances the raw (not inverted) CRC register over `size` bytes with the tables.
[[nodiscard]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint32_t crc32c_raw_portable(
    std::uint32_t crc, const unsigned char* data, std::size_t size) noexcept {
  const auto& t = crc32c_tables;
  while (size >= 8) {
    const std::uint32_t lo =
        crc ^
        (static_cast<std::uint32_t>(data[0]) | static_cast<std::uint32_t>(data[1]) << 8 |
         static_cast<std::uint32_t>(data[2]) << 16 | static_cast<std::uint32_t>(data[3]) << 24);
    crc = t[7][lo & 0xFFU] ^ t[6][(lo >> 8) & 0xFFU] ^ t[5][(lo >> 16) & 0xFFU] ^ t[4][lo >> 24] ^
          t[3][data[4]] ^ t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) {
    crc = (crc >> 8) ^ t[0][(crc ^ *data++) & 0xFFU];
  }
  return crc;
}

#if DASHI_DETAIL_X86
/// Advances the raw CRC register with the SSE4.2 `crc32` instruction (part of the AVX2
/// level). Call only when `active_isa() >= Isa::avx2`. Not inlined, so no caller without a
/// target attribute compiles it with the unit's flags.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint32_t crc32c_raw_sse42(
    std::uint32_t crc, const unsigned char* data, std::size_t size) noexcept {
  namespace x86 = dashi::detail::x86;
  std::uint64_t wide = crc;
  while (size >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data, 8);
    wide = x86::crc32c8(wide, word);
    data += 8;
    size -= 8;
  }
  auto narrow = static_cast<std::uint32_t>(wide);
  while (size-- > 0) {
    narrow = x86::crc32c1(narrow, *data++);
  }
  return narrow;
}
#endif

/// CRC-32C of `size` bytes at `data`, continuing from `crc` (the CRC of the bytes
/// before, 0 to start). `portable` forces the table path. Thread-safe. Compiled for the
/// portable target, so the table path inlined here never takes the unit's flags.
[[nodiscard]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint32_t crc32c(
    const void* data, std::size_t size, std::uint32_t crc = 0, bool portable = false) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(data);
  const dashi::detail::Isa isa =
      portable ? dashi::detail::Isa::portable : dashi::detail::active_isa();
  return ~dashi::detail::dispatch<DASHI_DETAIL_PATHS(&crc32c_raw_portable, &crc32c_raw_sse42,
                                                     nullptr)>(isa, ~crc, bytes, size);
}

}  // namespace dashi::pq::detail
