// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Bit ranges between planes at any bit offsets: `read_bits` and `copy_bits`, for the
/// places where a slice or a wrapped halo does not start on a word (PQ's contiguous P plane,
/// periodic halos of a 1-D run). Thread-safe for distinct destinations, no throw.

#include <cstddef>
#include <cstdint>
#include <dashi/simd/isa.hpp>

namespace dashi::bits::detail {

/// The `count` (1..64) bits of `src` from bit `bit`, in the low bits of the result. Reads
/// only the words that hold them.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t read_bits(
    const std::uint64_t* src, std::size_t bit, std::size_t count) noexcept {
  const std::size_t word = bit / 64;
  const std::size_t shift = bit % 64;
  std::uint64_t v = src[word] >> shift;
  if (shift != 0 && shift + count > 64) {
    v |= src[word + 1] << (64 - shift);
  }
  return count == 64 ? v : v & ((std::uint64_t{1} << count) - 1);
}

/// Copies bits `[src_bit, src_bit + count)` of `src` to bits `[dst_bit, dst_bit + count)` of
/// `dst`; the other bits of `dst` are kept.
inline void copy_bits(std::uint64_t* dst, std::size_t dst_bit, const std::uint64_t* src,
                      std::size_t src_bit, std::size_t count) noexcept {
  while (count != 0) {
    const std::size_t word = dst_bit / 64;
    const std::size_t shift = dst_bit % 64;
    const std::size_t take = count < 64 - shift ? count : 64 - shift;
    const std::uint64_t bits = read_bits(src, src_bit, take);
    const std::uint64_t mask = (take == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << take) - 1)
                               << shift;
    dst[word] = (dst[word] & ~mask) | (bits << shift);
    dst_bit += take;
    src_bit += take;
    count -= take;
  }
}

}  // namespace dashi::bits::detail
