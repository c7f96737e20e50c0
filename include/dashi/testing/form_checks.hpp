// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What `check_kernel` checks on one field before any executor runs: the monolithic run (the
/// reference form on the whole field) keeps the contract; it is pure (a second run, and a
/// run on a copy of the input at another address, give the same result whatever the output
/// buffer held); every other form the kernel offers gives the reference's rows, window by
/// window, on the whole field and on sub-views of it; and on a shape the reference refuses
/// with `std::invalid_argument`, every form refuses it too.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/testing/contract_check.hpp>
#include <dashi/testing/forms.hpp>
#include <dashi/testing/random_fields.hpp>
#include <dashi/testing/report.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dashi::testing::detail {

/// Rows `[first, first + count)`.
struct RowRange {
  std::size_t first = 0;
  std::size_t count = 0;
};

/// The sub-views of a field of `rows` rows on which the forms are compared: the whole field,
/// without its first or last row, and an inner piece such as an executor block with halos.
[[nodiscard]] inline std::vector<RowRange> form_views(std::size_t rows, std::size_t radius) {
  std::vector<RowRange> views{{0, rows}};
  if (rows > 1) {
    views.push_back({1, rows - 1});
    views.push_back({0, rows - 1});
  }
  if (rows > 2) {
    const std::size_t first = rows / 3;
    views.push_back({first, std::min(rows - first, 2 * radius + 1 + rows / 4)});
  }
  return views;
}

/// The windows of a view of `rows` rows: the whole view, every single row (or, in a long
/// view, the rows near its ends and some chosen at random), the rows inside the radius and
/// some random windows. Throws `std::bad_alloc`.
[[nodiscard]] inline std::vector<RowRange> form_windows(std::size_t rows, std::size_t radius,
                                                        SplitMix64& rng) {
  std::vector<RowRange> windows{{0, rows}};
  const std::size_t edge = std::min(rows, radius + 2);
  for (std::size_t r = 0; r < rows; ++r) {
    if (rows <= 64 || r < edge || r >= rows - edge) {
      windows.push_back({r, 1});
    }
  }
  if (rows > 1) {
    windows.push_back({1, rows - 1});
    windows.push_back({0, rows - 1});
  }
  if (rows > 2 * radius) {
    windows.push_back({radius, rows - 2 * radius});
  }
  for (int i = 0; i < 8; ++i) {
    const std::size_t first = rng.below(rows);
    windows.push_back({first, 1 + rng.below(rows - first)});
  }
  return windows;
}

/// The form name of `Form` as a `std::string`.
template <class Form>
[[nodiscard]] std::string form_name() {
  return Form::name;
}

/// Property `unsupported shape`: the reference refused the field with `std::invalid_argument`
/// (`reason`); every other offered form must refuse it too.
template <class K>
void check_all_forms_refuse(const K& kernel, const FieldContext& context, TernaryView x,
                            const std::string& reason) {
  using Reference = ReferenceForm<K>;
  detail::for_each_offered_form<K>([&](auto form) {
    using Form = decltype(form);
    if constexpr (!std::is_same_v<Form, Reference>) {
      std::string outcome = "returned normally";
      try {
        TernaryField out = detail::filled_field(x.shape(), poison);
        Form::run(kernel, x, 0, out.span());
      } catch (const std::invalid_argument&) {
        return;
      } catch (const std::exception& e) {
        outcome = std::string("threw another exception: ") + e.what();
      }
      detail::fail(context, "unsupported shape",
                   "the " + detail::form_name<Reference>() +
                       " form refused the shape with std::invalid_argument (" + reason +
                       ") but the " + detail::form_name<Form>() + " form " + outcome,
                   "the whole field", "");
    }
  });
}

/// Runs form `Form` for `window` of `view` (rows `view_first...` of the field) and compares
/// it with `expected` (the reference's result on the view). Throws `KernelCheckError`.
template <class Form, class K>
void compare_form_window(const K& kernel, const FieldContext& context, TernaryView view,
                         std::size_t view_first, RowRange window, TernaryView expected) {
  const std::string reference = detail::form_name<ReferenceForm<K>>();
  const std::string name = detail::form_name<Form>();
  const std::string where = "field rows [" + std::to_string(view_first) + ", " +
                            std::to_string(view_first + view.shape().rows()) +
                            ") as the input view, output rows [" + std::to_string(window.first) +
                            ", " + std::to_string(window.first + window.count) + ") of the view";
  TernaryField out = detail::filled_field(view.shape().with_rows(window.count), poison);
  try {
    Form::run(kernel, view, window.first, out.span());
  } catch (const KernelContractError& e) {
    detail::fail(context, "contract",
                 std::string("the ") + name + " form broke the contract: " + e.what(), where, "");
  } catch (const std::invalid_argument& e) {
    detail::fail(context, "forms",
                 "the " + name + " form threw std::invalid_argument where the " + reference +
                     " form did not: " + e.what(),
                 where, "");
  }
  const TernaryView want = expected.rows(window.first, window.count);
  if (const auto site = detail::first_difference(want, out.view())) {
    const std::size_t row_elems = view.shape().row_elems();
    const std::size_t field_site = (view_first + window.first) * row_elems + *site;
    detail::fail(context, "forms",
                 "the " + name + " form disagrees with the " + reference + " form", where,
                 detail::site_lines(context.shape, field_site, reference, want.data()[*site], name,
                                    out.view().data()[*site]));
  }
}

