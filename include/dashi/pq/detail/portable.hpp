// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Portable PQ kernels (no intrinsics; any architecture and byte order) and the bit
/// helpers shared with the SIMD kernels.
///
/// Kernel contract, shared by every path:
/// - `encode(src, count, p, q, block_shift, offsets)` packs sites `[0, count)` of `src`
///   into P words `p[0, ceil(count / 64))` and a sign stream starting at bit 0 of `q`;
///   for every word `k` with `k % 2^block_shift == 0` it stores the number of supported
///   sites before word `k` in `offsets[k >> block_shift]`; it returns the number of
///   supported sites. `q` needs room for `ceil(count / 64) + 2` words; words of `q` at
///   and past `ceil(S / 64)` are left unspecified (callers zero their slack).
/// - `decode(p, count, q, q_bit, dst)` writes sites `[0, count)` into `dst` from the P
///   words and the sign stream starting at bit `q_bit` of `q`; `q` must be readable up
///   to word `(q_bit + supported sites) / 64 + 1`.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/simd/isa.hpp>

namespace dashi::pq::detail {

/// Mask of the `bits` low bits, `bits` in [0, 64].
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE constexpr std::uint64_t low_mask(
    std::uint64_t bits) noexcept {
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

/// The 64 bits of the little-endian bit stream `words` that start at bit `pos`.
/// Reads `words[pos / 64]` and `words[pos / 64 + 1]`.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t read_bits64(
    const std::uint64_t* words, std::uint64_t pos) noexcept {
  const auto w = static_cast<std::size_t>(pos >> 6);
  const std::uint64_t shift = pos & 63U;
  return (words[w] >> shift) | ((words[w + 1] << 1) << (63 - shift));
}

/// Appends the `count` low bits of `bits` (higher bits zero) to a stream whose
/// current word `words[index]` holds `fill` bits in `acc`. Branch-free: the current
/// word is stored on every call, so `words[index]` must always be writable.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void append_bits(
    std::uint64_t* words, std::size_t& index, std::uint64_t& acc, std::uint64_t& fill,
    std::uint64_t bits, std::uint64_t count) noexcept {
  acc |= bits << fill;
  words[index] = acc;
  const std::uint64_t end = fill + count;
  const std::uint64_t carry = (bits >> (63 - fill)) >> 1;  // bits that did not fit; 0 if none
  const std::uint64_t next_word = end >> 6;                // 0 or 1
  // Masks rather than a conditional: compilers turn `?:` into an unpredictable branch.
  acc = carry | (acc & (next_word - 1));
  index += static_cast<std::size_t>(next_word);
  fill = end & 63U;
}

/// Parallel prefix xor used by the Hacker's Delight 7-4/7-5 compress and expand:
/// from `mk` (the mask of zeros to the right) the bits that move in one step.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE constexpr std::uint64_t
prefix_xor(std::uint64_t mk) noexcept {
  std::uint64_t mp = mk ^ (mk << 1);
  mp ^= mp << 2;
  mp ^= mp << 4;
  mp ^= mp << 8;
  mp ^= mp << 16;
  mp ^= mp << 32;
  return mp;
}

/// Software `pext`: the bits of `x` selected by `mask`, packed to the low end.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
compress_bits(std::uint64_t x, std::uint64_t mask) noexcept {
  if (popcount64(mask) <= 12) {
    std::uint64_t out = 0;
    for (std::uint64_t k = 0; mask != 0; ++k, mask &= mask - 1) {
      const std::uint64_t lowest = mask & (~mask + 1);
      out |= static_cast<std::uint64_t>((x & lowest) != 0) << k;
    }
    return out;
  }
  // Hacker's Delight 7-4: move the selected bits right in 6 log-steps.
  x &= mask;
  std::uint64_t mk = ~mask << 1;
  for (unsigned i = 0; i < 6; ++i) {
    const std::uint64_t mp = prefix_xor(mk);
    const std::uint64_t mv = mp & mask;
    mask = (mask ^ mv) | (mv >> (1U << i));
    const std::uint64_t t = x & mv;
    x = (x ^ t) | (t >> (1U << i));
    mk &= ~mp;
  }
  return x;
}

