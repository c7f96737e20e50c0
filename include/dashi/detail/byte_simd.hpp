// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Byte-wise loops over ternary values written with GCC/Clang vector extensions, so they
/// vectorise at any optimisation level. Each loop body is one `always_inline`
/// `DASHI_DETAIL_TARGET_PORTABLE` function, compiled into a portable and an AVX2 entry point
/// with exact targets (see cpu_dispatch.hpp); `active_isa()` picks one at run time, so no
/// body depends on the translation unit's `-m` flags.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/cpu_dispatch.hpp>
#include <dashi/execution/detail/block_state.hpp>

#if !defined(__GNUC__) && !defined(__clang__)
#  error "dashicore needs the GCC/Clang vector extensions (GCC >= 12 or Clang >= 14)"
#endif

namespace dashi::detail {

/// 32 signed bytes.
using bytes32 = std::int8_t __attribute__((vector_size(32)));
/// 32 unsigned bytes (wrapping arithmetic).
using ubytes32 = std::uint8_t __attribute__((vector_size(32)));

/// True when the run-time dispatch takes the AVX2 entry points.
[[nodiscard]] inline bool dispatch_avx2() noexcept { return active_isa() >= Isa::avx2; }

// Vectors are passed by reference throughout: 32-byte vectors by value change the ABI
// between AVX and non-AVX code, which compilers warn about.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void load32(
    bytes32& v, const std::int8_t* p) noexcept {
  std::memcpy(&v, p, sizeof v);
}
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void store32(std::int8_t* p,
                                                                        const bytes32& v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// `out[i] = op(in[i])` for 32 bytes at a time; `op(bytes32& v)` rewrites `v` in place and
/// must itself be `[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE` (a lambda cannot
/// be, so ops are small structs). The tail is padded with zeros, so `op` on 0 must be
/// harmless. `in` may equal `out`.
template <class Op>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void map_bytes_generic(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  std::size_t i = 0;
  bytes32 v{};
  for (; i + 32 <= n; i += 32) {
    load32(v, in + i);
    op(v);
    store32(out + i, v);
  }
  if (i < n) {
    v = bytes32{};
    std::memcpy(&v, in + i, n - i);
    op(v);
    std::memcpy(out + i, &v, n - i);
  }
}

/// Outputs of at least this many bytes are written with streaming (non-temporal) stores by
/// the AVX2 byte maps: they would not stay in cache anyway, and skipping the read for
/// ownership of their cache lines removes a third of the memory traffic.
inline constexpr std::size_t streaming_store_bytes = std::size_t{8} << 20;

/// True when a byte map of `n` bytes into `out` should stream its stores.
[[nodiscard]] inline bool stream_stores(const std::int8_t* out, std::size_t n) noexcept {
  return n >= streaming_store_bytes || (n >= 1024 && StreamingOutput::covers(out, n));
}

template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE void map_bytes_portable(const std::int8_t* in,
                                                                       std::int8_t* out,
                                                                       std::size_t n, Op op) {
  map_bytes_generic(in, out, n, op);
}

#if DASHI_DETAIL_X86
/// A non-temporal store of 32 bytes to the 32-byte aligned `p`. Written with compiler
/// builtins rather than the `<immintrin.h>` wrappers: in a translation unit built with
/// wider `-m` flags the wrappers carry those flags and could not be inlined into a function
/// of an exact target (see cpu_dispatch.hpp).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void stream32(
    std::int8_t* p, const bytes32& v) noexcept {
  using Words = long long __attribute__((vector_size(32)));
#  if defined(__clang__)
  __builtin_nontemporal_store(reinterpret_cast<const Words&>(v), reinterpret_cast<Words*>(p));
#  else
  __builtin_ia32_movntdq256(reinterpret_cast<Words*>(p), reinterpret_cast<const Words&>(v));
#  endif
}

/// `map_bytes_generic` with non-temporal stores: plain stores up to the first 32-byte
/// boundary of `out`, streaming stores after it, and a store fence before returning (so
/// the bytes are ordered before whatever publishes them to other threads).
template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void map_bytes_streaming_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  const std::size_t head = std::min(n, (32 - reinterpret_cast<std::uintptr_t>(out) % 32) % 32);
  map_bytes_generic(in, out, head, op);
  std::size_t i = head;
  bytes32 v{};
  for (; i + 32 <= n; i += 32) {
    load32(v, in + i);
    op(v);
    stream32(out + i, v);
  }
  __builtin_ia32_sfence();
  map_bytes_generic(in + i, out + i, n - i, op);
}

template <class Op>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void map_bytes_avx2(const std::int8_t* in,
                                                                     std::int8_t* out,
                                                                     std::size_t n, Op op) {
  map_bytes_generic(in, out, n, op);
}
#endif

/// Applies the in-place byte map `op(bytes32&)` over `n` bytes, with AVX2 when present
/// (streaming the stores of large outputs, see `stream_stores`).
template <class Op>
inline void map_bytes(const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
#if DASHI_DETAIL_X86
  if (dispatch_avx2()) {
    if (stream_stores(out, n)) {
      map_bytes_streaming_avx2(in, out, n, op);
    } else {
      map_bytes_avx2(in, out, n, op);
    }
    return;
  }
#endif
  map_bytes_portable(in, out, n, op);
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
  std::array<std::int64_t, 4> words;
  std::memcpy(words.data(), &bad, sizeof words);
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
#endif

/// Sum of `|a[i] - b[i]|` over `n` trits (each term 0, 1 or 2).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::uint64_t
l1_distance_generic(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  std::uint64_t total = 0;
  std::array<std::uint8_t, 32> bytes;
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
    std::memcpy(bytes.data(), &lanes, sizeof bytes);
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
#endif

/// Sum of `|a[i] - b[i]|` over `n` trits, with AVX2 when present.
[[nodiscard]] inline std::uint64_t l1_distance(const std::int8_t* a, const std::int8_t* b,
                                               std::size_t n) noexcept {
#if DASHI_DETAIL_X86
  if (dispatch_avx2()) {
    return l1_distance_avx2(a, b, n);
  }
#endif
  return l1_distance_portable(a, b, n);
}

/// True when some byte of `out` is not a trit or is supported where `in` is not.
[[nodiscard]] inline bool contract_violated(const std::int8_t* in, const std::int8_t* out,
                                            std::size_t n) noexcept {
#if DASHI_DETAIL_X86
  if (dispatch_avx2()) {
    return contract_violated_avx2(in, out, n);
  }
#endif
  return contract_violated_portable(in, out, n);
}

}  // namespace dashi::detail
