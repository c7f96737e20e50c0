// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The results the executors must reproduce, computed with the reference form alone (no
/// executor): the monolithic run, the run on a periodic boundary (the field padded
/// periodically along axis 0 by the halo, then cropped) and repeated application.

#include <algorithm>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/testing/forms.hpp>
#include <dashi/testing/random_fields.hpp>
#include <dashi/testing/report.hpp>

namespace dashi::testing::detail {

/// What lies beyond the ends of axis 0 for a reference: nothing, or the field again.
enum class Wrap { clip, periodic };

/// The reference form on `x` padded periodically along axis 0 by `halo` rows on each side
/// (wrapping as often as needed), cropped back to `x`'s rows. Throws what the kernel throws
/// and `std::bad_alloc`.
template <class K>
[[nodiscard]] TernaryField periodic_reference(const K& kernel, TernaryView x, std::size_t halo) {
  const std::size_t rows = x.shape().rows();
  const std::size_t row_elems = x.shape().row_elems();
  TernaryField padded = TernaryField::uninitialized(x.shape().with_rows(rows + 2 * halo));
  for (std::size_t r = 0; r < rows + 2 * halo; ++r) {
    const std::size_t source = (r + rows - halo % rows) % rows;
    std::copy_n(x.data() + source * row_elems, row_elems, padded.span().data() + r * row_elems);
  }
  TernaryField result = detail::filled_field(padded.shape(), poison);
  detail::run_reference(kernel, padded.view(), result.span());
  TernaryField cropped = TernaryField::uninitialized(x.shape());
  detail::copy_window(result.view(), halo, cropped.span());
  return cropped;
}

/// The reference form applied `steps` times to `x` (`steps` ≥ 1) on the boundary `wrap` with
/// halo `halo`. Throws what the kernel throws and `std::bad_alloc`.
template <class K>
[[nodiscard]] TernaryField repeated_reference(const K& kernel, TernaryView x, std::size_t steps,
                                              Wrap wrap, std::size_t halo) {
  TernaryField state = TernaryField::uninitialized(x.shape());
  std::copy_n(x.data(), x.size(), state.span().data());
  for (std::size_t step = 0; step < steps; ++step) {
    if (wrap == Wrap::periodic && halo != 0) {
      state = detail::periodic_reference(kernel, state.view(), halo);
    } else {
      TernaryField next = detail::filled_field(x.shape(), poison);
      detail::run_reference(kernel, state.view(), next.span());
      state = std::move(next);
    }
  }
  return state;
}

}  // namespace dashi::testing::detail
