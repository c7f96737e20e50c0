// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// An independent reference writer of docs/PQ_FORMAT.md §3 (PQ-FS files) built the slow, obvious
/// way (bit by bit, with a brute-force search for each superblock's size), so the library's
/// bytes can be compared with the format text rather than with themselves; and the CRC
/// fixes that let a test damage one field of a file and still reach the check behind the
/// CRCs. `reference_fill` throws std::logic_error when a site does not fit a superblock;
/// thread-safe.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <span>
#include <stdexcept>
#include <vector>

#include "support/bytes.hpp"
#include "support/files.hpp"

namespace dashi_test {

inline std::uint32_t crc(const Bytes& b, std::size_t offset, std::size_t size,
                         std::uint32_t previous = 0) {
  return dashi::pq::detail::crc32c(b.data() + offset, size, previous);
}

/// Recomputes the file header CRC (bytes 80-83).
inline void fix_file_crc(Bytes& b) { store(b, 80, crc(b, 0, 80), 4); }

/// Recomputes both CRCs of the superblock at byte offset `base` from its header fields.
inline void fix_superblock_crcs(Bytes& b, std::size_t base) {
  const auto p_bytes = static_cast<std::size_t>(load(b, base + 44, 4));
  const auto q_offset = static_cast<std::size_t>(load(b, base + 48, 4));
  const auto q_bits = static_cast<std::size_t>(load(b, base + 52, 4));
  std::uint32_t c = crc(b, base + 64, p_bytes);
  c = crc(b, base + q_offset, (q_bits + 7) / 8, c);
  store(b, base + 56, c, 4);
  store(b, base + 60, crc(b, base, 56), 4);
}

/// Bytes a superblock of `sites` sites with `support` supported needs: q_offset + ceil(k / 8).
inline std::uint64_t needed_bytes(std::uint64_t sites, std::uint64_t support) {
  const std::uint64_t p_bytes = (sites + 7) / 8;
  const std::uint64_t q_offset = (64 + p_bytes + 63) / 64 * 64;
  return q_offset + (support + 7) / 8;
}

/// Brute-force fill rule: for each superblock, try every candidate size (the remaining
/// count and every multiple of 64 below it; no monotonicity assumed) and keep the largest
/// that fits, supports counted from a prefix sum. Returns the site counts.
inline std::vector<std::uint64_t> reference_fill(std::span<const std::int8_t> values,
                                                 std::uint64_t sb_bytes) {
  std::vector<std::uint64_t> prefix(values.size() + 1, 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    prefix[i + 1] = prefix[i] + (values[i] != 0 ? 1 : 0);
  }
  std::vector<std::uint64_t> sizes;
  std::uint64_t start = 0;
  const std::uint64_t n = values.size();
  while (start < n) {
    const std::uint64_t remaining = n - start;
    std::uint64_t best = 0;
    const auto consider = [&](std::uint64_t c) {
      const std::uint64_t support = prefix[start + c] - prefix[start];
      if (c > best && needed_bytes(c, support) <= sb_bytes) {
        best = c;
      }
    };
    consider(remaining);
    for (std::uint64_t c = 64; c < remaining; c += 64) {
      consider(c);
    }
    if (best == 0) {
      throw std::logic_error("reference_fill: nothing fits");
    }
    sizes.push_back(best);
    start += best;
  }
  return sizes;
}

/// The PQ-FS bytes of `field`, written straight from docs/PQ_FORMAT.md §3 with `reference_fill`.
inline Bytes reference_file(const dashi::TernaryField& field, std::uint64_t sb_bytes) {
  const auto values = field.values();
  const std::vector<std::uint64_t> sizes = reference_fill(values, sb_bytes);
  Bytes b(4096 + sizes.size() * sb_bytes, 0);
  const char* magic = "DASHIPQF";
  for (std::size_t i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(magic[i]);
  }
  store(b, 8, 1, 4);
  store(b, 12, 0, 4);
  store(b, 16, field.shape().rank(), 4);
  store(b, 20, sb_bytes, 4);
  for (std::size_t axis = 0; axis < field.shape().rank(); ++axis) {
    store(b, 24 + 8 * axis, field.shape()[axis], 8);
  }
  store(b, 56, field.size(), 8);
  store(b, 64, field.count_support(), 8);
  store(b, 72, sizes.size(), 8);
  store(b, 80, crc(b, 0, 80), 4);
  std::uint64_t first = 0;
  for (std::size_t index = 0; index < sizes.size(); ++index) {
    const std::size_t base = 4096 + index * static_cast<std::size_t>(sb_bytes);
    const std::uint64_t c = sizes[index];
    const char* sb_magic = "DPQFSSB1";
    for (std::size_t i = 0; i < 8; ++i) {
      b[base + i] = static_cast<std::uint8_t>(sb_magic[i]);
    }
    const std::uint64_t p_bytes = (c + 7) / 8;
    const std::uint64_t q_offset = (64 + p_bytes + 63) / 64 * 64;
    std::uint64_t k = 0;
    for (std::uint64_t j = 0; j < c; ++j) {
      const std::int8_t v = values[static_cast<std::size_t>(first + j)];
      if (v != 0) {
        b[base + 64 + j / 8] |= static_cast<std::uint8_t>(1U << (j % 8));
        if (v > 0) {
          b[base + q_offset + k / 8] |= static_cast<std::uint8_t>(1U << (k % 8));
        }
        ++k;
      }
    }
    store(b, base + 8, 1, 4);
    store(b, base + 12, 1, 4);
    store(b, base + 16, index, 8);
    store(b, base + 24, first, 8);
    store(b, base + 32, c, 4);
    store(b, base + 36, k, 4);
    store(b, base + 40, 64, 4);
    store(b, base + 44, p_bytes, 4);
    store(b, base + 48, q_offset, 4);
    store(b, base + 52, k, 4);
    fix_superblock_crcs(b, base);
    first += c;
  }
  return b;
}

}  // namespace dashi_test
