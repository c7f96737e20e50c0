// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The forms a kernel may offer, each described once: its name, whether a type offers it,
/// whether it computes a window of rows on its own, and how to run it for rows
/// `[first_row, first_row + out.shape().rows())` of its result on `in`. `check_kernel`
/// compares every offered form with the reference form (the one the executors use for whole
/// blocks). A new form is one more descriptor here and one more entry in `Forms`.

#include <algorithm>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/kernel_concepts.hpp>
#include <string>
#include <tuple>
#include <type_traits>

namespace dashi::testing::detail {

/// Copies rows `[first_row, first_row + out.shape().rows())` of `whole` into `out`.
inline void copy_window(TernaryView whole, std::size_t first_row, TernarySpan out) {
  const TernaryView rows = whole.rows(first_row, out.shape().rows());
  std::copy_n(rows.data(), rows.size(), out.data());
}

/// `void k(TernaryView in, TernarySpan out)`.
struct IntoForm {
  static constexpr const char* name = "into";
  static constexpr bool windowed = false;
  template <class K>
  static constexpr bool offered = IntoKernel<K>;
  template <class K>
  static void run(const K& kernel, TernaryView in, std::size_t first_row, TernarySpan out) {
    if (first_row == 0 && out.shape() == in.shape()) {
      kernel(in, out);
      return;
    }
    TernaryField whole = TernaryField::uninitialized(in.shape());
    kernel(in, whole.span());
    detail::copy_window(whole.view(), first_row, out);
  }
};

/// `TernaryField k(TernaryView in)`. Throws `KernelContractError` when the result does not
/// have `in`'s shape.
struct FunctionalForm {
  static constexpr const char* name = "functional";
  static constexpr bool windowed = false;
  template <class K>
  static constexpr bool offered = Kernel<K>;
  template <class K>
  static void run(const K& kernel, TernaryView in, std::size_t first_row, TernarySpan out) {
    const TernaryField whole = kernel(in);
    if (!(whole.shape() == in.shape())) {
      throw KernelContractError("the functional form returned shape " + whole.shape().to_string() +
                                " for an input of shape " + in.shape().to_string());
    }
    detail::copy_window(whole.view(), first_row, out);
  }
};

/// `k.into_rows(in, first_row, out)` (`RowWindowKernel`).
struct IntoRowsForm {
  static constexpr const char* name = "into_rows";
  static constexpr bool windowed = true;
  template <class K>
  static constexpr bool offered = RowWindowKernel<K>;
  template <class K>
  static void run(const K& kernel, TernaryView in, std::size_t first_row, TernarySpan out) {
    kernel.into_rows(in, first_row, out);
  }
};

/// Every form, the reference candidates first: the reference of a kernel is the first form
/// here that it offers (the into form when it has one, as in the executors).
using Forms = std::tuple<IntoForm, FunctionalForm, IntoRowsForm>;

/// The reference form of `K`.
template <class K>
using ReferenceForm = std::conditional_t<IntoKernel<K>, IntoForm, FunctionalForm>;

/// Calls `f(Form{})` for every form of `Forms` that `K` offers, in order.
template <class K, class F>
void for_each_offered_form(F&& f) {
  std::apply(
      [&](auto... forms) {
        const auto visit = [&](auto form) {
          if constexpr (decltype(form)::template offered<K>) {
            f(form);
          }
        };
        (visit(forms), ...);
      },
      Forms{});
}

/// The reference form's result on `in`, written into `out` (same shape).
template <class K>
void run_reference(const K& kernel, TernaryView in, TernarySpan out) {
  ReferenceForm<K>::run(kernel, in, 0, out);
}

}  // namespace dashi::testing::detail
