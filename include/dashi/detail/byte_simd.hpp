// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Byte-wise loops over ternary values written with GCC/Clang vector extensions, so they
/// vectorise at any optimisation level: the byte maps (`map_bytes`), the contract scan
/// (`contract_violated`) and the L1 distance (`l1_distance`). Each has three entry points
/// with exact targets (see simd/isa.hpp), and `dispatch` (simd/dispatch.hpp) picks one by
/// `active_isa()` at run time, so no body depends on the translation unit's `-m` flags:
///
/// - `*_portable`: the `always_inline` `DASHI_DETAIL_TARGET_PORTABLE` body over `bytes32`;
/// - `*_avx2`: the same body compiled for AVX2 (the byte maps also have
///   `map_bytes_streaming_avx2`, 32-byte non-temporal stores);
/// - `*_avx512`: 64-byte vectors (`bytes64`), tails read and written with masked moves
///   (the byte maps also have `map_bytes_streaming_avx512`, 64-byte non-temporal stores).
///
/// Every entry point is thread-safe (it touches only its arguments) and throws nothing.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/block_state.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/vectors.hpp>
#include <dashi/simd/x86.hpp>
#include <type_traits>

namespace dashi::detail {

// Vectors are passed by reference throughout: 32- and 64-byte vectors by value change the
// ABI between AVX and non-AVX code, which compilers warn about.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load32(
    bytes32& v, const std::int8_t* p) noexcept {
  std::memcpy(&v, p, sizeof v);
}
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store32(std::int8_t* p,
                                                                        const bytes32& v) noexcept {
  std::memcpy(p, &v, sizeof v);
}
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load64(
    bytes64& v, const std::int8_t* p) noexcept {
  std::memcpy(&v, p, sizeof v);
}
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store64(std::int8_t* p,
                                                                        const bytes64& v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// `out[i] = op(in[i])` for `sizeof(Bytes)` bytes at a time (`bytes32` unless given);
/// `op(Bytes& v)` rewrites `v` in place and must itself be `[[gnu::always_inline]]
/// DASHI_DETAIL_TARGET_PORTABLE` (a lambda cannot be, so ops are small structs). The tail is
/// padded with zeros, so `op` on 0 must be harmless. `in` may equal `out`.
template <class Bytes = bytes32, class Op>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void map_bytes_generic(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  std::size_t i = 0;
  Bytes v{};
  for (; i + sizeof v <= n; i += sizeof v) {
    std::memcpy(&v, in + i, sizeof v);
    op(v);
    std::memcpy(out + i, &v, sizeof v);
  }
  if (i < n) {
    v = Bytes{};
    std::memcpy(&v, in + i, n - i);
    op(v);
    std::memcpy(out + i, &v, n - i);
  }
}

/// Outputs of at least this many bytes are written with streaming (non-temporal) stores by
/// the AVX2 and AVX-512 byte maps: they would not stay in cache anyway, and skipping the
/// read for ownership of their cache lines removes a third of the memory traffic.
inline constexpr std::size_t streaming_store_bytes = std::size_t{8} << 20;

/// True when a byte map of `n` bytes into `out` should stream its stores.
[[nodiscard]] inline bool stream_stores(const std::int8_t* out, std::size_t n) noexcept {
  return n >= streaming_store_bytes || (n >= 1024 && StreamingOutput::covers(out, n));
}

/// The bytes of `out[0, n)` before its first `width`-byte boundary (at most `n`): the head a
/// streaming loop writes with plain stores. A ternary, not `std::min`: that has no target
/// attribute, so in a wider unit it could stay a call compiled with the unit's flags inside
/// the exact entry points.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t head_bytes(
    const std::int8_t* out, std::size_t n, std::size_t width) noexcept {
  const std::size_t head = (width - reinterpret_cast<std::uintptr_t>(out) % width) % width;
  return head < n ? head : n;
}

template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE void map_bytes_portable(const std::int8_t* in,
                                                                       std::int8_t* out,
                                                                       std::size_t n, Op op) {
  map_bytes_generic(in, out, n, op);
}