/// The reference's result on `view` (rows `view_first...` of the field), contract checked.
template <class K>
[[nodiscard]] TernaryField checked_reference(const K& kernel, const FieldContext& context,
                                             TernaryView view, std::size_t view_first) {
  const std::string run = "the " + detail::form_name<ReferenceForm<K>>() + " form";
  const std::string where = "field rows [" + std::to_string(view_first) + ", " +
                            std::to_string(view_first + view.shape().rows()) +
                            ") as the input view";
  TernaryField out = detail::filled_field(view.shape(), poison);
  try {
    detail::run_reference(kernel, view, out.span());
  } catch (const KernelContractError& e) {
    detail::fail(context, "contract", run + " broke the contract: " + e.what(), where, "");
  }
  detail::check_contract(context, view, out.view(), view_first * view.shape().row_elems(), run,
                         where);
  return out;
}

/// Runs the checks of this file on field `x`. Returns false when the kernel refuses the
/// shape (`std::invalid_argument` from every form), true when every check passed; throws
/// `KernelCheckError` otherwise, and passes on other exceptions of the kernel unchanged.
template <class K>
[[nodiscard]] bool check_forms_on_field(const K& kernel, const FieldContext& context,
                                        TernaryView x) {
  const std::string reference = detail::form_name<ReferenceForm<K>>();
  const std::string monolithic = "the monolithic run (the " + reference + " form on the field)";
  TernaryField expected = detail::filled_field(x.shape(), poison);
  try {
    detail::run_reference(kernel, x, expected.span());
  } catch (const std::invalid_argument& e) {
    detail::check_all_forms_refuse(kernel, context, x, e.what());
    return false;
  } catch (const KernelContractError& e) {
    detail::fail(context, "contract", monolithic + " broke the contract: " + e.what(),
                 "the whole field", "");
  }
  detail::check_contract(context, x, expected.view(), 0, monolithic, "the whole field");

  // Purity: the same input gives the same output, whatever the output held before and
  // wherever the input lies.
  TernaryField again = detail::filled_field(x.shape(), other_poison);
  detail::run_reference(kernel, x, again.span());
  if (const auto site = detail::first_difference(expected.view(), again.view())) {
    detail::fail(
        context, "purity", "a second monolithic run on the same input gave another result",
        "the whole field, twice",
        detail::site_lines(context.shape, *site, "first run", expected.view().data()[*site],
                           "second run", again.view().data()[*site]));
  }
  std::vector<std::int8_t> moved(x.size() + 64, 0);
  std::copy_n(x.data(), x.size(), moved.data() + 7);
  const TernaryView copy = TernaryView::unchecked(moved.data() + 7, x.shape());
  TernaryField elsewhere = detail::filled_field(x.shape(), poison);
  detail::run_reference(kernel, copy, elsewhere.span());
  if (const auto site = detail::first_difference(expected.view(), elsewhere.view())) {
    detail::fail(context, "purity",
                 "a monolithic run on a copy of the input at another address gave another result",
                 "the whole field, then a copy of it",
                 detail::site_lines(context.shape, *site, "input", expected.view().data()[*site],
                                    "copy", elsewhere.view().data()[*site]));
  }

  // Every other form against the reference, window by window.
  SplitMix64 rng = detail::field_rng(context.options->seed ^ 0x3C6EF372FE94F82BULL, context.field);
  const std::size_t rows = x.shape().rows();
  for (const RowRange v : form_views(rows, context.radius)) {
    const TernaryView view = x.rows(v.first, v.count);
    std::optional<TernaryField> view_expected;
    detail::for_each_offered_form<K>([&](auto form) {
      using Form = decltype(form);
      if constexpr (!std::is_same_v<Form, ReferenceForm<K>>) {
        if (!view_expected) {
          view_expected = v.first == 0 && v.count == rows
                              ? std::move(expected)
                              : checked_reference(kernel, context, view, v.first);
        }
        const std::vector<RowRange> windows =
            Form::windowed ? detail::form_windows(v.count, context.radius, rng)
                           : std::vector<RowRange>{{0, v.count}};
        for (const RowRange w : windows) {
          detail::compare_form_window<Form>(kernel, context, view, v.first, w,
                                            view_expected->view());
        }
      }
    });
  }
  return true;
}

}  // namespace dashi::testing::detail
