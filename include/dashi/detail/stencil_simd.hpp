// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The shipped stencils (`LeftNeighbor`, `Majority3x3`) as vector loops written with the
/// GCC/Clang vector extensions of byte_simd.hpp, each body a template over the vector
/// (`bytes32` or `bytes64`) compiled into exact-target entry points (see simd/isa.hpp)
/// chosen at run time: portable and AVX2 over 32 sites, AVX-512 over 64 (LeftNeighbor also
/// with streaming stores for large outputs, at both widths). Inputs are valid trits, so every
/// neighbourhood sum fits a signed byte. Thread-safe (they touch only their arguments).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/byte_simd.hpp>

namespace dashi::detail {

/// On support the sign of `sum`, off support 0, one vector at a time: the sign as a clamp
/// of `sum` to [-1, 1] (two selects: `vpmaxsb`, `vpminsb`), masked by `-(centre & 1)`, which
/// is all ones exactly where the trit `centre` is not 0 (no compares, so no mask registers
/// on AVX-512).
template <class Bytes>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void signed_on_support(
    const Bytes& centre, const Bytes& sum, Bytes& out) noexcept {
  const Bytes one = Bytes{} + 1;
  Bytes sign = sum < -one ? -one : sum;
  sign = sign > one ? one : sign;
  out = sign & -(centre & one);
}

/// The same for one site.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::int8_t
signed_on_support(int centre, int sum) noexcept {
  return centre == 0 ? std::int8_t{0} : static_cast<std::int8_t>((sum > 0) - (sum < 0));
}

// ---------------------------------------------------------------------------------------
// LeftNeighbor: out[i] = on support sign(in[i] + in[i - stride]), in[i - stride] = 0 in the
// first slice of the field. `has_previous` says that `in` starts after the field's first
// slice, so the slice before it (`in - stride`) is in memory and is read.
// ---------------------------------------------------------------------------------------

/// LeftNeighbor of the vector at site `i` (which has its previous slice) into `result`.
template <class Bytes>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void left_neighbor_vector(
    const std::int8_t* in, std::size_t i, std::size_t stride, Bytes& result) noexcept {
  Bytes centre{};
  Bytes left{};
  std::memcpy(&centre, in + i, sizeof centre);
  std::memcpy(&left, in + i - stride, sizeof left);
  signed_on_support(centre, centre + left, result);
}

template <class Bytes = bytes32>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void left_neighbor_generic(
    const std::int8_t* in, std::int8_t* out, std::size_t n, std::size_t stride,
    bool has_previous) noexcept {
  const std::size_t first = has_previous ? 0 : (stride < n ? stride : n);
  // Without a left neighbour a trit is its own sign on support: the first slice is a copy.
  if (first != 0) {
    std::memcpy(out, in, first);
  }
  std::size_t i = first;
  Bytes result{};
  for (; i + sizeof(Bytes) <= n; i += sizeof(Bytes)) {
    left_neighbor_vector(in, i, stride, result);
    std::memcpy(out + i, &result, sizeof result);
  }
  for (; i < n; ++i) {
    out[i] = signed_on_support(in[i], in[i] + in[i - stride]);
  }
}

[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline void left_neighbor_portable(
    const std::int8_t* in, std::int8_t* out, std::size_t n, std::size_t stride,
    bool has_previous) noexcept {
  left_neighbor_generic(in, out, n, stride, has_previous);
}

#if DASHI_DETAIL_X86
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void left_neighbor_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t n, std::size_t stride,
    bool has_previous) noexcept {
  left_neighbor_generic(in, out, n, stride, has_previous);
}

/// Where the streaming loops start: after the sites without a previous slice and at the
/// first `width`-byte boundary of `out` after them (at most `n`).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
streaming_start(const std::int8_t* out, std::size_t n, std::size_t stride, bool has_previous,
                std::size_t width) noexcept {
  // Ternaries, not `std::min`: it has no target attribute, so in a wider unit it could stay
  // a call compiled with that unit's flags inside the exact entry points.
  const std::size_t first = has_previous ? 0 : (stride < n ? stride : n);
  const std::size_t misalignment = reinterpret_cast<std::uintptr_t>(out + first) % width;
  const std::size_t start = first + (width - misalignment) % width;
  return start < n ? start : n;
}

/// `left_neighbor_avx2` with non-temporal stores (as `map_bytes_streaming_avx2`): the head
/// up to `streaming_start` the usual way, then streaming stores, a store fence, and the
/// tail (every site from the head on has its previous slice).
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void left_neighbor_streaming_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t n, std::size_t stride,
    bool has_previous) noexcept {
  const std::size_t head = streaming_start(out, n, stride, has_previous, 32);
  left_neighbor_generic<bytes32>(in, out, head, stride, has_previous);
  std::size_t i = head;
  bytes32 result{};
  for (; i + 32 <= n; i += 32) {
    left_neighbor_vector(in, i, stride, result);
    x86::stream32(out + i, result);
  }
  x86::store_fence();
  left_neighbor_generic<bytes32>(in + i, out + i, n - i, stride, true);
}

