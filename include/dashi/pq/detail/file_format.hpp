// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// PQ-FS byte layout (PQ_FORMAT.md §3): constants, the superblock size rule, the greedy
/// fill planner, and the builders and validators of file headers and superblocks. Used
/// by `<dashi/pq/file.hpp>`; nothing here does I/O.
///
/// Superblocks always start at a multiple of 64 sites, so P site j of a superblock is
/// bit j % 64 of P word j / 64: on a little-endian machine the codec kernels read and
/// write the superblock's P section in place (big-endian machines swap the words).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/detail/cpu_features.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#if DASHI_DETAIL_X86_DISPATCH
#  include <immintrin.h>
#endif

namespace dashi::pq::detail {

inline constexpr std::size_t file_header_bytes = 4096;
inline constexpr std::size_t sb_header_bytes = 64;
/// Bytes 0–79 of the file header are fields, 80–83 their CRC; the rest must be zero.
inline constexpr std::size_t file_header_used = 84;
inline constexpr std::array<unsigned char, 8> file_magic = {'D', 'A', 'S', 'H', 'I', 'P', 'Q', 'F'};
inline constexpr std::array<unsigned char, 8> sb_magic = {'D', 'P', 'Q', 'F', 'S', 'S', 'B', '1'};
inline constexpr std::uint32_t file_version = 1;
inline constexpr std::uint32_t file_flags = 0;
/// Superblock flags in v1: bit 0 (sign bit 1 means +1) and nothing else.
inline constexpr std::uint32_t sb_flags = 1;
inline constexpr std::uint64_t min_sb_bytes = 4096;
inline constexpr std::uint64_t max_sb_bytes = std::uint64_t{1} << 28;
/// `block_shift` for the codec kernels that makes them record only the offset of word 0
/// (a superblock has fewer than 2^25 words).
inline constexpr unsigned sb_kernel_block_shift = 30;

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
  return ceil_div(sb_header_bytes + sb_p_bytes(sites), 64) * 64;
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
  return 8 * (sb_bytes - sb_header_bytes);
}

static_assert(sb_fits(sb_max_sites(4096), 0, 4096) && !sb_fits(sb_max_sites(4096) + 1, 0, 4096));
static_assert(sb_fits(64, 64, 4096), "64 sites always fit, so the greedy rule always progresses");
static_assert(sb_max_sites(max_sb_bytes) <= std::numeric_limits<std::uint32_t>::max());

/// Number of supported (non-zero) sites in each 64-site word of `src[0, sites)`: `counts`
/// receives ceil(sites / 64) entries. Branch-free SWAR, any byte order.
inline void count_words_portable(const std::int8_t* src, std::size_t sites,
                                 std::uint8_t* counts) noexcept {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  const auto nonzero = [](std::uint64_t x) {
    return static_cast<int>(popcount64((((x & low7) + low7) | x) & high));
  };
  const std::size_t full = sites / 64;
  for (std::size_t w = 0; w < full; ++w) {
    const std::int8_t* word = src + 64 * w;
    int count = 0;
    for (std::size_t g = 0; g < 8; ++g) {
      std::uint64_t x = 0;
      std::memcpy(&x, word + 8 * g, sizeof x);
      count += nonzero(x);
    }
    counts[w] = static_cast<std::uint8_t>(count);
  }
  if (const std::size_t tail = sites % 64; tail != 0) {
    int count = 0;
    for (std::size_t j = 0; j < tail; ++j) {
      count += static_cast<int>(src[64 * full + j] != 0);
    }
    counts[full] = static_cast<std::uint8_t>(count);
  }
}

#if DASHI_DETAIL_X86_DISPATCH
/// AVX2 form of `count_words_portable` (call only when the CPU has AVX2 and POPCNT).
__attribute__((target("avx2,popcnt"))) inline void count_words_avx2(const std::int8_t* src,
                                                                    std::size_t sites,
                                                                    std::uint8_t* counts) noexcept {
  const std::size_t full = sites / 64;
  const __m256i zero = _mm256_setzero_si256();
  for (std::size_t w = 0; w < full; ++w) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64 * w));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64 * w + 32));
    const auto zero_lo =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, zero)));
    const auto zero_hi =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, zero)));
    const std::uint64_t zeros = std::uint64_t{zero_lo} | (std::uint64_t{zero_hi} << 32);
    counts[w] = static_cast<std::uint8_t>(64 - _mm_popcnt_u64(zeros));
  }
  if (sites % 64 != 0) {
    count_words_portable(src + 64 * full, sites % 64, counts + full);
  }
}
#endif