/// Software `pdep`: the low bits of `x` scattered to the set positions of `mask`.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t expand_bits(
    std::uint64_t x, std::uint64_t mask) noexcept {
  if (popcount64(mask) <= 12) {
    std::uint64_t out = 0;
    for (; mask != 0; mask &= mask - 1, x >>= 1) {
      const std::uint64_t lowest = mask & (~mask + 1);
      out |= lowest & (0 - (x & 1U));
    }
    return out;
  }
  // Hacker's Delight 7-5: the compress steps recorded, then undone in reverse.
  const std::uint64_t original = mask;
  std::array<std::uint64_t, 6> moves{};
  std::uint64_t mk = ~mask << 1;
  for (unsigned i = 0; i < 6; ++i) {
    const std::uint64_t mp = prefix_xor(mk);
    const std::uint64_t mv = mp & mask;
    moves[i] = mv;
    mask = (mask ^ mv) | (mv >> (1U << i));
    mk &= ~mp;
  }
  for (unsigned i = 6; i-- > 0;) {
    const std::uint64_t mv = moves[i];
    const std::uint64_t t = x << (1U << i);
    x = (x & ~mv) | (t & mv);
  }
  return x & original;
}

/// Transposes the 8×8 bit matrix held in `x` (byte = row, bit = column).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE constexpr std::uint64_t
transpose8x8(std::uint64_t x) noexcept {
  std::uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
  x = x ^ t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
  x = x ^ t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
  return x ^ t ^ (t << 28);
}

/// Support and positive-sign words of 64 trits. Support is bit 0 of each byte (set in
/// 0x01 and 0xFF, clear in 0x00) and negative is bit 7; the SIMD path uses the same
/// rule, so both paths agree on any bytes. Bit 0 (bit 7) of byte b of group g goes to
/// bit g of byte b, then an 8×8 bit transpose puts it at bit 8g + b.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void masks64_portable(
    const std::int8_t* src, std::uint64_t& support, std::uint64_t& positive) noexcept {
  constexpr std::uint64_t low = 0x0101010101010101ULL;
  std::uint64_t sup = 0;
  std::uint64_t neg = 0;
  for (std::size_t g = 0; g < 8; ++g) {
    const std::uint64_t x = dashi::detail::load_le64(src + 8 * g);
    sup |= (x & low) << g;
    neg |= (x >> (7 - g)) & (low << g);
  }
  support = transpose8x8(sup);
  positive = support & ~transpose8x8(neg);
}

/// Software `pext` of 4 independent words at once, `x[j] = pext(x[j], mask[j])`.
/// Interleaving four words hides the long dependency chains of the 6-step algorithm.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void compress_bits4(
    std::array<std::uint64_t, 4>& x, std::array<std::uint64_t, 4> mask) noexcept {
  std::array<std::uint64_t, 4> mk{};
  for (unsigned j = 0; j < 4; ++j) {
    x[j] &= mask[j];
    mk[j] = ~mask[j] << 1;
  }
  for (unsigned i = 0; i < 6; ++i) {
    for (unsigned j = 0; j < 4; ++j) {
      const std::uint64_t mp = prefix_xor(mk[j]);
      const std::uint64_t mv = mp & mask[j];
      mask[j] = (mask[j] ^ mv) | (mv >> (1U << i));
      const std::uint64_t t = x[j] & mv;
      x[j] = (x[j] ^ t) | (t >> (1U << i));
      mk[j] &= ~mp;
    }
  }
}

