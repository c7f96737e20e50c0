// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Helpers of the iteration-toolkit tests (iterate, compose, reduce, defect, periodic
/// boundaries): seeded fields, monolithic references written independently of the
/// executor (step loops, periodic padding by hand), readable case descriptions, a cap on
/// reported failures for sweeps, and test kernels of radius 0..2 in both kernel forms.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernel.hpp>
#include <initializer_list>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "support/compare.hpp"
#include "support/fields.hpp"
#include "support/seeded.hpp"

namespace dashi_iter {

using dashi::Boundary;
using dashi::IterateOptions;
using dashi::ParallelOptions;
using dashi::Shape;
using dashi::TernaryField;
using dashi::TernarySpan;
using dashi::TernaryView;

// ---------------------------------------------------------------------------------------
// Seeded fields.

using Rng = dashi_test::Rng;

/// Shape from a run-time list of extents (the one helper of support/fields.hpp).
using dashi_test::make_shape;
inline Shape shape_of(std::initializer_list<std::size_t> extents) { return make_shape(extents); }

/// Seeded field: 0 with probability `zeros`, otherwise ±1 with equal odds (the one
/// generator of support/fields.hpp).
using dashi_test::random_field;

/// Field of `shape` with every site set to `value`.
inline TernaryField constant_field(const Shape& shape, std::int8_t value) {
  TernaryField field = TernaryField::uninitialized(shape);
  std::fill_n(field.data(), field.size(), value);
  return field;
}

/// A deep copy of `view` as an owning field.
inline TernaryField copy_of(TernaryView view) {
  TernaryField field = TernaryField::uninitialized(view.shape());
  std::copy_n(view.data(), view.size(), field.data());
  return field;
}

// ---------------------------------------------------------------------------------------
// References, independent of the executor: one monolithic kernel call per step.

/// `field` padded along axis 0 by `halo` rows on each side, wrapping around: padded row
/// `p` is row `(p - halo) mod rows` (several times around when `halo > rows`).
inline TernaryField pad_periodic(TernaryView field, std::size_t halo) {
  const std::size_t rows = field.shape().rows();
  const std::size_t row_elems = field.shape().row_elems();
  TernaryField padded = TernaryField::uninitialized(field.shape().with_rows(rows + 2 * halo));
  for (std::size_t p = 0; p < rows + 2 * halo; ++p) {
    // (p - halo) mod rows without unsigned wrap-around: add a multiple of rows first.
    const std::size_t source = (p + rows * (halo / rows + 1) - halo) % rows;
    std::copy_n(field.data() + source * row_elems, row_elems, padded.data() + p * row_elems);
  }
  return padded;
}

/// Rows `[first, first + count)` of `field` as an owning field.
inline TernaryField crop_rows(TernaryView field, std::size_t first, std::size_t count) {
  return copy_of(field.rows(first, count));
}

/// One monolithic application of `kernel`: on the field itself (`clip`), or on the field
/// padded periodically by `halo` rows and cropped back (`periodic`).
template <class K>
TernaryField reference_step(const K& kernel, TernaryView x, Boundary boundary, std::size_t halo) {
  if (boundary == Boundary::clip || x.size() == 0) {
    return dashi::apply_kernel(kernel, x);
  }
  const TernaryField padded = pad_periodic(x, halo);
  const TernaryField result = dashi::apply_kernel(kernel, padded.view());
  return crop_rows(result.view(), halo, x.shape().rows());
}

/// The states `x_0 = x, x_1, ..., x_steps` of the monolithic step loop.
template <class K>
std::vector<TernaryField> reference_trajectory(const K& kernel, TernaryView x, std::size_t steps,
                                               Boundary boundary = Boundary::clip,
                                               std::size_t halo = dashi::kernel_radius_v<K>) {
  std::vector<TernaryField> states;
  states.reserve(steps + 1);
  states.push_back(copy_of(x));
  for (std::size_t s = 0; s < steps; ++s) {
    states.push_back(reference_step(kernel, states.back().view(), boundary, halo));
  }
  return states;
}

/// The state after `steps` monolithic applications.
template <class K>
TernaryField reference_iterate(const K& kernel, TernaryView x, std::size_t steps,
                               Boundary boundary = Boundary::clip,
                               std::size_t halo = dashi::kernel_radius_v<K>) {
  TernaryField state = copy_of(x);
  for (std::size_t s = 0; s < steps; ++s) {
    state = reference_step(kernel, state.view(), boundary, halo);
  }
  return state;
}

/// Monolithic fixed point search: the first `k <= max_steps` with `K(x_k) == x_k`
/// (`found`), else `max_steps` (`!found`); `state` is `x_k`.
struct ReferenceFixedPoint {
  TernaryField state;
  std::size_t steps = 0;
  bool found = false;
};

template <class K>
ReferenceFixedPoint reference_fixed_point(const K& kernel, TernaryView x, std::size_t max_steps,
                                          Boundary boundary = Boundary::clip,
                                          std::size_t halo = dashi::kernel_radius_v<K>) {
  ReferenceFixedPoint result{copy_of(x), 0, false};
  for (std::size_t k = 0; k < max_steps; ++k) {
    TernaryField next = reference_step(kernel, result.state.view(), boundary, halo);
    if (next == result.state) {
      result.found = true;
      return result;
    }
    result.state = std::move(next);
    result.steps = k + 1;
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Descriptions.

using dashi_test::first_difference;

inline const char* boundary_name(Boundary boundary) {
  return boundary == Boundary::clip ? "clip" : "periodic";
}

/// "workers=3 block_elems=7 halo=radius boundary=clip" (and steps_per_sync when given).
inline std::string describe(const ParallelOptions& options) {
  std::ostringstream out;
  out << "workers=" << options.num_workers << " block_elems=" << options.block_elems << " halo=";
  if (options.halo) {
    out << *options.halo;
  } else {
    out << "radius";
  }
  out << " boundary=" << boundary_name(options.boundary)
      << " check_contract=" << options.check_contract;
  return out.str();
}

inline std::string describe(const IterateOptions& options) {
  return describe(static_cast<const ParallelOptions&>(options)) +
         " steps_per_sync=" + std::to_string(options.steps_per_sync);
}

/// Counts the failures of a sweep so that a systematic bug reports a few cases, not all.
class FailureBudget {
 public:
  explicit FailureBudget(std::size_t budget = 8) : budget_(budget) {}
  /// Records a failure; false once the budget is spent (the caller then stops the sweep).
  bool fail() noexcept { return ++failures_ < budget_; }
  [[nodiscard]] std::size_t failures() const noexcept { return failures_; }

 private:
  std::size_t budget_;
  std::size_t failures_ = 0;
};

// ---------------------------------------------------------------------------------------
// Test kernels. All are pure and thread-safe; none creates support.

inline std::int8_t sign_of(int v) noexcept { return static_cast<std::int8_t>((v > 0) - (v < 0)); }

/// Radius-2, deliberately asymmetric stencil along axis 0 (any rank): on support the sign
/// of `2 s[-2] - s[-1] + s[0] + s[+1] - 2 s[+2]` (offsets in axis-0 slices, 0 past the
/// view's edges), off support 0. Signs keep changing for many steps.
struct AxisRadius2 {
  static constexpr std::size_t radius = 2;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    static constexpr int weights[5] = {2, -1, 1, 1, -2};
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    std::int8_t* d = out.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] == 0) {
        d[i] = 0;
        continue;
      }
      int sum = weights[2] * s[i];
      for (std::size_t k = 1; k <= 2; ++k) {
        if (i >= k * stride) {
          sum += weights[2 - k] * s[i - k * stride];
        }
        if (i + k * stride < n) {
          sum += weights[2 + k] * s[i + k * stride];
        }
      }
      d[i] = sign_of(sum);
    }
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
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] == 0) {
        out.data()[i] = 0;
        continue;
      }
      const int before = i >= stride ? s[i - stride] : 0;
      const int after = i + stride < n ? s[i + stride] : 0;
      out.data()[i] = sign_of(before - s[i] + 2 * after);
    }
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

/// Functional-form erosion of radius 1 with functional output: `SameSignBehind<1>`.
struct FunctionalSameSignBehind {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    SameSignBehind<1>{}(in, out.span());
    return out;
  }
};

}  // namespace dashi_iter