#if DASHI_DETAIL_X86
/// `map_bytes_generic` with non-temporal stores: plain stores up to the first 32-byte
/// boundary of `out`, streaming stores after it, and a store fence before returning (so
/// the bytes are ordered before whatever publishes them to other threads).
template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void map_bytes_streaming_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  const std::size_t head = head_bytes(out, n, 32);
  map_bytes_generic(in, out, head, op);
  std::size_t i = head;
  bytes32 v{};
  for (; i + 32 <= n; i += 32) {
    load32(v, in + i);
    op(v);
    x86::stream32(out + i, v);
  }
  x86::store_fence();
  map_bytes_generic(in + i, out + i, n - i, op);
}

template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void map_bytes_avx2(const std::int8_t* in,
                                                                     std::int8_t* out,
                                                                     std::size_t n, Op op) {
  map_bytes_generic(in, out, n, op);
}

// ---------------------------------------------------------------------------------------
// AVX-512 helpers: 64-byte lanes, masks in k registers (the operations of simd/x86.hpp on
// signed bytes).

/// The mask of lanes `[0, count)` (all 64 for `count >= 64`): one `bzhi`.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
lanes_below(std::size_t count) noexcept {
  return x86::bzhi(~std::uint64_t{0}, count);
}

/// Loads the first `count` (at most 64) bytes at `p` into `v`, zeros into the other lanes.
/// A masked load: bytes past `p + count` are not read and cannot fault.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void load64_first(
    bytes64& v, const std::int8_t* p, std::size_t count) noexcept {
  v = reinterpret_cast<bytes64>(x86::load64_masked(p, lanes_below(count)));
}

/// Stores the first `count` (at most 64) lanes of `v` to `p`; nothing past `p + count` is
/// touched (a masked store).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void store64_first(
    std::int8_t* p, const bytes64& v, std::size_t count) noexcept {
  x86::store64_masked(p, lanes_below(count), reinterpret_cast<ubytes64>(v));
}

/// The mask of the non-zero lanes of `v` (one compare into a k register).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
nonzero_lanes(const bytes64& v) noexcept {
  return x86::nonzero_bytes(reinterpret_cast<ubytes64>(v));
}

/// `|v|` per lane as unsigned bytes (-128 gives 0x80): one `vpabsb`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void abs64(const bytes64& v,
                                                                          ubytes64& out) noexcept {
  out = x86::abs_bytes(reinterpret_cast<ubytes64>(v));
}

/// `map_bytes_generic` over 64-byte vectors, the tail with one masked load and store.
template <class Op>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void map_bytes_body_avx512(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op& op) {
  std::size_t i = 0;
  bytes64 v{};
  for (; i + 64 <= n; i += 64) {
    load64(v, in + i);
    op(v);
    store64(out + i, v);
  }
  if (i < n) {
    load64_first(v, in + i, n - i);
    op(v);
    store64_first(out + i, v, n - i);
  }
}

/// The byte map over 64-byte vectors; `op` must also take `bytes64&`.
template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT void map_bytes_avx512(const std::int8_t* in,
                                                                         std::int8_t* out,
                                                                         std::size_t n, Op op) {
  map_bytes_body_avx512(in, out, n, op);
}

/// `map_bytes_avx512` with non-temporal stores: plain stores up to the first 64-byte
/// boundary of `out`, 64-byte streaming stores after it, a store fence, then the tail.
template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT void map_bytes_streaming_avx512(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  const std::size_t head = head_bytes(out, n, 64);
  map_bytes_body_avx512(in, out, head, op);
  std::size_t i = head;
  bytes64 v{};
  for (; i + 64 <= n; i += 64) {
    load64(v, in + i);
    op(v);
    x86::stream64(out + i, v);
  }
  x86::store_fence();
  map_bytes_body_avx512(in + i, out + i, n - i, op);
}
#endif

#if DASHI_DETAIL_X86
/// The AVX-512 byte map of `Op` (streaming or not), or `nullptr` when `op` takes no `bytes64&`.
template <class Op, bool Streaming>
[[nodiscard]] consteval auto map_bytes_avx512_entry() noexcept {
  if constexpr (!std::is_invocable_v<Op&, bytes64&>) {
    return nullptr;
  } else if constexpr (Streaming) {
    return &map_bytes_streaming_avx512<Op>;
  } else {
    return &map_bytes_avx512<Op>;
  }
}
#endif

