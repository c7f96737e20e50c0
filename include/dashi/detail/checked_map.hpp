// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `map_bytes_checked`: a byte map (see `map_bytes`) that also tells whether every input byte
/// was a trit, in the same pass. For input that is not known to be valid (a numpy array):
/// the check costs two vector operations per load instead of a second pass over the data.
/// Entry points as in byte_simd.hpp (portable, AVX2, AVX2 with streaming stores), exact
/// targets, chosen at run time. Thread-safe (touches only its arguments); throws nothing.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/byte_simd.hpp>

namespace dashi::detail {

/// Marks in `bad` the lanes of `v` that are not trits (signed compares: above 1 or below -1).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void mark_non_trits(
    const bytes32& v, bytes32& bad) noexcept {
  bad |= (v > 1) | (v < -1);
}

/// True when some lane of `bad` is set.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline bool any_lane(
    const bytes32& bad) noexcept {
  std::uint64_t words[4];  // NOLINT(modernize-avoid-c-arrays): the lanes, reduced
  std::memcpy(words, &bad, sizeof words);
  return (words[0] | words[1] | words[2] | words[3]) != 0;
}

/// `map_bytes_generic` that returns false when some input byte is not a trit (the output is
/// then unspecified where the input was not a trit). The tail is padded with zeros (trits).
template <class Op>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline bool
map_bytes_checked_generic(const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  bytes32 bad{};
  bytes32 v{};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    load32(v, in + i);
    mark_non_trits(v, bad);
    op(v);
    store32(out + i, v);
  }
  if (i < n) {
    v = bytes32{};
    std::memcpy(&v, in + i, n - i);
    mark_non_trits(v, bad);
    op(v);
    std::memcpy(out + i, &v, n - i);
  }
  return !any_lane(bad);
}

template <class Op>
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE bool map_bytes_checked_portable(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  return map_bytes_checked_generic(in, out, n, op);
}

#if DASHI_DETAIL_X86
template <class Op>
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT bool map_bytes_checked_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  return map_bytes_checked_generic(in, out, n, op);
}

/// `map_bytes_checked_avx2` with non-temporal stores after the first 32-byte boundary of
/// `out`, and a store fence before returning (as `map_bytes_streaming_avx2`).
template <class Op>
[[nodiscard]] [[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT bool
map_bytes_checked_streaming_avx2(const std::int8_t* in, std::int8_t* out, std::size_t n, Op op) {
  const std::size_t head = head_bytes(out, n, 32);
  bool valid = map_bytes_checked_generic(in, out, head, op);
  std::size_t i = head;
  bytes32 bad{};
  bytes32 v{};
  for (; i + 32 <= n; i += 32) {
    load32(v, in + i);
    mark_non_trits(v, bad);
    op(v);
    x86::stream32(out + i, v);
  }
  x86::store_fence();
  valid = map_bytes_checked_generic(in + i, out + i, n - i, op) && valid;
  return valid && !any_lane(bad);
}
#endif

/// Applies the byte map `op` (as `map_bytes`) over `n` bytes and returns true when every
/// input byte was a trit; when it returns false the output is unspecified where the input
/// was not a trit (find the site with `first_non_trit`). With AVX2 when `active_isa()` is
/// AVX2 or higher (there is no AVX-512 path; `DASHI_ISA=portable` selects the portable
/// loop), streaming the stores of large outputs (see `stream_stores`).
template <class Op>
[[nodiscard]] inline bool map_bytes_checked(const std::int8_t* in, std::int8_t* out, std::size_t n,
                                            Op op) {
  if (stream_stores(out, n)) {
    return dispatch<DASHI_DETAIL_PATHS(&map_bytes_checked_portable<Op>,
                                       &map_bytes_checked_streaming_avx2<Op>, nullptr)>(
        active_isa(), in, out, n, op);
  }
  return dispatch<DASHI_DETAIL_PATHS(&map_bytes_checked_portable<Op>, &map_bytes_checked_avx2<Op>,
                                     nullptr)>(active_isa(), in, out, n, op);
}

}  // namespace dashi::detail
