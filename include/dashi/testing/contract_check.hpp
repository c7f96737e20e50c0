// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The kernel contract as `check_kernel` checks it on every result it compares: values in
/// {-1, 0, 1} and no support created (the shape is kept by construction of the buffers, and
/// `FunctionalForm` checks the functional form's result).

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/testing/report.hpp>
#include <string>

namespace dashi::testing::detail {

/// Throws `KernelCheckError` (property `contract`) at the first site of `out` that is not a
/// trit or is supported where `in` is not. `first_site` is the field site of site 0 of
/// `in`/`out`; `run` names the run that wrote `out`, `run_options` its options.
inline void check_contract(const FieldContext& context, TernaryView in, TernaryView out,
                           std::size_t first_site, const std::string& run,
                           const std::string& run_options) {
  const std::int8_t* x = in.data();
  const std::int8_t* y = out.data();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const bool trit = y[i] >= -1 && y[i] <= 1;
    if (trit && (y[i] == 0 || x[i] != 0)) {
      continue;
    }
    const std::size_t site = first_site + i;
    const std::string what = trit ? run + " created support (output non-zero where the input is 0)"
                                  : run + " wrote a value outside {-1, 0, 1}";
    detail::fail(context, "contract", what, run_options,
                 "  site: " + std::to_string(site) + ", index " +
                     detail::site_index(context.shape, site) + "\n  values: input " +
                     detail::value_text(x[i]) + ", output " + detail::value_text(y[i]) + "\n");
  }
}

}  // namespace dashi::testing::detail
