// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// PQ-FS layout (docs/PQ_FORMAT.md §3): the file header and the superblock header as tables of
/// fields, the superblock size rules (what fits), and the file header's writer and reader.
/// Nothing here does I/O.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <dashi/pq/detail/wire.hpp>
#include <limits>
#include <stdexcept>
#include <string>

namespace dashi::pq::detail {

/// The PQ-FS file header, field by field (docs/PQ_FORMAT.md §3). Bytes 84–4095 are zero.
namespace file_header {
inline constexpr std::size_t bytes = 4096;
inline constexpr Preamble preamble = make_preamble(
    "DASHIPQF", "expected \"DASHIPQF\" (a PQ-FS file)", 0, "expected 0 (unknown flag bits)");
inline constexpr HeaderField sb_bytes{"sb_bytes", 20, 4,
                                      "expected a multiple of 4096 in [4096, 2^28]"};
inline constexpr HeaderField superblock_count{
    "superblock_count", 72, 8,
    "between ceil(n_sites / max sites per superblock) and ceil(n_sites / 64)"};
inline constexpr HeaderField header_crc{"header_crc", 80, 4, "CRC-32C of file header bytes 0-79"};
inline constexpr HeaderField padding{"padding", 84, 4012, "file header bytes 84-4095 are 0"};

inline constexpr auto table = shape_header_table(
    preamble, sb_bytes, std::array<HeaderField, 3>{superblock_count, header_crc, padding});
static_assert(tiles(table, bytes), "the file header's fields tile its 4096 bytes");
}  // namespace file_header

/// The 64-byte superblock header, field by field (docs/PQ_FORMAT.md §3).
namespace sb_header {
inline constexpr std::size_t bytes = 64;
inline constexpr Preamble preamble =
    make_preamble("DPQFSSB1", "expected \"DPQFSSB1\"", 1, sign_flag_rule);
inline constexpr HeaderField index{"index", 16, 8,
                                   "the superblock's position in the file (out of order?)"};
inline constexpr HeaderField first_site{
    "first_site", 24, 8,
    "0 for superblock 0, else a multiple of 64 below n_sites (superblocks out of order?)"};
inline constexpr HeaderField site_count{
    "site_count", 32, 4, "the rest of the field in the last superblock, else a multiple of 64"};
inline constexpr HeaderField support_count{"support_count", 36, 4,
                                           "popcount(P), at most site_count"};
inline constexpr HeaderField p_offset{"p_offset", 40, 4, "expected 64"};
inline constexpr HeaderField p_bytes{"p_bytes", 44, 4, "expected ceil(site_count / 8)"};
inline constexpr HeaderField q_offset{"q_offset", 48, 4,
                                      "expected 64 + p_bytes rounded up to a multiple of 64"};
inline constexpr HeaderField q_bits{"q_bits", 52, 4, "expected support_count"};
inline constexpr HeaderField payload_crc{"payload_crc", 56, 4,
                                         "CRC-32C of the P bytes then the Q bytes"};
inline constexpr HeaderField header_crc{"header_crc", 60, 4,
                                        "CRC-32C of superblock header bytes 0-55"};

inline constexpr std::array<HeaderField, 13> table = {
    preamble.magic, preamble.version, preamble.flags, index,   first_site,
    site_count,     support_count,    p_offset,       p_bytes, q_offset,
    q_bits,         payload_crc,      header_crc};
static_assert(tiles(table, bytes), "the superblock header's fields tile its 64 bytes");
}  // namespace sb_header

inline constexpr std::uint64_t min_sb_bytes = 4096;
inline constexpr std::uint64_t max_sb_bytes = std::uint64_t{1} << 28;

/// True when `sb_bytes` is a multiple of 4096 in [4096, 2^28].
[[nodiscard]] constexpr bool valid_sb_bytes(std::uint64_t sb_bytes) noexcept {
  return sb_bytes % 4096 == 0 && sb_bytes >= min_sb_bytes && sb_bytes <= max_sb_bytes;
}

/// Throws `std::invalid_argument` unless `valid_sb_bytes(sb_bytes)`.
inline void check_sb_bytes(std::uint32_t sb_bytes, const char* where) {
  if (!valid_sb_bytes(sb_bytes)) {
    throw std::invalid_argument(std::string(where) +
                                ": sb_bytes must be a multiple of 4096 in [4096, 2^28], got " +
                                std::to_string(sb_bytes));
  }
}

[[nodiscard]] constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept {
  return a / b + static_cast<std::uint64_t>(a % b != 0);
}

/// P bytes of a superblock of `sites` sites: ceil(sites / 8).
[[nodiscard]] constexpr std::uint64_t sb_p_bytes(std::uint64_t sites) noexcept {
  return ceil_div(sites, 8);
}

/// Offset of Q in a superblock of `sites` sites: 64 + P bytes, rounded up to 64.
[[nodiscard]] constexpr std::uint64_t sb_q_offset(std::uint64_t sites) noexcept {
  return ceil_div(sb_header::bytes + sb_p_bytes(sites), 64) * 64;
}

/// Q bytes of a superblock with `support` supported sites: ceil(support / 8).
[[nodiscard]] constexpr std::uint64_t sb_q_bytes(std::uint64_t support) noexcept {
  return ceil_div(support, 8);
}

/// The fit rule: a superblock of `sites` sites, `support` of them supported, fits in
/// `sb_bytes` when q_offset + ceil(support / 8) <= sb_bytes.
[[nodiscard]] constexpr bool sb_fits(std::uint64_t sites, std::uint64_t support,
                                     std::uint64_t sb_bytes) noexcept {
  return sb_q_offset(sites) + sb_q_bytes(support) <= sb_bytes;
}

/// The most sites any superblock of `sb_bytes` can hold (all of them unsupported).
[[nodiscard]] constexpr std::uint64_t sb_max_sites(std::uint64_t sb_bytes) noexcept {
  return 8 * (sb_bytes - sb_header::bytes);
}

static_assert(sb_fits(sb_max_sites(4096), 0, 4096) && !sb_fits(sb_max_sites(4096) + 1, 0, 4096));
static_assert(sb_fits(64, 64, 4096), "64 sites always fit, so the greedy rule always progresses");
static_assert(sb_max_sites(max_sb_bytes) <= std::numeric_limits<std::uint32_t>::max());

/// Words of the buffer that holds one superblock: its bytes plus two zero words, so the
/// decode kernel may read one word past Q.
[[nodiscard]] constexpr std::size_t sb_buffer_words(std::uint64_t sb_bytes) noexcept {
  return static_cast<std::size_t>(sb_bytes / 8) + 2;
}

[[nodiscard]] constexpr std::uint64_t byteswap64(std::uint64_t x) noexcept {
  x = ((x & 0x00000000FFFFFFFFULL) << 32) | (x >> 32);
  x = ((x & 0x0000FFFF0000FFFFULL) << 16) | ((x >> 16) & 0x0000FFFF0000FFFFULL);
  return ((x & 0x00FF00FF00FF00FFULL) << 8) | ((x >> 8) & 0x00FF00FF00FF00FFULL);
}

/// Converts `count` words between native order and little-endian bytes (no-op on
/// little-endian machines).
inline void words_le(std::uint64_t* words, std::size_t count) noexcept {
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < count; ++i) {
      words[i] = byteswap64(words[i]);
    }
  } else {
    (void)words;
    (void)count;
  }
}