/// Applies the in-place byte map `op` over `n` bytes: AVX-512 when active and `op` also
/// takes `bytes64&`, else AVX2 when active, else the portable loop; the AVX2 and AVX-512
/// paths stream the stores of large outputs (see `stream_stores`).
template <class Op>
inline void map_bytes(const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  if (stream_stores(out, n)) {
    dispatch<DASHI_DETAIL_PATHS(&map_bytes_portable<Op>, &map_bytes_streaming_avx2<Op>,
                                (map_bytes_avx512_entry<Op, true>()))>(active_isa(), in, out, n,
                                                                       op);
  } else {
    dispatch<DASHI_DETAIL_PATHS(&map_bytes_portable<Op>, &map_bytes_avx2<Op>,
                                (map_bytes_avx512_entry<Op, false>()))>(active_isa(), in, out, n,
                                                                        op);
  }
}

/// Marks in `bad` the lanes where output `b` breaks the contract for input `a`: `|b|` in
/// unsigned lanes (wrapping, so -128 gives 0x80 without overflow) masked by `~|a|`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void contract_step(
    const bytes32& a, const bytes32& b, const bytes32& one, bytes32& bad) noexcept {
  const auto sign = reinterpret_cast<ubytes32>(b >> 7);
  const ubytes32 magnitude = (reinterpret_cast<ubytes32>(b) ^ sign) - sign;
  bad |= reinterpret_cast<bytes32>(magnitude) & ~(a & one);
}

/// True when some byte breaks the kernel contract: `out` not in {-1,0,1}, or `out`
/// supported where `in` is not. For a valid input, `|in|` is `in & 1`, and the contract is
/// `|out| <= |in|`, i.e. `|out| & ~|in| == 0` (any `|out| >= 2` has a bit above bit 0).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline bool
contract_violated_generic(const std::int8_t* in, const std::int8_t* out, std::size_t n) noexcept {
  const bytes32 one = bytes32{} + 1;
  bytes32 bad{};
  bytes32 a{};
  bytes32 b{};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    load32(a, in + i);
    load32(b, out + i);
    contract_step(a, b, one, bad);
  }
  if (i < n) {
    a = bytes32{};
    b = bytes32{};
    std::memcpy(&a, in + i, n - i);
    std::memcpy(&b, out + i, n - i);
    contract_step(a, b, one, bad);
  }
  // A C array: `std::array`'s accessors have no target attribute, so in a wider unit they
  // could stay calls compiled with that unit's flags inside the exact entry points.
  std::int64_t words[4];  // NOLINT(modernize-avoid-c-arrays): see above
  std::memcpy(words, &bad, sizeof words);
  return (words[0] | words[1] | words[2] | words[3]) != 0;
}

[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline bool contract_violated_portable(
    const std::int8_t* in, const std::int8_t* out, std::size_t n) noexcept {
  return contract_violated_generic(in, out, n);
}

#if DASHI_DETAIL_X86
/// `contract_violated_generic` compiled for AVX2.
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline bool contract_violated_avx2(
    const std::int8_t* in, const std::int8_t* out, std::size_t n) noexcept {
  return contract_violated_generic(in, out, n);
}

/// `contract_step` over 64 bytes: `|b|` with `vpabsb`, masked by `~|a|`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void contract_step(
    const bytes64& a, const bytes64& b, const bytes64& one, bytes64& bad) noexcept {
  ubytes64 magnitude{};
  abs64(b, magnitude);
  bad |= reinterpret_cast<bytes64>(magnitude) & ~(a & one);
}

/// `contract_violated_generic` over 64-byte vectors, the tail with masked loads (zeros
/// break nothing), the lanes reduced with one compare into a k register.
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline bool
contract_violated_avx512(const std::int8_t* in, const std::int8_t* out, std::size_t n) noexcept {
  const bytes64 one = bytes64{} + 1;
  bytes64 bad{};
  bytes64 a{};
  bytes64 b{};
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    load64(a, in + i);
    load64(b, out + i);
    contract_step(a, b, one, bad);
  }
  if (i < n) {
    load64_first(a, in + i, n - i);
    load64_first(b, out + i, n - i);
    contract_step(a, b, one, bad);
  }
  return nonzero_lanes(bad) != 0;
}
#endif

