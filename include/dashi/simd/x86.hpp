// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// x86-64 operations for functions of an exact target (see isa.hpp), each one
/// `always_inline` and marked with the narrowest exact target that has its instruction, so it
/// inlines into every exact function of that level or above. Written with the vector
/// extensions and the compilers' builtins, never the `<immintrin.h>` wrappers (in a unit
/// built with wider `-m` flags those carry the unit's flags and cannot be inlined into an
/// exact function); where GCC and Clang spell a builtin differently, both spellings are here
/// and nowhere else: but for the `__builtin_ia32_pause` of cpu_relax.hpp, this is the only
/// file of the library that calls a `__builtin_ia32_*`.
/// Present when `DASHI_DETAIL_X86`. Pure functions: thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/vectors.hpp>

#if DASHI_DETAIL_X86

namespace dashi::detail::x86 {

/// 32 and 64 bytes, unsigned so that byte arithmetic wraps (the types of vectors.hpp).
using u8x32 = ubytes32;
using u8x64 = ubytes64;
/// 16-bit lanes, for the shifts x86 only has on words.
using u16x16 = ushorts32;
using u16x32 = ushorts64;
/// The element types the builtins are declared with.
using c8x32 = chars32;
using c8x64 = chars64;
using w64x2 = words16;
using w64x4 = words32;
using w64x8 = words64;
/// 64 bytes at any address, aliasing anything (the type of `_mm512_loadu_si512`'s access).
/// A typedef: Clang ignores `aligned(1)` on an alias declaration (the type would keep its
/// 64-byte alignment, and the accesses would become aligned moves).
typedef long long w64x8_unaligned  // NOLINT(modernize-use-using): see above
    __attribute__((vector_size(64), aligned(1), may_alias));
static_assert(alignof(w64x8_unaligned) == 1);

// ---- any level ---------------------------------------------------------------------------

/// `prefetcht0 (p)`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void prefetch_t0(
    const void* p) noexcept {
  __builtin_prefetch(p, 0, 3);
}

/// `sfence`: orders the non-temporal stores before it.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store_fence() noexcept {
  __builtin_ia32_sfence();
}

// ---- AVX2 level (with BMI, BMI2, POPCNT, SSE4.2) -----------------------------------------

/// 32 bytes at `p` (`vmovdqu`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline u8x32 load32(
    const void* p) noexcept {
  u8x32 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Stores 32 bytes at `p` (`vmovdqu`).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void store32(void* p,
                                                                          u8x32 v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// The 16 bytes at `p` in both 128-bit lanes (`vbroadcasti128`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline u8x32 broadcast16(
    const void* p) noexcept {
  w64x2 half;
  std::memcpy(&half, p, sizeof half);
#  if defined(__clang__)
  return reinterpret_cast<u8x32>(__builtin_shufflevector(half, half, 0, 1, 0, 1));
#  else
  return reinterpret_cast<u8x32>(__builtin_ia32_vbroadcastsi256(half));
#  endif
}

/// Byte `index[i] & 15` of the 128-bit lane of `table` that holds byte i, or 0 where bit 7
/// of `index[i]` is set (`vpshufb`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline u8x32 shuffle_bytes(
    u8x32 table, u8x32 index) noexcept {
  return reinterpret_cast<u8x32>(
      __builtin_ia32_pshufb256(reinterpret_cast<c8x32>(table), reinterpret_cast<c8x32>(index)));
}

/// Bit 7 of each byte, byte i to bit i (`vpmovmskb`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint32_t sign_bits(
    u8x32 v) noexcept {
  return static_cast<std::uint32_t>(__builtin_ia32_pmovmskb256(reinterpret_cast<c8x32>(v)));
}

/// A non-temporal store of the 32-byte vector `v` (any lane type) to the 32-byte aligned `p`
/// (`vmovntdq`).
template <class V>
  requires(sizeof(V) == 32)
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void stream32(void* p,
                                                                           const V& v) noexcept {
#  if defined(__clang__)
  __builtin_nontemporal_store(reinterpret_cast<w64x4>(v), static_cast<w64x4*>(p));
#  else
  __builtin_ia32_movntdq256(static_cast<w64x4*>(p), reinterpret_cast<w64x4>(v));
#  endif
}

/// The bits of `x` at the set bits of `mask`, packed to the low end (`pext`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t pext(
    std::uint64_t x, std::uint64_t mask) noexcept {
  return __builtin_ia32_pext_di(x, mask);
}