/// Number of supported (non-zero) sites in each 64-site word of `src[0, sites)`: `counts`
/// receives ceil(sites / 64) entries.
inline void count_words(const std::int8_t* src, std::size_t sites, std::uint8_t* counts) noexcept {
#if DASHI_DETAIL_X86_DISPATCH
  if (dashi::detail::cpu_features().avx2 && dashi::detail::cpu_features().popcnt) {
    count_words_avx2(src, sites, counts);
    return;
  }
#endif
  count_words_portable(src, sites, counts);
}

/// One superblock decided by the planner.
struct SuperblockPlanEntry {
  std::uint64_t first_site = 0;  ///< global index of its first site
  std::uint64_t sites = 0;       ///< site_count
  std::uint64_t support = 0;     ///< support_count
  std::uint64_t offset = 0;      ///< index of its first site in the planned data
};

/// The greedy fill rule over data that starts at global site `first_site` (a multiple of
/// 64) with `remaining` sites left in the field, of which `available` are at hand;
/// `counts` holds the supported sites of each 64-site word of the available data (the
/// last, partial word is counted only when `available == remaining`). Each superblock
/// takes the largest c that fits among `remaining - planned` and every multiple of 64
/// below it. Appends every superblock that the available data decides to `out` and
/// returns the sites they cover: a superblock whose next candidate size would need data
/// past `available` stays undecided. O(available / 64).
inline std::uint64_t plan_superblocks(std::span<const std::uint8_t> counts, std::uint64_t available,
                                      std::uint64_t remaining, std::uint64_t sb_bytes,
                                      std::uint64_t first_site,
                                      std::vector<SuperblockPlanEntry>& out) {
  std::uint64_t planned = 0;
  std::size_t word = 0;
  while (planned < remaining) {
    const std::uint64_t left = remaining - planned;
    std::uint64_t sites = 0;
    std::uint64_t support = 0;
    bool decided = false;
    for (;;) {
      const std::uint64_t candidate = std::min<std::uint64_t>(sites + 64, left);
      if (planned + candidate > available) {
        break;  // whether it fits depends on data not yet at hand
      }
      const std::uint64_t with = support + counts[word];
      if (!sb_fits(candidate, with, sb_bytes)) {
        decided = true;
        break;
      }
      sites = candidate;
      support = with;
      ++word;
      if (sites == left) {
        decided = true;
        break;
      }
    }
    if (!decided) {
      return planned;
    }
    out.push_back({first_site + planned, sites, support, planned});
    planned += sites;
  }
  return planned;
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

/// Words of the buffer that holds one superblock: its bytes plus two zero words, so the
/// decode kernel may read one word past Q.
[[nodiscard]] constexpr std::size_t sb_buffer_words(std::uint64_t sb_bytes) noexcept {
  return static_cast<std::size_t>(sb_bytes / 8) + 2;
}

/// Builds superblock `index` holding sites `src[0, entry.sites)` into `sb` (a buffer of
/// `sb_buffer_words(sb_bytes)` words, overwritten). `q_scratch` needs
/// ceil(entry.sites / 64) + 2 words. Throws `std::invalid_argument` when the kernel finds
/// a different support count than the planner (the view held bytes that are not trits).
inline void build_superblock(const std::int8_t* src, const SuperblockPlanEntry& entry,
                             std::uint64_t index, std::uint64_t sb_bytes, CodecPath path,
                             std::uint64_t* sb, std::uint64_t* q_scratch) {
  std::memset(sb, 0, sb_buffer_words(sb_bytes) * sizeof(std::uint64_t));
  const auto sites = static_cast<std::size_t>(entry.sites);
  std::uint64_t word0_offset = 0;
  std::uint64_t* p = sb + sb_header_bytes / 8;
  const std::uint64_t support =
      encode_kernel(path, src, sites, p, q_scratch, sb_kernel_block_shift, &word0_offset);
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
  std::memcpy(bytes, sb_magic.data(), sb_magic.size());
  store_le(bytes + 8, file_version, 4);
  store_le(bytes + 12, sb_flags, 4);
  store_le(bytes + 16, index, 8);
  store_le(bytes + 24, entry.first_site, 8);
  store_le(bytes + 32, sites, 4);
  store_le(bytes + 36, support, 4);
  store_le(bytes + 40, sb_header_bytes, 4);
  store_le(bytes + 44, p_bytes, 4);
  store_le(bytes + 48, q_offset, 4);
  store_le(bytes + 52, support, 4);
  std::uint32_t payload = crc32c(bytes + sb_header_bytes, static_cast<std::size_t>(p_bytes));
  payload = crc32c(bytes + q_offset, q_bytes, payload);
  store_le(bytes + 56, payload, 4);
  store_le(bytes + 60, crc32c(bytes, 56), 4);
}

/// The 4096-byte file header of a field of `shape` with `support` supported sites in
/// `count` superblocks of `sb_bytes`.
[[nodiscard]] inline std::array<std::byte, file_header_bytes> make_file_header(
    const Shape& shape, std::uint64_t support, std::uint64_t count, std::uint64_t sb_bytes) {
  std::array<std::byte, file_header_bytes> header{};
  std::byte* b = header.data();
  std::memcpy(b, file_magic.data(), file_magic.size());
  store_le(b + 8, file_version, 4);
  store_le(b + 12, file_flags, 4);
  store_le(b + 16, shape.rank(), 4);
  store_le(b + 20, sb_bytes, 4);
  for (std::size_t axis = 0; axis < shape.rank(); ++axis) {
    store_le(b + 24 + 8 * axis, shape[axis], 8);
  }
  store_le(b + 56, shape.size(), 8);
  store_le(b + 64, support, 8);
  store_le(b + 72, count, 8);
  store_le(b + 80, crc32c(b, 80), 4);
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

/// Index of the first non-zero byte of `bytes[from, to)`, or `to`.
[[nodiscard]] inline std::size_t first_nonzero(const std::byte* bytes, std::size_t from,
                                               std::size_t to) noexcept {
  std::size_t i = from;
  while (i < to && i % 8 != 0) {
    if (bytes[i] != std::byte{0}) {
      return i;
    }
    ++i;
  }
  for (; i + 8 <= to; i += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, bytes + i, sizeof x);
    if (x != 0) {
      break;
    }
  }
  for (; i < to; ++i) {
    if (bytes[i] != std::byte{0}) {
      return i;
    }
  }
  return to;
}

/// Validates a file header (`header` holds its 4096 bytes) of a file of `length` bytes
/// and returns what it says. Throws `pq::FormatError` naming the field.
[[nodiscard]] inline FileInfo parse_file_header(const std::byte* b, std::uint64_t length,
                                                const char* where) {
  using pq::FormatError;
  if (std::memcmp(b, file_magic.data(), file_magic.size()) != 0) {
    throw FormatError(where, "magic", 0, "expected \"DASHIPQF\" (not a PQ-FS file)");
  }
  if (const auto version = load_le(b + 8, 4); version != file_version) {
    throw FormatError(where, "version", 8,
                      "expected version 1, got " + std::to_string(version) + " (unknown version)");
  }
  if (const auto flags = load_le(b + 12, 4); flags != file_flags) {
    throw FormatError(where, "flags", 12,
                      "expected 0, got " + std::to_string(flags) + " (unknown flag bits)");
  }
  const auto rank = static_cast<std::size_t>(load_le(b + 16, 4));
  if (rank < 1 || rank > Shape::max_rank) {
    throw FormatError(where, "rank", 16, "expected 1 to 4, got " + std::to_string(rank));
  }
  const std::uint64_t sb_bytes = load_le(b + 20, 4);
  if (!valid_sb_bytes(sb_bytes)) {
    throw FormatError(
        where, "sb_bytes", 20,
        "expected a multiple of 4096 in [4096, 2^28], got " + std::to_string(sb_bytes));
  }
  const Shape shape = read_shape(b, rank, where);
  const std::uint64_t product = shape.size();
  const std::uint64_t sites = load_le(b + 56, 8);
  if (sites != product) {
    throw FormatError(
        where, "n_sites", 56,
        "n_sites is " + std::to_string(sites) + " but the extents give " + std::to_string(product));
  }
  const std::uint64_t support = load_le(b + 64, 8);
  if (support > sites) {
    throw FormatError(
        where, "n_support", 64,
        "n_support " + std::to_string(support) + " exceeds n_sites " + std::to_string(sites));
  }
  const std::uint64_t count = load_le(b + 72, 8);
  // Every superblock but the last holds a non-zero multiple of 64 sites, the last at
  // least one, and none more than sb_max_sites: so n_sites bounds the count both ways
  // (and the file length bounds n_sites, hence every allocation).
  const std::uint64_t most = ceil_div(sites, 64);
  const std::uint64_t least = ceil_div(sites, sb_max_sites(sb_bytes));
  if (count < least || count > most) {
    throw FormatError(where, "superblock_count", 72,
                      "superblock_count " + std::to_string(count) + " cannot hold " +
                          std::to_string(sites) + " sites (expected " + std::to_string(least) +
                          " to " + std::to_string(most) + ")");
  }
  if (const auto stored = load_le(b + 80, 4); stored != crc32c(b, 80)) {
    throw FormatError(where, "header_crc", 80, "CRC-32C of file header bytes 0-79 does not match");
  }
  if (const std::size_t bad = first_nonzero(b, file_header_used, file_header_bytes);
      bad != file_header_bytes) {
    throw FormatError(where, "padding", bad, "file header bytes 84-4095 must be 0");
  }
  constexpr std::uint64_t max_length = std::numeric_limits<std::uint64_t>::max();
  const bool representable = count <= (max_length - file_header_bytes) / sb_bytes;
  const std::uint64_t expected = representable ? file_header_bytes + count * sb_bytes : 0;
  if (!representable || length != expected) {
    throw FormatError(
        where, "file_length", 72,
        "the file has " + std::to_string(length) + " bytes but " + std::to_string(count) +
            " superblocks of " + std::to_string(sb_bytes) + " bytes need " +
            (representable ? std::to_string(expected) : "more than 2^64") +
            (!representable || length < expected ? " (truncated)" : " (trailing bytes)"));
  }
  FileInfo info;
  info.shape = shape;
  info.sites = sites;
  info.support = support;
  info.count = count;
  info.sb_bytes = sb_bytes;
  return info;
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
[[nodiscard]] inline SuperblockInfo parse_superblock_header(const std::byte* h, std::uint64_t index,
                                                            const FileInfo& file,
                                                            std::uint64_t base, const char* where) {
  using pq::FormatError;
  const auto at = [&](std::uint64_t offset) { return static_cast<std::size_t>(base + offset); };
  if (std::memcmp(h, sb_magic.data(), sb_magic.size()) != 0) {
    throw FormatError(where, "magic", at(0), "expected \"DPQFSSB1\"");
  }
  if (const auto version = load_le(h + 8, 4); version != file_version) {
    throw FormatError(where, "version", at(8),
                      "expected version 1, got " + std::to_string(version) + " (unknown version)");
  }
  if (const auto flags = load_le(h + 12, 4); flags != sb_flags) {
    throw FormatError(
        where, "flags", at(12),
        "expected 1 (bit 0: sign bit 1 means +1; no other bit), got " + std::to_string(flags));
  }
  if (const auto stored = load_le(h + 60, 4); stored != crc32c(h, 56)) {
    throw FormatError(where, "header_crc", at(60),
                      "CRC-32C of superblock header bytes 0-55 does not match");
  }
  if (const auto stored = load_le(h + 16, 8); stored != index) {
    throw FormatError(
        where, "index", at(16),
        "superblock out of order: it says it is superblock " + std::to_string(stored));
  }
  const std::uint64_t n = file.sites;
  const std::uint64_t first = load_le(h + 24, 8);
  if (first % 64 != 0 || first >= n || (index == 0 && first != 0)) {
    throw FormatError(where, "first_site", at(24),
                      "first_site " + std::to_string(first) +
                          (index == 0 ? " must be 0" : " must be a multiple of 64 below n_sites"));
  }
  const std::uint64_t sites = load_le(h + 32, 4);
  const bool last = index + 1 == file.count;
  if (sites == 0 || sites > n - first || (last && sites != n - first) ||
      (!last && (sites % 64 != 0 || sites == n - first))) {
    throw FormatError(where, "site_count", at(32),
                      "site_count " + std::to_string(sites) + " at first_site " +
                          std::to_string(first) + " is inconsistent with n_sites " +
                          std::to_string(n) + (last ? " (last superblock)" : ""));
  }
  const std::uint64_t support = load_le(h + 36, 4);
  if (support > sites) {
    throw FormatError(where, "support_count", at(36),
                      "support_count " + std::to_string(support) + " exceeds site_count " +
                          std::to_string(sites));
  }
  if (const auto p_offset = load_le(h + 40, 4); p_offset != sb_header_bytes) {
    throw FormatError(where, "p_offset", at(40), "expected 64, got " + std::to_string(p_offset));
  }
  if (const auto p_bytes = load_le(h + 44, 4); p_bytes != sb_p_bytes(sites)) {
    throw FormatError(where, "p_bytes", at(44),
                      "expected ceil(site_count / 8) = " + std::to_string(sb_p_bytes(sites)) +
                          ", got " + std::to_string(p_bytes));
  }
  const std::uint64_t q_offset = load_le(h + 48, 4);
  if (q_offset != sb_q_offset(sites)) {
    throw FormatError(
        where, "q_offset", at(48),
        "expected " + std::to_string(sb_q_offset(sites)) + ", got " + std::to_string(q_offset));
  }
  if (const auto q_bits = load_le(h + 52, 4); q_bits != support) {
    throw FormatError(where, "q_bits", at(52),
                      "q_bits " + std::to_string(q_bits) + " differs from support_count " +
                          std::to_string(support));
  }
  if (!sb_fits(sites, support, file.sb_bytes)) {
    throw FormatError(where, "site_count", at(32),
                      "site_count " + std::to_string(sites) + " with support_count " +
                          std::to_string(support) + " does not fit in " +
                          std::to_string(file.sb_bytes) + " bytes");
  }
  return {first, sites, support, q_offset};
}

/// Validates the payload of a superblock whose header `info` came from
/// `parse_superblock_header`: payload CRC, zero padding, zero unused bits of the
/// last P and Q bytes, and popcount(P) = support_count. `sb` holds the superblock bytes
/// (8-byte aligned). Throws `pq::FormatError`.
inline void check_superblock_payload(const std::uint64_t* sb, const SuperblockInfo& info,
                                     std::uint64_t sb_bytes, std::uint64_t base,
                                     const char* where) {
  using pq::FormatError;
  const auto* b = reinterpret_cast<const std::byte*>(sb);
  const auto at = [&](std::uint64_t offset) { return static_cast<std::size_t>(base + offset); };
  const auto p_bytes = static_cast<std::size_t>(sb_p_bytes(info.sites));
  const auto q_offset = static_cast<std::size_t>(info.q_offset);
  const auto q_bytes = static_cast<std::size_t>(sb_q_bytes(info.support));
  std::uint32_t crc = crc32c(b + sb_header_bytes, p_bytes);
  crc = crc32c(b + q_offset, q_bytes, crc);
  if (load_le(b + 56, 4) != crc) {
    throw FormatError(where, "payload_crc", at(56), "CRC-32C of the P and Q bytes does not match");
  }
  const std::size_t p_end = sb_header_bytes + p_bytes;
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
  const std::uint64_t* p = sb + sb_header_bytes / 8;
  const auto p_words = static_cast<std::size_t>(ceil_div(info.sites, 64));
  const std::uint64_t popcount = popcount_words(p, p_words);
  if (popcount != info.support) {
    throw FormatError(where, "support_count", at(36),
                      "support_count is " + std::to_string(info.support) + " but P has " +
                          std::to_string(popcount) + " supported sites");
  }
}

/// Decodes sites [lo, hi) of a validated superblock held in `sb` (P and Q already in
/// native word order) into `dst`.
inline void decode_superblock_slice(CodecPath path, const std::uint64_t* sb,
                                    const SuperblockInfo& info, std::uint64_t lo, std::uint64_t hi,
                                    std::int8_t* dst) noexcept {
  const std::uint64_t* p = sb + sb_header_bytes / 8;
  const std::uint64_t* q = sb + info.q_offset / 8;
  auto word = static_cast<std::size_t>(lo / 64);
  std::uint64_t q_bit = popcount_words(p, word);
  if (const std::uint64_t head = lo % 64; head != 0) {
    std::int8_t sites[64];
    decode_kernel(path, p + word, 64, q, q_bit, sites);
    const std::uint64_t take = std::min<std::uint64_t>(hi, 64 * std::uint64_t{word} + 64) - lo;
    std::memcpy(dst, sites + head, static_cast<std::size_t>(take));
    q_bit += popcount64(p[word]);
    dst += take;
    lo += take;
    ++word;
  }
  if (hi > lo) {
    decode_kernel(path, p + word, static_cast<std::size_t>(hi - lo), q, q_bit, dst);
  }
}

}  // namespace dashi::pq::detail