/// LeftNeighbor over 64-site vectors.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void left_neighbor_avx512(
    const std::int8_t* in, std::int8_t* out, std::size_t n, std::size_t stride,
    bool has_previous) noexcept {
  left_neighbor_generic<bytes64>(in, out, n, stride, has_previous);
}

/// `left_neighbor_avx512` with 64-byte non-temporal stores (as the AVX2 one).
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void left_neighbor_streaming_avx512(
    const std::int8_t* in, std::int8_t* out, std::size_t n, std::size_t stride,
    bool has_previous) noexcept {
  const std::size_t head = streaming_start(out, n, stride, has_previous, 64);
  left_neighbor_generic<bytes64>(in, out, head, stride, has_previous);
  std::size_t i = head;
  bytes64 result{};
  for (; i + 64 <= n; i += 64) {
    left_neighbor_vector(in, i, stride, result);
    x86::stream64(out + i, result);
  }
  x86::store_fence();
  left_neighbor_generic<bytes64>(in + i, out + i, n - i, stride, true);
}
#endif

/// `LeftNeighbor` over `n` sites with slices of `stride` sites, with AVX-512 or AVX2 when active
/// (streaming the stores of large outputs, see `stream_stores`); with `has_previous`, the
/// slice before `in` is read as the first slice's neighbour. `in` and `out` must not overlap.
inline void left_neighbor(const std::int8_t* in, std::int8_t* out, std::size_t n,
                          std::size_t stride, bool has_previous = false) noexcept {
  if (stream_stores(out, n)) {
    dispatch<DASHI_DETAIL_PATHS(&left_neighbor_portable, &left_neighbor_streaming_avx2,
                                &left_neighbor_streaming_avx512)>(active_isa(), in, out, n, stride,
                                                                  has_previous);
  } else {
    dispatch<DASHI_DETAIL_PATHS(&left_neighbor_portable, &left_neighbor_avx2,
                                &left_neighbor_avx512)>(active_isa(), in, out, n, stride,
                                                        has_previous);
  }
}

// ---------------------------------------------------------------------------------------
// Majority3x3: on support the sign of the 3×3 neighbourhood sum, clipped at the edges.
// ---------------------------------------------------------------------------------------

/// Column `c` of the three rows summed (absent rows count 0).
template <bool HasUp, bool HasDown>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline int column_sum(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down,
    std::size_t c) noexcept {
  // Trits are signed: each term widens with its sign; an absent row adds 0 and is not read.
  return mid[c] + (HasUp ? up[c] : 0) + (HasDown ? down[c] : 0);
}

/// Adds the three horizontally adjacent vector-wide windows of `row` around `c` to `sum`.
template <class Bytes>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void add_window(const std::int8_t* row,
                                                                           std::size_t c,
                                                                           Bytes& sum) noexcept {
  Bytes v{};
  std::memcpy(&v, row + c - 1, sizeof v);
  sum += v;
  std::memcpy(&v, row + c, sizeof v);
  sum += v;
  std::memcpy(&v, row + c + 1, sizeof v);
  sum += v;
}

/// One site of a majority row (the edge columns and the tail of the vector loop).
template <bool HasUp, bool HasDown>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void majority_site(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t cols, std::size_t c) noexcept {
  int sum = column_sum<HasUp, HasDown>(up, mid, down, c);
  if (c > 0) {
    sum += column_sum<HasUp, HasDown>(up, mid, down, c - 1);
  }
  if (c + 1 < cols) {
    sum += column_sum<HasUp, HasDown>(up, mid, down, c + 1);
  }
  out[c] = signed_on_support(mid[c], sum);
}

