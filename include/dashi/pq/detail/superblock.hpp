// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// One PQ-FS superblock (docs/PQ_FORMAT.md §3): built from its sites, its header validated
/// against the file, its payload checked, a slice of its sites decoded. Nothing here does
/// I/O.
///
/// Superblocks always start at a multiple of 64 sites, so P site j of a superblock is
/// bit j % 64 of P word j / 64: on a little-endian machine the codec kernels read and
/// write the superblock's P section in place (big-endian machines swap the words).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/pq/detail/crc32c.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/file_layout.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/pq/detail/superblock_plan.hpp>
#include <dashi/pq/detail/wire.hpp>
#include <stdexcept>
#include <string>

namespace dashi::pq::detail {

/// `block_shift` for the codec kernels that makes them record only the offset of word 0
/// (a superblock has fewer than 2^25 words).
inline constexpr unsigned sb_kernel_block_shift = 30;

/// Words of Q scratch that `build_superblock` needs for superblocks of `sb_bytes`.
[[nodiscard]] constexpr std::size_t sb_q_scratch_words(std::uint64_t sb_bytes) noexcept {
  return static_cast<std::size_t>(sb_max_sites(sb_bytes) / 64 + 3);
}

/// Builds superblock `index` holding sites `src[0, entry.sites)` into `sb` (a buffer of
/// `sb_buffer_words(sb_bytes)` words, overwritten; its first `sb_bytes` bytes are the
/// superblock as stored). `q_scratch` needs `sb_q_scratch_words(sb_bytes)` words. Throws
/// `std::invalid_argument` when the kernel finds a different support count than the plan
/// (the view held bytes that are not trits). Allocates nothing; thread-safe for distinct
/// buffers.
inline void build_superblock(const std::int8_t* src, const SuperblockPlanEntry& entry,
                             std::uint64_t index, std::uint64_t sb_bytes, Isa isa,
                             std::uint64_t* sb, std::uint64_t* q_scratch) {
  namespace h = sb_header;
  std::memset(sb, 0, sb_buffer_words(sb_bytes) * sizeof(std::uint64_t));
  const auto sites = static_cast<std::size_t>(entry.sites);
  std::uint64_t word0_offset = 0;
  std::uint64_t* p = sb + h::bytes / 8;
  const std::uint64_t support =
      encode_kernel(isa, src, sites, p, q_scratch, sb_kernel_block_shift, &word0_offset);
  if (support != entry.support) {
    throw std::invalid_argument(
        "dashi::pq: the field holds values that are not trits (-1, 0, +1) between sites " +
        std::to_string(entry.first_site) + " and " + std::to_string(entry.first_site + sites));
  }
  const std::size_t p_words = sites / 64 + static_cast<std::size_t>(sites % 64 != 0);
  words_le(p, p_words);
  auto* bytes = reinterpret_cast<std::byte*>(sb);
  const std::uint64_t p_bytes = sb_p_bytes(sites);
  const std::uint64_t q_offset = sb_q_offset(sites);
  const auto q_bytes = static_cast<std::size_t>(sb_q_bytes(support));
  const std::size_t q_words = q_bytes / 8 + static_cast<std::size_t>(q_bytes % 8 != 0);
  words_le(q_scratch, q_words);
  if (q_bytes != 0) {
    std::memcpy(bytes + q_offset, q_scratch, q_bytes);
    if (const std::uint64_t used = support % 8; used != 0) {
      bytes[q_offset + q_bytes - 1] &= static_cast<std::byte>((1U << used) - 1U);
    }
  }
  put_preamble(bytes, h::preamble);
  const auto put = [&](const HeaderField& field, std::uint64_t value) {
    store_le(bytes + field.offset, value, field.width);
  };
  put(h::index, index);
  put(h::first_site, entry.first_site);
  put(h::site_count, sites);
  put(h::support_count, support);
  put(h::p_offset, h::bytes);
  put(h::p_bytes, p_bytes);
  put(h::q_offset, q_offset);
  put(h::q_bits, support);
  std::uint32_t payload = crc32c(bytes + h::bytes, static_cast<std::size_t>(p_bytes));
  payload = crc32c(bytes + q_offset, q_bytes, payload);
  put(h::payload_crc, payload);
  put(h::header_crc, crc32c(bytes, h::payload_crc.offset));
}

/// What a valid superblock header says.
struct SuperblockInfo {
  std::uint64_t first_site = 0;
  std::uint64_t sites = 0;
  std::uint64_t support = 0;
  std::uint64_t q_offset = 0;
};

/// Validates the 64-byte header `h` of superblock `index` of a file described by `file`;
/// `base` is its byte offset in the file (for messages). Checks everything the header
/// alone decides: magics, version, flags, index, CRC, and counts consistent with the
/// superblock's position and size. Throws `pq::FormatError`.
[[nodiscard]] inline SuperblockInfo parse_superblock_header(const std::byte* bytes,
                                                            std::uint64_t index,
                                                            const FileInfo& file,
                                                            std::uint64_t base, const char* where) {
  namespace h = sb_header;
  const HeaderReader header(bytes, where, base);
  header.expect_preamble(h::preamble);
  header.expect_crc(h::header_crc, crc32c(bytes, h::payload_crc.offset));
  header.expect(h::index, index);
  const std::uint64_t n = file.sites;
  SuperblockInfo info;
  info.first_site = header.get(h::first_site);
  if (info.first_site % 64 != 0 || info.first_site >= n || (index == 0 && info.first_site != 0)) {
    header.reject(h::first_site, "got " + std::to_string(info.first_site));
  }
  info.sites = header.get(h::site_count);
  const std::uint64_t rest = n - info.first_site;
  const bool last = index + 1 == file.count;
  if (info.sites == 0 || info.sites > rest || (last && info.sites != rest) ||
      (!last && (info.sites % 64 != 0 || info.sites == rest))) {
    header.reject(h::site_count, "site_count " + std::to_string(info.sites) + " at first_site " +
                                     std::to_string(info.first_site) + " of n_sites " +
                                     std::to_string(n) + (last ? " (last superblock)" : ""));
  }
  info.support = header.get(h::support_count);
  if (info.support > info.sites) {
    header.reject(h::support_count, "got " + std::to_string(info.support));
  }
  header.expect(h::p_offset, h::bytes);
  header.expect(h::p_bytes, sb_p_bytes(info.sites));
  info.q_offset = sb_q_offset(info.sites);
  header.expect(h::q_offset, info.q_offset);
  header.expect(h::q_bits, info.support);
  if (!sb_fits(info.sites, info.support, file.sb_bytes)) {
    header.reject(h::site_count, "site_count " + std::to_string(info.sites) +
                                     " with support_count " + std::to_string(info.support) +
                                     " does not fit in " + std::to_string(file.sb_bytes) +
                                     " bytes");
  }
  return info;
}

/// Validates the payload of a superblock whose header `info` came from
/// `parse_superblock_header`: payload CRC, zero padding, zero unused bits of the last P
/// and Q bytes, and popcount(P) = support_count. `sb` holds the superblock bytes
/// (8-byte aligned). Throws `pq::FormatError`.
inline void check_superblock_payload(const std::uint64_t* sb, const SuperblockInfo& info,
                                     std::uint64_t sb_bytes, std::uint64_t base,
                                     const char* where) {
  namespace h = sb_header;
  const auto* b = reinterpret_cast<const std::byte*>(sb);
  const HeaderReader header(b, where, base);
  const auto at = [&](std::uint64_t offset) { return static_cast<std::size_t>(base + offset); };
  const auto p_bytes = static_cast<std::size_t>(sb_p_bytes(info.sites));
  const auto q_offset = static_cast<std::size_t>(info.q_offset);
  const auto q_bytes = static_cast<std::size_t>(sb_q_bytes(info.support));
  std::uint32_t crc = crc32c(b + h::bytes, p_bytes);
  header.expect_crc(h::payload_crc, crc32c(b + q_offset, q_bytes, crc));
  const std::size_t p_end = h::bytes + p_bytes;
  if (const std::size_t bad = first_nonzero(b, p_end, q_offset); bad != q_offset) {
    throw FormatError(where, "padding", at(bad), "padding between P and Q must be 0");
  }
  const auto size = static_cast<std::size_t>(sb_bytes);
  if (const std::size_t bad = first_nonzero(b, q_offset + q_bytes, size); bad != size) {
    throw FormatError(where, "padding", at(bad), "padding after Q must be 0");
  }
  const auto unused_bits = [](std::byte last, std::uint64_t used) {
    return used != 0 && (std::to_integer<unsigned>(last) >> used) != 0;
  };
  if (unused_bits(b[p_end - 1], info.sites % 8)) {
    throw FormatError(where, "P", at(p_end - 1), "bits past the last site must be 0");
  }
  if (q_bytes != 0 && unused_bits(b[q_offset + q_bytes - 1], info.support % 8)) {
    throw FormatError(where, "Q", at(q_offset + q_bytes - 1), "bits past the last sign must be 0");
  }
  // Bits past the last site are zero, and so are the padding bytes up to the word end.
  const std::uint64_t popcount =
      popcount_words(sb + h::bytes / 8, static_cast<std::size_t>(ceil_div(info.sites, 64)));
  if (popcount != info.support) {
    header.reject(h::support_count, "support_count is " + std::to_string(info.support) +
                                        " but P has " + std::to_string(popcount) +
                                        " supported sites");
  }
}

/// Decodes sites [lo, hi) of a validated superblock held in `sb` (P and Q already in
/// native word order) into `dst`.
inline void decode_superblock_slice(Isa isa, const std::uint64_t* sb, const SuperblockInfo& info,
                                    std::uint64_t lo, std::uint64_t hi, std::int8_t* dst) noexcept {
  const std::uint64_t* p = sb + sb_header::bytes / 8;
  const std::uint64_t* q = sb + info.q_offset / 8;
  auto word = static_cast<std::size_t>(lo / 64);
  std::uint64_t q_bit = popcount_words(p, word);
  if (const std::uint64_t head = lo % 64; head != 0) {
    std::array<std::int8_t, 64> sites;
    decode_kernel(isa, p + word, 64, q, q_bit, sites.data());
    const std::uint64_t take = std::min<std::uint64_t>(hi, 64 * std::uint64_t{word} + 64) - lo;
    std::memcpy(dst, sites.data() + head, static_cast<std::size_t>(take));
    q_bit += popcount64(p[word]);
    dst += take;
    lo += take;
    ++word;
  }
  if (hi > lo) {
    decode_kernel(isa, p + word, static_cast<std::size_t>(hi - lo), q, q_bit, dst);
  }
}

}  // namespace dashi::pq::detail
