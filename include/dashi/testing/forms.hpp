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
#include <dashi/bits/field.hpp>
#include <dashi/bits/kernel.hpp>
#include <dashi/bits/pack.hpp>
#include <dashi/bits/validate.hpp>
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

/// Rows `[first_row, first_row + out rows)` of the planes `result` (of `in`'s shape, written by
/// the form `name`) into `out`; `KernelContractError` when the planes are not canonical.
inline void unpack_window(const bits::BitField& result, const char* name, std::size_t first_row,
                          TernarySpan out) {
  try {
    bits::validate(result);
  } catch (const CarrierError& e) {
    throw KernelContractError(std::string("the ") + name + " form wrote planes that are not " +
                              "canonical: " + e.what());
  }
  const TernaryField whole = bits::unpack(result);
  detail::copy_window(whole.view(), first_row, out);
}

/// `k.bits(in, out)` on the bit planes of `in` (`bits::BitKernel`).
struct BitsForm {
  static constexpr const char* name = "bits";
  static constexpr bool windowed = false;
  template <class K>
  static constexpr bool offered = bits::BitKernel<K>;
  template <class K>
  static void run(const K& kernel, TernaryView in, std::size_t first_row, TernarySpan out) {
    const bits::BitField planes = bits::pack(in);
    bits::BitField result = bits::BitField::zeros(in.shape());
    kernel.bits(planes.view(), result.span());
    unpack_window(result, name, first_row, out);
  }
};

/// `k.bits_rows(in, first_row, out)` on the bit planes of `in` (`bits::BitRowWindowKernel`).
/// A 1-D window is widened to whole words (as the executor asks for it), then cut.
struct BitsRowsForm {
  static constexpr const char* name = "bits_rows";
  static constexpr bool windowed = true;
  template <class K>
  static constexpr bool offered = bits::BitRowWindowKernel<K>;
  template <class K>
  static void run(const K& kernel, TernaryView in, std::size_t first_row, TernarySpan out) {
    const bits::BitField planes = bits::pack(in);
    const std::size_t rows = in.shape().rows();
    const std::size_t end = first_row + out.shape().rows();
    const std::size_t quantum = in.shape().rank() == 1 ? bits::detail::word_sites : 1;
    const std::size_t from = first_row / quantum * quantum;
    const std::size_t to = std::min(rows, (end + quantum - 1) / quantum * quantum);
    bits::BitField window = bits::BitField::zeros(in.shape().with_rows(to - from));
    kernel.bits_rows(planes.view(), from, window.span());
    unpack_window(window, name, first_row - from, out);
  }
};

/// Every form, the reference candidates first: the reference of a kernel is the first form
/// here that it offers (the into form when it has one, as in the executors).
using Forms = std::tuple<IntoForm, FunctionalForm, IntoRowsForm, BitsForm, BitsRowsForm>;

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
