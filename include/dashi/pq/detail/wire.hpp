// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The vocabulary of PQ's byte formats (docs/PQ_FORMAT.md §2–3): little-endian loads and
/// stores, `HeaderField` — one row of a format's table (name, offset, width, rule) — and
/// `HeaderReader`, which reads fields and rejects them with a `FormatError` naming the
/// field, its byte offset and its rule. Each format's table lives in its own header
/// (`buffer_format.hpp`, `file_layout.hpp`); the writer, the reader and the error
/// messages all use it, so no offset or field name is written twice.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/format_error.hpp>
#include <limits>
#include <span>
#include <string>

namespace dashi::pq::detail {

/// The `bytes` (at most 8) little-endian bytes at `src` as an integer.
[[nodiscard]] inline std::uint64_t load_le(const std::byte* src, std::size_t bytes) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(std::to_integer<unsigned char>(src[i])) << (8 * i);
  }
  return value;
}

/// Stores the `bytes` (at most 8) low bytes of `value` at `dst`, little-endian.
inline void store_le(std::byte* dst, std::uint64_t value, std::size_t bytes) noexcept {
  for (std::size_t i = 0; i < bytes; ++i) {
    dst[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFFU);
  }
}

/// Stores `words` as little-endian u64.
inline void store_words(std::byte* dst, std::span<const std::uint64_t> words) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (!words.empty()) {
      std::memcpy(dst, words.data(), words.size_bytes());
    }
  } else {
    for (std::size_t i = 0; i < words.size(); ++i) {
      store_le(dst + 8 * i, words[i], 8);
    }
  }
}

/// Loads `count` little-endian u64 from `src`.
inline void load_words(std::uint64_t* dst, const std::byte* src, std::size_t count) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (count != 0) {
      std::memcpy(dst, src, count * 8);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      dst[i] = load_le(src + 8 * i, 8);
    }
  }
}

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

/// One row of a byte format's table.
struct HeaderField {
  const char* name;    ///< as in docs/PQ_FORMAT.md and `FormatError::field()`
  std::size_t offset;  ///< bytes from the start of the header
  std::size_t width;   ///< bytes: 1–8 for an integer, more for magics, extents, padding
  const char* rule;    ///< what a reader requires, as its error message says it
};

/// True when `fields` cover `[0, size)` in order, without gaps or overlaps.
template <std::size_t N>
[[nodiscard]] constexpr bool tiles(const std::array<HeaderField, N>& fields,
                                   std::size_t size) noexcept {
  std::size_t next = 0;
  for (const HeaderField& field : fields) {
    if (field.offset != next || field.width == 0) {
      return false;
    }
    next += field.width;
  }
  return next == size;
}

/// The first 16 bytes of every PQ header (buffer, file, superblock): an 8-byte magic, a
/// u32 version and u32 flags, with the values a v1 writer puts there.
struct Preamble {
  std::array<unsigned char, 8> magic_value;
  std::uint32_t version_value;
  std::uint32_t flags_value;
  HeaderField magic;
  HeaderField version;
  HeaderField flags;
};

/// The preamble of a format whose magic is `magic`, in version 1, with flags `flags`;
/// `magic_rule` and `flags_rule` are what the error messages say.
/// `magic` binds the string literal itself, so that its length (8 bytes) is checked at
/// compile time.
[[nodiscard]] constexpr Preamble make_preamble(
    const char (&magic)[9],  // NOLINT(modernize-avoid-c-arrays): length checked at compile time
    const char* magic_rule, std::uint32_t flags, const char* flags_rule) noexcept {
  Preamble p{{},
             1,
             flags,
             {"magic", 0, 8, magic_rule},
             {"version", 8, 4, "expected version 1 (unknown version)"},
             {"flags", 12, 4, flags_rule}};
  for (std::size_t i = 0; i < 8; ++i) {
    p.magic_value[i] = static_cast<unsigned char>(magic[i]);
  }
  return p;
}

/// The flags rule of the formats whose v1 flags are exactly bit 0 (the buffer and the
/// superblock).
inline constexpr const char* sign_flag_rule =
    "expected 1 (bit 0: sign bit 1 means +1; no other bit)";

/// Writes the preamble `p` at the start of `header`.
inline void put_preamble(std::byte* header, const Preamble& p) noexcept {
  std::memcpy(header + p.magic.offset, p.magic_value.data(), p.magic.width);
  store_le(header + p.version.offset, p.version_value, p.version.width);
  store_le(header + p.flags.offset, p.flags_value, p.flags.width);
}

/// The fields that the PQ buffer header and the PQ-FS file header share, at the same
/// offsets: the shape of the field and its counts.
namespace shape_fields {
inline constexpr HeaderField rank{"rank", 16, 4, "expected 1 to 4"};
inline constexpr HeaderField extents{"extents", 24, 32,
                                     "4 x u64: the shape's extents, unused ones 0, a shape "
                                     "that dashi::Shape accepts"};
inline constexpr HeaderField n_sites{"n_sites", 56, 8, "the product of the extents"};
inline constexpr HeaderField n_support{"n_support", 64, 8, "at most n_sites"};
}  // namespace shape_fields