/// The low bits of `x` deposited at the set bits of `mask` (`pdep`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t pdep(
    std::uint64_t x, std::uint64_t mask) noexcept {
  return __builtin_ia32_pdep_di(x, mask);
}

/// `x` with the bits from `count` up cleared (`bzhi`, which reads only the low byte of
/// `count`: all of `x` for `count` in [64, 255]).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t bzhi(
    std::uint64_t x, std::size_t count) noexcept {
  return __builtin_ia32_bzhi_di(x, count);
}

/// Set bits of `x` (`popcnt`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t popcnt(
    std::uint64_t x) noexcept {
  return static_cast<std::uint64_t>(__builtin_popcountll(x));
}

/// Index of the lowest set bit of the non-zero `x` (`tzcnt`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::size_t
lowest_set_bit(std::uint64_t x) noexcept {
  return static_cast<std::size_t>(__builtin_ctzll(x));
}

/// The CRC-32C register `crc` advanced over the 8 bytes of `data`, least significant first
/// (`crc32q`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t crc32c8(
    std::uint64_t crc, std::uint64_t data) noexcept {
  return __builtin_ia32_crc32di(crc, data);
}

/// The CRC-32C register `crc` advanced over one byte (`crc32b`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint32_t crc32c1(
    std::uint32_t crc, unsigned char data) noexcept {
  return __builtin_ia32_crc32qi(crc, data);
}

// ---- AVX-512 level (F, BW, VL, DQ, CD) ---------------------------------------------------

/// 64 bytes at `p` (`vmovdqu64`: moved as 64-bit lanes, as `_mm512_loadu_si512` does; a
/// byte-typed copy would be `vmovdqu8`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline u8x64 load64(
    const void* p) noexcept {
  return reinterpret_cast<u8x64>(*static_cast<const w64x8_unaligned*>(p));
}

/// Stores 64 bytes at `p` (`vmovdqu64`, as `load64`).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void store64(void* p,
                                                                            u8x64 v) noexcept {
  *static_cast<w64x8_unaligned*>(p) = reinterpret_cast<w64x8>(v);
}

/// Byte i of `p` where bit i of `mask` is set, else 0; bytes outside the mask are not read
/// and cannot fault (`vmovdqu8` with zero masking).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline u8x64 load64_masked(
    const void* p, std::uint64_t mask) noexcept {
#  if defined(__clang__)
  return reinterpret_cast<u8x64>(
      __builtin_ia32_loaddquqi512_mask(static_cast<const c8x64*>(p), c8x64{}, mask));
#  else
  return reinterpret_cast<u8x64>(
      __builtin_ia32_loaddquqi512_mask(static_cast<const char*>(p), c8x64{}, mask));
#  endif
}

/// Stores byte i of `v` to `p + i` where bit i of `mask` is set; nothing else is touched
/// (`vmovdqu8` with merge masking).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void store64_masked(
    void* p, std::uint64_t mask, u8x64 v) noexcept {
#  if defined(__clang__)
  __builtin_ia32_storedquqi512_mask(static_cast<c8x64*>(p), reinterpret_cast<c8x64>(v), mask);
#  else
  __builtin_ia32_storedquqi512_mask(static_cast<char*>(p), reinterpret_cast<c8x64>(v), mask);
#  endif
}

/// A non-temporal store of the 64-byte vector `v` (any lane type) to the 64-byte aligned `p`
/// (`vmovntdq`).
template <class V>
  requires(sizeof(V) == 64)
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void stream64(void* p,
                                                                             const V& v) noexcept {
#  if defined(__clang__)
  __builtin_nontemporal_store(reinterpret_cast<w64x8>(v), static_cast<w64x8*>(p));
#  else
  __builtin_ia32_movntdq512(static_cast<w64x8*>(p), reinterpret_cast<w64x8>(v));
#  endif
}

/// Bit i set where `a[i] & b[i]` is not 0 (`vptestmb`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
test_bytes(u8x64 a, u8x64 b) noexcept {
#  if defined(__clang__)
  return __builtin_ia32_cmpb512_mask(reinterpret_cast<c8x64>(a & b), c8x64{}, 4 /* not equal */,
                                     ~std::uint64_t{0});
#  else
  return __builtin_ia32_ptestmb512(reinterpret_cast<c8x64>(a), reinterpret_cast<c8x64>(b),
                                   ~std::uint64_t{0});
#  endif
}

/// Bit 7 of each byte, byte i to bit i (`vpmovb2m`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
sign_bits(u8x64 v) noexcept {
  return __builtin_ia32_cvtb2mask512(reinterpret_cast<c8x64>(v));
}