/// Software `pdep` of 4 independent words at once, `x[j] = pdep(x[j], mask[j])`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void expand_bits4(
    std::array<std::uint64_t, 4>& x, const std::array<std::uint64_t, 4>& mask) noexcept {
  std::array<std::array<std::uint64_t, 4>, 6> moves{};
  std::array<std::uint64_t, 4> m{};
  std::array<std::uint64_t, 4> mk{};
  for (unsigned j = 0; j < 4; ++j) {
    m[j] = mask[j];
    mk[j] = ~mask[j] << 1;
  }
  for (unsigned i = 0; i < 6; ++i) {
    for (unsigned j = 0; j < 4; ++j) {
      const std::uint64_t mp = prefix_xor(mk[j]);
      const std::uint64_t mv = mp & m[j];
      moves[i][j] = mv;
      m[j] = (m[j] ^ mv) | (mv >> (1U << i));
      mk[j] &= ~mp;
    }
  }
  for (unsigned i = 6; i-- > 0;) {
    for (unsigned j = 0; j < 4; ++j) {
      const std::uint64_t t = x[j] << (1U << i);
      x[j] = (x[j] & ~moves[i][j]) | (t & moves[i][j]);
    }
  }
  for (unsigned j = 0; j < 4; ++j) {
    x[j] &= mask[j];
  }
}

/// `byte_table(fill)[b]` has byte `k` equal to `fill` where bit `k` of `b` is set.
[[nodiscard]] constexpr std::array<std::uint64_t, 256> byte_table(std::uint8_t fill) noexcept {
  std::array<std::uint64_t, 256> table{};
  for (std::size_t b = 0; b < 256; ++b) {
    std::uint64_t word = 0;
    for (unsigned k = 0; k < 8; ++k) {
      if (((b >> k) & 1U) != 0) {
        word |= std::uint64_t{fill} << (8 * k);
      }
    }
    table[b] = word;
  }
  return table;
}

/// Supported sites as -1 (0xFF) bytes; xor with `positive_bytes` turns 0xFF into 0x01.
inline constexpr std::array<std::uint64_t, 256> support_bytes = byte_table(0xFF);
inline constexpr std::array<std::uint64_t, 256> positive_bytes = byte_table(0xFE);

/// Stores `word` as 8 bytes in little-endian order.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store_le64(
    std::int8_t* dst, std::uint64_t word) noexcept {
  if constexpr (std::endian::native == std::endian::big) {
    word = ((word & 0x00000000FFFFFFFFULL) << 32) | (word >> 32);
    word = ((word & 0x0000FFFF0000FFFFULL) << 16) | ((word >> 16) & 0x0000FFFF0000FFFFULL);
    word = ((word & 0x00FF00FF00FF00FFULL) << 8) | ((word >> 8) & 0x00FF00FF00FF00FFULL);
  }
  std::memcpy(dst, &word, sizeof word);
}

/// Writes the 64 sites of one word from its support and sign words.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void write_sites64_portable(
    std::uint64_t support, std::uint64_t positive, std::int8_t* dst) noexcept {
  for (std::size_t g = 0; g < 8; ++g) {
    const std::uint64_t value =
        support_bytes[(support >> (8 * g)) & 0xFFU] ^ positive_bytes[(positive >> (8 * g)) & 0xFFU];
    store_le64(dst + 8 * g, value);
  }
}

/// The output stream of the portable encoder: support words, sign bits packed behind each
/// other, and the bit offset of each block's first word. Its members are functions with the
/// portable target (not lambdas, which would take the unit's flags), inlined into
/// `encode_portable`.
struct EncodeStream {
  std::uint64_t* p;
  std::uint64_t* q;
  std::uint64_t* offsets;
  std::size_t block_mask;
  unsigned block_shift;
  std::uint64_t acc = 0;
  std::uint64_t fill = 0;
  std::size_t index = 0;  // the stream holds 64 * index + fill bits

  /// Word `k`: its support word and its `popcount(support)` sign bits.
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void append(std::size_t k,
                                                                  std::uint64_t support,
                                                                  std::uint64_t bits) noexcept {
    if ((k & block_mask) == 0) {
      offsets[k >> block_shift] = 64 * std::uint64_t{index} + fill;
    }
    p[k] = support;
    append_bits(q, index, acc, fill, bits, popcount64(support));
  }