/// The table of a header laid out like the buffer and file headers: the preamble, the
/// rank, the format's own u32 at byte 20 (`at_20`), the extents and counts, then `tail`
/// from byte 72 on.
template <std::size_t N>
[[nodiscard]] constexpr std::array<HeaderField, 8 + N> shape_header_table(
    const Preamble& preamble, const HeaderField& at_20,
    const std::array<HeaderField, N>& tail) noexcept {
  std::array<HeaderField, 8 + N> table{
      preamble.magic, preamble.version,      preamble.flags,        shape_fields::rank,
      at_20,          shape_fields::extents, shape_fields::n_sites, shape_fields::n_support};
  for (std::size_t i = 0; i < N; ++i) {
    table[8 + i] = tail[i];
  }
  return table;
}

/// What the shared shape fields say.
struct ShapeFields {
  Shape shape;
  std::uint64_t sites = 0;
  std::uint64_t support = 0;
};

/// Writes the shared shape fields of a header.
inline void put_shape_fields(std::byte* header, const Shape& shape,
                             std::uint64_t support) noexcept {
  store_le(header + shape_fields::rank.offset, shape.rank(), shape_fields::rank.width);
  for (std::size_t axis = 0; axis < Shape::max_rank; ++axis) {
    store_le(header + shape_fields::extents.offset + 8 * axis, shape[axis], 8);
  }
  store_le(header + shape_fields::n_sites.offset, shape.size(), shape_fields::n_sites.width);
  store_le(header + shape_fields::n_support.offset, support, shape_fields::n_support.width);
}

/// Reads the fields of one header held in memory; errors name the field, its offset in
/// the input (`base` + the field's offset) and its rule.
class HeaderReader {
 public:
  /// `header` holds the header; `base` is its offset in the input (for messages).
  HeaderReader(const std::byte* header, const char* where, std::uint64_t base = 0) noexcept
      : header_(header), where_(where), base_(base) {}

  /// The field's value (an integer field).
  [[nodiscard]] std::uint64_t get(const HeaderField& field) const noexcept {
    return load_le(header_ + field.offset, field.width);
  }

  /// Throws `FormatError` for `field`: "<rule>: <detail>" at byte `base + offset + within`.
  [[noreturn]] void reject(const HeaderField& field, const std::string& detail,
                           std::size_t within = 0) const {
    throw FormatError(where_, field.name, static_cast<std::size_t>(base_ + field.offset + within),
                      std::string(field.rule) + (detail.empty() ? "" : ": " + detail));
  }

  /// Rejects the header unless the field's value equals `expected`.
  void expect(const HeaderField& field, std::uint64_t expected) const {
    if (const std::uint64_t value = get(field); value != expected) {
      reject(field, "got " + std::to_string(value));
    }
  }

  /// Rejects the header unless its magic, version and flags are those of `p`.
  void expect_preamble(const Preamble& p) const {
    if (std::memcmp(header_ + p.magic.offset, p.magic_value.data(), p.magic.width) != 0) {
      reject(p.magic, "");
    }
    expect(p.version, p.version_value);
    expect(p.flags, p.flags_value);
  }

  /// Rejects the field unless every byte of it is zero (naming the first bad byte).
  void expect_zero(const HeaderField& field) const {
    const std::size_t end = field.offset + field.width;
    if (const std::size_t bad = first_nonzero(header_, field.offset, end); bad != end) {
      reject(field, "byte " + std::to_string(bad) + " is not 0", bad - field.offset);
    }
  }

  /// Rejects the CRC field unless it holds the CRC-32C `computed`.
  void expect_crc(const HeaderField& field, std::uint32_t computed) const {
    if (get(field) != computed) {
      reject(field, "does not match");
    }
  }

  /// Reads and checks the shared shape fields: rank, extents (the rule of `Shape`, so a
  /// reader accepts whatever a writer could write), n_sites and n_support.
  [[nodiscard]] ShapeFields shape_fields() const {
    namespace f = detail::shape_fields;
    const auto rank = static_cast<std::size_t>(get(f::rank));
    if (rank < 1 || rank > Shape::max_rank) {
      reject(f::rank, "got " + std::to_string(rank));
    }
    std::array<std::size_t, Shape::max_rank> extents{};
    for (std::size_t axis = 0; axis < Shape::max_rank; ++axis) {
      const std::uint64_t extent = load_le(header_ + f::extents.offset + 8 * axis, 8);
      if (axis >= rank ? extent != 0 : extent > std::numeric_limits<std::size_t>::max()) {
        reject(f::extents,
               "extent " + std::to_string(axis) + " of a rank-" + std::to_string(rank) +
                   " shape is " + std::to_string(extent),
               8 * axis);
      }
      extents[axis] = static_cast<std::size_t>(extent);
    }
    ShapeFields out;
    try {
      out.shape = Shape::from_extents(std::span<const std::size_t>(extents.data(), rank));
    } catch (const CarrierError& error) {
      reject(f::extents, error.what());
    }
    out.sites = get(f::n_sites);
    if (out.sites != out.shape.size()) {
      reject(f::n_sites, "n_sites is " + std::to_string(out.sites) + " but the extents give " +
                             std::to_string(out.shape.size()));
    }
    out.support = get(f::n_support);
    if (out.support > out.sites) {
      reject(f::n_support, "n_support is " + std::to_string(out.support) + ", n_sites " +
                               std::to_string(out.sites));
    }
    return out;
  }

  [[nodiscard]] const std::byte* data() const noexcept { return header_; }
  [[nodiscard]] const char* where() const noexcept { return where_; }
  [[nodiscard]] std::uint64_t base() const noexcept { return base_; }

 private:
  const std::byte* header_;
  const char* where_;
  std::uint64_t base_;
};

}  // namespace dashi::pq::detail
