// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What the parts of the module share: option parsing and the PQ bindings' entry point.

#include <pybind11/pybind11.h>

#include <cstddef>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <string>

namespace dashi_python {

namespace py = pybind11;

/// `value` as a size; `std::invalid_argument` (ValueError) naming `name` when negative.
[[nodiscard]] std::size_t non_negative(long long value, const char* name);

/// The executor's options from the Python keywords; ValueError for a bad value, and when
/// `block_sites` and its earlier spelling `block_elems` are both set to different values.
[[nodiscard]] dashi::ParallelOptions parallel_options(long long num_workers, long long block_sites,
                                                      long long block_elems, const py::object& halo,
                                                      const std::string& boundary,
                                                      bool check_contract);

/// Registers `dashicore.pq` and `dashicore.pq.legacy`.
void bind_pq(py::module_& pq, py::module_& legacy);

/// Registers `dashicore.bits`.
void bind_bits(py::module_& bits);

/// True when `x` is a `dashicore.bits.BitField`.
[[nodiscard]] bool is_bit_field(py::handle x);

/// The executor on planes: `kernel`'s bit form on the BitField `x`, into `out` (a BitField of
/// its shape) or a new one. TypeError for a kernel without a bit form.
[[nodiscard]] py::object run_kernel_bits(const py::object& kernel, const py::object& x,
                                         const dashi::ParallelOptions& options,
                                         const py::object& out);

/// `run_kernel_iterated` on planes. TypeError for a kernel without a bit form.
[[nodiscard]] py::object iterate_bits(const py::object& kernel, const py::object& x,
                                      std::size_t steps, const dashi::IterateOptions& options);

}  // namespace dashi_python