  /// Word `k` from its 64 sites.
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void append_sites(const std::int8_t* sites,
                                                                        std::size_t k) noexcept {
    std::uint64_t support = 0;
    std::uint64_t positive = 0;
    masks64_portable(sites, support, positive);
    append(k, support, compress_bits(positive, support));
  }
};

/// Portable encode kernel (contract in the file comment). Works on batches of 4
/// words so the software `pext` of the 4 words overlaps.
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t encode_portable(
    const std::int8_t* src, std::size_t count, std::uint64_t* p, std::uint64_t* q,
    unsigned block_shift, std::uint64_t* offsets) noexcept {
  const std::size_t full = count / 64;
  const std::size_t block_mask = (std::size_t{1} << block_shift) - 1;
  EncodeStream stream{p, q, offsets, block_mask, block_shift};
  std::size_t k = 0;
  for (; k + 4 <= full; k += 4) {
    std::array<std::uint64_t, 4> support{};
    std::array<std::uint64_t, 4> bits{};
    for (unsigned j = 0; j < 4; ++j) {
      masks64_portable(src + 64 * (k + j), support[j], bits[j]);
    }
    if ((support[0] & support[1] & support[2] & support[3]) != ~std::uint64_t{0}) {
      compress_bits4(bits, support);
    }
    for (unsigned j = 0; j < 4; ++j) {
      stream.append(k + j, support[j], bits[j]);
    }
  }
  for (; k < full; ++k) {
    stream.append_sites(src + 64 * k, k);
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    std::array<std::int8_t, 64> padded{};
    std::memcpy(padded.data(), src + 64 * full, tail);
    stream.append_sites(padded.data(), full);
  }
  const std::size_t index = stream.index;
  const std::uint64_t fill = stream.fill;
  const std::uint64_t acc = stream.acc;
  q[index] = acc;  // the bits of the last, partly filled word
  return 64 * std::uint64_t{index} + fill;
}

/// The 64 sites of one word from its support word and the sign bits at `q_bit`, which it
/// advances (a function with the portable target, not a lambda: see `EncodeStream`).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void decode_word(
    std::uint64_t support, const std::uint64_t* q, std::uint64_t& q_bit,
    std::int8_t* sites) noexcept {
  const std::uint64_t positive = expand_bits(read_bits64(q, q_bit), support);
  q_bit += popcount64(support);
  write_sites64_portable(support, positive, sites);
}

/// Portable decode kernel (contract in the file comment), in batches of 4 words.
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline void decode_portable(
    const std::uint64_t* p, std::size_t count, const std::uint64_t* q, std::uint64_t q_bit,
    std::int8_t* dst) noexcept {
  const std::size_t full = count / 64;
  std::size_t k = 0;
  for (; k + 4 <= full; k += 4) {
    const std::array<std::uint64_t, 4> support = {p[k], p[k + 1], p[k + 2], p[k + 3]};
    std::array<std::uint64_t, 4> bits{};
    for (unsigned j = 0; j < 4; ++j) {
      bits[j] = read_bits64(q, q_bit);
      q_bit += popcount64(support[j]);
    }
    if ((support[0] & support[1] & support[2] & support[3]) != ~std::uint64_t{0}) {
      expand_bits4(bits, support);
    }
    for (unsigned j = 0; j < 4; ++j) {
      write_sites64_portable(support[j], bits[j], dst + 64 * (k + j));
    }
  }
  for (; k < full; ++k) {
    decode_word(p[k], q, q_bit, dst + 64 * k);
  }
  if (const std::size_t tail = count % 64; tail != 0) {
    std::array<std::int8_t, 64> padded{};
    decode_word(p[full], q, q_bit, padded.data());
    std::memcpy(dst + 64 * full, padded.data(), tail);
  }
}

}  // namespace dashi::pq::detail