/// Sum of `|a[i] - b[i]|` over `n` trits (each term 0, 1 or 2).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
l1_distance_generic(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  std::uint64_t total = 0;
  std::uint8_t bytes[32];  // NOLINT(modernize-avoid-c-arrays): as in contract_violated_generic
  std::size_t i = 0;
  while (i + 32 <= n) {
    ubytes32 lanes{};  // at most 127 terms of 2 per lane before flushing
    for (std::size_t k = 0; k < 127 && i + 32 <= n; ++k, i += 32) {
      bytes32 va;
      bytes32 vb;
      load32(va, a + i);
      load32(vb, b + i);
      const ubytes32 d = reinterpret_cast<ubytes32>(va) - reinterpret_cast<ubytes32>(vb);
      const auto sign = reinterpret_cast<ubytes32>(reinterpret_cast<bytes32>(d) >> 7);
      lanes += (d ^ sign) - sign;
    }
    std::memcpy(bytes, &lanes, sizeof bytes);
    for (const std::uint8_t v : bytes) {
      total += v;
    }
  }
  for (; i < n; ++i) {
    const int d = a[i] - b[i];
    total += static_cast<std::uint64_t>(d < 0 ? -d : d);
  }
  return total;
}

[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
l1_distance_portable(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  return l1_distance_generic(a, b, n);
}

#if DASHI_DETAIL_X86
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline std::uint64_t
l1_distance_avx2(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  return l1_distance_generic(a, b, n);
}

/// `|va - vb|` per lane (the difference wrapping in unsigned lanes, as in
/// `l1_distance_generic`), added to `lanes`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void add_abs_difference(
    const bytes64& va, const bytes64& vb, ubytes64& lanes) noexcept {
  const ubytes64 d = reinterpret_cast<ubytes64>(va) - reinterpret_cast<ubytes64>(vb);
  ubytes64 magnitude{};
  abs64(reinterpret_cast<const bytes64&>(d), magnitude);
  lanes += magnitude;
}

/// The eight sums of eight lanes of `lanes` (`vpsadbw` against zero) added to `sums`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void add_lane_sums(
    const ubytes64& lanes, words64& sums) noexcept {
  sums += x86::sum_bytes8(lanes);
}

/// `l1_distance_generic` over 64-byte vectors: byte lanes summed with `vpsadbw` every 127
/// steps, the tail with masked loads (zeros add nothing).
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline std::uint64_t
l1_distance_avx512(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  words64 sums{};
  bytes64 va{};
  bytes64 vb{};
  std::size_t i = 0;
  while (i + 64 <= n) {
    ubytes64 lanes{};  // at most 127 terms of 2 per lane before flushing
    for (std::size_t k = 0; k < 127 && i + 64 <= n; ++k, i += 64) {
      load64(va, a + i);
      load64(vb, b + i);
      add_abs_difference(va, vb, lanes);
    }
    add_lane_sums(lanes, sums);
  }
  if (i < n) {
    ubytes64 lanes{};
    load64_first(va, a + i, n - i);
    load64_first(vb, b + i, n - i);
    add_abs_difference(va, vb, lanes);
    add_lane_sums(lanes, sums);
  }
  std::uint64_t words[8];  // NOLINT(modernize-avoid-c-arrays): as in contract_violated_generic
  std::memcpy(words, &sums, sizeof words);
  std::uint64_t total = 0;
  for (const std::uint64_t w : words) {
    total += w;
  }
  return total;
}
#endif

/// Sum of `|a[i] - b[i]|` over `n` trits, with AVX-512 or AVX2 when active.
[[nodiscard]] inline std::uint64_t l1_distance(const std::int8_t* a, const std::int8_t* b,
                                               std::size_t n) noexcept {
  return dispatch<DASHI_DETAIL_PATHS(&l1_distance_portable, &l1_distance_avx2,
                                     &l1_distance_avx512)>(active_isa(), a, b, n);
}

/// True when some byte of `out` is not a trit or is supported where `in` is not, with
/// AVX-512 or AVX2 when active.
[[nodiscard]] inline bool contract_violated(const std::int8_t* in, const std::int8_t* out,
                                            std::size_t n) noexcept {
  return dispatch<DASHI_DETAIL_PATHS(&contract_violated_portable, &contract_violated_avx2,
                                     &contract_violated_avx512)>(active_isa(), in, out, n);
}

}  // namespace dashi::detail
