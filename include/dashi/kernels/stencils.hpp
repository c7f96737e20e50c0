// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The shipped radius-1 stencils `LeftNeighbor` and `Majority3x3`, vector loops with
/// run-time dispatch (detail/stencil_simd.hpp), in the into and row-window forms. Reached
/// through `kernel.hpp`.

#include <cstddef>
#include <dashi/bits/detail/stencil_loops.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/carrier.hpp>
#include <dashi/detail/stencil_simd.hpp>
#include <stdexcept>
#include <string>

namespace dashi::kernels {

/// Radius-1 stencil along axis 0 (the Python `LeftNeighbor`): on support,
/// `out[i] = sign(s[i] + s[i-1])` with `s[-1] = 0` at the view's edge; off support 0.
/// For rank > 1 the neighbour is the previous axis-0 slice at the same position.
struct LeftNeighbor {
  static constexpr std::size_t radius = 1;
  static constexpr bool contract_proven = true;
  /// Writes the kernel's result on `in` into `out` (same shape, not overlapping `in`).
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    dashi::detail::left_neighbor(in.data(), out.data(), in.size(), in.shape().row_elems());
  }
  /// Rows `[first_row, first_row + out.shape().rows())` of the result on `in` (the
  /// `RowWindowKernel` form; the window must lie inside `in`).
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const noexcept {
    const std::size_t row_elems = in.shape().row_elems();
    dashi::detail::left_neighbor(in.data() + first_row * row_elems, out.data(), out.size(),
                                 row_elems, first_row > 0);
  }
  /// The bit-sliced form (`bits::BitKernel`): on support, 0 where the previous site has the
  /// opposite sign.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    bits_rows(in, 0, out);
  }
  /// Rows `[first_row, first_row + out.shape().rows())` of the bit-sliced result
  /// (`bits::BitRowWindowKernel`).
  void bits_rows(dashi::bits::BitView in, std::size_t first_row,
                 dashi::bits::BitSpan out) const noexcept {
    namespace bd = dashi::bits::detail;
    if (in.shape().rank() == 1) {
      bd::dispatch_bits<bd::LeftNeighborRun>(in.support_data(), in.sign_data(), in.words(),
                                             first_row / bd::word_sites, out.support_data(),
                                             out.sign_data(), out.words());
      bd::clear_run_padding(out);
    } else {
      bd::dispatch_bits<bd::LeftNeighborSlices>(in.support_data(), in.sign_data(), in.slice_words(),
                                                first_row, out.support_data(), out.sign_data(),
                                                out.shape().rows());
    }
  }
};

/// Radius-1, 2-D majority vote: on support, the sign of the sum of the 3×3 neighbourhood
/// (clipped at the view's edges), 0 on a tie; off support 0. Never creates support.
/// Throws `std::invalid_argument` for a field that is not 2-D.
struct Majority3x3 {
  static constexpr std::size_t radius = 1;
  static constexpr bool contract_proven = true;
  /// Writes the kernel's result on `in` into `out` (same shape, not overlapping `in`).
  /// Throws `std::invalid_argument` for a field that is not 2-D.
  void operator()(TernaryView in, TernarySpan out) const { into_rows(in, 0, out); }
  /// Rows `[first_row, first_row + out.shape().rows())` of the result on `in` (the
  /// `RowWindowKernel` form; the window must lie inside `in`). Throws like `operator()`.
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("dashi::kernels::Majority3x3 needs a 2-D field, got shape " +
                                  in.shape().to_string());
    }
    dashi::detail::majority3x3(in.data(), out.data(), in.shape()[0], in.shape()[1], first_row,
                               out.shape().rows());
  }
  /// The bit-sliced form (`bits::BitKernel`): 3 x 3 counts of +1 and -1 sites in bit-sliced
  /// adders, compared. Throws like `operator()`.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const { bits_rows(in, 0, out); }
  /// Rows `[first_row, first_row + out.shape().rows())` of the bit-sliced result
  /// (`bits::BitRowWindowKernel`). Throws like `operator()`.
  void bits_rows(dashi::bits::BitView in, std::size_t first_row, dashi::bits::BitSpan out) const {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("dashi::kernels::Majority3x3 needs a 2-D field, got shape " +
                                  in.shape().to_string());
    }
    namespace bd = dashi::bits::detail;
    bd::dispatch_bits<bd::MajorityRows>(in.support_data(), in.sign_data(), in.shape().rows(),
                                        in.slice_words(), first_row, out.support_data(),
                                        out.sign_data(), out.shape().rows());
  }
};

}  // namespace dashi::kernels
