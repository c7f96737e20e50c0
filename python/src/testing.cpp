// SPDX-License-Identifier: Apache-2.0
// dashicore.testing.check_kernel: dashi::testing::check_kernel on a kernel of the module (a
// shipped or rule kernel, compose(...), a PythonKernel or anything kernel_of accepts). The
// kernel is seen through its one form, `into`, as a C++ kernel of its radius; a
// ValueError raised by a Python kernel counts as C++'s std::invalid_argument (a shape the
// kernel refuses); a failed check raises AssertionError with the C++ message.

#include "testing.hpp"

#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/testing.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "kernels.hpp"

namespace dashi_python {

namespace {

/// Radii up to this one are checked with a C++ kernel of that static radius; a larger
/// radius is checked with static radius `max_static_radius` and the real radius as the halo
/// (as the module runs such kernels).
constexpr std::size_t max_static_radius = 8;

/// A module kernel as a C++ into kernel of static radius `R` for the check. Never
/// contract-proven, so the executors check every block.
template <std::size_t R>
struct CheckedKernel {
  static constexpr std::size_t radius = R;
  const KernelBase* kernel;

  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    try {
      kernel->into(in, out);
    } catch (py::error_already_set& e) {
      const py::gil_scoped_acquire gil;
      if (e.matches(PyExc_ValueError)) {
        throw std::invalid_argument(e.what());
      }
      throw;
    }
  }
};

/// `check_kernel_with_radius` on `CheckedKernel<R>` for the kernel's radius R (capped at
/// `max_static_radius`).
template <std::size_t... R>
void check_with_static_radius(const KernelBase* kernel, const dashi::testing::CheckOptions& options,
                              std::index_sequence<R...> /*radii*/) {
  const std::size_t radius = kernel->radius();
  const std::size_t static_radius = std::min(radius, max_static_radius);
  const bool done = ((R == static_radius ? (dashi::testing::detail::check_kernel_with_radius(
                                                CheckedKernel<R>{kernel}, radius, options),
                                            true)
                                         : false) ||
                     ...);
  static_cast<void>(done);
}

void check_kernel(const py::object& kernel, unsigned long long seed, long long max_sites) {
  const auto k = kernel_of(kernel);
  dashi::testing::CheckOptions options;
  options.seed = seed;
  options.max_sites = non_negative(max_sites, "max_sites");
  std::optional<std::string> failure;
  {
    const py::gil_scoped_release release;
    try {
      check_with_static_radius(k.get(), options, std::make_index_sequence<max_static_radius + 1>{});
    } catch (const dashi::testing::KernelCheckError& e) {
      failure = e.what();
    }
  }
  if (failure) {
    PyErr_SetString(PyExc_AssertionError, failure->c_str());
    throw py::error_already_set();
  }
}

}  // namespace

void bind_testing(py::module_& m) {
  using py::arg;
  py::module_ testing =
      m.def_submodule("testing", "Checking a kernel: the library's parallelism tests run on it.");
  testing.def("check_kernel", &check_kernel, arg("kernel"), arg("seed") = 0,
              arg("max_sites") = 65536,
              "Runs the kernel on seeded random fields of rank 1-4 (up to max_sites sites) and "
              "raises AssertionError naming the property, shape, options, site and values when "
              "its results depend on the block size, worker count, order or boundary (a radius "
              "declared too small), when two runs differ (impure) or when it breaks the "
              "contract. Exceptions of the kernel itself pass unchanged.");
}

}  // namespace dashi_python
