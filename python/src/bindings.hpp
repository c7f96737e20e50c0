// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What the parts of the module share: option parsing and the PQ bindings' entry point.

#include <pybind11/pybind11.h>

#include <cstddef>
#include <dashi/execution/cpu_parallel.hpp>
#include <string>

namespace dashi_python {

namespace py = pybind11;

/// `value` as a size; `std::invalid_argument` (ValueError) naming `name` when negative.
[[nodiscard]] std::size_t non_negative(long long value, const char* name);

/// The executor's options from the Python keywords; ValueError for a bad value.
[[nodiscard]] dashi::ParallelOptions parallel_options(long long num_workers, long long block_elems,
                                                      const py::object& halo,
                                                      const std::string& boundary,
                                                      bool check_contract);

/// Registers `dashicore.pq` and `dashicore.pq.legacy`.
void bind_pq(py::module_& pq, py::module_& legacy);

}  // namespace dashi_python