/// The 4096-byte file header of a field of `shape` with `support` supported sites in
/// `count` superblocks of `sb_bytes`. What the MPI and serial writers put at offset 0.
[[nodiscard]] inline std::array<std::byte, file_header::bytes> make_file_header(
    const Shape& shape, std::uint64_t support, std::uint64_t count, std::uint64_t sb_bytes) {
  namespace h = file_header;
  std::array<std::byte, h::bytes> header{};
  std::byte* b = header.data();
  put_preamble(b, h::preamble);
  store_le(b + h::sb_bytes.offset, sb_bytes, h::sb_bytes.width);
  put_shape_fields(b, shape, support);
  store_le(b + h::superblock_count.offset, count, h::superblock_count.width);
  store_le(b + h::header_crc.offset, crc32c(b, h::header_crc.offset), h::header_crc.width);
  return header;
}

/// What a valid file header says.
struct FileInfo {
  Shape shape;
  std::uint64_t sites = 0;
  std::uint64_t support = 0;
  std::uint64_t count = 0;
  std::uint64_t sb_bytes = 0;
};

/// Validates a file header (`b` holds its 4096 bytes) of a file of `length` bytes and
/// returns what it says. Throws `pq::FormatError` naming the field.
[[nodiscard]] inline FileInfo parse_file_header(const std::byte* b, std::uint64_t length,
                                                const char* where) {
  namespace h = file_header;
  const HeaderReader header(b, where);
  header.expect_preamble(h::preamble);
  FileInfo info;
  info.sb_bytes = header.get(h::sb_bytes);
  if (!valid_sb_bytes(info.sb_bytes)) {
    header.reject(h::sb_bytes, "got " + std::to_string(info.sb_bytes));
  }
  const ShapeFields fields = header.shape_fields();
  info.shape = fields.shape;
  info.sites = fields.sites;
  info.support = fields.support;
  info.count = header.get(h::superblock_count);
  // Every superblock but the last holds a non-zero multiple of 64 sites, the last at
  // least one, and none more than sb_max_sites: so n_sites bounds the count both ways
  // (and the file length bounds n_sites, hence every allocation).
  const std::uint64_t most = ceil_div(info.sites, 64);
  const std::uint64_t least = ceil_div(info.sites, sb_max_sites(info.sb_bytes));
  if (info.count < least || info.count > most) {
    header.reject(h::superblock_count, "superblock_count is " + std::to_string(info.count) +
                                           ", expected " + std::to_string(least) + " to " +
                                           std::to_string(most));
  }
  header.expect_crc(h::header_crc, crc32c(b, h::header_crc.offset));
  header.expect_zero(h::padding);
  constexpr std::uint64_t max_length = std::numeric_limits<std::uint64_t>::max();
  const bool representable = info.count <= (max_length - h::bytes) / info.sb_bytes;
  const std::uint64_t expected = representable ? h::bytes + info.count * info.sb_bytes : 0;
  if (!representable || length != expected) {
    throw FormatError(
        where, "file_length", h::superblock_count.offset,
        "the file has " + std::to_string(length) + " bytes but " + std::to_string(info.count) +
            " superblocks of " + std::to_string(info.sb_bytes) + " bytes need " +
            (representable ? std::to_string(expected) : "more than 2^64") +
            (!representable || length < expected ? " (truncated)" : " (trailing bytes)"));
  }
  return info;
}

}  // namespace dashi::pq::detail
