// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Test kernels of radius 0..2 in both kernel forms: deliberately asymmetric stencils, a
/// radius-R erosion with a controllable number of steps to its fixed point, functional-form
/// kernels, the mock kernels of the Python reference and kernels that break the contract.
/// All are pure and thread-safe; the into forms throw nothing, the functional forms only
/// std::bad_alloc.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>

#include "support/names.hpp"

namespace dashi_test {

inline std::int8_t sign_of(int v) noexcept { return static_cast<std::int8_t>((v > 0) - (v < 0)); }

/// Writes 0 off support and `value(i)` on every supported site `i` of `in` (row-major).
template <class Value>
void on_support(TernaryView in, TernarySpan out, Value value) noexcept {
  const std::int8_t* s = in.data();
  for (std::size_t i = 0; i < in.size(); ++i) {
    out.data()[i] = s[i] == 0 ? std::int8_t{0} : value(i);
  }
}

/// Radius-2 stencil along axis 0 for any rank: on support, the sign of
/// `Wm2 s[-2] + Wm1 s[-1] + W0 s[0] + Wp1 s[+1] + Wp2 s[+2]` (offsets in axis-0 slices;
/// missing neighbours beyond the view's edges count 0); off support 0.
template <int Wm2, int Wm1, int W0, int Wp1, int Wp2>
struct AxisWeighted2 {
  static constexpr std::size_t radius = 2;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    static constexpr int weights[5] = {Wm2, Wm1, W0, Wp1, Wp2};
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    on_support(in, out, [&](std::size_t i) {
      int sum = weights[2] * s[i];
      for (std::size_t k = 1; k <= 2; ++k) {
        if (i >= k * stride) {
          sum += weights[2 - k] * s[i - k * stride];
        }
        if (i + k * stride < n) {
          sum += weights[2 + k] * s[i + k * stride];
        }
      }
      return sign_of(sum);
    });
  }
};

/// Deliberately asymmetric weights `s[-2] - s[-1] + s[0] + 2 s[+1] - s[+2]`.
using AxisStencil2 = AxisWeighted2<1, -1, 1, 2, -1>;

/// Weights `2 s[-2] - s[-1] + s[0] + s[+1] - 2 s[+2]`: signs keep changing for many steps.
using AxisRadius2 = AxisWeighted2<2, -1, 1, 1, -2>;

/// Radius-1 cross stencil for any rank: on support, the sign of the sum of the four
/// neighbours (previous/next axis-0 slice at the same position, previous/next site inside
/// the slice), keeping the site's own value on a tie; off support 0.
struct CrossStencil {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    on_support(in, out, [&](std::size_t i) {
      const std::size_t col = i % stride;
      int sum = 0;
      sum += i >= stride ? s[i - stride] : 0;
      sum += i + stride < n ? s[i + stride] : 0;
      sum += col > 0 ? s[i - 1] : 0;
      sum += col + 1 < stride ? s[i + 1] : 0;
      return sum == 0 ? s[i] : sign_of(sum);
    });
  }
};

/// Radius-0 into kernel that reads along its axis-0 slice (a row of `row_elems` sites):
/// on support, the sign of the site plus its previous and next site inside the same slice,
/// keeping the site's value on a tie; off support 0. It does not declare
/// `contract_proven`, so the executor checks its blocks (piece by piece for radius 0).
struct RowMajority {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t stride = in.shape().row_elems();
    const std::int8_t* s = in.data();
    on_support(in, out, [&](std::size_t i) {
      const std::size_t col = i % stride;
      const int sum = s[i] + (col > 0 ? s[i - 1] : 0) + (col + 1 < stride ? s[i + 1] : 0);
      return sum == 0 ? s[i] : sign_of(sum);
    });
  }
};

/// Functional-form kernel of radius 1: `out[i] = s[i] * s[i + stride]` (the next axis-0
/// slice), with 1 in place of the missing neighbour past the view's last slice.
struct FunctionalRightProduct {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < n; ++i) {
      const int right = i + stride < n ? s[i + stride] : 1;
      out.data()[i] = static_cast<std::int8_t>(s[i] * right);
    }
    return out;
  }
};

/// Functional-form SignFlip (radius 0).
struct FunctionalSignFlip {
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
    return out;
  }
};

/// Functional-form kernel of radius 1 (any rank): on support the sign of
/// `s[-1] - s[0] + 2 s[+1]` along axis 0 (0 past the view's edges), off support 0.
/// An isolated site flips every step, so this kernel rarely reaches a fixed point.
struct FunctionalStencil {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    on_support(in, out.span(), [&](std::size_t i) {
      const int before = i >= stride ? s[i - stride] : 0;
      const int after = i + stride < n ? s[i + stride] : 0;
      return sign_of(before - s[i] + 2 * after);
    });
    return out;
  }
};

/// Radius-R erosion along axis 0 (any rank): a site survives when the site R slices
/// before it has the same sign (past the view's first slices: dies). A run of equal signs
/// of length L along axis 0 disappears in about L / R steps, so the fixed point arrives
/// after as many steps as the longest run needs: a kernel with a data-dependent,
/// controllable number of steps to its fixed point.
template <std::size_t R>
struct SameSignBehind {
  static constexpr std::size_t radius = R;
  static constexpr bool contract_proven = true;  // output is the input or 0
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t back = R * in.shape().row_elems();
    const std::int8_t* s = in.data();
    std::int8_t* d = out.data();
    for (std::size_t i = 0; i < in.size(); ++i) {
      d[i] = i >= back && s[i - back] == s[i] ? s[i] : std::int8_t{0};
    }
  }
};

/// Functional-form erosion of radius 1 with functional output: `SameSignBehind<1>`.
struct FunctionalSameSignBehind {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    SameSignBehind<1>{}(in, out.span());
    return out;
  }
};

// Mock kernels of the Python reference (dashi_core/testing/mock_kernels.py).

/// Identity (idempotent).
struct IdentityKernel {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::copy_n(in.data(), in.size(), out.data());
  }
};

/// All sites to 0 (idempotent).
struct ZeroKernel {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::fill_n(out.data(), in.size(), std::int8_t{0});
  }
};

/// Clears the first supported site in row-major order (contractive, not idempotent, not
/// local: only for monolithic use).
struct OneStepErodeKernel {
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::from_signed(in.values(), in.shape());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in.value(i) != 0) {
        out.data()[i] = 0;
        break;
      }
    }
    return out;
  }
};

/// Copy (admissibility-neutral, idempotent).
struct AdmissibilityNeutralKernel {
  TernaryField operator()(TernaryView in) const {
    return TernaryField::from_signed(in.values(), in.shape());
  }
};

/// Returns a 1-D field of `in.size() + 1` sites: a shape drift.
struct WrongShapeKernel {
  TernaryField operator()(TernaryView in) const {
    return TernaryField::zeros(Shape{in.size() + 1});
  }
};

/// Writes +1 on every site: creates support wherever the input is 0.
struct FillOnesKernel {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::fill_n(out.data(), in.size(), std::int8_t{1});
  }
};

}  // namespace dashi_test