/// Byte i of `b` where bit i of `mask` is set, else byte i of `a` (`vpblendmb`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline u8x64 blend_bytes(
    std::uint64_t mask, u8x64 a, u8x64 b) noexcept {
#  if defined(__clang__)
  return reinterpret_cast<u8x64>(
      __builtin_ia32_selectb_512(mask, reinterpret_cast<c8x64>(b), reinterpret_cast<c8x64>(a)));
#  else
  return reinterpret_cast<u8x64>(__builtin_ia32_blendmb_512_mask(reinterpret_cast<c8x64>(a),
                                                                 reinterpret_cast<c8x64>(b), mask));
#  endif
}

/// Byte i of `v` where bit i of `mask` is set, else byte i of `base` (`vmovdqu8` with merge
/// masking; with `base` zero, zero masking).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline u8x64 move_bytes(
    u8x64 base, std::uint64_t mask, u8x64 v) noexcept {
#  if defined(__clang__)
  return reinterpret_cast<u8x64>(
      __builtin_ia32_selectb_512(mask, reinterpret_cast<c8x64>(v), reinterpret_cast<c8x64>(base)));
#  else
  return reinterpret_cast<u8x64>(__builtin_ia32_movdquqi512_mask(
      reinterpret_cast<c8x64>(v), reinterpret_cast<c8x64>(base), mask));
#  endif
}

/// Bit i set where byte i of `v` is not 0 (`vpcmpneqb` into a k register).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
nonzero_bytes(u8x64 v) noexcept {
  return __builtin_ia32_cmpb512_mask(reinterpret_cast<c8x64>(v), c8x64{}, 4 /* not equal */,
                                     ~std::uint64_t{0});
}

/// Bit i set where byte i of `v` is above byte i of `limit`, unsigned (`vpcmpnleub`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
bytes_above(u8x64 v, u8x64 limit) noexcept {
  return __builtin_ia32_ucmpb512_mask(reinterpret_cast<c8x64>(v), reinterpret_cast<c8x64>(limit),
                                      6 /* not less or equal */, ~std::uint64_t{0});
}

/// `|v|` of each byte read as signed, as unsigned bytes (-128 gives 0x80): one `vpabsb`.
/// Clang makes it of the select below; GCC finds no spelling without signed overflow, so it
/// gets the builtin.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline u8x64 abs_bytes(
    u8x64 v) noexcept {
#  if defined(__clang__)
  return reinterpret_cast<bytes64>(v) < 0 ? -v : v;
#  else
  return reinterpret_cast<u8x64>(
      __builtin_ia32_pabsb512_mask(reinterpret_cast<c8x64>(v), c8x64{}, ~std::uint64_t{0}));
#  endif
}

/// The eight sums of eight bytes of `v` (`vpsadbw` against zero).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline w64x8 sum_bytes8(
    u8x64 v) noexcept {
  return __builtin_ia32_psadbw512(reinterpret_cast<c8x64>(v), c8x64{});
}

// ---- AVX-512 VBMI level ------------------------------------------------------------------

/// Byte `index[i] & 63` of `table` (`vpermb`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT inline u8x64
permute_bytes(u8x64 table, u8x64 index) noexcept {
#  if defined(__clang__)
  return reinterpret_cast<u8x64>(
      __builtin_ia32_permvarqi512(reinterpret_cast<c8x64>(table), reinterpret_cast<c8x64>(index)));
#  else
  return reinterpret_cast<u8x64>(__builtin_ia32_permvarqi512_mask(
      reinterpret_cast<c8x64>(table), reinterpret_cast<c8x64>(index), c8x64{}, ~std::uint64_t{0}));
#  endif
}

/// Byte `index[i] & 127` of the 128 bytes `low`, `high` (`vpermi2b` / `vpermt2b`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT inline u8x64
permute_bytes2(u8x64 low, u8x64 index, u8x64 high) noexcept {
#  if defined(__clang__)
  return reinterpret_cast<u8x64>(__builtin_ia32_vpermi2varqi512(
      reinterpret_cast<c8x64>(low), reinterpret_cast<c8x64>(index), reinterpret_cast<c8x64>(high)));
#  else
  return reinterpret_cast<u8x64>(__builtin_ia32_vpermt2varqi512_mask(
      reinterpret_cast<c8x64>(index), reinterpret_cast<c8x64>(low), reinterpret_cast<c8x64>(high),
      ~std::uint64_t{0}));
#  endif
}

}  // namespace dashi::detail::x86

#endif  // DASHI_DETAIL_X86
