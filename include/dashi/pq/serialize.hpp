// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `to_bytes` and `from_bytes`: a packed field as one self-checking buffer
/// (docs/PQ_FORMAT.md §2). Also reached through `<dashi/pq/codec.hpp>`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/pq/detail/buffer_format.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/pq/detail/wire.hpp>
#include <dashi/pq/detail/words.hpp>
#include <dashi/pq/format_error.hpp>
#include <dashi/pq/packed_field.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi::pq {

/// Serialises `packed` (docs/PQ_FORMAT.md §2): a 128-byte header, then P, Q and O, each
/// zero-padded to 64 bytes, with CRC-32C of the header and of the rest. Deterministic.
/// O(n). Throws `std::bad_alloc` (`std::length_error` if the size overflows). Thread-safe.
[[nodiscard]] inline std::vector<std::byte> to_bytes(const PackedField& packed) {
  namespace h = detail::buffer_header;
  const auto layout =
      detail::buffer_layout(packed.size(), packed.support_count(), packed.block_sites());
  if (!layout) {
    throw std::length_error("dashi::pq::to_bytes: the field is too large to serialise");
  }
  std::vector<std::byte> out(layout->total);
  std::byte* b = out.data();
  detail::put_preamble(b, h::preamble);
  detail::store_le(b + h::block_sites.offset, packed.block_sites(), h::block_sites.width);
  detail::put_shape_fields(b, packed.shape(), packed.support_count());
  detail::store_le(b + h::total_length.offset, layout->total, h::total_length.width);
  detail::store_words(b + layout->p_offset, packed.p_words());
  detail::store_words(b + layout->q_offset, packed.q_words());
  detail::store_words(b + layout->o_offset, packed.offsets());
  detail::store_le(b + h::payload_crc.offset,
                   detail::crc32c(b + h::bytes, layout->total - h::bytes), h::payload_crc.width);
  detail::store_le(b + h::header_crc.offset, detail::crc32c(b, h::header_crc.offset),
                   h::header_crc.width);
  return out;
}

/// Reads a buffer written by `to_bytes`, validating everything docs/PQ_FORMAT.md §2 lists
/// (magic, version, flags, rank, block size, extents vs n_sites, exact length, both
/// CRCs, zero reserved bytes and padding, zero P bits past n and Q bits past S, O as
/// the running popcount of P, n_support). Hostile input is safe: no read outside the
/// buffer, and nothing is allocated before the length is known to match the header.
/// Throws `FormatError` (naming the field and byte offset) or `std::bad_alloc`.
/// Thread-safe.
[[nodiscard]] inline PackedField from_bytes(std::span<const std::byte> bytes) {
  namespace h = detail::buffer_header;
  constexpr const char* where = "dashi::pq::from_bytes";
  const std::size_t length = bytes.size();
  if (length < h::bytes) {
    throw FormatError(where, "header", length,
                      "the buffer has " + std::to_string(length) +
                          " bytes, fewer than the 128-byte header (truncated)");
  }
  const std::byte* b = bytes.data();
  const detail::HeaderReader header(b, where);
  header.expect_preamble(h::preamble);
  const auto block = static_cast<std::uint32_t>(header.get(h::block_sites));
  if (!detail::valid_block_sites(block)) {
    header.reject(h::block_sites, "got " + std::to_string(block));
  }
  const detail::ShapeFields fields = header.shape_fields();
  const std::uint64_t n = fields.sites;
  const std::uint64_t support = fields.support;
  const auto layout = detail::buffer_layout(n, support, block);
  if (!layout) {
    header.reject(detail::shape_fields::n_sites, "the field is too large for this machine");
  }
  if (const std::uint64_t total = header.get(h::total_length); total != layout->total) {
    header.reject(h::total_length, "total_length is " + std::to_string(total) + ", expected " +
                                       std::to_string(layout->total));
  }
  if (length != layout->total) {
    header.reject(h::total_length,
                  "the buffer has " + std::to_string(length) + " bytes" +
                      (length < layout->total ? " (truncated)" : " (trailing bytes)"));
  }
  header.expect_zero(h::reserved);
  header.expect_crc(h::header_crc, detail::crc32c(b, h::header_crc.offset));
  header.expect_crc(h::payload_crc, detail::crc32c(b + h::bytes, length - h::bytes));
  // The length matches the header, so every count below is bounded by the buffer.
  const auto check_padding = [&](const char* field, std::size_t from, std::size_t to) {
    if (const std::size_t bad = detail::first_nonzero(b, from, to); bad != to) {
      throw FormatError(where, field, bad, "padding must be 0");
    }
  };
  detail::Words p(layout->p_count);
  detail::load_words(p.data(), b + layout->p_offset, layout->p_count);
  if (n % 64 != 0 && (p[layout->p_count - 1] & ~detail::low_mask(n % 64)) != 0) {
    throw FormatError(where, "P", layout->p_offset + 8 * (layout->p_count - 1),
                      "support bits past site n - 1 must be 0");
  }
  check_padding("P padding", layout->p_offset + 8 * layout->p_count, layout->q_offset);
  detail::Words q(layout->q_count + 2);
  detail::load_words(q.data(), b + layout->q_offset, layout->q_count);
  q[layout->q_count] = 0;
  q[layout->q_count + 1] = 0;
  if (support % 64 != 0 && (q[layout->q_count - 1] & ~detail::low_mask(support % 64)) != 0) {
    throw FormatError(where, "Q", layout->q_offset + 8 * (layout->q_count - 1),
                      "sign bits past the last supported site must be 0");
  }
  check_padding("Q padding", layout->q_offset + 8 * layout->q_count, layout->o_offset);
  if (const std::uint64_t popcount = detail::popcount_words(p.data(), layout->p_count);
      popcount != support) {
    header.reject(detail::shape_fields::n_support, "n_support is " + std::to_string(support) +
                                                       " but P has " + std::to_string(popcount) +
                                                       " supported sites");
  }
  detail::Words o(layout->o_count);
  detail::load_words(o.data(), b + layout->o_offset, layout->o_count);
  const std::size_t words_per_block = block / 64;
  std::uint64_t running = 0;
  for (std::size_t k = 0; k < layout->o_count; ++k) {
    if (o[k] != running) {
      throw FormatError(where, "O", layout->o_offset + 8 * k,
                        "offset of block " + std::to_string(k) + " is " + std::to_string(o[k]) +
                            ", expected " + std::to_string(running) +
                            " (the supported sites before the block)");
    }
    const std::size_t first = k * words_per_block;
    const std::size_t last = std::min(layout->p_count, first + words_per_block);
    running += first < last ? detail::popcount_words(p.data() + first, last - first) : 0;
  }
  check_padding("O padding", layout->o_offset + 8 * layout->o_count, layout->total);
  return detail::Access::make(fields.shape, block, support, std::move(p), std::move(q),
                              layout->q_count, std::move(o));
}

}  // namespace dashi::pq
