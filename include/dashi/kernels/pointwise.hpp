// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The shipped pointwise kernels (radius 0): `SignFlip`, `Clamp`, `ClampNonnegative`, as
/// byte maps with run-time dispatch (detail/byte_simd.hpp: portable, AVX2 and AVX-512 entry
/// points). Reached through `kernel.hpp`.

#include <dashi/bits/detail/pointwise_loops.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/carrier.hpp>
#include <dashi/detail/byte_simd.hpp>

namespace dashi {

namespace detail {
// The byte maps of the pointwise kernels (see `map_bytes_generic` for why they are structs),
// each on 32-byte vectors (portable and AVX2 entry points) and on 64-byte ones (AVX-512).

/// `-v` in unsigned lanes, so -128 wraps to itself (defined for every byte).
struct NegateBytes {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes32& v) const noexcept {
    v = reinterpret_cast<bytes32>(-reinterpret_cast<ubytes32>(v));
  }
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes64& v) const noexcept {
    v = reinterpret_cast<bytes64>(-reinterpret_cast<ubytes64>(v));
  }
};
/// Comparisons give -1 for true: sign(v) = (v < 0) - (v > 0) in mask arithmetic. On 64-byte
/// vectors the same map is written as a clamp to [-1, 1] (two selects: `vpmaxsb`, `vpminsb`).
struct SignBytes {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes32& v) const noexcept {
    v = (v < 0) - (v > 0);
  }
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes64& v) const noexcept {
    const bytes64 one = bytes64{} + 1;
    v = v < -one ? -one : v;
    v = v > one ? one : v;
  }
};
/// 1 where `v > 0`, else 0 (on trits: -1 becomes 0).
struct NonnegativeBytes {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes32& v) const noexcept {
    v = -(v > 0);
  }
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes64& v) const noexcept {
    v = -(v > 0);
  }
};
}  // namespace detail

/// Reference kernels. All are stateless, thread-safe and pure, and keep the contract by
/// construction (`contract_proven`).
namespace kernels {

/// `s -> -s` (an involution; radius 0).
struct SignFlip {
  static constexpr bool contract_proven = true;
  /// Writes the kernel's result on `in` into `out` (same shape, not overlapping `in`).
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    dashi::detail::map_bytes(in.data(), out.data(), in.size(), dashi::detail::NegateBytes{});
  }
  /// The bit-sliced form (`bits::BitKernel`): the sign plane flips on support.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    dashi::bits::detail::map_words<dashi::bits::detail::NegateWords>(
        in.support_data(), in.sign_data(), out.support_data(), out.sign_data(), in.words());
  }
};

/// The Python `ClampKernel`: the sign of every supported site forced to ±1, 0 off
/// support. Identity on valid carriers, hence idempotent (radius 0).
struct Clamp {
  static constexpr bool contract_proven = true;
  /// Writes the kernel's result on `in` into `out` (same shape, not overlapping `in`).
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    dashi::detail::map_bytes(in.data(), out.data(), in.size(), dashi::detail::SignBytes{});
  }
  /// The bit-sliced form (`bits::BitKernel`): a copy of the planes.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    dashi::bits::detail::map_words<dashi::bits::detail::CopyWords>(
        in.support_data(), in.sign_data(), out.support_data(), out.sign_data(), in.words());
  }
};

/// `-1 -> 0`, otherwise unchanged (idempotent; radius 0).
struct ClampNonnegative {
  static constexpr bool contract_proven = true;
  /// Writes the kernel's result on `in` into `out` (same shape, not overlapping `in`).
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    dashi::detail::map_bytes(in.data(), out.data(), in.size(), dashi::detail::NonnegativeBytes{});
  }
  /// The bit-sliced form (`bits::BitKernel`): the support shrinks to the +1 sites.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    dashi::bits::detail::map_words<dashi::bits::detail::NonnegativeWords>(
        in.support_data(), in.sign_data(), out.support_data(), out.sign_data(), in.words());
  }
};

}  // namespace kernels

}  // namespace dashi