/// One vector of a majority row at column `c` (reads columns `c - 1 .. c + width`).
template <bool HasUp, bool HasDown, class Bytes>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void majority_vector(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t c) noexcept {
  Bytes sum{};
  add_window(mid, c, sum);
  if constexpr (HasUp) {
    add_window(up, c, sum);
  }
  if constexpr (HasDown) {
    add_window(down, c, sum);
  }
  Bytes centre{};
  Bytes result{};
  std::memcpy(&centre, mid + c, sizeof centre);
  signed_on_support(centre, sum, result);
  std::memcpy(out + c, &result, sizeof result);
}

/// One output row from its row (`mid`) and the rows above and below when present: the edge
/// columns (and rows too narrow for a vector) site by site, the rest in vectors of `Bytes`.
template <bool HasUp, bool HasDown, class Bytes>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void majority_row(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t cols) noexcept {
  if (cols == 0) {
    return;
  }
  majority_site<HasUp, HasDown>(up, mid, down, out, cols, 0);
  constexpr std::size_t width = sizeof(Bytes);
  std::size_t c = 1;
  for (; c + width + 1 <= cols; c += width) {
    majority_vector<HasUp, HasDown, Bytes>(up, mid, down, out, c);
  }
  if (c > 1 && c + 1 < cols) {
    // The rest but the last column as one more vector ending at column cols - 2, overlapping
    // the one before it (it writes the same values there), instead of a scalar tail.
    majority_vector<HasUp, HasDown, Bytes>(up, mid, down, out, cols - 1 - width);
    c = cols - 1;
  }
  for (; c < cols; ++c) {
    majority_site<HasUp, HasDown>(up, mid, down, out, cols, c);
  }
}

/// Rows `[first_row, first_row + out_rows)` of the majority of a `rows × cols` field `in`,
/// written to `out` (`out_rows × cols`).
template <class Bytes = bytes32>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void majority3x3_generic(
    const std::int8_t* in, std::int8_t* out, std::size_t rows, std::size_t cols,
    std::size_t first_row, std::size_t out_rows) noexcept {
  for (std::size_t r = first_row; r < first_row + out_rows; ++r) {
    const std::int8_t* mid = in + r * cols;
    const bool has_up = r > 0;
    const bool has_down = r + 1 < rows;
    const std::int8_t* up = has_up ? mid - cols : nullptr;
    const std::int8_t* down = has_down ? mid + cols : nullptr;
    std::int8_t* dst = out + (r - first_row) * cols;
    if (has_up && has_down) {
      majority_row<true, true, Bytes>(up, mid, down, dst, cols);
    } else if (has_up) {
      majority_row<true, false, Bytes>(up, mid, down, dst, cols);
    } else if (has_down) {
      majority_row<false, true, Bytes>(up, mid, down, dst, cols);
    } else {
      majority_row<false, false, Bytes>(nullptr, mid, nullptr, dst, cols);
    }
  }
}

[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE inline void majority3x3_portable(
    const std::int8_t* in, std::int8_t* out, std::size_t rows, std::size_t cols,
    std::size_t first_row, std::size_t out_rows) noexcept {
  majority3x3_generic(in, out, rows, cols, first_row, out_rows);
}

#if DASHI_DETAIL_X86
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void majority3x3_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t rows, std::size_t cols,
    std::size_t first_row, std::size_t out_rows) noexcept {
  majority3x3_generic(in, out, rows, cols, first_row, out_rows);
}

/// Majority3x3 over 64-site vectors.
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_EXACT inline void majority3x3_avx512(
    const std::int8_t* in, std::int8_t* out, std::size_t rows, std::size_t cols,
    std::size_t first_row, std::size_t out_rows) noexcept {
  majority3x3_generic<bytes64>(in, out, rows, cols, first_row, out_rows);
}
#endif

/// Rows `[first_row, first_row + out_rows)` of `Majority3x3` over a `rows × cols` field,
/// into `out` (`out_rows × cols`), with AVX-512 or AVX2 when active. `in` and `out` must
/// not overlap.
inline void majority3x3(const std::int8_t* in, std::int8_t* out, std::size_t rows, std::size_t cols,
                        std::size_t first_row, std::size_t out_rows) noexcept {
  dispatch<DASHI_DETAIL_PATHS(&majority3x3_portable, &majority3x3_avx2, &majority3x3_avx512)>(
      active_isa(), in, out, rows, cols, first_row, out_rows);
}

}  // namespace dashi::detail
