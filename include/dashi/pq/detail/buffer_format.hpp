// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The serialised PQ buffer (docs/PQ_FORMAT.md §2): its 128-byte header as one table of fields,
/// and the layout of the P, Q and O sections that follow.

#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/pq/detail/wire.hpp>
#include <limits>
#include <optional>

namespace dashi::pq::detail {

/// The header of a serialised buffer, field by field (docs/PQ_FORMAT.md §2).
namespace buffer_header {
inline constexpr std::size_t bytes = 128;
inline constexpr Preamble preamble =
    make_preamble("DASHIPQ1", "expected \"DASHIPQ1\"", 1, sign_flag_rule);
inline constexpr HeaderField block_sites{"block_sites", 20, 4,
                                         "expected a power of two in [64, 65536]"};
inline constexpr HeaderField total_length{
    "total_length", 72, 8, "the buffer's length, as n_sites, n_support and block_sites imply"};
inline constexpr HeaderField payload_crc{"payload_crc", 80, 4,
                                         "CRC-32C of every byte after the header"};
inline constexpr HeaderField header_crc{"header_crc", 84, 4, "CRC-32C of header bytes 0-83"};
inline constexpr HeaderField reserved{"reserved", 88, 40, "reserved header bytes 88-127 are 0"};

inline constexpr auto table =
    shape_header_table(preamble, block_sites,
                       std::array<HeaderField, 4>{total_length, payload_crc, header_crc, reserved});
static_assert(tiles(table, bytes), "the buffer header's fields tile its 128 bytes");
}  // namespace buffer_header

/// Byte layout of a serialised field; computed with overflow checks.
struct BufferLayout {
  std::size_t p_count = 0;  // words
  std::size_t q_count = 0;
  std::size_t o_count = 0;
  std::size_t p_offset = 0;  // bytes
  std::size_t q_offset = 0;
  std::size_t o_offset = 0;
  std::size_t total = 0;
};

/// The layout of a field of `n` sites, `support` supported, blocks of `block` sites;
/// nothing when a size overflows `std::size_t`.
[[nodiscard]] inline std::optional<BufferLayout> buffer_layout(std::uint64_t n,
                                                               std::uint64_t support,
                                                               std::uint64_t block) noexcept {
  constexpr std::uint64_t max = std::numeric_limits<std::size_t>::max();
  const auto words = [](std::uint64_t bits) { return bits / 64 + (bits % 64 != 0 ? 1 : 0); };
  const std::uint64_t p_count = words(n);
  const std::uint64_t q_count = words(support);
  const std::uint64_t o_count = n / block + (n % block != 0 ? 1 : 0) + 1;
  // Each section padded to 64 bytes: 8 * words rounded up, i.e. ceil(words / 8) * 64.
  const auto section = [](std::uint64_t count) { return count / 8 + (count % 8 != 0 ? 1 : 0); };
  const std::uint64_t lines = section(p_count) + section(q_count) + section(o_count);
  if (lines > (max - buffer_header::bytes) / 64) {
    return std::nullopt;
  }
  BufferLayout layout;
  layout.p_count = static_cast<std::size_t>(p_count);
  layout.q_count = static_cast<std::size_t>(q_count);
  layout.o_count = static_cast<std::size_t>(o_count);
  layout.p_offset = buffer_header::bytes;
  layout.q_offset = layout.p_offset + static_cast<std::size_t>(64 * section(p_count));
  layout.o_offset = layout.q_offset + static_cast<std::size_t>(64 * section(q_count));
  layout.total = layout.o_offset + static_cast<std::size_t>(64 * section(o_count));
  return layout;
}

}  // namespace dashi::pq::detail
